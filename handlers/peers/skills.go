package peers

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/handlers"
	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/models/invalid"
	"github.com/trellis-bot/trellis/models/peers"
)

// The skills a person teaches and learns, as they type them:
// "teach: sql 4, hiring; learn: okrs" (see models/peers ParseSkills).

// skillsLead finds where the skills begin in a command's words.
var skillsLead = regexp.MustCompile(`(?i)(^|\s)(teach|learn)\s*:`)

// skillsStart is the byte offset where "teach:" or "learn:" begins in s,
// or -1.
func skillsStart(s string) int {
	m := skillsLead.FindStringSubmatchIndex(s)
	if m == nil {
		return -1
	}
	return m[4]
}

// parseSkills reads what a person typed ("teach: sql 4, hiring; learn:
// okrs") with models/peers' parser, and returns the canonical text the
// store keeps, or, when it cannot be read, every problem in words a
// person reads.
func parseSkills(text string) (string, string) {
	sk, err := peers.ParseSkills(text)
	if err != nil {
		var bad *invalid.Error
		if errors.As(err, &bad) && len(bad.Problems) > 0 {
			msgs := make([]string, len(bad.Problems))
			for i, p := range bad.Problems {
				msgs[i] = p.Message
			}
			return "", strings.Join(msgs, " ")
		}
		return "", "I couldn't read those skills."
	}
	return sk.String(), ""
}

// The skills form: `/trellis network skills [NETWORK]` with no skills
// typed opens it, with what the person can teach and wants to learn as
// two lists, each prefilled from their stored skills. Its
// private_metadata carries the network's id, which a payload can alter:
// the submitter's own participation in that network is what is changed,
// so a forged id reaches nobody else's.
const (
	CallbackSkills = "network_skills"

	BlockSkillsTeach = "network_skills_teach"
	BlockSkillsLearn = "network_skills_learn"

	ActionSkillsTeach = "network:skills-teach"
	ActionSkillsLearn = "network:skills-learn"

	// skillsMeta starts the form's private_metadata; the network id
	// follows.
	skillsMeta = "skills/1:"
)

// SkillsModal is the skills form for the learning network n, prefilled
// from stored (the canonical text models/peers keeps, or "").
func SkillsModal(n peers.Network, stored string) slack.ModalViewRequest {
	teach, learn := skillSides(stored)
	input := func(action, placeholder, initial string) *slack.PlainTextInputBlockElement {
		in := slack.NewPlainTextInputBlockElement(views.PlainText(placeholder), action)
		in.Multiline = true
		in.MaxLength = peers.MaxSkillsLen / 2
		in.InitialValue = initial
		return in
	}
	blocks := []slack.Block{
		slack.NewContextBlock("", views.MrkdwnText(fmt.Sprintf("In %s. A learner is paired with someone who rates themselves higher in that skill.", name(n)))),
		views.Input(BlockSkillsTeach, "I can teach", input(ActionSkillsTeach, "sql (4), hiring", teach), true,
			"A comma list; each with your level from 1 (new to it) to 5 (expert) if you like, like sql (4). Without one, 3."),
		views.Input(BlockSkillsLearn, "I want to learn", input(ActionSkillsLearn, "okrs, public speaking", learn), true,
			"A comma list; each with where you stand now, 1 to 5, if you like. Without one, 1."),
	}
	m := views.Modal(CallbackSkills, "Your skills", "Save", blocks...)
	m.PrivateMetadata = skillsMeta + strconv.FormatInt(n.ID, 10)
	return m
}

// skillSides are the two lists of canonical skills text ("teach: sql
// (4); learn: okrs"), "" for a side of none.
func skillSides(canonical string) (teach, learn string) {
	sk, err := peers.ParseSkills(canonical)
	if err != nil || canonical == "" {
		return "", ""
	}
	side := func(list []peers.Skill, word string) string {
		s := peers.Skills{}
		if word == "teach" {
			s.Teach = list
		} else {
			s.Learn = list
		}
		for _, part := range strings.Split(s.String(), "; ") {
			if v, ok := strings.CutPrefix(part, word+": "); ok && v != "none" {
				return v
			}
		}
		return ""
	}
	return side(sk.Teach, "teach"), side(sk.Learn, "learn")
}

