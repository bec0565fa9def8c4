-- name: wire marks
--
-- wire_at is when the claim holding an occurrence started a message
-- carrying it towards Slack. A replica that takes over a claim whose lease
-- ran out looks for the message in the conversation only when the claim
-- it takes over had such a mark (jobs/engine/deliver.go): a replica that
-- died before sending anything is taken over without a history read.
-- Claims taken by builds before this column carry no mark, and their
-- tokens lack the prefix that says they write one: they are still looked
-- for (models/occurrences.go).

ALTER TABLE occurrences ADD COLUMN wire_at DATETIME;
