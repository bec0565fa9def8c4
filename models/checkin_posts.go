package models

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm/clause"
)

// What the check-in runtime stores beyond check-ins and answers: the
// messages a check-in posts in its channel, who was asked, rounds closing,
// a person's pending rounds, editing a check-in and exporting its answers.

// PostKind is what a check-in post is.
type PostKind string

// The kinds of check-in post.
const (
	// PostHeader is the message a round's thread hangs from
	// (DestinationThread).
	PostHeader PostKind = "header"
	// PostAnswer is one version of a person's answer: the answer, then one
	// more for each edit.
	PostAnswer PostKind = "answer"
	// PostSummary is the round's summary, posted when it closes.
	PostSummary PostKind = "summary"
)

// CheckinPost is one message (or, for a long answer, several) the
// check-in posts in its channel, kept so a crash or a Slack error never
// loses or duplicates it. It is queued in the transaction that decides it,
// then claimed under a lease, posted and marked posted by the lease's
// holder.
type CheckinPost struct {
	ID          int64
	WorkspaceID string
	RoundID     int64
	CheckinID   int64
	Kind        PostKind
	// UserID is the person whose answer it is; "" for a header or a
	// summary.
	UserID string
	// Version is 1 for a person's answer and one more for each edit of
	// it; headers and summaries are version 1.
	Version int
	// Channel is where it is posted.
	Channel string
	// TS are the timestamps of its messages once posted, in posting order.
	TS     []string
	Posted bool
	// Attempts counts the claims of it so far.
	Attempts int
	// NextAttemptAt is when it is due to be posted (again).
	NextAttemptAt time.Time
	// ClaimToken and ClaimUntil are the current or last claim's; the post
	// is free to claim once ClaimUntil has passed, or when it is zero.
	ClaimToken string
	ClaimUntil time.Time
	CreatedAt  time.Time
}

type postRow struct {
	ID            int64      `gorm:"column:id;primaryKey;autoIncrement"`
	WorkspaceID   string     `gorm:"column:workspace_id"`
	RoundID       int64      `gorm:"column:round_id"`
	CheckinID     int64      `gorm:"column:checkin_id"`
	Kind          string     `gorm:"column:kind"`
	UserID        string     `gorm:"column:user_id"`
	Version       int        `gorm:"column:version"`
	Channel       string     `gorm:"column:channel"`
	TS            string     `gorm:"column:ts"`
	Posted        bool       `gorm:"column:posted"`
	Attempts      int        `gorm:"column:attempts"`
	NextAttemptAt time.Time  `gorm:"column:next_attempt_at"`
	ClaimToken    string     `gorm:"column:claim_token"`
	ClaimUntil    *time.Time `gorm:"column:claim_until"`
	CreatedAt     time.Time  `gorm:"column:created_at"`
}

func (postRow) TableName() string { return "checkin_posts" }

func (r postRow) domain() CheckinPost {
	var ts []string
	if r.TS != "" {
		ts = strings.Split(r.TS, ",")
	}
	return CheckinPost{
		ID: r.ID, WorkspaceID: r.WorkspaceID, RoundID: r.RoundID, CheckinID: r.CheckinID, Kind: PostKind(r.Kind),
		UserID: r.UserID, Version: r.Version, Channel: r.Channel, TS: ts, Posted: r.Posted, Attempts: r.Attempts,
		NextAttemptAt: r.NextAttemptAt.UTC(), ClaimToken: r.ClaimToken, ClaimUntil: fromNullTime(r.ClaimUntil),
		CreatedAt: r.CreatedAt.UTC(),
	}
}

