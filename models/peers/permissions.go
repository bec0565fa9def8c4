package peers

// Who may do what: a network's owner or a workspace admin changes,
// pauses and deletes it, lists its people (chosen networks), adds and
// removes them; a channel network's people are its channel's members;
// anyone leaves, pauses and resumes their own participation, and nobody
// else's, and rejoins only a network they left themselves (nobody puts
// themselves into a network, and someone removed stays out); only a group's members say how it went; only an
// admin adds or deletes the workspace's own prompts. These are pure
// functions; the store enforces them.

// CanManage reports whether actor may change, pause or delete n and
// choose its people: its owner or a workspace admin.
func CanManage(n Network, actor string, isAdmin bool) bool {
	return isAdmin || (actor != "" && n.Owner == actor)
}

// CanChangeOwn reports whether actor may change user's participation (join,
// leave, pause, resume, skills, capacity, avoid list): only their own.
func CanChangeOwn(actor, user string) bool {
	return actor != "" && actor == user
}

// CanManagePrompts reports whether a person may add or delete the
// workspace's own prompts: admins only.
func CanManagePrompts(isAdmin bool) bool { return isAdmin }
