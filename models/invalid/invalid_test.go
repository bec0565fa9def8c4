package invalid

import (
	"errors"
	"testing"
)

// An Error with problems says each on its field and item, matches
// ErrInvalid, and finds them by field; one without problems is no error.
func TestError(t *testing.T) {
	e := &Error{Subject: "check-in", ItemNoun: "question"}
	if e.Err() != nil {
		t.Fatal("an Error with no problem is an error")
	}
	e.Add("name", 0, "Give it a name.")
	e.Add("questions", 2, "Question %d needs %s.", 2, "words")
	err := e.Err()
	if want := "invalid check-in: name: Give it a name.; questions (question 2): Question 2 needs words."; err == nil || err.Error() != want {
		t.Fatalf("Error() = %v, want %q", err, want)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Error("an Error does not match ErrInvalid")
	}
	if got := e.On("questions"); len(got) != 1 || got[0].Item != 2 {
		t.Errorf("On(questions) = %+v, want the one problem on question 2", got)
	}
	if got := (&Error{Problems: []Problem{{Field: "title", Message: "Too long."}}}).Error(); got != "invalid: title: Too long." {
		t.Errorf("without a subject: %q", got)
	}
}
