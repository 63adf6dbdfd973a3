//! Boundaries of regions and the 责任清单. Imports are one transaction each, audited, and bump
//! the geometry version other instances watch.

use sqlx::{AnyPool, Row};

use chengyun_domain::region::Region;
use chengyun_domain::routing::RoutingRule;

use super::bind::{enum_from, enum_text, prefix_upper, Arg, Sql};
use super::import::insert_rows;
use super::reference::admin_entry;
use super::{audit_log, now_ms, SqlStore};
use crate::records::{AuditActor, GeometryScope, RegionGeometry, GEOMETRY_VERSION_KEY};
use crate::Result;

/// Writes regions with their boundaries (new or replacing), all or nothing.
pub async fn import_region_geometries(store: &SqlStore, regions: &[RegionGeometry], by: &AuditActor, detail: String) -> Result<i64> {
    let now = now_ms();
    let mut tx = store.begin().await?;
    let rows = regions
        .iter()
        .map(|g| {
            vec![
                Arg::Text(g.region.code.clone()),
                Arg::Text(g.region.name.clone()),
                Arg::Text(enum_text(&g.region.level)),
                Arg::OptText(g.region.parent.clone()),
                Arg::Text(g.geometry.clone()),
                Arg::Int(i64::from(g.approximate)),
                Arg::Int(now),
            ]
        })
        .collect();
    insert_rows(
        &mut tx,
        store.backend,
        "INSERT INTO regions (code, name, level, parent, geometry, approximate, updated_at) VALUES ",
        rows,
        " ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level, parent = excluded.parent, \
         geometry = excluded.geometry, approximate = excluded.approximate, updated_at = excluded.updated_at",
    )
    .await?;
    let version: i64 = sqlx::query("SELECT value FROM settings WHERE key = $1")
        .bind(GEOMETRY_VERSION_KEY)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get::<String, _>(0))
        .transpose()?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
        + 1;
    sqlx::query(
        "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(GEOMETRY_VERSION_KEY)
    .bind(version.to_string())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    audit_log::append(&mut tx, admin_entry(by, "regions.import", "region", &format!("{} regions", regions.len()), detail)).await?;
    tx.commit().await?;
    Ok(version)
}

pub async fn region_geometries(pool: &AnyPool, scope: GeometryScope<'_>) -> Result<Vec<RegionGeometry>> {
    let mut sql = Sql::new("SELECT code, name, level, parent, geometry, approximate FROM regions WHERE geometry IS NOT NULL");
    match scope {
        GeometryScope::All => {}
        GeometryScope::Code(code) => {
            sql.push(" AND code = ").arg(Arg::Text(code.into()));
        }
        GeometryScope::ChildrenOf(parent) => {
            sql.push(" AND parent = ").arg(Arg::Text(parent.into()));
        }
    }
    sql.push(" ORDER BY code");
    let rows = sql.query().fetch_all(pool).await?;
    rows.iter()
        .map(|r| {
            Ok(RegionGeometry {
                region: Region {
                    code: r.try_get(0)?,
                    name: r.try_get(1)?,
                    level: enum_from(&r.try_get::<String, _>(2)?)?,
                    parent: r.try_get(3)?,
                },
                geometry: r.try_get(4)?,
                approximate: r.try_get::<i64, _>(5)? != 0,
            })
        })
        .collect()
}

pub async fn geometry_version(pool: &AnyPool) -> Result<i64> {
    let row = sqlx::query("SELECT value FROM settings WHERE key = $1").bind(GEOMETRY_VERSION_KEY).fetch_optional(pool).await?;
    Ok(row.map(|r| r.try_get::<String, _>(0)).transpose()?.and_then(|v| v.parse().ok()).unwrap_or(0))
}

pub async fn list_routing_rules(pool: &AnyPool) -> Result<Vec<RoutingRule>> {
    let rows = sqlx::query(
        "SELECT category, region_code, lead_unit, assist_units, auto_dispatch, note FROM routing_rules ORDER BY region_code, category",
    )
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(RoutingRule {
                category: r.try_get(0)?,
                region: r.try_get(1)?,
                lead: r.try_get(2)?,
                assists: serde_json::from_str(&r.try_get::<String, _>(3)?)?,
                auto_dispatch: r.try_get::<i64, _>(4)? != 0,
                note: r.try_get(5)?,
            })
        })
        .collect()
}

fn rule_row(rule: &RoutingRule, now: i64) -> Result<Vec<Arg>> {
    Ok(vec![
        Arg::Text(rule.category.clone()),
        Arg::Text(rule.region.clone()),
        Arg::Text(rule.lead.clone()),
        Arg::Text(serde_json::to_string(&rule.assists)?),
        Arg::Int(i64::from(rule.auto_dispatch)),
        Arg::OptText(rule.note.clone()),
        Arg::Int(now),
    ])
}

const RULE_INSERT: &str =
    "INSERT INTO routing_rules (category, region_code, lead_unit, assist_units, auto_dispatch, note, updated_at) VALUES ";
const RULE_UPSERT: &str = " ON CONFLICT (category, region_code) DO UPDATE SET lead_unit = excluded.lead_unit, \
     assist_units = excluded.assist_units, auto_dispatch = excluded.auto_dispatch, note = excluded.note, updated_at = excluded.updated_at";

pub async fn put_routing_rule(store: &SqlStore, rule: &RoutingRule, by: &AuditActor) -> Result<()> {
    let mut tx = store.begin().await?;
    let mut sql = Sql::new(RULE_INSERT);
    sql.row(rule_row(rule, now_ms())?).push(RULE_UPSERT);
    sql.query().execute(&mut *tx).await?;
    let id = format!("{}@{}", rule.category, rule.region);
    audit_log::append(&mut tx, admin_entry(by, "routing_rule.put", "routing_rule", &id, serde_json::to_string(rule)?)).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn delete_routing_rule(store: &SqlStore, category: &str, region: &str, by: &AuditActor) -> Result<bool> {
    let mut tx = store.begin().await?;
    let deleted = sqlx::query("DELETE FROM routing_rules WHERE category = $1 AND region_code = $2")
        .bind(category.to_string())
        .bind(region.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if deleted > 0 {
        let id = format!("{category}@{region}");
        audit_log::append(&mut tx, admin_entry(by, "routing_rule.delete", "routing_rule", &id, String::new())).await?;
    }
    tx.commit().await?;
    Ok(deleted > 0)
}

/// Replaces every rule set within the region prefixes (a subtree) by `rules`, all or nothing.
pub async fn replace_routing_rules(store: &SqlStore, prefixes: &[String], rules: &[RoutingRule], by: &AuditActor) -> Result<u64> {
    let mut tx = store.begin().await?;
    let mut removed = 0;
    for p in prefixes {
        removed += sqlx::query("DELETE FROM routing_rules WHERE region_code >= $1 AND region_code < $2")
            .bind(p.clone())
            .bind(prefix_upper(p))
            .execute(&mut *tx)
            .await?
            .rows_affected();
    }
    let now = now_ms();
    let rows = rules.iter().map(|r| rule_row(r, now)).collect::<Result<Vec<_>>>()?;
    insert_rows(&mut tx, store.backend, RULE_INSERT, rows, RULE_UPSERT).await?;
    let detail = serde_json::json!({"within": prefixes, "removed": removed, "added": rules.len()}).to_string();
    audit_log::append(&mut tx, admin_entry(by, "routing_rules.replace", "routing_rule", &prefixes.join(","), detail)).await?;
    tx.commit().await?;
    Ok(removed)
}
