//! Photos and other attachments, kept in the database so that a backup holds everything and
//! every instance sees the same files.

use sqlx::{AnyPool, Row};

use crate::records::{AttachmentMeta, NewAttachment};
use crate::Result;

pub async fn put(pool: &AnyPool, a: &NewAttachment) -> Result<AttachmentMeta> {
    sqlx::query(
        "INSERT INTO attachments (id, content_type, size, sha256, data, uploaded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(a.id.clone())
    .bind(a.content_type.clone())
    .bind(a.data.len() as i64)
    .bind(a.sha256.clone())
    .bind(a.data.clone())
    .bind(a.uploaded_by)
    .bind(a.created_at)
    .execute(pool)
    .await?;
    Ok(AttachmentMeta {
        id: a.id.clone(),
        content_type: a.content_type.clone(),
        size: a.data.len() as i64,
        sha256: a.sha256.clone(),
        uploaded_by: a.uploaded_by,
        created_at: a.created_at,
    })
}

fn meta_of(r: &sqlx::any::AnyRow) -> Result<AttachmentMeta> {
    Ok(AttachmentMeta {
        id: r.try_get(0)?,
        content_type: r.try_get(1)?,
        size: r.try_get(2)?,
        sha256: r.try_get(3)?,
        uploaded_by: r.try_get(4)?,
        created_at: r.try_get(5)?,
    })
}

pub async fn get(pool: &AnyPool, id: &str) -> Result<Option<(AttachmentMeta, Vec<u8>)>> {
    let row = sqlx::query("SELECT id, content_type, size, sha256, uploaded_by, created_at, data FROM attachments WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(pool)
        .await?;
    row.map(|r| Ok((meta_of(&r)?, r.try_get(6)?))).transpose()
}

pub async fn meta(pool: &AnyPool, id: &str) -> Result<Option<AttachmentMeta>> {
    let row = sqlx::query("SELECT id, content_type, size, sha256, uploaded_by, created_at FROM attachments WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(meta_of).transpose()
}

pub async fn cases_of(pool: &AnyPool, id: &str) -> Result<Vec<i64>> {
    let rows = sqlx::query("SELECT case_id FROM attachment_cases WHERE attachment_id = $1")
        .bind(id.to_string())
        .fetch_all(pool)
        .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}
