//! `intake`: a load generator for report intake. N connections on loopback each send one
//! report after another for a fixed time; it prints throughput, latency percentiles and the
//! server's memory (from `/proc/PID/status`).
//!
//! By default each connection sends its next report when the last is answered (closed loop:
//! the server's top speed, and latency is then mostly queueing — N / throughput). With
//! `--rate R` reports are due at a fixed R per second, spread over the connections (open
//! loop), and a report's latency counts from when it was due, not when it could be sent: a
//! server that falls behind shows it in the latency instead of slowing the generator down.
//!
//! ```text
//! intake --url http://127.0.0.1:8080/api/v1/cases --body chengyun --token T --server-pid P
//! intake --url http://127.0.0.1:18081/api/appeals --body baisitong2 --server-pid P
//! ```
//! `scripts/bench-intake.sh` runs it against chengyun on SQLite and PostgreSQL and against
//! the peer baisitong2, at the same concurrency.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::{Parser, ValueEnum};
use serde_json::{json, Value};

use chengyun_places::coord::LonLat;

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Body {
    /// chengyun `POST /api/v1/cases` (JSON, a 受理员's bearer token, `Idempotency-Key`): a 市民上报 taken by the desk.
    Chengyun,
    /// GeoReport v2 `POST /open311/v2/requests.json` (form, `api_key`).
    Open311,
    /// baisitong2 `POST /api/appeals` (`{"content", "source"}`).
    Baisitong2,
}

#[derive(Parser)]
struct Args {
    /// The endpoint reports are posted to.
    #[arg(long)]
    url: String,
    #[arg(long, value_enum)]
    body: Body,
    /// Bearer token (chengyun).
    #[arg(long)]
    token: Option<String>,
    /// Open311 API key.
    #[arg(long)]
    api_key: Option<String>,
    /// Open311 jurisdiction (街镇 code).
    #[arg(long, default_value = "310115137")]
    jurisdiction: String,
    /// Concurrent connections, each sending one request after another.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Measured seconds (after the warm-up).
    #[arg(long, default_value_t = 20)]
    duration: u64,
    #[arg(long, default_value_t = 3)]
    warmup: u64,
    /// Reports per second due at a fixed pace (open loop); without it, as fast as answered.
    #[arg(long)]
    rate: Option<f64>,
    /// Process whose memory is reported.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Name printed with the results.
    #[arg(long, default_value = "intake")]
    label: String,
}

/// Villages of 航头镇 (demo geography): reports fall within 400 m of their centres, inside
/// the demo grids, so locate and the 责任清单 run for each.
fn hangtou_points() -> Vec<LonLat> {
    let mut points: Vec<(&str, LonLat)> =
        chengyun_places::demo_geo::village_points().into_iter().filter(|(code, _)| code.starts_with("310115137")).collect();
    points.sort_by_key(|(code, _)| *code);
    points.into_iter().map(|(_, p)| p).collect()
}

const CATEGORIES: [&str; 12] =
    ["SJ-0101", "SJ-0102", "SJ-0103", "SJ-0104", "SJ-0106", "SJ-0110", "SJ-0112", "SJ-0201", "SJ-0504", "SJ-0505", "SJ-0506", "SJ-0507"];

/// The demo towns' Open311 services (`chengyun_domain::open311::default_services`) sent by
/// `--body open311`, with the answer to each one's required attribute.
const OPEN311_SERVICES: [(&str, Option<(&str, &str)>); 7] = [
    ("SJ-0102", Some(("attribute[AMOUNT]", "small"))),
    ("SJ-2101", None),
    ("BJ-0118", None),
    ("SJ-0505", None),
    ("SJ-0506", None),
    ("SJ-0201", None),
    ("SJ-0507", None),
];

