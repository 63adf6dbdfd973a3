//! The intake writer: how a new case reaches the store. On SQLite each request calls the store
//! at once: the store's intake thread commits every request waiting in one transaction (group
//! commit, see `chengyun_storage::sql::sqlite_intake`). On PostgreSQL each request commits its
//! own transaction from the pool, and several instances share the database — or, with
//! `Config::group_commit_postgres`, one task here batches the requests of this instance: it
//! takes everything waiting (up to a batch) and stores it with one `create_cases` call, two
//! batches in flight so the next is ready the moment one commits (the number counter, the
//! tallies and the audit head are rows every new case updates, so per-request transactions
//! queue on them for the length of a commit).

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use chengyun_storage::{Backend, CreatedCase, NewCaseRequest, Store, StoreError};

type Reply = oneshot::Sender<Result<CreatedCase, StoreError>>;

/// Hands new cases to the store, batched on SQLite.
pub struct IntakeWriter {
    store: Arc<dyn Store>,
    queue: Option<mpsc::Sender<(NewCaseRequest, Reply)>>,
}

impl IntakeWriter {
    /// Starts the batching task on PostgreSQL if `batch_on_postgres` (it ends when the last
    /// handle is dropped).
    pub fn start(store: Arc<dyn Store>, max_batch: usize, batch_on_postgres: bool) -> IntakeWriter {
        let queue = (store.backend() == Backend::Postgres && batch_on_postgres).then(|| {
            let max_batch = max_batch.max(1);
            let (tx, rx) = mpsc::channel(max_batch * 4);
            tokio::spawn(run(store.clone(), rx, max_batch));
            tx
        });
        IntakeWriter { store, queue }
    }

    /// Stores one new case; returns once it is committed.
    pub async fn create(&self, request: NewCaseRequest) -> Result<CreatedCase, StoreError> {
        let Some(queue) = &self.queue else {
            return self.store.create_cases(vec![request]).await?.pop().unwrap_or_else(|| Err(stopped()));
        };
        let (reply, answer) = oneshot::channel();
        queue.send((request, reply)).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> StoreError {
    StoreError::Other("案件写入任务已停止".into())
}

async fn run(store: Arc<dyn Store>, mut queue: mpsc::Receiver<(NewCaseRequest, Reply)>, max_batch: usize) {
    // Two batches in flight: while one is written the next waits for the pool, ready the moment
    // the first commits.
    let in_flight = Arc::new(tokio::sync::Semaphore::new(BATCHES_IN_FLIGHT));
    loop {
        let Ok(slot) = in_flight.clone().acquire_owned().await else { return };
        let mut jobs = Vec::with_capacity(max_batch);
        if queue.recv_many(&mut jobs, max_batch).await == 0 {
            return;
        }
        let store = store.clone();
        tokio::spawn(async move {
            write(&*store, jobs).await;
            drop(slot);
        });
    }
}

/// Batches handed to the store at once.
const BATCHES_IN_FLIGHT: usize = 2;

async fn write(store: &dyn Store, jobs: Vec<(NewCaseRequest, Reply)>) {
    let (requests, replies): (Vec<NewCaseRequest>, Vec<Reply>) = jobs.into_iter().unzip();
    let size = requests.len();
    let started = std::time::Instant::now();
    match store.create_cases(requests).await {
        Ok(results) => {
            tracing::debug!(size, ms = started.elapsed().as_secs_f64() * 1e3, "intake batch committed");
            for (result, reply) in results.into_iter().zip(replies) {
                // A request whose client went away is committed all the same; a retry with
                // its key finds the case.
                let _ = reply.send(result);
            }
        }
        Err(e) => {
            tracing::error!(size, error = %e, "intake batch failed");
            for reply in replies {
                let _ = reply.send(Err(StoreError::Other(e.to_string())));
            }
        }
    }
}
