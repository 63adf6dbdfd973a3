//! New cases in batches (信息收集 → 案卷建立): one transaction writes every case of a batch with
//! its first event, number, tally, audit records (chained in order), idempotency key and
//! suspected-duplicate links — the group commit of the SQLite intake writer, and the
//! per-request transaction on PostgreSQL (a batch of one).
//!
//! The batch's idempotency keys are looked up with one statement, and the candidates for its
//! 疑似重复件 with one more per 32 reports; on SQLite the write lock is held meanwhile, so
//! what the checks see is what the batch commits against.
//!
//! Rows are written as [`super::import`] writes them, many to a statement. If the batch
//! transaction fails, every request is retried in a transaction of its own, so one bad request
//! fails alone.

use std::collections::HashMap;

use async_trait::async_trait;

use sqlx::{AnyPool, Row};

use chengyun_domain::case::{Case, Change};
use chengyun_places::coord::LonLat;
use chengyun_places::nearby::{self, Candidate, DuplicateRule, E7Box, E7_PER_DEGREE};

use super::audit_log::{self, INSERT_COLUMNS};
use super::bind::{enum_from, fixed_chunks, Arg, Sql};
use super::exec::Exec;
use super::cases::day_text;
use super::import::{insert_rows, max_id, CaseRows};
use super::{search, unique_violation, Backend, SqlStore};
use crate::records::{CreatedCase, IdempotencyKey, NearbyCase, NewCaseRequest, SuspectRecord, SuspectedDuplicate};
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

/// A request with what it gives before any id or number does: its case as reported and that
/// case's search document. Worked out before the batch's transaction — on SQLite by the task
/// that hands the request to the one writer thread, so the thread spends its time on writes
/// (segmenting the texts was a twelfth of its work).
pub struct Prepared {
    request: NewCaseRequest,
    /// The case and its search document, or why the event makes no case.
    reported: std::result::Result<(Case, String), String>,
}

impl Prepared {
    pub fn new(request: NewCaseRequest) -> Prepared {
        let reported = Case::reported(0, &request.event)
            .map(|case| {
                let document = search::case_document(&case, std::iter::once(&request.event));
                (case, document)
            })
            .map_err(|e| e.to_string());
        Prepared { request, reported }
    }
}

/// Each request of `batch` [`Prepared`].
pub fn prepare(batch: Vec<NewCaseRequest>) -> Vec<Prepared> {
    batch.into_iter().map(Prepared::new).collect()
}

/// Runs a batch in one transaction of its own, committed before it returns.
#[async_trait]
pub(super) trait BatchTransaction: Send {
    async fn write(&mut self, batch: &[Prepared]) -> Result<Vec<Result<CreatedCase>>>;
}

/// sqlx's transactions: PostgreSQL, and SQLite when the intake thread is not running.
#[async_trait]
impl BatchTransaction for &SqlStore {
    async fn write(&mut self, batch: &[Prepared]) -> Result<Vec<Result<CreatedCase>>> {
        let mut tx = self.begin().await?;
        let done = write(&mut tx, self.backend, batch).await?;
        tx.commit().await?;
        Ok(done)
    }
}

pub async fn create<T: BatchTransaction>(mut writer: T, batch: Vec<Prepared>) -> Result<Vec<Result<CreatedCase>>> {
    if batch.is_empty() {
        return Ok(vec![]);
    }
    match writer.write(&batch).await {
        Ok(done) => return Ok(done),
        Err(e) if batch.len() == 1 => return Ok(vec![retry_alone(&mut writer, &batch[0], e).await]),
        Err(e) => tracing::warn!(size = batch.len(), error = %e, "intake batch failed; retrying its requests one by one"),
    }
    let mut out = Vec::with_capacity(batch.len());
    for request in &batch {
        out.push(match writer.write(std::slice::from_ref(request)).await {
            Ok(mut one) => one.pop().unwrap_or_else(|| Err(StoreError::Other("空结果".into()))),
            Err(e) => retry_alone(&mut writer, request, e).await,
        });
    }
    Ok(out)
}

