package models

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm/clause"
)

// ErrLeaseLost means a claim's lease no longer holds: another claimer took
// the occurrence after the lease ran out, it was already completed or
// released, or it is gone. The holder must not act on it any more.
var ErrLeaseLost = errors.New("occurrence lease lost")

// Occurrence statuses. Planned and deferred occurrences wait for their
// DeliverAt; claimed ones are held by a lease; the rest are final.
const (
	OccurrencePlanned    = "planned"    // waiting for DeliverAt
	OccurrenceClaimed    = "claimed"    // held by a claimer until LeaseUntil
	OccurrenceDelivered  = "delivered"  // sent; SentAt and Receipt say when and where
	OccurrenceDeferred   = "deferred"   // given back by a claimer, waiting for the new DeliverAt
	OccurrenceSuperseded = "superseded" // the next occurrence of the cadence asks instead
	OccurrenceSkipped    = "skipped"    // not sent: away, holiday, budget, paused, ...
	OccurrenceMissed     = "missed"     // its window closed while the engine was down
)

// Occurrence is one proactive message due to one recipient: the identity
// (WorkspaceID, CadenceID, Recipient, NominalAt) is unique, so an
// occurrence is planned, claimed and delivered at most once.
type Occurrence struct {
	ID          int64
	WorkspaceID string
	// CadenceID names the cadence or feature that wants the message,
	// such as "checkin:42".
	CadenceID string
	// Payload is what a one-off occurrence carries for the feature that
	// planned it, as JSON the engine writes and reads
	// (jobs/engine/oneoff.go); empty for a cadence's own occurrences and
	// for one-offs planned before payloads existed.
	Payload string
	// Recipient is a Slack user id (a DM) or channel id (a post).
	Recipient string
	// NominalAt is the instant the cadence names, before any deferral.
	NominalAt time.Time
	// DeliverAt is the planned delivery instant; zero when there is none
	// (an occurrence settled as skipped or missed when it was planned).
	DeliverAt time.Time
	Status    string
	// Reason says, in words a person can read, why the occurrence was
	// deferred, skipped, superseded or missed.
	Reason string
	// LeaseUntil is when the current claim runs out; zero unless claimed.
	LeaseUntil time.Time
	// Attempts counts the claims taken on the occurrence.
	Attempts int
	// SentAt is when it was delivered; zero until then, except while it
	// waits after a send Slack did not confirm (see ReleaseUnconfirmed).
	SentAt    time.Time
	Receipt   Receipt
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Receipt is where Slack put a delivered message: what chat.update or a
// thread reply needs. Empty until delivered.
type Receipt struct {
	Channel string
	TS      string
}

// Claim is an occurrence taken by Occurrences.Claim. Token proves the
// lease to Complete and Release.
type Claim struct {
	Occurrence Occurrence
	Token      string
	// LeaseExpired reports that the occurrence was taken over from an
	// earlier claimer whose lease had run out (a stalled or dead replica).
	LeaseExpired bool
	// MayBeInSlack reports, for an occurrence taken over, that the claimer
	// it was taken from had started a message carrying it towards Slack
	// (RenewToSend), or ran a build that did not say: the message may be
	// in the conversation. One taken from a claimer that never started a
	// send is certainly not.
	MayBeInSlack bool
}

// Occurrences stores the delivery engine's occurrences. Postgres decides
// at-most-once delivery: planning is idempotent on the occurrence's
// identity, claiming hands each due occurrence to one claimer under a
// lease, and only the lease's holder can complete it.
type Occurrences struct {
	db *DB
}

// NewOccurrences returns the occurrence store.
func NewOccurrences(db *DB) *Occurrences { return &Occurrences{db: db} }

type occurrenceRow struct {
	ID           int64      `gorm:"column:id;primaryKey;autoIncrement"`
	WorkspaceID  string     `gorm:"column:workspace_id"`
	CadenceID    string     `gorm:"column:cadence_id"`
	Payload      *string    `gorm:"column:payload"`
	Recipient    string     `gorm:"column:recipient"`
	NominalAt    time.Time  `gorm:"column:nominal_at"`
	DeliverAt    *time.Time `gorm:"column:deliver_at"`
	Status       string     `gorm:"column:status"`
	Reason       string     `gorm:"column:reason"`
	LeaseToken   *string    `gorm:"column:lease_token"`
	LeaseUntil   *time.Time `gorm:"column:lease_until"`
	Attempts     int        `gorm:"column:attempts"`
	SentAt       *time.Time `gorm:"column:sent_at"`
	SlackChannel *string    `gorm:"column:slack_channel"`
	SlackTS      *string    `gorm:"column:slack_ts"`
	WireAt       *time.Time `gorm:"column:wire_at"`
	CreatedAt    time.Time  `gorm:"column:created_at"`
	UpdatedAt    time.Time  `gorm:"column:updated_at"`
}

func (occurrenceRow) TableName() string { return "occurrences" }

func (r occurrenceRow) domain() Occurrence {
	return Occurrence{
		ID:          r.ID,
		WorkspaceID: r.WorkspaceID,
		CadenceID:   r.CadenceID,
		Payload:     FromNullString(r.Payload),
		Recipient:   r.Recipient,
		NominalAt:   r.NominalAt.UTC(),
		DeliverAt:   FromNullTime(r.DeliverAt),
		Status:      r.Status,
		Reason:      r.Reason,
		LeaseUntil:  FromNullTime(r.LeaseUntil),
		Attempts:    r.Attempts,
		SentAt:      FromNullTime(r.SentAt),
		Receipt:     Receipt{Channel: FromNullString(r.SlackChannel), TS: FromNullString(r.SlackTS)},
		CreatedAt:   r.CreatedAt.UTC(),
		UpdatedAt:   r.UpdatedAt.UTC(),
	}
}

// occurrenceRowFrom is the row Plan inserts: a new occurrence has no id,
// lease, attempts or receipt.
func occurrenceRowFrom(o Occurrence, now time.Time) occurrenceRow {
	return occurrenceRow{
		WorkspaceID: o.WorkspaceID,
		CadenceID:   o.CadenceID,
		Payload:     toNullString(o.Payload),
		Recipient:   o.Recipient,
		NominalAt:   DBTime(o.NominalAt),
		DeliverAt:   toNullTime(o.DeliverAt),
		Status:      o.Status,
		Reason:      o.Reason,
		CreatedAt:   now,
		UpdatedAt:   now,
	}
}

// DBTime is t as both databases keep it: UTC, to the microsecond. SQLite
// compares times as text, which is only right when every time is in UTC.
func DBTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func toNullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := DBTime(t)
	return &u
}

