//! Classifier model versions and the 受理员's decisions; every change audited in its transaction.

use sqlx::{AnyPool, Row};

use super::reference::admin_entry;
use super::{audit_log, now_ms, SqlStore};
use crate::classifier::{CaseClassification, ClassifierModelMeta, NewClassifierModel};
use crate::records::AuditActor;
use crate::Result;

fn meta_of(r: &sqlx::any::AnyRow) -> Result<ClassifierModelMeta> {
    Ok(ClassifierModelMeta {
        version: r.try_get(0)?,
        size: r.try_get(1)?,
        metrics: r.try_get(2)?,
        source: r.try_get(3)?,
        created_at: r.try_get(4)?,
        created_by: r.try_get(5)?,
        active: r.try_get::<i64, _>(6)? != 0,
    })
}

/// `None` when `only_if_none` and a version exists.
pub async fn put_model(store: &SqlStore, model: &NewClassifierModel, by: &AuditActor) -> Result<Option<ClassifierModelMeta>> {
    let mut tx = store.begin().await?;
    // The audit head row serialises writers, so two instances never take the same version.
    audit_log::lock_head(&mut tx).await?;
    let version: i64 = sqlx::query("SELECT COALESCE(MAX(version), 0) + 1 FROM classifier_models")
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    if model.only_if_none && version > 1 {
        return Ok(None);
    }
    if model.activate {
        sqlx::query("UPDATE classifier_models SET active = 0 WHERE active = 1").execute(&mut *tx).await?;
    }
    let at = now_ms();
    sqlx::query(
        "INSERT INTO classifier_models (version, model, size, metrics, source, created_at, created_by, active) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(version)
    .bind(model.model.clone())
    .bind(model.model.len() as i64)
    .bind(model.metrics.clone())
    .bind(model.source.clone())
    .bind(at)
    .bind(by.name.clone())
    .bind(i64::from(model.activate))
    .execute(&mut *tx)
    .await?;
    let detail = serde_json::json!({"version": version, "size": model.model.len(), "source": model.source,
                                    "active": model.activate, "metrics": serde_json::from_str::<serde_json::Value>(&model.metrics).ok()});
    audit_log::append(&mut tx, admin_entry(by, "classifier.train", "classifier_model", &version.to_string(), detail.to_string())).await?;
    tx.commit().await?;
    Ok(Some(ClassifierModelMeta {
        version,
        size: model.model.len() as i64,
        metrics: model.metrics.clone(),
        source: model.source.clone(),
        created_at: at,
        created_by: by.name.clone(),
        active: model.activate,
    }))
}

pub async fn list_models(pool: &AnyPool) -> Result<Vec<ClassifierModelMeta>> {
    let rows = sqlx::query("SELECT version, size, metrics, source, created_at, created_by, active FROM classifier_models ORDER BY version").fetch_all(pool).await?;
    rows.iter().map(meta_of).collect()
}

pub async fn active_version(pool: &AnyPool) -> Result<Option<i64>> {
    let row = sqlx::query("SELECT version FROM classifier_models WHERE active = 1 ORDER BY version DESC LIMIT 1")
        .fetch_optional(pool)
        .await?;
    Ok(match row {
        Some(r) => Some(r.try_get(0)?),
        None => None,
    })
}

pub async fn model(pool: &AnyPool, version: i64) -> Result<Option<(ClassifierModelMeta, Vec<u8>)>> {
    let row = sqlx::query("SELECT version, size, metrics, source, created_at, created_by, active, model FROM classifier_models WHERE version = $1")
        .bind(version)
        .fetch_optional(pool)
        .await?;
    match row {
        Some(r) => Ok(Some((meta_of(&r)?, r.try_get(7)?))),
        None => Ok(None),
    }
}

pub async fn activate(store: &SqlStore, version: i64, by: &AuditActor) -> Result<bool> {
    let mut tx = store.begin().await?;
    let exists = sqlx::query("SELECT version FROM classifier_models WHERE version = $1").bind(version).fetch_optional(&mut *tx).await?;
    if exists.is_none() {
        return Ok(false);
    }
    sqlx::query("UPDATE classifier_models SET active = CASE WHEN version = $1 THEN 1 ELSE 0 END").bind(version).execute(&mut *tx).await?;
    audit_log::append(&mut tx, admin_entry(by, "classifier.activate", "classifier_model", &version.to_string(), format!("启用分类模型版本 {version}"))).await?;
    tx.commit().await?;
    Ok(true)
}

pub async fn record(store: &SqlStore, c: &CaseClassification, by: &AuditActor) -> Result<()> {
    let mut tx = store.begin().await?;
    sqlx::query(
        "INSERT INTO case_classifications (case_id, model_version, suggested, category, accepted, user_id, username, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(c.case_id)
    .bind(c.model_version)
    .bind(c.suggested.clone())
    .bind(c.category.clone())
    .bind(i64::from(c.accepted))
    .bind(c.user_id)
    .bind(c.username.clone())
    .bind(c.created_at)
    .execute(&mut *tx)
    .await?;
    let action = if c.accepted { "classification.accept" } else { "classification.correct" };
    audit_log::append(&mut tx, admin_entry(by, action, "case", &c.case_id.to_string(), serde_json::to_string(c)?)).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn case_classifications(pool: &AnyPool, case_id: i64) -> Result<Vec<CaseClassification>> {
    let rows = sqlx::query(
        "SELECT case_id, model_version, suggested, category, accepted, user_id, username, created_at \
         FROM case_classifications WHERE case_id = $1 ORDER BY id",
    )
    .bind(case_id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(CaseClassification {
                case_id: r.try_get(0)?,
                model_version: r.try_get(1)?,
                suggested: r.try_get(2)?,
                category: r.try_get(3)?,
                accepted: r.try_get::<i64, _>(4)? != 0,
                user_id: r.try_get(5)?,
                username: r.try_get(6)?,
                created_at: r.try_get(7)?,
            })
        })
        .collect()
}

/// The newest `limit` cases' descriptions with their category: the 受理员's latest decision
/// where one was recorded, the case's own otherwise. Voided and merged cases are left out.
pub async fn training_texts(pool: &AnyPool, limit: i64) -> Result<Vec<(String, String)>> {
    let rows = sqlx::query(
        "SELECT c.description, COALESCE((SELECT k.category FROM case_classifications k WHERE k.case_id = c.id \
                ORDER BY k.id DESC LIMIT 1), c.category) \
         FROM cases c WHERE c.status NOT IN ('voided', 'merged') ORDER BY c.created_at DESC, c.id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
}