// QueuePost stores a post to be made, and returns it as stored. Queueing
// is idempotent on the post's identity (round, kind, person, version):
// queueing it again returns the stored post unchanged. A zero Version is
// 1, and headers and summaries are always version 1; NextAttemptAt
// defaults to now. CheckinID is the round's check-in's. A post queued
// with Posted set is recorded as already posted, with its Channel and TS.
func (s *Checkins) QueuePost(ctx context.Context, p CheckinPost) (CheckinPost, error) {
	if p.Version == 0 {
		p.Version = 1
	}
	var problem string
	switch {
	case p.WorkspaceID == "" || p.RoundID == 0:
		problem = "a post needs a workspace and a round"
	case p.Kind != PostHeader && p.Kind != PostAnswer && p.Kind != PostSummary:
		problem = fmt.Sprintf("unknown kind %q", p.Kind)
	case p.Kind == PostAnswer && (p.UserID == "" || p.Version < 1):
		problem = "an answer post needs a person and a version from 1"
	case p.Kind != PostAnswer && (p.UserID != "" || p.Version != 1):
		problem = fmt.Sprintf("a %s post has no person and is version 1", p.Kind)
	}
	ts, err := joinTS(p.TS)
	switch {
	case problem != "":
		return CheckinPost{}, fmt.Errorf("queue %s post of round %d: %w: %s", p.Kind, p.RoundID, ErrInvalid, problem)
	case err != nil:
		return CheckinPost{}, fmt.Errorf("queue %s post of round %d: %w", p.Kind, p.RoundID, err)
	}
	var out CheckinPost
	err = s.db.Tx(ctx, func(ctx context.Context) error {
		var round roundRow
		if err := s.db.conn(ctx).Where("id = ? AND workspace_id = ?", p.RoundID, p.WorkspaceID).Take(&round).Error; err != nil {
			return translate(err)
		}
		if p.CheckinID != 0 && p.CheckinID != round.CheckinID {
			return fmt.Errorf("%w: round %d is not of check-in %d", ErrInvalid, p.RoundID, p.CheckinID)
		}
		now := s.db.now()
		next := now
		if !p.NextAttemptAt.IsZero() {
			next = dbTime(p.NextAttemptAt)
		}
		row := postRow{WorkspaceID: p.WorkspaceID, RoundID: p.RoundID, CheckinID: round.CheckinID, Kind: string(p.Kind),
			UserID: p.UserID, Version: p.Version, Channel: p.Channel, TS: ts, Posted: p.Posted, NextAttemptAt: next, CreatedAt: now}
		if err := s.db.conn(ctx).Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "round_id"}, {Name: "kind"}, {Name: "user_id"}, {Name: "version"}},
			DoNothing: true,
		}).Create(&row).Error; err != nil {
			return translate(err)
		}
		var got postRow
		if err := s.db.conn(ctx).Where("round_id = ? AND kind = ? AND user_id = ? AND version = ?",
			p.RoundID, string(p.Kind), p.UserID, p.Version).Take(&got).Error; err != nil {
			return translate(err)
		}
		out = got.domain()
		return nil
	})
	if err != nil {
		return CheckinPost{}, fmt.Errorf("queue %s post of round %d: %w", p.Kind, p.RoundID, err)
	}
	return out, nil
}

// ClaimPost leases a post to the caller under token until now+lease,
// counting the attempt, and returns it as claimed and true. It is one
// atomic UPDATE, so of concurrent claimers exactly one wins; the others,
// and anyone claiming a post already posted or held by a lease that has
// not run out, get false and no error. It does not look at NextAttemptAt:
// DuePosts finds the posts that are due.
func (s *Checkins) ClaimPost(ctx context.Context, workspaceID string, id int64, token string, now time.Time, lease time.Duration) (CheckinPost, bool, error) {
	rows, err := s.posts().Claim(ctx, workspaceID, id, token, now, lease)
	if err != nil {
		return CheckinPost{}, false, fmt.Errorf("claim post %d: %w", id, err)
	}
	if len(rows) == 0 {
		return CheckinPost{}, false, nil
	}
	return rows[0].domain(), true, nil
}

// posts is the check-ins' post outbox.
func (s *Checkins) posts() Outbox[postRow] { return NewOutbox[postRow](s.db, "checkin_posts") }

