//! Step clocks, the overall (bundled) deadline and lamps (亮灯).
//!
//! A clock keeps the instants at which its lamp turns yellow (80 % of the limit used) and red
//! (100 % used). Working-time limits are converted to instants once, when the clock starts, so
//! reading a lamp or filtering a list by lamp needs no calendar. Clocks pause while a case is on
//! hold (挂账) and restart with the working time they had left.

use serde::{Deserialize, Serialize};

use crate::calendar::WorkCalendar;
use crate::limit::TimeLimit;
use crate::time::{Millis, MINUTE_MS};

/// Lamp share: yellow from 80 % of the limit.
const YELLOW_PERMILLE: i64 = 800;

/// A step of the loop that has its own limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// 受理 — register a report.
    Register,
    /// 核实 — on-site verification that a report is real.
    Verify,
    /// 立案 — accept as a case (or void).
    File,
    /// 派遣 — send to the responsible unit(s).
    Dispatch,
    /// 处置 — a unit's task.
    Dispose,
    /// 派核查 — ask an inspector to check a fed-back case.
    RequestCheck,
    /// 核查 — on-site check that the problem was really fixed.
    Check,
    /// 结案 — close.
    Close,
    /// 总时限 — the bundled deadline of the whole case.
    Overall,
}

impl Step {
    pub fn label(self) -> &'static str {
        match self {
            Step::Register => "受理",
            Step::Verify => "核实",
            Step::File => "立案",
            Step::Dispatch => "派遣",
            Step::Dispose => "处置",
            Step::RequestCheck => "派核查",
            Step::Check => "核查",
            Step::Close => "结案",
            Step::Overall => "总时限",
        }
    }
}

/// 亮灯 — green below 80 % of the limit, yellow 80–100 %, red over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lamp {
    Green,
    Yellow,
    Red,
}

impl Lamp {
    pub fn label(self) -> &'static str {
        match self {
            Lamp::Green => "绿灯",
            Lamp::Yellow => "黄灯",
            Lamp::Red => "红灯",
        }
    }
}

/// Limits of the centre's own steps; the 处置 limit comes from the case's category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepLimits {
    pub register: TimeLimit,
    pub verify: TimeLimit,
    pub file: TimeLimit,
    pub dispatch: TimeLimit,
    pub request_check: TimeLimit,
    pub check: TimeLimit,
    pub close: TimeLimit,
}

impl Default for StepLimits {
    /// 核实 and 核查 take 30 minutes in practice; the centre's desk steps likewise.
    fn default() -> Self {
        let half_hour = TimeLimit::work_minutes(30);
        Self {
            register: half_hour,
            verify: half_hour,
            file: half_hour,
            dispatch: half_hour,
            request_check: half_hour,
            check: half_hour,
            close: half_hour,
        }
    }
}

impl StepLimits {
    pub fn of(&self, step: Step) -> Option<TimeLimit> {
        Some(match step {
            Step::Register => self.register,
            Step::Verify => self.verify,
            Step::File => self.file,
            Step::Dispatch => self.dispatch,
            Step::RequestCheck => self.request_check,
            Step::Check => self.check,
            Step::Close => self.close,
            Step::Dispose | Step::Overall => return None,
        })
    }
}

/// A running or finished clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    pub step: Step,
    /// Human label of the limit, e.g. `4工作时`, or the chain for the overall deadline.
    pub limit: String,
    /// Counted in working time (工作时) rather than natural time.
    pub working: bool,
    pub started_at: Millis,
    pub yellow_at: Millis,
    pub due_at: Millis,
    /// When the step was completed; the lamp is frozen from then on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_at: Option<Millis>,
    /// Set while the case is on hold (挂账).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused: Option<Pause>,
}

/// What a paused clock had left, in its own kind of time (may be negative when already overdue).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    pub at: Millis,
    pub yellow_left_ms: i64,
    pub due_left_ms: i64,
}

impl Clock {
    /// Starts a clock for `limit` at `start`.
    pub fn start(calendar: &WorkCalendar, step: Step, start: Millis, limit: TimeLimit) -> Self {
        let due = calendar.deadline(start, limit);
        Self::between(calendar, step, limit.to_string(), limit.is_working_time(), start, due)
    }

