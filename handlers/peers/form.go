package peers

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/models/peers"
	"github.com/trellis-bot/trellis/mrkdwn"
)

// The network form: its callback id, block ids and action ids.
// ParseNetworkForm reads blocks by block id alone, and its errors name
// the same ids for response_action "errors".
const (
	CallbackNetwork = "network_form"

	BlockName         = "network_name"
	BlockKind         = "network_kind"
	BlockMembership   = "network_membership"
	BlockPeople       = "network_people"
	BlockCadence      = "network_cadence"
	BlockWeekday      = "network_weekday"
	BlockTZ           = "network_tz"
	BlockGroupSize    = "network_group_size"
	BlockTeams        = "network_teams"
	BlockTeamField    = "network_team_field"
	BlockTeamChannels = "network_team_channels"
	BlockTerm         = "network_term"

	ActionName         = "network:name"
	ActionKind         = "network:kind"
	ActionMembership   = "network:membership"
	ActionPeople       = "network:people"
	ActionCadence      = "network:cadence"
	ActionWeekday      = "network:weekday"
	ActionTZ           = "network:tz"
	ActionGroupSize    = "network:group-size"
	ActionTeams        = "network:teams"
	ActionTeamField    = "network:team-field"
	ActionTeamChannels = "network:team-channels"
	ActionTerm         = "network:term"

	// The teams' options: not told apart, a profile field, team channels.
	TeamsNone     = "none"
	TeamsField    = "field"
	TeamsChannels = "channels"
)

// Limits of the form.
const (
	// maxChosen is the most people the form picks at once.
	maxChosen = 100
	// maxTeamChannels is the most team channels.
	maxTeamChannels = 30
	// maxZoneLen bounds a zone's name (the longest IANA name is 32).
	maxZoneLen = 64
)

// NetworkForm is what NetworkModal starts from.
type NetworkForm struct {
	// Channel is the network's channel (a new network's: where the
	// command was typed), ChannelName its name for the prefilled name.
	Channel, ChannelName string
	// TZ is the zone prefilled: the creator's, or the network's.
	TZ string
	// Editing, when set, is the stored network the form changes.
	Editing *peers.Network
}

// weekdays are the days a network's rounds may start, in order.
var weekdays = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}

