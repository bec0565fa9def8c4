package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm/clause"
)

// Round is one check-in on one local date: each participant gets it at
// their own local time that day. Answers are accepted until the next round
// starts; ClosesAt is when the round's summary is due.
type Round struct {
	ID          int64
	CheckinID   int64
	WorkspaceID string
	Date        Date
	OpenedAt    time.Time
	ClosesAt    time.Time
	// ThreadTS is the round's thread in the channel, once posted.
	ThreadTS string
	Closed   bool
}

type roundRow struct {
	ID          int64     `gorm:"column:id;primaryKey;autoIncrement"`
	CheckinID   int64     `gorm:"column:checkin_id"`
	WorkspaceID string    `gorm:"column:workspace_id"`
	RoundDate   Date      `gorm:"column:round_date;type:text"`
	OpenedAt    time.Time `gorm:"column:opened_at"`
	ClosesAt    time.Time `gorm:"column:closes_at"`
	ThreadTS    string    `gorm:"column:thread_ts"`
	Closed      bool      `gorm:"column:closed"`
}

func (roundRow) TableName() string { return "checkin_rounds" }

func (r roundRow) domain() Round {
	return Round{ID: r.ID, CheckinID: r.CheckinID, WorkspaceID: r.WorkspaceID, Date: r.RoundDate,
		OpenedAt: r.OpenedAt.UTC(), ClosesAt: r.ClosesAt.UTC(), ThreadTS: r.ThreadTS, Closed: r.Closed}
}

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

type answerRow struct {
	RoundID     int64  `gorm:"column:round_id;primaryKey"`
	WorkspaceID string `gorm:"column:workspace_id"`
	UserID      string `gorm:"column:user_id;primaryKey"`
	QuestionID  int64  `gorm:"column:question_id;primaryKey"`
	Value       string `gorm:"column:value"`
}

func (answerRow) TableName() string { return "checkin_answers" }

// anonymousRow is how many people gave one value to one anonymous
// question of a round. It has no id and no time, and every value's row
// exists and is written by every anonymous submission (see countAnonymous),
// so neither its order nor which row changed says who answered what.
type anonymousRow struct {
	RoundID     int64  `gorm:"column:round_id;primaryKey"`
	WorkspaceID string `gorm:"column:workspace_id"`
	QuestionID  int64  `gorm:"column:question_id;primaryKey"`
	Value       string `gorm:"column:value;primaryKey"`
	N           int    `gorm:"column:n"`
}

func (anonymousRow) TableName() string { return "checkin_anonymous" }

// Response statuses.
const (
	// ResponseAsked means the person got the round and has not answered,
	// skipped or snoozed it yet (see MarkAsked).
	ResponseAsked    = "asked"
	ResponseAnswered = "answered"
	ResponseSkipped  = "skipped"
	ResponseSnoozed  = "snoozed"
)

// OpenRound returns the check-in's round on date, creating it if it is
// new. Opening it again (another participant's local time that day)
// keeps the earliest opening and the latest closing time.
func (s *Checkins) OpenRound(ctx context.Context, workspaceID string, checkinID int64, date Date, openedAt, closesAt time.Time) (Round, error) {
	var out Round
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		row := roundRow{CheckinID: checkinID, WorkspaceID: workspaceID, RoundDate: date, OpenedAt: DBTime(openedAt), ClosesAt: DBTime(closesAt)}
		if err := s.db.Conn(ctx).Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "checkin_id"}, {Name: "round_date"}},
			DoNothing: true,
		}).Create(&row).Error; err != nil {
			return Translate(err)
		}
		var got roundRow
		if err := s.db.Conn(ctx).Where("checkin_id = ? AND round_date = ?", checkinID, date.String()).Take(&got).Error; err != nil {
			return Translate(err)
		}
		if got.WorkspaceID != workspaceID {
			return ErrNotFound
		}
		upd := map[string]any{}
		if openedAt.Before(got.OpenedAt) {
			upd["opened_at"], got.OpenedAt = DBTime(openedAt), DBTime(openedAt)
		}
		if closesAt.After(got.ClosesAt) {
			upd["closes_at"], got.ClosesAt = DBTime(closesAt), DBTime(closesAt)
		}
		if len(upd) > 0 {
			if err := s.db.Conn(ctx).Model(&roundRow{}).Where("id = ?", got.ID).Updates(upd).Error; err != nil {
				return Translate(err)
			}
		}
		out = got.domain()
		return nil
	})
	if err != nil {
		return Round{}, fmt.Errorf("open round %s of check-in %d: %w", date, checkinID, err)
	}
	return out, nil
}

