package checkins

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm/clause"

	"github.com/trellis-bot/trellis/models"
)

// A check-in's DM prompts are engine occurrences: the first ask (the
// occurrence checkin_responses.asked_by names), each reminder
// ("checkin:<id>#reminder:<round>:<n>") and each snoozed prompt coming back
// ("checkin:<id>#snooze:<round>:<unix>"). Their receipts are the only
// messages Trellis changes when a person acts on a round or the round
// closes: a message named by a button payload is never trusted.
// Several rounds' prompts may share one DM, so whoever changes one holds
// the message first (LockMessage).

// PromptMessages returns where Slack put the DMs that asked userID the
// round roundID of check-in checkinID: the receipts of those delivered
// occurrences, each once (several occurrences merged into one DM share
// it), in the order they were planned. The round must be checked to belong to the check-in
// and workspace before; a person the round never asked has none.
func (s *Store) PromptMessages(ctx context.Context, workspaceID string, checkinID, roundID int64, userID string) ([]models.Receipt, error) {
	key := ScheduleKey(checkinID)
	round := strconv.FormatInt(roundID, 10)
	rows, err := models.QueryRows[struct {
		Channel string `gorm:"column:slack_channel"`
		TS      string `gorm:"column:slack_ts"`
		First   int64  `gorm:"column:first_id"`
	}](ctx, s.db, `
		SELECT o.slack_channel, o.slack_ts, MIN(o.id) AS first_id FROM occurrences o
		WHERE o.workspace_id = ? AND o.recipient = ? AND o.status = ?
		  AND o.slack_channel IS NOT NULL AND o.slack_ts IS NOT NULL AND o.slack_ts <> ''
		  AND (o.id IN (SELECT asked_by FROM checkin_responses WHERE round_id = ? AND user_id = ? AND workspace_id = ?)
		       OR o.cadence_id LIKE ? OR o.cadence_id LIKE ?)
		GROUP BY o.slack_channel, o.slack_ts
		ORDER BY first_id`,
		workspaceID, userID, models.OccurrenceDelivered, roundID, userID, workspaceID,
		key+"#reminder:"+round+":%", key+"#snooze:"+round+":%")
	if err != nil {
		return nil, fmt.Errorf("prompts of round %d for %s: %w", roundID, userID, err)
	}
	out := make([]models.Receipt, 0, len(rows))
	for _, r := range rows {
		out = append(out, models.Receipt{Channel: r.Channel, TS: r.TS})
	}
	return out, nil
}

// PromptUpdate is one person's prompts of a closed round, queued to be
// changed to say the round closed (see QueuePromptUpdates).
type PromptUpdate struct {
	RoundID     int64
	WorkspaceID string
	UserID      string
	Attempts    int
	Token       string
}

type promptUpdateRow struct {
	RoundID       int64      `gorm:"column:round_id;primaryKey"`
	WorkspaceID   string     `gorm:"column:workspace_id"`
	UserID        string     `gorm:"column:user_id;primaryKey"`
	Done          bool       `gorm:"column:done"`
	Attempts      int        `gorm:"column:attempts"`
	NextAttemptAt time.Time  `gorm:"column:next_attempt_at"`
	ClaimToken    string     `gorm:"column:claim_token"`
	ClaimUntil    *time.Time `gorm:"column:claim_until"`
}

func (promptUpdateRow) TableName() string { return "checkin_prompt_updates" }

// QueuePromptUpdates queues, for everyone the round asked whose prompt
// still has its first buttons (asked or snoozed: answering or skipping
// already changed theirs), the change of their prompts to say it closed,
// due at at. Call it in the transaction that closes the round, so the
// change is queued if and only if the round closed; queueing twice is
// harmless.
func (s *Store) QueuePromptUpdates(ctx context.Context, workspaceID string, roundID int64, at time.Time) (int, error) {
	var users []string
	if err := s.db.Conn(ctx).Model(&responseRow{}).Where("round_id = ? AND workspace_id = ? AND status IN ?", roundID, workspaceID, []string{ResponseAsked, ResponseSnoozed}).
		Order("user_id").Pluck("user_id", &users).Error; err != nil {
		return 0, fmt.Errorf("queue prompt updates of round %d: %w", roundID, models.Translate(err))
	}
	if len(users) == 0 {
		return 0, nil
	}
	rows := make([]promptUpdateRow, len(users))
	for i, u := range users {
		rows[i] = promptUpdateRow{RoundID: roundID, WorkspaceID: workspaceID, UserID: u, NextAttemptAt: models.DBTime(at)}
	}
	res := s.db.Conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(&rows, 200)
	if res.Error != nil {
		return 0, fmt.Errorf("queue prompt updates of round %d: %w", roundID, models.Translate(res.Error))
	}
	return int(res.RowsAffected), nil
}

