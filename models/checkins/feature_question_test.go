package checkins_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/checkins"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// feature is a question asking another feature's question kind "fake".
func feature(prompt string) checkins.Question {
	return checkins.Question{Kind: checkins.KindFeature, Prompt: prompt, Options: []string{"fake"}}
}

// A feature question names its kind, is never anonymous, and a
// check-in asks at most one; each problem is on the question's line.
func TestFeatureQuestionValidate(t *testing.T) {
	base := func(qs ...checkins.Question) checkins.Checkin {
		c, _ := checkins.FindTemplate("standup")
		c.Checkin.Questions = append([]checkins.Question{{Kind: checkins.KindText, Prompt: "What's new?", Required: true}}, qs...)
		return c.Checkin
	}
	anon := feature("Numbers")
	anon.Anonymous = true
	for _, tt := range []struct {
		name string
		qs   []checkins.Question
		item int    // 0: valid
		says string // part of the message
	}{
		{"one", []checkins.Question{feature("Numbers")}, 0, ""},
		{"required all the same", []checkins.Question{{Kind: checkins.KindFeature, Prompt: "Numbers", Options: []string{"fake"}, Required: true}}, 0, ""},
		{"anonymous", []checkins.Question{anon}, 2, "can't be anonymous"},
		{"two", []checkins.Question{feature("Numbers"), feature("Again")}, 3, "at most one `fake:` question"},
		{"no name", []checkins.Question{{Kind: checkins.KindFeature, Prompt: "Numbers"}}, 2, "doesn't say which kind"},
		{"a name nobody types", []checkins.Question{{Kind: checkins.KindFeature, Prompt: "Numbers", Options: []string{"Fake Kind"}}}, 2, "doesn't say which kind"},
		{"two names", []checkins.Question{{Kind: checkins.KindFeature, Prompt: "Numbers", Options: []string{"fake", "other"}}}, 2, "doesn't say which kind"},
	} {
		err := base(tt.qs...).Validate(nil)
		if tt.item == 0 {
			if err != nil {
				t.Errorf("%s: %v, want valid", tt.name, err)
			}
			continue
		}
		var ve *checkins.ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("%s: %v, want a ValidationError", tt.name, err)
			continue
		}
		found := false
		for _, p := range ve.Problems {
			found = found || (p.Field == checkins.FieldQuestions && p.Item == tt.item && strings.Contains(p.Message, tt.says))
		}
		if !found {
			t.Errorf("%s: problems %+v, want one on question %d saying %q", tt.name, ve.Problems, tt.item, tt.says)
		}
	}
}

