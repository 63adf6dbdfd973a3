-- 智能分拨: the town's classifier model versions and the 受理员's accept/correct decisions.

-- One row per trained model; exactly one is active once any exists. Instances cache the
-- active model and reload it when the active version changes.
CREATE TABLE classifier_models (
    version      INTEGER PRIMARY KEY,          -- 1, 2, … in training order
    model        BLOB NOT NULL,            -- chengyun_text::classify::Classifier::to_bytes
    size         INTEGER NOT NULL,
    metrics      TEXT NOT NULL,             -- JSON: figures on the held-back slice
    source       TEXT NOT NULL,             -- what it was trained on (demo, history)
    created_at   INTEGER NOT NULL,
    created_by   TEXT NOT NULL,
    active       INTEGER NOT NULL DEFAULT 0    -- 1 for the model in use
);
CREATE INDEX classifier_models_active ON classifier_models(active);

-- The category the 受理员 settled on for a case and whether it was the suggestion accepted.
CREATE TABLE case_classifications (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id        INTEGER NOT NULL REFERENCES cases(id),
    model_version  INTEGER,                    -- the model whose suggestion was shown (NULL: none)
    suggested      TEXT,                    -- its first suggestion (NULL: none was made)
    category       TEXT NOT NULL,
    accepted       INTEGER NOT NULL,
    user_id        INTEGER NOT NULL,
    username       TEXT NOT NULL,
    created_at     INTEGER NOT NULL
);
CREATE INDEX case_classifications_case ON case_classifications(case_id, id);
