//! New cases in batches (信息收集 → 案卷建立): one transaction writes every case of a batch with
//! its first event, number, tally, audit records (chained in order), idempotency key and
//! suspected-duplicate links — the group commit of the SQLite intake writer, and the
//! per-request transaction on PostgreSQL (a batch of one).
//!
//! Rows are written as [`super::import`] writes them, many to a statement. If the batch
//! transaction fails, every request is retried in a transaction of its own, so one bad request
//! fails alone.

use std::collections::HashMap;

use sqlx::{Any, AnyPool, Row, Transaction};

use chengyun_domain::case::{Case, Change};

use super::audit_log::{self, INSERT_COLUMNS};
use super::bind::{enum_from, Arg};
use super::cases::day_text;
use super::import::{insert_rows, max_id, CaseRows};
use super::{search, unique_violation, Backend, SqlStore};
use crate::records::{CreatedCase, NearbyCase, NearbyQuery, NewCaseRequest, SuspectRecord};
use crate::{Result, StoreError};

/// What a request of the batch turned out to be once its idempotency key was looked up.
enum Slot {
    /// Written now, as the n-th new case of the batch.
    New(usize),
    /// An earlier transaction made this case.
    Stored(i64),
    /// An earlier request of this batch with the same key.
    SameAs(usize),
    Failed(StoreError),
}

pub async fn create(store: &SqlStore, batch: Vec<NewCaseRequest>) -> Result<Vec<Result<CreatedCase>>> {
    if batch.is_empty() {
        return Ok(vec![]);
    }
    match write(store, &batch).await {
        Ok(done) => return Ok(done),
        Err(e) if batch.len() == 1 => return Ok(vec![retry_alone(store, &batch[0], e).await]),
        Err(e) => tracing::warn!(size = batch.len(), error = %e, "intake batch failed; retrying its requests one by one"),
    }
    let mut out = Vec::with_capacity(batch.len());
    for request in &batch {
        out.push(match write(store, std::slice::from_ref(request)).await {
            Ok(mut one) => one.pop().unwrap_or_else(|| Err(StoreError::Other("空结果".into()))),
            Err(e) => retry_alone(store, request, e).await,
        });
    }
    Ok(out)
}

/// On PostgreSQL two instances may race with the same key: the loser's insert of the key hits
/// the primary key once the winner commits, and a second attempt finds the winner's case.
async fn retry_alone(store: &SqlStore, request: &NewCaseRequest, first: StoreError) -> Result<CreatedCase> {
    let raced = matches!(&first, StoreError::Database(e) if unique_violation(e)) && request.idempotency.is_some();
    if !raced {
        return Err(first);
    }
    let mut again = write(store, std::slice::from_ref(request)).await?;
    again.pop().unwrap_or_else(|| Err(StoreError::Other("空结果".into())))
}

/// The cases earlier transactions made for the batch's repeated keys.
async fn stored_cases(tx: &mut Transaction<'static, Any>, slots: &[Slot]) -> Result<HashMap<i64, Case>> {
    let mut stored = HashMap::new();
    for slot in slots {
        if let Slot::Stored(id) = slot {
            let row = sqlx::query("SELECT state FROM case_states WHERE case_id = $1").bind(*id).fetch_one(&mut **tx).await?;
            let mut case: Case = serde_json::from_str(&row.try_get::<String, _>(0)?)?;
            case.id = *id;
            stored.insert(*id, case);
        }
    }
    Ok(stored)
}

/// `n` new ids for `table`: on SQLite the write lock is held, so the largest id is ours to
/// extend; on PostgreSQL the table's sequence hands them out.
async fn new_ids(tx: &mut Transaction<'static, Any>, backend: Backend, table: &str, n: usize) -> Result<Vec<i64>> {
    match backend {
        Backend::Sqlite => {
            let last = max_id(tx, table).await?;
            Ok((1..=n as i64).map(|i| last + i).collect())
        }
        Backend::Postgres => {
            let sql = format!("SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, $1)");
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(n as i64).fetch_all(&mut **tx).await?;
            let mut ids = rows.iter().map(|r| r.try_get(0)).collect::<std::result::Result<Vec<i64>, _>>()?;
            ids.sort_unstable();
            Ok(ids)
        }
    }
}

