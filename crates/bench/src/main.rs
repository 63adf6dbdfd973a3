//! `chengyun-bench`: latency of the case list with typical filters, of full-text search and of one case with its
//! timeline, through the real HTTP stack (router, auth, scope, store), on a database filled by
//! `chengyun demo --history N`. Requests are sequential, so each latency is one request alone.
//!
//! ```text
//! chengyun demo --history 1000000 --database-url sqlite://./bench.db
//! cargo run --release -p chengyun-bench -- --database-url sqlite://./bench.db
//! ```

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use serde_json::{json, Value};

#[derive(Parser)]
struct Args {
    /// A database filled by `chengyun demo --history N`.
    #[arg(long, env = "CHENGYUN_DATABASE_URL")]
    database_url: String,
    /// Requests per scenario (after 10 warm-up requests).
    #[arg(long, default_value_t = 300)]
    requests: usize,
    /// Only the scenarios whose name starts with this (e.g. `search`).
    #[arg(long)]
    only: Option<String>,
    /// Demo password of the demo users.
    #[arg(long, default_value = "chengyun-demo")]
    password: String,
}

struct Scenario {
    name: &'static str,
    user: &'static str,
    /// Requests cycle through these paths — or, when `together`, each measured request is all of
    /// them sent at once (a console page loading its parts), timed until the last answer.
    paths: Vec<String>,
    together: bool,
}

impl Scenario {
    fn one(name: &'static str, user: &'static str, path: impl Into<String>) -> Self {
        Scenario { name, user, paths: vec![path.into()], together: false }
    }
    fn cycling(name: &'static str, user: &'static str, paths: Vec<String>) -> Self {
        Scenario { name, user, paths, together: false }
    }
    fn page(name: &'static str, user: &'static str, paths: Vec<String>) -> Self {
        Scenario { name, user, paths, together: true }
    }
}

/// GETs every URL at once; fails unless all succeed.
async fn get_all(client: &reqwest::Client, urls: &[String], token: &str) -> anyhow::Result<()> {
    let mut set = tokio::task::JoinSet::new();
    for url in urls {
        let request = client.get(url).bearer_auth(token);
        let url = url.clone();
        set.spawn(async move {
            let resp = request.send().await?;
            let status = resp.status();
            resp.bytes().await?;
            if !status.is_success() {
                bail!("{url}: {status}");
            }
            anyhow::Ok(())
        });
    }
    while let Some(done) = set.join_next().await {
        done??;
    }
    Ok(())
}

/// Two-word queries from the demo texts' vocabulary (problems, places, tails, feedback), common
/// and rare, each percent-encoded.
const SEARCHES: [&str; 8] =
    ["垃圾 清理", "市容 保洁", "井盖 破损", "占道 通行", "暴露垃圾 影响市容", "路灯 隐患", "违章 拆除", "积水 疏通"];