/// On PostgreSQL two instances may race with the same key: the loser's insert of the key hits
/// the primary key once the winner commits, and a second attempt finds the winner's case.
async fn retry_alone<T: BatchTransaction>(writer: &mut T, request: &Prepared, first: StoreError) -> Result<CreatedCase> {
    let raced = matches!(&first, StoreError::Database(e) if unique_violation(e)) && request.request.idempotency.is_some();
    if !raced {
        return Err(first);
    }
    let mut again = writer.write(std::slice::from_ref(request)).await?;
    again.pop().unwrap_or_else(|| Err(StoreError::Other("空结果".into())))
}

/// The cases earlier transactions made for the batch's repeated keys.
async fn stored_cases<E: Exec + ?Sized>(tx: &mut E, slots: &[Slot]) -> Result<HashMap<i64, Case>> {
    let mut stored = HashMap::new();
    for slot in slots {
        if let Slot::Stored(id) = slot {
            let mut sql = Sql::new("SELECT state FROM case_states WHERE case_id = ");
            sql.arg(Arg::Int(*id));
            let mut case: Case = serde_json::from_str(&tx.fetch_one(&sql).await?.text(0)?)?;
            case.id = *id;
            stored.insert(*id, case);
        }
    }
    Ok(stored)
}

/// `n` new ids for `table`: on SQLite the write lock is held, so the largest id is ours to
/// extend; on PostgreSQL the table's sequence hands them out.
async fn new_ids<E: Exec + ?Sized>(tx: &mut E, backend: Backend, table: &str, n: usize) -> Result<Vec<i64>> {
    match backend {
        Backend::Sqlite => {
            let last = max_id(tx, table).await?;
            Ok((1..=n as i64).map(|i| last + i).collect())
        }
        Backend::Postgres => {
            let mut sql = Sql::new(&format!("SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, "));
            sql.arg(Arg::Int(n as i64)).push(")");
            let mut ids = tx.fetch(&sql).await?.iter().map(|r| r.int(0)).collect::<Result<Vec<i64>>>()?;
            ids.sort_unstable();
            Ok(ids)
        }
    }
}

