//! The full-text index of cases (全文检索): one document per case in `case_search` — FTS5 on
//! SQLite, a GIN-indexed `tsvector` on PostgreSQL — holding the terms of its texts
//! ([`chengyun_text::search::document_terms`]) and *attribute tokens* for what the list filters
//! and data scopes test (status, category, source, 区/街镇/村居 and region code, units). A search
//! whose filters all have tokens is answered by the index alone — count and page — so a common
//! word among a million cases costs a merge of posting lists, not a million row visits; any
//! other search adds the match as one condition of the ordinary list query. Either way a search
//! lists newest-entered first (`id DESC`), identically on both databases.
//!
//! Documents are written in the same transaction as the case change.

use sqlx::{Any, AnyPool, Row, Transaction};

use chengyun_domain::case::{Case, Change, Event};
use chengyun_text::search::{all_of, document_terms, fts5_match, tsquery, ATTRIBUTE_MARK};

use super::bind::{Arg, Sql};
use super::cases::level_codes;
use super::exec::Exec;
use super::import::insert_rows;
use super::Backend;
use crate::records::{CaseQuery, CaseSort};
use crate::Result;

/// Set by migration 0008 when cases existed before the index; cleared by a full reindex.
pub const REINDEX_NEEDED_KEY: &str = "search.reindex_needed";

/// Cases per reindex transaction.
const REINDEX_BATCH: i64 = 2000;

/// An attribute token: the mark, a kind letter, the value in hex (so any value is one token of
/// letters and digits, never equal to a word or to another value).
fn token(kind: char, value: &str) -> String {
    format!("{ATTRIBUTE_MARK}{kind}{}", hex::encode(value.as_bytes()))
}

/// The token of a region filter prefix, following the list query's own rule (see
/// `cases::push_regions`): 6, 9 and 12 digits are a 区, 街镇 and 村/居; other codes of six or
/// more characters match the region code exactly; a shorter prefix (a whole city) has none.
fn region_token(prefix: &str) -> Option<String> {
    let digits = prefix.bytes().all(|b| b.is_ascii_digit());
    match (prefix.len(), digits) {
        (6, true) => Some(token('d', prefix)),
        (9, true) => Some(token('t', prefix)),
        (12, true) => Some(token('v', prefix)),
        (n, _) if n < 6 => None,
        _ => Some(token('g', prefix)),
    }
}

/// The attribute tokens of a case.
fn attributes(case: &Case) -> Vec<String> {
    let f = &case.facts;
    let mut tokens = vec![token('s', case.status.as_str()), token('c', &f.category), token('o', f.source.as_str()), token('g', &f.region_code)];
    let [district, town, village] = level_codes(&f.region_code);
    for (kind, code) in [('d', district), ('t', town), ('v', village)] {
        if let Some(code) = code {
            tokens.push(token(kind, &code));
        }
    }
    for t in &case.tasks {
        let u = token('u', &t.unit);
        if !tokens.contains(&u) {
            tokens.push(u);
        }
    }
    tokens
}

/// The free text an event adds to its case: the reason or note given with any action, and a
/// unit's feedback (the report's own text is the case's description).
fn event_texts(e: &Event) -> impl Iterator<Item = &str> {
    let feedback = match &e.change {
        Change::FedBack { text, .. } => Some(text.as_str()),
        _ => None,
    };
    e.reason.as_deref().into_iter().chain(feedback)
}

/// The document of a case whose history holds `texts`: its terms, then its attributes.
fn document<'a>(case: &'a Case, texts: impl IntoIterator<Item = &'a str>) -> String {
    let own = [Some(case.facts.description.as_str()), case.facts.address.as_deref()];
    let mut tokens = document_terms(own.into_iter().flatten().chain(texts));
    tokens.extend(attributes(case));
    tokens.join(" ")
}

/// The document of a case with its whole history.
pub fn case_document<'a>(case: &'a Case, events: impl IntoIterator<Item = &'a Event>) -> String {
    document(case, events.into_iter().flat_map(event_texts))
}

