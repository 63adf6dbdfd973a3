//! The full-text index of cases (全文检索): one document per case in `case_search` — FTS5 on
//! SQLite, a GIN-indexed `tsvector` on PostgreSQL — holding the terms of
//! [`chengyun_text::search::document`]. Written in the same transaction as the case change
//! that alters its texts; matched as a plain AND of terms, so both databases find the same
//! cases, and ordered by the ordinary list order (newest first), so they list them alike.

use sqlx::{Any, AnyPool, Row, Transaction};

use chengyun_domain::case::{Case, Change, Event};
use chengyun_text::search::{document, fts5_match, tsquery};

use super::bind::{Arg, Sql};
use super::import::insert_rows;
use super::Backend;
use crate::Result;

/// Set by migration 0008 when cases existed before the index; cleared by a full reindex.
pub const REINDEX_NEEDED_KEY: &str = "search.reindex_needed";

/// Cases per reindex transaction.
const REINDEX_BATCH: i64 = 2000;

/// The free text an event adds to its case: the reason or note given with any action, and a
/// unit's feedback (the report's own text is the case's description).
fn event_texts(e: &Event) -> impl Iterator<Item = &str> {
    let feedback = match &e.change {
        Change::FedBack { text, .. } => Some(text.as_str()),
        _ => None,
    };
    e.reason.as_deref().into_iter().chain(feedback)
}

/// The document of a case with the given history.
pub fn case_document<'a>(case: &'a Case, events: impl IntoIterator<Item = &'a Event>) -> String {
    let own = [Some(case.facts.description.as_str()), case.facts.address.as_deref()];
    document(own.into_iter().flatten().chain(events.into_iter().flat_map(event_texts)))
}

/// The statement head and tail that write documents as rows `(case id, document)`, replacing
/// what a case had.
fn write_statement(backend: Backend) -> (&'static str, &'static str) {
    match backend {
        Backend::Sqlite => ("INSERT OR REPLACE INTO case_search (rowid, terms) VALUES ", ""),
        Backend::Postgres => (
            "INSERT INTO case_search (case_id, terms) SELECT id, array_to_tsvector(string_to_array(doc, ' ')) FROM (VALUES ",
            ") AS v(id, doc) ON CONFLICT (case_id) DO UPDATE SET terms = excluded.terms",
        ),
    }
}

/// Writes documents `(case id, document)`, many to a statement.
pub async fn write_documents(tx: &mut Transaction<'static, Any>, backend: Backend, docs: Vec<(i64, String)>) -> Result<()> {
    let (head, tail) = write_statement(backend);
    let rows = docs.into_iter().map(|(id, doc)| vec![Arg::Int(id), Arg::Text(doc)]).collect();
    insert_rows(tx, backend, head, rows, tail).await
}

/// Indexes a case from its history, given whole (a new case: its report event).
pub async fn index_case(tx: &mut Transaction<'static, Any>, backend: Backend, case: &Case, events: &[&Event]) -> Result<()> {
    write_documents(tx, backend, vec![(case.id, case_document(case, events.iter().copied()))]).await
}

/// Keeps a case's document in step after `event` was stored: only events with text change it,
/// and then the document is rebuilt from the stored history (an append holds the case's row
/// lock, so no other change interleaves).
pub async fn event_appended(tx: &mut Transaction<'static, Any>, backend: Backend, case: &Case, event: &Event) -> Result<()> {
    if event_texts(event).next().is_none() {
        return Ok(());
    }
    let rows = sqlx::query("SELECT reason, payload FROM case_events WHERE case_id = $1 ORDER BY seq")
        .bind(case.id)
        .fetch_all(&mut **tx)
        .await?;
    let events = stored_texts(&rows, 0)?;
    let own = [Some(case.facts.description.as_str()), case.facts.address.as_deref()];
    let doc = document(own.into_iter().flatten().chain(events.iter().map(String::as_str)));
    write_documents(tx, backend, vec![(case.id, doc)]).await
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

/// `AND id IN (cases matching every term)`.
pub fn push_match(sql: &mut Sql, backend: Backend, terms: &[String]) {
    match backend {
        Backend::Sqlite => {
            sql.push(" AND id IN (SELECT rowid FROM case_search WHERE case_search MATCH ").arg(Arg::Text(fts5_match(terms))).push(")");
        }
        Backend::Postgres => {
            sql.push(" AND id IN (SELECT case_id FROM case_search WHERE terms @@ CAST(").arg(Arg::Text(tsquery(terms))).push(" AS tsquery))");
        }
    }
}

/// Rebuilds every case's document, a batch of ids per transaction, reporting (done, total)
/// after each. Safe while the server runs: each batch first takes the lock a case change
/// takes, so a change is either seen by the batch or indexes itself after it.
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
        let cases = sqlx::query("SELECT id, description, address FROM cases WHERE id BETWEEN $1 AND $2 ORDER BY id")
            .bind(from)
            .bind(to)
            .fetch_all(&mut *tx)
            .await?;
        let events = sqlx::query("SELECT case_id, reason, payload FROM case_events WHERE case_id BETWEEN $1 AND $2 ORDER BY case_id, seq")
            .bind(from)
            .bind(to)
            .fetch_all(&mut *tx)
            .await?;
        let mut docs = Vec::with_capacity(cases.len());
        let mut e = 0;
        for c in &cases {
            let id: i64 = c.try_get(0)?;
            let start = e;
            while e < events.len() && events[e].try_get::<i64, _>(0)? == id {
                e += 1;
            }
            let texts = stored_texts(&events[start..e], 1)?;
            let own: [Option<String>; 2] = [Some(c.try_get(1)?), c.try_get(2)?];
            let doc = document(own.iter().flatten().map(String::as_str).chain(texts.iter().map(String::as_str)));
            docs.push((id, doc));
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
