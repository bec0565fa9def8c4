package checkins_test

import (
	"strings"
	"testing"

	checkinhandlers "github.com/trellis-bot/trellis/handlers/checkins"
	jobcheckins "github.com/trellis-bot/trellis/jobs/checkins"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
)

// An anonymous question whose answer would not be counted — the person's
// anonymous answers are in already, or the round has closed — is optional
// in the form and says why ("Already counted", "Not counted now"), and a
// submission leaving it blank is accepted; while an answer would be
// counted, a required anonymous question stays required. The property is
// checked for every anonymous question of every kind in the form.
func TestUncountedAnonymousQuestionsAreOptional(t *testing.T) {
	open, closed := aRound, aRound
	closed.Closed = true
	tests := []struct {
		name  string
		round checkinmodels.Round
		resp  checkinmodels.Response
		// previous is the person's earlier identified answers; nil on a
		// first answer.
		previous map[int]string
		counted  bool
		hint     string
	}{
		{"first answer", open, checkinmodels.Response{Status: checkinmodels.ResponseAsked}, nil, true, "Stored without your name"},
		{"edit", open, checkinmodels.Response{Status: checkinmodels.ResponseAnswered, AnonymousIn: true}, map[int]string{}, false, "Already counted"},
		{"late", closed, checkinmodels.Response{Status: checkinmodels.ResponseAsked}, nil, false, "Not counted now"},
		{"late edit", closed, checkinmodels.Response{Status: checkinmodels.ResponseAnswered, AnonymousIn: true}, map[int]string{}, false, "Already counted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.resp.AnonymousCounted(tt.round); got != tt.counted {
				t.Fatalf("AnonymousCounted = %v, want %v", got, tt.counted)
			}
			c := everyKind()
			form := c
			if !tt.counted {
				form = c.AnonymousOptional()
			}
			m := checkinhandlers.AnswerModal(form, tt.round, "", tt.previous, nil)
			values := submit(t, m)
			for i, q := range c.Questions {
				block := checkinhandlers.AnswerBlockID(jobcheckins.AnswerKey(i, q))
				in := inputBlock(t, m, block)
				switch {
				case !q.Anonymous:
					if in.Optional == q.Required {
						t.Errorf("identified question %d: optional = %v, want %v", i+1, in.Optional, !q.Required)
					}
					continue
				case tt.counted:
					if in.Optional == q.Required {
						t.Errorf("anonymous question %d, counted: optional = %v, want %v", i+1, in.Optional, !q.Required)
					}
				case !in.Optional:
					t.Errorf("anonymous question %d, not counted: required, want optional", i+1)
				}
				if in.Hint == nil || !strings.Contains(in.Hint.Text, tt.hint) {
					t.Errorf("anonymous question %d: hint %+v, want it to say %q", i+1, in.Hint, tt.hint)
				}
				answer(t, m, values, block, "")
			}
			_, _, errs := checkinhandlers.ParseAnswerSubmission(form, values)
			for i, q := range c.Questions {
				if !q.Anonymous {
					continue // identified questions are the form's usual business
				}
				block := checkinhandlers.AnswerBlockID(jobcheckins.AnswerKey(i, q))
				_, refused := errs[block]
				if want := q.Required && tt.counted; refused != want {
					t.Errorf("question %d left blank: refused = %v, want %v (errors %v)", i+1, refused, want, errs)
				}
			}
		})
	}
}
