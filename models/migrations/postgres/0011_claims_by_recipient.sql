-- name: claims by recipient
--
-- Claims by recipient: Claim takes all of one recipient's waiting
-- occurrences together, and none while another claim on that recipient is
-- live, so it looks a recipient's unsettled rows up by (workspace,
-- recipient). The index holds only unsettled rows, so its size follows
-- what is waiting, not the history.

CREATE INDEX occurrences_waiting ON occurrences (workspace_id, recipient) WHERE status IN ('planned', 'deferred', 'claimed');
