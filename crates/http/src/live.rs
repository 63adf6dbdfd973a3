//! Live updates for open pages: `GET /api/v1/events`, server-sent events.
//!
//! Several instances may share one PostgreSQL, so a change made through another instance must
//! reach this one's pages too: the store is the only common ground. One background task per
//! process polls the newest case event's id (an index lookup) every second — only while some
//! page listens — and publishes it on a watch channel; every stream sends `event: changed`
//! when it moves, plus keep-alive comments so proxies keep the connection.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use axum::Router;
use tokio::sync::watch;

use chengyun_storage::Store;

use crate::access::require_role;
use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::maps::STAFF;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/events", get(events))
}

const POLL: Duration = Duration::from_secs(1);
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The process's change feed: the newest case event id seen, and whether the poller runs.
pub struct Hub {
    tx: watch::Sender<i64>,
    polling: Mutex<bool>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub { tx: watch::Sender::new(0), polling: Mutex::new(false) }
    }
}

impl Hub {
    /// A receiver of changes; starts the poller if it is not running.
    pub fn subscribe(self: &Arc<Self>, store: Arc<dyn Store>) -> watch::Receiver<i64> {
        let mut polling = self.polling.lock().unwrap_or_else(|e| e.into_inner());
        let rx = self.tx.subscribe();
        if !*polling {
            *polling = true;
            tokio::spawn(poll(self.clone(), store));
        }
        rx
    }
}

async fn poll(hub: Arc<Hub>, store: Arc<dyn Store>) {
    let mut first = true;
    loop {
        {
            // stop when the last page has gone; decided under the lock subscribers take
            let mut polling = hub.polling.lock().unwrap_or_else(|e| e.into_inner());
            if hub.tx.receiver_count() == 0 {
                *polling = false;
                return;
            }
        }
        match store.latest_case_event().await {
            Ok(latest) => {
                // the first reading after a start only sets the mark
                let quiet = std::mem::take(&mut first) && *hub.tx.borrow() == 0;
                hub.tx.send_if_modified(|seen| {
                    if *seen == latest {
                        return false;
                    }
                    *seen = latest;
                    !quiet
                });
            }
            Err(e) => tracing::warn!(error = %e, "polling for case changes failed"),
        }
        tokio::time::sleep(POLL).await;
    }
}

/// `GET /api/v1/events`: `event: changed` (data: the newest case event id) whenever a case is
/// created or changes anywhere; the page then reloads what it shows through the API, where
/// every scope check applies.
async fn events(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
) -> ApiResult<Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>>> {
    require_role(&actor, &STAFF, "接收实时更新")?;
    let mut rx = state.live.subscribe(state.store.clone());
    rx.borrow_and_update();
    let hello = futures_util::stream::once(async { Ok(Event::default().event("ready").data("0")) });
    let changes = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.changed().await.ok()?;
        let latest = *rx.borrow_and_update();
        Some((Ok(Event::default().event("changed").data(latest.to_string())), rx))
    });
    Ok(Sse::new(futures_util::StreamExt::chain(hello, changes)).keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("keep-alive")))
}
