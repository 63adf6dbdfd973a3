-- Exact counts of cases per town and status, kept in the same transaction as every change, so
-- that the total of a town's (or the whole instance's) list by status never has to count rows.
CREATE TABLE case_tallies (
    town_code  TEXT NOT NULL,
    status     TEXT NOT NULL,
    n          BIGINT NOT NULL,
    PRIMARY KEY (town_code, status)
);
INSERT INTO case_tallies (town_code, status, n)
    SELECT COALESCE(town_code, ''), status, COUNT(*) FROM cases GROUP BY COALESCE(town_code, ''), status;
