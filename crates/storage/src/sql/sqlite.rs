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
///
/// The store keeps two pools on one file: readers, and one writer connection (see
/// `SqlStore::writer`) with a larger page cache, since it touches every index of `cases`.
pub async fn connect(url: &str, role: Role) -> Result<AnyPool> {
    let file = database_file(url)?;
    if let Some(dir) = Path::new(file).parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Other(format!("无法创建数据目录 {}：{e}", dir.display())))?;
    }
    let url = if url.contains("mode=") { url.to_string() } else { format!("sqlite://{file}?mode=rwc") };
    let pool = AnyPoolOptions::new()
        .max_connections(match role {
            Role::Reader => 8,
            Role::Writer => 1,
        })
        .min_connections(u32::from(role == Role::Writer))
        // The writer is handed from one transaction to the next without a test query.
        .test_before_acquire(role == Role::Reader)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(move |conn, _| {
            Box::pin(async move {
                for pragma in pragmas(role) {
                    conn.execute(sqlx::AssertSqlSafe(pragma)).await?;
                }
                Ok(())
            })
        })
        .connect(&url)
        .await?;
    Ok(pool)
}

/// Copies the WAL back into the database file every [`CHECKPOINT_EVERY`], since the writer
/// connection does not checkpoint in its own commits: first from a reader connection (`PASSIVE`
/// never blocks the writer or readers), which copies nearly everything while reports keep
/// being written; then on the writer connection between two transactions, which copies the
/// few frames written meanwhile, so the WAL is complete and the next commit starts it afresh
/// (it would otherwise grow for as long as writes never pause). Stops when `alive` is gone.
pub fn spawn_checkpoints(readers: AnyPool, writer: AnyPool, alive: std::sync::Weak<()>) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(CHECKPOINT_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            if alive.upgrade().is_none() {
                return;
            }
            for pool in [&readers, &writer] {
                if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(pool).await {
                    tracing::warn!(error = %e, "WAL checkpoint failed; retried next time");
                }
            }
        }
    });
}

/// How often the WAL is checkpointed.
pub(super) const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// The database file a `sqlite://` URL names.
pub fn database_file(url: &str) -> Result<&str> {
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let file = path.split('?').next().unwrap_or_default();
    if file.is_empty() || file == ":memory:" {
        return Err(StoreError::Other("SQLite 须使用数据库文件（如 sqlite://./chengyun-data/chengyun.db）".into()));
    }
    Ok(file)
}

/// How every connection is set up, and what writers add (the intake thread's connection too,
/// see `sqlite_intake`).
pub(super) fn pragmas(role: Role) -> Vec<String> {
    let mut all = vec![
        "PRAGMA journal_mode = WAL".to_string(),
        "PRAGMA busy_timeout = 10000".into(),
        "PRAGMA synchronous = FULL".into(),
        "PRAGMA foreign_keys = ON".into(),
    ];
    if role == Role::Writer {
        all.extend([
            format!("PRAGMA cache_size = -{WRITER_CACHE_KIB}"),
            // Statement journals of multi-row inserts stay in memory.
            "PRAGMA temp_store = MEMORY".into(),
            // Checkpoints run beside the writers (`spawn_checkpoints`), not in their commits,
            // and the WAL is cut back when it starts afresh.
            "PRAGMA wal_autocheckpoint = 0".into(),
            format!("PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}"),
        ]);
    }
    all
}

/// Bytes the WAL file is cut back to when it starts afresh (it grows with the writes between
/// two checkpoints).
const WAL_SIZE_LIMIT: u64 = 64 << 20;

/// Which of the store's two pools a connection belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Reader,
    Writer,
}

/// Page cache of the writer connections, KiB. (Larger is not better: SQLite walks its whole
/// page cache at the end of every write transaction.)
const WRITER_CACHE_KIB: u32 = 16 * 1024;

/// `VACUUM INTO` writes a consistent copy while the database stays in use.
pub async fn backup(pool: &AnyPool, to: &Path) -> Result<()> {
    if to.exists() {
        return Err(StoreError::Other(format!("备份文件 {} 已存在，不会覆盖", to.display())));
    }
    let target = to.to_str().ok_or_else(|| StoreError::Other("备份路径须为 UTF-8".into()))?;
    sqlx::query("VACUUM INTO $1").bind(target.to_string()).execute(pool).await?;
    Ok(())
}
