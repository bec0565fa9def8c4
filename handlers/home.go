package handlers

import (
	"context"
	"fmt"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/handlers/views"
)

// homeBudget sets the person's daily limit from the Home tab's menu, as
// /trellis budget does. Only the values the menu offers are taken: the
// workspace default, or 1 up to the workspace's limit as it stands now.
func (h *Handlers) homeBudget(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	value := req.Interaction.ActionCallback.BlockActions[0].SelectedOption.Value
	ws, err := h.workspace(ctx, req.TeamID)
	if err != nil {
		return nil, err
	}
	n, ok := views.ParseBudgetChoice(value, ws.DailyBudget)
	if !ok {
		h.ReplyLater(req, Notice(fmt.Sprintf("I can only set your daily limit to one of the choices in the menu: 1 to %d a day, or the workspace default.", ws.DailyBudget),
			budgetExample))
		return nil, nil
	}
	if err := h.ppl.SetDailyBudget(ctx, req.TeamID, req.UserID, n); err != nil {
		return nil, err
	}
	req.After(h.RefreshHome(req))
	return nil, nil
}
