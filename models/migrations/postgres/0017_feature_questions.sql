-- name: feature questions
--
-- A check-in question may be of kind 'feature': another feature's
-- question kind, asked inside the answer form (models/checkins'
-- KindFeature). Its options hold the kind's name; its answers are the
-- feature's summary, stored like a text answer.

ALTER TABLE checkin_questions DROP CONSTRAINT checkin_questions_v7_kind_check;

ALTER TABLE checkin_questions ADD CONSTRAINT checkin_questions_kind_check CHECK (kind IN ('text', 'scale', 'choice', 'blocked', 'feature'));
