-- 疑似重复件 candidates by rows of latitude. `cases_open_near` ordered open cases by latitude,
-- so a report's box was a band across the whole town: the entries of every case within ±50 m
-- of its latitude, hundreds in a busy town, were read to keep the few inside the box. Here the
-- latitude comes first as its row of 0.001° (≈ 111 m, `wgs_lat_e7 / 10000`), then the
-- longitude: a box is one range of longitudes in each row it touches (two for the default
-- 50 m). The index also holds what the check reads, so it never visits the table. Queries
-- must repeat the expression and the WHERE clause word for word for the planner to use it.
DROP INDEX cases_open_near;
CREATE INDEX cases_open_near_rows ON cases(category, (wgs_lat_e7 / 10000), wgs_lon_e7, wgs_lat_e7, created_at, status, number)
    WHERE wgs_lat_e7 IS NOT NULL AND status NOT IN ('closed', 'voided', 'merged');
