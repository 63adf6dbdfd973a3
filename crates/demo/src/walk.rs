//! One case's life: a report, then every step the centre and the units take, each decided by
//! the real state machine at a plausible time after the previous one. Steps that would fall
//! after "today" are not taken, so recent cases stop at realistic intermediate states.

use chengyun_domain::TimeLimit;
use chengyun_domain::calendar::WorkCalendar;
use chengyun_domain::case::{PlaceOutcome, Placement, 
    Case, Command, Context, Event, NewReport, Reporter, Satisfaction, Source, TaskStatus, decide,
    report,
};
use chengyun_domain::deadline::StepLimits;
use chengyun_domain::org::Actor;
use chengyun_domain::time::{DAY_MS, HOUR_MS, MINUTE_MS, Millis};
use rand::RngExt;
use rand::rngs::StdRng;

use crate::HistoryActors;
use crate::places::{self, Places, Town, Village};
use crate::pools::{Cat, Pools, Route};
use crate::texts;

/// Everything fixed for a whole history, built once.
pub struct Engine<'a> {
    pub calendar: &'a WorkCalendar,
    pub steps: &'a StepLimits,
    pub actors: HistoryActors,
    /// "Today": nothing happens after it.
    pub end: Millis,
    /// A year before `end`.
    pub begin: Millis,
    pub pools: Pools,
    pub places: Places,
}

/// The centre is staffed 07:00–21:00 every day (值班); outside those hours desk work waits for
/// the next working period unless the category runs on natural time (urgent kinds).
fn on_duty(t: Millis) -> bool {
    let hour = (t + 8 * HOUR_MS).rem_euclid(DAY_MS) / HOUR_MS;
    (7..21).contains(&hour)
}

fn minutes(rng: &mut StdRng, lo: i64, hi: i64) -> i64 {
    rng.random_range(lo * 60..=hi * 60) * 1000
}

fn share(rng: &mut StdRng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * rng.random::<f64>()
}

fn scaled(ms: i64, by: f64) -> i64 {
    (ms as f64 * by) as i64
}

impl Engine<'_> {
    /// `ms` after `t`, of working time for working-time categories.
    fn after(&self, t: Millis, ms: i64, working: bool) -> Millis {
        if working {
            self.calendar.add_working(t, ms)
        } else {
            t + ms
        }
    }

    /// A desk step of the centre, `lo`–`hi` minutes after `t`; now and then a busy desk takes
    /// three times as long.
    fn desk(&self, rng: &mut StdRng, t: Millis, lo: i64, hi: i64, cat: &Cat) -> Millis {
        let mut d = minutes(rng, lo, hi);
        if rng.random_bool(0.05) {
            d *= 3;
        }
        if !cat.working || on_duty(t) {
            t + d
        } else {
            self.calendar.add_working(t, d)
        }
    }

    /// How far the town has moved from GB/T 30428.2 to GB/T 47678.5 codes at `t`.
    pub fn new_code_share(&self, t: Millis) -> f64 {
        let year = (self.end - self.begin).max(1) as f64;
        0.05 + 0.30 * ((t - self.begin) as f64 / year).clamp(0.0, 1.0)
    }

    fn handler(&self, unit: usize) -> &Actor {
        &self.places.units[unit].handler
    }

    fn code(&self, unit: usize) -> String {
        self.places.units[unit].code.clone()
    }
}

/// A case being walked and its history so far.
struct Walk<'e, 'a> {
    e: &'e Engine<'a>,
    case: Case,
    events: Vec<Event>,
}

impl Walk<'_, '_> {
    fn last(&self) -> Millis {
        self.case.updated_at
    }

    /// Takes a step at `at` (at least a second after the previous one). `None` once the step
    /// would lie in the future: the walk ends there.
    ///
    /// # Panics
    /// If the state machine refuses the step — a defect of the generator, never data to drop.
    fn act(&mut self, at: Millis, who: &Actor, command: Command) -> Option<Millis> {
        let at = at.max(self.last() + 1000);
        if at > self.e.end {
            return None;
        }
        let ctx = Context {
            now: at,
            calendar: self.e.calendar,
            steps: self.e.steps,
            merge_target: None,
            new_category_limit: None,
        };
        let event = decide(&self.case, who, &command, &ctx).unwrap_or_else(|r| {
            panic!(
                "演示数据生成缺陷：{}（{}）被拒绝：{}（{}），案件状态“{}”",
                command.kind().label(),
                command.kind().as_str(),
                r.message,
                r.code,
                self.case.status.label()
            )
        });
        self.case
            .apply(&event)
            .unwrap_or_else(|f| panic!("演示数据生成缺陷：事件无法应用：{f}"));
        self.events.push(event);
        Some(at)
    }