// DuePosts returns up to limit posts, of every workspace, that are not
// posted, due at now and free to claim (never claimed, or their lease ran
// out), by id. The search uses checkin_posts_due.
func (s *Checkins) DuePosts(ctx context.Context, now time.Time, limit int) ([]CheckinPost, error) {
	rows, err := s.posts().Due(ctx, now, limit)
	if err != nil {
		return nil, fmt.Errorf("due posts: %w", err)
	}
	out := make([]CheckinPost, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// NextPostDue returns the earliest instant at which a post not yet posted
// is due and free to claim: its NextAttemptAt, or its ClaimUntil if that
// is later. ok is false when every post is posted.
func (s *Checkins) NextPostDue(ctx context.Context) (at time.Time, ok bool, err error) {
	at, ok, err = s.posts().NextDue(ctx)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next post due: %w", err)
	}
	return at, ok, nil
}

// MarkPosted records that a claimed post was posted in channel (the
// queued channel when "") as the messages ts, and ends the claim. Only the
// claim's holder can: if the post is not held under token any more (it
// was claimed again after the lease ran out, or is already posted),
// nothing changes and the error is ErrLeaseLost. A lease that ran out
// still marks while nobody else has claimed the post.
func (s *Checkins) MarkPosted(ctx context.Context, id int64, token, channel string, ts []string) error {
	if err := s.posts().MarkPosted(ctx, id, token, channel, ts); err != nil {
		return fmt.Errorf("mark post %d posted: %w", id, err)
	}
	return nil
}

// RenewPost extends the lease of a claimed post to until. Only the
// claim's holder can: if the post is not held under token any more, or is
// posted, nothing changes and the error is ErrLeaseLost.
func (s *Checkins) RenewPost(ctx context.Context, id int64, token string, until time.Time) error {
	if err := s.posts().Renew(ctx, id, token, until); err != nil {
		return fmt.Errorf("renew post %d: %w", id, err)
	}
	return nil
}

// RetryPost gives a claimed post back, due again at at, and ends the
// claim (Slack failed or asked to wait). Like MarkPosted, only the claim's
// holder can, else ErrLeaseLost.
func (s *Checkins) RetryPost(ctx context.Context, id int64, token string, at time.Time) error {
	if err := s.posts().Retry(ctx, id, token, at); err != nil {
		return fmt.Errorf("retry post %d: %w", id, err)
	}
	return nil
}

// RoundPost returns a round's header or summary post, or ErrNotFound.
func (s *Checkins) RoundPost(ctx context.Context, roundID int64, kind PostKind) (CheckinPost, error) {
	if kind != PostHeader && kind != PostSummary {
		return CheckinPost{}, fmt.Errorf("%s post of round %d: %w: only headers and summaries are one per round", kind, roundID, ErrInvalid)
	}
	var r postRow
	if err := s.db.conn(ctx).Where("round_id = ? AND kind = ? AND user_id = '' AND version = 1", roundID, string(kind)).
		Take(&r).Error; err != nil {
		return CheckinPost{}, fmt.Errorf("%s post of round %d: %w", kind, roundID, translate(err))
	}
	return r.domain(), nil
}

// AnswerPosts returns a person's answer posts in a round, by version.
func (s *Checkins) AnswerPosts(ctx context.Context, roundID int64, userID string) ([]CheckinPost, error) {
	var rows []postRow
	if err := s.db.conn(ctx).Where("round_id = ? AND kind = ? AND user_id = ?", roundID, string(PostAnswer), userID).
		Order("version").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("answer posts of %s in round %d: %w", userID, roundID, translate(err))
	}
	out := make([]CheckinPost, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// lastAnswerVersion is the highest version of a person's answer posts in
// a round, 0 when there is none.
func (s *Checkins) lastAnswerVersion(ctx context.Context, roundID int64, userID string) (int, error) {
	var v int
	err := s.db.conn(ctx).Raw(`SELECT COALESCE(MAX(version), 0) FROM checkin_posts WHERE round_id = ? AND kind = ? AND user_id = ?`,
		roundID, string(PostAnswer), userID).Row().Scan(&v)
	return v, translate(err)
}

// MarkAsked records that a person was sent a round by the occurrence
// with id by, as a response with status ResponseAsked. It never overwrites
// a response they already have (answered, skipped, snoozed or asked);
// answering or declining later replaces the asked status. It returns the
// occurrence that asked them first (0 when they responded before being
// asked), so a second message asking the same round can stand down.
func (s *Checkins) MarkAsked(ctx context.Context, workspaceID string, roundID int64, userID string, by int64) (int64, error) {
	if userID == "" {
		return 0, fmt.Errorf("mark asked in round %d: %w: no person", roundID, ErrInvalid)
	}
	var first int64
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		var n int64
		if err := s.db.conn(ctx).Model(&roundRow{}).Where("id = ? AND workspace_id = ?", roundID, workspaceID).Count(&n).Error; err != nil {
			return translate(err)
		}
		if n == 0 {
			return ErrNotFound
		}
		row := responseRow{RoundID: roundID, WorkspaceID: workspaceID, UserID: userID, Status: ResponseAsked, AskedBy: by, UpdatedAt: s.db.now()}
		if err := translate(s.db.conn(ctx).Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "round_id"}, {Name: "user_id"}},
			DoNothing: true,
		}).Create(&row).Error); err != nil {
			return err
		}
		var got responseRow
		if err := s.db.conn(ctx).Where("round_id = ? AND user_id = ?", roundID, userID).Take(&got).Error; err != nil {
			return translate(err)
		}
		first = got.AskedBy
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("mark %s asked in round %d: %w", userID, roundID, err)
	}
	return first, nil
}