/// Writes documents `(case id, document)`, many to a statement, replacing what a case had.
pub async fn write_documents<E: Exec + ?Sized>(tx: &mut E, backend: Backend, docs: Vec<(i64, String)>) -> Result<()> {
    let (head, tail) = match backend {
        Backend::Sqlite => ("INSERT OR REPLACE INTO case_search (rowid, terms) VALUES ", ""),
        Backend::Postgres => (
            "INSERT INTO case_search (case_id, terms) SELECT id, array_to_tsvector(string_to_array(doc, ' ')) FROM (VALUES ",
            ") AS v(id, doc) ON CONFLICT (case_id) DO UPDATE SET terms = excluded.terms",
        ),
    };
    let rows = docs.into_iter().map(|(id, doc)| vec![Arg::Int(id), Arg::Text(doc)]).collect();
    insert_rows(tx, backend, head, rows, tail).await
}

/// Indexes a new case from its report event.
pub async fn index_case(tx: &mut Transaction<'static, Any>, backend: Backend, case: &Case, events: &[&Event]) -> Result<()> {
    write_documents(tx, backend, vec![(case.id, case_document(case, events.iter().copied()))]).await
}

/// Rewrites a case's document after an event was stored (its status, units or texts may have
/// changed), from the stored history. An append holds the case's row lock, so no other change
/// interleaves.
pub async fn event_appended(tx: &mut Transaction<'static, Any>, backend: Backend, case: &Case, _event: &Event) -> Result<()> {
    let rows = sqlx::query("SELECT reason, payload FROM case_events WHERE case_id = $1 ORDER BY seq")
        .bind(case.id)
        .fetch_all(&mut **tx)
        .await?;
    let texts = stored_texts(&rows, 0)?;
    write_documents(tx, backend, vec![(case.id, document(case, texts.iter().map(String::as_str)))]).await
}

/// The texts of stored event rows whose columns `reason, payload` start at `first`; the
/// payload is parsed only when it can hold feedback.
fn stored_texts(rows: &[sqlx::any::AnyRow], first: usize) -> Result<Vec<String>> {
    let mut texts = Vec::new();
    for r in rows {
        if let Some(reason) = r.try_get::<Option<String>, _>(first)? {
            texts.push(reason);
        }
        let payload: String = r.try_get(first + 1)?;
        if payload.contains("\"fed_back\"")
            && let Change::FedBack { text, .. } = serde_json::from_str(&payload)?
        {
            texts.push(text);
        }
    }
    Ok(texts)
}

fn match_clause(backend: Backend, groups: &[Vec<String>]) -> (&'static str, String) {
    match backend {
        Backend::Sqlite => ("case_search MATCH $1", fts5_match(groups)),
        Backend::Postgres => ("terms @@ CAST($1 AS tsquery)", tsquery(groups)),
    }
}

/// `AND id IN (cases matching every term)`, for searches the index cannot answer alone.
pub fn push_match(sql: &mut Sql, backend: Backend, terms: &[String]) {
    let groups = all_of(terms);
    match backend {
        Backend::Sqlite => {
            sql.push(" AND id IN (SELECT rowid FROM case_search WHERE case_search MATCH ").arg(Arg::Text(fts5_match(&groups))).push(")");
        }
        Backend::Postgres => {
            sql.push(" AND id IN (SELECT case_id FROM case_search WHERE terms @@ CAST(").arg(Arg::Text(tsquery(&groups))).push(" AS tsquery))");
        }
    }
}

