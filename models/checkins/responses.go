package checkins

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm/clause"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
)

// Who was asked a round and how they responded: marking a person asked,
// skipping and snoozing, everyone's responses, a round's counts, one
// person's response and answers, and the rounds still waiting for them.

// Response statuses.
const (
	// ResponseAsked means the person got the round and has not answered,
	// skipped or snoozed it yet (see MarkAsked).
	ResponseAsked    = "asked"
	ResponseAnswered = "answered"
	ResponseSkipped  = "skipped"
	ResponseSnoozed  = "snoozed"
)

type responseRow struct {
	RoundID     int64  `gorm:"column:round_id;primaryKey"`
	WorkspaceID string `gorm:"column:workspace_id"`
	UserID      string `gorm:"column:user_id;primaryKey"`
	Status      string `gorm:"column:status"`
	AnonymousIn bool   `gorm:"column:anonymous_in"`
	// AskedBy is the occurrence whose message first asked the person.
	AskedBy   int64     `gorm:"column:asked_by"`
	UpdatedAt time.Time `gorm:"column:updated_at"`
}

func (responseRow) TableName() string { return "checkin_responses" }

// MarkAsked records that a person was sent a round by the occurrence
// with id by, as a response with status ResponseAsked. It never overwrites
// a response they already have (answered, skipped, snoozed or asked);
// answering or declining later replaces the asked status. It returns the
// occurrence that asked them first (0 when they responded before being
// asked), so a second message asking the same round can stand down.
func (s *Store) MarkAsked(ctx context.Context, workspaceID string, roundID int64, userID string, by int64) (int64, error) {
	if userID == "" {
		return 0, fmt.Errorf("mark asked in round %d: %w: no person", roundID, models.ErrInvalid)
	}
	var first int64
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		var n int64
		if err := s.db.Conn(ctx).Model(&roundRow{}).Where("id = ? AND workspace_id = ?", roundID, workspaceID).Count(&n).Error; err != nil {
			return models.Translate(err)
		}
		if n == 0 {
			return models.ErrNotFound
		}
		row := responseRow{RoundID: roundID, WorkspaceID: workspaceID, UserID: userID, Status: ResponseAsked, AskedBy: by, UpdatedAt: s.db.Now()}
		if err := models.Translate(s.db.Conn(ctx).Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "round_id"}, {Name: "user_id"}},
			DoNothing: true,
		}).Create(&row).Error); err != nil {
			return err
		}
		var got responseRow
		if err := s.db.Conn(ctx).Where("round_id = ? AND user_id = ?", roundID, userID).Take(&got).Error; err != nil {
			return models.Translate(err)
		}
		first = got.AskedBy
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("mark %s asked in round %d: %w", userID, roundID, err)
	}
	return first, nil
}

func (s *Store) respond(ctx context.Context, r responseRow) error {
	return models.Translate(s.db.Conn(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "round_id"}, {Name: "user_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"status", "anonymous_in", "updated_at"}),
	}).Create(&r).Error)
}

// Decline records that a person skipped or snoozed a round. It never
// undoes an answer: a person who answered and then presses Skip keeps
// their answer.
func (s *Store) Decline(ctx context.Context, workspaceID string, roundID int64, userID, status string) error {
	if status != ResponseSkipped && status != ResponseSnoozed {
		return fmt.Errorf("decline round %d: %w: status %q", roundID, models.ErrInvalid, status)
	}
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		var prev responseRow
		err := models.Translate(s.db.Conn(ctx).Where("round_id = ? AND user_id = ?", roundID, userID).Take(&prev).Error)
		if err == nil && prev.Status == ResponseAnswered {
			return nil
		}
		if err != nil && !errors.Is(err, models.ErrNotFound) {
			return err
		}
		return s.respond(ctx, responseRow{RoundID: roundID, WorkspaceID: workspaceID, UserID: userID, Status: status,
			AnonymousIn: prev.AnonymousIn, UpdatedAt: s.db.Now()})
	})
	if err != nil {
		return fmt.Errorf("decline round %d: %w", roundID, err)
	}
	return nil
}

// Response is what one person did with a round, with their identified
// answers by question id.
type Response struct {
	UserID  string
	Status  string
	Answers map[int]string
	// AnonymousIn reports that the person's anonymous answers to the round
	// are counted (they cannot give them again). It says nothing of what
	// they were.
	AnonymousIn bool
}

