package engine

import (
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models"
)

// Two senders of one engine may hold claims on the same row one after the
// other: one gives a post back and another claims it at once. What the
// first does with its old claim — letting it go, or learning that its
// renewal lost — never touches the second's.
func TestLeasesKeepANewerClaimOnTheSameRow(t *testing.T) {
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	k := leaseKey{outbox: "checkin_posts", id: 7}
	l := leases{m: map[leaseKey]*heldLease{}}

	l.hold(k, "old", at.Add(30*time.Second), nil)
	l.hold(k, "new", at.Add(30*time.Second), nil)
	l.renewedKey(k, "old", at.Add(time.Minute), models.ErrLeaseLost)
	if !l.holdsKey(k, at) {
		t.Fatalf("the old claim's lost renewal marked the newer claim lost")
	}
	l.forget(k, "old")
	if !l.holdsKey(k, at) {
		t.Fatalf("letting the old claim go forgot the newer one")
	}
	l.renewedKey(k, "new", at.Add(time.Minute), nil)
	if !l.holdsKey(k, at.Add(45*time.Second)) {
		t.Errorf("the newer claim's renewal was not recorded")
	}
	l.renewedKey(k, "new", at.Add(time.Minute), models.ErrLeaseLost)
	if l.holdsKey(k, at) {
		t.Errorf("the newer claim's own lost renewal did not mark it lost")
	}
	l.forget(k, "new")
	if _, ok := l.m[k]; ok {
		t.Errorf("letting the newer claim go kept it")
	}
}