// Submission is one person's answers to a round, by question id
// (Question.ID). Answers to anonymous questions go in Anonymous; they are
// counted without the person and cannot be changed afterwards, since
// nothing says whose they are.
type Submission struct {
	Answers   map[int]string
	Anonymous map[int]string
}

// AnswerResult is what storing an answer did.
type AnswerResult struct {
	// First reports that this was the person's first answer to the round
	// (they had not answered it before; being asked, skipping or snoozing
	// do not count).
	First bool
	// Version is the version of the answer post queued for this answer: 1
	// for the first answer, one more for each edit. It is 0 when the
	// check-in posts nothing in the channel (DestinationDigest).
	Version int
	// Post is the answer post queued, in the same transaction, for the
	// channel or the round's thread; zero for DestinationDigest.
	Post CheckinPost
	// Late reports that the round was already closed (its summary is due
	// or out): the answer is kept all the same.
	Late bool
}

// Answer stores a person's answers to a round, replacing their earlier
// identified answers to the questions asked now (answers can be edited;
// one to a question retired since is kept with it). Each value is checked
// against its question: a scale takes 1 to 5, a choice one of its
// options, a blocked question yes or no; required questions need an
// answer (an anonymous one only while it would be counted). Answers are
// by question id and go to the check-in's current questions. Anonymous
// answers are counted (see countAnonymous) the first time only, and only
// while the round is open (afterwards they are dropped, so the totals
// already shown cannot be compared to single out a late answer). When the
// check-in's destination is the channel or a thread, it queues an answer
// post (see QueuePost) in the same transaction, a new version for each
// edit, so the answer is posted exactly once however the poster fares.
func (s *Checkins) Answer(ctx context.Context, workspaceID string, roundID int64, userID string, sub Submission) (AnswerResult, error) {
	var res AnswerResult
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		res = AnswerResult{}
		var round roundRow
		if err := s.db.Conn(ctx).Where("id = ? AND workspace_id = ?", roundID, workspaceID).Take(&round).Error; err != nil {
			return Translate(err)
		}
		c, err := s.Get(ctx, workspaceID, round.CheckinID)
		if err != nil {
			return err
		}
		var prev responseRow
		err = s.db.Conn(ctx).Where("round_id = ? AND user_id = ?", roundID, userID).Take(&prev).Error
		switch err := Translate(err); {
		case err == nil:
		case errors.Is(err, ErrNotFound):
			prev = responseRow{}
		default:
			return err
		}
		// Once a person's anonymous answers are in, an edit need not give
		// them again: they are kept as first given. Nor need a late answer,
		// which would not be counted.
		if err := checkSubmission(c, sub, prev.AnonymousIn || round.Closed); err != nil {
			return err
		}
		res.First = prev.Status != ResponseAnswered
		res.Late = round.Closed
		anonymousIn := prev.AnonymousIn
		// Anonymous totals are final once a round closes: a late anonymous
		// answer would change them between two readers' digests, and the
		// difference would be that one person's answer. It is dropped.
		if !anonymousIn && len(sub.Anonymous) > 0 && !round.Closed {
			if err := s.countAnonymous(ctx, workspaceID, roundID, c, sub.Anonymous); err != nil {
				return err
			}
			anonymousIn = true
		}
		// An edit replaces the answers to the questions asked now; an
		// answer to a question retired since stays with that question.
		current := make([]int64, 0, len(c.Questions))
		for _, q := range c.Questions {
			current = append(current, q.ID)
		}
		if err := s.db.Conn(ctx).Where("round_id = ? AND user_id = ? AND question_id IN ?", roundID, userID, current).
			Delete(&answerRow{}).Error; err != nil {
			return Translate(err)
		}
		if len(sub.Answers) > 0 {
			rows := make([]answerRow, 0, len(sub.Answers))
			for _, id := range slices.Sorted(mapKeys(sub.Answers)) {
				rows = append(rows, answerRow{RoundID: roundID, WorkspaceID: workspaceID, UserID: userID, QuestionID: int64(id), Value: sub.Answers[id]})
			}
			if err := s.db.Conn(ctx).Create(&rows).Error; err != nil {
				return Translate(err)
			}
		}
		if err := s.respond(ctx, responseRow{RoundID: roundID, WorkspaceID: workspaceID, UserID: userID,
			Status: ResponseAnswered, AnonymousIn: anonymousIn, UpdatedAt: s.db.Now()}); err != nil {
			return err
		}
		if c.Destination != DestinationChannel && c.Destination != DestinationThread {
			return nil
		}
		version, err := s.lastAnswerVersion(ctx, roundID, userID)
		if err != nil {
			return err
		}
		res.Post, err = s.QueuePost(ctx, CheckinPost{WorkspaceID: workspaceID, RoundID: roundID, CheckinID: c.ID,
			Kind: PostAnswer, UserID: userID, Version: version + 1, Channel: c.ChannelID})
		res.Version = res.Post.Version
		return err
	})
	if err != nil {
		return AnswerResult{}, fmt.Errorf("answer round %d: %w", roundID, err)
	}
	return res, nil
}