/// Writes a batch in the transaction `tx` (not committed here).
pub(super) async fn write<E: Exec + ?Sized>(tx: &mut E, backend: Backend, prepared: &[Prepared]) -> Result<Vec<Result<CreatedCase>>> {
    // On SQLite the first statement must write, so the transaction holds the write lock before
    // it reads anything (a read-then-write transaction could not wait for the lock). On
    // PostgreSQL the chain's head is locked last, so concurrent requests overlap until then.
    let mut head = match backend {
        Backend::Sqlite => Some(audit_log::lock_head(tx).await?),
        Backend::Postgres => None,
    };

    // Idempotency keys: an earlier case, an earlier request of this batch, or new.
    let batch: Vec<&NewCaseRequest> = prepared.iter().map(|p| &p.request).collect();
    let stored_keys = stored_keys(tx, backend, &batch).await?;
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
            if let Some(&(case_id, at)) = stored_keys.get(&(k.actor_id, k.key.as_str())) {
                if at >= k.live_after {
                    slots.push(Slot::Stored(case_id));
                    continue;
                }
                expired.push((k.actor_id, k.key.clone()));
            }
            keyed.insert((k.actor_id, k.key.as_str()), i);
        }
        match &prepared[i].reported {
            Ok((case, _)) => {
                slots.push(Slot::New(fresh.len()));
                fresh.push(Fresh { request: i, case: case.clone(), event: request.event.clone(), suspected: vec![] });
            }
            Err(e) => slots.push(Slot::Failed(StoreError::Corrupt(e.clone()))),
        }
    }

    // Numbers per town and day, ids, rows.
    let mut per_day: HashMap<(String, String), i64> = HashMap::new();
    for f in &fresh {
        *per_day.entry((batch[f.request].number_prefix.clone(), day_text(f.case.created_at))).or_default() += 1;
    }
    let mut next_number: HashMap<(String, String), i64> = HashMap::new();
    for ((prefix, day), n) in per_day {
        let mut sql = Sql::new("INSERT INTO case_counters (prefix, day, last) VALUES ");
        sql.row(vec![Arg::Text(prefix.clone()), Arg::Text(day.clone()), Arg::Int(n)]);
        sql.push(" ON CONFLICT (prefix, day) DO UPDATE SET last = case_counters.last + excluded.last RETURNING last");
        let last = tx.fetch_one(&sql).await?.int(0)?;
        next_number.insert((prefix, day), last - n + 1);
    }
    if fresh.is_empty() {
        // Nothing new: every request repeats a stored key.
        let stored = stored_cases(tx, &slots).await?;
        return Ok(finish(slots, &fresh, stored));
    }
    let case_ids = new_ids(tx, backend, "cases", fresh.len()).await?;
    let event_ids = new_ids(tx, backend, "case_events", fresh.len()).await?;
    for (n, f) in fresh.iter_mut().enumerate() {
        let key = (batch[f.request].number_prefix.clone(), day_text(f.case.created_at));
        let seq = next_number.get_mut(&key).expect("counted above");
        f.case.facts.number = format!("{}-{}-{:04}", key.0, key.1, *seq);
        *seq += 1;
        if let Change::Reported { facts, .. } = &mut f.event.change {
            facts.number = f.case.facts.number.clone();
        }
        f.case.id = case_ids[n];
    }
    find_suspects(tx, backend, &batch, &mut fresh).await?;
    let mut rows = CaseRows::default();
    let (mut key_rows, mut link_rows, mut audit_entries, mut search_docs) = (vec![], vec![], vec![], vec![]);
    for (n, f) in fresh.iter().enumerate() {
        let (request, case) = (&batch[f.request], &f.case);
        rows.case(case)?;
        if let Ok((_, document)) = &prepared[f.request].reported {
            search_docs.push((case.id, document.clone()));
        }
        audit_entries.push(rows.event(case, event_ids[n], &f.event)?);
        if let Some(k) = &request.idempotency {
            key_rows.push(vec![Arg::Int(k.actor_id), Arg::Text(k.key.clone()), Arg::Int(case.id), Arg::Int(case.created_at)]);
        }
        for s in &f.suspected {
            let mm = (s.distance_m * 1000.0).round() as i64;
            link_rows.push(vec![Arg::Int(case.id), Arg::Int(s.case_id), Arg::Int(mm), Arg::Int(s.age_ms)]);
        }
    }
    rows.write(tx, backend).await?;
    search::write_documents(tx, backend, search_docs).await?;
    for (actor, key) in expired {
        let mut sql = Sql::new("DELETE FROM intake_keys WHERE actor_id = ");
        sql.arg(Arg::Int(actor)).push(" AND idem_key = ").arg(Arg::Text(key));
        tx.execute(&sql).await?;
    }
    // A key inserted meanwhile by another instance breaks the primary key: see `retry_alone`.
    insert_rows(tx, backend, "INSERT INTO intake_keys (actor_id, idem_key, case_id, created_at) VALUES ", key_rows, "").await?;
    insert_rows(
        tx,
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
        None => audit_log::lock_head(tx).await?,
    };
    let mut audit_rows = Vec::with_capacity(audit_entries.len());
    for entry in audit_entries {
        let record = entry.chain(seq + 1, &hash);
        (seq, hash) = (record.seq, record.hash.clone());
        audit_rows.push(audit_log::record_args(record));
    }
    insert_rows(tx, backend, INSERT_COLUMNS, audit_rows, "").await?;
    audit_log::set_head(tx, seq, &hash).await?;
    rows.write_tallies(tx, backend).await?;
    let stored = stored_cases(tx, &slots).await?;
    Ok(finish(slots, &fresh, stored))
}

/// A request of the batch that makes a new case.
struct Fresh {
    /// Its index in the batch.
    request: usize,
    case: Case,
    event: chengyun_domain::case::Event,
    suspected: Vec<SuspectedDuplicate>,
}

