package models

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Outbox is the claim and lease machinery of a post outbox: a table of
// messages a feature posts in channels and threads, kept so that a crash,
// a Slack error or a second replica never loses or duplicates one. Every
// outbox table has the columns id, workspace_id, channel, ts (the posted
// messages' timestamps, comma-separated), posted, attempts,
// next_attempt_at, claim_token, claim_until, wire_at and created_at,
// beside its feature's own; R is its row type. The delivery engine holds
// and renews the claims (see jobs/engine/posts.go); the feature's store
// adds what identifies its posts.
//
// A row is claimed under a lease by one atomic UPDATE, so of concurrent
// claimers exactly one wins; only the claim's holder (its token) renews,
// retries, releases or marks it posted, else ErrLeaseLost.
//
// wire_at is the row's wire mark: set, the row may already be in Slack,
// in part or whole, and its next claimer looks for it before sending it.
// The holder writes it right before a message carrying the row goes on
// the wire (RenewToSend); Retry keeps it (the send may have reached Slack,
// or a part of the row did); Release clears it unless the holder says part
// of the row may be in Slack; MarkPosted clears it. A claim that takes
// over a row claimed by a build older than the mark (its token lacks
// MarkingToken) marks the row itself, since that build's sends left no
// mark.
type Outbox[R any] struct {
	db    *DB
	table string
}

// NewOutbox returns the outbox kept in table, whose rows read as R.
func NewOutbox[R any](db *DB, table string) Outbox[R] {
	return Outbox[R]{db: db, table: table}
}

// Claim leases a row to token until now+lease, counting the attempt, and
// returns it as claimed (none when it is posted, or held by a lease that
// has not run out), its wire_at set when it may already be in Slack. It
// does not look at next_attempt_at: Due finds the rows that are due.
func (o Outbox[R]) Claim(ctx context.Context, workspaceID string, id int64, token string, now time.Time, lease time.Duration) ([]R, error) {
	if token == "" || lease <= 0 {
		return nil, fmt.Errorf("%w: a claim needs a token and a positive lease", ErrInvalid)
	}
	now = DBTime(now)
	return QueryRows[R](ctx, o.db, `
		UPDATE `+o.table+`
		SET `+claimSet+`
		WHERE id = ? AND workspace_id = ? AND posted = ? AND (claim_until IS NULL OR claim_until <= ?)
		RETURNING *`, o.claimArgs(token, now, lease, id, workspaceID, false, now)...)
}

// ClaimIn is Claim for every row whose id the subquery in (with its args)
// selects and that is free to claim at now, each counting its attempt:
// several rows claimed to go in one message.
func (o Outbox[R]) ClaimIn(ctx context.Context, in string, token string, now time.Time, lease time.Duration, args ...any) ([]R, error) {
	if token == "" || lease <= 0 {
		return nil, fmt.Errorf("%w: a claim needs a token and a positive lease", ErrInvalid)
	}
	now = DBTime(now)
	args = append(args, false, now)
	return QueryRows[R](ctx, o.db, `
		UPDATE `+o.table+`
		SET `+claimSet+`
		WHERE id IN (`+in+`) AND posted = ? AND (claim_until IS NULL OR claim_until <= ?)
		RETURNING *`, o.claimArgs(token, now, lease, args...)...)
}

// claimSet is what a claim sets: its token and lease, one more attempt,
// and the wire mark of a row taken over from a claim by a build older
// than the mark (its token lacks MarkingToken), which may have sent it
// and left no mark. The right-hand sides read the row as it was.
const claimSet = `claim_token = ?, claim_until = ?, attempts = attempts + 1,
		    wire_at = CASE WHEN claim_token <> '' AND substr(claim_token, 1, ?) <> ? THEN COALESCE(wire_at, ?) ELSE wire_at END`

// claimArgs are claimSet's arguments, then rest.
func (o Outbox[R]) claimArgs(token string, now time.Time, lease time.Duration, rest ...any) []any {
	return append([]any{token, DBTime(now.Add(lease)), len(MarkingToken), MarkingToken, now}, rest...)
}

// RenewToSend is Renew for a claim about to go on the wire: it also marks
// the row as started towards Slack at at, so that whoever claims it next
// looks for it first. Like Renew, only the claim's holder can, else
// ErrLeaseLost; a row whose mark could not be written must not be sent.
func (o Outbox[R]) RenewToSend(ctx context.Context, id int64, token string, until, at time.Time) error {
	if token == "" || until.IsZero() || at.IsZero() {
		return fmt.Errorf("%w: a renewal to send needs the claim token and times", ErrInvalid)
	}
	return o.held(ctx, `UPDATE `+o.table+` SET claim_until = ?, wire_at = ? WHERE id = ? AND posted = ? AND claim_token = ?`,
		DBTime(until), DBTime(at), id, false, token)
}

// Renew extends the lease of a claimed row to until.
func (o Outbox[R]) Renew(ctx context.Context, id int64, token string, until time.Time) error {
	if token == "" || until.IsZero() {
		return fmt.Errorf("%w: a renewal needs the claim token and a time", ErrInvalid)
	}
	return o.held(ctx, `UPDATE `+o.table+` SET claim_until = ? WHERE id = ? AND posted = ? AND claim_token = ?`,
		DBTime(until), id, false, token)
}