// NetworkModal is the form that creates (or, with Editing, changes) a
// network: its name, kind, who takes part (the channel's members, kept in
// sync, or chosen people), cadence, weekday, the zone its days are
// counted in, the group size of intros, how teams are told apart, and the
// term of circles and learning pairs. Everything is prefilled; its
// private_metadata says which network it is.
func NetworkModal(f NetworkForm) slack.ModalViewRequest {
	n := peers.DefaultNetwork(peers.KindIntros)
	if f.Editing != nil {
		n = *f.Editing
	} else {
		n.Name = defaultName(f.ChannelName)
		n.ChannelTZ = f.TZ
	}
	opt := func(value, label string) *slack.OptionBlockObject {
		return slack.NewOptionBlockObject(value, views.PlainText(label), nil)
	}

	nameIn := slack.NewPlainTextInputBlockElement(views.PlainText("Engineering managers"), ActionName)
	nameIn.MaxLength = peers.MaxNameLen
	nameIn.InitialValue = views.Clip(n.Name, peers.MaxNameLen)
	blocks := []slack.Block{}
	if mrkdwn.IsChannelID(f.Channel) {
		blocks = append(blocks, views.Section(fmt.Sprintf("A network of <#%s>. Nobody is ever told why someone paused or left.", f.Channel), nil))
	}
	blocks = append(blocks, views.Input(BlockName, "Name", nameIn, false, "Unique in the workspace."))

	var kindOpts []*slack.OptionBlockObject
	for _, k := range peers.Kinds() {
		kindOpts = append(kindOpts, opt(string(k), kindTitle(k)))
	}
	kind := slack.NewRadioButtonsBlockElement(ActionKind, kindOpts...)
	kind.InitialOption = views.Pick(string(n.Kind), kindOpts...)
	kindHint := "Intros pair people across teams each round; circles meet for a term; learning pairs match who teaches with who learns."
	if f.Editing != nil {
		kindHint = "A network's kind stays as it was made."
	}
	blocks = append(blocks, views.Input(BlockKind, "What it does", kind, false, kindHint))

	channel, chosen := opt(string(peers.MembershipChannel), "The channel's members, kept in sync"), opt(string(peers.MembershipChosen), "People I choose")
	member := slack.NewRadioButtonsBlockElement(ActionMembership, channel, chosen)
	member.InitialOption = views.Pick(string(n.Membership), channel, chosen)
	blocks = append(blocks, views.Input(BlockMembership, "Who takes part", member, false, "Anyone can pause or leave by themselves."))

	people := slack.NewOptionsMultiSelectBlockElement(slack.MultiOptTypeUser, views.PlainText("Pick people"), ActionPeople)
	maxPeople := maxChosen
	people.MaxSelectedItems = &maxPeople
	peopleHint := "Only for “People I choose”."
	if f.Editing != nil {
		peopleHint = "People picked here are added; `/trellis network remove` takes people out."
	}
	blocks = append(blocks, views.Input(BlockPeople, "People", people, true, peopleHint))

	var cadOpts []*slack.OptionBlockObject
	for _, c := range []peers.Cadence{peers.CadenceWeekly, peers.CadenceEvery2Weeks, peers.CadenceEvery4Weeks} {
		cadOpts = append(cadOpts, opt(string(c), cadenceLabel(c)))
	}
	cad := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, views.PlainText("How often"), ActionCadence, cadOpts...)
	cad.InitialOption = views.Pick(string(n.Cadence), cadOpts...)
	blocks = append(blocks, views.Input(BlockCadence, "How often", cad, false, ""))

	var dayOpts []*slack.OptionBlockObject
	for _, d := range weekdays {
		dayOpts = append(dayOpts, opt(strconv.Itoa(int(d)), d.String()))
	}
	day := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, views.PlainText("Pick a day"), ActionWeekday, dayOpts...)
	day.InitialOption = views.Pick(strconv.Itoa(int(n.Weekday)), dayOpts...)
	blocks = append(blocks, views.Input(BlockWeekday, "Rounds start (circles meet) on", day, false, ""))

	tz := slack.NewPlainTextInputBlockElement(views.PlainText("Europe/Berlin"), ActionTZ)
	tz.MaxLength = maxZoneLen
	tz.InitialValue = views.Clip(n.ChannelTZ, maxZoneLen)
	blocks = append(blocks, views.Input(BlockTZ, "The channel's time zone", tz, false, "Its days are counted here. Like Europe/London or America/New_York."))

	pairs, threes := opt("2", "Pairs"), opt("3", "Groups of three")
	size := slack.NewRadioButtonsBlockElement(ActionGroupSize, pairs, threes)
	size.InitialOption = pairs
	if n.GroupSize == 3 {
		size.InitialOption = threes
	}
	blocks = append(blocks, views.Input(BlockGroupSize, "Intros in", size, true, "Only for intros."))

	none, field, chans := opt(TeamsNone, "Not at all"), opt(TeamsField, "A Slack profile field"), opt(TeamsChannels, "Team channels")
	teams := slack.NewRadioButtonsBlockElement(ActionTeams, none, field, chans)
	teams.InitialOption = none
	fieldIn := slack.NewPlainTextInputBlockElement(views.PlainText("Team"), ActionTeamField)
	fieldIn.MaxLength = peers.MaxNameLen
	teamChans := slack.NewOptionsMultiSelectBlockElement(slack.MultiOptTypeConversations, views.PlainText("Pick the teams' channels"), ActionTeamChannels)
	maxChans := maxTeamChannels
	teamChans.MaxSelectedItems = &maxChans
	teamChans.Filter = &slack.SelectBlockElementFilter{Include: []string{"public", "private"}, ExcludeBotUsers: true, ExcludeExternalSharedChannels: true}
	if name, ok := n.TeamField(); ok {
		teams.InitialOption, fieldIn.InitialValue = field, views.Clip(name, peers.MaxNameLen)
	} else if list := n.TeamChannels(); len(list) > 0 {
		teams.InitialOption = chans
		for _, c := range list {
			if mrkdwn.IsChannelID(c) {
				teamChans.InitialConversations = append(teamChans.InitialConversations, c)
			}
		}
	}
	blocks = append(blocks,
		views.Input(BlockTeams, "Teams told apart by", teams, true, "Intros prefer people of different teams."),
		views.Input(BlockTeamField, "Profile field", fieldIn, true, "Its name, when teams come from a profile field."),
		views.Input(BlockTeamChannels, "Team channels", teamChans, true, "One team per channel, when teams come from channels."))

	term := slack.NewPlainTextInputBlockElement(views.PlainText("6"), ActionTerm)
	term.MaxLength = 2
	if n.TermMonths > 0 {
		term.InitialValue = strconv.Itoa(n.TermMonths)
	}
	blocks = append(blocks, views.Input(BlockTerm, "Term in months", term, true,
		fmt.Sprintf("How long a circle or a learning pair lasts: %d months for circles, %d for learning pairs unless you say.", peers.DefaultCircleTermMonths, peers.DefaultLearningTermMonths)))

	m := views.Modal(CallbackNetwork, "New network", "Create", blocks...)
	m.PrivateMetadata = metaNew + ":" + f.Channel
	if f.Editing != nil {
		m = views.Modal(CallbackNetwork, "Edit network", "Save", blocks...)
		m.PrivateMetadata = metaEdit + ":" + strconv.FormatInt(f.Editing.ID, 10)
	}
	return m
}

