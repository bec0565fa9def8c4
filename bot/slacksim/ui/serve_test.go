package ui

import (
	"net/http"
	"os"
	"testing"
)

// TestServeFake serves the page with the fake control API for a person to
// look at: TRELLIS_UI_FAKE_ADDR=127.0.0.1:8099 go test -run TestServeFake
// ./bot/slacksim/ui/ (it runs until killed). Skipped otherwise.
func TestServeFake(t *testing.T) {
	addr := os.Getenv("TRELLIS_UI_FAKE_ADDR")
	if addr == "" {
		t.Skip("set TRELLIS_UI_FAKE_ADDR to serve the page with a fake control API")
	}
	t.Logf("serving on http://%s/", addr)
	if err := http.ListenAndServe(addr, newFakeControl().handler()); err != nil {
		t.Fatal(err)
	}
}