/// A small deterministic generator (xorshift), one per connection.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn build(args: &Args, client: &reqwest::Client, points: &[LonLat], rng: &mut Rng, seq: u64, conn: usize) -> reqwest::RequestBuilder {
    let centre = points[(rng.next() % points.len() as u64) as usize];
    let (dx, dy) = ((rng.unit() - 0.5) * 800.0, (rng.unit() - 0.5) * 800.0);
    let lat = centre.lat + dy / 111_195.0;
    let lon = centre.lon + dx / (111_195.0 * centre.lat.to_radians().cos());
    let category = CATEGORIES[(rng.next() % CATEGORIES.len() as u64) as usize];
    let text = format!("沪南公路旁发现{}，请尽快处理（第{conn}路第{seq}件）", ["垃圾堆放", "占道经营", "车辆乱停", "路面破损"][(seq % 4) as usize]);
    match args.body {
        Body::Chengyun => {
            let body = json!({
                "category": category,
                "description": text,
                "source": "public",
                "location": {"lon": lon, "lat": lat, "coord_sys": "wgs84"},
                "reporter": {"name": "市民", "phone": "13800000000"},
            });
            let mut b = client.post(&args.url).json(&body).header("Idempotency-Key", format!("bench-{conn}-{seq}"));
            if let Some(t) = &args.token {
                b = b.bearer_auth(t);
            }
            b
        }
        Body::Open311 => {
            let (service, attribute) = OPEN311_SERVICES[(rng.next() % OPEN311_SERVICES.len() as u64) as usize];
            let mut form = vec![
                ("api_key", args.api_key.clone().unwrap_or_default()),
                ("jurisdiction_id", args.jurisdiction.clone()),
                ("service_code", service.to_string()),
                ("lat", format!("{lat:.6}")),
                ("long", format!("{lon:.6}")),
                ("description", text),
                ("device_id", format!("bench-{conn}")),
                ("account_id", format!("bench-{conn}-{seq}")),
            ];
            form.extend(attribute.map(|(k, v)| (k, v.to_string())));
            client.post(&args.url).form(&form)
        }
        Body::Baisitong2 => client.post(&args.url).json(&json!({"content": text, "source": "居民上报"})),
    }
}