// The form's private_metadata: "new:<channel>" or "edit:<network id>".
const (
	metaNew  = "new"
	metaEdit = "edit"
)

// parseMeta reads the form's private_metadata.
func parseMeta(s string) (edit bool, channel string, id int64, ok bool) {
	kind, rest, _ := strings.Cut(s, ":")
	switch kind {
	case metaNew:
		return false, rest, 0, mrkdwn.IsChannelID(rest)
	case metaEdit:
		id, err := strconv.ParseInt(rest, 10, 64)
		return true, "", id, err == nil && id > 0
	}
	return false, "", 0, false
}

// defaultName is a new network's name from its channel's.
func defaultName(channel string) string {
	channel = strings.TrimSpace(strings.TrimPrefix(channel, "#"))
	switch channel {
	case "", "directmessage", "privategroup", "mpdm":
		return ""
	}
	return views.Clip(channel, peers.MaxNameLen)
}

// kindTitle is a kind as the form offers it.
func kindTitle(k peers.NetworkKind) string {
	switch k {
	case peers.KindIntros:
		return "Intros"
	case peers.KindCircles:
		return "Manager circles"
	case peers.KindLearning:
		return "Learning pairs"
	}
	return string(k)
}

// cadenceLabel is a cadence as people read it.
func cadenceLabel(c peers.Cadence) string {
	switch c {
	case peers.CadenceWeekly:
		return "Weekly"
	case peers.CadenceEvery2Weeks:
		return "Every 2 weeks"
	case peers.CadenceEvery4Weeks:
		return "Every 4 weeks"
	}
	return string(c)
}