    fn task_id(&self, unit: usize) -> Option<u32> {
        self.case
            .open_task_of(&self.e.places.units[unit].code)
            .map(|t| t.id)
    }
}

/// Walks one case reported at `at` through `source`.
pub fn walk(e: &Engine, rng: &mut StdRng, at: Millis, source: Source) -> (Case, Vec<Event>) {
    let (town, village) = e.places.pick(rng);
    let cat = e.pools.pick(rng, source, e.new_code_share(at));
    let spot = places::spot(rng, town, village, cat, source);
    let reporter = match source {
        Source::Hotline | Source::Public => Reporter {
            name: Some(places::person(rng)),
            phone: Some(places::mobile(rng)),
            wants_reply: source == Source::Hotline || rng.random_bool(0.5),
        },
        _ => Reporter::default(),
    };
    let new = NewReport {
        category: cat.code.clone(),
        description: texts::description(rng, cat, &spot, source),
        source,
        region_code: spot.region_code.clone(),
        address: Some(spot.address.clone()),
        location: spot.location,
        // The point was drawn inside the grid: where the platform would locate it.
        placement: spot.location.filter(|_| spot.region_code.len() == 15).map(|l| {
            let wgs = chengyun_places::coord::to_wgs84(chengyun_places::coord::LonLat::new(l.lon, l.lat), l.coord_sys);
            Placement { lon: wgs.lon, lat: wgs.lat, region: Some(spot.region_code.clone()), outcome: PlaceOutcome::Grid }
        }),
        reporter,
        photos: vec![],
    };
    let who = match source {
        Source::Patrol => &e.actors.inspector,
        Source::Leader => &e.actors.leader,
        _ => &e.actors.operator,
    };
    let ctx = Context {
        now: at,
        calendar: e.calendar,
        steps: e.steps,
        merge_target: None,
        new_category_limit: None,
    };
    let first = report(who, new, String::new(), cat.limit, &ctx)
        .unwrap_or_else(|r| panic!("演示数据生成缺陷：上报被拒绝：{}（{}）", r.message, r.code));
    let case = Case::reported(0, &first).expect("a decided report folds");
    let mut w = Walk {
        e,
        case,
        events: vec![first],
    };
    let _ = life(&mut w, rng, town, village, cat, spot.estate);
    (w.case, w.events)
}

