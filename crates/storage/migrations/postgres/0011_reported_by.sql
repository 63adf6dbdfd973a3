-- 我的上报: the cases a user reported, found through their report events (one per case).
CREATE INDEX case_events_reported_by ON case_events(actor_id, case_id) WHERE action = 'report';