async fn write(store: &SqlStore, batch: &[NewCaseRequest]) -> Result<Vec<Result<CreatedCase>>> {
    let backend = store.backend;
    let mut tx = store.begin().await?;
    // On SQLite the first statement must write, so the transaction holds the write lock before
    // it reads anything (a read-then-write transaction could not wait for the lock). On
    // PostgreSQL the chain's head is locked last, so concurrent requests overlap until then.
    let mut head = match backend {
        Backend::Sqlite => Some(audit_log::lock_head(&mut tx).await?),
        Backend::Postgres => None,
    };

    // Idempotency keys: an earlier case, an earlier request of this batch, or new.
    let mut slots = Vec::with_capacity(batch.len());
    let mut fresh: Vec<Fresh> = Vec::new();
    let mut keyed: HashMap<(i64, &str), usize> = HashMap::new();
    let mut expired = Vec::new();
    for (i, request) in batch.iter().enumerate() {
        if let Some(k) = &request.idempotency {
            if let Some(&first) = keyed.get(&(k.actor_id, k.key.as_str())) {
                slots.push(Slot::SameAs(first));
                continue;
            }
            let row = sqlx::query("SELECT case_id, created_at FROM intake_keys WHERE actor_id = $1 AND idem_key = $2")
                .bind(k.actor_id)
                .bind(k.key.clone())
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(row) = row {
                let (case_id, at): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
                if at >= k.live_after {
                    slots.push(Slot::Stored(case_id));
                    continue;
                }
                expired.push((k.actor_id, k.key.clone()));
            }
            keyed.insert((k.actor_id, k.key.as_str()), i);
        }
        let event = request.event.clone();
        match Case::reported(0, &event) {
            Ok(case) => {
                slots.push(Slot::New(fresh.len()));
                fresh.push((i, case, event));
            }
            Err(e) => slots.push(Slot::Failed(StoreError::Corrupt(e.to_string()))),
        }
    }

    // Numbers per town and day, ids, rows.
    let mut per_day: HashMap<(String, String), i64> = HashMap::new();
    for (i, case, _) in &fresh {
        *per_day.entry((batch[*i].number_prefix.clone(), day_text(case.created_at))).or_default() += 1;
    }
    let mut next_number: HashMap<(String, String), i64> = HashMap::new();
    for ((prefix, day), n) in per_day {
        let row = sqlx::query(
            "INSERT INTO case_counters (prefix, day, last) VALUES ($1, $2, $3) \
             ON CONFLICT (prefix, day) DO UPDATE SET last = case_counters.last + excluded.last RETURNING last",
        )
        .bind(prefix.clone())
        .bind(day.clone())
        .bind(n)
        .fetch_one(&mut *tx)
        .await?;
        let last: i64 = row.try_get(0)?;
        next_number.insert((prefix, day), last - n + 1);
    }
    if fresh.is_empty() {
        // Nothing new: every request repeats a stored key.
        let stored = stored_cases(&mut tx, &slots).await?;
        tx.commit().await?;
        return Ok(finish(slots, &fresh, stored));
    }
    let case_ids = new_ids(&mut tx, backend, "cases", fresh.len()).await?;
    let event_ids = new_ids(&mut tx, backend, "case_events", fresh.len()).await?;
    let mut rows = CaseRows::default();
    let (mut key_rows, mut link_rows, mut audit_entries, mut search_docs) = (vec![], vec![], vec![], vec![]);
    for (n, (i, case, event)) in fresh.iter_mut().enumerate() {
        let request = &batch[*i];
        let key = (request.number_prefix.clone(), day_text(case.created_at));
        let seq = next_number.get_mut(&key).expect("counted above");
        case.facts.number = format!("{}-{}-{:04}", key.0, key.1, *seq);
        *seq += 1;
        if let Change::Reported { facts, .. } = &mut event.change {
            facts.number = case.facts.number.clone();
        }
        case.id = case_ids[n];
        rows.case(case)?;
        search_docs.push((case.id, search::case_document(case, std::iter::once(&*event))));
        audit_entries.push(rows.event(case, event_ids[n], event)?);
        if let Some(k) = &request.idempotency {
            key_rows.push(vec![Arg::Int(k.actor_id), Arg::Text(k.key.clone()), Arg::Int(case.id), Arg::Int(case.created_at)]);
        }
        for link in &request.suspected {
            let mm = (link.distance_m * 1000.0).round() as i64;
            link_rows.push(vec![Arg::Int(case.id), Arg::Int(link.duplicate_of), Arg::Int(mm), Arg::Int(link.age_ms)]);
        }
    }
    rows.write(&mut tx, backend).await?;
    search::write_documents(&mut tx, backend, search_docs).await?;
    for (actor, key) in expired {
        sqlx::query("DELETE FROM intake_keys WHERE actor_id = $1 AND idem_key = $2").bind(actor).bind(key).execute(&mut *tx).await?;
    }
    // A key inserted meanwhile by another instance breaks the primary key: see `retry_alone`.
    insert_rows(&mut tx, backend, "INSERT INTO intake_keys (actor_id, idem_key, case_id, created_at) VALUES ", key_rows, "").await?;
    insert_rows(
        &mut tx,
        backend,
        "INSERT INTO suspected_duplicates (case_id, duplicate_of, distance_mm, age_ms) VALUES ",
        link_rows,
        " ON CONFLICT DO NOTHING",
    )
    .await?;
    // The audit records, chained in the batch's order; then the tallies (head before tallies,
    // as every writer takes them, so PostgreSQL transactions never deadlock on them).
    let (mut seq, mut hash) = match head.take() {
        Some(h) => h,
        None => audit_log::lock_head(&mut tx).await?,
    };
    let mut audit_rows = Vec::with_capacity(audit_entries.len());
    for entry in audit_entries {
        let record = entry.chain(seq + 1, &hash);
        (seq, hash) = (record.seq, record.hash.clone());
        audit_rows.push(audit_log::record_args(record));
    }
    insert_rows(&mut tx, backend, INSERT_COLUMNS, audit_rows, "").await?;
    audit_log::set_head(&mut tx, seq, &hash).await?;
    rows.write_tallies(&mut tx, backend).await?;
    let stored = stored_cases(&mut tx, &slots).await?;
    tx.commit().await?;
    Ok(finish(slots, &fresh, stored))
}

