//! SQLite: new cases are written by one thread with a connection of its own (rusqlite), in
//! group commit: each time the thread is free it takes every `create_cases` call waiting (up to
//! [`MAX_BATCH`] reports) and writes them in one transaction, so under load the batches grow
//! with the load and the cost per report falls, while a lone report is written at once. The
//! thread runs the batch's statements where it is. Through sqlx every statement would be handed to the
//! connection's worker thread and its answer handed back — dozens of hand-offs per batch,
//! which on a small machine cost more than the statements themselves. The batch logic is the
//! one other transactions use ([`intake::write`]); only the connection differs.
//!
//! Durability: a batch is answered only once the WAL holding it is on disk, but the thread does
//! not wait for that itself. Its commits write the WAL without syncing it (`synchronous =
//! NORMAL`: a crash can only cut the WAL after some complete transaction, never corrupt it), and
//! a second thread syncs the WAL file (`fdatasync`) and then answers every batch committed before
//! the sync began — one sync for all the batches committed while the previous one ran, while
//! the intake thread is already writing the next. A batch another connection reads before its
//! sync could, after a power cut (not a crash of the process), be gone together with every
//! later batch; none is ever answered before it is on disk.
//!
//! The connection is set up as the store's other writer (WAL, a busy timeout, foreign keys, a
//! large page cache) and does not checkpoint in its commits: the store's checkpoint task
//! copies the WAL back from a reader connection while batches go on, then asks this thread to
//! copy the last few frames between two batches ([`IntakeHandle::checkpoint`]), so the WAL is
//! complete and the next batch starts it afresh (see `sqlite::spawn_checkpoints`). A checkpoint
//! syncs the WAL before it copies anything into the database file.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use tokio::sync::{mpsc, oneshot};

use super::exec::Direct;
use super::intake::{self, BatchTransaction, Prepared};
use super::sqlite::{pragmas, Role};
use super::Backend;
use crate::records::CreatedCase;
use crate::{Result, StoreError};

/// Prepared statements kept by the intake connection.
const STATEMENT_CACHE: usize = 256;

type Answer = Result<Vec<Result<CreatedCase>>>;

/// A committed batch's answer and where it goes once the WAL is on disk.
type Committed = (Answer, oneshot::Sender<Answer>);

/// What the intake thread is asked to do, in the order asked.
enum Job {
    /// New cases; batches waiting together are written in one transaction.
    Batch(Vec<Prepared>, oneshot::Sender<Answer>),
    /// Copy the rest of the WAL into the database file (`PASSIVE`), between two batches.
    Checkpoint(oneshot::Sender<()>),
}

/// The handle of the intake thread; the thread ends when the handle is dropped.
pub struct DirectIntake {
    jobs: mpsc::UnboundedSender<Job>,
}

/// Reaches the intake thread without keeping it alive (for the checkpoint task).
#[derive(Clone)]
pub struct IntakeHandle(mpsc::WeakUnboundedSender<Job>);

impl DirectIntake {
    /// Opens the connection to the (already created and migrated) database `file` and starts
    /// the thread.
    pub fn start(file: &str) -> Result<DirectIntake> {
        let connection = rusqlite::Connection::open(file)?;
        connection.execute_batch(&pragmas(Role::Writer).join(";\n"))?;
        // The sync thread makes commits durable (see the module's comment).
        connection.execute_batch("PRAGMA synchronous = NORMAL")?;
        // Every statement shape of a batch stays prepared (a few per table, see `fixed_chunks`),
        // and stays valid when rebound: without the query planner stability guarantee SQLite
        // re-prepares a statement whose arguments it compared with a partial index's condition
        // (the 疑似重复件 query uses `cases_open_near_rows`, whose condition it repeats word for word).
        connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        connection.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        let (jobs, queue) = mpsc::unbounded_channel::<Job>();
        let (committed, to_sync) = std::sync::mpsc::channel::<Committed>();
        let wal = PathBuf::from(format!("{file}-wal"));
        std::thread::Builder::new()
            .name("sqlite-sync".into())
            .spawn(move || acknowledge(&wal, to_sync))
            .map_err(|e| StoreError::Other(format!("无法启动案件落盘线程：{e}")))?;
        std::thread::Builder::new()
            .name("sqlite-intake".into())
            .spawn(move || run(connection, queue, committed))
            .map_err(|e| StoreError::Other(format!("无法启动案件写入线程：{e}")))?;
        Ok(DirectIntake { jobs })
    }

