-- 合并: the main case a duplicate was merged into, so a main case can list its duplicates.
ALTER TABLE cases ADD COLUMN merged_into BIGINT;
UPDATE cases SET merged_into = (SELECT (s.state::json ->> 'merged_into')::bigint FROM case_states s WHERE s.case_id = cases.id)
    WHERE status = 'merged';
CREATE INDEX cases_merged_into ON cases(merged_into) WHERE merged_into IS NOT NULL;
-- Give the planner the new column's statistics at once (it is NULL nearly everywhere).
ANALYZE cases;