/// A search as index tokens — an AND of OR-groups — when the index can answer it alone: the
/// terms, and filters and scope that all have attribute tokens.
fn index_query(q: &CaseQuery) -> Option<Vec<Vec<String>>> {
    if q.search_terms.is_empty()
        || q.sort != CaseSort::Newest
        || q.lamp.is_some()
        || q.created_from.is_some()
        || q.created_to.is_some()
        || q.reporter.is_some()
        || q.reported_by.is_some()
        || q.merged_into.is_some()
        || q.place_flag.is_some()
    {
        return None;
    }
    let mut groups = all_of(&q.search_terms);
    if !q.statuses.is_empty() {
        groups.push(q.statuses.iter().map(|s| token('s', s.as_str())).collect());
    }
    if let Some(c) = &q.category {
        groups.push(vec![token('c', c)]);
    }
    if let Some(s) = q.source {
        groups.push(vec![token('o', s.as_str())]);
    }
    if !q.region_prefixes.is_empty() {
        groups.push(q.region_prefixes.iter().map(|p| region_token(p)).collect::<Option<_>>()?);
    }
    if let Some(u) = &q.unit {
        groups.push(vec![token('u', u)]);
    }
    if let Some(scope) = &q.scope {
        let mut visible: Vec<String> = scope.region_prefixes.iter().map(|p| region_token(p)).collect::<Option<_>>()?;
        visible.extend(scope.unit.as_deref().map(|u| token('u', u)));
        if visible.is_empty() {
            return None;
        }
        groups.push(visible);
    }
    Some(groups)
}

/// A search the index answers alone counts its hits up to this many; beyond, its total is this
/// lower bound and the list says so (`total_exact: false`, shown as "200+"). Counting every hit
/// of a common word costs time in proportion to the hits (on PostgreSQL a heap visit per hit),
/// and a search with more hits is narrowed, not paged through (200 hits are 4 pages of 50).
pub const SEARCH_TOTAL_CAP: i64 = 200;

/// The total (capped at `q.search_total_cap`, by default [`SEARCH_TOTAL_CAP`]; `true` when exact) and the page of ids of a search
/// the index answers alone (see [`index_query`]), newest-entered first; `None` for any other query.
pub async fn indexed_page(pool: &AnyPool, backend: Backend, q: &CaseQuery) -> Result<Option<(i64, bool, Vec<i64>)>> {
    let Some(groups) = index_query(q) else { return Ok(None) };
    let (condition, expression) = match_clause(backend, &groups);
    let id = match backend {
        Backend::Sqlite => "rowid",
        Backend::Postgres => "case_id",
    };
    let cap = q.search_total_cap.unwrap_or(SEARCH_TOTAL_CAP).max(1);
    // One pass gives both the total and, for the first pages, the page itself: the newest
    // cap + 1 hits, as ids only.
    let newest = format!("SELECT {id} FROM case_search WHERE {condition} ORDER BY {id} DESC LIMIT {}", cap + 1);
    let rows = sqlx::query(sqlx::AssertSqlSafe(newest)).bind(expression.clone()).fetch_all(pool).await?;
    let hits = rows.iter().map(|r| r.try_get(0)).collect::<std::result::Result<Vec<i64>, _>>()?;
    let exact = hits.len() as i64 <= cap;
    let total = (hits.len() as i64).min(cap);
    let size = q.page_size.clamp(1, 200);
    let offset = (q.page.max(1) - 1) * size;
    if exact || offset + size <= total {
        let from = (offset.min(total)) as usize;
        let to = ((offset + size).min(total)) as usize;
        return Ok(Some((total, exact, hits[from..to].to_vec())));
    }
    // A page past the counted hits.
    let page = format!("SELECT {id} FROM case_search WHERE {condition} ORDER BY {id} DESC LIMIT $2 OFFSET $3");
    let rows = sqlx::query(sqlx::AssertSqlSafe(page)).bind(expression).bind(size).bind(offset).fetch_all(pool).await?;
    let ids = rows.iter().map(|r| r.try_get(0)).collect::<std::result::Result<Vec<i64>, _>>()?;
    Ok(Some((total, exact, ids)))
}

