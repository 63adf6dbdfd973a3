-- Places (issue #3): region boundaries, the 责任清单, and the place flag of a case.
-- Boundaries are GeoJSON geometries in WGS-84; `approximate` marks generated outlines (示意).
ALTER TABLE regions ADD COLUMN geometry TEXT;
ALTER TABLE regions ADD COLUMN approximate INTEGER NOT NULL DEFAULT 0;

CREATE TABLE routing_rules (
    category       TEXT NOT NULL,
    region_code    TEXT NOT NULL,
    lead_unit      TEXT NOT NULL,
    assist_units   TEXT NOT NULL,
    auto_dispatch  INTEGER NOT NULL DEFAULT 0,
    note           TEXT,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (category, region_code)
);
CREATE INDEX routing_rules_region ON routing_rules(region_code);

-- 'outside_grid' when the reported point lies in no 单元网格 (the operator must check the place).
ALTER TABLE cases ADD COLUMN place_flag TEXT;
CREATE INDEX cases_place_flag ON cases(town_code, created_at) WHERE place_flag IS NOT NULL;
