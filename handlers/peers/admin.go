package peers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/handlers"
	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/peers"
	"github.com/trellis-bot/trellis/mrkdwn"
)

// AdminWord is the peer networks' word under /trellis admin.
const AdminWord = "network"

// Audit actions of the peer networks' admin changes.
const (
	AuditPromptAdd    = "peers_prompt_add"
	AuditPromptDelete = "peers_prompt_delete"
)

// maxThemeLen bounds a prompt's theme: one word or a few, as a circle
// reads it.
const maxThemeLen = 40

// maxListedPrompts bounds the prompts one reply lists.
const maxListedPrompts = 40

// The examples the admin replies and help lines give.
const (
	exPromptAdd    = "`/trellis admin network prompt add feedback | What feedback did you give this week that you almost didn't?`"
	exPrompts      = "`/trellis admin network prompts`"
	exPromptDelete = "`/trellis admin network prompt delete 3`"
)

// AdminHelpLines are the peer networks' lines for the admin section of
// /trellis help, each beginning with its example. Like HelpLines, they
// are shown nowhere until peer networks land.
func AdminHelpLines() []string {
	return []string{
		exPromptAdd + " — a discussion prompt of the workspace's own for manager circles, under a theme",
		exPrompts + " lists them; " + exPromptDelete + " deletes one",
	}
}

// adminUsage is the reply to /trellis admin network alone, or to a word
// it does not know.
func adminUsage(first string) *bot.Response {
	return handlers.Notice(first+" The peer network admin commands:\n• "+strings.Join(AdminHelpLines(), "\n• "), "")
}

// admin serves /trellis admin network, which the core serves only to a
// workspace admin Slack confirms: the workspace's own prompts.
func (h *Handlers) admin(ctx context.Context, req *bot.Request, p models.Person, args string) (*bot.Response, error) {
	word, rest := handlers.SplitCommand(args)
	switch word {
	case "":
		return adminUsage("The workspace's own discussion prompts."), nil
	case "prompts":
		return h.prompts(ctx, req)
	case "prompt":
		sub, rest := handlers.SplitCommand(rest)
		switch sub {
		case "add", "new":
			return h.promptAdd(ctx, req, rest)
		case "delete", "remove":
			return h.promptDelete(ctx, req, rest)
		case "", "list":
			return h.prompts(ctx, req)
		}
		return adminUsage("I don't know " + views.Code("/trellis admin network prompt "+sub) + "."), nil
	}
	return adminUsage("I don't know " + views.Code("/trellis admin network "+word) + "."), nil
}

// promptAdd answers prompt add THEME | TEXT.
func (h *Handlers) promptAdd(ctx context.Context, req *bot.Request, args string) (*bot.Response, error) {
	hint := "For example " + exPromptAdd + "."
	theme, text, ok := strings.Cut(args, "|")
	theme, text = strings.TrimSpace(theme), strings.TrimSpace(text)
	switch {
	case !ok || theme == "" || text == "":
		return handlers.Notice("Give a theme, then `|`, then the prompt. Nothing was saved.", hint), nil
	case utf8.RuneCountInString(theme) > maxThemeLen:
		return handlers.Notice(fmt.Sprintf("Keep the theme to %d characters, like “feedback” or “hiring”. Nothing was saved.", maxThemeLen), hint), nil
	}
	var saved peers.CustomPrompt
	err := h.db.Tx(ctx, func(ctx context.Context) error {
		var err error
		if saved, err = h.store.AddPrompt(ctx, req.TeamID, peers.CustomPrompt{Theme: theme, Text: text}, req.UserID, true); err != nil {
			return err
		}
		return h.ws.Record(ctx, models.AuditEntry{WorkspaceID: req.TeamID, ActorID: req.UserID, Action: AuditPromptAdd,
			Detail: fmt.Sprintf("prompt %d (%s)", saved.ID, saved.Theme)})
	})
	if resp, ok := refused(err, hint); ok {
		return resp, nil
	}
	if err != nil {
		return nil, err
	}
	return handlers.Notice(fmt.Sprintf("Added prompt %d under *%s*: “%s”", saved.ID, views.Mrkdwn(saved.Theme, maxThemeLen), views.Mrkdwn(saved.Text, peers.MaxPromptLen)),
		"Circles draw it among the built-in prompts. "+exPrompts+" lists them."), nil
}

// promptDelete answers prompt delete ID.
func (h *Handlers) promptDelete(ctx context.Context, req *bot.Request, args string) (*bot.Response, error) {
	hint := "For example " + exPromptDelete + "; " + exPrompts + " shows the numbers."
	id, err := strconv.ParseInt(strings.TrimSpace(args), 10, 64)
	if err != nil || id <= 0 {
		return handlers.Notice(fmt.Sprintf("Which prompt? Give its number; %s isn't one. Nothing was deleted.", views.Code(args)), hint), nil
	}
	err = h.db.Tx(ctx, func(ctx context.Context) error {
		if err := h.store.DeletePrompt(ctx, req.TeamID, id, req.UserID, true); err != nil {
			return err
		}
		return h.ws.Record(ctx, models.AuditEntry{WorkspaceID: req.TeamID, ActorID: req.UserID, Action: AuditPromptDelete, Detail: fmt.Sprintf("prompt %d", id)})
	})
	if errors.Is(err, peers.ErrNotFound) {
		return handlers.Notice(fmt.Sprintf("There is no prompt %d. Nothing was deleted.", id), hint), nil
	}
	if err != nil {
		return nil, err
	}
	return handlers.Notice(fmt.Sprintf("Deleted prompt %d. Sessions that used it keep their history.", id), ""), nil
}

// prompts answers prompts: the workspace's own, oldest first.
func (h *Handlers) prompts(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	list, err := h.store.Prompts(ctx, req.TeamID)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return handlers.Notice("The workspace has no prompts of its own yet; circles use the built-in ones.", "Add one with "+exPromptAdd+"."), nil
	}
	return handlers.Reply(fmt.Sprintf("The workspace's prompts: %d", len(list)), PromptList(list)), nil
}

// PromptList lists the workspace's own prompts, one section each, at
// most maxListedPrompts.
func PromptList(list []peers.CustomPrompt) []slack.Block {
	blocks := []slack.Block{views.Section(fmt.Sprintf("*The workspace's own prompts* (%d)", len(list)), nil)}
	used := mrkdwn.TextLen(blocks[0]) + 200 // the closing lines
	for i, p := range list {
		b := views.Section(fmt.Sprintf("%d · *%s* · %s", p.ID, views.Mrkdwn(p.Theme, peers.MaxThemeLen), views.Mrkdwn(p.Text, peers.MaxPromptLen)), nil)
		if i == maxListedPrompts || used+mrkdwn.TextLen(b) > mrkdwn.MessageTextBudget {
			blocks = append(blocks, views.Section(fmt.Sprintf("…and %d more.", len(list)-i), nil))
			break
		}
		used += mrkdwn.TextLen(b)
		blocks = append(blocks, b)
	}
	return append(blocks, slack.NewContextBlock("", views.MrkdwnText(exPromptDelete+" deletes one.")))
}