// ClaimPromptUpdates leases up to limit due prompt updates, of every
// workspace, to the caller under token until now+lease, counting the
// attempt. Of concurrent claimers each update goes to one; one whose
// lease ran out (a replica that stopped half-way) is claimed again.
func (s *Store) ClaimPromptUpdates(ctx context.Context, token string, now time.Time, lease time.Duration, limit int) ([]PromptUpdate, error) {
	if token == "" || lease <= 0 || limit <= 0 {
		return nil, fmt.Errorf("claim prompt updates: %w: a claim needs a token, a lease and a limit", models.ErrInvalid)
	}
	now = models.DBTime(now)
	var due []promptUpdateRow
	if err := s.db.Conn(ctx).Where("done = ? AND next_attempt_at <= ? AND (claim_until IS NULL OR claim_until <= ?)", false, now, now).
		Order("next_attempt_at, round_id, user_id").Limit(limit).Find(&due).Error; err != nil {
		return nil, fmt.Errorf("claim prompt updates: %w", models.Translate(err))
	}
	var out []PromptUpdate
	for _, d := range due {
		res := s.db.Conn(ctx).Model(&promptUpdateRow{}).
			Where("round_id = ? AND user_id = ? AND done = ? AND (claim_until IS NULL OR claim_until <= ?)", d.RoundID, d.UserID, false, now).
			Updates(map[string]any{"claim_token": token, "claim_until": models.DBTime(now.Add(lease)), "attempts": d.Attempts + 1})
		if res.Error != nil {
			return out, fmt.Errorf("claim prompt update of round %d: %w", d.RoundID, models.Translate(res.Error))
		}
		if res.RowsAffected == 1 {
			out = append(out, PromptUpdate{RoundID: d.RoundID, WorkspaceID: d.WorkspaceID, UserID: d.UserID, Attempts: d.Attempts + 1, Token: token})
		}
	}
	return out, nil
}

// FinishPromptUpdate ends a claimed prompt update: done, or (retryAt not
// zero) due again then. Only the claim's holder can, else ErrLeaseLost.
func (s *Store) FinishPromptUpdate(ctx context.Context, u PromptUpdate, retryAt time.Time) error {
	upd := map[string]any{"claim_token": "", "claim_until": nil}
	if retryAt.IsZero() {
		upd["done"] = true
	} else {
		upd["next_attempt_at"] = models.DBTime(retryAt)
	}
	res := s.db.Conn(ctx).Model(&promptUpdateRow{}).Where("round_id = ? AND user_id = ? AND done = ? AND claim_token = ?", u.RoundID, u.UserID, false, u.Token).Updates(upd)
	if res.Error != nil {
		return fmt.Errorf("finish prompt update of round %d: %w", u.RoundID, models.Translate(res.Error))
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("finish prompt update of round %d: %w", u.RoundID, models.ErrLeaseLost)
	}
	return nil
}

// messageLockRow is a writer's hold on one Slack message.
type messageLockRow struct {
	Channel     string    `gorm:"column:channel;primaryKey"`
	TS          string    `gorm:"column:ts;primaryKey"`
	WorkspaceID string    `gorm:"column:workspace_id"`
	Token       string    `gorm:"column:token"`
	HeldUntil   time.Time `gorm:"column:held_until"`
}

func (messageLockRow) TableName() string { return "message_locks" }

// LockMessage holds the message channel/ts for the caller under token
// until now+lease, so that one writer at a time reads, changes and writes
// it back (several rounds' prompts share one DM). It reports false, and
// changes nothing, while another token holds it; a hold whose lease ran
// out (a replica that stopped) is taken over. UnlockMessage ends it.
func (s *Store) LockMessage(ctx context.Context, workspaceID, channel, ts, token string, now time.Time, lease time.Duration) (bool, error) {
	if channel == "" || ts == "" || token == "" || lease <= 0 {
		return false, fmt.Errorf("lock message: %w: a lock needs a message, a token and a lease", models.ErrInvalid)
	}
	now = models.DBTime(now)
	row := messageLockRow{Channel: channel, TS: ts, WorkspaceID: workspaceID, Token: token, HeldUntil: models.DBTime(now.Add(lease))}
	res := s.db.Conn(ctx).Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "channel"}, {Name: "ts"}},
		DoUpdates: clause.Set{
			{Column: clause.Column{Name: "workspace_id"}, Value: workspaceID},
			{Column: clause.Column{Name: "token"}, Value: token},
			{Column: clause.Column{Name: "held_until"}, Value: row.HeldUntil},
		},
		Where: clause.Where{Exprs: []clause.Expression{clause.Expr{SQL: "message_locks.held_until <= ?", Vars: []any{now}}}},
	}).Create(&row)
	if res.Error != nil {
		return false, fmt.Errorf("lock message %s/%s: %w", channel, ts, models.Translate(res.Error))
	}
	return res.RowsAffected == 1, nil
}

// UnlockMessage ends the hold token has on channel/ts; it does nothing
// when the hold is another's (its lease ran out and it was taken over).
func (s *Store) UnlockMessage(ctx context.Context, channel, ts, token string) error {
	if err := s.db.Conn(ctx).Where("channel = ? AND ts = ? AND token = ?", channel, ts, token).Delete(&messageLockRow{}).Error; err != nil {
		return fmt.Errorf("unlock message %s/%s: %w", channel, ts, models.Translate(err))
	}
	return nil
}
