//! Loading many finished histories in one transaction (demo data, imports). Rows are written
//! exactly as single actions write them — same columns, same event rows, same audit chain —
//! only many to a statement.

use std::collections::HashMap;

use sqlx::Row;

use chengyun_domain::case::{Case, Change, Event};

use super::audit_log::{self, INSERT_COLUMNS};
use super::bind::{fixed_chunks, Arg, Sql};
use super::exec::Exec;
use super::cases::{case_args, day_text, event_audit, event_photos, event_units, event_values, state_json, tally_key, CASE_COLUMNS};
use super::{search, Backend, SqlStore};
use crate::audit::AuditEntry;
use crate::records::AuditActor;
use crate::{Result, StoreError};

/// Rows per multi-row INSERT: a few fixed counts (see [`fixed_chunks`]), so that few
/// statements carry a batch and their shapes stay prepared. (Their placeholders are plain `?`
/// on SQLite, see [`Sql::positional`].)
fn rows_per_statement(backend: Backend) -> &'static [usize] {
    match backend {
        Backend::Sqlite => &[64, 16, 4, 1],
        Backend::Postgres => &[200, 25, 5, 1],
    }
}

pub(super) async fn max_id<E: Exec + ?Sized>(tx: &mut E, table: &str) -> Result<i64> {
    tx.fetch_one(&Sql::new(&format!("SELECT COALESCE(MAX(id), 0) FROM {table}"))).await?.int(0)
}

pub(super) async fn insert_rows<E: Exec + ?Sized>(tx: &mut E, backend: Backend, head: &str, rows: Vec<Vec<Arg>>, tail: &str) -> Result<()> {
    for chunk in fixed_chunks(&rows, rows_per_statement(backend)) {
        let mut sql = Sql::positional(backend, head);
        for (i, row) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.row(row.clone());
        }
        sql.push(tail);
        tx.execute(&sql).await?;
    }
    Ok(())
}

/// New cases and their events as rows, gathered to be written many to a statement — with the
/// same columns single actions write.
#[derive(Default)]
pub(super) struct CaseRows {
    pub cases: Vec<Vec<Arg>>,
    states: Vec<Vec<Arg>>,
    events: Vec<Vec<Arg>>,
    units: Vec<Vec<Arg>>,
    photos: Vec<Vec<Arg>>,
    tallies: HashMap<(String, String), i64>,
}

impl CaseRows {
    /// A new case (its id and number set).
    pub fn case(&mut self, case: &Case) -> Result<()> {
        let mut row = vec![Arg::Int(case.id), Arg::Text(case.facts.number.clone())];
        row.extend(case_args(case)?);
        self.cases.push(row);
        self.states.push(vec![Arg::Int(case.id), Arg::Text(state_json(case)?)]);
        *self.tallies.entry(tally_key(case)).or_default() += 1;
        Ok(())
    }

    /// One of the case's events, stored as `event_id`; returns its audit entry (to be chained).
    pub fn event(&mut self, case: &Case, event_id: i64, e: &Event) -> Result<AuditEntry> {
        let v = event_values(e)?;
        for unit in event_units(e) {
            self.units.push(vec![Arg::Text(unit.to_string()), Arg::Int(case.id), Arg::Int(case.created_at)]);
        }
        for photo in event_photos(e) {
            self.photos.push(vec![Arg::Text(photo.clone()), Arg::Int(case.id)]);
        }
        let entry = event_audit(case, event_id, e, &v);
        self.events.push(vec![
            Arg::Int(event_id),
            Arg::Int(case.id),
            Arg::Int(e.seq),
            Arg::Int(e.at),
            Arg::Int(e.actor_id),
            Arg::Text(e.actor_name.clone()),
            Arg::Text(v.actor_role),
            Arg::Text(v.action),
            Arg::OptText(e.reason.clone()),
            Arg::Text(v.payload),
        ]);
        Ok(entry)
    }

    /// Writes the rows of cases and events (not yet the tallies: see [`CaseRows::write_tallies`]).
    pub async fn write<E: Exec + ?Sized>(&mut self, tx: &mut E, backend: Backend) -> Result<()> {
        let take = std::mem::take;
        insert_rows(tx, backend, &format!("INSERT INTO cases (id, number, {CASE_COLUMNS}) VALUES "), take(&mut self.cases), "").await?;
        insert_rows(tx, backend, "INSERT INTO case_states (case_id, state) VALUES ", take(&mut self.states), "").await?;
        insert_rows(
            tx,
            backend,
            "INSERT INTO case_events (id, case_id, seq, at, actor_id, actor_name, actor_role, action, reason, payload) VALUES ",
            take(&mut self.events),
            "",
        )
        .await?;
        insert_rows(tx, backend, "INSERT INTO case_units (unit_code, case_id, case_created_at) VALUES ", take(&mut self.units), " ON CONFLICT DO NOTHING").await?;
        insert_rows(tx, backend, "INSERT INTO attachment_cases (attachment_id, case_id) VALUES ", take(&mut self.photos), " ON CONFLICT DO NOTHING").await
    }

