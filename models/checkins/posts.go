package checkins

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm/clause"

	"github.com/trellis-bot/trellis/models"
)

// The messages a check-in posts in its channel (a round's header, each
// answer, the summary), queued here and posted once by the runtime.

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

// Post is one message (or, for a long answer, several) the
// check-in posts in its channel, kept so a crash or a Slack error never
// loses or duplicates it. It is queued in the transaction that decides it,
// then claimed under a lease, posted and marked posted by the lease's
// holder.
type Post struct {
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
	// MayBeInSlack reports that the post carries a wire mark: a claim of
	// it started sending it towards Slack (or was taken by a build that
	// left no mark) and nothing since showed none of it is there. A claim
	// of such a post looks for its parts in the channel or thread before
	// sending any; one of a post without is certainly not in Slack.
	MayBeInSlack bool
	CreatedAt    time.Time
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
	WireAt        *time.Time `gorm:"column:wire_at"`
	CreatedAt     time.Time  `gorm:"column:created_at"`
}

func (postRow) TableName() string { return "checkin_posts" }

func (r postRow) domain() Post {
	var ts []string
	if r.TS != "" {
		ts = strings.Split(r.TS, ",")
	}
	return Post{
		ID: r.ID, WorkspaceID: r.WorkspaceID, RoundID: r.RoundID, CheckinID: r.CheckinID, Kind: PostKind(r.Kind),
		UserID: r.UserID, Version: r.Version, Channel: r.Channel, TS: ts, Posted: r.Posted, Attempts: r.Attempts,
		NextAttemptAt: r.NextAttemptAt.UTC(), ClaimToken: r.ClaimToken, ClaimUntil: models.FromNullTime(r.ClaimUntil),
		MayBeInSlack: r.WireAt != nil, CreatedAt: r.CreatedAt.UTC(),
	}
}

// QueuePost stores a post to be made, and returns it as stored. Queueing
// is idempotent on the post's identity (round, kind, person, version):
// queueing it again returns the stored post unchanged. A zero Version is
// 1, and headers and summaries are always version 1; NextAttemptAt
// defaults to now. CheckinID is the round's check-in's. A post queued
// with Posted set is recorded as already posted, with its Channel and TS.
func (s *Store) QueuePost(ctx context.Context, p Post) (Post, error) {
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
	ts, err := models.JoinTS(p.TS)
	switch {
	case problem != "":
		return Post{}, fmt.Errorf("queue %s post of round %d: %w: %s", p.Kind, p.RoundID, models.ErrInvalid, problem)
	case err != nil:
		return Post{}, fmt.Errorf("queue %s post of round %d: %w", p.Kind, p.RoundID, err)
	}
	var out Post
	err = s.db.Tx(ctx, func(ctx context.Context) error {
		var round roundRow
		if err := s.db.Conn(ctx).Where("id = ? AND workspace_id = ?", p.RoundID, p.WorkspaceID).Take(&round).Error; err != nil {
			return models.Translate(err)
		}
		if p.CheckinID != 0 && p.CheckinID != round.CheckinID {
			return fmt.Errorf("%w: round %d is not of check-in %d", models.ErrInvalid, p.RoundID, p.CheckinID)
		}
		now := s.db.Now()
		next := now
		if !p.NextAttemptAt.IsZero() {
			next = models.DBTime(p.NextAttemptAt)
		}
		row := postRow{WorkspaceID: p.WorkspaceID, RoundID: p.RoundID, CheckinID: round.CheckinID, Kind: string(p.Kind),
			UserID: p.UserID, Version: p.Version, Channel: p.Channel, TS: ts, Posted: p.Posted, NextAttemptAt: next, CreatedAt: now}
		if err := s.db.Conn(ctx).Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "round_id"}, {Name: "kind"}, {Name: "user_id"}, {Name: "version"}},
			DoNothing: true,
		}).Create(&row).Error; err != nil {
			return models.Translate(err)
		}
		var got postRow
		if err := s.db.Conn(ctx).Where("round_id = ? AND kind = ? AND user_id = ? AND version = ?",
			p.RoundID, string(p.Kind), p.UserID, p.Version).Take(&got).Error; err != nil {
			return models.Translate(err)
		}
		out = got.domain()
		return nil
	})
	if err != nil {
		return Post{}, fmt.Errorf("queue %s post of round %d: %w", p.Kind, p.RoundID, err)
	}
	return out, nil
}

