//! Users, sessions and login failures.

use sqlx::{AnyPool, Row};

use chengyun_domain::org::Role;
use chengyun_domain::time::Millis;

use super::audit_log;
use super::{now_ms, unique_violation, SqlStore};
use crate::audit::AuditEntry;
use crate::records::{AuditActor, NewUser, UserPatch, UserRecord};
use crate::{Result, StoreError};

const COLUMNS: &str = "id, username, display_name, password_hash, roles, unit_code, region_code, active, created_at";

fn roles_text(roles: &[Role]) -> String {
    roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",")
}

fn user_of(row: &sqlx::any::AnyRow) -> Result<UserRecord> {
    let roles: String = row.try_get(4)?;
    let roles = roles
        .split(',')
        .filter(|r| !r.is_empty())
        .map(|r| r.parse::<Role>().map_err(StoreError::Corrupt))
        .collect::<Result<Vec<_>>>()?;
    Ok(UserRecord {
        id: row.try_get(0)?,
        username: row.try_get(1)?,
        display_name: row.try_get(2)?,
        password_hash: row.try_get(3)?,
        roles,
        unit: row.try_get(5)?,
        region: row.try_get(6)?,
        active: row.try_get::<i64, _>(7)? != 0,
        created_at: row.try_get(8)?,
    })
}

/// What the audit log says about a user: never the password hash.
fn audit_detail(u: &UserRecord) -> String {
    serde_json::json!({"username": u.username, "display_name": u.display_name, "roles": u.roles,
        "unit": u.unit, "region": u.region, "active": u.active})
    .to_string()
}

pub async fn count(pool: &AnyPool) -> Result<i64> {
    Ok(sqlx::query("SELECT COUNT(*) FROM users").fetch_one(pool).await?.try_get(0)?)
}

pub async fn create(store: &SqlStore, user: &NewUser, by: &AuditActor) -> Result<UserRecord> {
    let at = now_ms();
    let mut tx = store.begin().await?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO users (username, display_name, password_hash, roles, unit_code, region_code, active, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7) RETURNING {COLUMNS}"
    )))
    .bind(user.username.clone())
    .bind(user.display_name.clone())
    .bind(user.password_hash.clone())
    .bind(roles_text(&user.roles))
    .bind(user.unit.clone())
    .bind(user.region.clone())
    .bind(at)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| if unique_violation(&e) { StoreError::Duplicate(format!("用户名“{}”", user.username)) } else { e.into() })?;
    let created = user_of(&row)?;
    audit_log::append(&mut tx, entry(by, at, "user.create", &created)).await?;
    tx.commit().await?;
    Ok(created)
}

fn entry(by: &AuditActor, at: Millis, action: &str, u: &UserRecord) -> AuditEntry {
    AuditEntry {
        at,
        actor_id: by.id,
        actor_name: by.name.clone(),
        action: action.into(),
        object_type: "user".into(),
        object_id: u.id.to_string(),
        detail: audit_detail(u),
        event_id: None,
        event_digest: None,
    }
}

pub async fn update(store: &SqlStore, id: i64, patch: &UserPatch, by: &AuditActor) -> Result<UserRecord> {
    let at = now_ms();
    let mut tx = store.begin().await?;
    // Read-modify-write under the row's write lock: the first statement writes.
    let touched = sqlx::query("UPDATE users SET updated_at = $1 WHERE id = $2").bind(at).bind(id).execute(&mut *tx).await?;
    if touched.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!("用户 {id}")));
    }
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM users WHERE id = $1"))).bind(id).fetch_one(&mut *tx).await?;
    let mut u = user_of(&row)?;
    if let Some(v) = &patch.display_name {
        u.display_name = v.clone();
    }
    if let Some(v) = &patch.password_hash {
        u.password_hash = v.clone();
    }
    if let Some(v) = &patch.roles {
        u.roles = v.clone();
    }
    if let Some(v) = &patch.unit {
        u.unit = v.clone();
    }
    if let Some(v) = &patch.region {
        u.region = v.clone();
    }
    if let Some(v) = patch.active {
        u.active = v;
    }
    sqlx::query(
        "UPDATE users SET display_name = $1, password_hash = $2, roles = $3, unit_code = $4, region_code = $5, active = $6 WHERE id = $7",
    )
    .bind(u.display_name.clone())
    .bind(u.password_hash.clone())
    .bind(roles_text(&u.roles))
    .bind(u.unit.clone())
    .bind(u.region.clone())
    .bind(i64::from(u.active))
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if patch.password_hash.is_some() || patch.active == Some(false) {
        // A new password or a disabled account ends every open session.
        sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
            .bind(at)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    let action = if patch.password_hash.is_some() { "user.password" } else { "user.update" };
    audit_log::append(&mut tx, entry(by, at, action, &u)).await?;
    tx.commit().await?;
    Ok(u)
}