fn finish(slots: Vec<Slot>, fresh: &[Fresh], stored: HashMap<i64, Case>) -> Vec<Result<CreatedCase>> {
    let created = |f: &Fresh, replayed: bool| CreatedCase { case: f.case.clone(), replayed, suspected: if replayed { vec![] } else { f.suspected.clone() } };
    slots
        .into_iter()
        .map(|slot| match slot {
            Slot::New(n) => Ok(created(&fresh[n], false)),
            Slot::SameAs(i) => match fresh.iter().find(|f| f.request == i) {
                Some(f) => Ok(created(f, true)),
                None => Err(StoreError::Other("同一幂等键的首个请求未能保存".into())),
            },
            Slot::Stored(id) => Ok(CreatedCase { case: stored[&id].clone(), replayed: true, suspected: vec![] }),
            Slot::Failed(e) => Err(e),
        })
        .collect()
}

/// Idempotency keys looked up by one statement (fixed counts, see [`fixed_chunks`]).
const KEYS_PER_STATEMENT: &[usize] = &[64, 8, 1];

/// The stored keys of the batch's requests: `(actor, key) → (case, stored at)`, live or not.
async fn stored_keys<'b, E: Exec + ?Sized>(tx: &mut E, backend: Backend, batch: &[&'b NewCaseRequest]) -> Result<HashMap<(i64, &'b str), (i64, i64)>> {
    let keys: Vec<&IdempotencyKey> = batch.iter().filter_map(|r| r.idempotency.as_ref()).collect();
    let mut found = HashMap::new();
    for chunk in fixed_chunks(&keys, KEYS_PER_STATEMENT) {
        let mut sql = Sql::positional(backend, "SELECT actor_id, idem_key, case_id, created_at FROM intake_keys WHERE ");
        for (i, k) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(actor_id = " } else { " OR (actor_id = " });
            sql.arg(Arg::Int(k.actor_id)).push(" AND idem_key = ").arg(Arg::Text(k.key.clone())).push(")");
        }
        for row in tx.fetch(&sql).await? {
            let (actor, key) = (row.int(0)?, row.text(1)?);
            if let Some(k) = chunk.iter().find(|k| k.actor_id == actor && k.key == key) {
                found.insert((actor, k.key.as_str()), (row.int(2)?, row.int(3)?));
            }
        }
    }
    Ok(found)
}

/// Most candidates read for one report's duplicate check; most suspects linked to one report.
const MAX_CANDIDATES: i64 = 100;
const MAX_SUSPECTS: usize = 5;
/// Reports whose candidates one statement reads (fixed counts, see [`fixed_chunks`]).
const NEARBY_PER_STATEMENT: &[usize] = &[32, 8, 1];

/// 疑似重复件 of the batch's new cases: open cases of the same category near each placed point
/// and recent enough — read for all of them at once (see [`candidates_statement`]) — and the
/// batch's earlier new cases, so reports of one event arriving together find each other.
async fn find_suspects<E: Exec + ?Sized>(tx: &mut E, backend: Backend, batch: &[&NewCaseRequest], fresh: &mut [Fresh]) -> Result<()> {
    let wanted: Vec<(usize, LonLat, DuplicateRule)> = fresh
        .iter()
        .enumerate()
        .filter_map(|(n, f)| {
            let rule = batch[f.request].duplicates?;
            let p = f.case.facts.placement.as_ref()?;
            Some((n, LonLat::new(p.lon, p.lat), rule))
        })
        .collect();
    let mut stored: HashMap<usize, Vec<NearbyCase>> = HashMap::new();
    for chunk in fixed_chunks(&wanted, NEARBY_PER_STATEMENT) {
        let searches: Vec<NearbySearch> = chunk
            .iter()
            .map(|(n, point, rule)| NearbySearch {
                tag: *n as i64,
                category: &fresh[*n].case.facts.category,
                area: nearby::search_box(*point, rule.radius_m),
                since: fresh[*n].case.created_at - rule.window_ms,
            })
            .collect();
        let sql = candidates_statement(backend, &searches);
        for r in tx.fetch(&sql).await? {
            stored.entry(r.int(0)? as usize).or_default().push(NearbyCase {
                id: r.int(1)?,
                number: r.text(2)?,
                status: enum_from(&r.text(3)?)?,
                lon_e7: r.int(4)?,
                lat_e7: r.int(5)?,
                created_at: r.int(6)?,
            });
        }
    }
    for (n, point, rule) in wanted {
        let case = &fresh[n].case;
        let from_store = stored.remove(&n).unwrap_or_default().into_iter().map(|c| Candidate {
            point: LonLat::new(c.lon_e7 as f64 / E7_PER_DEGREE, c.lat_e7 as f64 / E7_PER_DEGREE),
            created_at: c.created_at,
            item: SuspectedDuplicate { case_id: c.id, number: c.number, status: c.status, distance_m: 0.0, age_ms: 0 },
        });
        let from_batch = fresh[..n].iter().filter(|f| f.case.facts.category == case.facts.category).filter_map(|f| {
            let p = f.case.facts.placement.as_ref()?;
            Some(Candidate {
                point: LonLat::new(p.lon, p.lat),
                created_at: f.case.created_at,
                item: SuspectedDuplicate { case_id: f.case.id, number: f.case.facts.number.clone(), status: f.case.status, distance_m: 0.0, age_ms: 0 },
            })
        });
        let found = nearby::suspects(point, case.created_at, &rule, from_store.chain(from_batch).collect::<Vec<_>>())
            .into_iter()
            .take(MAX_SUSPECTS)
            .map(|s| SuspectedDuplicate { distance_m: s.distance_m, age_ms: s.age_ms, ..s.item })
            .collect();
        fresh[n].suspected = found;
    }
    Ok(())
}

/// One report's duplicate check: open cases of `category` in `area` entered at `since` or later.
struct NearbySearch<'a> {
    /// Returned with each candidate, to tell whose it is.
    tag: i64,
    category: &'a str,
    area: E7Box,
    since: i64,
}

