use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use chengyun_domain::calendar::WorkCalendar;
use chengyun_domain::case::{
    ActionKind, Case, CaseStatus, Event, Satisfaction, Source, TaskStatus,
};
use chengyun_domain::category::CategoryCatalog;
use chengyun_domain::deadline::StepLimits;
use chengyun_domain::demo::DemoTowns;
use chengyun_domain::org::{Actor, Scope};
use chengyun_domain::time::{DAY_MS, HOUR_MS, MINUTE_MS, Millis, at_local, local_date};

use super::*;
use crate::pools::Group;

const COUNT: usize = 4_000;
const SEED: u64 = 20_261_124;

fn now() -> Millis {
    at_local(2026, 11, 24, 10, 30)
}

struct Fixture {
    towns: DemoTowns,
    catalog: CategoryCatalog,
    calendar: WorkCalendar,
    steps: StepLimits,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| Fixture {
        // With the generated grids as regions, as a demo database has them.
        towns: {
            let bundled = DemoTowns::bundled();
            let shapes = chengyun_places::demo_geo::demo_shapes(&bundled);
            chengyun_places::demo_geo::with_grid_regions(&bundled, &shapes)
        },
        catalog: CategoryCatalog::bundled().unwrap(),
        calendar: WorkCalendar::china_default(),
        steps: StepLimits::default(),
    })
}

fn actors(towns: &DemoTowns) -> HistoryActors {
    let user = |name: &str, id: i64| {
        let u = towns.users.iter().find(|u| u.username == name).unwrap();
        Actor {
            user_id: id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            roles: u.roles.clone(),
            scope: Scope::default(),
        }
    };
    HistoryActors {
        inspector: user("inspector", 1),
        operator: user("operator", 2),
        shift_lead: user("shiftlead", 3),
        dispatcher: user("dispatcher", 4),
        leader: user("leader", 8),
    }
}

fn history(count: usize, seed: u64) -> Vec<(Case, Vec<Event>)> {
    let f = fixture();
    generate(HistorySpec {
        towns: &f.towns,
        catalog: &f.catalog,
        calendar: &f.calendar,
        steps: &f.steps,
        actors: actors(&f.towns),
        now: now(),
        count,
        seed,
    })
    .collect()
}

fn cases() -> &'static [(Case, Vec<Event>)] {
    static H: OnceLock<Vec<(Case, Vec<Event>)>> = OnceLock::new();
    H.get_or_init(|| history(COUNT, SEED))
}

fn share(n: usize, of: usize) -> f64 {
    n as f64 / of.max(1) as f64
}

fn count(pred: impl Fn(&Case, &[Event]) -> bool) -> usize {
    cases().iter().filter(|(c, e)| pred(c, e)).count()
}

fn has(events: &[Event], action: ActionKind) -> bool {
    events.iter().any(|e| e.action == action)
}

fn assert_near(what: &str, got: f64, want: f64, tolerance: f64) {
    assert!(
        (got - want).abs() <= tolerance,
        "{what}: {:.1} % (want {:.1} ± {:.1})",
        got * 100.0,
        want * 100.0,
        tolerance * 100.0
    );
}

#[test]
fn every_case_replays_and_keeps_time() {
    let all = cases();
    assert_eq!(all.len(), COUNT);
    let begin = now() - 365 * DAY_MS;
    let mut previous = Millis::MIN;
    for (case, events) in all {
        assert_eq!(&Case::replay(0, events).unwrap(), case);
        assert_eq!((case.id, case.facts.number.as_str()), (0, ""));
        assert_eq!(case.version as usize, events.len());
        assert!(case.created_at >= begin && case.created_at <= now());
        assert!(case.created_at >= previous, "oldest first");
        previous = case.created_at;
        for pair in events.windows(2) {
            assert!(pair[1].at > pair[0].at, "steps follow one another");
        }
        assert!(
            events.last().unwrap().at <= now(),
            "nothing happens after today"
        );
    }
}