// Retry gives a claimed row back, due again at at, and ends the claim.
// Its wire mark stays: the send may have reached Slack, or a part of the
// row did.
func (o Outbox[R]) Retry(ctx context.Context, id int64, token string, at time.Time) error {
	if token == "" || at.IsZero() {
		return fmt.Errorf("%w: a retry needs the claim token and a time", ErrInvalid)
	}
	return o.held(ctx, `UPDATE `+o.table+` SET next_attempt_at = ?, claim_token = '', claim_until = NULL
		WHERE id = ? AND posted = ? AND claim_token = ?`, DBTime(at), id, false, token)
}

// Release gives back a claimed row that was not tried after all: the
// claim ends and the attempt is not counted. Its wire mark is cleared
// unless mayBeInSlack says part of the row may be in Slack (the claim
// found it marked, and did not find out otherwise).
func (o Outbox[R]) Release(ctx context.Context, id int64, token string, mayBeInSlack bool) error {
	if token == "" {
		return fmt.Errorf("%w: no claim token", ErrInvalid)
	}
	mark := "NULL"
	if mayBeInSlack {
		mark = "wire_at"
	}
	return o.held(ctx, `UPDATE `+o.table+` SET claim_token = '', claim_until = NULL, attempts = attempts - 1, wire_at = `+mark+`
		WHERE id = ? AND posted = ? AND claim_token = ?`, id, false, token)
}

// MarkPosted records that a claimed row was posted in channel (the
// queued channel when "") as the messages ts, and ends the claim. A lease
// that ran out still marks while nobody else has claimed the row.
func (o Outbox[R]) MarkPosted(ctx context.Context, id int64, token, channel string, ts []string) error {
	joined, err := JoinTS(ts)
	if err != nil {
		return err
	}
	if token == "" {
		return fmt.Errorf("%w: no claim token", ErrInvalid)
	}
	if channel == "" {
		return o.held(ctx, `UPDATE `+o.table+` SET posted = ?, ts = ?, claim_token = '', claim_until = NULL, wire_at = NULL
			WHERE id = ? AND posted = ? AND claim_token = ?`, true, joined, id, false, token)
	}
	return o.held(ctx, `UPDATE `+o.table+` SET posted = ?, ts = ?, channel = ?, claim_token = '', claim_until = NULL, wire_at = NULL
		WHERE id = ? AND posted = ? AND claim_token = ?`, true, joined, channel, id, false, token)
}

// held runs an update of a row its claim's holder makes: ErrLeaseLost
// when it changed nothing.
func (o Outbox[R]) held(ctx context.Context, sql string, args ...any) error {
	res := o.db.Conn(ctx).Exec(sql, args...)
	if res.Error != nil {
		return Translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrLeaseLost
	}
	return nil
}

// Due returns up to limit rows, of every workspace, that are not posted,
// due at now and free to claim (never claimed, or their lease ran out), by
// id.
func (o Outbox[R]) Due(ctx context.Context, now time.Time, limit int) ([]R, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("%w: limit %d must be positive", ErrInvalid, limit)
	}
	now = DBTime(now)
	var rows []R
	if err := o.db.Conn(ctx).Table(o.table).Where("posted = ? AND next_attempt_at <= ? AND (claim_until IS NULL OR claim_until <= ?)", false, now, now).
		Order("id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, Translate(err)
	}
	return rows, nil
}

// NextDue returns the earliest instant at which a row not yet posted is
// due and free to claim: its next_attempt_at, or its claim_until if that
// is later. ok is false when every row is posted.
func (o Outbox[R]) NextDue(ctx context.Context) (at time.Time, ok bool, err error) {
	// One look for the rows whose lease (if any) ends first and one for
	// the others, each ordered by a column, so the type survives on SQLite.
	for _, q := range []string{
		`SELECT next_attempt_at AS at FROM ` + o.table + `
		 WHERE posted = ? AND (claim_until IS NULL OR claim_until <= next_attempt_at)
		 ORDER BY next_attempt_at LIMIT 1`,
		`SELECT claim_until AS at FROM ` + o.table + `
		 WHERE posted = ? AND claim_until > next_attempt_at
		 ORDER BY claim_until LIMIT 1`,
	} {
		rows, err := QueryRows[struct {
			At time.Time `gorm:"column:at"`
		}](ctx, o.db, q, false)
		if err != nil {
			return time.Time{}, false, err
		}
		if len(rows) == 1 && (!ok || rows[0].At.Before(at)) {
			at, ok = rows[0].At.UTC(), true
		}
	}
	return at, ok, nil
}

// JoinTS stores message timestamps as one comma-separated text; a
// timestamp that is empty or holds a comma is ErrInvalid.
func JoinTS(ts []string) (string, error) {
	for _, t := range ts {
		if t == "" || strings.Contains(t, ",") {
			return "", fmt.Errorf("%w: %q is not a message timestamp", ErrInvalid, t)
		}
	}
	return strings.Join(ts, ","), nil
}