fn search_paths(extra: &str) -> Vec<String> {
    let encode = |s: &str| s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect::<String>();
    SEARCHES.iter().map(|q| format!("/api/v1/cases?q={}&page_size=50{extra}", encode(q))).collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let store = chengyun_storage::open(&args.database_url).await?;
    store.migrate().await?;
    let state = chengyun_http::AppState::new(store.clone(), chengyun_http::Config::default())
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(chengyun_http::serve(listener, state, std::future::pending()));
    let client = reqwest::Client::new();

    let mut tokens = std::collections::HashMap::new();
    for user in ["admin", "operator", "handler", "village", "dispatcher", "leader"] {
        let resp = client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"username": user, "password": args.password}))
            .send()
            .await?;
        if !resp.status().is_success() {
            bail!("cannot log in as demo user {user}: {}", resp.status());
        }
        let body: Value = resp.json().await?;
        tokens.insert(user, body["token"].as_str().context("token")?.to_string());
    }
    let total: Value = client.get(format!("{base}/api/v1/cases?page_size=1")).bearer_auth(&tokens["admin"]).send().await?.json().await?;
    let total = total["total"].as_i64().context("total")?;
    if total == 0 {
        bail!("the database has no cases: fill it with `chengyun demo --history N` first");
    }
    let ninety_days_ago = chengyun_domain::time::local_date(chengyun_http::now_ms() - 90 * 86_400_000).to_string();
    let scenarios = vec![
        Scenario::one("list, page 1 of 50, whole town (admin, no scope)", "admin", "/api/v1/cases?page_size=50"),
        Scenario::one("list, page 1 of 50, 航头镇 operator's scope", "operator", "/api/v1/cases?page_size=50"),
        Scenario::one("list, status=dispatched,returned", "operator", "/api/v1/cases?status=dispatched,returned&page_size=50"),
        Scenario::one("list, overdue (red lamp)", "operator", "/api/v1/cases?lamp=red&page_size=50"),
        Scenario::one("list, source=hotline, last 90 days", "operator", format!("/api/v1/cases?source=hotline&created_from={ninety_days_ago}&page_size=50")),
        Scenario::one("list, one village (region=310115137001)", "operator", "/api/v1/cases?region=310115137001&page_size=50"),
        Scenario::one("list, category=SJ-0102 (暴露垃圾), page 20", "operator", "/api/v1/cases?category=SJ-0102&page=20&page_size=50"),
        Scenario::one("list, handler's unit (城管中队)", "handler", "/api/v1/cases?page_size=50"),
        Scenario::one("list, village committee's area", "village", "/api/v1/cases?page_size=50"),
        Scenario::cycling("search, two words, whole town (admin, no scope)", "admin", search_paths("")),
        Scenario::cycling("search, two words, 航头镇 operator's scope", "operator", search_paths("")),
        Scenario::cycling("search, two words, village committee's area", "village", search_paths("")),
        Scenario::cycling("search, two words, handler's unit", "handler", search_paths("")),
        Scenario::cycling("search, two words + status=closed, page 3", "operator", search_paths("&status=closed&page=3")),
        // The console's requests (issue #5), as its pages send them.
        Scenario::one("console: 受理 workbench, 待受理 by urgency", "operator", "/api/v1/cases?status=reported&sort=urgency&page=1&page_size=20"),
        Scenario::one("console: 立案 workbench, 待立案 by urgency", "operator", "/api/v1/cases?status=registered&sort=urgency&page=1&page_size=20"),
        Scenario::one("console: 派遣 workbench, 待派遣 by urgency", "dispatcher", "/api/v1/cases?status=filed,returned&sort=urgency&page=1&page_size=20"),
        Scenario::one("console: 结案 workbench, 待派核查 by urgency", "operator", "/api/v1/cases?status=processed&sort=urgency&page=1&page_size=20"),
        Scenario::one("console: 大屏 figures (/api/v1/dashboard)", "leader", "/api/v1/dashboard"),
        Scenario::one("console: 大屏 map of the town's 村/居, shaded", "leader", "/api/v1/map.svg?region=310115137&level=village&shade=open"),
        Scenario::page("console: 大屏, whole load (figures, 3 charts, map at once)", "leader", vec![
            "/api/v1/dashboard".into(),
            "/api/v1/dashboard/trend.svg?width=560".into(),
            "/api/v1/dashboard/categories.svg?width=560".into(),
            "/api/v1/dashboard/units.svg?width=560".into(),
            "/api/v1/map.svg?region=310115137&level=village&shade=open".into(),
        ]),
    ];

    println!("database: {}  cases: {total}  requests per scenario: {}", store.backend().name(), args.requests);
    println!();
    println!("| scenario | p50 ms | p99 ms | max ms | rows in filter |");
    println!("|---|---:|---:|---:|---:|");
    let mut notes = Vec::new();
    for s in scenarios.iter().filter(|s| args.only.as_deref().is_none_or(|p| s.name.starts_with(p))) {
        let urls: Vec<String> = s.paths.iter().map(|p| format!("{base}{p}")).collect();
        let token = &tokens[s.user];
        let mut rows = Vec::new();
        for url in urls.iter().filter(|_| !s.together) {
            let t = Instant::now();
            let body: Value = client.get(url).bearer_auth(token).send().await?.json().await.unwrap_or(Value::Null);
            if url.contains("/api/v1/dashboard") {
                notes.push(format!("first request of \"{}\" (nothing shared yet): {} ms", s.name, ms(t.elapsed())));
            }
            if let Some(total) = body["total"].as_i64() {
                rows.push(total);
            }
        }
        for i in 0..10 {
            client.get(&urls[i % urls.len()]).bearer_auth(token).send().await?.bytes().await?;
        }
        let rows = match (rows.iter().min(), rows.iter().max()) {
            (Some(lo), Some(hi)) if lo != hi => format!("{lo}–{hi}"),
            (Some(n), _) => n.to_string(),
            _ => String::new(),
        };
        let mut times = Vec::with_capacity(args.requests);
        for i in 0..args.requests {
            let t = Instant::now();
            if s.together {
                get_all(&client, &urls, token).await.with_context(|| s.name)?;
                times.push(t.elapsed());
                continue;
            }
            let resp = client.get(&urls[i % urls.len()]).bearer_auth(token).send().await?;
            let ok = resp.status().is_success();
            let _ = resp.bytes().await?;
            times.push(t.elapsed());
            if !ok {
                bail!("{} failed", s.name);
            }
        }
        times.sort();
        println!("| {} | {} | {} | {} | {rows} |", s.name, ms(percentile(&times, 0.5)), ms(percentile(&times, 0.99)), ms(*times.last().unwrap()));
    }
    if args.only.as_deref().is_none_or(|p| "console: 大屏 after a change".starts_with(p)) {
        dashboard_after_changes(&client, &base, &tokens, args.requests.min(100)).await?;
    }
    if args.only.as_deref().is_some_and(|p| !"case detail".starts_with(p)) {
        print_notes(&notes);
        return Ok(());
    }
    // One case with its full timeline, ids spread over the whole table.
    let token = &tokens["admin"];
    let mut times = Vec::with_capacity(args.requests);
    let mut random_ids = RandomIds { state: 0x2545F4914F6CDD1D, total };
    for i in 0..args.requests + 10 {
        let id = random_ids.next();
        let t = Instant::now();
        let resp = client.get(format!("{base}/api/v1/cases/{id}")).bearer_auth(token).send().await?;
        let ok = resp.status().is_success();
        let _ = resp.bytes().await?;
        if i >= 10 {
            times.push(t.elapsed());
        }
        if !ok {
            bail!("case {id} failed");
        }
    }
    times.sort();
    println!("| case detail with timeline (random id) | {} | {} | {} | 1 |", ms(percentile(&times, 0.5)), ms(percentile(&times, 0.99)), ms(*times.last().unwrap()));
    if args.only.as_deref().is_some_and(|p| !"console: case page".starts_with(p)) {
        print_notes(&notes);
        return Ok(());
    }
    // The console's case page as a 派遣员 opens it: the case, then its routing proposal and
    // similar cases at once. Random ids; those outside the dispatcher's town (404) are skipped.
    let token = &tokens["dispatcher"];
    let mut times = Vec::with_capacity(args.requests);
    let mut seen = 0;
    while times.len() < args.requests {
        let id = random_ids.next();
        let t = Instant::now();
        let resp = client.get(format!("{base}/api/v1/cases/{id}")).bearer_auth(token).send().await?;
        let status = resp.status();
        let _ = resp.bytes().await?;
        if status == reqwest::StatusCode::NOT_FOUND {
            continue;
        }
        if !status.is_success() {
            bail!("case {id}: {status}");
        }
        get_all(&client, &[format!("{base}/api/v1/cases/{id}/routing"), format!("{base}/api/v1/cases/{id}/similar")], token).await?;
        seen += 1;
        if seen > 10 {
            times.push(t.elapsed());
        }
    }
    times.sort();
    println!("| console: case page (case, then routing and similar at once; random id in scope) | {} | {} | {} | 1 |", ms(percentile(&times, 0.5)), ms(percentile(&times, 0.99)), ms(*times.last().unwrap()));
    print_notes(&notes);
    Ok(())
}

