//! Values computed or read once and shared by every request of this process that needs them:
//! the 大屏's figures (below) and the Open311 services and API keys (`AppState`).
//!
//! The 大屏's computed figures are shared by every viewer of the same region and scope in this
//! process. Leaders' walls all refetch on the same server-sent event; one computation serves them
//! all. The counts are recomputed as soon as any case changed (the newest event id moved) or
//! after [`FIGURES_MAX_AGE_MS`] (a case can fall overdue without an event); the counts of the
//! days before today once per day and [`EARLIER_DAYS_MAX_AGE_MS`]; the 30-day unit ranking
//! (按期处置率), which reads every task of the period, at most once per [`RANKING_MAX_AGE_MS`].
//! Those two are recomputed in the background when stale, the stale value answering meanwhile:
//! only the first request after a start (or the first of a day) waits for them.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use chengyun_domain::Millis;

/// Counts and lists: recomputed on any change, and at least this often.
pub const FIGURES_MAX_AGE_MS: Millis = 30_000;
/// The days before today: once per day, and again every ten minutes.
pub const EARLIER_DAYS_MAX_AGE_MS: Millis = 600_000;
/// The unit ranking over 30 days: at most once a minute.
pub const RANKING_MAX_AGE_MS: Millis = 60_000;

struct Entry<T> {
    /// The newest case event when computed (`None`: the entry does not follow changes).
    event: Option<i64>,
    at: Millis,
    value: Arc<T>,
    /// A background recomputation is under way (see [`Shared::get_or_refresh`]).
    refreshing: bool,
}

/// One kind of computed value per key (region and scope).
pub struct Shared<T> {
    max_age: Millis,
    follows_changes: bool,
    entries: Mutex<HashMap<String, Entry<T>>>,
}

impl<T> Shared<T> {
    pub fn new(max_age: Millis, follows_changes: bool) -> Self {
        Shared { max_age, follows_changes, entries: Mutex::new(HashMap::new()) }
    }

    /// The value for `key` as of `event` (the newest case event) at `now`: the stored one while
    /// it is fresh, else `compute`'s, stored for the next viewer.
    pub async fn get_or_compute<E, F>(&self, key: &str, event: i64, now: Millis, compute: impl FnOnce() -> F) -> Result<Arc<T>, E>
    where
        F: Future<Output = Result<T, E>>,
    {
        let wanted = self.follows_changes.then_some(event);
        {
            let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(e) = entries.get(key).filter(|e| e.event == wanted && now - e.at < self.max_age && now >= e.at) {
                return Ok(e.value.clone());
            }
        }
        let value = Arc::new(compute().await?);
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        // A wall per region and scope: a town has a handful; drop everything rather than grow.
        if entries.len() > 1024 {
            entries.clear();
        }
        entries.insert(key.to_string(), Entry { event: wanted, at: now, value: value.clone(), refreshing: false });
        Ok(value)
    }

    /// Forgets every value (after a change this instance made).
    pub fn clear(&self) {
        self.entries().clear();
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry<T>>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<T: Send + Sync + 'static> Shared<T> {
    /// For values that need not follow each change: a stale value is answered at once and
    /// recomputed in the background (one recomputation per key at a time), so no viewer waits
    /// for it; only a missing value is computed while the caller waits.
    pub async fn get_or_refresh<E, F>(self: &Arc<Self>, key: &str, now: Millis, compute: impl FnOnce() -> F) -> Result<Arc<T>, E>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        E: std::fmt::Debug + Send + 'static,
    {
        let stale = {
            let mut entries = self.entries();
            match entries.get_mut(key) {
                Some(e) if now - e.at < self.max_age && now >= e.at => return Ok(e.value.clone()),
                Some(e) => {
                    let start = !e.refreshing;
                    e.refreshing = true;
                    Some((e.value.clone(), start))
                }
                None => None,
            }
        };
        let Some((value, start)) = stale else {
            let value = Arc::new(compute().await?);
            if self.entries().len() > 1024 {
                self.entries().clear();
            }
            self.entries().insert(key.to_string(), Entry { event: None, at: now, value: value.clone(), refreshing: false });
            return Ok(value);
        };
        if start {
            let (this, key, work) = (self.clone(), key.to_string(), compute());
            tokio::spawn(async move {
                let result = work.await;
                let mut entries = this.entries();
                match result {
                    Ok(fresh) => {
                        entries.insert(key, Entry { event: None, at: now, value: Arc::new(fresh), refreshing: false });
                    }
                    Err(error) => {
                        tracing::warn!(?error, "大屏: background recomputation failed; the previous figures stay");
                        if let Some(e) = entries.get_mut(&key) {
                            e.refreshing = false;
                        }
                    }
                }
            });
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn get(shared: &Shared<u32>, event: i64, now: Millis, value: u32) -> u32 {
        *shared.get_or_compute::<(), _>("k", event, now, || async move { Ok(value) }).await.unwrap()
    }

    #[tokio::test]
    async fn figures_follow_changes_and_age() {
        let shared = Shared::new(30_000, true);
        assert_eq!(get(&shared, 1, 0, 10).await, 10);
        assert_eq!(get(&shared, 1, 29_999, 11).await, 10, "unchanged and fresh: shared");
        assert_eq!(get(&shared, 2, 29_999, 12).await, 12, "a case changed: recomputed");
        assert_eq!(get(&shared, 2, 60_000, 13).await, 13, "too old: recomputed");
    }

    #[tokio::test]
    async fn the_ranking_ignores_changes_until_it_is_old() {
        let shared = Shared::new(60_000, false);
        assert_eq!(get(&shared, 1, 0, 10).await, 10);
        assert_eq!(get(&shared, 5, 59_999, 11).await, 10);
        assert_eq!(get(&shared, 5, 60_000, 12).await, 12);
    }

    #[tokio::test]
    async fn a_stale_value_is_answered_while_it_is_recomputed() {
        let shared = Arc::new(Shared::new(60_000, false));
        let get = |now, value: u32| {
            let shared = shared.clone();
            async move { *shared.get_or_refresh::<(), _>("k", now, || async move { Ok(value) }).await.unwrap() }
        };
        assert_eq!(get(0, 1).await, 1, "nothing yet: computed while waiting");
        assert_eq!(get(59_999, 2).await, 1, "fresh");
        assert_eq!(get(60_000, 3).await, 1, "stale: answered at once …");
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        assert_eq!(get(60_001, 4).await, 3, "… and replaced by the background recomputation");
    }

    #[tokio::test]
    async fn a_failed_computation_keeps_nothing() {
        let shared: Shared<u32> = Shared::new(30_000, true);
        assert!(shared.get_or_compute("k", 1, 0, || async { Err::<u32, &str>("down") }).await.is_err());
        assert_eq!(get(&shared, 1, 1, 7).await, 7);
    }
}
