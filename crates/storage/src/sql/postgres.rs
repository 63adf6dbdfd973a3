//! What is particular to PostgreSQL: migrations and backup with `pg_dump`.

use std::path::Path;

use sqlx::migrate::Migrator;

use crate::{Result, StoreError};

pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// PostgreSQL's own tool takes a consistent snapshot of a running database.
pub async fn backup(url: &str, to: &Path) -> Result<()> {
    if to.exists() {
        return Err(StoreError::Other(format!("备份文件 {} 已存在，不会覆盖", to.display())));
    }
    let status = tokio::process::Command::new("pg_dump")
        .arg("--format=custom")
        .arg("--file")
        .arg(to)
        .arg("--dbname")
        .arg(url)
        .status()
        .await
        .map_err(|e| StoreError::Other(format!("无法运行 pg_dump（请安装 PostgreSQL 客户端工具）：{e}")))?;
    if !status.success() {
        return Err(StoreError::Other(format!("pg_dump 失败：{status}")));
    }
    Ok(())
}
