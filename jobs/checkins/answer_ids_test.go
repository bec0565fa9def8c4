package checkins_test

import (
	"testing"

	"github.com/trellis-bot/trellis/jobs/checkins"
)

func TestAnswerMetadata(t *testing.T) {
	s := checkins.AnswerMetadata(12, 7)
	round, checkin, err := checkins.ParseAnswerMetadata(s)
	if err != nil || round != 12 || checkin != 7 {
		t.Errorf("ParseAnswerMetadata(%q) = %d, %d, %v, want 12, 7, nil", s, round, checkin, err)
	}
	for _, bad := range []string{"", "12", "12:", ":7", "x:7", "12:y", "0:7", "12:-1", "12:7:1", "workspace"} {
		if r, c, err := checkins.ParseAnswerMetadata(bad); err == nil {
			t.Errorf("ParseAnswerMetadata(%q) = %d, %d, nil, want an error", bad, r, c)
		}
	}
}
