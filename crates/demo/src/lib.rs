//! A year of realistic 城运中心 history for demos, dashboards, assessments and benchmarks.
//!
//! Every case is walked through the real state machine ([`chengyun_domain::case::decide`]):
//! nothing is written that the platform itself would not have accepted, so every figure the
//! dashboards and assessments compute from this data is one the loop can really produce.
//!
//! The mix follows the seeds and common 数字城管 practice: 市容环境 ≈ 65 % and 街面秩序 ≈ 24 % of
//! cases, 网格巡查 ≈ 55 % and 12345 ≈ 20 % of reports, 航头镇 ≈ 60 % of places; ≈ 88 % of tasks
//! are finished within their 处置时限; a few per cent are voided, returned (退单), reworked (返工),
//! extended (延期), urged (督办) or parked (挂账); 12345 cases are revisited (回访) and now and
//! then reopened (重办). Cases of the last days stop wherever "today" finds them.
//!
//! 合并 (merge) is not generated: it must name the stored id of the case merged into, and ids are
//! assigned by the store only after generation.
//!
//! Handlers are not real accounts: each unit's steps are taken by an actor with `user_id` 0,
//! `username` = the unit code, `display_name` = `<unit name>处置人员`, role 处置人员 and
//! `scope.unit` = the unit code.

mod labelled;
mod mix;
mod places;
mod pools;
mod routing;
mod texts;
mod walk;

use std::collections::VecDeque;

use chengyun_domain::calendar::WorkCalendar;
use chengyun_domain::case::{Case, Event, Source};
use chengyun_domain::category::CategoryCatalog;
use chengyun_domain::deadline::StepLimits;
use chengyun_domain::demo::DemoTowns;
use chengyun_domain::org::Actor;
use chengyun_domain::time::{DAY_MS, HOUR_MS, MINUTE_MS, Millis, local_date};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use mix::Weighted;
use walk::Engine;

pub use labelled::labelled_reports;
pub use routing::demo_rules;

/// The 城运中心 staff who take the centre's steps (ids of real users, so histories link to them).
#[derive(Debug, Clone)]
pub struct HistoryActors {
    /// 监督员: patrol reports, 核实, 核查.
    pub inspector: Actor,
    /// 受理员: registers, requests 核实/核查, reports other channels, 回访.
    pub operator: Actor,
    /// 值班长: 立案, 作废, 结案, 重办.
    pub shift_lead: Actor,
    /// 派遣员: 派遣, approves 延期 and 挂账, resumes.
    pub dispatcher: Actor,
    /// 领导: 领导交办 reports and 督办.
    pub leader: Actor,
}

/// What to generate.
pub struct HistorySpec<'a> {
    pub towns: &'a DemoTowns,
    pub catalog: &'a CategoryCatalog,
    pub calendar: &'a WorkCalendar,
    pub steps: &'a StepLimits,
    pub actors: HistoryActors,
    /// "Today": cases are reported over the 365 days up to it and no step lies after it.
    pub now: Millis,
    pub count: usize,
    pub seed: u64,
}

/// Walks `count` cases through the loop; yields them oldest first, each with its full event
/// list, ids = 0 and number = "" (the store assigns both). The same spec and seed give the same
/// history.
///
/// # Panics
/// If the catalog has no active category or no town of `towns` has a 村/居 and a unit, and — a
/// defect of the generator, never silently dropped — if the state machine refuses a step.
pub fn generate<'a>(spec: HistorySpec<'a>) -> impl Iterator<Item = (Case, Vec<Event>)> + 'a {
    History::new(spec)
}

/// Days of the year covered: the 364 before today and today itself.
const DAYS: usize = 365;

/// One local day and how many cases are reported on it.
struct Day {
    midnight: Millis,
    working: bool,
    count: usize,
}

struct History<'a> {
    engine: Engine<'a>,
    seed: u64,
    days: Vec<Day>,
    next_day: usize,
    /// Report instants and channels of the current day, oldest first, with a seed per case.
    queue: VecDeque<(Millis, Source, u64)>,
    working_mix: Weighted<Source>,
    off_mix: Weighted<Source>,
    hours: Vec<(Source, Weighted<i64>)>,
}