// A feature question is stored with its kind's name, never holds up an
// answer left without it, keeps the summary given like a text answer,
// and counts toward no aggregate.
func TestFeatureQuestionStored(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := checkins.NewStore(db)
		c := checkins.Checkin{WorkspaceID: "T1", ChannelID: "C1", OwnerID: "UO", Name: "Weekly", Cadence: "fridays at 15:00",
			Participants: checkins.ParticipantsChannel, Destination: checkins.DestinationDigest, RoundLength: 8 * time.Hour,
			Questions: []checkins.Question{
				{Kind: checkins.KindText, Prompt: "What's new?", Required: true},
				{Kind: checkins.KindFeature, Prompt: "Your numbers", Options: []string{"fake"}, Required: true},
				{Kind: checkins.KindScale, Prompt: "How was it?", Options: []string{"rough", "great"}, Required: true},
			}}
		created, err := s.Create(ctx, c, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, "T1", created.ID)
		if err != nil {
			t.Fatal(err)
		}
		fq := got.Questions[1]
		if fq.Kind != checkins.KindFeature || fq.Provider() != "fake" || fq.ID == 0 {
			t.Fatalf("stored feature question = %+v, want kind feature asking fake", fq)
		}
		open := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
		r, err := s.OpenRound(ctx, "T1", created.ID, date(t, "2026-12-07"), open, open.Add(8*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		text, scale := int(got.Questions[0].ID), int(got.Questions[2].ID)
		// Without the feature question's answer: accepted.
		if _, err := s.Answer(ctx, "T1", r.ID, "U1", checkins.Submission{Answers: map[int]string{text: "Shipping", scale: "4"}}); err != nil {
			t.Fatalf("an answer without the feature question: %v", err)
		}
		// With its summary: kept as given.
		if _, err := s.Answer(ctx, "T1", r.ID, "U2", checkins.Submission{Answers: map[int]string{text: "Testing", scale: "2", int(fq.ID): "Filled 3"}}); err != nil {
			t.Fatalf("an answer with the feature question: %v", err)
		}
		resp, err := s.MyResponse(ctx, "T1", r.ID, "U2")
		if err != nil || resp.Answers[int(fq.ID)] != "Filled 3" {
			t.Errorf("U2's answers = %v, %v; want the summary kept", resp.Answers, err)
		}
		aggs, err := s.Aggregates(ctx, "T1", r.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range aggs {
			if a.QuestionID == fq.ID {
				t.Errorf("the feature question has an aggregate: %+v", a)
			}
		}
	})
}

// A feature question's answer is the person's own: for each way the
// other answers go, everyone's export and the round's aggregates and
// counts are the same whether a person gave the feature's summary or
// not (apart from their user id), while their own export shows it.
func TestFeatureAnswerPersonal(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := checkins.NewStore(db)
		c := checkins.Checkin{WorkspaceID: "T1", ChannelID: "C1", OwnerID: "UO", Name: "Weekly", Cadence: "fridays at 15:00",
			Participants: checkins.ParticipantsChannel, Destination: checkins.DestinationThread, RoundLength: 8 * time.Hour,
			Questions: []checkins.Question{
				{Kind: checkins.KindText, Prompt: "What's new?"},
				{Kind: checkins.KindFeature, Prompt: "Your numbers", Options: []string{"fake"}},
				{Kind: checkins.KindScale, Prompt: "How was it?", Options: []string{"rough", "great"}},
			}}
		created, err := s.Create(ctx, c, nil)
		if err != nil {
			t.Fatal(err)
		}
		text, fq, scale := int(created.Questions[0].ID), int(created.Questions[1].ID), int(created.Questions[2].ID)
		for i, other := range []map[int]string{{}, {text: "Shipping"}, {text: "Shipping", scale: "4"}, {scale: "1"}} {
			day := fmt.Sprintf("2026-12-%02d", 7+i)
			open := time.Date(2026, 12, 7+i, 10, 0, 0, 0, time.UTC)
			r, err := s.OpenRound(ctx, "T1", created.ID, date(t, day), open, open.Add(8*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			with := map[int]string{fq: "Updated 2 key results"}
			for k, v := range other {
				with[k] = v
			}
			if _, err := s.Answer(ctx, "T1", r.ID, "UA", checkins.Submission{Answers: with}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Answer(ctx, "T1", r.ID, "UB", checkins.Submission{Answers: maps.Clone(other)}); err != nil {
				t.Fatal(err)
			}
			all, err := s.Export(ctx, "T1", created.ID, "")
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string][]string{}
			for _, row := range all {
				if row.Date.String() != day {
					continue
				}
				seen[row.UserID] = append(seen[row.UserID], fmt.Sprintf("%s %d %s=%s", row.Status, row.Position, row.Question, row.Answer))
			}
			if !slices.Equal(seen["UA"], seen["UB"]) {
				t.Errorf("answers %v: everyone's export says %q of UA and %q of UB", other, seen["UA"], seen["UB"])
			}
			mine, err := s.Export(ctx, "T1", created.ID, "UA")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(mine, func(row checkins.ExportRow) bool { return row.Answer == "Updated 2 key results" }) {
				t.Errorf("answers %v: UA's own export leaves out their summary: %+v", other, mine)
			}
			aggs, err := s.Aggregates(ctx, "T1", r.ID, 1)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range aggs {
				if a.QuestionID == int64(fq) {
					t.Errorf("the feature question has an aggregate: %+v", a)
				}
				if a.QuestionID == int64(scale) && other[scale] != "" && a.Count != 2 {
					t.Errorf("answers %v: the scale counts %d answers, want 2", other, a.Count)
				}
			}
		}
	})
}
