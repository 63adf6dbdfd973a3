//! What is particular to SQLite: file creation, WAL, busy timeout, backup.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};

use super::sqlite_intake::{millis, IntakeHandle};
use crate::{Result, StoreError};

pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// Opens (creating if needed) the database file; every connection runs in WAL mode with a busy
/// timeout, so readers never block the writer and a second writer waits instead of failing.
///
/// `synchronous = FULL`: every commit fsyncs the WAL before it returns, so whatever the server
/// has acknowledged survives a power cut, not only a crash of the process (which `NORMAL`
/// would survive too). New reports are written by the intake thread, which syncs the WAL once
/// for many batches instead (see `sqlite_intake`).
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

/// Copies the WAL back into the database file every [`CHECKPOINT_EVERY`], since the writers
/// do not checkpoint in their own commits, and has the WAL start afresh once it is long.
///
/// A checkpoint from a reader connection (`PASSIVE`) never blocks a writer. Once the WAL holds
/// [`RESTART_FRAMES`] it must start afresh, which under continuous writes only a writer can
/// arrange: a checkpoint from another connection copies only what was written before it began,
/// and the WAL starts afresh only when a transaction begins with every frame copied. So the
/// pass runs again while the previous one found many new frames (each copies what was written
/// during the one before, and they get shorter); then the intake thread and the writer
/// connection each copy the last few frames between two of their transactions, and their next
/// commit starts the WAL afresh. Writers pause for that last step (a few milliseconds, since
/// each pass before it synced the database file, see `copy_wal`), and the reports arriving
/// meanwhile queue, which is why it waits for a long WAL rather than coming every pass.
/// Stops when the store is dropped (the intake thread has ended).
pub fn spawn_checkpoints(readers: AnyPool, writer: AnyPool, intake: IntakeHandle, database: PathBuf) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(CHECKPOINT_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let (mut last, mut quiet) = (0, 0);
        loop {
            every.tick().await;
            if !intake.is_alive() {
                return;
            }
            let Some(mut frames) = copy_wal(&readers, &database).await else { continue };
            (quiet, last) = if frames == last { (quiet + 1, frames) } else { (0, frames) };
            if frames > 0 && quiet == QUIET_TICKS {
                // Nothing written for a while: the WAL file is given back to the disk (a busy
                // one keeps its size, see `WAL_SIZE_LIMIT`).
                if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&writer).await {
                    tracing::warn!(error = %e, "WAL truncation failed; retried when next quiet");
                }
                continue;
            }
            if frames < RESTART_FRAMES {
                continue;
            }
            for _ in 1..MAX_READER_PASSES {
                let Some(now) = copy_wal(&readers, &database).await else { break };
                let written_meanwhile = now.saturating_sub(frames);
                frames = now;
                if written_meanwhile < TAIL_FRAMES {
                    break;
                }
            }
            if intake.checkpoint().await.is_none() {
                return;
            }
            checkpoint(&writer).await;
            // The WAL starts afresh at the writers' next commit; until then it still reads as
            // long. Looked at again at once (the passes above outlast a tick), it would have
            // the intake thread stop a second time for nothing.
            every.reset();
        }
    });
}

/// A checkpoint pass from a reader connection, then an fsync of the database file: SQLite
/// syncs the file only after a checkpoint that found nothing written meanwhile, and under
/// continuous writes none does until the writers copy the last frames — whose sync would then
/// write out everything copied since the last one, while the writers wait.
async fn copy_wal(readers: &AnyPool, database: &Path) -> Option<i64> {
    let started = std::time::Instant::now();
    let frames = checkpoint(readers).await?;
    let copied = millis(started);
    if frames == 0 {
        // An empty WAL (nothing written since it was truncated): nothing was copied.
        return Some(0);
    }
    let file = database.to_path_buf();
    let started = std::time::Instant::now();
    let synced = tokio::task::spawn_blocking(move || std::fs::File::open(&file)?.sync_data()).await;
    match synced {
        Ok(Ok(())) => {
            tracing::debug!(frames, copy_ms = copied, sync_ms = millis(started), "WAL checkpoint pass");
            Some(frames)
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "database file sync failed; retried next time");
            None
        }
        Err(e) => {
            tracing::warn!(error = %e, "database file sync did not run");
            None
        }
    }
}

/// One `PASSIVE` checkpoint; the WAL's length in frames when it ran.
async fn checkpoint(pool: &AnyPool) -> Option<i64> {
    match sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(pool).await {
        Ok((_, frames, _)) => Some(frames),
        Err(e) => {
            tracing::warn!(error = %e, "WAL checkpoint failed; retried next time");
            None
        }
    }
}

/// How often the WAL is checkpointed.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// The WAL starts afresh once it is this long (512 MiB of 2 KiB pages; at 3,000–6,000 new
/// cases a second, every 2–4 s). Shorter WALs restart more often, and each restart holds up
/// the reports arriving meanwhile: 128 MiB doubled the p99 of intake at 4,000 reports/s.
const RESTART_FRAMES: i64 = 262_144;

/// Checkpoint ticks without a write after which the WAL file is truncated.
const QUIET_TICKS: u32 = 8;

/// Before the writers copy the last frames, passes from a reader connection run until one
/// finds fewer new frames than this (under 1 MiB)…
const TAIL_FRAMES: i64 = 400;
/// …or until this many have run.
const MAX_READER_PASSES: usize = 10;

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
        // Set when the file is created (before WAL mode), a no-op afterwards. Most pages a new
        // case dirties are index leaves it adds one entry to (a random one in each of a dozen
        // indexes), and a commit writes each whole to the WAL: 2 KiB pages halve those writes
        // while rows of `case_states` still fit on a page (1 KiB pages would spill them).
        format!("PRAGMA page_size = {PAGE_SIZE}"),
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

/// Page size of new database files, bytes (see `pragmas`).
const PAGE_SIZE: u32 = 2048;

/// Bytes the WAL file is cut back to when it starts afresh: as long as it gets before that
/// (see `RESTART_FRAMES`), so a busy WAL rewrites blocks it already has — cutting it back to
/// 64 MiB and growing it again stalled intake for 150–260 ms at every restart. Once writes
/// stop, the checkpoint task truncates it (`QUIET_TICKS`).
const WAL_SIZE_LIMIT: u64 = 600 << 20;

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
