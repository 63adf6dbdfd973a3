-- Full-text search over cases (issue #6). One document per case: the distinct jieba search
-- terms of its description, address, notes and feedback (chengyun_text::search::document),
-- stored verbatim as lexemes with array_to_tsvector — no text-search parser or dictionary in
-- between, so PostgreSQL indexes exactly the terms SQLite's FTS5 does. Kept in a table of its
-- own so the case rows stay narrow.
CREATE TABLE case_search (
    case_id  BIGINT PRIMARY KEY REFERENCES cases(id),
    terms    TSVECTOR NOT NULL
);
CREATE INDEX case_search_terms ON case_search USING GIN (terms);

-- Terms come from Rust (jieba), which SQL cannot run: cases stored before this migration are
-- indexed by `chengyun reindex`, which `chengyun migrate` asks for while this marker exists.
INSERT INTO settings (key, value, updated_at)
SELECT 'search.reindex_needed', '1', 0 WHERE EXISTS (SELECT 1 FROM cases);