    /// A clock from `start` to a known `due`, e.g. the overall deadline made of several steps.
    pub fn between(
        calendar: &WorkCalendar,
        step: Step,
        limit: String,
        working: bool,
        start: Millis,
        due: Millis,
    ) -> Self {
        let total = span(calendar, working, start, due);
        let yellow_at = shift(calendar, working, start, total * YELLOW_PERMILLE / 1000);
        Self { step, limit, working, started_at: start, yellow_at, due_at: due, stopped_at: None, paused: None }
    }

    pub fn is_running(&self) -> bool {
        self.stopped_at.is_none() && self.paused.is_none()
    }

    /// The instant the lamp is read at: now, or when the clock stopped or paused.
    fn reading_at(&self, now: Millis) -> Millis {
        self.stopped_at.or(self.paused.map(|p| p.at)).unwrap_or(now)
    }

    pub fn lamp(&self, now: Millis) -> Lamp {
        let t = self.reading_at(now);
        if t < self.yellow_at {
            Lamp::Green
        } else if t <= self.due_at {
            Lamp::Yellow
        } else {
            Lamp::Red
        }
    }

    /// Share of the limit used, in per cent (may exceed 100).
    pub fn used_percent(&self, calendar: &WorkCalendar, now: Millis) -> i64 {
        let total = span(calendar, self.working, self.started_at, self.due_at).max(1);
        let used = span(calendar, self.working, self.started_at, self.reading_at(now));
        used * 100 / total
    }

    /// Whether the step was (or is being) finished late.
    pub fn overdue(&self, now: Millis) -> bool {
        self.reading_at(now) > self.due_at
    }

    pub fn stop(&mut self, at: Millis) {
        if self.stopped_at.is_none() {
            self.stopped_at = Some(at);
        }
    }

    /// The pause a hold starting at `at` would put on this clock.
    pub fn pause_at(&self, calendar: &WorkCalendar, at: Millis) -> Pause {
        Pause {
            at,
            yellow_left_ms: span(calendar, self.working, at, self.yellow_at),
            due_left_ms: span(calendar, self.working, at, self.due_at),
        }
    }

    /// This clock restarted at `at` with the time it had left.
    pub fn resumed(&self, calendar: &WorkCalendar, at: Millis) -> Self {
        let Some(p) = self.paused else { return self.clone() };
        Self {
            yellow_at: shift(calendar, self.working, at, p.yellow_left_ms),
            due_at: shift(calendar, self.working, at, p.due_left_ms),
            paused: None,
            ..self.clone()
        }
    }

    /// This clock with its deadline moved by `extra` (延期), counted from the old deadline.
    pub fn extended(&self, calendar: &WorkCalendar, extra: TimeLimit) -> Self {
        let due = calendar.deadline(self.due_at, extra);
        let label = format!("{}+{}", self.limit, extra);
        Self { stopped_at: self.stopped_at, ..Self::between(calendar, self.step, label, self.working, self.started_at, due) }
    }
}

/// Time from `a` to `b`, counted in working or natural time; negative when `b < a`.
fn span(calendar: &WorkCalendar, working: bool, a: Millis, b: Millis) -> i64 {
    if working { calendar.working_between(a, b) } else { b - a }
}

/// The instant `ms` (possibly negative) of working or natural time after `from`.
fn shift(calendar: &WorkCalendar, working: bool, from: Millis, ms: i64) -> Millis {
    match (working, ms >= 0) {
        (false, _) => from + ms,
        (true, true) => calendar.add_working(from, ms),
        (true, false) => calendar.sub_working(from, -ms),
    }
}

