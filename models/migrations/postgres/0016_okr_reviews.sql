-- name: OKR reviews
--
-- The end-of-cycle review of objectives and key results (models/okrs,
-- review.go). okr_reviews holds one review per key result: its grade,
-- 0 to 1, and what becomes of it (done, carried over to the next cycle,
-- dropped), who reviewed it last and when. A review is not history as
-- updates are: submitting again while the cycle is in review replaces
-- it, so the key result is the primary key. A key result carried over is
-- found by okr_key_results.carried_from, so nothing here points at it.
--
-- okr_learned is each reviewer's "what we learned" note on an objective,
-- one per objective and person: two owners of key results of one
-- objective each keep their own, and submitting again replaces one's own.
-- Both go with the key result or objective they are about.

CREATE TABLE okr_reviews (
    workspace_id  TEXT NOT NULL,
    key_result_id BIGINT NOT NULL PRIMARY KEY REFERENCES okr_key_results (id) ON DELETE CASCADE,
    cycle_id      BIGINT NOT NULL REFERENCES okr_cycles (id),
    grade         DOUBLE PRECISION NOT NULL CHECK (grade >= 0 AND grade <= 1),
    decision      TEXT NOT NULL CHECK (decision IN ('done', 'carry_over', 'drop')),
    reviewed_by   TEXT NOT NULL,
    reviewed_at   TIMESTAMPTZ NOT NULL
);

CREATE INDEX okr_reviews_cycle ON okr_reviews (workspace_id, cycle_id);

CREATE TABLE okr_learned (
    workspace_id TEXT NOT NULL,
    objective_id BIGINT NOT NULL REFERENCES okr_objectives (id) ON DELETE CASCADE,
    author_id    TEXT NOT NULL,
    note         TEXT NOT NULL,
    written_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (objective_id, author_id)
);

CREATE INDEX okr_learned_workspace ON okr_learned (workspace_id, objective_id);