// FromNullTime reads a nullable time column: NULL is the zero time.
func FromNullTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

func toNullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// FromNullString reads a nullable text column: NULL is "".
func FromNullString(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// planBatch is how many rows one INSERT carries: well under both
// databases' limits on bound parameters, and small because the SQLite
// driver's binding time grows with the square of the parameter count.
const planBatch = 100

// Plan inserts the occurrences that are not stored yet and returns how
// many it inserted. An occurrence whose identity exists is left as it is,
// so planning the same occurrences again, or from several replicas at
// once, stores each one once. An empty Status means planned; planned and
// deferred occurrences need a DeliverAt. An occurrence may also be planned
// already settled as skipped, superseded or missed, with its Reason.
func (s *Occurrences) Plan(ctx context.Context, occs []Occurrence) (int, error) {
	if len(occs) == 0 {
		return 0, nil
	}
	now := s.db.Now()
	rows := make([]occurrenceRow, len(occs))
	for i, o := range occs {
		if o.Status == "" {
			o.Status = OccurrencePlanned
		}
		if err := validPlanned(o); err != nil {
			return 0, fmt.Errorf("plan occurrences: %w", err)
		}
		rows[i] = occurrenceRowFrom(o, now)
	}
	// Concurrent planners insert in one order, so that on Postgres they
	// wait for each other's conflicting rows instead of deadlocking.
	slices.SortFunc(rows, func(a, b occurrenceRow) int {
		return cmp.Or(
			strings.Compare(a.WorkspaceID, b.WorkspaceID),
			strings.Compare(a.CadenceID, b.CadenceID),
			strings.Compare(a.Recipient, b.Recipient),
			a.NominalAt.Compare(b.NominalAt),
		)
	})
	var inserted int
	if s.db.dialect == DialectPostgres {
		n, err := s.planArrays(ctx, rows)
		if err != nil {
			return 0, fmt.Errorf("plan occurrences: %w", err)
		}
		return n, nil
	}
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		inserted = 0
		for batch := range slices.Chunk(rows, planBatch) {
			res := s.db.Conn(ctx).Clauses(clause.OnConflict{
				Columns:   []clause.Column{{Name: "workspace_id"}, {Name: "cadence_id"}, {Name: "recipient"}, {Name: "nominal_at"}},
				DoNothing: true,
			}).Create(&batch)
			if res.Error != nil {
				return Translate(res.Error)
			}
			inserted += int(res.RowsAffected)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("plan occurrences: %w", err)
	}
	return inserted, nil
}

// planArrays inserts rows on Postgres in one statement, each column sent
// as an array: the planner stores a thousand occurrences a minute, and one
// statement costs far less, on both sides, than a batch of row lists.
func (s *Occurrences) planArrays(ctx context.Context, rows []occurrenceRow) (int, error) {
	n := len(rows)
	ws, cad, rcp, status, reason := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	nominal, created := make([]time.Time, n), make([]time.Time, n)
	deliver := make([]*time.Time, n)
	payload := make([]*string, n)
	for i, r := range rows {
		ws[i], cad[i], rcp[i], status[i], reason[i] = r.WorkspaceID, r.CadenceID, r.Recipient, r.Status, r.Reason
		nominal[i], deliver[i], created[i], payload[i] = r.NominalAt, r.DeliverAt, r.CreatedAt, r.Payload
	}
	res, err := s.db.Conn(ctx).Statement.ConnPool.ExecContext(ctx, `
		INSERT INTO occurrences (workspace_id, cadence_id, recipient, nominal_at, deliver_at, status, reason, created_at, updated_at, payload)
		SELECT w, c, r, n, d, st, re, t, t, p
		FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::text[], $7::text[], $8::timestamptz[], $9::text[])
		     AS v (w, c, r, n, d, st, re, t, p)
		ON CONFLICT (workspace_id, cadence_id, recipient, nominal_at) DO NOTHING`,
		ws, cad, rcp, nominal, deliver, status, reason, created, payload)
	if err != nil {
		return 0, Translate(err)
	}
	inserted, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	return int(inserted), nil
}

func validPlanned(o Occurrence) error {
	switch {
	case o.WorkspaceID == "" || o.CadenceID == "" || o.Recipient == "":
		return fmt.Errorf("%w: an occurrence needs a workspace, a cadence and a recipient", ErrInvalid)
	case o.NominalAt.IsZero():
		return fmt.Errorf("%w: occurrence %s/%s/%s has no nominal time", ErrInvalid, o.WorkspaceID, o.CadenceID, o.Recipient)
	}
	switch o.Status {
	case OccurrencePlanned, OccurrenceDeferred:
		if o.DeliverAt.IsZero() {
			return fmt.Errorf("%w: %s occurrence %s/%s/%s has no delivery time", ErrInvalid, o.Status, o.WorkspaceID, o.CadenceID, o.Recipient)
		}
	case OccurrenceSkipped, OccurrenceSuperseded, OccurrenceMissed:
	default:
		return fmt.Errorf("%w: an occurrence cannot be planned as %q", ErrInvalid, o.Status)
	}
	return nil
}

// claimCandidate is a due row the search of Claim found.
type claimCandidate struct {
	ID          int64  `gorm:"column:id"`
	WorkspaceID string `gorm:"column:workspace_id"`
	Recipient   string `gorm:"column:recipient"`
	Status      string `gorm:"column:status"`
}

// waitingRow is one of a recipient's waiting rows Claim takes.
type waitingRow struct {
	ID          int64      `gorm:"column:id"`
	WorkspaceID string     `gorm:"column:workspace_id"`
	Recipient   string     `gorm:"column:recipient"`
	Status      string     `gorm:"column:status"`
	DeliverAt   *time.Time `gorm:"column:deliver_at"`
	LeaseToken  *string    `gorm:"column:lease_token"`
	WireAt      *time.Time `gorm:"column:wire_at"`
}

// MarkingToken starts the token of every claim taken by a build that
// marks the wire before it sends (Occurrences.RenewToSend,
// Outbox.RenewToSend). Older builds' tokens are all upper case
// (rand.Text) for occurrences and lower-case hex for posts, so a claim
// taken over whose token lacks it was taken by a build whose sends left no
// mark, and is looked for in Slack whatever its mark says.
const MarkingToken = "w"

// mayBeInSlack reports whether a row a claim takes over may have been
// sent by the claimer it is taken from.
func (r waitingRow) mayBeInSlack() bool {
	if r.Status != OccurrenceClaimed {
		return false
	}
	return r.WireAt != nil || r.LeaseToken == nil || !strings.HasPrefix(*r.LeaseToken, MarkingToken)
}

// PlanningWait is how long Claim leaves a recipient alone while one of
// their schedule targets is due but not planned yet: a planner (on this
// replica or another) is about to store an occurrence that must go out in
// the same DM as what is due already. A target due for longer than that is
// not waited for, so a target that cannot be planned never holds its
// recipient's messages back for more than PlanningWait.
const PlanningWait = time.Minute

// claimScan is how many due rows Claim reads per recipient it may take:
// enough to find that many distinct recipients when some have several
// rows due, are being claimed by another claimer, or may not be claimed.
const claimScan = 8

// recipientKey names one recipient of one workspace.
type recipientKey struct{ workspace, recipient string }

// Claim takes the due occurrences of up to recipients recipients and
// leases each to the caller until now+lease, counting the attempt. A
// recipient's occurrences are claimed together or not at all: all that are
// due at now — planned or deferred with DeliverAt at or before now, or
// claimed by someone whose lease ran out before now — and those due later
// in now's minute, so that what one person is due in one minute goes out as
// one message. A recipient is not claimed while another claim on them is
// live (its lease not run out), nor while one of their schedule targets is
// due but not yet planned (see PlanningWait): one claimer at a time decides
// and sends for one person, so a daily budget and the merging of messages
// see everything that is sent or on its way. Recipients are taken earliest
// DeliverAt first. Each Claim has its own fresh token; LeaseExpired marks a
// takeover.
//
// On Postgres, concurrent claimers serialise per recipient with a
// transaction-scoped advisory lock on the recipient, taken without
// waiting: a recipient another claimer is taking is skipped, and once the
// lock is held the recipient's rows are read again, so a claim committed
// meanwhile is seen. On SQLite the transaction holds the database's write
// lock from its start (BEGIN IMMEDIATE), which serialises claimers. Either
// way the search uses the occurrences_due, occurrences_lease and
// occurrences_waiting indexes, so its cost follows what is due, not the
// size of the table.
func (s *Occurrences) Claim(ctx context.Context, now time.Time, lease time.Duration, recipients int) ([]Claim, error) {
	if lease <= 0 || recipients <= 0 {
		return nil, fmt.Errorf("claim occurrences: %w: lease %v and recipients %d must be positive", ErrInvalid, lease, recipients)
	}
	now = DBTime(now)
	until := DBTime(now.Add(lease))
	horizon := now.Truncate(time.Minute).Add(time.Minute)
	batch := rand.Text()
	var claims []Claim
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		claims = nil
		scan := recipients * claimScan
		cands, err := QueryRows[claimCandidate](ctx, s.db, s.claimQuery(), s.claimArgs(now, scan)...)
		if err == nil && len(cands) == 0 {
			// Every one of the earliest due rows belongs to a recipient
			// that may not be claimed now: look past them.
			cands, err = QueryRows[claimCandidate](ctx, s.db, s.claimQuery(), s.claimArgs(now, noLimit)...)
		}
		if err != nil {
			return fmt.Errorf("select due: %w", err)
		}
		var keys []recipientKey
		seen := map[recipientKey]bool{}
		for _, c := range cands {
			k := recipientKey{c.WorkspaceID, c.Recipient}
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
		if s.db.dialect == DialectPostgres {
			if keys, err = s.lockRecipients(ctx, keys, recipients); err != nil {
				return err
			}
		} else if len(keys) > recipients {
			keys = keys[:recipients]
		}
		if len(keys) == 0 {
			return nil
		}
		rows, err := s.waitingOf(ctx, keys, now, horizon)
		if err != nil {
			return err
		}
		ids := make([]int64, 0, len(rows))
		was := make(map[int64]waitingRow, len(rows))
		for _, r := range rows {
			ids = append(ids, r.ID)
			was[r.ID] = r
		}
		if len(ids) == 0 {
			return nil
		}
		// The token is random per call, and the id makes it one per
		// occurrence: a later claim of the same row gets a different one.
		taken, err := QueryRows[occurrenceRow](ctx, s.db, `
			UPDATE occurrences
			SET status = 'claimed', lease_token = ? || '.' || CAST(id AS TEXT), lease_until = ?,
			    attempts = attempts + 1, updated_at = ?
			WHERE id IN ?
			RETURNING *`, MarkingToken+batch, until, now, ids)
		if err != nil {
			return fmt.Errorf("lease: %w", err)
		}
		claims = make([]Claim, len(taken))
		for i, r := range taken {
			claims[i] = Claim{
				Occurrence:   r.domain(),
				Token:        FromNullString(r.LeaseToken),
				LeaseExpired: was[r.ID].Status == OccurrenceClaimed,
				MayBeInSlack: was[r.ID].mayBeInSlack(),
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim occurrences: %w", err)
	}
	slices.SortFunc(claims, func(a, b Claim) int {
		return cmp.Or(a.Occurrence.DeliverAt.Compare(b.Occurrence.DeliverAt), cmp.Compare(a.Occurrence.ID, b.Occurrence.ID))
	})
	return claims, nil
}

// lockRecipients takes, without waiting, the transaction's advisory lock
// on each recipient in keys, in order, until it holds want of them, and
// returns those it holds. A recipient whose lock another claimer holds is
// being claimed by it, and is left to it.
func (s *Occurrences) lockRecipients(ctx context.Context, keys []recipientKey, want int) ([]recipientKey, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	values := make([]string, len(keys))
	args := make([]any, 0, 2*len(keys)+1)
	for i, k := range keys {
		values[i] = "(?, ?)"
		args = append(args, k.workspace, k.recipient)
	}
	args = append(args, want)
	// The scan of the list is in its order, and the LIMIT stops it, and so
	// the locking, once want are held.
	rows, err := QueryRows[struct {
		W string `gorm:"column:w"`
		R string `gorm:"column:r"`
	}](ctx, s.db, `
		SELECT w, r FROM (VALUES `+strings.Join(values, ", ")+`) AS v (w, r)
		WHERE pg_try_advisory_xact_lock(hashtextextended('trellis.occurrences/' || w || '/' || r, 0))
		LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("lock recipients: %w", err)
	}
	out := make([]recipientKey, len(rows))
	for i, r := range rows {
		out[i] = recipientKey{r.W, r.R}
	}
	return out, nil
}

// waitingOf returns, for each recipient in keys that has no live claim,
// all their rows a claim takes at now — due ones, and those due before
// horizon — locked on Postgres; a recipient with nothing due at now (what
// was due was taken or settled meanwhile) is left out.
func (s *Occurrences) waitingOf(ctx context.Context, keys []recipientKey, now, horizon time.Time) ([]waitingRow, error) {
	byWS := map[string][]string{}
	var order []string
	for _, k := range keys {
		if _, ok := byWS[k.workspace]; !ok {
			order = append(order, k.workspace)
		}
		byWS[k.workspace] = append(byWS[k.workspace], k.recipient)
	}
	lock := ""
	if s.db.dialect == DialectPostgres {
		// The recipient's advisory lock keeps other claimers away; the row
		// locks wait for a holder settling a row at this moment (whose
		// lease ran out), so a row it settles is not claimed again.
		lock = ` FOR UPDATE OF o`
	}
	var out []waitingRow
	for _, ws := range order {
		rows, err := QueryRows[waitingRow](ctx, s.db, `
			SELECT o.id, o.workspace_id, o.recipient, o.status, o.deliver_at, o.lease_token, o.wire_at FROM occurrences o
			WHERE o.workspace_id = ? AND o.recipient IN ?
			  AND ((o.status IN ('planned', 'deferred') AND o.deliver_at < ?)
			    OR (o.status = 'claimed' AND o.lease_until < ?))
			  AND NOT EXISTS (
			    SELECT 1 FROM occurrences l
			    WHERE l.workspace_id = o.workspace_id AND l.recipient = o.recipient
			      AND l.status = 'claimed' AND l.lease_until >= ?)
			ORDER BY o.id`+lock, ws, byWS[ws], horizon, now, now)
		if err != nil {
			return nil, fmt.Errorf("select waiting: %w", err)
		}
		due := map[string]bool{}
		for _, r := range rows {
			if r.Status == OccurrenceClaimed || (r.DeliverAt != nil && !r.DeliverAt.After(now)) {
				due[r.Recipient] = true
			}
		}
		for _, r := range rows {
			if due[r.Recipient] {
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// QueryRows runs a statement that returns rows and scans each into a T.
// Unlike Raw(...).Scan, whose slow-query log line carries the bound
// values, this goes through the DB's logger, which drops them: a lease
// token stays out of the logs.
func QueryRows[T any](ctx context.Context, db *DB, sql string, args ...any) ([]T, error) {
	g := db.Conn(ctx)
	rows, err := g.Raw(sql, args...).Rows()
	if err != nil {
		return nil, Translate(err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := g.ScanRows(rows, &v); err != nil {
			return nil, Translate(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, Translate(err)
	}
	return out, nil
}

// claimQuery selects due rows of recipients a claim may take: none with
// a live claim, none with a schedule target due but not planned yet. The
// inner search takes the earliest due rows, at most its limit: each branch
// of its OR matches one index, (status, deliver_at) for planned and
// deferred rows, lease_until for claims. Only those are tested for a live
// claim (occurrences_waiting) and for a target awaiting planning
// (schedule_targets_recipient), so a claim's cost follows the few rows it
// may take, not everything due.
func (s *Occurrences) claimQuery() string {
	return `
		SELECT o.id, o.workspace_id, o.recipient, o.status FROM (
		  SELECT id, workspace_id, recipient, status, deliver_at FROM occurrences
		  WHERE (status = 'planned' AND deliver_at <= ?)
		     OR (status = 'deferred' AND deliver_at <= ?)
		     OR (status = 'claimed' AND lease_until < ?)
		  ORDER BY deliver_at, id
		  LIMIT ?) o
		WHERE NOT EXISTS (
		    SELECT 1 FROM occurrences l
		    WHERE l.workspace_id = o.workspace_id AND l.recipient = o.recipient
		      AND l.status = 'claimed' AND l.lease_until >= ?)
		  AND NOT EXISTS (
		    SELECT 1 FROM schedule_targets t
		    WHERE t.workspace_id = o.workspace_id AND t.recipient = o.recipient
		      AND t.next_at <= ? AND t.next_at > ?)
		ORDER BY o.deliver_at, o.id`
}

// noLimit is an inner limit that does not limit.
const noLimit = math.MaxInt32

// claimArgs are claimQuery's arguments at now, looking at the earliest
// scan due rows.
func (s *Occurrences) claimArgs(now time.Time, scan int) []any {
	return []any{now, now, now, scan, now, now, DBTime(now.Add(-PlanningWait))}
}

// ExplainClaim returns the database's plan for Claim's search, for an
// operator asking why a tick is slow (and for the test that proves it uses
// the indexes): EXPLAIN on Postgres, EXPLAIN QUERY PLAN on SQLite, one
// line per row.
func (s *Occurrences) ExplainClaim(ctx context.Context, now time.Time, limit int) (string, error) {
	now = DBTime(now)
	explain := "EXPLAIN "
	col := 0
	if s.db.dialect == DialectSQLite {
		explain, col = "EXPLAIN QUERY PLAN ", 3
	}
	rows, err := s.db.Conn(ctx).Raw(explain+s.claimQuery(), s.claimArgs(now, limit)...).Rows()
	if err != nil {
		return "", fmt.Errorf("explain claim: %w", Translate(err))
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return "", fmt.Errorf("explain claim: %w", err)
	}
	var lines []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return "", fmt.Errorf("explain claim: %w", err)
		}
		lines = append(lines, fmt.Sprint(vals[min(col, len(vals)-1)]))
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("explain claim: %w", err)
	}
	return strings.Join(lines, "\n"), nil
}

// Complete settles a claimed occurrence as delivered, skipped, superseded
// or missed, with a reason, the Slack receipt (for delivered) and the
// time, and ends the lease. It succeeds only for the lease's holder: if
// the occurrence is not claimed with token any more, nothing changes and
// the error is ErrLeaseLost. A lease that ran out still completes while
// nobody else has claimed the occurrence.
func (s *Occurrences) Complete(ctx context.Context, id int64, token, status, reason string, receipt Receipt, at time.Time) error {
	switch status {
	case OccurrenceDelivered, OccurrenceSkipped, OccurrenceSuperseded, OccurrenceMissed:
	default:
		return fmt.Errorf("complete occurrence %d: %w: %q is not a final status", id, ErrInvalid, status)
	}
	at = DBTime(at)
	var sent *time.Time
	if status == OccurrenceDelivered {
		sent = &at
	}
	res := s.db.Conn(ctx).Exec(`
		UPDATE occurrences
		SET status = ?, reason = ?, sent_at = ?, slack_channel = ?, slack_ts = ?,
		    lease_token = NULL, lease_until = NULL, wire_at = NULL, updated_at = ?
		WHERE id = ? AND status = 'claimed' AND lease_token = ?`,
		status, reason, sent, toNullString(receipt.Channel), toNullString(receipt.TS), at, id, token)
	if res.Error != nil {
		return fmt.Errorf("complete occurrence %d: %w", id, Translate(res.Error))
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("complete occurrence %d: %w", id, ErrLeaseLost)
	}
	return nil
}

// Release gives a claimed occurrence back, deferred to deliverAt with the
// reason (the person is in quiet hours, Slack asked to retry later, ...),
// and ends the lease; Claim takes it again once deliverAt is due. Like
// Complete, only the lease's holder can release it, else ErrLeaseLost. It
// records that nothing of it is in Slack: a mark left by
// ReleaseUnconfirmed is cleared.
func (s *Occurrences) Release(ctx context.Context, id int64, token string, deliverAt time.Time, reason string) error {
	return s.release(ctx, id, token, deliverAt, reason, time.Time{})
}

// ReleaseUnconfirmed is Release for an occurrence a send of which may have
// reached Slack at sentAt (Slack's answer was lost): the occurrence keeps
// sentAt as its SentAt while it waits, so SentSince counts it, against the
// daily budget, as if it had been sent, until a claim finds out from the
// conversation and completes or releases it.
func (s *Occurrences) ReleaseUnconfirmed(ctx context.Context, id int64, token string, deliverAt, sentAt time.Time, reason string) error {
	if sentAt.IsZero() {
		return fmt.Errorf("release occurrence %d: %w: no send time", id, ErrInvalid)
	}
	return s.release(ctx, id, token, deliverAt, reason, sentAt)
}

func (s *Occurrences) release(ctx context.Context, id int64, token string, deliverAt time.Time, reason string, sentAt time.Time) error {
	if deliverAt.IsZero() {
		return fmt.Errorf("release occurrence %d: %w: no delivery time", id, ErrInvalid)
	}
	res := s.db.Conn(ctx).Exec(`
		UPDATE occurrences
		SET status = 'deferred', deliver_at = ?, reason = ?, sent_at = ?,
		    lease_token = NULL, lease_until = NULL, wire_at = NULL, updated_at = ?
		WHERE id = ? AND status = 'claimed' AND lease_token = ?`,
		DBTime(deliverAt), reason, toNullTime(sentAt), s.db.Now(), id, token)
	if res.Error != nil {
		return fmt.Errorf("release occurrence %d: %w", id, Translate(res.Error))
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("release occurrence %d: %w", id, ErrLeaseLost)
	}
	return nil
}

// Get returns the occurrence with the id, or ErrNotFound.
func (s *Occurrences) Get(ctx context.Context, id int64) (Occurrence, error) {
	var r occurrenceRow
	if err := s.db.Conn(ctx).Where("id = ?", id).Take(&r).Error; err != nil {
		return Occurrence{}, fmt.Errorf("get occurrence %d: %w", id, Translate(err))
	}
	return r.domain(), nil
}

// CountByStatus counts a workspace's occurrences by status; statuses with
// none are absent.
func (s *Occurrences) CountByStatus(ctx context.Context, workspaceID string) (map[string]int, error) {
	rows, err := QueryRows[struct {
		Status string
		N      int
	}](ctx, s.db, `SELECT status, COUNT(*) AS n FROM occurrences WHERE workspace_id = ? GROUP BY status`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("count occurrences of %s: %w", workspaceID, Translate(err))
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}

// Renew extends a claim's lease to until, and returns ErrLeaseLost unless
// the caller still holds it. A deliverer renews right before it sends, so
// a claimer that stalled past its lease finds out before, not after,
// reaching Slack.
func (s *Occurrences) Renew(ctx context.Context, id int64, token string, until time.Time) error {
	res := s.db.Conn(ctx).Exec(`
		UPDATE occurrences SET lease_until = ?, updated_at = ?
		WHERE id = ? AND status = 'claimed' AND lease_token = ?`,
		DBTime(until), s.db.Now(), id, token)
	if res.Error != nil {
		return fmt.Errorf("renew occurrence %d: %w", id, Translate(res.Error))
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("renew occurrence %d: %w", id, ErrLeaseLost)
	}
	return nil
}

// RenewToSend is Renew for a claim about to go on the wire: it also marks
// the occurrence as started towards Slack at at, so that a claimer taking
// it over once the lease has run out looks for it in the conversation
// first (Claim.MayBeInSlack). The mark lasts until the occurrence is
// completed or released. Like Renew, only the lease's holder can, else
// ErrLeaseLost; a claim whose mark could not be written must not be sent.
func (s *Occurrences) RenewToSend(ctx context.Context, id int64, token string, until, at time.Time) error {
	res := s.db.Conn(ctx).Exec(`
		UPDATE occurrences SET lease_until = ?, wire_at = ?, updated_at = ?
		WHERE id = ? AND status = 'claimed' AND lease_token = ?`,
		DBTime(until), DBTime(at), s.db.Now(), id, token)
	if res.Error != nil {
		return fmt.Errorf("renew occurrence %d to send: %w", id, Translate(res.Error))
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("renew occurrence %d to send: %w", id, ErrLeaseLost)
	}
	return nil
}

// Sent is one delivered proactive message: what a daily budget counts.
// Occurrences merged into one DM share a Receipt and count once. An
// Unconfirmed one is an occurrence whose send may have reached Slack but
// was not confirmed yet (see ReleaseUnconfirmed): it counts as sent, alone.
type Sent struct {
	Recipient   string
	At          time.Time
	Receipt     Receipt
	Occurrence  int64
	Unconfirmed bool
}

// SentSince lists the messages delivered to the recipients at or after
// since, and the sends not confirmed yet, for counting against their daily
// budgets.
func (s *Occurrences) SentSince(ctx context.Context, workspaceID string, recipients []string, since time.Time) ([]Sent, error) {
	var out []Sent
	for chunk := range slices.Chunk(recipients, 500) {
		rows, err := QueryRows[struct {
			ID           int64     `gorm:"column:id"`
			Recipient    string    `gorm:"column:recipient"`
			Status       string    `gorm:"column:status"`
			SentAt       time.Time `gorm:"column:sent_at"`
			SlackChannel *string   `gorm:"column:slack_channel"`
			SlackTS      *string   `gorm:"column:slack_ts"`
		}](ctx, s.db, `
			SELECT id, recipient, status, sent_at, slack_channel, slack_ts FROM occurrences
			WHERE workspace_id = ? AND recipient IN ? AND sent_at >= ?`,
			workspaceID, chunk, DBTime(since))
		if err != nil {
			return nil, fmt.Errorf("sent since: %w", err)
		}
		for _, r := range rows {
			out = append(out, Sent{Recipient: r.Recipient, At: r.SentAt.UTC(), Occurrence: r.ID,
				Unconfirmed: r.Status != OccurrenceDelivered,
				Receipt:     Receipt{Channel: FromNullString(r.SlackChannel), TS: FromNullString(r.SlackTS)}})
		}
	}
	return out, nil
}

// ForRecipient returns a recipient's occurrences with a nominal instant at
// or after since, latest first, at most limit: what "Why didn't I get
// this?" reads.
func (s *Occurrences) ForRecipient(ctx context.Context, workspaceID, recipient string, since time.Time, limit int) ([]Occurrence, error) {
	var rows []occurrenceRow
	err := s.db.Conn(ctx).Where("workspace_id = ? AND recipient = ? AND nominal_at >= ?", workspaceID, recipient, DBTime(since)).
		Order("nominal_at DESC, id DESC").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("occurrences of %s/%s: %w", workspaceID, recipient, Translate(err))
	}
	out := make([]Occurrence, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// PlannedAfter reports whether the recipient has an occurrence, of any
// status, whose CadenceID starts with prefix and that was planned after the
// occurrence id: a one-off asked for again since (a prompt snoozed a
// second time) makes the earlier one stale.
func (s *Occurrences) PlannedAfter(ctx context.Context, workspaceID, recipient, prefix string, id int64) (bool, error) {
	var n int64
	err := s.db.Conn(ctx).Model(&occurrenceRow{}).
		Where("workspace_id = ? AND recipient = ? AND id > ? AND substr(cadence_id, 1, ?) = ?", workspaceID, recipient, id, len(prefix), prefix).
		Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("occurrences of %s after %d: %w", recipient, id, Translate(err))
	}
	return n > 0, nil
}

// Waiting returns a cadence's occurrences not yet settled (planned,
// deferred or claimed) whose nominal instant is in [from, to], in nominal
// order: what a check-in round looks at before it closes.
func (s *Occurrences) Waiting(ctx context.Context, workspaceID, cadenceID string, from, to time.Time) ([]Occurrence, error) {
	var rows []occurrenceRow
	err := s.db.Conn(ctx).Where("workspace_id = ? AND cadence_id = ? AND status IN ? AND nominal_at >= ? AND nominal_at <= ?",
		workspaceID, cadenceID, []string{OccurrencePlanned, OccurrenceDeferred, OccurrenceClaimed}, DBTime(from), DBTime(to)).
		Order("nominal_at, id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("waiting occurrences of %s/%s: %w", workspaceID, cadenceID, Translate(err))
	}
	out := make([]Occurrence, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}
