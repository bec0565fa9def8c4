// Package checkins holds check-ins: a small set of questions a team answers
// on a cadence, each person at their own local time, by DM
// (docs/checkins.md). It has their types and validation, the built-in
// templates, who may change them, and their store: check-ins, rounds,
// answers (anonymous ones counted without the person), the channel posts'
// outbox and the DM prompts' updates. Its rows are its own; the shared
// records (people, workspaces, schedules, occurrences) are package models'.
// The runtime that sends and closes rounds is jobs/checkins; the Slack
// surface is handlers/checkins.
package checkins