#[test]
fn statuses_are_finished_except_recent_work_and_holds() {
    let all = cases();
    let by = |s: CaseStatus| count(|c, _| c.status == s);
    let closed = share(by(CaseStatus::Closed), COUNT);
    let voided = share(by(CaseStatus::Voided), COUNT);
    assert!(closed > 0.9, "closed {closed}");
    assert_near("voided", voided, 0.03, 0.015);
    assert_eq!(by(CaseStatus::Merged), 0, "merges need stored ids");
    let ten_days = now() - 10 * DAY_MS;
    let stale: Vec<&Case> = all
        .iter()
        .map(|(c, _)| c)
        .filter(|c| !c.status.is_final() && c.holds == 0 && c.created_at < ten_days)
        .collect();
    // Besides 挂账 cases, only badly overdue long tasks outlive ten days: the 超期未处置 the
    // assessment counts.
    assert!(
        share(stale.len(), COUNT) < 0.005,
        "{} stale open cases",
        stale.len()
    );
    for c in &stale {
        assert!(c.created_at > now() - 90 * DAY_MS, "{c:?}");
    }
    let recent: BTreeSet<&str> = all
        .iter()
        .map(|(c, _)| c)
        .filter(|c| c.created_at >= now() - 3 * DAY_MS && !c.status.is_final())
        .map(|c| c.status.as_str())
        .collect();
    assert!(recent.len() >= 3, "live work in several states: {recent:?}");
    assert!(by(CaseStatus::OnHold) >= 1, "a few long holds");
}

#[test]
fn category_classes_follow_a_typical_town() {
    let catalog = &fixture().catalog;
    let mut by: BTreeMap<Group, usize> = BTreeMap::new();
    let mut new_codes = 0;
    for (c, _) in cases() {
        let cat = catalog.get(&c.facts.category).unwrap();
        assert!(cat.active);
        *by.entry(Group::of(cat)).or_default() += 1;
        new_codes += usize::from(!c.facts.category.contains('-'));
    }
    let got = |g: Group| share(by.get(&g).copied().unwrap_or(0), COUNT);
    assert_near("市容环境", got(Group::Environment), 0.65, 0.04);
    assert_near("街面秩序", got(Group::StreetOrder), 0.24, 0.04);
    for g in [
        Group::Advertising,
        Group::Construction,
        Group::Emergency,
        Group::Component,
    ] {
        assert!((0.005..0.06).contains(&got(g)), "{}: {}", g.label(), got(g));
    }
    assert_near("GB/T 47678.5 codes", share(new_codes, COUNT), 0.20, 0.06);
}

#[test]
fn sources_follow_the_channel_mix() {
    for (source, want) in crate::mix::SOURCE_TARGET {
        let got = share(count(|c, _| c.facts.source == source), COUNT);
        assert_near(source.as_str(), got, want, 0.025);
    }
    let reported_by = |source: Source| {
        cases()
            .iter()
            .find(|(c, _)| c.facts.source == source)
            .unwrap()
            .1[0]
            .actor_role
    };
    assert_eq!(
        reported_by(Source::Patrol),
        chengyun_domain::org::Role::Inspector
    );
    assert_eq!(
        reported_by(Source::Leader),
        chengyun_domain::org::Role::Leader
    );
    for (c, _) in cases()
        .iter()
        .filter(|(c, _)| matches!(c.facts.source, Source::Hotline | Source::Public))
    {
        let phone = c.facts.reporter.phone.as_deref().unwrap();
        assert!(
            phone.len() == 11
                && phone.starts_with('1')
                && phone.bytes().all(|b| b.is_ascii_digit()),
            "{phone}"
        );
        assert!(c.facts.reporter.name.is_some());
    }
}

#[test]
fn places_follow_the_towns() {
    let towns = &fixture().towns;
    let tree = towns.region_tree();
    let mut by: BTreeMap<String, usize> = BTreeMap::new();
    for (c, _) in cases() {
        let town = tree.town_of(&c.facts.region_code).unwrap();
        *by.entry(town.code.clone()).or_default() += 1;
        assert!(
            c.facts
                .address
                .as_deref()
                .unwrap()
                .starts_with(town.name.as_str()),
            "{:?}",
            c.facts.address
        );
        assert!(c.facts.description.chars().count() > 6);
        if let Some(loc) = c.facts.location {
            assert!(loc.is_plausible());
        }
        for t in &c.tasks {
            let unit = towns.units.iter().find(|u| u.code == t.unit).unwrap();
            assert!(
                tree.contains(&town.code, &unit.region_code),
                "dispatched within the town"
            );
        }
    }
    let got = |code: &str| share(by.get(code).copied().unwrap_or(0), COUNT);
    assert_near("航头镇", got("310115137"), 0.60, 0.04);
    assert_near("虹桥镇", got("310112107"), 0.30, 0.04);
    assert_near("新海镇", got("310151114"), 0.10, 0.03);
}

