//! Crash safety of intake: the real `chengyun serve` takes a stream of keyed reports, is killed
//! with SIGKILL in the middle, restarts on the same database, and gets every unacknowledged
//! request again with the same key. Every acknowledged report must be there exactly once, every
//! key must have made exactly one case, and the audit chain must verify.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use serde_json::{json, Value};
use sqlx::Row;

use chengyun_storage::testing::fresh_database;
use chengyun_storage::Backend;

const REPORTS: usize = 1200;
const CONCURRENCY: usize = 32;
/// Kill after this many acknowledgements.
const KILL_AFTER: usize = 300;

struct Server {
    child: Child,
    base: String,
}

/// Starts `chengyun serve --demo` on a free port and waits until it listens.
fn start(url: &str) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chengyun"))
        .args(["serve", "--demo", "--listen", "127.0.0.1:0"])
        .env("CHENGYUN_DATABASE_URL", url)
        .env("CHENGYUN_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run chengyun serve");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        let line = lines.next().expect("chengyun serve exited before listening").unwrap();
        if let Some(rest) = line.split("http://").nth(1) {
            break format!("http://{}", rest.split_whitespace().next().unwrap());
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, base }
}

async fn login(client: &reqwest::Client, base: &str) -> String {
    let body: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "inspector", "password": "chengyun-demo"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["token"].as_str().expect("token").to_string()
}

fn key(i: usize) -> String {
    format!("crash-{i:05}")
}

fn report(i: usize) -> Value {
    json!({
        "category": "SJ-0102",
        "description": format!("航头路暴露垃圾（压力测试 {i}）"),
        "source": "patrol",
        "location": {"lon": 121.5958 + (i % 40) as f64 * 0.0003, "lat": 31.0274 + (i / 40 % 30) as f64 * 0.0003, "coord_sys": "gcj02"},
    })
}

/// Sends report `i`; `Some((status, case id))` when the server answered.
async fn send(client: &reqwest::Client, base: &str, token: &str, i: usize) -> Option<(u16, i64)> {
    let resp = client
        .post(format!("{base}/api/v1/cases"))
        .bearer_auth(token)
        .header("Idempotency-Key", key(i))
        .json(&report(i))
        .send()
        .await
        .ok()?;
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.ok()?;
    Some((status, body["id"].as_i64()?))
}

async fn killed_mid_stream(backend: Backend) {
    let url = fresh_database(backend).await;
    let client = reqwest::Client::new();
    let first = start(&url);
    let token = login(&client, &first.base).await;
    let base = first.base.clone();
    let child = Arc::new(Mutex::new(first.child));
    let acked = Arc::new(AtomicUsize::new(0));
    let killed = Arc::new(AtomicUsize::new(0));

    let outcomes: Vec<(usize, Option<(u16, i64)>)> = futures::stream::iter(0..REPORTS)
        .map(|i| {
            let (client, base, token, child, acked, killed) =
                (client.clone(), base.clone(), token.clone(), child.clone(), acked.clone(), killed.clone());
            async move {
                let outcome = send(&client, &base, &token, i).await;
                if outcome.is_some_and(|(s, _)| s == 201) && acked.fetch_add(1, Ordering::SeqCst) + 1 == KILL_AFTER {
                    // SIGKILL: no shutdown, no flush, requests in flight are cut off.
                    child.lock().unwrap().kill().unwrap();
                    killed.store(1, Ordering::SeqCst);
                }
                (i, outcome)
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    assert_eq!(killed.load(Ordering::SeqCst), 1, "the server was killed mid-stream");
    child.lock().unwrap().wait().unwrap();
    let acknowledged: HashMap<usize, i64> =
        outcomes.iter().filter_map(|(i, o)| o.filter(|(s, _)| *s == 201).map(|(_, id)| (*i, id))).collect();
    let lost_in_flight = outcomes.iter().filter(|(_, o)| o.is_none()).count();
    assert!(acknowledged.len() >= KILL_AFTER && lost_in_flight > 0, "{} acknowledged, {lost_in_flight} unanswered", acknowledged.len());

    // Restart on the same database; the client re-sends everything not acknowledged, and
    // (to prove the keys survived) everything that was.
    let mut second = start(&url);
    let token = login(&client, &second.base).await;
    let resent: Vec<(usize, Option<(u16, i64)>)> = futures::stream::iter(0..REPORTS)
        .map(|i| {
            let (client, base, token) = (client.clone(), second.base.clone(), token.clone());
            async move { (i, send(&client, &base, &token, i).await) }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    for (i, outcome) in &resent {
        let (status, id) = outcome.unwrap_or_else(|| panic!("report {i} unanswered after the restart"));
        match acknowledged.get(i) {
            Some(acked_id) => assert_eq!((status, id), (200, *acked_id), "acknowledged report {i} is kept, once"),
            None => assert!(status == 201 || status == 200, "report {i}: {status}"),
        }
    }
    let replayed_unacked = resent.iter().filter(|(i, o)| !acknowledged.contains_key(i) && o.is_some_and(|(s, _)| s == 200)).count();
    eprintln!(
        "{backend:?}: {} acknowledged before SIGKILL, {lost_in_flight} unanswered, {replayed_unacked} of those had been committed",
        acknowledged.len()
    );
    second.child.kill().unwrap();
    second.child.wait().unwrap();

    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    let one = |sql: &'static str| {
        let pool = pool.clone();
        async move { sqlx::query(sql).fetch_one(&pool).await.unwrap().try_get::<i64, _>(0).unwrap() }
    };
    assert_eq!(one("SELECT COUNT(*) FROM cases").await, REPORTS as i64, "one case per report, no more");
    assert_eq!(one("SELECT COUNT(*) FROM intake_keys").await, REPORTS as i64);
    assert_eq!(one("SELECT COUNT(DISTINCT case_id) FROM intake_keys").await, REPORTS as i64);
    assert_eq!(one("SELECT COUNT(*) FROM case_events").await, REPORTS as i64);
    assert_eq!(one("SELECT CAST(SUM(n) AS BIGINT) FROM case_tallies").await, REPORTS as i64);
    for (i, id) in &acknowledged {
        let row = sqlx::query("SELECT c.description, k.idem_key FROM cases c JOIN intake_keys k ON k.case_id = c.id WHERE c.id = $1")
            .bind(*id)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(row.try_get::<String, _>(1).unwrap(), key(*i));
        assert!(row.try_get::<String, _>(0).unwrap().contains(&format!("压力测试 {i}）")));
    }
    pool.close().await;
    let verify = Command::new(env!("CARGO_BIN_EXE_chengyun")).args(["audit", "verify"]).env("CHENGYUN_DATABASE_URL", &url).output().unwrap();
    let text = String::from_utf8_lossy(&verify.stdout);
    assert!(verify.status.success() && text.starts_with("OK"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_stream_on_sqlite() {
    killed_mid_stream(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_stream_on_postgres() {
    killed_mid_stream(Backend::Postgres).await;
}