    /// Adds the cases to the tallies. Call after the audit head is locked: every writer locks
    /// the head before the tally rows, so concurrent transactions on PostgreSQL never deadlock.
    pub async fn write_tallies<E: Exec + ?Sized>(self, tx: &mut E, backend: Backend) -> Result<()> {
        let tally_rows = self.tallies.into_iter().map(|((t, st), n)| vec![Arg::Text(t), Arg::Text(st), Arg::Int(n)]).collect();
        insert_rows(
            tx,
            backend,
            "INSERT INTO case_tallies (town_code, status, n) VALUES ",
            tally_rows,
            " ON CONFLICT (town_code, status) DO UPDATE SET n = case_tallies.n + excluded.n",
        )
        .await
    }
}

/// The 街镇 part of a region code: case numbers are per town and day.
pub fn number_prefix(region_code: &str) -> &str {
    region_code.get(..9).unwrap_or(region_code)
}

pub async fn import(store: &SqlStore, histories: Vec<(Case, Vec<Event>)>, by: &AuditActor) -> Result<()> {
    if histories.is_empty() {
        return Ok(());
    }
    let mut tx = store.begin().await?;
    let (mut seq, mut hash) = audit_log::lock_head(&mut tx).await?;
    let mut case_id = max_id(&mut tx, "cases").await?;
    let mut event_id = max_id(&mut tx, "case_events").await?;
    let mut counters: HashMap<(String, String), i64> = HashMap::new();
    let mut rows = CaseRows::default();
    let mut audit_rows = vec![];
    let mut search_docs = vec![];
    for (mut case, mut events) in histories {
        if events.first().map(|e| e.seq) != Some(1) || events.len() as i64 != case.version {
            return Err(StoreError::Other(format!("导入的案件历史不完整（{}）", case.facts.number)));
        }
        let key = (number_prefix(&case.facts.region_code).to_string(), day_text(case.created_at));
        let last = match counters.get(&key) {
            Some(n) => *n,
            None => {
                let row = sqlx::query("SELECT last FROM case_counters WHERE prefix = $1 AND day = $2")
                    .bind(key.0.clone())
                    .bind(key.1.clone())
                    .fetch_optional(&mut *tx)
                    .await?;
                row.map(|r| r.try_get(0)).transpose()?.unwrap_or(0)
            }
        };
        counters.insert(key.clone(), last + 1);
        case_id += 1;
        case.id = case_id;
        case.facts.number = format!("{}-{}-{:04}", key.0, key.1, last + 1);
        if let Change::Reported { facts, .. } = &mut events[0].change {
            facts.number = case.facts.number.clone();
        }
        rows.case(&case)?;
        search_docs.push((case.id, search::case_document(&case, &events)));
        for e in &events {
            event_id += 1;
            let record = rows.event(&case, event_id, e)?.chain(seq + 1, &hash);
            (seq, hash) = (record.seq, record.hash.clone());
            audit_rows.push(audit_log::record_args(record));
        }
    }
    let imported = rows.cases.len();
    rows.write(&mut tx, store.backend).await?;
    insert_rows(&mut tx, store.backend, INSERT_COLUMNS, audit_rows, "").await?;
    search::write_documents(&mut tx, store.backend, search_docs).await?;
    rows.write_tallies(&mut tx, store.backend).await?;
    let counter_rows = counters.into_iter().map(|((p, d), n)| vec![Arg::Text(p), Arg::Text(d), Arg::Int(n)]).collect();
    insert_rows(
        &mut tx,
        store.backend,
        "INSERT INTO case_counters (prefix, day, last) VALUES ",
        counter_rows,
        " ON CONFLICT (prefix, day) DO UPDATE SET last = excluded.last",
    )
    .await?;
    audit_log::set_head(&mut tx, seq, &hash).await?;
    if store.backend == Backend::Postgres {
        for table in ["cases", "case_events"] {
            let sql = format!("SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))");
            sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_one(&mut *tx).await?;
        }
    }
    tx.commit().await?;
    tracing::debug!(imported, by = %by.name, "imported case histories");
    Ok(())
}
