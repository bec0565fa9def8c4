-- name: profile pictures
--
-- Each person's Slack profile picture (its 72-pixel URL), so their
-- check-in answers can be posted under their name and picture.

ALTER TABLE people ADD COLUMN avatar_url TEXT NOT NULL DEFAULT '';