// RoundCounts counts a round's responses: asked is everyone with a
// response of any status, answered those who answered, and blockers the
// identified "yes" answers to its blocked questions.
func (s *Checkins) RoundCounts(ctx context.Context, workspaceID string, roundID int64) (asked, answered, blockers int, err error) {
	if _, err := s.Round(ctx, workspaceID, roundID); err != nil {
		return 0, 0, 0, fmt.Errorf("count round %d: %w", roundID, err)
	}
	var counts struct {
		Asked    int `gorm:"column:asked"`
		Answered int `gorm:"column:answered"`
	}
	if err := s.db.conn(ctx).Raw(`
		SELECT COUNT(*) AS asked, COALESCE(SUM(CASE WHEN status = ? THEN 1 ELSE 0 END), 0) AS answered
		FROM checkin_responses WHERE round_id = ? AND workspace_id = ?`,
		ResponseAnswered, roundID, workspaceID).Scan(&counts).Error; err != nil {
		return 0, 0, 0, fmt.Errorf("count round %d: %w", roundID, translate(err))
	}
	// Blockers are the "yes" answers to the blocked questions they were
	// given to, whatever the check-in asks now.
	var n int64
	if err := s.db.conn(ctx).Raw(`
		SELECT COUNT(*) FROM checkin_answers a JOIN checkin_questions q ON q.id = a.question_id
		WHERE a.round_id = ? AND q.kind = ? AND a.value = ?`, roundID, string(KindBlocked), "yes").Row().Scan(&n); err != nil {
		return 0, 0, 0, fmt.Errorf("count round %d: blockers: %w", roundID, translate(err))
	}
	return counts.Asked, counts.Answered, int(n), nil
}

// Round returns a round, or ErrNotFound.
func (s *Checkins) Round(ctx context.Context, workspaceID string, id int64) (Round, error) {
	var r roundRow
	if err := s.db.conn(ctx).Where("id = ? AND workspace_id = ?", id, workspaceID).Take(&r).Error; err != nil {
		return Round{}, fmt.Errorf("get round %d: %w", id, translate(err))
	}
	return r.domain(), nil
}

// SetThreadTS records the round's thread, the timestamp of its header
// post. It sets it only while none is recorded: a thread, once there,
// stays the round's thread. A missing round is ErrNotFound.
func (s *Checkins) SetThreadTS(ctx context.Context, roundID int64, ts string) error {
	if ts == "" {
		return fmt.Errorf("set thread of round %d: %w: no timestamp", roundID, ErrInvalid)
	}
	res := s.db.conn(ctx).Model(&roundRow{}).Where("id = ? AND thread_ts = ''", roundID).Update("thread_ts", ts)
	if res.Error != nil {
		return fmt.Errorf("set thread of round %d: %w", roundID, translate(res.Error))
	}
	if res.RowsAffected > 0 {
		return nil
	}
	var n int64
	if err := s.db.conn(ctx).Model(&roundRow{}).Where("id = ?", roundID).Count(&n).Error; err != nil {
		return fmt.Errorf("set thread of round %d: %w", roundID, translate(err))
	}
	if n == 0 {
		return fmt.Errorf("set thread of round %d: %w", roundID, ErrNotFound)
	}
	return nil
}

