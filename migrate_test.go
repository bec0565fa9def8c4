package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestMigrateVerb: `trellis migrate` applies the migrations once, and
// `trellis migrate status` lists them as applied.
func TestMigrateVerb(t *testing.T) {
	env, _ := testDatabase(t)
	getenv := func(k string) string { return env[k] }
	ctx := context.Background()

	var out bytes.Buffer
	if err := run(ctx, []string{"migrate", "status"}, getenv, &out, &bytes.Buffer{}); err != nil {
		t.Fatalf("migrate status on an empty database: %v", err)
	}
	if !strings.Contains(out.String(), "pending") {
		t.Errorf("status before migrating = %q, want pending migrations", out.String())
	}
	for i := 0; i < 2; i++ {
		out.Reset()
		if err := run(ctx, []string{"migrate"}, getenv, &out, &bytes.Buffer{}); err != nil {
			t.Fatalf("migrate (run %d): %v", i+1, err)
		}
	}
	out.Reset()
	if err := run(ctx, []string{"migrate", "status"}, getenv, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); strings.Contains(got, "pending") || !strings.Contains(got, "applied") {
		t.Errorf("status after migrating = %q, want everything applied", got)
	}
	if err := run(ctx, []string{"migrate", "sideways"}, getenv, &out, &bytes.Buffer{}); err == nil {
		t.Error("migrate sideways succeeded, want a usage error")
	}
	if err := run(ctx, []string{"frobnicate"}, getenv, &out, &bytes.Buffer{}); err == nil {
		t.Error("an unknown verb succeeded")
	}
	out.Reset()
	if err := run(ctx, []string{"version"}, getenv, &out, &bytes.Buffer{}); err != nil || !strings.HasPrefix(out.String(), "trellis ") {
		t.Errorf("version = %q, %v", out.String(), err)
	}
}