// ParseNetworkForm reads the form's state.values over base (the stored
// network when editing, else one with its channel, owner and anchor set)
// into the network it describes and the people picked, or into a message
// per block id for response_action "errors": a kind, cadence, weekday or
// group size the form does not offer, a term that is no number, and
// every problem peers.Network.Validate finds, each on its field. The
// people and channels are ids from Slack's pickers, as a payload carries
// them: the handler checks what it must before storing anything.
func ParseNetworkForm(values map[string]map[string]slack.BlockAction, base peers.Network) (peers.Network, []string, map[string]string) {
	get := func(block string) slack.BlockAction {
		for _, a := range values[block] {
			return a
		}
		return slack.BlockAction{}
	}
	errs := map[string]string{}
	add := func(block, msg string) {
		if errs[block] == "" {
			errs[block] = msg
		}
	}
	n := base
	editing := base.ID != 0
	n.Name = strings.TrimSpace(get(BlockName).Value)
	if !editing {
		kind, err := peers.ParseKind(get(BlockKind).SelectedOption.Value)
		if err != nil {
			add(BlockKind, "Pick what the network does.")
		}
		def := peers.DefaultNetwork(kind)
		n.Kind, n.GroupSize, n.TermMonths, n.MinSize, n.MaxSize, n.Capacity = kind, def.GroupSize, def.TermMonths, def.MinSize, def.MaxSize, def.Capacity
	}
	switch m := peers.Membership(get(BlockMembership).SelectedOption.Value); m {
	case peers.MembershipChannel, peers.MembershipChosen:
		n.Membership = m
	default:
		add(BlockMembership, "Pick who takes part.")
	}
	var chosen []string
	for _, u := range get(BlockPeople).SelectedUsers {
		if !mrkdwn.IsUserID(u) {
			add(BlockPeople, "Pick the people from the list.")
			continue
		}
		if !containsStr(chosen, u) {
			chosen = append(chosen, u)
		}
	}
	if len(chosen) > maxChosen {
		add(BlockPeople, fmt.Sprintf("Pick at most %d people here; add more with `/trellis network add`.", maxChosen))
	}
	if n.Membership == peers.MembershipChosen && len(chosen) == 0 && !editing {
		add(BlockPeople, "Pick the people who take part.")
	}
	if c, err := peers.ParseCadence(get(BlockCadence).SelectedOption.Value); err == nil {
		n.Cadence = c
	} else {
		add(BlockCadence, "Pick how often.")
	}
	if d, err := strconv.Atoi(get(BlockWeekday).SelectedOption.Value); err == nil && d >= int(time.Monday) && d <= int(time.Friday) {
		n.Weekday = time.Weekday(d)
	} else {
		add(BlockWeekday, "Pick a weekday, Monday to Friday.")
	}
	n.ChannelTZ = strings.TrimSpace(get(BlockTZ).Value)
	if n.Kind == peers.KindIntros {
		switch get(BlockGroupSize).SelectedOption.Value {
		case "", "2":
			n.GroupSize = 2
		case "3":
			n.GroupSize = 3
		default:
			add(BlockGroupSize, "Pick pairs or groups of three.")
		}
		switch get(BlockTeams).SelectedOption.Value {
		case "", TeamsNone:
			n.TeamSource = ""
		case TeamsField:
			field := strings.TrimSpace(get(BlockTeamField).Value)
			if field == "" {
				add(BlockTeamField, "Name the profile field that holds people's teams, like “Team”.")
			}
			n.TeamSource = "field:" + field
		case TeamsChannels:
			var list []string
			for _, c := range get(BlockTeamChannels).SelectedConversations {
				if !mrkdwn.IsChannelID(c) || strings.HasPrefix(c, "D") {
					add(BlockTeamChannels, "Pick the teams' channels from the list.")
					continue
				}
				if !containsStr(list, c) {
					list = append(list, c)
				}
			}
			if len(list) == 0 {
				add(BlockTeamChannels, "Pick the teams' channels, one team each.")
			}
			n.TeamSource = "channels:" + strings.Join(list, ",")
		default:
			add(BlockTeams, "Pick how teams are told apart.")
		}
	}
	if t := strings.TrimSpace(get(BlockTerm).Value); t != "" && n.Kind != peers.KindIntros {
		months, err := strconv.Atoi(t)
		if err != nil {
			add(BlockTerm, "Give the term as a number of months, like 6.")
		}
		n.TermMonths = months
	}
	if err := n.Validate(); err != nil {
		var ve *peers.ValidationError
		if errors.As(err, &ve) {
			for _, p := range ve.Problems {
				add(FieldBlock(p.Field), p.Message)
			}
		}
	}
	if len(errs) > 0 {
		return peers.Network{}, nil, errs
	}
	return n, chosen, nil
}

// FieldBlock is the block id of the network form where a problem on
// field (peers.Field…) is shown.
func FieldBlock(field string) string {
	switch field {
	case peers.FieldKind:
		return BlockKind
	case peers.FieldChannelTZ:
		return BlockTZ
	case peers.FieldMembership:
		return BlockMembership
	case peers.FieldCadence:
		return BlockCadence
	case peers.FieldWeekday, peers.FieldAnchor:
		return BlockWeekday
	case peers.FieldGroupSize:
		return BlockGroupSize
	case peers.FieldTeamSource:
		return BlockTeams
	case peers.FieldTermMonths, peers.FieldSizes, peers.FieldCapacity:
		return BlockTerm
	case peers.FieldUser:
		return BlockPeople
	}
	return BlockName
}