fn life(
    w: &mut Walk,
    rng: &mut StdRng,
    town: &Town,
    village: &Village,
    cat: &Cat,
    estate: bool,
) -> Option<()> {
    let e = w.e;
    let a = &e.actors;
    let source = w.case.facts.source;
    let t = e.desk(rng, w.last(), 1, 12, cat);
    w.act(t, &a.operator, Command::Register { note: None })?;
    if source.needs_verification() {
        let t = e.desk(rng, w.last(), 2, 15, cat);
        w.act(t, &a.operator, Command::RequestVerification { note: None })?;
        let untrue = match source {
            Source::Iot => 0.20,
            Source::Video => 0.12,
            _ => 0.08,
        };
        let confirmed = !rng.random_bool(untrue);
        let note = if confirmed {
            "现场核实属实"
        } else {
            "现场核实未发现该问题"
        };
        let t = e.desk(rng, w.last(), 8, 40, cat);
        w.act(
            t,
            &a.inspector,
            Command::Verify {
                confirmed,
                note: Some(note.into()),
                photos: vec![],
            },
        )?;
        if !confirmed {
            let t = e.desk(rng, w.last(), 3, 30, cat);
            w.act(
                t,
                &a.shift_lead,
                Command::Void {
                    reason: "核实不属实，予以作废".into(),
                },
            )?;
            return Some(());
        }
    } else if rng.random_bool(0.012) {
        let reason = texts::one(
            rng,
            &[
                "重复上报，与已受理案件为同一问题",
                "不属于城运管理范围，已告知反映人向相关部门反映",
                "位置信息不全，无法核实",
            ],
        );
        let t = e.desk(rng, w.last(), 3, 30, cat);
        w.act(
            t,
            &a.shift_lead,
            Command::Void {
                reason: reason.into(),
            },
        )?;
        return Some(());
    }
    let t = e.desk(rng, w.last(), 3, 30, cat);
    w.act(t, &a.shift_lead, Command::File { note: None })?;

    let route = lead_route(rng, cat, village, estate);
    let lead = town.unit_for(route, village);
    let mut units = vec![lead];
    if rng.random_bool(0.08) {
        let helpers = route.helpers();
        let wanted = if rng.random_bool(0.7) { 1 } else { 2 };
        let offset = rng.random_range(0..helpers.len());
        for k in 0..helpers.len() {
            let u = town.unit_for(helpers[(offset + k) % helpers.len()], village);
            if units.len() <= wanted && !units.contains(&u) {
                units.push(u);
            }
        }
    }
    let mut t = e.desk(rng, w.last(), 3, 30, cat);
    if rng.random_bool(0.05) {
        let (wrong, reason) = wrong_unit(rng, e, town, village, route, lead);
        if !units.contains(&wrong) {
            let start = w.act(
                t,
                &a.dispatcher,
                Command::Dispatch {
                    units: vec![e.code(wrong)],
                    note: None,
                },
            )?;
            if rng.random_bool(0.3) {
                let accepted = e.after(start, minutes(rng, 5, 40), cat.working);
                w.act(
                    accepted,
                    e.handler(wrong),
                    Command::AcceptTask { note: None },
                )?;
            }
            let back = e.after(w.last(), minutes(rng, 10, 150), cat.working);
            w.act(back, e.handler(wrong), Command::ReturnTask { reason })?;
            t = e.desk(rng, w.last(), 5, 40, cat);
        }
    }
    let note = (units.len() > 1).then(|| {
        let names: Vec<&str> = units[1..]
            .iter()
            .map(|u| e.places.units[*u].name.as_str())
            .collect();
        format!(
            "联勤联动：{}主办，{}协办",
            e.places.units[lead].name,
            names.join("、")
        )
    });
    let codes = units.iter().map(|u| e.code(*u)).collect();
    let start = w.act(t, &a.dispatcher, Command::Dispatch { units: codes, note })?;
    let hold = units.len() == 1
        && cat.working
        && cat.limit_ms >= e.calendar.working_day_ms()
        && rng.random_bool(0.04);
    if hold {
        handle_with_hold(w, rng, cat, route, lead, start)?;
    } else {
        handle(w, rng, cat, route, &units, start, true)?;
    }
    let rework = rng.random_bool(0.06);
    check_and_close(w, rng, cat, &units, rework)?;
    if source != Source::Hotline {
        return Some(());
    }
    let overdue = w.case.tasks.iter().any(|t| t.clock.overdue(w.last()));
    let dissatisfied = revisit(w, rng, if overdue { 0.25 } else { 0.08 })?;
    if dissatisfied && rng.random_bool(0.11) {
        let t = e.after(w.last(), minutes(rng, 30, 240), true);
        let reason = "市民回访不满意，问题未彻底解决，重新办理".to_string();
        w.act(t, &a.shift_lead, Command::Reopen { reason })?;
        let t = e.desk(rng, w.last(), 5, 40, cat);
        let start = w.act(
            t,
            &a.dispatcher,
            Command::Dispatch {
                units: vec![e.code(lead)],
                note: Some("重办件，请彻底整改".into()),
            },
        )?;
        handle(w, rng, cat, route, &[lead], start, false)?;
        check_and_close(w, rng, cat, &[lead], false)?;
        revisit(w, rng, 0.0)?;
    }
    Some(())
}

/// Minor things inside an estate go to its 物业 or 居/村委 (属地处置), the rest by category.
fn lead_route(rng: &mut StdRng, cat: &Cat, village: &Village, estate: bool) -> Route {
    if !cat.local {
        return cat.route;
    }
    let x = rng.random::<f64>();
    match (estate, village.rural) {
        (true, true) if x < 0.6 => Route::Committee,
        (true, false) if x < 0.45 && village.property.is_some() => Route::Property,
        (true, false) if x < 0.75 => Route::Committee,
        (false, _) if x < 0.1 => Route::Committee,
        _ => cat.route,
    }
}

