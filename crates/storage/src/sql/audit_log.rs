//! Appending to and verifying the audit chain.

use sqlx::{Any, AnyPool, Row, Transaction};

use super::bind::{Arg, Sql};
use super::exec::Exec;
use crate::audit::{event_digest, record_hash, AuditEntry, AuditRecord, AuditReport, Broken, EventRow};
use crate::Result;

/// Locks the head of the chain for this transaction and returns (last seq, last hash).
/// Both dialects take a row lock with the update, so concurrent appenders — even from other
/// server instances on PostgreSQL — queue here and the chain never forks.
pub async fn lock_head<E: Exec + ?Sized>(tx: &mut E) -> Result<(i64, String)> {
    let row = tx.fetch_one(&Sql::new("UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash")).await?;
    Ok((row.int(0)?, row.text(1)?))
}

pub async fn set_head<E: Exec + ?Sized>(tx: &mut E, seq: i64, hash: &str) -> Result<()> {
    let mut sql = Sql::new("UPDATE audit_head SET seq = ");
    sql.arg(Arg::Int(seq)).push(", hash = ").arg(Arg::Text(hash.to_string())).push(" WHERE id = 1");
    tx.execute(&sql).await?;
    Ok(())
}

pub const INSERT_COLUMNS: &str =
    "INSERT INTO audit_log (seq, at, actor_id, actor_name, action, object_type, object_id, detail, event_id, event_digest, prev_hash, hash) VALUES ";

pub fn record_args(r: AuditRecord) -> Vec<super::bind::Arg> {
    use super::bind::Arg::*;
    let e = r.entry;
    vec![
        Int(r.seq),
        Int(e.at),
        Int(e.actor_id),
        Text(e.actor_name),
        Text(e.action),
        Text(e.object_type),
        Text(e.object_id),
        Text(e.detail),
        OptInt(e.event_id),
        OptText(e.event_digest),
        Text(r.prev_hash),
        Text(r.hash),
    ]
}

/// Appends one entry inside the caller's transaction.
pub async fn append(tx: &mut Transaction<'static, Any>, entry: AuditEntry) -> Result<AuditRecord> {
    let (seq, prev) = lock_head(tx).await?;
    let record = entry.chain(seq + 1, &prev);
    let mut sql = super::bind::Sql::new(INSERT_COLUMNS);
    sql.row(record_args(record.clone()));
    sql.query().execute(&mut **tx).await?;
    set_head(tx, record.seq, &record.hash).await?;
    Ok(record)
}

const SELECT_RECORD: &str = "SELECT a.seq, a.at, a.actor_id, a.actor_name, a.action, a.object_type, a.object_id, a.detail, \
     a.event_id, a.event_digest, a.prev_hash, a.hash";

fn record_of(row: &sqlx::any::AnyRow) -> Result<AuditRecord> {
    Ok(AuditRecord {
        seq: row.try_get(0)?,
        entry: AuditEntry {
            at: row.try_get(1)?,
            actor_id: row.try_get(2)?,
            actor_name: row.try_get(3)?,
            action: row.try_get(4)?,
            object_type: row.try_get(5)?,
            object_id: row.try_get(6)?,
            detail: row.try_get(7)?,
            event_id: row.try_get(8)?,
            event_digest: row.try_get(9)?,
        },
        prev_hash: row.try_get(10)?,
        hash: row.try_get(11)?,
    })
}

pub async fn list(pool: &AnyPool, after_seq: i64, limit: i64) -> Result<Vec<AuditRecord>> {
    let sql = format!("{SELECT_RECORD} FROM audit_log a WHERE a.seq > $1 ORDER BY a.seq LIMIT $2");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(after_seq).bind(limit.clamp(1, 1000)).fetch_all(pool).await?;
    rows.iter().map(record_of).collect()
}

const PAGE: i64 = 5000;

/// Walks the chain from the start, page by page, and checks every link, hash and event digest;
/// then that every event is covered by a record and the head matches the last record.
pub async fn verify(pool: &AnyPool) -> Result<AuditReport> {
    let mut report = AuditReport { ok: true, records: 0, events: 0, first_broken: None };
    let fail = |mut report: AuditReport, seq: i64, reason: String| {
        report.ok = false;
        report.first_broken = Some(Broken { seq, reason });
        Ok(report)
    };
    let sql = format!(
        "{SELECT_RECORD}, e.id, e.case_id, e.seq, e.at, e.actor_id, e.actor_name, e.actor_role, e.action, e.reason, e.payload \
         FROM audit_log a LEFT JOIN case_events e ON e.id = a.event_id WHERE a.seq > $1 ORDER BY a.seq LIMIT $2"
    );
    let (mut last_seq, mut last_hash) = (0i64, crate::audit::GENESIS.to_string());
    loop {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(last_seq).bind(PAGE).fetch_all(pool).await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let r = record_of(row)?;
            if r.seq != last_seq + 1 {
                return fail(report, last_seq + 1, format!("审计记录 {} 缺失（下一条为 {}）", last_seq + 1, r.seq));
            }
            if r.prev_hash != last_hash {
                return fail(report, r.seq, format!("审计记录 {} 的前序哈希与上一条不符", r.seq));
            }
            if record_hash(&r) != r.hash {
                return fail(report, r.seq, format!("审计记录 {} 的内容已被改动", r.seq));
            }
            if let Some(event_id) = r.entry.event_id {
                let found: Option<i64> = row.try_get(12)?;
                if found.is_none() {
                    return fail(report, r.seq, format!("审计记录 {} 对应的案件事件 {event_id} 已被删除", r.seq));
                }
                let (actor_name, actor_role, action, reason, payload): (String, String, String, Option<String>, String) =
                    (row.try_get(17)?, row.try_get(18)?, row.try_get(19)?, row.try_get(20)?, row.try_get(21)?);
                let digest = event_digest(&EventRow {
                    id: event_id,
                    case_id: row.try_get(13)?,
                    seq: row.try_get(14)?,
                    at: row.try_get(15)?,
                    actor_id: row.try_get(16)?,
                    actor_name: &actor_name,
                    actor_role: &actor_role,
                    action: &action,
                    reason: reason.as_deref(),
                    payload: &payload,
                });
                if r.entry.event_digest.as_deref() != Some(digest.as_str()) {
                    return fail(report, r.seq, format!("案件事件 {event_id}（审计记录 {}）已被改动", r.seq));
                }
                report.events += 1;
            }
            report.records += 1;
            last_seq = r.seq;
            last_hash = r.hash;
        }
    }
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(pool).await?;
    let (head_seq, head_hash): (i64, String) = (head.try_get(0)?, head.try_get(1)?);
    if head_seq != last_seq || head_hash != last_hash {
        return fail(report, last_seq + 1, format!("审计链末尾被截断：链头为 {head_seq}，实际最后一条为 {last_seq}"));
    }
    let orphan = sqlx::query(
        "SELECT e.id FROM case_events e LEFT JOIN audit_log a ON a.event_id = e.id WHERE a.seq IS NULL ORDER BY e.id LIMIT 1",
    )
    .fetch_optional(pool)
    .await?;
    if let Some(row) = orphan {
        let id: i64 = row.try_get(0)?;
        return fail(report, last_seq, format!("案件事件 {id} 没有审计记录（疑为手工插入）"));
    }
    Ok(report)
}
