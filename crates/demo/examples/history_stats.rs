//! Generates a history and prints its mixes and the generation speed:
//! `cargo run --release -p chengyun-demo --example history_stats -- 100000 42 [shown]`, where
//! `shown` cases (every count/shown-th) are printed step by step.

use std::collections::BTreeMap;
use std::time::Instant;

use chengyun_demo::{HistoryActors, HistorySpec, generate};
use chengyun_domain::calendar::WorkCalendar;
use chengyun_domain::case::{ActionKind, CaseStatus, Satisfaction, Source, TaskStatus};
use chengyun_domain::category::{CategoryCatalog, CategoryKind};
use chengyun_domain::deadline::StepLimits;
use chengyun_domain::demo::DemoTowns;
use chengyun_domain::org::{Actor, Scope};
use chengyun_domain::time::{DAY_MS, at_local, format_local};

fn main() {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(42);
    let shown: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(0);
    let towns = DemoTowns::bundled();
    let catalog = CategoryCatalog::bundled().expect("bundled categories");
    let calendar = WorkCalendar::china_default();
    let steps = StepLimits::default();
    let user = |name: &str, id: i64| {
        let u = towns
            .users
            .iter()
            .find(|u| u.username == name)
            .expect("demo user");
        Actor {
            user_id: id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            roles: u.roles.clone(),
            scope: Scope::default(),
        }
    };
    let actors = HistoryActors {
        inspector: user("inspector", 1),
        operator: user("operator", 2),
        shift_lead: user("shiftlead", 3),
        dispatcher: user("dispatcher", 4),
        leader: user("leader", 8),
    };
    let now = at_local(2026, 11, 24, 10, 30);
    let spec = HistorySpec {
        towns: &towns,
        catalog: &catalog,
        calendar: &calendar,
        steps: &steps,
        actors,
        now,
        count,
        seed,
    };

    let started = Instant::now();
    let mut tally: BTreeMap<String, usize> = BTreeMap::new();
    let mut bump = |key: String| *tally.entry(key).or_default() += 1;
    let (mut events, mut tasks, mut in_time) = (0usize, 0usize, 0usize);
    for (i, (case, history)) in generate(spec).enumerate() {
        events += history.len();
        if shown > 0 && i % (count / shown).max(1) == 0 {
            println!(
                "— {} {} {} {} [{}]",
                case.facts.category,
                case.facts.source.label(),
                case.facts.region_code,
                case.facts.address.as_deref().unwrap_or(""),
                case.status.label()
            );
            println!("  {}  {:?}", case.facts.description, case.facts.reporter);
            for e in &history {
                let who = format!("{}({})", e.actor_name, e.actor_role.label());
                println!(
                    "  {} {:<6} {:<32} {}",
                    format_local(e.at),
                    e.action.label(),
                    who,
                    e.reason.as_deref().unwrap_or("")
                );
            }
        }
        bump(format!("status {}", case.status.label()));
        let cat = catalog.get(&case.facts.category).expect("known category");
        let class = if cat.kind == CategoryKind::Component {
            "部件".to_string()
        } else {
            cat.major_name.trim_end_matches('类').to_string()
        };
        bump(format!("class {class}"));
        bump(format!(
            "scheme {}",
            if case.facts.category.contains('-') {
                "GB/T 30428.2"
            } else {
                "GB/T 47678.5"
            }
        ));
        bump(format!("source {}", case.facts.source.label()));
        bump(format!("town {}", &case.facts.region_code[..9]));
        if case.status == CaseStatus::Closed {
            for t in case.tasks.iter().filter(|t| t.status == TaskStatus::Done) {
                tasks += 1;
                in_time += usize::from(t.clock.stopped_at.is_some_and(|s| s <= t.clock.due_at));
            }
        }
        let flows = [
            ("退单", case.returns > 0),
            ("返工", case.reworks > 0),
            (
                "延期申请",
                history
                    .iter()
                    .any(|e| e.action == ActionKind::RequestExtension),
            ),
            ("挂账", case.holds > 0),
            ("督办", case.urges > 0),
            ("联勤联动", case.units().len() > 1 + case.returns as usize),
            ("重办", case.reopens > 0),
        ];
        for (name, yes) in flows {
            if yes {
                bump(format!("flow {name}"));
            }
        }
        if case.facts.source == Source::Hotline
            && let Some(r) = case.revisits.first()
        {
            bump(format!(
                "revisit {}",
                match r.satisfaction {
                    Satisfaction::Satisfied => "满意",
                    Satisfaction::BasicallySatisfied => "基本满意",
                    Satisfaction::Dissatisfied => "不满意",
                }
            ));
        }
        if !case.status.is_final() {
            let age = (now - case.created_at) / DAY_MS;
            bump(format!(
                "open age {}",
                if age < 10 { "<10d" } else { ">=10d" }
            ));
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{count} cases, {events} events in {elapsed:.2} s: {:.0} cases/s, {:.1} events/case",
        count as f64 / elapsed,
        events as f64 / count as f64
    );
    for (key, n) in &tally {
        println!(
            "{key:<28} {n:>8}  {:>6.2} %",
            *n as f64 * 100.0 / count as f64
        );
    }
    println!(
        "closed cases' tasks finished in time: {:.2} % of {tasks}",
        in_time as f64 * 100.0 / tasks.max(1) as f64
    );
}
