-- The 大屏 (dashboard): open cases per region, cases closed per day, and cases changed since a
-- day, each a short index walk within a town. The open-case predicate matches the queries'
-- word for word so the planners use the partial index.
CREATE INDEX cases_open_region ON cases(town_code, region_code, watch_due_at)
    WHERE status NOT IN ('closed', 'voided', 'merged');
CREATE INDEX cases_town_closed ON cases(town_code, closed_at) WHERE closed_at IS NOT NULL;
CREATE INDEX cases_town_updated ON cases(town_code, updated_at);
-- 立案 per day: the file events alone.
CREATE INDEX case_events_filed ON case_events(at) WHERE action = 'file';