/// The unit a case is wrongly sent to first, and its 退单 reason.
fn wrong_unit(
    rng: &mut StdRng,
    e: &Engine,
    town: &Town,
    village: &Village,
    route: Route,
    lead: usize,
) -> (usize, String) {
    let right = e.places.units[lead].name.as_str();
    match route {
        Route::Committee => {
            let other = &town.villages[rng.random_range(0..town.villages.len())];
            (
                town.unit_for(Route::Committee, other),
                "属地不符：该点位不在本居（村）委辖区".into(),
            )
        }
        Route::Property => (
            town.unit_for(Route::Committee, village),
            "权属不清：该区域属小区物业管理范围".into(),
        ),
        Route::Maintenance => (
            town.unit_for(Route::Water, village),
            "权属不清：该设施不属于本单位养护范围".into(),
        ),
        Route::Water => (
            town.unit_for(Route::Maintenance, village),
            "权属不清：该设施不属于本单位管养范围".into(),
        ),
        _ => {
            let options = [
                Route::Sanitation,
                Route::CityManagement,
                Route::Market,
                Route::Maintenance,
            ];
            let pick = options[rng.random_range(0..options.len())];
            let u = town.unit_for(pick, village);
            let u = if u == lead {
                town.unit_for(Route::Housing, village)
            } else {
                u
            };
            (
                u,
                format!("职能不符：该问题不属于本单位职责，建议派{right}"),
            )
        }
    }
}

/// How long a unit takes, as a share of its limit: most finish in time, some late, a few
/// very late (the 超期 the assessment counts).
fn handling_share(rng: &mut StdRng) -> f64 {
    let x = rng.random::<f64>();
    let r = rng.random::<f64>();
    if x < 0.88 {
        0.12 + 0.83 * r.powf(0.8)
    } else if x < 0.965 {
        1.02 + 0.6 * r
    } else if x < 0.99 {
        1.6 + 1.4 * r
    } else {
        3.0 + 5.0 * r
    }
}

/// Extra time a unit asks for, counted like the limit (the machine insists).
fn extra_time(rng: &mut StdRng, cat: &Cat) -> TimeLimit {
    match (cat.working, cat.limit_ms <= 4 * HOUR_MS) {
        (true, true) => {
            if rng.random_bool(0.5) {
                TimeLimit::work_hours(4)
            } else {
                TimeLimit::work_days(1)
            }
        }
        (true, false) => TimeLimit::work_days(rng.random_range(1..=3)),
        (false, true) => TimeLimit::natural_hours(4),
        (false, false) => TimeLimit::natural_hours(24),
    }
}

enum Step {
    Accept(usize),
    AskMore(usize, TimeLimit),
    Decide(usize, bool),
    Feedback(usize, bool),
    Urge(bool),
}

