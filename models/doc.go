// Package models holds Trellis's domain types and their persistence: gorm over
// Postgres in production and a pure-Go SQLite by default, with versioned,
// forward-only migrations. Every row carries its workspace id, because several
// workspaces share one database.
package models