// CloseDueRounds closes up to limit rounds whose ClosesAt is at or before
// now, earliest first, and returns those it closed. Each round closes in
// its own transaction: an UPDATE that takes it only while it is still
// open and due, so of two replicas closing together exactly one closes
// each round (on Postgres the other waits for its row and then finds it
// closed). onClose (may be nil) runs in that transaction with its ctx, so
// whatever it writes — the summary post, one-off occurrences — commits or
// rolls back with the close; it must not call Slack. If onClose fails, that
// round stays open (to be tried again on a later call), the other rounds
// are still handled, and the errors are returned together with the rounds
// that did close. When onClose returns a *PostponeClose, the round stays
// open until its Until instead, with nothing else written. A round whose
// check-in is gone is skipped.
func (s *Checkins) CloseDueRounds(ctx context.Context, now time.Time, limit int, onClose func(ctx context.Context, c Checkin, r Round) error) ([]Round, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("close due rounds: %w: limit %d must be positive", ErrInvalid, limit)
	}
	now = dbTime(now)
	var due []roundRow
	if err := s.db.conn(ctx).Where("closed = ? AND closes_at <= ?", false, now).Order("closes_at, id").Limit(limit).
		Find(&due).Error; err != nil {
		return nil, fmt.Errorf("close due rounds: %w", translate(err))
	}
	var closed []Round
	var errs []error
	for _, d := range due {
		var round Round
		var done bool
		err := s.db.Tx(ctx, func(ctx context.Context) error {
			done = false
			res := s.db.conn(ctx).Model(&roundRow{}).Where("id = ? AND closed = ? AND closes_at <= ?", d.ID, false, now).
				Update("closed", true)
			if res.Error != nil {
				return translate(res.Error)
			}
			if res.RowsAffected == 0 {
				return nil // closed by someone else, or reopened until later
			}
			var r roundRow
			if err := s.db.conn(ctx).Where("id = ?", d.ID).Take(&r).Error; err != nil {
				return translate(err)
			}
			c, err := s.Get(ctx, r.WorkspaceID, r.CheckinID)
			if errors.Is(err, ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			// The anonymous counts are final now; writing them all once
			// more makes their Postgres xmin and ctid the close's, not the
			// last anonymous answer's transaction (which also wrote that
			// person's response).
			if err := s.db.conn(ctx).Exec(`UPDATE checkin_anonymous SET n = n WHERE round_id = ?`, r.ID).Error; err != nil {
				return translate(err)
			}
			round = r.domain()
			if onClose != nil {
				err := onClose(ctx, c, round)
				var later *PostponeClose
				if errors.As(err, &later) && later.Until.After(now) {
					// Someone is still to be asked this round: it stays
					// open until then.
					return translate(s.db.conn(ctx).Model(&roundRow{}).Where("id = ?", d.ID).
						Updates(map[string]any{"closed": false, "closes_at": dbTime(later.Until)}).Error)
				}
				if err != nil {
					return err
				}
			}
			done = true
			return nil
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("round %d: %w", d.ID, err))
			continue
		}
		if done {
			closed = append(closed, round)
		}
	}
	if len(errs) > 0 {
		return closed, fmt.Errorf("close due rounds: %w", errors.Join(errs...))
	}
	return closed, nil
}

// AskedLater reports whether the person has been asked (or has answered)
// a round of the check-in dated after date: a round stays theirs to
// answer until then, whatever later rounds people in other zones have
// started.
func (s *Checkins) AskedLater(ctx context.Context, workspaceID string, checkinID int64, userID string, date Date) (bool, error) {
	var n int64
	err := s.db.conn(ctx).Table("checkin_responses AS q").Joins("JOIN checkin_rounds n ON n.id = q.round_id").
		Where("n.workspace_id = ? AND n.checkin_id = ? AND q.user_id = ? AND n.round_date > ?", workspaceID, checkinID, userID, date.String()).
		Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("later rounds of check-in %d for %s: %w", checkinID, userID, translate(err))
	}
	return n > 0, nil
}

// PostponeClose is what a CloseDueRounds onClose returns to keep a round
// open until Until instead of closing it: a participant further west is
// still to be asked that day.
type PostponeClose struct{ Until time.Time }

func (p *PostponeClose) Error() string {
	return "round stays open until " + p.Until.UTC().Format(time.RFC3339)
}

// NextRoundClose returns the earliest ClosesAt of the rounds still open;
// ok is false when there is none.
func (s *Checkins) NextRoundClose(ctx context.Context) (at time.Time, ok bool, err error) {
	rows, err := queryRows[struct {
		At time.Time `gorm:"column:at"`
	}](ctx, s.db, `SELECT closes_at AS at FROM checkin_rounds WHERE closed = ? ORDER BY closes_at LIMIT 1`, false)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next round close: %w", err)
	}
	if len(rows) == 0 {
		return time.Time{}, false, nil
	}
	return rows[0].At.UTC(), true, nil
}

// LatestRound returns the check-in's round with the latest date, or
// ErrNotFound when it has none yet.
func (s *Checkins) LatestRound(ctx context.Context, workspaceID string, checkinID int64) (Round, error) {
	var r roundRow
	if err := s.db.conn(ctx).Where("workspace_id = ? AND checkin_id = ?", workspaceID, checkinID).
		Order("round_date DESC").Take(&r).Error; err != nil {
		return Round{}, fmt.Errorf("latest round of check-in %d: %w", checkinID, translate(err))
	}
	return r.domain(), nil
}

// MyResponse returns one person's response to a round, with their
// identified answers, or ErrNotFound when they have none.
func (s *Checkins) MyResponse(ctx context.Context, workspaceID string, roundID int64, userID string) (Response, error) {
	var r responseRow
	if err := s.db.conn(ctx).Where("round_id = ? AND workspace_id = ? AND user_id = ?", roundID, workspaceID, userID).
		Take(&r).Error; err != nil {
		return Response{}, fmt.Errorf("response of %s to round %d: %w", userID, roundID, translate(err))
	}
	answers, err := s.answersOf(ctx, roundID, userID)
	if err != nil {
		return Response{}, fmt.Errorf("response of %s to round %d: %w", userID, roundID, err)
	}
	return Response{UserID: r.UserID, Status: r.Status, Answers: answers, AnonymousIn: r.AnonymousIn}, nil
}