/// Case ids spread over the whole table (xorshift64, the same sequence every run).
struct RandomIds {
    state: u64,
    total: i64,
}

impl RandomIds {
    fn next(&mut self) -> i64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        1 + (self.state % self.total as u64) as i64
    }
}

fn print_notes(notes: &[String]) {
    println!();
    for n in notes {
        println!("- {n}");
    }
}

/// The 大屏's figures right after a case changed, so nothing computed before can be shared:
/// before each measured request the operator leaves a 留言 on an open case (not timed).
async fn dashboard_after_changes(client: &reqwest::Client, base: &str, tokens: &std::collections::HashMap<&str, String>, requests: usize) -> anyhow::Result<()> {
    let operator = &tokens["operator"];
    let list: Value = client.get(format!("{base}/api/v1/cases?status=dispatched&page_size=1")).bearer_auth(operator).send().await?.json().await?;
    let id = list["items"][0]["id"].as_i64().context("no dispatched case to comment on")?;
    let mut times = Vec::with_capacity(requests);
    for _ in 0..requests {
        let case: Value = client.get(format!("{base}/api/v1/cases/{id}")).bearer_auth(operator).send().await?.json().await?;
        let resp = client
            .post(format!("{base}/api/v1/cases/{id}/actions"))
            .bearer_auth(operator)
            .json(&json!({"action": "comment", "text": "基准测试留言", "expected_version": case["version"]}))
            .send()
            .await?;
        if !resp.status().is_success() {
            bail!("comment on case {id}: {}", resp.status());
        }
        let t = Instant::now();
        get_all(client, &[format!("{base}/api/v1/dashboard")], &tokens["leader"]).await?;
        times.push(t.elapsed());
    }
    times.sort();
    println!("| console: 大屏 figures after a change (today recounted; earlier days and ranking shared) | {} | {} | {} | |", ms(percentile(&times, 0.5)), ms(percentile(&times, 0.99)), ms(*times.last().unwrap()));
    Ok(())
}
