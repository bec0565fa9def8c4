package checkins

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gorm.io/gorm/clause"

	"github.com/trellis-bot/trellis/models"
)

// A person's answers to a round: checking and storing them, counting
// anonymous ones without the person, and the questions a round was
// answered to.

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
	Post Post
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
func (s *Store) Answer(ctx context.Context, workspaceID string, roundID int64, userID string, sub Submission) (AnswerResult, error) {
	var res AnswerResult
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		res = AnswerResult{}
		var round roundRow
		if err := s.db.Conn(ctx).Where("id = ? AND workspace_id = ?", roundID, workspaceID).Take(&round).Error; err != nil {
			return models.Translate(err)
		}
		c, err := s.Get(ctx, workspaceID, round.CheckinID)
		if err != nil {
			return err
		}
		var prev responseRow
		err = s.db.Conn(ctx).Where("round_id = ? AND user_id = ?", roundID, userID).Take(&prev).Error
		switch err := models.Translate(err); {
		case err == nil:
		case errors.Is(err, models.ErrNotFound):
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
			return models.Translate(err)
		}
		if len(sub.Answers) > 0 {
			rows := make([]answerRow, 0, len(sub.Answers))
			for _, id := range slices.Sorted(mapKeys(sub.Answers)) {
				rows = append(rows, answerRow{RoundID: roundID, WorkspaceID: workspaceID, UserID: userID, QuestionID: int64(id), Value: sub.Answers[id]})
			}
			if err := s.db.Conn(ctx).Create(&rows).Error; err != nil {
				return models.Translate(err)
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
		res.Post, err = s.QueuePost(ctx, Post{WorkspaceID: workspaceID, RoundID: roundID, CheckinID: c.ID,
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
func (s *Store) countAnonymous(ctx context.Context, workspaceID string, roundID int64, c Checkin, answers map[int]string) error {
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
		return models.Translate(err)
	}
	for _, id := range ids {
		if err := s.db.Conn(ctx).Exec(`UPDATE checkin_anonymous SET n = n + CASE WHEN value = ? THEN 1 ELSE 0 END
			WHERE round_id = ? AND question_id = ?`, strings.TrimSpace(answers[int(id)]), roundID, id).Error; err != nil {
			return models.Translate(err)
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
			// A feature's question is never required: a person with
			// nothing to enter there is not held up.
			if q.Required && q.Kind != KindFeature && !(q.Anonymous && uncounted) {
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
		return fmt.Errorf("%w: %s", models.ErrInvalid, strings.Join(problems, "; "))
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

// AsAnswered returns c with the questions of one of its rounds: those the
// round's answers and anonymous counts were given to — retired ones
// included, as they were asked — and the check-in's current questions,
// ordered by position (a retired question keeps its last one). Reports of
// a round (its answers, summary, digest) read it, so an edit made since
// never relabels an answer. A question added after the round closed shows
// there unanswered.
func (s *Store) AsAnswered(ctx context.Context, c Checkin, roundID int64) (Checkin, error) {
	var rows []questionRow
	if err := s.db.Conn(ctx).Where(`checkin_id = ? AND (retired = ?
		OR id IN (SELECT question_id FROM checkin_answers WHERE round_id = ?)
		OR id IN (SELECT question_id FROM checkin_anonymous WHERE round_id = ? AND n > 0))`, c.ID, false, roundID, roundID).
		Order("position, id").Find(&rows).Error; err != nil {
		return Checkin{}, fmt.Errorf("questions of round %d: %w", roundID, models.Translate(err))
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