/// Every unit accepts and feeds back; the lead may ask for more time and may be urged.
/// `extras` allows the side flows (延期, 督办); a 重办 round is walked plainly.
fn handle(
    w: &mut Walk,
    rng: &mut StdRng,
    cat: &Cat,
    route: Route,
    units: &[usize],
    start: Millis,
    extras: bool,
) -> Option<()> {
    let e = w.e;
    let working = cat.working;
    let mut plan: Vec<(Millis, usize, usize, Step)> = Vec::new();
    for (i, &unit) in units.iter().enumerate() {
        let lead = i == 0;
        let mut fb_ms = scaled(cat.limit_ms, handling_share(rng));
        let most = minutes(rng, 60, 150);
        let mut acc_ms = scaled(fb_ms, share(rng, 0.05, 0.35))
            .clamp(2 * MINUTE_MS, most)
            .min(fb_ms / 2);
        let mut steps: Vec<(Millis, Step)> = Vec::new();
        if lead && extras && rng.random_bool(0.03) {
            let extra = extra_time(rng, cat);
            let extra_ms = extra.duration_ms(e.calendar.working_day_ms());
            let ask_ms = scaled(cat.limit_ms, share(rng, 0.45, 0.85));
            acc_ms = acc_ms.min(ask_ms / 2);
            let approved = rng.random_bool(0.85);
            fb_ms = match (approved, rng.random_bool(0.9)) {
                (true, true) => cat.limit_ms + scaled(extra_ms, share(rng, 0.1, 0.9)),
                (true, false) => scaled(cat.limit_ms + extra_ms, share(rng, 1.05, 1.4)),
                (false, _) => scaled(cat.limit_ms, share(rng, 1.05, 1.6)),
            };
            let ask = e.after(start, ask_ms, working);
            let decided = e.after(ask, minutes(rng, 10, 60), working);
            steps.push((ask, Step::AskMore(unit, extra)));
            steps.push((decided, Step::Decide(unit, approved)));
        }
        steps.push((e.after(start, acc_ms, working), Step::Accept(unit)));
        let done = e.after(start, fb_ms, working);
        if lead && extras {
            let late = fb_ms > cat.limit_ms;
            if (late && rng.random_bool(0.3)) || rng.random_bool(0.015) {
                let at = if late {
                    e.after(
                        start,
                        cat.limit_ms + scaled(fb_ms - cat.limit_ms, share(rng, 0.1, 0.7)),
                        working,
                    )
                } else {
                    e.after(start, scaled(fb_ms, share(rng, 0.3, 0.8)), working)
                };
                steps.push((at.min(done - MINUTE_MS), Step::Urge(late)));
            }
        }
        steps.push((done, Step::Feedback(unit, lead)));
        // A task's own steps keep their order whatever the clock arithmetic gave.
        steps.sort_by_key(|(_, s)| match s {
            Step::Accept(_) => 0,
            Step::AskMore(..) => 1,
            Step::Decide(..) => 2,
            Step::Urge(_) => 3,
            Step::Feedback(..) => 4,
        });
        let mut prev = start;
        for (k, (at, step)) in steps.into_iter().enumerate() {
            prev = at.max(prev + MINUTE_MS);
            plan.push((prev, i, k, step));
        }
    }
    plan.sort_by_key(|(at, i, k, _)| (*at, *i, *k));
    let a = &e.actors;
    for (at, _, _, step) in plan {
        match step {
            Step::Accept(u) => w.act(at, e.handler(u), Command::AcceptTask { note: None })?,
            Step::AskMore(u, extra) => w.act(
                at,
                e.handler(u),
                Command::RequestExtension {
                    extra,
                    reason: texts::extension_reason(rng),
                },
            )?,
            Step::Decide(u, approved) => {
                let note = if approved {
                    "同意延期"
                } else {
                    "不同意延期，请按原时限处置"
                };
                let command = Command::ApproveExtension {
                    task: w.task_id(u),
                    approved,
                    note: Some(note.into()),
                };
                w.act(at, &a.dispatcher, command)?
            }
            Step::Urge(late) => w.act(
                at,
                &a.leader,
                Command::Urge {
                    note: Some(texts::urge_note(rng, late)),
                },
            )?,
            Step::Feedback(u, lead) => {
                let text = texts::feedback(rng, route, cat, lead);
                w.act(
                    at,
                    e.handler(u),
                    Command::Feedback {
                        text,
                        photos: vec![],
                    },
                )?
            }
        };
    }
    Some(())
}

/// 挂账: the unit parks a long-term problem with approval; weeks or months later the dispatcher
/// resumes it and the unit finishes within the time it had left.
fn handle_with_hold(
    w: &mut Walk,
    rng: &mut StdRng,
    cat: &Cat,
    route: Route,
    unit: usize,
    start: Millis,
) -> Option<()> {
    let e = w.e;
    let a = &e.actors;
    let accepted = e.after(start, minutes(rng, 10, 120), true);
    w.act(
        accepted,
        e.handler(unit),
        Command::AcceptTask { note: None },
    )?;
    let ask = e.after(start, scaled(cat.limit_ms, share(rng, 0.1, 0.35)), true);
    w.act(
        ask,
        e.handler(unit),
        Command::RequestHold {
            reason: texts::hold_reason(rng, cat),
        },
    )?;
    let approved = e.after(w.last(), minutes(rng, 10, 90), true);
    w.act(
        approved,
        &a.dispatcher,
        Command::ApproveHold {
            approved: true,
            note: Some("同意挂账，纳入专项整治".into()),
        },
    )?;
    let left = w
        .case
        .tasks
        .iter()
        .rev()
        .find_map(|t| t.clock.paused.map(|p| p.due_left_ms))
        .unwrap_or(cat.limit_ms)
        .max(HOUR_MS);
    let parked = rng.random_range(7..=120) * DAY_MS;
    let resumed = e.after(
        e.calendar.next_working_instant(w.last() + parked),
        minutes(rng, 10, 180),
        true,
    );
    w.act(
        resumed,
        &a.dispatcher,
        Command::Resume {
            note: Some("整治条件已具备，恢复办理".into()),
        },
    )?;
    let done = e.after(w.last(), scaled(left, share(rng, 0.2, 0.8)), true);
    w.act(
        done,
        e.handler(unit),
        Command::Feedback {
            text: texts::feedback(rng, route, cat, true),
            photos: vec![],
        },
    )?;
    Some(())
}