type Fresh = (usize, Case, chengyun_domain::case::Event);

fn finish(slots: Vec<Slot>, fresh: &[Fresh], stored: HashMap<i64, Case>) -> Vec<Result<CreatedCase>> {
    slots
        .into_iter()
        .map(|slot| match slot {
            Slot::New(n) => Ok(CreatedCase { case: fresh[n].1.clone(), replayed: false }),
            Slot::SameAs(i) => match batch_slot_case(fresh, i) {
                Some(case) => Ok(CreatedCase { case, replayed: true }),
                None => Err(StoreError::Other("同一幂等键的首个请求未能保存".into())),
            },
            Slot::Stored(id) => Ok(CreatedCase { case: stored[&id].clone(), replayed: true }),
            Slot::Failed(e) => Err(e),
        })
        .collect()
}

/// The case written for the batch's `i`-th request, if it was written.
fn batch_slot_case(fresh: &[Fresh], i: usize) -> Option<Case> {
    fresh.iter().find(|(j, _, _)| *j == i).map(|(_, case, _)| case.clone())
}

/// The live case a key made, if any.
pub async fn by_key(pool: &AnyPool, actor_id: i64, key: &str, live_after: i64) -> Result<Option<Case>> {
    let row = sqlx::query(
        "SELECT s.case_id, s.state FROM intake_keys k JOIN case_states s ON s.case_id = k.case_id \
         WHERE k.actor_id = $1 AND k.idem_key = $2 AND k.created_at >= $3",
    )
    .bind(actor_id)
    .bind(key.to_string())
    .bind(live_after)
    .fetch_optional(pool)
    .await?;
    row.map(|r| {
        let mut case: Case = serde_json::from_str(&r.try_get::<String, _>(1)?)?;
        case.id = r.try_get(0)?;
        Ok(case)
    })
    .transpose()
}

pub async fn purge_keys(pool: &AnyPool, before: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM intake_keys WHERE created_at < $1").bind(before).execute(pool).await?.rows_affected())
}

/// Open cases of a category in a box, through the partial index `cases_open_near` (its WHERE
/// clause is repeated word for word so both planners can use it).
pub async fn nearby(pool: &AnyPool, q: &NearbyQuery) -> Result<Vec<NearbyCase>> {
    let rows = sqlx::query(
        "SELECT id, number, status, wgs_lon_e7, wgs_lat_e7, created_at FROM cases \
         WHERE category = $1 AND wgs_lat_e7 BETWEEN $2 AND $3 AND wgs_lon_e7 BETWEEN $4 AND $5 AND created_at >= $6 \
         AND wgs_lat_e7 IS NOT NULL AND status NOT IN ('closed', 'voided', 'merged') LIMIT $7",
    )
    .bind(q.category.clone())
    .bind(q.min_lat_e7)
    .bind(q.max_lat_e7)
    .bind(q.min_lon_e7)
    .bind(q.max_lon_e7)
    .bind(q.since)
    .bind(q.limit)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(NearbyCase {
                id: r.try_get(0)?,
                number: r.try_get(1)?,
                status: enum_from(&r.try_get::<String, _>(2)?)?,
                lon_e7: r.try_get(3)?,
                lat_e7: r.try_get(4)?,
                created_at: r.try_get(5)?,
            })
        })
        .collect()
}

/// A case's suspected-duplicate links in both directions, nearest first.
pub async fn suspects_of(pool: &AnyPool, case_id: i64) -> Result<Vec<SuspectRecord>> {
    let rows = sqlx::query(
        "SELECT duplicate_of, distance_mm, age_ms, CAST(1 AS BIGINT) FROM suspected_duplicates WHERE case_id = $1 \
         UNION ALL SELECT case_id, distance_mm, age_ms, CAST(0 AS BIGINT) FROM suspected_duplicates WHERE duplicate_of = $1",
    )
    .bind(case_id)
    .fetch_all(pool)
    .await?;
    let mut out = rows
        .iter()
        .map(|r| {
            Ok(SuspectRecord {
                case_id: r.try_get(0)?,
                distance_m: r.try_get::<i64, _>(1)? as f64 / 1000.0,
                age_ms: r.try_get(2)?,
                earlier: r.try_get::<i64, _>(3)? != 0,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    out.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m).then(a.case_id.cmp(&b.case_id)));
    Ok(out)
}
