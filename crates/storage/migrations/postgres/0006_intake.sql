-- Intake (issue #4): idempotency keys, suspected duplicates (疑似重复件), and the WGS-84 point of
-- a case as fixed-point columns for the nearby search.

-- The same key from the same user makes one case; written in the case's own transaction.
-- Rows older than the configured lifetime (default 24 h) no longer count and are purged.
CREATE TABLE intake_keys (
    actor_id    BIGINT NOT NULL,
    idem_key    TEXT NOT NULL,
    case_id     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (actor_id, idem_key)
);
CREATE INDEX intake_keys_created ON intake_keys(created_at);

-- A new report and an open case it may repeat, with how far apart and how much older that case was.
CREATE TABLE suspected_duplicates (
    case_id       BIGINT NOT NULL,
    duplicate_of  BIGINT NOT NULL,
    distance_mm   BIGINT NOT NULL,
    age_ms        BIGINT NOT NULL,
    PRIMARY KEY (case_id, duplicate_of)
);
CREATE INDEX suspected_duplicates_of ON suspected_duplicates(duplicate_of);

-- Only open cases can be repeated: the index over the WGS-84 point (`wgs_lat_e7`, `wgs_lon_e7`,
-- degrees × 10⁷, added by 0005) holds them alone, so it stays small at millions of cases.
-- Queries must repeat this WHERE clause word for word for the planner to use it.
CREATE INDEX cases_open_near ON cases(category, wgs_lat_e7, wgs_lon_e7, created_at)
    WHERE wgs_lat_e7 IS NOT NULL AND status NOT IN ('closed', 'voided', 'merged');