pub async fn by_username(pool: &AnyPool, username: &str) -> Result<Option<UserRecord>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM users WHERE username = $1")))
        .bind(username.to_string())
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(user_of).transpose()
}

pub async fn by_id(pool: &AnyPool, id: i64) -> Result<Option<UserRecord>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM users WHERE id = $1"))).bind(id).fetch_optional(pool).await?;
    row.as_ref().map(user_of).transpose()
}

pub async fn list(pool: &AnyPool) -> Result<Vec<UserRecord>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM users ORDER BY id"))).fetch_all(pool).await?;
    rows.iter().map(user_of).collect()
}

/// The audit record of a login or logout; the token's hash is not recorded.
fn session_entry(user: &AuditActor, at: Millis, action: &str) -> AuditEntry {
    AuditEntry {
        at,
        actor_id: user.id,
        actor_name: user.name.clone(),
        action: action.into(),
        object_type: "user".into(),
        object_id: user.id.to_string(),
        detail: "{}".into(),
        event_id: None,
        event_digest: None,
    }
}

pub async fn create_session(store: &SqlStore, token_hash: &str, user: &AuditActor, now: Millis, expires_at: Millis) -> Result<()> {
    let mut tx = store.begin().await?;
    sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token_hash.to_string())
        .bind(user.id)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
    audit_log::append(&mut tx, session_entry(user, now, "session.login")).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn session_user(pool: &AnyPool, token_hash: &str, now: Millis) -> Result<Option<UserRecord>> {
    let columns = COLUMNS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT {columns} FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND u.active = 1"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(token_hash.to_string()).bind(now).fetch_optional(pool).await?;
    row.as_ref().map(user_of).transpose()
}

pub async fn revoke_session(store: &SqlStore, token_hash: &str, user: &AuditActor, now: Millis) -> Result<()> {
    let mut tx = store.begin().await?;
    let revoked = sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(token_hash.to_string())
        .execute(&mut *tx)
        .await?;
    if revoked.rows_affected() > 0 {
        audit_log::append(&mut tx, session_entry(user, now, "session.logout")).await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn record_failure(pool: &AnyPool, username: &str, address: &str, at: Millis) -> Result<()> {
    sqlx::query("INSERT INTO login_failures (username, address, at) VALUES ($1, $2, $3)")
        .bind(username.to_string())
        .bind(address.to_string())
        .bind(at)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn failures(pool: &AnyPool, username: &str, address: &str, since: Millis) -> Result<(i64, i64)> {
    let row = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM login_failures WHERE username = $1 AND at >= $3), \
                (SELECT COUNT(*) FROM login_failures WHERE address = $2 AND at >= $3)",
    )
    .bind(username.to_string())
    .bind(address.to_string())
    .bind(since)
    .fetch_one(pool)
    .await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

pub async fn clear_failures(pool: &AnyPool, username: &str) -> Result<()> {
    sqlx::query("DELETE FROM login_failures WHERE username = $1").bind(username.to_string()).execute(pool).await?;
    Ok(())
}
