// Package txn marks a context as belonging to an open database
// transaction. It is a leaf: the stores mark the contexts they hand to
// transaction bodies, and the Slack transport, which imports no store,
// refuses to call out from a marked context, so a slow or rate-limited
// Slack call never holds row locks.
package txn

import "context"

type key struct{}

// Mark returns ctx marked as running inside a database transaction.
func Mark(ctx context.Context) context.Context {
	return context.WithValue(ctx, key{}, true)
}

// Inside reports whether ctx was marked by Mark.
func Inside(ctx context.Context) bool {
	v, _ := ctx.Value(key{}).(bool)
	return v
}
