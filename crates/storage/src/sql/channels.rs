//! The residents' channel: each town's Open311 services, the API keys of client systems with
//! their system users, and the events feed by time.

use sqlx::{AnyPool, Row};

use chengyun_domain::open311::Service;
use chengyun_domain::org::Role;
use chengyun_domain::Millis;

use super::audit_log;
use super::reference::admin_entry;
use super::{now_ms, unique_violation, SqlStore};
use crate::records::{ApiKeyRecord, AuditActor, NewApiKey, StoredEvent, UserRecord};
use crate::{Result, StoreError};

pub async fn list_services(pool: &AnyPool, town: &str) -> Result<Vec<Service>> {
    let rows = sqlx::query("SELECT body FROM open311_services WHERE town_code = $1 ORDER BY service_code")
        .bind(town.to_string())
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|r| {
            let body: String = r.try_get(0)?;
            serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(format!("Open311 服务定义：{e}")))
        })
        .collect()
}

pub async fn put_service(store: &SqlStore, town: &str, service: &Service, by: &AuditActor) -> Result<()> {
    let body = serde_json::to_string(service)?;
    let mut tx = store.begin().await?;
    sqlx::query(
        "INSERT INTO open311_services (town_code, service_code, body, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (town_code, service_code) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
    )
    .bind(town.to_string())
    .bind(service.code.clone())
    .bind(body.clone())
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    let id = format!("{town}/{}", service.code);
    audit_log::append(&mut tx, admin_entry(by, "open311_service.put", "open311_service", &id, body)).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn delete_service(store: &SqlStore, town: &str, code: &str, by: &AuditActor) -> Result<bool> {
    let mut tx = store.begin().await?;
    let gone = sqlx::query("DELETE FROM open311_services WHERE town_code = $1 AND service_code = $2")
        .bind(town.to_string())
        .bind(code.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected()
        > 0;
    if gone {
        let id = format!("{town}/{code}");
        audit_log::append(&mut tx, admin_entry(by, "open311_service.delete", "open311_service", &id, "{}".into())).await?;
    }
    tx.commit().await?;
    Ok(gone)
}

const KEY_COLUMNS: &str = "k.id, k.name, k.jurisdictions, k.user_id, k.rate_per_minute, k.created_at, k.revoked_at";

fn key_of(r: &sqlx::any::AnyRow) -> Result<ApiKeyRecord> {
    let towns: String = r.try_get(2)?;
    Ok(ApiKeyRecord {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        jurisdictions: towns.split(',').filter(|t| !t.is_empty()).map(str::to_string).collect(),
        user_id: r.try_get(3)?,
        rate_per_minute: r.try_get(4)?,
        created_at: r.try_get(5)?,
        revoked_at: r.try_get(6)?,
    })
}

/// What the audit log says about a key: never its hash.
fn key_detail(k: &ApiKeyRecord) -> String {
    serde_json::json!({"name": k.name, "jurisdictions": k.jurisdictions, "user_id": k.user_id, "rate_per_minute": k.rate_per_minute})
        .to_string()
}

/// Creates the key and the system user it reports as (role `channel`, no usable password), in
/// one transaction.
pub async fn create_key(store: &SqlStore, key: &NewApiKey, by: &AuditActor) -> Result<ApiKeyRecord> {
    let at = now_ms();
    let mut tx = store.begin().await?;
    // The user's name is unique per key: the hash's head is random and never shown as a secret.
    let username = format!("channel-{}", &key.key_hash[..12]);
    let user_id: i64 = sqlx::query(
        "INSERT INTO users (username, display_name, password_hash, roles, unit_code, region_code, active, created_at, updated_at) \
         VALUES ($1, $2, '!', $3, NULL, NULL, 1, $4, $4) RETURNING id",
    )
    .bind(username)
    .bind(format!("接入渠道：{}", key.name))
    .bind(Role::Channel.as_str())
    .bind(at)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    let id: i64 = sqlx::query(
        "INSERT INTO api_keys (key_hash, name, jurisdictions, user_id, rate_per_minute, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(key.key_hash.clone())
    .bind(key.name.clone())
    .bind(key.jurisdictions.join(","))
    .bind(user_id)
    .bind(key.rate_per_minute)
    .bind(at)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| if unique_violation(&e) { StoreError::Duplicate("API 密钥".into()) } else { e.into() })?
    .try_get(0)?;
    let record = ApiKeyRecord {
        id,
        name: key.name.clone(),
        jurisdictions: key.jurisdictions.clone(),
        user_id,
        rate_per_minute: key.rate_per_minute,
        created_at: at,
        revoked_at: None,
    };
    audit_log::append(&mut tx, admin_entry(by, "apikey.create", "apikey", &id.to_string(), key_detail(&record))).await?;
    tx.commit().await?;
    Ok(record)
}

pub async fn list_keys(pool: &AnyPool) -> Result<Vec<ApiKeyRecord>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {KEY_COLUMNS} FROM api_keys k ORDER BY k.id"))).fetch_all(pool).await?;
    rows.iter().map(key_of).collect()
}

/// A live key (not revoked, its user active) and its system user.
pub async fn key_by_hash(pool: &AnyPool, key_hash: &str) -> Result<Option<(ApiKeyRecord, UserRecord)>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {KEY_COLUMNS} FROM api_keys k JOIN users u ON u.id = k.user_id \
         WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND u.active = 1"
    )))
    .bind(key_hash.to_string())
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let key = key_of(&row)?;
    let user = super::users::by_id(pool, key.user_id).await?.ok_or_else(|| StoreError::Corrupt(format!("API 密钥 {} 的用户不存在", key.id)))?;
    Ok(Some((key, user)))
}