    /// Writes a batch (see [`crate::Store::create_cases`]); returns once it is committed and on
    /// disk.
    pub async fn create(&self, batch: Vec<Prepared>) -> Answer {
        let (reply, answer) = oneshot::channel();
        self.jobs.send(Job::Batch(batch, reply)).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    pub fn handle(&self) -> IntakeHandle {
        IntakeHandle(self.jobs.downgrade())
    }
}

impl IntakeHandle {
    /// Has the thread copy what is left of the WAL between two batches; returns once done, or
    /// `None` if the thread has ended.
    pub async fn checkpoint(&self) -> Option<()> {
        let (reply, done) = oneshot::channel();
        self.0.upgrade()?.send(Job::Checkpoint(reply)).ok()?;
        done.await.ok()
    }

    pub fn is_alive(&self) -> bool {
        self.0.upgrade().is_some()
    }
}

fn stopped() -> StoreError {
    StoreError::Other("案件写入线程已停止".into())
}

fn run(mut connection: rusqlite::Connection, mut queue: mpsc::UnboundedReceiver<Job>, committed: std::sync::mpsc::Sender<Committed>) {
    // The batch routine is async (sqlx runs it too); here nothing in it ever waits.
    let runtime = match tokio::runtime::Builder::new_current_thread().build() {
        Ok(r) => r,
        Err(e) => return tracing::error!(error = %e, "intake thread: no runtime"),
    };
    while let Some(job) = queue.blocking_recv() {
        match job {
            Job::Checkpoint(done) => checkpoint(&connection, done),
            Job::Batch(batch, reply) => {
                // Whatever else is waiting joins this transaction: requests gather while the
                // thread is busy, so the batch is as large as the load and is formed the moment
                // the thread can write it.
                let mut parts = vec![(batch.len(), reply)];
                let mut all = batch;
                let mut then_checkpoint = None;
                while all.len() < MAX_BATCH {
                    match queue.try_recv() {
                        Ok(Job::Batch(more, reply)) => {
                            parts.push((more.len(), reply));
                            all.extend(more);
                        }
                        Ok(Job::Checkpoint(done)) => {
                            then_checkpoint = Some(done);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                let (reports, started) = (all.len(), std::time::Instant::now());
                let written = runtime.block_on(intake::create(Transactions(&mut connection), all));
                tracing::trace!(reports, ms = millis(started), "intake batch written");
                hand_over(written, parts, &committed);
                if let Some(done) = then_checkpoint {
                    checkpoint(&connection, done);
                }
            }
        }
    }
}

/// Most reports written in one transaction.
const MAX_BATCH: usize = 512;

/// Splits a written batch's answer among the requests it was made of: to the sync thread if
/// committed, at once if rolled back (nothing to wait for).
fn hand_over(written: Answer, parts: Vec<(usize, oneshot::Sender<Answer>)>, committed: &std::sync::mpsc::Sender<Committed>) {
    match written {
        Ok(results) => {
            let mut results = results.into_iter();
            for (count, reply) in parts {
                let answer = Ok(results.by_ref().take(count).collect());
                if let Err(std::sync::mpsc::SendError((_, reply))) = committed.send((answer, reply)) {
                    let _ = reply.send(Err(StoreError::Other("案件落盘线程已停止".into())));
                }
            }
        }
        Err(e) => {
            let message = e.to_string();
            for (_, reply) in parts {
                let _ = reply.send(Err(StoreError::Other(message.clone())));
            }
        }
    }
}

/// Copies the rest of the WAL into the database file, between two batches.
fn checkpoint(connection: &rusqlite::Connection, done: oneshot::Sender<()>) {
    let started = std::time::Instant::now();
    if let Err(e) = connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
        tracing::warn!(error = %e, "WAL checkpoint failed; retried next time");
    }
    tracing::debug!(ms = millis(started), "last WAL frames copied by the intake thread");
    let _ = done.send(());
}

/// Milliseconds since `started`, for the timing events (`CHENGYUN_LOG=…,chengyun_storage=trace`).
pub(super) fn millis(started: std::time::Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

/// The sync thread: answers committed batches once the WAL file holding them is on disk. After a
/// failed sync nothing more is answered as stored (the kernel may have dropped the pages it
/// could not write, and a later sync would not say so); the server must be restarted, and
/// SQLite then recovers what reached the disk.
fn acknowledge(wal: &Path, committed: std::sync::mpsc::Receiver<Committed>) {
    let mut file = None;
    let mut failed: Option<String> = None;
    while let Ok(first) = committed.recv() {
        let batches: Vec<Committed> = std::iter::once(first).chain(committed.try_iter()).collect();
        let synced = match failed {
            None => {
                let started = std::time::Instant::now();
                let synced = sync(wal, &mut file);
                tracing::trace!(batches = batches.len(), ms = millis(started), "WAL synced");
                synced
            }
            Some(_) => Ok(()),
        };
        if let Err(e) = synced {
            tracing::error!(error = %e, wal = %wal.display(), "WAL sync failed; no new case is acknowledged until the server restarts");
            failed = Some(format!("数据库日志写入磁盘失败（{e}），请检查磁盘后重启服务"));
        }
        for (answer, reply) in batches {
            let _ = reply.send(match &failed {
                None => answer,
                Some(message) => Err(StoreError::Other(message.clone())),
            });
        }
    }
}

/// `fdatasync` of the WAL file (any descriptor of a file syncs what every writer wrote to it).
fn sync(wal: &Path, file: &mut Option<std::fs::File>) -> std::io::Result<()> {
    let file = match file {
        Some(f) => f,
        None => file.insert(std::fs::File::open(wal)?),
    };
    file.sync_data()
}

/// Each batch in a transaction of its own on the thread's connection.
struct Transactions<'c>(&'c mut rusqlite::Connection);

#[async_trait]
impl BatchTransaction for Transactions<'_> {
    async fn write(&mut self, batch: &[Prepared]) -> Answer {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands `count` committed (empty) batches to the sync thread for `wal`; their answers.
    fn acknowledged(wal: &Path, count: usize) -> Vec<Answer> {
        let (committed, to_sync) = std::sync::mpsc::channel::<Committed>();
        let answers: Vec<_> = (0..count)
            .map(|_| {
                let (reply, answer) = oneshot::channel();
                committed.send((Ok(Vec::new()), reply)).unwrap();
                answer
            })
            .collect();
        drop(committed);
        acknowledge(wal, to_sync);
        answers.into_iter().map(|mut a| a.try_recv().unwrap()).collect()
    }

    #[test]
    fn committed_batches_are_answered_once_the_wal_is_synced() {
        let wal = std::env::temp_dir().join(format!("chengyun-sync-test-{}.db-wal", std::process::id()));
        std::fs::write(&wal, b"frames").unwrap();
        let answers = acknowledged(&wal, 3);
        std::fs::remove_file(&wal).unwrap();
        assert_eq!(answers.len(), 3);
        assert!(answers.iter().all(|a| matches!(a, Ok(cases) if cases.is_empty())));
    }

    #[test]
    fn after_a_failed_sync_nothing_is_answered_as_stored() {
        // The WAL cannot be opened at first, and could be later: still no batch counts as stored.
        let wal = std::env::temp_dir().join(format!("chengyun-sync-fail-{}.db-wal", std::process::id()));
        let (committed, to_sync) = std::sync::mpsc::channel::<Committed>();
        let syncer = std::thread::spawn({
            let wal = wal.clone();
            move || acknowledge(&wal, to_sync)
        });
        let mut answers = Vec::new();
        for _ in 0..2 {
            let (reply, answer) = oneshot::channel();
            committed.send((Ok(Vec::new()), reply)).unwrap();
            answers.push(answer.blocking_recv().unwrap());
            std::fs::write(&wal, b"frames").unwrap();
        }
        drop(committed);
        syncer.join().unwrap();
        std::fs::remove_file(&wal).unwrap();
        for answer in answers {
            let Err(StoreError::Other(message)) = answer else { panic!("answered as stored: {answer:?}") };
            assert!(message.contains("写入磁盘失败"), "{message}");
        }
    }
}
