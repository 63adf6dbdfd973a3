-- chengyun schema, SQLite dialect. Instants are epoch milliseconds UTC; flags are 0/1;
-- JSON is TEXT. Keep in step with ../postgres/0001_init.sql.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    roles         TEXT NOT NULL,            -- comma-separated role identifiers
    unit_code     TEXT,
    region_code   TEXT,
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,           -- SHA-256 of the bearer token; the token itself is never stored
    user_id     INTEGER NOT NULL REFERENCES users(id),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE login_failures (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    username  TEXT NOT NULL,
    address   TEXT NOT NULL,
    at        INTEGER NOT NULL
);
CREATE INDEX login_failures_user ON login_failures(username, at);
CREATE INDEX login_failures_address ON login_failures(address, at);

CREATE TABLE regions (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL,
    parent      TEXT,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE units (
    code         TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    region_code  TEXT NOT NULL,
    active       INTEGER NOT NULL DEFAULT 1,
    updated_at   INTEGER NOT NULL
);

CREATE TABLE category_tables (
    scheme      TEXT PRIMARY KEY,
    body        TEXT NOT NULL,              -- the whole table as JSON, as the admin supplied it
    updated_at  INTEGER NOT NULL
);

CREATE TABLE settings (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE case_counters (
    prefix  TEXT NOT NULL,
    day     TEXT NOT NULL,
    last    INTEGER NOT NULL,
    PRIMARY KEY (prefix, day)
);

-- The queryable columns of a case; its folded state (JSON) lives in case_states so that these
-- rows stay small and scans stay fast.
CREATE TABLE cases (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    number           TEXT NOT NULL UNIQUE,
    status           TEXT NOT NULL,
    version          INTEGER NOT NULL,
    category         TEXT NOT NULL,
    source           TEXT NOT NULL,
    region_code      TEXT NOT NULL,
    district_code    TEXT,                    -- 区 (6 digits) of region_code
    town_code        TEXT,                    -- 街镇 (9 digits)
    village_code     TEXT,                    -- 村/居 (12 digits), when the case is that precise
    lead_unit        TEXT,
    reporter_name    TEXT,
    reporter_phone   TEXT,
    description      TEXT NOT NULL,
    address          TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    closed_at        INTEGER,
    watch_yellow_at  INTEGER,                   -- earliest running clock turns yellow (NULL: nothing runs)
    watch_due_at     INTEGER,                   -- earliest running clock turns red
    overall_due_at   INTEGER NOT NULL
);
-- Every filter has an index that also yields the newest-first order, so a page is a short walk.
CREATE INDEX cases_created ON cases(created_at, id);
CREATE INDEX cases_status ON cases(status, created_at, id);
CREATE INDEX cases_district ON cases(district_code, created_at, id);
CREATE INDEX cases_town ON cases(town_code, created_at, id);
CREATE INDEX cases_village ON cases(village_code, created_at, id);
CREATE INDEX cases_region ON cases(region_code, created_at, id);
CREATE INDEX cases_category ON cases(category, created_at, id);
CREATE INDEX cases_source ON cases(source, created_at, id);
-- Nearly every query of a town's staff is scoped to the town: with the town first, counting a
-- filtered list never has to visit the rows.
CREATE INDEX cases_town_status ON cases(town_code, status, created_at, id);
CREATE INDEX cases_town_category ON cases(town_code, category, created_at, id);
CREATE INDEX cases_town_source ON cases(town_code, source, created_at, id);
-- Only running cases have clocks to watch: these partial indexes stay small.
CREATE INDEX cases_watch_due ON cases(watch_due_at) WHERE watch_due_at IS NOT NULL;
CREATE INDEX cases_watch_yellow ON cases(watch_yellow_at) WHERE watch_yellow_at IS NOT NULL;
CREATE INDEX cases_reporter_phone ON cases(reporter_phone);
CREATE INDEX cases_reporter_name ON cases(reporter_name);

CREATE TABLE case_states (
    case_id  INTEGER PRIMARY KEY REFERENCES cases(id),
    state    TEXT NOT NULL                    -- the folded case as JSON
);

-- Units a case was ever dispatched to: the scope of a unit's staff. case_created_at repeats the
-- case's report time so a unit's list is one ordered index walk.
CREATE TABLE case_units (
    unit_code        TEXT NOT NULL,
    case_id          INTEGER NOT NULL REFERENCES cases(id),
    case_created_at  INTEGER NOT NULL,
    PRIMARY KEY (unit_code, case_id)
);
CREATE INDEX case_units_case ON case_units(case_id);
CREATE INDEX case_units_order ON case_units(unit_code, case_created_at, case_id);

CREATE TABLE case_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id     INTEGER NOT NULL REFERENCES cases(id),
    seq         INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    actor_id    INTEGER NOT NULL,
    actor_name  TEXT NOT NULL,
    actor_role  TEXT NOT NULL,
    action      TEXT NOT NULL,
    reason      TEXT,
    payload     TEXT NOT NULL,
    UNIQUE (case_id, seq)
);

CREATE TABLE audit_log (
    seq           INTEGER PRIMARY KEY,
    at            INTEGER NOT NULL,
    actor_id      INTEGER NOT NULL,
    actor_name    TEXT NOT NULL,
    action        TEXT NOT NULL,
    object_type   TEXT NOT NULL,
    object_id     TEXT NOT NULL,
    detail        TEXT NOT NULL,
    event_id      INTEGER,
    event_digest  TEXT,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL
);
CREATE INDEX audit_log_event ON audit_log(event_id);

-- The head of the chain; appending locks this row, so appends are serialised.
CREATE TABLE audit_head (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   INTEGER NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE attachments (
    id            TEXT PRIMARY KEY,
    content_type  TEXT NOT NULL,
    size          INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    data          BLOB NOT NULL,
    uploaded_by   INTEGER NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE attachment_cases (
    attachment_id  TEXT NOT NULL,
    case_id        INTEGER NOT NULL,
    PRIMARY KEY (attachment_id, case_id)
);
