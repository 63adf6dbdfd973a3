-- The residents' channel (issue #4): Open311 services per town, API keys of client systems, the
-- reported point of a case in WGS-84 as integer 1e-7 degrees (for "near here" queries), and events by time (updates feed).

CREATE TABLE open311_services (
    town_code     TEXT NOT NULL,
    service_code  TEXT NOT NULL,            -- the case category it files as
    body          TEXT NOT NULL,            -- the service definition as JSON
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (town_code, service_code)
);

CREATE TABLE api_keys (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    key_hash         TEXT NOT NULL UNIQUE,  -- SHA-256 of the key; the key itself is never stored
    name             TEXT NOT NULL,
    jurisdictions    TEXT NOT NULL,         -- comma-separated town codes
    user_id          INTEGER NOT NULL REFERENCES users(id),  -- the client's system user (role channel)
    rate_per_minute  INTEGER,               -- NULL: the instance default
    created_at       INTEGER NOT NULL,
    revoked_at       INTEGER
);

ALTER TABLE cases ADD COLUMN wgs_lon_e7 INTEGER;
ALTER TABLE cases ADD COLUMN wgs_lat_e7 INTEGER;
UPDATE cases SET
    wgs_lon_e7 = (SELECT CAST(ROUND(json_extract(s.state, '$.placement.lon') * 10000000) AS INTEGER) FROM case_states s WHERE s.case_id = cases.id),
    wgs_lat_e7 = (SELECT CAST(ROUND(json_extract(s.state, '$.placement.lat') * 10000000) AS INTEGER) FROM case_states s WHERE s.case_id = cases.id);
CREATE INDEX cases_town_lat ON cases(town_code, wgs_lat_e7) WHERE wgs_lat_e7 IS NOT NULL;

CREATE INDEX case_events_at ON case_events(at);