// AnonymousCounted reports whether anonymous answers the person gives to
// round now would be counted: only their first ones, and only while the
// round is open. The answer form makes uncounted anonymous questions
// optional (see Checkin.AnonymousOptional).
func (r Response) AnonymousCounted(round Round) bool { return !r.AnonymousIn && !round.Closed }

// AnonymousOptional returns c with its anonymous questions made optional,
// for a person whose anonymous answers would not be counted.
func (c Checkin) AnonymousOptional() Checkin {
	qs := slices.Clone(c.Questions)
	for i := range qs {
		if qs[i].Anonymous {
			qs[i].Required = false
		}
	}
	c.Questions = qs
	return c
}

// Responses returns everyone's responses to a round, by user id order.
func (s *Store) Responses(ctx context.Context, workspaceID string, roundID int64) ([]Response, error) {
	var rs []responseRow
	if err := s.db.Conn(ctx).Where("round_id = ? AND workspace_id = ?", roundID, workspaceID).Order("user_id").Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("responses to round %d: %w", roundID, models.Translate(err))
	}
	var as []answerRow
	if err := s.db.Conn(ctx).Where("round_id = ? AND workspace_id = ?", roundID, workspaceID).Find(&as).Error; err != nil {
		return nil, fmt.Errorf("answers to round %d: %w", roundID, models.Translate(err))
	}
	byUser := map[string]map[int]string{}
	for _, a := range as {
		if byUser[a.UserID] == nil {
			byUser[a.UserID] = map[int]string{}
		}
		byUser[a.UserID][int(a.QuestionID)] = a.Value
	}
	out := make([]Response, len(rs))
	for i, r := range rs {
		out[i] = Response{UserID: r.UserID, Status: r.Status, Answers: byUser[r.UserID], AnonymousIn: r.AnonymousIn}
	}
	return out, nil
}

// RoundCounts counts a round's responses: asked is everyone with a
// response of any status, answered those who answered, and blockers the
// identified "yes" answers to its blocked questions.
func (s *Store) RoundCounts(ctx context.Context, workspaceID string, roundID int64) (asked, answered, blockers int, err error) {
	if _, err := s.Round(ctx, workspaceID, roundID); err != nil {
		return 0, 0, 0, fmt.Errorf("count round %d: %w", roundID, err)
	}
	var counts struct {
		Asked    int `gorm:"column:asked"`
		Answered int `gorm:"column:answered"`
	}
	if err := s.db.Conn(ctx).Raw(`
		SELECT COUNT(*) AS asked, COALESCE(SUM(CASE WHEN status = ? THEN 1 ELSE 0 END), 0) AS answered
		FROM checkin_responses WHERE round_id = ? AND workspace_id = ?`,
		ResponseAnswered, roundID, workspaceID).Scan(&counts).Error; err != nil {
		return 0, 0, 0, fmt.Errorf("count round %d: %w", roundID, models.Translate(err))
	}
	// Blockers are the "yes" answers to the blocked questions they were
	// given to, whatever the check-in asks now.
	var n int64
	if err := s.db.Conn(ctx).Raw(`
		SELECT COUNT(*) FROM checkin_answers a JOIN checkin_questions q ON q.id = a.question_id
		WHERE a.round_id = ? AND q.kind = ? AND a.value = ?`, roundID, string(KindBlocked), "yes").Row().Scan(&n); err != nil {
		return 0, 0, 0, fmt.Errorf("count round %d: blockers: %w", roundID, models.Translate(err))
	}
	return counts.Asked, counts.Answered, int(n), nil
}

// MyResponse returns one person's response to a round, with their
// identified answers, or ErrNotFound when they have none.
func (s *Store) MyResponse(ctx context.Context, workspaceID string, roundID int64, userID string) (Response, error) {
	var r responseRow
	if err := s.db.Conn(ctx).Where("round_id = ? AND workspace_id = ? AND user_id = ?", roundID, workspaceID, userID).
		Take(&r).Error; err != nil {
		return Response{}, fmt.Errorf("response of %s to round %d: %w", userID, roundID, models.Translate(err))
	}
	answers, err := s.answersOf(ctx, roundID, userID)
	if err != nil {
		return Response{}, fmt.Errorf("response of %s to round %d: %w", userID, roundID, err)
	}
	return Response{UserID: r.UserID, Status: r.Status, Answers: answers, AnonymousIn: r.AnonymousIn}, nil
}