/// Revokes a key and disables its system user; false when there was no live key with that id.
pub async fn revoke_key(store: &SqlStore, id: i64, by: &AuditActor) -> Result<bool> {
    let at = now_ms();
    let mut tx = store.begin().await?;
    let revoked = sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(at)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
        > 0;
    if revoked {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {KEY_COLUMNS} FROM api_keys k WHERE k.id = $1"))).bind(id).fetch_one(&mut *tx).await?;
        let key = key_of(&row)?;
        sqlx::query("UPDATE users SET active = 0, updated_at = $1 WHERE id = $2").bind(at).bind(key.user_id).execute(&mut *tx).await?;
        audit_log::append(&mut tx, admin_entry(by, "apikey.revoke", "apikey", &id.to_string(), key_detail(&key))).await?;
    }
    tx.commit().await?;
    Ok(revoked)
}

pub async fn case_id_by_number(pool: &AnyPool, number: &str) -> Result<Option<i64>> {
    let row = sqlx::query("SELECT id FROM cases WHERE number = $1").bind(number.to_string()).fetch_optional(pool).await?;
    row.map(|r| r.try_get(0)).transpose().map_err(Into::into)
}

/// Events of the town's cases in `[from, to)`, oldest first, at most `limit`.
pub async fn town_events(pool: &AnyPool, town: &str, from: Millis, to: Millis, limit: i64) -> Result<Vec<StoredEvent>> {
    let rows = sqlx::query(
        "SELECT e.id, e.case_id FROM case_events e JOIN cases c ON c.id = e.case_id \
         WHERE e.at >= $1 AND e.at < $2 AND c.town_code = $3 ORDER BY e.at, e.id LIMIT $4",
    )
    .bind(from)
    .bind(to)
    .bind(town.to_string())
    .bind(limit)
    .fetch_all(pool)
    .await?;
    let mut wanted: Vec<(i64, i64)> = Vec::with_capacity(rows.len());
    for r in &rows {
        wanted.push((r.try_get(0)?, r.try_get(1)?));
    }
    // Whole histories per case, then picked: reading events is done in one place.
    let mut out = Vec::with_capacity(wanted.len());
    let mut cache: std::collections::HashMap<i64, Vec<StoredEvent>> = std::collections::HashMap::new();
    for (event_id, case_id) in wanted {
        if let std::collections::hash_map::Entry::Vacant(slot) = cache.entry(case_id) {
            slot.insert(super::cases::events(pool, case_id).await?);
        }
        if let Some(e) = cache[&case_id].iter().find(|e| e.id == event_id) {
            out.push(e.clone());
        }
    }
    Ok(out)
}