impl<'a> History<'a> {
    fn new(spec: HistorySpec<'a>) -> Self {
        let end = spec.now;
        let begin = end - DAYS as i64 * DAY_MS;
        let engine = Engine {
            calendar: spec.calendar,
            steps: spec.steps,
            actors: spec.actors,
            end,
            begin,
            pools: pools::Pools::new(spec.catalog, spec.calendar.working_day_ms()),
            places: places::Places::new(spec.towns),
        };
        let today_midnight = end - (end + 8 * HOUR_MS).rem_euclid(DAY_MS);
        let mut noise = StdRng::seed_from_u64(spec.seed ^ 0x5eed_da7a);
        let mut days = Vec::with_capacity(DAYS);
        let mut weights = Vec::with_capacity(DAYS);
        for k in 0..DAYS {
            let midnight = today_midnight - (DAYS - 1 - k) as i64 * DAY_MS;
            let working = spec.calendar.is_working_day(local_date(midnight));
            // Fewer patrols on days off; more problems in the hot months (peak mid-July).
            let base = if working { 1.0 } else { 0.42 };
            let mut w = base * season(midnight) * (0.9 + 0.2 * noise.random::<f64>());
            if k == DAYS - 1 {
                w *= ((end - midnight) as f64 / DAY_MS as f64).clamp(0.0, 1.0);
            }
            weights.push(w);
            days.push(Day {
                midnight,
                working,
                count: 0,
            });
        }
        let total: f64 = weights.iter().sum();
        let mut cum = 0.0;
        let mut given = 0usize;
        for (day, w) in days.iter_mut().zip(&weights) {
            cum += w;
            let upto = if total > 0.0 {
                ((cum / total) * spec.count as f64).round() as usize
            } else {
                0
            };
            let upto = upto.min(spec.count);
            day.count = upto - given;
            given = upto;
        }
        if let Some(last) = days.last_mut() {
            last.count += spec.count - given;
        }
        let off: f64 = days
            .iter()
            .zip(&weights)
            .filter(|(d, _)| !d.working)
            .map(|(_, w)| w)
            .sum();
        let (working_mix, off_mix) = mix::source_mixes(if total > 0.0 { off / total } else { 0.0 });
        let hours = mix::SOURCE_TARGET
            .iter()
            .map(|(s, _)| {
                (
                    *s,
                    Weighted::new(
                        mix::hour_profile(*s)
                            .into_iter()
                            .enumerate()
                            .map(|(h, w)| (h as i64, w)),
                    ),
                )
            })
            .collect();
        Self {
            engine,
            seed: spec.seed,
            days,
            next_day: 0,
            queue: VecDeque::new(),
            working_mix,
            off_mix,
            hours,
        }
    }

    /// Draws the report instants and channels of the next day that has cases.
    fn fill(&mut self) -> bool {
        while self.queue.is_empty() {
            let Some(day) = self.days.get(self.next_day) else {
                return false;
            };
            let mut rng = StdRng::seed_from_u64(
                self.seed ^ (self.next_day as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            );
            self.next_day += 1;
            let mix = if day.working {
                &self.working_mix
            } else {
                &self.off_mix
            };
            let mut items: Vec<(Millis, Source, u64)> = (0..day.count)
                .map(|_| {
                    let source = *mix.pick(&mut rng);
                    let hours = &self
                        .hours
                        .iter()
                        .find(|(s, _)| *s == source)
                        .expect("every source has hours")
                        .1;
                    let draw = |rng: &mut StdRng| {
                        day.midnight
                            + hours.pick(rng) * HOUR_MS
                            + rng.random_range(0..HOUR_MS / 1000) * 1000
                    };
                    let mut at = draw(&mut rng);
                    // Today only the hours already past can have reports: draw again, and if the
                    // channel has hardly any of them, squeeze the day into them.
                    for _ in 0..16 {
                        if at < self.engine.end {
                            break;
                        }
                        at = draw(&mut rng);
                    }
                    if at >= self.engine.end {
                        let elapsed = (self.engine.end - day.midnight).max(MINUTE_MS) - 1000;
                        at = day.midnight
                            + ((at - day.midnight) as f64 / DAY_MS as f64 * elapsed as f64) as i64;
                    }
                    (at, source, rng.random::<u64>())
                })
                .collect();
            items.sort_by_key(|(at, _, _)| *at);
            self.queue.extend(items);
        }
        true
    }
}

/// ±12 % over the year, highest in mid-July (Shanghai time; the year's drift is irrelevant here).
fn season(midnight: Millis) -> f64 {
    const JULY_15: f64 = 195.0;
    let day_of_year = ((midnight + 8 * HOUR_MS).div_euclid(DAY_MS) as f64).rem_euclid(365.2425);
    1.0 + 0.12 * (std::f64::consts::TAU * (day_of_year - JULY_15 + 91.3) / 365.2425).sin()
}

impl Iterator for History<'_> {
    type Item = (Case, Vec<Event>);

    fn next(&mut self) -> Option<Self::Item> {
        if !self.fill() {
            return None;
        }
        let (at, source, seed) = self.queue.pop_front()?;
        let mut rng = StdRng::seed_from_u64(seed);
        Some(walk::walk(&self.engine, &mut rng, at, source))
    }
}

#[cfg(test)]
mod tests;
