-- name: one-off payloads
--
-- One-off occurrences (a reminder, a snoozed prompt, a digest, ...) carry
-- what their feature needs to write them as a typed, versioned JSON
-- payload (jobs/engine/oneoff.go) instead of a tag the feature parses.
-- The identity of a one-off stays in cadence_id, so the unique identity
-- constraint is unchanged. Rows planned before this column have none: the
-- engine reads their tag as version 0 of the payload.

ALTER TABLE occurrences ADD COLUMN payload TEXT;
