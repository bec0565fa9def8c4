package models

import "context"

type txKey struct{}

// withTx marks ctx as running inside a database transaction.
func withTx(ctx context.Context) context.Context {
	return context.WithValue(ctx, txKey{}, true)
}

// InTransaction reports whether ctx belongs to an open database transaction.
// The Slack client refuses to call out from such a context: a slow or
// rate-limited Slack call must never hold row locks.
func InTransaction(ctx context.Context) bool {
	v, _ := ctx.Value(txKey{}).(bool)
	return v
}