/// Latitude rows of `cases_open_near_rows` (migration 0012): degrees × 10⁷ per row (0.001°),
/// the divisor the index's expression names. Integer division truncates alike in Rust, SQLite
/// and PostgreSQL.
const LAT_ROW_E7: i64 = 10_000;

/// The candidates of several reports in one statement: per report, the index range of each
/// latitude row its box touches (`IN`, padded to a power of two so statement shapes repeat),
/// with the expression and WHERE clause of the partial index `cases_open_near_rows` word for
/// word. `+created_at` keeps the planners from preferring an index on (category, created_at).
fn candidates_statement(backend: Backend, searches: &[NearbySearch]) -> Sql {
    let mut sql = Sql::positional(backend, "");
    for (i, s) in searches.iter().enumerate() {
        sql.push(if i == 0 { "SELECT * FROM (SELECT " } else { " UNION ALL SELECT * FROM (SELECT " });
        sql.arg(Arg::Int(s.tag));
        sql.push(" AS req, id, number, status, wgs_lon_e7, wgs_lat_e7, created_at FROM cases WHERE category = ").arg(Arg::Text(s.category.to_string()));
        sql.push(&format!(" AND (wgs_lat_e7 / {LAT_ROW_E7}) IN "));
        sql.row(lat_rows(&s.area).into_iter().map(Arg::Int).collect());
        sql.push(" AND wgs_lon_e7 BETWEEN ").arg(Arg::Int(s.area.min_lon)).push(" AND ").arg(Arg::Int(s.area.max_lon));
        sql.push(" AND wgs_lat_e7 BETWEEN ").arg(Arg::Int(s.area.min_lat)).push(" AND ").arg(Arg::Int(s.area.max_lat));
        sql.push(" AND +created_at >= ").arg(Arg::Int(s.since));
        sql.push(" AND wgs_lat_e7 IS NOT NULL AND status NOT IN ('closed', 'voided', 'merged') LIMIT ").arg(Arg::Int(MAX_CANDIDATES));
        sql.push(&format!(") AS near{i}"));
    }
    sql
}

