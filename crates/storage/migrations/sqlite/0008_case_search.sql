-- Full-text search over cases (issue #6). One document per case: the distinct jieba search
-- terms of its description, address, notes and feedback, lower-cased and joined by spaces
-- (chengyun_text::search::document). The `ascii` tokenizer splits only at ASCII spaces and
-- punctuation, which the terms never hold, so FTS5 indexes exactly the terms PostgreSQL does.
-- Contentless (the texts live in cases and case_events) and without positions: matching is a
-- plain AND of terms. rowid = case id.
CREATE VIRTUAL TABLE case_search USING fts5(
    terms,
    content = '',
    contentless_delete = 1,
    detail = none,
    tokenize = 'ascii'
);

-- Terms come from Rust (jieba), which SQL cannot run: cases stored before this migration are
-- indexed by `chengyun reindex`, which `chengyun migrate` asks for while this marker exists.
INSERT INTO settings (key, value, updated_at)
SELECT 'search.reindex_needed', '1', 0 WHERE EXISTS (SELECT 1 FROM cases);