/// Rebuilds every case's document from its stored state and events, a batch of ids per
/// transaction, reporting (done, total) after each. Safe while the server runs: each batch
/// first takes the lock a case change takes, so a change is either seen by the batch or
/// rewrites its document after it.
pub async fn reindex(pool: &AnyPool, backend: Backend, progress: &(dyn Fn(u64, u64) + Send + Sync)) -> Result<u64> {
    let row = sqlx::query("SELECT COALESCE(MAX(id), 0), COUNT(*) FROM cases").fetch_one(pool).await?;
    let (max_id, total): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
    let mut done = 0u64;
    let mut from = 1;
    while from <= max_id {
        let to = from + REINDEX_BATCH - 1;
        let mut tx = pool.begin().await?;
        match backend {
            // A write first: SQLite takes its one write lock now, before anything is read.
            Backend::Sqlite => sqlx::query("DELETE FROM case_search WHERE rowid = 0").execute(&mut *tx).await?,
            // Appends update the case row first; sharing those rows holds them off.
            Backend::Postgres => {
                sqlx::query("SELECT id FROM cases WHERE id BETWEEN $1 AND $2 FOR SHARE").bind(from).bind(to).execute(&mut *tx).await?
            }
        };
        let states = sqlx::query("SELECT case_id, state FROM case_states WHERE case_id BETWEEN $1 AND $2 ORDER BY case_id")
            .bind(from)
            .bind(to)
            .fetch_all(&mut *tx)
            .await?;
        let events = sqlx::query("SELECT case_id, reason, payload FROM case_events WHERE case_id BETWEEN $1 AND $2 ORDER BY case_id, seq")
            .bind(from)
            .bind(to)
            .fetch_all(&mut *tx)
            .await?;
        let mut docs = Vec::with_capacity(states.len());
        let mut e = 0;
        for s in &states {
            let id: i64 = s.try_get(0)?;
            let mut case: Case = serde_json::from_str(&s.try_get::<String, _>(1)?)?;
            case.id = id;
            let start = e;
            while e < events.len() && events[e].try_get::<i64, _>(0)? == id {
                e += 1;
            }
            let texts = stored_texts(&events[start..e], 1)?;
            docs.push((id, document(&case, texts.iter().map(String::as_str))));
        }
        done += docs.len() as u64;
        write_documents(&mut tx, backend, docs).await?;
        tx.commit().await?;
        progress(done, total as u64);
        from = to + 1;
    }
    sqlx::query("DELETE FROM settings WHERE key = $1").bind(REINDEX_NEEDED_KEY).execute(pool).await?;
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::ScopeFilter;

    #[test]
    fn attribute_tokens_are_single_index_tokens() {
        for t in [token('u', "310115137-cgzd"), region_token("310115137P01").unwrap(), token('s', "on_hold")] {
            assert!(t.starts_with(ATTRIBUTE_MARK) && t.chars().skip(1).all(|c| c.is_ascii_hexdigit() || c.is_ascii_lowercase()), "{t}");
        }
        assert_ne!(token('u', "a-bc"), token('u', "ab-c"));
    }

    #[test]
    fn regions_follow_the_list_rule() {
        assert_eq!(region_token("310115"), Some(token('d', "310115")));
        assert_eq!(region_token("310115137"), Some(token('t', "310115137")));
        assert_eq!(region_token("310115137001"), Some(token('v', "310115137001")));
        assert_eq!(region_token("310115137001016"), Some(token('g', "310115137001016")));
        assert_eq!(region_token("31"), None, "a whole city is a range, not a token");
    }

    #[test]
    fn only_searches_with_tokenised_filters_go_to_the_index_alone() {
        let terms = vec!["垃圾".to_string()];
        assert_eq!(index_query(&CaseQuery::default()), None, "no terms, no search");
        let scoped = CaseQuery {
            search_terms: terms.clone(),
            scope: Some(ScopeFilter { region_prefixes: vec!["310115137001".into()], unit: Some("u1".into()) }),
            ..Default::default()
        };
        assert_eq!(index_query(&scoped).unwrap(), vec![vec!["垃圾".to_string()], vec![token('v', "310115137001"), token('u', "u1")]]);
        let dated = CaseQuery { search_terms: terms.clone(), created_from: Some(0), ..Default::default() };
        assert_eq!(index_query(&dated), None);
        let nothing_visible = CaseQuery { search_terms: terms, scope: Some(ScopeFilter::default()), ..Default::default() };
        assert_eq!(index_query(&nothing_visible), None, "the list query answers an empty scope with nothing");
    }
}
