package txn

import (
	"context"
	"testing"
)

type otherKey struct{}

func TestMarkInside(t *testing.T) {
	ctx := context.Background()
	if Inside(ctx) {
		t.Error("Inside(background) = true, want false")
	}
	marked := Mark(ctx)
	if !Inside(marked) {
		t.Error("Inside(Mark(ctx)) = false, want true")
	}
	// The mark survives contexts derived from a marked one.
	derived, cancel := context.WithCancel(context.WithValue(marked, otherKey{}, 1))
	defer cancel()
	if !Inside(derived) {
		t.Error("Inside(derived from a marked ctx) = false, want true")
	}
	if Inside(ctx) {
		t.Error("Mark changed the context it was given")
	}
}