#[test]
fn reports_come_in_working_hours_and_desks_are_quick() {
    let calendar = &fixture().calendar;
    let (mut daytime, mut working_day) = (0, 0);
    let mut registered_in: Vec<Millis> = Vec::new();
    for (c, events) in cases() {
        let hour = (c.created_at + 8 * HOUR_MS).rem_euclid(DAY_MS) / HOUR_MS;
        daytime += usize::from((7..19).contains(&hour));
        working_day += usize::from(calendar.is_working_day(local_date(c.created_at)));
        if let Some(e) = events.iter().find(|e| e.action == ActionKind::Register) {
            registered_in.push(e.at - c.created_at);
        }
    }
    assert!(share(daytime, COUNT) > 0.8, "daytime {daytime}");
    assert!(
        share(working_day, COUNT) > 0.75,
        "working days {working_day}"
    );
    registered_in.sort();
    assert!(
        registered_in[registered_in.len() / 2] < 15 * MINUTE_MS,
        "median 受理 within minutes"
    );
}

#[test]
fn most_tasks_finish_in_time_and_some_do_not() {
    let (mut tasks, mut in_time, mut badly) = (0, 0, 0);
    for (c, _) in cases()
        .iter()
        .filter(|(c, _)| c.status == CaseStatus::Closed)
    {
        for t in c.tasks.iter().filter(|t| t.status == TaskStatus::Done) {
            let done = t.clock.stopped_at.unwrap();
            tasks += 1;
            in_time += usize::from(done <= t.clock.due_at);
            badly += usize::from(
                done > t.clock.due_at
                    && done - t.clock.started_at > 3 * (t.clock.due_at - t.clock.started_at),
            );
        }
    }
    let on_time = share(in_time, tasks);
    assert!((0.80..0.95).contains(&on_time), "按期处置 {on_time}");
    assert!(badly > 0, "some badly overdue");
}

#[test]
fn side_flows_occur_at_realistic_rates() {
    let rate = |pred: &dyn Fn(&Case, &[Event]) -> bool| share(count(pred), COUNT);
    assert_near("退单", rate(&|c, _| c.returns > 0), 0.05, 0.025);
    assert_near("返工", rate(&|c, _| c.reworks > 0), 0.055, 0.025);
    assert_near(
        "延期",
        rate(&|_, e| has(e, ActionKind::RequestExtension)),
        0.028,
        0.02,
    );
    assert_near("督办", rate(&|c, _| c.urges > 0), 0.05, 0.025);
    assert_near(
        "联勤联动",
        rate(&|c, _| c.units().len() > 1 + c.returns as usize),
        0.075,
        0.03,
    );
    assert_near("挂账", rate(&|c, _| c.holds > 0), 0.01, 0.007);
    let approved = count(|c, _| c.tasks.iter().any(|t| t.extensions > 0));
    assert!(approved > 0 && approved < count(|_, e| has(e, ActionKind::RequestExtension)) + 1);
    assert!(
        count(|c, e| c.status == CaseStatus::Closed && has(e, ActionKind::Resume)) > 0,
        "holds resumed"
    );

    let hotline_closed: Vec<&Case> = cases()
        .iter()
        .map(|(c, _)| c)
        .filter(|c| c.facts.source == Source::Hotline && c.status == CaseStatus::Closed)
        .collect();
    let revisited = hotline_closed
        .iter()
        .filter(|c| !c.revisits.is_empty())
        .count();
    assert!(share(revisited, hotline_closed.len()) > 0.95, "12345 回访");
    let first: Vec<Satisfaction> = hotline_closed
        .iter()
        .filter_map(|c| c.revisits.first())
        .map(|r| r.satisfaction)
        .collect();
    let pleased = first
        .iter()
        .filter(|s| **s != Satisfaction::Dissatisfied)
        .count();
    assert_near("满意+基本满意", share(pleased, first.len()), 0.90, 0.04);
    assert!(
        hotline_closed
            .iter()
            .any(|c| c.reopens > 0 && c.revisits.len() == 2),
        "重办 walked again"
    );
    assert!(count(|c, _| c.facts.source != Source::Hotline && !c.revisits.is_empty()) == 0);
}

#[test]
fn the_same_seed_gives_the_same_history() {
    let a = history(300, 7);
    assert_eq!(a, history(300, 7));
    assert_ne!(a, history(300, 8));
    assert_eq!(&a[..], &history(300, 7)[..]);
}

#[test]
fn small_and_empty_histories() {
    assert!(history(0, 1).is_empty());
    let one = history(1, 1);
    assert_eq!(one.len(), 1);
    assert_eq!(Case::replay(0, &one[0].1).unwrap(), one[0].0);
}
