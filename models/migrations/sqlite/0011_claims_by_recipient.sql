-- name: claims by recipient
--
-- Claims by recipient: Claim takes all of one recipient's waiting
-- occurrences together, and none while another claim on that recipient is
-- live, so it looks a recipient's unsettled rows up by (workspace,
-- recipient). SQLite uses a partial index only for a WHERE that
-- repeats its condition, so here it is a whole one with status in it.

CREATE INDEX occurrences_waiting ON occurrences (workspace_id, recipient, status);