/// 派核查 → 核查 (once failed when `rework`: 返工 and a second round) → 结案.
fn check_and_close(
    w: &mut Walk,
    rng: &mut StdRng,
    cat: &Cat,
    units: &[usize],
    rework: bool,
) -> Option<()> {
    let e = w.e;
    let a = &e.actors;
    let mut fail = rework;
    loop {
        let t = e.desk(rng, w.last(), 3, 40, cat);
        w.act(t, &a.operator, Command::RequestCheck { note: None })?;
        let x = rng.random::<f64>();
        let delay = if x < 0.7 {
            minutes(rng, 5, 30)
        } else if x < 0.95 {
            minutes(rng, 30, 120)
        } else {
            minutes(rng, 120, 300)
        };
        let t = e.after(w.last(), delay, cat.working);
        if !fail {
            w.act(
                t,
                &a.inspector,
                Command::Check {
                    passed: true,
                    note: Some("现场核查已整改到位".into()),
                    photos: vec![],
                },
            )?;
            break;
        }
        fail = false;
        let note = Some(texts::failed_check_note(cat));
        let checked = w.act(
            t,
            &a.inspector,
            Command::Check {
                passed: false,
                note,
                photos: vec![],
            },
        )?;
        let mut again: Vec<(Millis, usize)> = units
            .iter()
            .filter(|u| {
                let code = &e.places.units[**u].code;
                w.case.tasks.iter().any(|t| {
                    &t.unit == code && t.round == w.case.reopens && t.status == TaskStatus::Accepted
                })
            })
            .map(|&u| {
                let f = if rng.random_bool(0.95) {
                    share(rng, 0.2, 0.9)
                } else {
                    share(rng, 1.05, 1.5)
                };
                (e.after(checked, scaled(cat.limit_ms, f), cat.working), u)
            })
            .collect();
        again.sort();
        for (at, u) in again {
            w.act(
                at,
                e.handler(u),
                Command::Feedback {
                    text: texts::rework_feedback(rng),
                    photos: vec![],
                },
            )?;
        }
    }
    let t = e.desk(rng, w.last(), 5, 60, cat);
    w.act(t, &a.shift_lead, Command::Close { note: None })?;
    Some(())
}

/// 12345 回访 within a working day or so; returns whether the caller was dissatisfied.
fn revisit(w: &mut Walk, rng: &mut StdRng, dissatisfied: f64) -> Option<bool> {
    let e = w.e;
    let t = e.after(w.last(), minutes(rng, 30, 600), true);
    let x = rng.random::<f64>();
    let (satisfaction, note) = if x < dissatisfied {
        let why = texts::one(rng, &["问题反复出现", "处理不及时", "现场仍未彻底整改"]);
        (
            Satisfaction::Dissatisfied,
            format!("市民对处理结果不满意：{why}"),
        )
    } else if x < dissatisfied + (1.0 - dissatisfied) * 0.8 {
        (
            Satisfaction::Satisfied,
            "市民对处理结果表示满意".to_string(),
        )
    } else {
        (
            Satisfaction::BasicallySatisfied,
            "市民表示基本满意".to_string(),
        )
    };
    w.act(
        t,
        &e.actors.operator,
        Command::Revisit {
            satisfaction,
            note: Some(note),
        },
    )?;
    Some(satisfaction == Satisfaction::Dissatisfied)
}
