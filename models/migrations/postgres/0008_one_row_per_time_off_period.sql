-- name: one row per time-off period
--
-- A person's time off is unique by its days: the same period added twice
-- (a double submit, a replayed command) is one row. Copies stored before
-- this version are merged into the oldest, which keeps its note. Company
-- holidays are already one per date (their primary key).

DELETE FROM away_periods WHERE id NOT IN (
    SELECT MIN(id) FROM away_periods GROUP BY workspace_id, user_id, first_day, last_day);

CREATE UNIQUE INDEX away_periods_same_days ON away_periods (workspace_id, user_id, first_day, last_day);
