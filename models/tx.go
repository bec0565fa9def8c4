package models

import (
	"context"

	"github.com/trellis-bot/trellis/internal/txn"
)

// withTx marks ctx as running inside a database transaction.
func withTx(ctx context.Context) context.Context {
	return txn.Mark(ctx)
}

// InTransaction reports whether ctx belongs to an open database transaction.
// The Slack client refuses to call out from such a context: a slow or
// rate-limited Slack call must never hold row locks. The mark is package
// txn's, which the Slack transport reads without importing the stores.
func InTransaction(ctx context.Context) bool {
	return txn.Inside(ctx)
}
