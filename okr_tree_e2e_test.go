package main

import (
	"strconv"
	"strings"
	"testing"
)

// TestOKRTreeLeavesOutClosed: the tree, like the list, shows an open
// objective to everyone who may see it and a closed one to no one.
func TestOKRTreeLeavesOutClosed(t *testing.T) {
	o := startOKRs(t)
	open := o.create(t, o.ana, o.growth, "Be visible", o.growth, "", nil, [][4]string{{"Blog posts", "0", "4", ""}})
	people := []string{o.ana, o.ben, o.cara, o.dee}
	for _, user := range people {
		if got := o.commandIn(t, user, "", "/trellis okr tree"); !strings.Contains(got, "Be visible") {
			t.Errorf("%s's tree before the close: %q", user, got)
		}
	}
	if got := o.commandIn(t, o.ana, "", "/trellis okr close "+strconv.FormatInt(open.ID, 10)); !strings.Contains(got, "is closed") {
		t.Fatalf("Ana's close: %q", got)
	}
	for _, user := range people {
		for _, line := range []string{"/trellis okr tree", "/trellis okr list"} {
			if got := o.commandIn(t, user, "", line); strings.Contains(got, "Be visible") {
				t.Errorf("%s's %s shows the closed objective: %q", user, line, got)
			}
		}
	}
}