// countAnonymous adds one person's anonymous answers to the round's
// counts. Every value of every anonymous question of the check-in has its
// row (created with 0 when missing), and every one of those rows is
// written, the chosen value's with +1 and the others with +0: the rows a
// transaction touched, and their Postgres xmin and ctid, are the same
// whatever was answered, and a skipped optional question looks like an
// answered one.
func (s *Checkins) countAnonymous(ctx context.Context, workspaceID string, roundID int64, c Checkin, answers map[int]string) error {
	var rows []anonymousRow
	var ids []int64
	for _, q := range c.Questions {
		if !q.Anonymous {
			continue
		}
		ids = append(ids, q.ID)
		for _, v := range anonymousValues(q) {
			rows = append(rows, anonymousRow{RoundID: roundID, WorkspaceID: workspaceID, QuestionID: q.ID, Value: v})
		}
	}
	if len(rows) == 0 {
		return nil
	}
	if err := s.db.Conn(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "round_id"}, {Name: "question_id"}, {Name: "value"}},
		DoNothing: true,
	}).Create(&rows).Error; err != nil {
		return Translate(err)
	}
	for _, id := range ids {
		if err := s.db.Conn(ctx).Exec(`UPDATE checkin_anonymous SET n = n + CASE WHEN value = ? THEN 1 ELSE 0 END
			WHERE round_id = ? AND question_id = ?`, strings.TrimSpace(answers[int(id)]), roundID, id).Error; err != nil {
			return Translate(err)
		}
	}
	return nil
}

// anonymousValues are the values an anonymous question can be given: "1"
// to "5" for a scale, the options of a choice.
func anonymousValues(q Question) []string {
	if q.Kind == KindScale {
		return []string{"1", "2", "3", "4", "5"}
	}
	return q.Options
}

func (s *Checkins) respond(ctx context.Context, r responseRow) error {
	return Translate(s.db.Conn(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "round_id"}, {Name: "user_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"status", "anonymous_in", "updated_at"}),
	}).Create(&r).Error)
}