// answersOf returns a person's identified answers to a round by question
// id, nil when there are none.
func (s *Store) answersOf(ctx context.Context, roundID int64, userID string) (map[int]string, error) {
	var as []answerRow
	if err := s.db.Conn(ctx).Where("round_id = ? AND user_id = ?", roundID, userID).Find(&as).Error; err != nil {
		return nil, models.Translate(err)
	}
	if len(as) == 0 {
		return nil, nil
	}
	out := make(map[int]string, len(as))
	for _, a := range as {
		out[int(a.QuestionID)] = a.Value
	}
	return out, nil
}

// LastAnswers returns a person's identified answers, by question id, to the
// latest round of the check-in dated before beforeDate that they
// answered: what the answer form offers to start from. It is nil when
// there is none.
func (s *Store) LastAnswers(ctx context.Context, workspaceID string, checkinID int64, userID string, beforeDate calendar.Date) (map[int]string, error) {
	rows, err := models.QueryRows[struct {
		ID int64 `gorm:"column:id"`
	}](ctx, s.db, `
		SELECT r.id FROM checkin_rounds r JOIN checkin_responses p ON p.round_id = r.id
		WHERE r.workspace_id = ? AND r.checkin_id = ? AND r.round_date < ? AND p.user_id = ? AND p.status = ?
		ORDER BY r.round_date DESC LIMIT 1`,
		workspaceID, checkinID, beforeDate.String(), userID, ResponseAnswered)
	if err != nil {
		return nil, fmt.Errorf("last answers of %s to check-in %d: %w", userID, checkinID, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	answers, err := s.answersOf(ctx, rows[0].ID, userID)
	if err != nil {
		return nil, fmt.Errorf("last answers of %s to check-in %d: %w", userID, checkinID, err)
	}
	return answers, nil
}

// PendingRound is a round a person was asked and has not answered,
// skipped or finished.
type PendingRound struct {
	Round   Round
	Checkin Checkin
	// Status is ResponseAsked or ResponseSnoozed.
	Status string
}

// maxPending is the most rounds Pending returns.
const maxPending = 10

// Pending returns the rounds a person was asked or snoozed and can still
// answer — rounds the person has not been asked a later one of, as answers
// are taken until their next round starts — newest first, at most 10.
func (s *Store) Pending(ctx context.Context, workspaceID, userID string) ([]PendingRound, error) {
	rows, err := models.QueryRows[struct {
		Round  roundRow `gorm:"embedded"`
		Status string   `gorm:"column:status"`
	}](ctx, s.db, `
		SELECT r.id, r.checkin_id, r.workspace_id, r.round_date, r.opened_at, r.closes_at, r.thread_ts, r.closed, p.status
		FROM checkin_responses p JOIN checkin_rounds r ON r.id = p.round_id
		WHERE p.workspace_id = ? AND p.user_id = ? AND p.status IN (?, ?)
		  AND NOT EXISTS (SELECT 1 FROM checkin_rounds n JOIN checkin_responses q ON q.round_id = n.id
		                  WHERE n.checkin_id = r.checkin_id AND n.round_date > r.round_date AND q.user_id = p.user_id)
		ORDER BY r.round_date DESC, r.opened_at DESC, r.id DESC
		LIMIT ?`, workspaceID, userID, ResponseAsked, ResponseSnoozed, maxPending)
	if err != nil {
		return nil, fmt.Errorf("pending rounds of %s: %w", userID, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.Round.CheckinID
	}
	var crows []checkinRow
	if err := s.db.Conn(ctx).Where("workspace_id = ? AND id IN ?", workspaceID, ids).Find(&crows).Error; err != nil {
		return nil, fmt.Errorf("pending rounds of %s: %w", userID, models.Translate(err))
	}
	list, err := s.complete(ctx, crows)
	if err != nil {
		return nil, fmt.Errorf("pending rounds of %s: %w", userID, err)
	}
	byID := make(map[int64]Checkin, len(list))
	for _, c := range list {
		byID[c.ID] = c
	}
	out := make([]PendingRound, 0, len(rows))
	for _, r := range rows {
		if c, ok := byID[r.Round.CheckinID]; ok {
			out = append(out, PendingRound{Round: r.Round.domain(), Checkin: c, Status: r.Status})
		}
	}
	return out, nil
}
