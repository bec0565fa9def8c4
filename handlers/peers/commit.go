package peers

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/handlers"
	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/models/peers"
)

// The commitment form: what a person will try before their circle's
// next session, opened by the button of the runtime's "What will you
// try?" DM (jobpeers.ActionCommit, whose value is the session's id). Its
// private_metadata carries the session id, which a payload can alter:
// the runtime checks it against the stored session and the submitter.
const (
	CallbackCommit = "network_commit"

	BlockCommitText  = "network_commit_text"
	BlockCommitShare = "network_commit_share"

	ActionCommitText  = "network:commit-text"
	ActionCommitShare = "network:commit-share"

	// ValueShare is the share checkbox's value.
	ValueShare = "share"

	// commitMeta starts the form's private_metadata; the session id
	// follows. A form another shape of Trellis drew is refused, not
	// misread.
	commitMeta = "commit/1:"
)

// CommitForm is what CommitModal starts from.
type CommitForm struct {
	// SessionID is the circle's session the commitment follows.
	SessionID int64
	// Text is the person's own commitment there, when they made one: the
	// form starts from it.
	Text string
	// Shared says they shared it already: a change is not posted again,
	// so the form has no share box and says so.
	Shared bool
}

// CommitModal is the commitment form: the text (1 to
// peers.MaxCommitmentLen characters, several lines) and a box to share it
// with the circle. Only the person reads it unless they tick the box.
func CommitModal(f CommitForm) slack.ModalViewRequest {
	in := slack.NewPlainTextInputBlockElement(views.PlainText("One small thing, like asking my team what they'd stop doing"), ActionCommitText)
	in.Multiline = true
	in.MaxLength = peers.MaxCommitmentLen
	in.InitialValue = f.Text
	blocks := []slack.Block{
		views.Input(BlockCommitText, "What will you try before the next session?", in, false,
			"Only you see it, unless you share it below. I'll remind you of it when your circle next meets."),
	}
	if f.Shared {
		blocks = append(blocks, slack.NewContextBlock("", views.MrkdwnText(
			"You shared this with your circle already. A change stays yours: it isn't posted again.")))
	} else {
		share := slack.NewOptionBlockObject(ValueShare, views.PlainText("Share it with my circle"),
			views.PlainText("Posted once in your circle's group DM, under your name"))
		blocks = append(blocks, views.Input(BlockCommitShare, "Share", slack.NewCheckboxGroupsBlockElement(ActionCommitShare, share), true, ""))
	}
	m := views.Modal(CallbackCommit, "What will you try?", "Save", blocks...)
	m.PrivateMetadata = commitMeta + strconv.FormatInt(f.SessionID, 10)
	return m
}

// ParseCommit reads a submitted commitment form: the session id from its
// private_metadata, the text (trimmed) and whether to share it. errs has
// a message for the text's block when the form can't be read or the text
// is empty; the runtime checks the rest (the text's length, the session,
// the submitter).
func ParseCommit(view slack.View) (sessionID int64, text string, share bool, errs map[string]string) {
	rest, ok := strings.CutPrefix(view.PrivateMetadata, commitMeta)
	id, err := strconv.ParseInt(rest, 10, 64)
	if !ok || err != nil || id <= 0 {
		return 0, "", false, map[string]string{BlockCommitText: "This form can't be read any more. Close it and use the button in your message again; nothing was saved."}
	}
	var values map[string]map[string]slack.BlockAction
	if view.State != nil {
		values = view.State.Values
	}
	for _, a := range values[BlockCommitText] {
		text = strings.TrimSpace(a.Value)
	}
	for _, a := range values[BlockCommitShare] {
		for _, o := range a.SelectedOptions {
			share = share || o.Value == ValueShare
		}
	}
	if text == "" {
		return 0, "", false, map[string]string{BlockCommitText: "Write what you'll try — a sentence is enough."}
	}
	return id, text, share, nil
}

// openCommit answers the "What will you try?" button: the commitment
// form, opened at once with the trigger (it lives three seconds),
// starting from the person's own commitment at that session, if any.
// Whether they may write one is checked when they save.
func (h *Handlers) openCommit(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	_, sessionID, ok := buttonValue(req)
	if !ok {
		h.core.Tell(ctx, req, "I can't tell which session that button is for. Use the button in your latest circle message.")
		return nil, nil
	}
	f := CommitForm{SessionID: sessionID}
	// The person's own row, by its unique key: what they wrote is theirs
	// to read.
	if cm, had, err := h.store.Commitment(ctx, req.TeamID, sessionID, req.UserID); err != nil {
		h.log.WarnContext(ctx, "could not read a commitment to prefill", "session", sessionID, "err", err)
	} else if had {
		f.Text, f.Shared = cm.Text, cm.Shared
	}
	return h.core.OpenModal(ctx, req, handlers.Trigger(req), CommitModal(f))
}

// submitCommit stores the commitment before the ack, through the
// runtime, which checks that the submitter was present at the session
// and plans the post to the circle when they share it; every problem is
// answered on the text's field and stores nothing. After the ack the
// person gets a short confirmation in their DM with Trellis, a reply to
// their own act.
func (h *Handlers) submitCommit(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	sessionID, text, share, errs := ParseCommit(req.Interaction.View)
	if len(errs) > 0 {
		return handlers.FieldErrors(errs), nil
	}
	if h.rt == nil {
		return nil, errors.New("commitment: no runtime")
	}
	cm, err := h.rt.SetCommitment(ctx, req.TeamID, sessionID, req.UserID, text, share)
	var ve *peers.ValidationError
	switch {
	case errors.As(err, &ve) && len(ve.Problems) > 0:
		var msgs []string
		for _, p := range ve.Problems {
			msgs = append(msgs, p.Message)
		}
		return handlers.FieldErrors(map[string]string{BlockCommitText: strings.Join(msgs, " ") + " Nothing was saved."}), nil
	case refusedID(err):
		return handlers.FieldErrors(map[string]string{BlockCommitText: "This form is for a circle session you were at, and I can't find you at that one, so nothing was saved. " +
			"Use the button in the message that came after your own session."}), nil
	case err != nil:
		return nil, err
	}
	reply := "Saved — you'll try:\n" + quote(cm.Text) + "\nOnly you see it; I'll remind you of it when your circle next meets."
	switch {
	case share:
		reply += " You chose to share it, so I'll post it in your circle's group DM."
	case cm.Shared:
		reply += " You shared it with your circle before; this change isn't posted again."
	}
	req.After(func(ctx context.Context) { h.core.DM(ctx, req, reply) })
	return nil, nil
}

// quote is text a person typed as a mrkdwn quote, escaped and bounded.
func quote(text string) string {
	lines := strings.Split(views.Mrkdwn(text, peers.MaxCommitmentLen), "\n")
	return "> " + strings.Join(lines, "\n> ")
}
