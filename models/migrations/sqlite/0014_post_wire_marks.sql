-- name: wire marks on check-in posts
--
-- wire_at is a check-in post's wire mark, as occurrences have since 0013:
-- set right before a message carrying the post goes on the wire, kept
-- while the post may be in Slack (a send Slack did not confirm, or a part
-- of a long answer sent), cleared once it is posted or handed back with
-- nothing of it in Slack. Whoever claims the post next looks for it in the
-- channel or thread only when it is marked (models/outbox.go,
-- jobs/checkins/posts.go): a post taken over from a sender that died
-- before it started sending is posted without a history read.
--
-- Claims taken by builds before this column carry no mark, and their
-- tokens lack the prefix that says they write one: a claim taking one over
-- marks it itself. A post such a build handed back after trying it was
-- looked for by its attempts; it is marked here, so it still is.

ALTER TABLE checkin_posts ADD COLUMN wire_at DATETIME;

UPDATE checkin_posts SET wire_at = created_at WHERE NOT posted AND attempts > 0 AND claim_token = '';
