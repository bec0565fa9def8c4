package slacksim

import (
	"net"
	"net/url"
	"testing"
)

// A connection a client opened but never sent a request on (an HTTP
// client's spare dial, common on a busy machine) is not work in progress:
// closing the emulator succeeds with one open.
func TestCloseWithAConnectionThatSentNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	u, err := url.Parse(e.srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := e.srv.Close(); err != nil {
		t.Errorf("Close with a connection that sent nothing: %v", err)
	}
}
