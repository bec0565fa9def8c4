package modelstest_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/modelstest"
)

func TestForEachRunsEveryDialect(t *testing.T) {
	var ran []string
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ran = append(ran, db.Dialect())
		st, err := db.MigrationStatus(context.Background())
		if err != nil || len(st) == 0 || !st[len(st)-1].Applied {
			t.Errorf("MigrationStatus = %+v, %v; want migrated", st, err)
		}
	})
	if got, want := strings.Join(ran, ","), strings.Join(modelstest.Dialects(), ","); got != want {
		t.Errorf("ran on %s, want %s", got, want)
	}
}

// TestUnreachablePostgresFails runs a child test with TEST_DATABASE_URL
// pointing nowhere: it must fail with a clear message, not skip.
func TestUnreachablePostgresFails(t *testing.T) {
	if os.Getenv("MODELSTEST_CHILD") == "1" {
		modelstest.New(t, models.DialectPostgres)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestUnreachablePostgresFails$", "-test.v")
	cmd.Env = append(os.Environ(), "MODELSTEST_CHILD=1",
		modelstest.EnvURL+"=postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=2")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("child test passed, want failure; output:\n%s", out)
	}
	if s := string(out); !strings.Contains(s, "is set but Postgres is unreachable") || strings.Contains(s, "--- SKIP") {
		t.Errorf("child output lacks the unreachable message or skipped:\n%s", s)
	}
}