// Decline records that a person skipped or snoozed a round. It never
// undoes an answer: a person who answered and then presses Skip keeps
// their answer.
func (s *Checkins) Decline(ctx context.Context, workspaceID string, roundID int64, userID, status string) error {
	if status != ResponseSkipped && status != ResponseSnoozed {
		return fmt.Errorf("decline round %d: %w: status %q", roundID, ErrInvalid, status)
	}
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		var prev responseRow
		err := Translate(s.db.Conn(ctx).Where("round_id = ? AND user_id = ?", roundID, userID).Take(&prev).Error)
		if err == nil && prev.Status == ResponseAnswered {
			return nil
		}
		if err != nil && !errors.Is(err, ErrNotFound) {
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

// checkSubmission checks each value against its question, by question
// id. With uncounted (the person's anonymous answers are in already, or
// the round is closed), anonymous questions may be left out even when
// required: nothing given to them now would be counted.
func checkSubmission(c Checkin, sub Submission, uncounted bool) error {
	var problems []string
	known := map[int]bool{}
	for i, q := range c.Questions {
		pos, id := i+1, int(q.ID)
		known[id] = true
		v, inAnswers := sub.Answers[id]
		av, inAnon := sub.Anonymous[id]
		switch {
		case q.Anonymous && inAnswers:
			problems = append(problems, fmt.Sprintf("question %d is anonymous; its answer cannot carry your name", pos))
			continue
		case !q.Anonymous && inAnon:
			problems = append(problems, fmt.Sprintf("question %d is not anonymous", pos))
			continue
		}
		if q.Anonymous {
			v, inAnswers = av, inAnon
		}
		v = strings.TrimSpace(v)
		if !inAnswers || v == "" {
			if q.Required && !(q.Anonymous && uncounted) {
				problems = append(problems, fmt.Sprintf("question %d (%q) needs an answer", pos, q.Prompt))
			}
			continue
		}
		switch q.Kind {
		case KindScale:
			if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 5 {
				problems = append(problems, fmt.Sprintf("question %d takes a number from 1 to 5, not %q", pos, v))
			}
		case KindChoice:
			if !slices.Contains(q.Options, v) {
				problems = append(problems, fmt.Sprintf("question %d takes one of %s, not %q", pos, strings.Join(q.Options, ", "), v))
			}
		case KindBlocked:
			if v != "yes" && v != "no" {
				problems = append(problems, fmt.Sprintf("question %d takes yes or no, not %q", pos, v))
			}
		}
	}
	for _, m := range []map[int]string{sub.Answers, sub.Anonymous} {
		for id := range m {
			if !known[id] {
				problems = append(problems, "one answer is to a question the check-in no longer asks (it changed while you were answering)")
			}
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		problems = slices.Compact(problems)
		return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(problems, "; "))
	}
	return nil
}

func mapKeys[V any](m map[int]V) func(func(int) bool) {
	return func(yield func(int) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
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
func (s *Checkins) Responses(ctx context.Context, workspaceID string, roundID int64) ([]Response, error) {
	var rs []responseRow
	if err := s.db.Conn(ctx).Where("round_id = ? AND workspace_id = ?", roundID, workspaceID).Order("user_id").Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("responses to round %d: %w", roundID, Translate(err))
	}
	var as []answerRow
	if err := s.db.Conn(ctx).Where("round_id = ? AND workspace_id = ?", roundID, workspaceID).Find(&as).Error; err != nil {
		return nil, fmt.Errorf("answers to round %d: %w", roundID, Translate(err))
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

// AsAnswered returns c with the questions of one of its rounds: those the
// round's answers and anonymous counts were given to — retired ones
// included, as they were asked — and the check-in's current questions,
// ordered by position (a retired question keeps its last one). Reports of
// a round (its answers, summary, digest) read it, so an edit made since
// never relabels an answer. A question added after the round closed shows
// there unanswered.
func (s *Checkins) AsAnswered(ctx context.Context, c Checkin, roundID int64) (Checkin, error) {
	var rows []questionRow
	if err := s.db.Conn(ctx).Where(`checkin_id = ? AND (retired = ?
		OR id IN (SELECT question_id FROM checkin_answers WHERE round_id = ?)
		OR id IN (SELECT question_id FROM checkin_anonymous WHERE round_id = ? AND n > 0))`, c.ID, false, roundID, roundID).
		Order("position, id").Find(&rows).Error; err != nil {
		return Checkin{}, fmt.Errorf("questions of round %d: %w", roundID, Translate(err))
	}
	qs := make([]Question, 0, len(rows))
	for _, r := range rows {
		q, err := r.domain()
		if err != nil {
			return Checkin{}, fmt.Errorf("questions of round %d: %w", roundID, err)
		}
		qs = append(qs, q)
	}
	c.Questions = qs
	return c, nil
}

// Aggregate sums up the answers to one scale or choice question of a
// round. For an anonymous question with fewer answers than the
// workspace's minimum group size, Hidden is set and nothing else is
// filled in: a small group's "anonymous" answers would point at people.
type Aggregate struct {
	// Position is the question's 1-based position among the round's
	// questions (AsAnswered), and QuestionID its id.
	Position   int
	QuestionID int64
	Anonymous  bool
	Count      int
	Hidden     bool
	// Average is the mean of a scale question.
	Average float64
	// Counts is how many picked each option of a choice question.
	Counts map[string]int
}

// Aggregates sums up a round's scale and choice questions — the questions
// as answered (AsAnswered), so whether a total is hidden depends on how
// its answers were given — hiding anonymous ones answered by fewer than
// minGroup people (never fewer than MinGroupSizeFloor).
func (s *Checkins) Aggregates(ctx context.Context, workspaceID string, roundID int64, minGroup int) ([]Aggregate, error) {
	var round roundRow
	if err := s.db.Conn(ctx).Where("id = ? AND workspace_id = ?", roundID, workspaceID).Take(&round).Error; err != nil {
		return nil, fmt.Errorf("aggregates of round %d: %w", roundID, Translate(err))
	}
	c, err := s.Get(ctx, workspaceID, round.CheckinID)
	if err == nil {
		c, err = s.AsAnswered(ctx, c, roundID)
	}
	if err != nil {
		return nil, fmt.Errorf("aggregates of round %d: %w", roundID, err)
	}
	var named []answerRow
	if err := s.db.Conn(ctx).Where("round_id = ?", roundID).Find(&named).Error; err != nil {
		return nil, fmt.Errorf("aggregates of round %d: %w", roundID, Translate(err))
	}
	var anon []anonymousRow
	if err := s.db.Conn(ctx).Where("round_id = ?", roundID).Find(&anon).Error; err != nil {
		return nil, fmt.Errorf("aggregates of round %d: %w", roundID, Translate(err))
	}
	// counts[question][value]; identified answers to an anonymous question
	// and counts of a non-anonymous one cannot exist, and are ignored.
	counts := map[int64]map[string]int{}
	add := func(id int64, v string, n int) {
		if counts[id] == nil {
			counts[id] = map[string]int{}
		}
		counts[id][v] += n
	}
	anonymous := map[int64]bool{}
	for _, q := range c.Questions {
		anonymous[q.ID] = q.Anonymous
	}
	for _, a := range named {
		if !anonymous[a.QuestionID] {
			add(a.QuestionID, a.Value, 1)
		}
	}
	for _, a := range anon {
		if anonymous[a.QuestionID] && a.N > 0 {
			add(a.QuestionID, a.Value, a.N)
		}
	}
	minGroup = max(minGroup, MinGroupSizeFloor)
	var out []Aggregate
	for i, q := range c.Questions {
		if q.Kind != KindScale && q.Kind != KindChoice {
			continue
		}
		agg := Aggregate{Position: i + 1, QuestionID: q.ID, Anonymous: q.Anonymous}
		for _, n := range counts[q.ID] {
			agg.Count += n
		}
		if q.Anonymous && agg.Count < minGroup {
			agg.Hidden = true
			out = append(out, agg)
			continue
		}
		if q.Kind == KindScale {
			sum := 0
			for v, n := range counts[q.ID] {
				x, _ := strconv.Atoi(v)
				sum += x * n
			}
			if agg.Count > 0 {
				agg.Average = float64(sum) / float64(agg.Count)
			}
		} else {
			agg.Counts = map[string]int{}
			for v, n := range counts[q.ID] {
				if n > 0 {
					agg.Counts[v] = n
				}
			}
		}
		out = append(out, agg)
	}
	return out, nil
}

// Round returns a round, or ErrNotFound.
func (s *Checkins) Round(ctx context.Context, workspaceID string, id int64) (Round, error) {
	var r roundRow
	if err := s.db.Conn(ctx).Where("id = ? AND workspace_id = ?", id, workspaceID).Take(&r).Error; err != nil {
		return Round{}, fmt.Errorf("get round %d: %w", id, Translate(err))
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
	res := s.db.Conn(ctx).Model(&roundRow{}).Where("id = ? AND thread_ts = ''", roundID).Update("thread_ts", ts)
	if res.Error != nil {
		return fmt.Errorf("set thread of round %d: %w", roundID, Translate(res.Error))
	}
	if res.RowsAffected > 0 {
		return nil
	}
	var n int64
	if err := s.db.Conn(ctx).Model(&roundRow{}).Where("id = ?", roundID).Count(&n).Error; err != nil {
		return fmt.Errorf("set thread of round %d: %w", roundID, Translate(err))
	}
	if n == 0 {
		return fmt.Errorf("set thread of round %d: %w", roundID, ErrNotFound)
	}
	return nil
}

// LatestRound returns the check-in's round with the latest date, or
// ErrNotFound when it has none yet.
func (s *Checkins) LatestRound(ctx context.Context, workspaceID string, checkinID int64) (Round, error) {
	var r roundRow
	if err := s.db.Conn(ctx).Where("workspace_id = ? AND checkin_id = ?", workspaceID, checkinID).
		Order("round_date DESC").Take(&r).Error; err != nil {
		return Round{}, fmt.Errorf("latest round of check-in %d: %w", checkinID, Translate(err))
	}
	return r.domain(), nil
}
