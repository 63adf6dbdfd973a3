//! What is particular to SQLite: file creation, WAL, busy timeout, backup.

use std::path::Path;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};

use crate::{Result, StoreError};

pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// Opens (creating if needed) the database file; every connection runs in WAL mode with a busy
/// timeout, so readers never block the writer and a second writer waits instead of failing.
///
/// `synchronous = FULL`: every commit fsyncs the WAL before it returns, so whatever the server
/// has acknowledged survives a power cut, not only a crash of the process (which `NORMAL`
/// would survive too). New reports are committed in batches by the intake writer, so this
/// costs one fsync per batch, not per report.
pub async fn connect(url: &str) -> Result<AnyPool> {
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let file = path.split('?').next().unwrap_or_default();
    if file.is_empty() || file == ":memory:" {
        return Err(StoreError::Other("SQLite 须使用数据库文件（如 sqlite://./chengyun-data/chengyun.db）".into()));
    }
    if let Some(dir) = Path::new(file).parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Other(format!("无法创建数据目录 {}：{e}", dir.display())))?;
    }
    let url = if url.contains("mode=") { url.to_string() } else { format!("sqlite://{file}?mode=rwc") };
    let pool = AnyPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute("PRAGMA journal_mode = WAL").await?;
                conn.execute("PRAGMA busy_timeout = 10000").await?;
                conn.execute("PRAGMA synchronous = FULL").await?;
                conn.execute("PRAGMA foreign_keys = ON").await?;
                Ok(())
            })
        })
        .connect(&url)
        .await?;
    Ok(pool)
}

/// `VACUUM INTO` writes a consistent copy while the database stays in use.
pub async fn backup(pool: &AnyPool, to: &Path) -> Result<()> {
    if to.exists() {
        return Err(StoreError::Other(format!("备份文件 {} 已存在，不会覆盖", to.display())));
    }
    let target = to.to_str().ok_or_else(|| StoreError::Other("备份路径须为 UTF-8".into()))?;
    sqlx::query("VACUUM INTO $1").bind(target.to_string()).execute(pool).await?;
    Ok(())
}