// answersOf returns a person's identified answers to a round by question
// id, nil when there are none.
func (s *Checkins) answersOf(ctx context.Context, roundID int64, userID string) (map[int]string, error) {
	var as []answerRow
	if err := s.db.conn(ctx).Where("round_id = ? AND user_id = ?", roundID, userID).Find(&as).Error; err != nil {
		return nil, translate(err)
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
func (s *Checkins) LastAnswers(ctx context.Context, workspaceID string, checkinID int64, userID string, beforeDate Date) (map[int]string, error) {
	rows, err := queryRows[struct {
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

// ForPerson returns the check-ins a person owns or is asked (a target of
// the check-in's schedule), ordered by name then id.
func (s *Checkins) ForPerson(ctx context.Context, workspaceID, userID string) ([]Checkin, error) {
	targets, err := s.schedules.ForRecipient(ctx, workspaceID, userID)
	if err != nil {
		return nil, fmt.Errorf("check-ins of %s: %w", userID, err)
	}
	var ids []int64
	for _, t := range targets {
		kind, id, _ := strings.Cut(t.Schedule.Key, ":")
		if n, err := strconv.ParseInt(id, 10, 64); kind == "checkin" && err == nil {
			ids = append(ids, n)
		}
	}
	q := s.db.conn(ctx).Where("workspace_id = ?", workspaceID)
	if len(ids) > 0 {
		q = q.Where("(owner_id = ? OR id IN ?)", userID, ids)
	} else {
		q = q.Where("owner_id = ?", userID)
	}
	var rows []checkinRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("check-ins of %s: %w", userID, translate(err))
	}
	out, err := s.complete(ctx, rows)
	if err != nil {
		return nil, fmt.Errorf("check-ins of %s: %w", userID, err)
	}
	// Sorted here, so both databases agree whatever their collation.
	slices.SortFunc(out, func(a, b Checkin) int { return cmp.Or(strings.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID)) })
	return out, nil
}

// Update changes a check-in for actor (its owner, or an admin when admin
// is set; anyone else gets ErrNotOwner): its name, questions, cadence,
// anchor (kept when c.Anchor is zero), participants mode, chosen people,
// destination, round length and reminders. The channel, owner and paused
// state are not changed here. c is checked as Create checks it (a
// *CheckinError, nothing stored). The schedule follows in the same
// transaction (title, cadence, anchor; its paused state and channel zone
// kept). In chosen mode the schedule's targets become the people; in
// channel mode the caller sets them from the channel's members with
// SetParticipants, and until then the targets stay as they were.
//
// Questions keep their ids only while their meaning is unchanged (see
// saveQuestions): answers already given stay with the exact question they
// were given to, whatever is reordered, reworded or made (not) anonymous.
func (s *Checkins) Update(ctx context.Context, c Checkin, actor string, admin bool, parseCadence func(string) error) (Checkin, error) {
	if c.WorkspaceID == "" || c.ID == 0 {
		return Checkin{}, fmt.Errorf("update check-in: %w: which check-in? it needs a workspace and an id", ErrInvalid)
	}
	var out Checkin
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		old, err := s.mayChange(ctx, c.WorkspaceID, c.ID, actor, admin)
		if err != nil {
			return err
		}
		if c.Anchor.IsZero() {
			c.Anchor = old.Anchor
		}
		if err := c.Validate(parseCadence); err != nil {
			return err
		}
		name, cadence := strings.TrimSpace(c.Name), strings.TrimSpace(c.Cadence)
		if err := s.db.conn(ctx).Model(&checkinRow{}).Where("id = ?", c.ID).Updates(map[string]any{
			"name": name, "cadence": cadence, "anchor": c.Anchor, "participants": string(c.Participants),
			"destination": string(c.Destination), "round_minutes": int(c.RoundLength / time.Minute),
			"reminders": c.Reminders, "updated_at": s.db.now(),
		}).Error; err != nil {
			return translate(err)
		}
		if err := s.saveQuestions(ctx, c.ID, c.WorkspaceID, c.Questions); err != nil {
			return err
		}
		var people []string
		if c.Participants == ParticipantsChosen {
			people = c.People
		}
		if err := s.setPeople(ctx, c.ID, c.WorkspaceID, people); err != nil {
			return err
		}
		key := CheckinScheduleKey(c.ID)
		sc, err := s.schedules.Get(ctx, c.WorkspaceID, key)
		switch {
		case errors.Is(err, ErrNotFound):
			sc = Schedule{WorkspaceID: c.WorkspaceID, Key: key}
		case err != nil:
			return err
		}
		sc.Title, sc.Cadence, sc.Anchor, sc.Paused = name, cadence, c.Anchor, old.Paused
		if _, err := s.schedules.Put(ctx, sc); err != nil {
			return err
		}
		if c.Participants == ParticipantsChosen {
			if _, _, err := s.schedules.SetTargets(ctx, c.WorkspaceID, key, c.People, s.db.now()); err != nil {
				return err
			}
		}
		out, err = s.Get(ctx, c.WorkspaceID, c.ID)
		return err
	})
	if err != nil {
		return Checkin{}, fmt.Errorf("update check-in %d: %w", c.ID, err)
	}
	return out, nil
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
func (s *Checkins) Pending(ctx context.Context, workspaceID, userID string) ([]PendingRound, error) {
	rows, err := queryRows[struct {
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
	if err := s.db.conn(ctx).Where("workspace_id = ? AND id IN ?", workspaceID, ids).Find(&crows).Error; err != nil {
		return nil, fmt.Errorf("pending rounds of %s: %w", userID, translate(err))
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

// ExportRow is one line of a check-in's export: one identified answer, or
// a skipped round (Position 0, no question or answer).
type ExportRow struct {
	Date   Date
	UserID string
	Status string
	// Position is the question's 1-based position (a retired question's
	// last one), 0 for a skipped round.
	Position int
	// Question is the prompt of the question the answer was given to,
	// whatever the check-in asks now.
	Question string
	Answer   string
}

// Export returns a check-in's answers, of everyone or, with userID, of one
// person: one row per identified answer and one per skipped round,
// ordered by date, person and position. Anonymous answers are never
// exported, not even to the person who gave them: they are stored as
// counts without anyone's name, so nothing says whose they are. Rounds a
// person was only asked, or snoozed, have no rows. A missing check-in is
// ErrNotFound.
func (s *Checkins) Export(ctx context.Context, workspaceID string, checkinID int64, userID string) ([]ExportRow, error) {
	if _, err := s.Get(ctx, workspaceID, checkinID); err != nil {
		return nil, fmt.Errorf("export check-in %d: %w", checkinID, err)
	}
	q := `
		SELECT r.round_date, p.user_id, p.status, qn.position, qn.prompt, a.value
		FROM checkin_rounds r
		JOIN checkin_responses p ON p.round_id = r.id
		LEFT JOIN checkin_answers a ON a.round_id = p.round_id AND a.user_id = p.user_id AND p.status = ?
		LEFT JOIN checkin_questions qn ON qn.id = a.question_id
		WHERE r.workspace_id = ? AND r.checkin_id = ? AND p.status IN (?, ?)`
	args := []any{ResponseAnswered, workspaceID, checkinID, ResponseAnswered, ResponseSkipped}
	if userID != "" {
		q += ` AND p.user_id = ?`
		args = append(args, userID)
	}
	q += ` ORDER BY r.round_date, p.user_id, qn.position, qn.id`
	rows, err := queryRows[struct {
		Date     Date    `gorm:"column:round_date;type:text"`
		UserID   string  `gorm:"column:user_id"`
		Status   string  `gorm:"column:status"`
		Position *int    `gorm:"column:position"`
		Prompt   *string `gorm:"column:prompt"`
		Value    *string `gorm:"column:value"`
	}](ctx, s.db, q, args...)
	if err != nil {
		return nil, fmt.Errorf("export check-in %d: %w", checkinID, err)
	}
	var out []ExportRow
	for _, r := range rows {
		row := ExportRow{Date: r.Date, UserID: r.UserID, Status: r.Status}
		switch {
		case r.Status == ResponseSkipped:
		case r.Position == nil:
			continue // answered with anonymous answers only
		default:
			row.Position, row.Question, row.Answer = *r.Position, fromNullString(r.Prompt), fromNullString(r.Value)
		}
		out = append(out, row)
	}
	return out, nil
}

// ClaimRoundAnswers leases to token, like ClaimPost, up to limit more
// answer posts of a round that are not posted, due at now and free to
// claim, other than exceptID, by id: the answers waiting to be packed with
// one being sent. Each returned post is claimed, counting the attempt; of
// concurrent claimers each post goes to exactly one.
func (s *Checkins) ClaimRoundAnswers(ctx context.Context, workspaceID string, roundID, exceptID int64, token string, now time.Time, lease time.Duration, limit int) ([]CheckinPost, error) {
	if token == "" || lease <= 0 || limit <= 0 {
		return nil, fmt.Errorf("claim answers of round %d: %w: a claim needs a token, a positive lease and a limit", roundID, ErrInvalid)
	}
	now = dbTime(now)
	rows, err := queryRows[postRow](ctx, s.db, `
		UPDATE checkin_posts
		SET claim_token = ?, claim_until = ?, attempts = attempts + 1
		WHERE id IN (
			SELECT id FROM checkin_posts
			WHERE round_id = ? AND workspace_id = ? AND kind = ? AND id <> ? AND posted = ? AND next_attempt_at <= ?
			  AND (claim_until IS NULL OR claim_until <= ?)
			ORDER BY id LIMIT ?)
		  AND posted = ? AND (claim_until IS NULL OR claim_until <= ?)
		RETURNING *`, token, dbTime(now.Add(lease)), roundID, workspaceID, string(PostAnswer), exceptID, false, now, now, limit, false, now)
	if err != nil {
		return nil, fmt.Errorf("claim answers of round %d: %w", roundID, err)
	}
	out := make([]CheckinPost, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	slices.SortFunc(out, func(a, b CheckinPost) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// ReleasePost gives back a claimed post that was not tried after all (it
// did not fit the message it was claimed for, or was stopped before the
// wire): the claim ends and the attempt is not counted, so it is not
// looked for in Slack before it is sent. Like MarkPosted, only the claim's
// holder can, else ErrLeaseLost.
func (s *Checkins) ReleasePost(ctx context.Context, id int64, token string) error {
	if err := s.posts().Release(ctx, id, token); err != nil {
		return fmt.Errorf("release post %d: %w", id, err)
	}
	return nil
}

// AnswerInFlight reports whether an answer post of a round other than
// exceptID is claimed under a lease still running at now and not posted:
// someone is sending the round's answers, and will take the ones waiting
// next.
func (s *Checkins) AnswerInFlight(ctx context.Context, roundID, exceptID int64, now time.Time) (bool, error) {
	var n int64
	err := s.db.conn(ctx).Model(&postRow{}).
		Where("round_id = ? AND kind = ? AND id <> ? AND posted = ? AND claim_until > ?", roundID, string(PostAnswer), exceptID, false, dbTime(now)).
		Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("answers in flight in round %d: %w", roundID, translate(err))
	}
	return n > 0, nil
}

// EarlierAnswerInFlight reports whether an answer post of a round with a
// lower id than id is claimed at now by a claim other than token and not
// posted: of two senders of a round's answers, the later one yields.
func (s *Checkins) EarlierAnswerInFlight(ctx context.Context, roundID, id int64, token string, now time.Time) (bool, error) {
	var n int64
	err := s.db.conn(ctx).Model(&postRow{}).
		Where("round_id = ? AND kind = ? AND id < ? AND claim_token <> ? AND posted = ? AND claim_until > ?", roundID, string(PostAnswer), id, token, false, dbTime(now)).
		Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("earlier answers in flight in round %d: %w", roundID, translate(err))
	}
	return n > 0, nil
}

// NextDueAnswer returns the first answer post of a round, by id, that is
// not posted, due at now and free to claim; ok is false when there is none.
func (s *Checkins) NextDueAnswer(ctx context.Context, roundID int64, now time.Time) (p CheckinPost, ok bool, err error) {
	now = dbTime(now)
	var rows []postRow
	if err := s.db.conn(ctx).Where("round_id = ? AND kind = ? AND posted = ? AND next_attempt_at <= ? AND (claim_until IS NULL OR claim_until <= ?)",
		roundID, string(PostAnswer), false, now, now).Order("id").Limit(1).Find(&rows).Error; err != nil {
		return CheckinPost{}, false, fmt.Errorf("next answer due in round %d: %w", roundID, translate(err))
	}
	if len(rows) == 0 {
		return CheckinPost{}, false, nil
	}
	return rows[0].domain(), true, nil
}

// AnswersPostedAs returns the answer posts of a round posted as the
// message ts, by id: several when the message holds several answers.
func (s *Checkins) AnswersPostedAs(ctx context.Context, roundID int64, ts string) ([]CheckinPost, error) {
	var rows []postRow
	if err := s.db.conn(ctx).Where("round_id = ? AND kind = ? AND posted = ? AND ts = ?", roundID, string(PostAnswer), true, ts).
		Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("answers posted as %s in round %d: %w", ts, roundID, translate(err))
	}
	out := make([]CheckinPost, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}