/// (VmRSS, VmHWM) in MB of a process.
fn memory_mb(pid: u32) -> Option<(f64, f64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<f64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        Some(line.split_whitespace().nth(1)?.parse::<f64>().ok()? / 1024.0)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// CPU seconds the process `pid` has used (all its threads, user and system). `/proc` counts
/// in USER_HZ ticks, which Linux fixes at 100 a second for user space.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.get(stat.rfind(')')? + 2..)?.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// The machine's CPU time so far as (stolen by the hypervisor, all), in ticks: a run on a
/// shared host says how much of the machine it really had.
fn machine_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?.strip_prefix("cpu ")?;
    let ticks: Vec<u64> = line.split_whitespace().filter_map(|t| t.parse().ok()).collect();
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    Some((*ticks.get(7)?, ticks.iter().take(8).sum()))
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)] as f64 / 1000.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Arc::new(Args::parse());
    let points = Arc::new(hangtou_points());
    if points.is_empty() {
        bail!("no 航头镇 village points in the demo geography");
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .timeout(Duration::from_secs(30))
        .build()
        .context("HTTP client")?;
    // One request first: a wrong URL or token should fail loudly, not after 20 seconds.
    let mut probe_rng = Rng(0x9e37_79b9_7f4a_7c15);
    let probe = build(&args, &client, &points, &mut probe_rng, 0, usize::MAX).send().await.context("first request")?;
    if !probe.status().is_success() {
        let status = probe.status();
        bail!("the first request failed: {status} {}", probe.text().await.unwrap_or_default());
    }
    let started = Instant::now();
    let measure_from = started + Duration::from_secs(args.warmup);
    let end = measure_from + Duration::from_secs(args.duration);
    let errors = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::new();
    // Open loop: connection `conn` owns every `concurrency`-th due time.
    let pace = match args.rate {
        Some(rate) if rate > 0.0 => Some(Duration::from_secs_f64(args.concurrency as f64 / rate)),
        Some(_) => bail!("--rate must be positive"),
        None => None,
    };
    for conn in 0..args.concurrency {
        let (args, client, points, errors) = (args.clone(), client.clone(), points.clone(), errors.clone());
        workers.push(tokio::spawn(async move {
            let mut rng = Rng(0x2545_f491_4f6c_dd1d ^ ((conn as u64 + 1) * 0x9e37_79b9));
            let mut latencies: Vec<u32> = Vec::new();
            let mut seq = 0u64;
            let mut due = pace.map(|p| started + p.mul_f64(conn as f64 / args.concurrency as f64));
            loop {
                if let Some(at) = due {
                    tokio::time::sleep_until(at.into()).await;
                }
                let now = Instant::now();
                if now >= end {
                    break;
                }
                seq += 1;
                let request = build(&args, &client, &points, &mut rng, seq, conn);
                let sent = due.unwrap_or_else(Instant::now);
                if let (Some(at), Some(p)) = (&mut due, pace) {
                    *at += p;
                }
                let ok = match request.send().await {
                    Ok(resp) => {
                        let ok = resp.status().is_success();
                        let _ = resp.bytes().await;
                        ok
                    }
                    Err(_) => false,
                };
                let done = Instant::now();
                if sent >= measure_from && done <= end {
                    if ok {
                        latencies.push(done.duration_since(sent).as_micros().min(u32::MAX as u128) as u32);
                    } else {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            latencies
        }));
    }
    tokio::time::sleep_until(measure_from.into()).await;
    let cpu_before = args.server_pid.and_then(cpu_seconds);
    let machine_before = machine_ticks();
    let mut peak_rss = 0.0f64;
    while Instant::now() < end {
        tokio::time::sleep(Duration::from_millis(500)).await;
        if let Some((rss, _)) = args.server_pid.and_then(memory_mb) {
            peak_rss = peak_rss.max(rss);
        }
    }
    let server_cpu = match (cpu_before, args.server_pid.and_then(cpu_seconds)) {
        (Some(before), Some(after)) => Some(after - before),
        _ => None,
    };
    let steal = match (machine_before, machine_ticks()) {
        (Some((s0, t0)), Some((s1, t1))) if t1 > t0 => Some((s1 - s0) as f64 / (t1 - t0) as f64 * 100.0),
        _ => None,
    };
    let mut latencies = Vec::new();
    for w in workers {
        latencies.extend(w.await?);
    }
    latencies.sort_unstable();
    let ok = latencies.len() as f64;
    let errors = errors.load(Ordering::Relaxed);
    let throughput = ok / args.duration as f64;
    let memory = args.server_pid.and_then(memory_mb);
    let result: Value = json!({
        "label": args.label,
        "concurrency": args.concurrency,
        "offered_per_second": args.rate,
        "seconds": args.duration,
        "ok": latencies.len(),
        "errors": errors,
        "per_second": (throughput * 10.0).round() / 10.0,
        "p50_ms": percentile(&latencies, 0.50),
        "p90_ms": percentile(&latencies, 0.90),
        "p99_ms": percentile(&latencies, 0.99),
        "max_ms": percentile(&latencies, 1.0),
        "server_rss_mb": memory.map(|m| (m.0 * 10.0).round() / 10.0),
        "server_peak_rss_mb": memory.map(|m| (m.1.max(peak_rss) * 10.0).round() / 10.0),
        // CPU time of the server during the measured window per report answered in it.
        "server_cpu_us_per_report": server_cpu.filter(|_| ok > 0.0).map(|c| (c / ok * 1e6).round() as i64),
        "machine_steal_percent": steal.map(|p| (p * 10.0).round() / 10.0),
    });
    let offered = args.rate.map(|r| format!(" (due: {r:.0}/s)")).unwrap_or_default();
    println!(
        "{}: {:.0} reports/s{offered}, p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms, {} errors, server RSS {} MB (peak {} MB), server CPU {} µs/report, {} connections, {} s, CPU stolen from the machine {} %",
        args.label,
        throughput,
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0),
        errors,
        result["server_rss_mb"],
        result["server_peak_rss_mb"],
        result["server_cpu_us_per_report"],
        args.concurrency,
        args.duration,
        result["machine_steal_percent"]
    );
    println!("{result}");
    Ok(())
}