// ClaimPost leases a post to the caller under token until now+lease,
// counting the attempt, and returns it as claimed and true. It is one
// atomic UPDATE, so of concurrent claimers exactly one wins; the others,
// and anyone claiming a post already posted or held by a lease that has
// not run out, get false and no error. It does not look at NextAttemptAt:
// DuePosts finds the posts that are due. The post's MayBeInSlack says
// whether it may already be in Slack: marked, or taken over from a claim
// by a build that left no mark (whose token lacks models.MarkingToken).
func (s *Store) ClaimPost(ctx context.Context, workspaceID string, id int64, token string, now time.Time, lease time.Duration) (Post, bool, error) {
	rows, err := s.posts().Claim(ctx, workspaceID, id, token, now, lease)
	if err != nil {
		return Post{}, false, fmt.Errorf("claim post %d: %w", id, err)
	}
	if len(rows) == 0 {
		return Post{}, false, nil
	}
	return rows[0].domain(), true, nil
}

// posts is the check-ins' post outbox.
func (s *Store) posts() models.Outbox[postRow] {
	return models.NewOutbox[postRow](s.db, "checkin_posts")
}

// DuePosts returns up to limit posts, of every workspace, that are not
// posted, due at now and free to claim (never claimed, or their lease ran
// out), by id. The search uses checkin_posts_due.
func (s *Store) DuePosts(ctx context.Context, now time.Time, limit int) ([]Post, error) {
	rows, err := s.posts().Due(ctx, now, limit)
	if err != nil {
		return nil, fmt.Errorf("due posts: %w", err)
	}
	out := make([]Post, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// NextPostDue returns the earliest instant at which a post not yet posted
// is due and free to claim: its NextAttemptAt, or its ClaimUntil if that
// is later. ok is false when every post is posted.
func (s *Store) NextPostDue(ctx context.Context) (at time.Time, ok bool, err error) {
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
func (s *Store) MarkPosted(ctx context.Context, id int64, token, channel string, ts []string) error {
	if err := s.posts().MarkPosted(ctx, id, token, channel, ts); err != nil {
		return fmt.Errorf("mark post %d posted: %w", id, err)
	}
	return nil
}

// RenewPost extends the lease of a claimed post to until. Only the
// claim's holder can: if the post is not held under token any more, or is
// posted, nothing changes and the error is ErrLeaseLost.
func (s *Store) RenewPost(ctx context.Context, id int64, token string, until time.Time) error {
	if err := s.posts().Renew(ctx, id, token, until); err != nil {
		return fmt.Errorf("renew post %d: %w", id, err)
	}
	return nil
}

// RenewPostToSend is RenewPost for a claim about to go on the wire: it
// also marks the post as started towards Slack at at, so whoever claims it
// next looks for it first (MayBeInSlack). Only the claim's holder can,
// else ErrLeaseLost; a post whose mark could not be written must not be
// sent.
func (s *Store) RenewPostToSend(ctx context.Context, id int64, token string, until, at time.Time) error {
	if err := s.posts().RenewToSend(ctx, id, token, until, at); err != nil {
		return fmt.Errorf("renew post %d to send: %w", id, err)
	}
	return nil
}

// RetryPost gives a claimed post back, due again at at, and ends the
// claim (Slack failed or asked to wait). The post's wire mark stays: the
// send may have reached Slack, or a part of it did. Like MarkPosted, only
// the claim's holder can, else ErrLeaseLost.
func (s *Store) RetryPost(ctx context.Context, id int64, token string, at time.Time) error {
	if err := s.posts().Retry(ctx, id, token, at); err != nil {
		return fmt.Errorf("retry post %d: %w", id, err)
	}
	return nil
}

// RoundPost returns a round's header or summary post, or ErrNotFound.
func (s *Store) RoundPost(ctx context.Context, roundID int64, kind PostKind) (Post, error) {
	if kind != PostHeader && kind != PostSummary {
		return Post{}, fmt.Errorf("%s post of round %d: %w: only headers and summaries are one per round", kind, roundID, models.ErrInvalid)
	}
	var r postRow
	if err := s.db.Conn(ctx).Where("round_id = ? AND kind = ? AND user_id = '' AND version = 1", roundID, string(kind)).
		Take(&r).Error; err != nil {
		return Post{}, fmt.Errorf("%s post of round %d: %w", kind, roundID, models.Translate(err))
	}
	return r.domain(), nil
}

// AnswerPosts returns a person's answer posts in a round, by version.
func (s *Store) AnswerPosts(ctx context.Context, roundID int64, userID string) ([]Post, error) {
	var rows []postRow
	if err := s.db.Conn(ctx).Where("round_id = ? AND kind = ? AND user_id = ?", roundID, string(PostAnswer), userID).
		Order("version").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("answer posts of %s in round %d: %w", userID, roundID, models.Translate(err))
	}
	out := make([]Post, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// lastAnswerVersion is the highest version of a person's answer posts in
// a round, 0 when there is none.
func (s *Store) lastAnswerVersion(ctx context.Context, roundID int64, userID string) (int, error) {
	var v int
	err := s.db.Conn(ctx).Raw(`SELECT COALESCE(MAX(version), 0) FROM checkin_posts WHERE round_id = ? AND kind = ? AND user_id = ?`,
		roundID, string(PostAnswer), userID).Row().Scan(&v)
	return v, models.Translate(err)
}

// ClaimRoundAnswers leases to token, like ClaimPost, up to limit more
// answer posts of a round that are not posted, due at now and free to
// claim, other than exceptID, by id: the answers waiting to be packed with
// one being sent. Each returned post is claimed, counting the attempt; of
// concurrent claimers each post goes to exactly one.
func (s *Store) ClaimRoundAnswers(ctx context.Context, workspaceID string, roundID, exceptID int64, token string, now time.Time, lease time.Duration, limit int) ([]Post, error) {
	if token == "" || lease <= 0 || limit <= 0 {
		return nil, fmt.Errorf("claim answers of round %d: %w: a claim needs a token, a positive lease and a limit", roundID, models.ErrInvalid)
	}
	now = models.DBTime(now)
	rows, err := s.posts().ClaimIn(ctx, `
			SELECT id FROM checkin_posts
			WHERE round_id = ? AND workspace_id = ? AND kind = ? AND id <> ? AND posted = ? AND next_attempt_at <= ?
			  AND (claim_until IS NULL OR claim_until <= ?)
			ORDER BY id LIMIT ?`, token, now, lease, roundID, workspaceID, string(PostAnswer), exceptID, false, now, now, limit)
	if err != nil {
		return nil, fmt.Errorf("claim answers of round %d: %w", roundID, err)
	}
	out := make([]Post, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	slices.SortFunc(out, func(a, b Post) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// ReleasePost gives back a claimed post that was not tried after all (it
// did not fit the message it was claimed for, or was stopped before the
// wire): the claim ends and the attempt is not counted. Its wire mark is
// cleared, so it is not looked for in Slack before it is sent, unless
// mayBeInSlack says part of it may be there (the claim found it
// MayBeInSlack). Like MarkPosted, only the claim's holder can, else
// ErrLeaseLost.
func (s *Store) ReleasePost(ctx context.Context, id int64, token string, mayBeInSlack bool) error {
	if err := s.posts().Release(ctx, id, token, mayBeInSlack); err != nil {
		return fmt.Errorf("release post %d: %w", id, err)
	}
	return nil
}

// AnswerInFlight reports whether an answer post of a round other than
// exceptID is claimed under a lease still running at now and not posted:
// someone is sending the round's answers, and will take the ones waiting
// next.
func (s *Store) AnswerInFlight(ctx context.Context, roundID, exceptID int64, now time.Time) (bool, error) {
	var n int64
	err := s.db.Conn(ctx).Model(&postRow{}).
		Where("round_id = ? AND kind = ? AND id <> ? AND posted = ? AND claim_until > ?", roundID, string(PostAnswer), exceptID, false, models.DBTime(now)).
		Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("answers in flight in round %d: %w", roundID, models.Translate(err))
	}
	return n > 0, nil
}

// EarlierAnswerInFlight reports whether an answer post of a round with a
// lower id than id is claimed at now by a claim other than token and not
// posted: of two senders of a round's answers, the later one yields.
func (s *Store) EarlierAnswerInFlight(ctx context.Context, roundID, id int64, token string, now time.Time) (bool, error) {
	var n int64
	err := s.db.Conn(ctx).Model(&postRow{}).
		Where("round_id = ? AND kind = ? AND id < ? AND claim_token <> ? AND posted = ? AND claim_until > ?", roundID, string(PostAnswer), id, token, false, models.DBTime(now)).
		Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("earlier answers in flight in round %d: %w", roundID, models.Translate(err))
	}
	return n > 0, nil
}

// NextDueAnswer returns the first answer post of a round, by id, that is
// not posted, due at now and free to claim; ok is false when there is none.
func (s *Store) NextDueAnswer(ctx context.Context, roundID int64, now time.Time) (p Post, ok bool, err error) {
	now = models.DBTime(now)
	var rows []postRow
	if err := s.db.Conn(ctx).Where("round_id = ? AND kind = ? AND posted = ? AND next_attempt_at <= ? AND (claim_until IS NULL OR claim_until <= ?)",
		roundID, string(PostAnswer), false, now, now).Order("id").Limit(1).Find(&rows).Error; err != nil {
		return Post{}, false, fmt.Errorf("next answer due in round %d: %w", roundID, models.Translate(err))
	}
	if len(rows) == 0 {
		return Post{}, false, nil
	}
	return rows[0].domain(), true, nil
}

// AnswersPostedAs returns the answer posts of a round posted as the
// message ts, by id: several when the message holds several answers.
func (s *Store) AnswersPostedAs(ctx context.Context, roundID int64, ts string) ([]Post, error) {
	var rows []postRow
	if err := s.db.Conn(ctx).Where("round_id = ? AND kind = ? AND posted = ? AND ts = ?", roundID, string(PostAnswer), true, ts).
		Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("answers posted as %s in round %d: %w", ts, roundID, models.Translate(err))
	}
	out := make([]Post, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}
