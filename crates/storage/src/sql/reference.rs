//! Regions, units, category tables and settings: the admin's data. Every change is audited in
//! the same transaction.

use sqlx::{AnyPool, Row};

use chengyun_domain::category::CategoryTable;
use chengyun_domain::org::Unit;
use chengyun_domain::region::Region;

use super::bind::{enum_from, enum_text};
use super::{audit_log, now_ms, SqlStore};
use crate::audit::AuditEntry;
use crate::records::AuditActor;
use crate::Result;

pub(super) fn admin_entry(by: &AuditActor, action: &str, object_type: &str, object_id: &str, detail: String) -> AuditEntry {
    AuditEntry {
        at: now_ms(),
        actor_id: by.id,
        actor_name: by.name.clone(),
        action: action.into(),
        object_type: object_type.into(),
        object_id: object_id.into(),
        detail,
        event_id: None,
        event_digest: None,
    }
}

pub async fn list_regions(pool: &AnyPool) -> Result<Vec<Region>> {
    let rows = sqlx::query("SELECT code, name, level, parent FROM regions ORDER BY code").fetch_all(pool).await?;
    rows.iter()
        .map(|r| {
            Ok(Region {
                code: r.try_get(0)?,
                name: r.try_get(1)?,
                level: enum_from(&r.try_get::<String, _>(2)?)?,
                parent: r.try_get(3)?,
            })
        })
        .collect()
}

pub async fn upsert_region(store: &SqlStore, region: &Region, by: &AuditActor) -> Result<()> {
    let mut tx = store.begin().await?;
    sqlx::query(
        "INSERT INTO regions (code, name, level, parent, updated_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level, parent = excluded.parent, updated_at = excluded.updated_at",
    )
    .bind(region.code.clone())
    .bind(region.name.clone())
    .bind(enum_text(&region.level))
    .bind(region.parent.clone())
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    audit_log::append(&mut tx, admin_entry(by, "region.upsert", "region", &region.code, serde_json::to_string(region)?)).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn list_units(pool: &AnyPool) -> Result<Vec<Unit>> {
    let rows = sqlx::query("SELECT code, name, kind, region_code, active FROM units ORDER BY code").fetch_all(pool).await?;
    rows.iter()
        .map(|r| {
            Ok(Unit {
                code: r.try_get(0)?,
                name: r.try_get(1)?,
                kind: enum_from(&r.try_get::<String, _>(2)?)?,
                region_code: r.try_get(3)?,
                active: r.try_get::<i64, _>(4)? != 0,
            })
        })
        .collect()
}

pub async fn upsert_unit(store: &SqlStore, unit: &Unit, by: &AuditActor) -> Result<()> {
    let mut tx = store.begin().await?;
    sqlx::query(
        "INSERT INTO units (code, name, kind, region_code, active, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind, region_code = excluded.region_code, \
         active = excluded.active, updated_at = excluded.updated_at",
    )
    .bind(unit.code.clone())
    .bind(unit.name.clone())
    .bind(enum_text(&unit.kind))
    .bind(unit.region_code.clone())
    .bind(i64::from(unit.active))
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    audit_log::append(&mut tx, admin_entry(by, "unit.upsert", "unit", &unit.code, serde_json::to_string(unit)?)).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn list_category_tables(pool: &AnyPool) -> Result<Vec<CategoryTable>> {
    let rows = sqlx::query("SELECT body FROM category_tables ORDER BY scheme").fetch_all(pool).await?;
    rows.iter()
        .map(|r| {
            let body: String = r.try_get(0)?;
            CategoryTable::from_json(&body).map_err(|e| crate::StoreError::Corrupt(e.to_string()))
        })
        .collect()
}

pub async fn put_category_table(store: &SqlStore, table: &CategoryTable, by: &AuditActor) -> Result<()> {
    let body = table.to_json_pretty();
    let mut tx = store.begin().await?;
    sqlx::query(
        "INSERT INTO category_tables (scheme, body, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (scheme) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
    )
    .bind(table.scheme.clone())
    .bind(body)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    let detail = serde_json::json!({"scheme": table.scheme, "version": table.version, "categories": table.categories.len()});
    audit_log::append(&mut tx, admin_entry(by, "category_table.put", "category_table", &table.scheme, detail.to_string())).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn get_setting(pool: &AnyPool, key: &str) -> Result<Option<String>> {
    let row = sqlx::query("SELECT value FROM settings WHERE key = $1").bind(key.to_string()).fetch_optional(pool).await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

pub async fn put_setting(store: &SqlStore, key: &str, value: &str, by: &AuditActor) -> Result<()> {
    let mut tx = store.begin().await?;
    sqlx::query(
        "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(key.to_string())
    .bind(value.to_string())
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    audit_log::append(&mut tx, admin_entry(by, "setting.put", "setting", key, value.to_string())).await?;
    tx.commit().await?;
    Ok(())
}
