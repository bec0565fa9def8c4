package peers

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Explain answers "why was I paired with …" for person id, in plain words:
// who they meet, whether that is someone new (and if not, why a repeat was
// the best the round allowed), whether they share a team, and the working
// hours the group shares with a few suggested start times; or, when they
// have no group, the reason they were told.
//
// It reads only what the person may know: their own record, their
// partners' teams, the history of their own meetings and the result. It
// never uses anyone's Avoid list nor another person's away or paused
// state, so its text is the same whatever those are.
func Explain(in MatchInput, res MatchResult, id string) string {
	var me *Candidate
	cs := mergeCandidates(in.Candidates)
	byID := make(map[string]*Candidate, len(cs))
	for i := range cs {
		byID[cs[i].ID] = &cs[i]
		if cs[i].ID == id {
			me = &cs[i]
		}
	}
	if me == nil {
		return "You weren't taking part in this round of intros."
	}
	for _, u := range res.Unmatched {
		if u.ID == id {
			return u.Reason.Text()
		}
	}
	gi := slices.IndexFunc(res.Groups, func(g Group) bool { return slices.Contains(g.Members, id) })
	if gi < 0 {
		return "You weren't taking part in this round of intros."
	}
	g := res.Groups[gi]
	loc := time.UTC
	if len(me.Windows) > 0 {
		loc = me.Windows[0].Start.Location()
	}
	last := map[string]int{}
	for _, h := range in.History {
		other := ""
		switch id {
		case h.A:
			other = h.B
		case h.B:
			other = h.A
		}
		if r, ok := last[other]; other != "" && (!ok || h.Round > r) {
			last[other] = h.Round
		}
	}

	var b strings.Builder
	var others []string
	for _, o := range g.Members {
		if o != id {
			others = append(others, o)
		}
	}
	mentions := make([]string, len(others))
	for i, o := range others {
		mentions[i] = "<@" + o + ">"
	}
	fmt.Fprintf(&b, "This round you're meeting %s.", strings.Join(mentions, " and "))
	repeat := false
	for i, o := range others {
		if r, ok := last[o]; ok {
			repeat = true
			fmt.Fprintf(&b, " You and %s met before, most recently in round %d.", mentions[i], r)
		} else {
			fmt.Fprintf(&b, " You and %s haven't been introduced before.", mentions[i])
		}
	}
	if repeat {
		b.WriteString(" We always look for people you haven't met first; this round nobody new who shares enough of your working hours could be paired with you, so you're meeting someone again.")
	}
	var same []string
	for i, o := range others {
		if p := byID[o]; p != nil && shareTeam(me.Teams, p.Teams) {
			same = append(same, mentions[i])
		}
	}
	switch {
	case len(same) == 0 && len(others) == 1:
		b.WriteString(" You work on different teams, so you'll hear how another part of the company works.")
	case len(same) == 0:
		b.WriteString(" You all work on different teams, so you'll hear how other parts of the company work.")
	default:
		fmt.Fprintf(&b, " You're on the same team as %s: we prefer people from different teams, but this round that wasn't possible.", strings.Join(same, " and "))
	}
	if len(g.Shared) > 0 {
		spans := make([]string, 0, 5)
		for i, iv := range g.Shared {
			if i == 5 {
				spans = append(spans, fmt.Sprintf("and %d more", len(g.Shared)-5))
				break
			}
			spans = append(spans, formatSpan(iv, loc))
		}
		fmt.Fprintf(&b, " Your working hours overlap on %s (your time).", strings.Join(spans, ", "))
		if ts := SuggestTimes(g.Shared, 2, DefaultSlot); len(ts) > 0 {
			starts := make([]string, len(ts))
			for i, t := range ts {
				starts[i] = t.In(loc).Format("Mon 2 Jan 15:04")
			}
			fmt.Fprintf(&b, " Good times to start: %s.", strings.Join(starts, " or "))
		}
	}
	return b.String()
}

func shareTeam(a, b []string) bool {
	for _, t := range a {
		if slices.Contains(b, t) {
			return true
		}
	}
	return false
}

func formatSpan(iv Interval, loc *time.Location) string {
	s, e := iv.Start.In(loc), iv.End.In(loc)
	if s.YearDay() == e.YearDay() && s.Year() == e.Year() {
		return s.Format("Mon 2 Jan 15:04") + "–" + e.Format("15:04")
	}
	return s.Format("Mon 2 Jan 15:04") + " – " + e.Format("Mon 2 Jan 15:04")
}