// ParseSkillsForm reads a submitted skills form: the network id from its
// private_metadata and the canonical skills text of both lists (an empty
// list is none). errs has each problem on its list's block, in words.
func ParseSkillsForm(view slack.View) (networkID int64, canonical string, errs map[string]string) {
	rest, ok := strings.CutPrefix(view.PrivateMetadata, skillsMeta)
	id, err := strconv.ParseInt(rest, 10, 64)
	if !ok || err != nil || id <= 0 {
		return 0, "", map[string]string{BlockSkillsTeach: "This form can't be read any more. Close it and run the command again; nothing was saved."}
	}
	var values map[string]map[string]slack.BlockAction
	if view.State != nil {
		values = view.State.Values
	}
	text := func(block string) string {
		for _, a := range values[block] {
			if v := strings.TrimSpace(a.Value); v != "" {
				return v
			}
		}
		return "none"
	}
	teach, learn := "teach: "+oneList(text(BlockSkillsTeach)), "learn: "+oneList(text(BlockSkillsLearn))
	errs = map[string]string{}
	for block, side := range map[string]string{BlockSkillsTeach: teach, BlockSkillsLearn: learn} {
		if _, problem := parseSkills(side); problem != "" {
			errs[block] = problem + " Nothing was saved."
		}
	}
	if len(errs) > 0 {
		return 0, "", errs
	}
	canonical, problem := parseSkills(teach + "; " + learn)
	if problem != "" {
		return 0, "", map[string]string{BlockSkillsTeach: problem + " Nothing was saved."}
	}
	return id, canonical, nil
}

// oneList is a field's lines (or ";"-separated parts) as one comma
// list: each would start another list in the skills' syntax.
func oneList(s string) string {
	var parts []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == ';' }) {
		if p = strings.Trim(strings.TrimSpace(p), ","); strings.TrimSpace(p) != "" {
			parts = append(parts, strings.TrimSpace(p))
		}
	}
	return strings.Join(parts, ", ")
}

// submitSkills stores the skills form's lists before the ack, as the
// submitter's own skills in the form's network, or answers each problem
// on its list and stores nothing. After the ack the person is told what
// was saved, in their DM with Trellis (a reply to their own act).
func (h *Handlers) submitSkills(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	id, canonical, errs := ParseSkillsForm(req.Interaction.View)
	if len(errs) > 0 {
		return handlers.FieldErrors(errs), nil
	}
	const gone = "You aren't in a learning network of that number any more, so nothing was saved. `/trellis network list` shows yours."
	n, err := h.store.Network(ctx, req.TeamID, id)
	if errors.Is(err, peers.ErrNotFound) || (err == nil && n.Kind != peers.KindLearning) {
		return handlers.FieldErrors(map[string]string{BlockSkillsTeach: gone}), nil
	}
	if err != nil {
		return nil, err
	}
	part, err := h.store.Participant(ctx, req.TeamID, n.ID, req.UserID)
	if errors.Is(err, peers.ErrNotFound) || (err == nil && part.Left) {
		return handlers.FieldErrors(map[string]string{BlockSkillsTeach: gone}), nil
	}
	if err != nil {
		return nil, err
	}
	err = h.store.SetSkills(ctx, req.TeamID, n.ID, req.UserID, canonical)
	var ve *peers.ValidationError
	if errors.As(err, &ve) && len(ve.Problems) > 0 {
		return handlers.FieldErrors(map[string]string{BlockSkillsTeach: ve.Problems[0].Message + " Nothing was saved."}), nil
	}
	if err != nil {
		return nil, err
	}
	h.changed(req, n.ID)
	reply := fmt.Sprintf("Saved your skills in %s: %s. You're matched by them from the next round.", name(n), views.Mrkdwn(canonical, peers.MaxSkillsLen))
	req.After(func(ctx context.Context) { h.core.DM(ctx, req, reply) })
	return nil, nil
}