/// Rounds a duration to whole minutes for display.
pub fn minutes(ms: i64) -> i64 {
    ms / MINUTE_MS
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{at_local, HOUR_MS};

    fn cal() -> WorkCalendar {
        WorkCalendar::china_default()
    }

    #[test]
    fn lamp_turns_yellow_at_80_percent_and_red_after_the_limit() {
        let cal = cal();
        // Tuesday 2026-11-24 09:00, 5 working hours -> due 16:00 (lunch skipped), yellow after 4 h = 15:00.
        let start = at_local(2026, 11, 24, 9, 0);
        let clock = Clock::start(&cal, Step::Dispose, start, TimeLimit::work_hours(5));
        assert_eq!(clock.due_at, at_local(2026, 11, 24, 16, 0));
        assert_eq!(clock.yellow_at, at_local(2026, 11, 24, 15, 0));
        assert_eq!(clock.lamp(at_local(2026, 11, 24, 14, 59)), Lamp::Green);
        assert_eq!(clock.lamp(at_local(2026, 11, 24, 15, 0)), Lamp::Yellow);
        assert_eq!(clock.lamp(at_local(2026, 11, 24, 16, 0)), Lamp::Yellow);
        assert_eq!(clock.lamp(at_local(2026, 11, 24, 16, 1)), Lamp::Red);
        assert_eq!(clock.used_percent(&cal, at_local(2026, 11, 24, 12, 0)), 60);
    }

    #[test]
    fn a_stopped_clock_keeps_its_lamp() {
        let cal = cal();
        let start = at_local(2026, 11, 24, 9, 0);
        let mut clock = Clock::start(&cal, Step::Check, start, TimeLimit::work_minutes(30));
        clock.stop(start + 10 * 60_000);
        assert_eq!(clock.lamp(start + 10 * HOUR_MS), Lamp::Green);
        assert!(!clock.overdue(start + 10 * HOUR_MS));
    }

    #[test]
    fn a_paused_clock_resumes_with_the_working_time_it_had_left() {
        let cal = cal();
        let start = at_local(2026, 11, 24, 9, 0); // Tuesday
        let mut clock = Clock::start(&cal, Step::Dispose, start, TimeLimit::work_hours(4));
        assert_eq!(clock.due_at, at_local(2026, 11, 24, 15, 0));
        // Held at 10:00 with 3 working hours left; resumed on Thursday 17:00.
        clock.paused = Some(clock.pause_at(&cal, at_local(2026, 11, 24, 10, 0)));
        assert_eq!(clock.lamp(at_local(2026, 11, 30, 10, 0)), Lamp::Green, "paused clocks do not age");
        let resumed = clock.resumed(&cal, at_local(2026, 11, 26, 17, 0));
        assert_eq!(resumed.due_at, at_local(2026, 11, 27, 10, 0));
        assert!(resumed.is_running());
    }

    #[test]
    fn an_overdue_clock_stays_overdue_after_a_hold() {
        let cal = cal();
        let start = at_local(2026, 11, 24, 9, 0);
        let mut clock = Clock::start(&cal, Step::Dispose, start, TimeLimit::work_hours(1));
        clock.paused = Some(clock.pause_at(&cal, at_local(2026, 11, 24, 11, 0)));
        let resumed = clock.resumed(&cal, at_local(2026, 11, 25, 9, 0));
        assert_eq!(resumed.due_at, at_local(2026, 11, 25, 8, 0));
        assert_eq!(resumed.lamp(at_local(2026, 11, 25, 9, 0)), Lamp::Red);
    }

    #[test]
    fn an_extension_moves_the_deadline_by_working_time() {
        let cal = cal();
        let start = at_local(2026, 11, 24, 9, 0);
        let clock = Clock::start(&cal, Step::Dispose, start, TimeLimit::work_hours(4));
        let longer = clock.extended(&cal, TimeLimit::work_days(1));
        assert_eq!(longer.due_at, at_local(2026, 11, 25, 15, 0));
        assert_eq!(longer.limit, "4工作时+1工作日");
    }

    #[test]
    fn natural_time_ignores_the_calendar() {
        let cal = cal();
        let start = at_local(2026, 10, 1, 22, 0); // 国庆 night
        let clock = Clock::start(&cal, Step::Dispose, start, TimeLimit::natural_hours(2));
        assert_eq!(clock.due_at, start + 2 * HOUR_MS);
        assert!(!clock.working);
    }
}