/// The latitude rows `area` touches, the last repeated up to a power of two (at least two).
fn lat_rows(area: &E7Box) -> Vec<i64> {
    let (first, last) = (area.min_lat / LAT_ROW_E7, area.max_lat / LAT_ROW_E7);
    let rows = (last - first + 1).max(1) as usize;
    (0..rows.next_power_of_two().max(2)).map(|k| first + k.min(rows - 1) as i64).collect()
}

pub async fn purge_keys(pool: &AnyPool, before: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM intake_keys WHERE created_at < $1").bind(before).execute(pool).await?.rows_affected())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::fresh_database;

    fn around(lon: f64, lat: f64, radius_m: f64) -> E7Box {
        nearby::search_box(LonLat::new(lon, lat), radius_m)
    }

    #[test]
    fn a_box_reads_every_latitude_row_it_touches() {
        // Inside one row: that row, twice (statements keep two slots).
        assert_eq!(lat_rows(&around(121.585, 31.0335, 50.0)), [31_033, 31_033]);
        // Across the line at 31.034°: both rows.
        assert_eq!(lat_rows(&around(121.585, 31.0340, 20.0)), [31_033, 31_034]);
        // 1 km: every row from the box's south edge to its north edge, padded to 32.
        let area = around(121.585, 31.0335, 1000.0);
        let rows = lat_rows(&area);
        assert_eq!(rows.len(), 32);
        assert_eq!((rows[0], *rows.last().unwrap()), (area.min_lat / LAT_ROW_E7, area.max_lat / LAT_ROW_E7));
        assert!(rows.windows(2).all(|w| w[1] == w[0] || w[1] == w[0] + 1));
    }

    /// The database's plan for a chunk of duplicate checks, of each size a batch uses: every check
    /// must seek the partial index (its expression and condition repeated word for word), never
    /// read a category's recent cases (a lone check once did, and took milliseconds).
    async fn plans(backend: Backend) -> Vec<(usize, String)> {
        let url = fresh_database(backend).await;
        crate::open(&url).await.unwrap().migrate().await.unwrap();
        let pool = AnyPool::connect(&url).await.unwrap();
        let mut conn = pool.acquire().await.unwrap();
        if backend == Backend::Postgres {
            // An empty table is read whole; the question is whether the index can serve.
            sqlx::query("SET enable_seqscan = off").execute(&mut *conn).await.unwrap();
        }
        let mut plans = vec![];
        for &size in NEARBY_PER_STATEMENT {
            let searches: Vec<NearbySearch> = (0..size)
                .map(|i| NearbySearch {
                    tag: i as i64,
                    category: if i % 2 == 0 { "SJ-0102" } else { "SJ-0103" },
                    area: around(121.585 + i as f64 * 1e-3, 31.034, 50.0),
                    since: 1_796_000_000_000,
                })
                .collect();
            let mut explain = candidates_statement(backend, &searches);
            explain.text = format!("EXPLAIN {}{}", if backend == Backend::Sqlite { "QUERY PLAN " } else { "" }, explain.text);
            let rows = explain.query().fetch_all(&mut *conn).await.unwrap();
            let column = if backend == Backend::Sqlite { 3 } else { 0 };
            plans.push((size, rows.iter().map(|r| r.try_get::<String, _>(column).unwrap()).collect::<Vec<_>>().join("\n")));
        }
        plans
    }

    #[tokio::test]
    async fn sqlite_duplicate_checks_seek_rows_of_the_partial_index() {
        for (size, plan) in plans(Backend::Sqlite).await {
            let seeks = plan.matches("USING COVERING INDEX cases_open_near_rows (category=? AND <expr>=? AND wgs_lon_e7>? AND wgs_lon_e7<?)").count();
            assert_eq!(seeks, size, "{plan}");
        }
    }

    #[tokio::test]
    async fn postgres_duplicate_checks_use_the_partial_index() {
        for (size, plan) in plans(Backend::Postgres).await {
            assert_eq!(plan.matches("using cases_open_near_rows on cases").count(), size, "{plan}");
            assert!(plan.contains("ANY"), "the rows are index conditions: {plan}");
        }
    }
}
