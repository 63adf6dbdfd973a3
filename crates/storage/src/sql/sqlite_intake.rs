//! SQLite: new cases are written by one thread with a connection of its own (rusqlite). A
//! batch of reports is one job: the thread runs the batch's statements where it is and commits
//! (one fsync), then takes the next. Through sqlx every statement would be handed to the
//! connection's worker thread and its answer handed back — dozens of hand-offs per batch,
//! which on a small machine cost more than the statements themselves. The batch logic is the
//! one other transactions use ([`intake::write`]); only the connection differs.
//!
//! The connection is set up as the store's other writer (WAL, `synchronous = FULL`, a busy
//! timeout, foreign keys, a large page cache) and does not checkpoint in its commits: the
//! store's background task copies the WAL back from a reader connection, and this thread
//! finishes the copy between two batches once per [`CHECKPOINT_EVERY`], so the WAL starts
//! afresh (see `sqlite::spawn_checkpoints`).

use std::sync::mpsc;
use std::time::Instant;

use async_trait::async_trait;
use tokio::sync::oneshot;

use super::exec::Direct;
use super::intake::{self, BatchTransaction};
use super::sqlite::{pragmas, Role, CHECKPOINT_EVERY};
use super::Backend;
use crate::records::{CreatedCase, NewCaseRequest};
use crate::{Result, StoreError};

/// Prepared statements kept by the intake connection.
const STATEMENT_CACHE: usize = 256;

type Answer = Result<Vec<Result<CreatedCase>>>;
type Job = (Vec<NewCaseRequest>, oneshot::Sender<Answer>);

/// The handle of the intake thread; the thread ends when the handle is dropped.
pub struct DirectIntake {
    jobs: mpsc::Sender<Job>,
}

impl DirectIntake {
    /// Opens the connection to the (already created and migrated) database `file` and starts
    /// the thread.
    pub fn start(file: &str) -> Result<DirectIntake> {
        let connection = rusqlite::Connection::open(file)?;
        connection.execute_batch(&pragmas(Role::Writer).join(";\n"))?;
        // Every statement shape of a batch stays prepared (a few per table, see `fixed_chunks`),
        // and stays valid when rebound: without the query planner stability guarantee SQLite
        // re-prepares a statement whose arguments it compared with a partial index's condition
        // (the 疑似重复件 query uses `cases_open_near`, whose condition it repeats word for word).
        connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        connection.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sqlite-intake".into())
            .spawn(move || run(connection, queue))
            .map_err(|e| StoreError::Other(format!("无法启动案件写入线程：{e}")))?;
        Ok(DirectIntake { jobs })
    }

    /// Writes a batch (see [`crate::Store::create_cases`]); returns once it is committed.
    pub async fn create(&self, batch: Vec<NewCaseRequest>) -> Answer {
        let (reply, answer) = oneshot::channel();
        self.jobs.send((batch, reply)).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> StoreError {
    StoreError::Other("案件写入线程已停止".into())
}

fn run(mut connection: rusqlite::Connection, queue: mpsc::Receiver<Job>) {
    // The batch routine is async (sqlx runs it too); here nothing in it ever waits.
    let runtime = match tokio::runtime::Builder::new_current_thread().build() {
        Ok(r) => r,
        Err(e) => return tracing::error!(error = %e, "intake thread: no runtime"),
    };
    let mut checkpointed = Instant::now();
    while let Ok((batch, reply)) = queue.recv() {
        let answer = runtime.block_on(intake::create(Transactions(&mut connection), batch));
        let _ = reply.send(answer);
        if checkpointed.elapsed() >= CHECKPOINT_EVERY {
            if let Err(e) = connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                tracing::warn!(error = %e, "WAL checkpoint failed; retried next time");
            }
            checkpointed = Instant::now();
        }
    }
}

/// Each batch in a transaction of its own on the thread's connection.
struct Transactions<'c>(&'c mut rusqlite::Connection);

#[async_trait]
impl BatchTransaction for Transactions<'_> {
    async fn write(&mut self, batch: &[NewCaseRequest]) -> Answer {
        self.0.execute_batch("BEGIN IMMEDIATE")?;
        let written = match intake::write(&mut Direct(self.0), Backend::Sqlite, batch).await {
            Ok(done) => self.0.execute_batch("COMMIT").map(|()| done).map_err(StoreError::from),
            Err(e) => Err(e),
        };
        if written.is_err()
            && !self.0.is_autocommit()
            && let Err(e) = self.0.execute_batch("ROLLBACK")
        {
            tracing::error!(error = %e, "intake rollback failed");
        }
        written
    }
}
