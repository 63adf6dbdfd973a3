//! 工作时 — the working-time clock.
//!
//! Deadlines of most categories are counted in working time: only the hours of the
//! 工作日作息 ([`WorkSchedule`]) on working days count. Which days are working days
//! follows the Monday–Friday week, overridden by the State Council's yearly
//! 节假日安排 ([`HolidayTable`]): 法定节假日 are off, and 调休 make-up weekends are
//! working days. Days outside the years the table covers follow the plain week.
//!
//! All arithmetic is on epoch milliseconds with days taken in Shanghai time; the walk
//! moves a period or a whole day at a time, never minute by minute.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate, NaiveTime, Timelike, Weekday};
use serde::{Deserialize, Serialize};

use crate::limit::TimeLimit;
use crate::time::{DAY_MS, Millis, shanghai};

/// Why a schedule or a holiday table was refused. Messages name the offending field so
/// an administrator can fix the configuration without reading code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("作息时段 periods 不能为空，至少需要一个工作时段")]
    NoPeriods,
    #[error("作息时段 periods[{index}] 的开始时间 {start} 须早于结束时间 {end}")]
    EmptyPeriod { index: usize, start: String, end: String },
    #[error("作息时段 periods[{index}] 早于前一时段，须按时间先后排列")]
    UnsortedPeriod { index: usize },
    #[error("作息时段 periods[{index}] 与前一时段重叠")]
    OverlappingPeriod { index: usize },
    #[error("节假日表无法解析：{0}")]
    Json(String),
    #[error("节假日表 years.{year}.holidays[{index}].name 不能为空")]
    NoHolidayName { year: i32, index: usize },
    #[error("节假日表 years.{year}.holidays[{index}].off 不能为空")]
    NoDaysOff { year: i32, index: usize },
    #[error(
        "节假日表 years.{year}.holidays[{index}].off 中 {date} 与前一日不连续，假期须为连续的日期"
    )]
    GapInDaysOff { year: i32, index: usize, date: NaiveDate },
    #[error(
        "节假日表 years.{year}.holidays[{index}].workdays 中 {date} 不是周六或周日，无需调休上班"
    )]
    WeekdayMakeup { year: i32, index: usize, date: NaiveDate },
    #[error("节假日表中 {date} 重复出现：{first} 与 {second}")]
    DuplicateDate { date: NaiveDate, first: String, second: String },
}

// ---------------------------------------------------------------------------------------
// 工作日作息

/// One working period of a day, local time, e.g. 08:00–12:00.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WorkPeriod {
    #[serde(with = "hhmm")]
    pub start: NaiveTime,
    #[serde(with = "hhmm")]
    pub end: NaiveTime,
}

impl WorkPeriod {
    /// Panics on an invalid wall-clock time; meant for literals.
    pub fn hm(start: (u32, u32), end: (u32, u32)) -> Self {
        let at = |(h, m)| NaiveTime::from_hms_opt(h, m, 0).expect("valid wall-clock time");
        Self { start: at(start), end: at(end) }
    }
}

impl fmt::Display for WorkPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}–{}", hhmm::text(self.start), hhmm::text(self.end))
    }
}

/// 工作日作息 — the working periods of a working day.
///
/// Periods lie within one calendar day (none runs past midnight); round-the-clock kinds
/// are limited in natural time instead.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WorkSchedule {
    pub periods: Vec<WorkPeriod>,
}

impl Default for WorkSchedule {
    /// 08:00–12:00 and 14:00–18:00, the usual township office hours.
    fn default() -> Self {
        Self { periods: vec![WorkPeriod::hm((8, 0), (12, 0)), WorkPeriod::hm((14, 0), (18, 0))] }
    }
}

impl WorkSchedule {
    /// Checks the periods are non-empty, each starts before it ends, and they follow one
    /// another without overlapping (touching is allowed).
    pub fn validate(&self) -> Result<(), CalendarError> {
        if self.periods.is_empty() {
            return Err(CalendarError::NoPeriods);
        }
        for (index, p) in self.periods.iter().enumerate() {
            if p.start >= p.end {
                return Err(CalendarError::EmptyPeriod {
                    index,
                    start: hhmm::text(p.start),
                    end: hhmm::text(p.end),
                });
            }
            if index > 0 {
                let prev = self.periods[index - 1];
                if p.start < prev.start {
                    return Err(CalendarError::UnsortedPeriod { index });
                }
                if p.start < prev.end {
                    return Err(CalendarError::OverlappingPeriod { index });
                }
            }
        }
        Ok(())
    }

    /// Total working time of one working day.
    pub fn day_ms(&self) -> i64 {
        self.periods.iter().map(|p| ms_of_day(p.end) - ms_of_day(p.start)).sum()
    }
}

/// `"08:00"` on the wire; seconds only when present.
mod hhmm {
    use chrono::{NaiveTime, Timelike};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn text(t: NaiveTime) -> String {
        if t.second() == 0 && t.nanosecond() == 0 {
            t.format("%H:%M").to_string()
        } else {
            t.format("%H:%M:%S").to_string()
        }
    }

    pub fn serialize<S: Serializer>(t: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&text(*t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
        let raw = String::deserialize(d)?;
        NaiveTime::parse_from_str(&raw, "%H:%M")
            .or_else(|_| NaiveTime::parse_from_str(&raw, "%H:%M:%S"))
            .map_err(|_| serde::de::Error::custom(format!("时间“{raw}”应为 HH:MM 形式，如 08:00")))
    }
}

// ---------------------------------------------------------------------------------------
// 节假日安排

/// What the holiday table says about one date.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DayKind {
    /// 放假 — a day off of the named holiday (weekend days inside the break included).
    Holiday { name: String },
    /// 调休上班 — a weekend day worked to make up for the named holiday.
    MakeupWorkday { name: String },
}

impl DayKind {
    pub fn name(&self) -> &str {
        match self {
            Self::Holiday { name } | Self::MakeupWorkday { name } => name,
        }
    }
}

/// One break of a notice, e.g. 国庆节: its days off and its 调休 working days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holiday {
    pub name: String,
    pub off: Vec<NaiveDate>,
    #[serde(default)]
    pub workdays: Vec<NaiveDate>,
}

/// Whether a year's arrangement comes from the published notice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum YearStatus {
    /// Transcribed from the State Council notice.
    #[default]
    Official,
    /// Not yet confirmed from a notice; to be replaced when it is published.
    Provisional,
}

/// The arrangement of one notice year. Its 元旦 break may begin in the December before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HolidayYear {
    #[serde(default)]
    pub status: YearStatus,
    /// The notices the year was transcribed from.
    #[serde(default)]
    pub notices: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub holidays: Vec<Holiday>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct HolidayFile {
    #[serde(default)]
    source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    format: Option<String>,
    years: BTreeMap<i32, HolidayYear>,
}

/// 节假日安排 — explicit exceptions to the Monday–Friday week, year by year.
///
/// The default table is empty: every Monday–Friday is a working day.
#[derive(Debug, Clone, Default)]
pub struct HolidayTable {
    file: HolidayFile,
    /// Keyed by day number (days since 1970-01-01), which the clock walks in.
    days: HashMap<i64, DayKind>,
    /// Inclusive range of day numbers that have an entry; outside it the week rule holds.
    span: Option<(i64, i64)>,
}

impl PartialEq for HolidayTable {
    fn eq(&self, other: &Self) -> bool {
        self.file == other.file
    }
}

impl HolidayTable {
    /// Parses and checks a table: names present, each break's days off consecutive,
    /// make-up days on weekends, and no date listed twice.
    pub fn from_json(text: &str) -> Result<Self, CalendarError> {
        let file: HolidayFile =
            serde_json::from_str(text).map_err(|e| CalendarError::Json(e.to_string()))?;
        Self::from_file(file)
    }

    /// Pretty JSON in the format [`from_json`](Self::from_json) reads.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.file).expect("a holiday table always serialises")
    }

    /// The official calendar of China bundled with chengyun (see `data/calendar/`).
    pub fn china() -> Self {
        static CHINA: OnceLock<HolidayTable> = OnceLock::new();
        CHINA
            .get_or_init(|| {
                Self::from_json(include_str!("../../../data/calendar/cn-holidays.json"))
                    .expect("the bundled holiday calendar is valid")
            })
            .clone()
    }

    fn from_file(file: HolidayFile) -> Result<Self, CalendarError> {
        let mut days = HashMap::new();
        let mut origin: HashMap<i64, String> = HashMap::new();
        for (&year, y) in &file.years {
            for (index, h) in y.holidays.iter().enumerate() {
                if h.name.trim().is_empty() {
                    return Err(CalendarError::NoHolidayName { year, index });
                }
                if h.off.is_empty() {
                    return Err(CalendarError::NoDaysOff { year, index });
                }
                for pair in h.off.windows(2) {
                    if pair[0].succ_opt() != Some(pair[1]) {
                        return Err(CalendarError::GapInDaysOff { year, index, date: pair[1] });
                    }
                }
                for &date in &h.workdays {
                    if !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
                        return Err(CalendarError::WeekdayMakeup { year, index, date });
                    }
                }
                let listed = h
                    .off
                    .iter()
                    .map(|&d| (d, "off", DayKind::Holiday { name: h.name.clone() }))
                    .chain(h.workdays.iter().map(|&d| {
                        (d, "workdays", DayKind::MakeupWorkday { name: h.name.clone() })
                    }));
                for (date, field, kind) in listed {
                    let day = day_number(date);
                    let here = format!("years.{year}.holidays[{index}].{field}");
                    if let Some(first) = origin.get(&day) {
                        return Err(CalendarError::DuplicateDate {
                            date,
                            first: first.clone(),
                            second: here,
                        });
                    }
                    origin.insert(day, here);
                    days.insert(day, kind);
                }
            }
        }
        let span = days.keys().min().zip(days.keys().max()).map(|(&a, &b)| (a, b));
        Ok(Self { file, days, span })
    }

    pub fn source(&self) -> &str {
        &self.file.source
    }

    /// What the table says about `date`; `None` means the Monday–Friday rule applies.
    pub fn kind_of(&self, date: NaiveDate) -> Option<&DayKind> {
        self.kind_of_day(day_number(date))
    }

    fn kind_of_day(&self, day: i64) -> Option<&DayKind> {
        match self.span {
            Some((lo, hi)) if (lo..=hi).contains(&day) => self.days.get(&day),
            _ => None,
        }
    }

    /// First notice year covered.
    pub fn first_year(&self) -> Option<i32> {
        self.file.years.keys().next().copied()
    }

    /// Last notice year covered.
    pub fn last_year(&self) -> Option<i32> {
        self.file.years.keys().next_back().copied()
    }

    /// Notice years in order.
    pub fn years(&self) -> impl Iterator<Item = (i32, &HolidayYear)> {
        self.file.years.iter().map(|(&y, v)| (y, v))
    }

    /// Every break of every year, in order.
    pub fn entries(&self) -> impl Iterator<Item = (i32, &Holiday)> {
        self.years().flat_map(|(y, v)| v.holidays.iter().map(move |h| (y, h)))
    }

    /// Years whose arrangement is not yet confirmed by a notice.
    pub fn provisional_years(&self) -> impl Iterator<Item = i32> {
        self.years().filter(|(_, v)| v.status == YearStatus::Provisional).map(|(y, _)| y)
    }
}

// ---------------------------------------------------------------------------------------
// The clock

/// The working-time clock: a validated schedule over a holiday table.
#[derive(Debug, Clone)]
pub struct WorkCalendar {
    schedule: WorkSchedule,
    holidays: HolidayTable,
    /// The schedule as `(start, end)` ms since local midnight.
    periods: Vec<(i64, i64)>,
    day_ms: i64,
}

impl WorkCalendar {
    pub fn new(schedule: WorkSchedule, holidays: HolidayTable) -> Result<Self, CalendarError> {
        schedule.validate()?;
        let periods =
            schedule.periods.iter().map(|p| (ms_of_day(p.start), ms_of_day(p.end))).collect();
        let day_ms = schedule.day_ms();
        Ok(Self { schedule, holidays, periods, day_ms })
    }

    /// The default 作息 over the bundled national holiday calendar.
    pub fn china_default() -> Self {
        Self::new(WorkSchedule::default(), HolidayTable::china())
            .expect("the default schedule is valid")
    }

    pub fn schedule(&self) -> &WorkSchedule {
        &self.schedule
    }

    pub fn holidays(&self) -> &HolidayTable {
        &self.holidays
    }

    /// A 法定节假日 is off, a 调休 weekend is worked, any other day follows Monday–Friday.
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        self.is_working_day_number(day_number(d))
    }

    fn is_working_day_number(&self, day: i64) -> bool {
        match self.holidays.kind_of_day(day) {
            Some(DayKind::Holiday { .. }) => false,
            Some(DayKind::MakeupWorkday { .. }) => true,
            // 1970-01-01 was a Thursday: 0 = Monday … 6 = Sunday.
            None => (day + 3).rem_euclid(7) < 5,
        }
    }

    /// Length of one working day (8 h by default); one 工作日 of a limit is this long.
    pub fn working_day_ms(&self) -> i64 {
        self.day_ms
    }

    /// Whether `t` lies inside a working period (start inclusive, end exclusive).
    pub fn is_working_instant(&self, t: Millis) -> bool {
        let (day, off) = split(t);
        self.is_working_day_number(day) && self.periods.iter().any(|&(s, e)| s <= off && off < e)
    }

    /// `t` itself when it is working time, else the start of the next working period.
    pub fn next_working_instant(&self, t: Millis) -> Millis {
        let (mut day, mut off) = split(t);
        loop {
            if self.is_working_day_number(day)
                && let Some(&(s, _)) = self.periods.iter().find(|&&(_, e)| off < e)
            {
                return join(day, off.max(s));
            }
            day += 1;
            off = 0;
        }
    }

    /// The instant `ms` of working time after `start`. Outside working time counting
    /// begins at the next period. A deadline that uses up a period exactly stays at that
    /// period's end (17:00 + 1 h is 18:00 the same day, not 08:00 the next).
    /// `ms == 0` returns `start` unchanged; a negative `ms` walks backwards.
    pub fn add_working(&self, start: Millis, ms: i64) -> Millis {
        if ms <= 0 {
            return if ms == 0 { start } else { self.sub_working(start, -ms) };
        }
        let (mut day, mut off) = split(start);
        let mut left = ms;
        loop {
            if off == 0 {
                if let Some(weeks) = self.plain_weeks_ahead(day, left) {
                    day += 7 * weeks;
                    left -= 5 * weeks * self.day_ms;
                }
                if left > self.day_ms && self.is_working_day_number(day) {
                    left -= self.day_ms;
                    day += 1;
                    continue;
                }
            }
            if self.is_working_day_number(day) {
                for &(s, e) in &self.periods {
                    if off >= e {
                        continue;
                    }
                    let from = off.max(s);
                    let available = e - from;
                    if left <= available {
                        return join(day, from + left);
                    }
                    left -= available;
                }
            }
            day += 1;
            off = 0;
        }
    }

    /// The instant `ms` of working time before `end`: the mirror walk of
    /// [`add_working`](Self::add_working). Using up a period exactly lands on its start.
    pub fn sub_working(&self, end: Millis, ms: i64) -> Millis {
        if ms <= 0 {
            return if ms == 0 { end } else { self.add_working(end, -ms) };
        }
        let (mut day, mut off) = split(end);
        let mut left = ms;
        loop {
            if off == DAY_MS {
                if let Some(weeks) = self.plain_weeks_behind(day, left) {
                    day -= 7 * weeks;
                    left -= 5 * weeks * self.day_ms;
                }
                if left > self.day_ms && self.is_working_day_number(day) {
                    left -= self.day_ms;
                    day -= 1;
                    continue;
                }
            }
            if self.is_working_day_number(day) {
                for &(s, e) in self.periods.iter().rev() {
                    if off <= s {
                        continue;
                    }
                    let to = off.min(e);
                    let available = to - s;
                    if left <= available {
                        return join(day, to - left);
                    }
                    left -= available;
                }
            }
            day -= 1;
            off = DAY_MS;
        }
    }

    /// Working time in `[a, b)`; negative when `b < a`.
    pub fn working_between(&self, a: Millis, b: Millis) -> i64 {
        if b < a {
            return -self.working_between(b, a);
        }
        let (first, first_off) = split(a);
        let (last, last_off) = split(b);
        let mut total = 0;
        let mut day = first;
        while day <= last {
            let lo = if day == first { first_off } else { 0 };
            let hi = if day == last { last_off } else { DAY_MS };
            if lo == 0 && hi == DAY_MS {
                if let Some(weeks) = self.plain_weeks_within(day, last) {
                    total += 5 * weeks * self.day_ms;
                    day += 7 * weeks;
                    continue;
                }
                if self.is_working_day_number(day) {
                    total += self.day_ms;
                }
            } else if self.is_working_day_number(day) {
                total +=
                    self.periods.iter().map(|&(s, e)| (e.min(hi) - s.max(lo)).max(0)).sum::<i64>();
            }
            day += 1;
        }
        total
    }

    /// When a limit started at `start` falls due: working units walk the working clock
    /// (one 工作日 being [`working_day_ms`](Self::working_day_ms)), natural units add
    /// wall-clock time.
    pub fn deadline(&self, start: Millis, limit: TimeLimit) -> Millis {
        let length = limit.duration_ms(self.day_ms);
        if limit.is_working_time() { self.add_working(start, length) } else { start + length }
    }

    /// Time elapsed since `start`, counted the way `limit` counts; compare it with
    /// `limit.duration_ms(working_day_ms())` to light the lamps.
    pub fn elapsed(&self, start: Millis, now: Millis, limit: TimeLimit) -> i64 {
        if limit.is_working_time() { self.working_between(start, now) } else { now - start }
    }

    // Far past the covered years (or when a limit is huge) whole weeks are skipped at
    // once: outside the table every week holds exactly five working days.

    /// Whole plain weeks from `day` that `left` strictly outlasts.
    fn plain_weeks_ahead(&self, day: i64, left: i64) -> Option<i64> {
        let weeks = (left - 1) / (5 * self.day_ms);
        let weeks = self.clear_of_table(day, weeks, 1);
        (weeks > 0).then_some(weeks)
    }

    /// Whole plain weeks ending with `day` that `left` strictly outlasts.
    fn plain_weeks_behind(&self, day: i64, left: i64) -> Option<i64> {
        let weeks = (left - 1) / (5 * self.day_ms);
        let weeks = self.clear_of_table(day, weeks, -1);
        (weeks > 0).then_some(weeks)
    }

    /// Whole plain weeks from `day` that end before `last`.
    fn plain_weeks_within(&self, day: i64, last: i64) -> Option<i64> {
        let weeks = (last - day) / 7;
        let weeks = self.clear_of_table(day, weeks, 1);
        (weeks > 0).then_some(weeks)
    }

    /// Caps `weeks` so that the `7 * weeks` days from `day` in direction `dir` miss the
    /// table; 0 when they cannot.
    fn clear_of_table(&self, day: i64, weeks: i64, dir: i64) -> i64 {
        if weeks <= 0 {
            return 0;
        }
        let Some((lo, hi)) = self.holidays.span else {
            return weeks;
        };
        let far = day + dir * (7 * weeks - 1);
        let (a, b) = if dir > 0 { (day, far) } else { (far, day) };
        if b < lo || a > hi {
            weeks
        } else if dir > 0 && day < lo {
            (lo - day) / 7
        } else if dir < 0 && day > hi {
            (day - hi) / 7
        } else {
            0
        }
    }
}

/// Milliseconds since midnight of a wall-clock time.
fn ms_of_day(t: NaiveTime) -> i64 {
    i64::from(t.num_seconds_from_midnight()) * 1000 + i64::from(t.nanosecond() / 1_000_000)
}

/// Days since 1970-01-01 of a date.
fn day_number(d: NaiveDate) -> i64 {
    /// `num_days_from_ce` of 1970-01-01.
    const UNIX_EPOCH_CE_DAYS: i64 = 719_163;
    i64::from(d.num_days_from_ce()) - UNIX_EPOCH_CE_DAYS
}

fn offset_ms() -> i64 {
    i64::from(shanghai().local_minus_utc()) * 1000
}

/// The local (Shanghai) day number of an instant and the ms since that day's midnight.
fn split(t: Millis) -> (i64, i64) {
    let local = t.saturating_add(offset_ms());
    (local.div_euclid(DAY_MS), local.rem_euclid(DAY_MS))
}

/// The instant `off` ms after local midnight of day `day`.
fn join(day: i64, off: i64) -> Millis {
    day * DAY_MS + off - offset_ms()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{HOUR_MS, MINUTE_MS, at_local, format_local};
    use proptest::prelude::*;

    fn cal() -> WorkCalendar {
        WorkCalendar::china_default()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn show(t: Millis) -> String {
        format_local(t)
    }

    #[test]
    fn four_working_hours_before_national_day_fall_due_after_it() {
        let c = cal();
        let start = at_local(2026, 9, 30, 17, 0);
        let due = c.deadline(start, TimeLimit::work_hours(4));
        assert_eq!(show(due), show(at_local(2026, 10, 8, 11, 0)));
        assert_eq!(c.elapsed(start, due, TimeLimit::work_hours(4)), 4 * HOUR_MS);
        for d in 1..=7 {
            assert!(!c.is_working_day(date(2026, 10, d)), "2026-10-0{d} is 国庆 off");
        }
    }

    #[test]
    fn makeup_weekends_are_working_days_and_can_hold_a_deadline() {
        let c = cal();
        assert_eq!(date(2026, 9, 20).weekday(), Weekday::Sun);
        assert!(c.is_working_day(date(2026, 9, 20)));
        assert_eq!(date(2026, 10, 10).weekday(), Weekday::Sat);
        assert!(c.is_working_day(date(2026, 10, 10)));
        assert!(!c.is_working_day(date(2026, 10, 11)), "the Sunday after is a plain weekend");
        assert_eq!(
            c.holidays().kind_of(date(2026, 10, 10)),
            Some(&DayKind::MakeupWorkday { name: "国庆节".into() })
        );

        // Friday 2026-09-18 16:00 + 4 工作时: 2 h on Friday, then Sunday 09-20 (调休).
        let due = c.deadline(at_local(2026, 9, 18, 16, 0), TimeLimit::work_hours(4));
        assert_eq!(show(due), show(at_local(2026, 9, 20, 10, 0)));

        // Thursday 2026-10-08 10:00 + 2 工作日 (16 h): Thu, Fri, then Saturday 10-10.
        let due = c.deadline(at_local(2026, 10, 8, 10, 0), TimeLimit::work_days(2));
        assert_eq!(show(due), show(at_local(2026, 10, 10, 10, 0)));
    }

    #[test]
    fn spring_festival_is_skipped_whole() {
        let c = cal();
        // 2026 春节: 02-15..02-23 off, 02-14 (Sat) worked. Start Saturday 02-14 at 15:00.
        let start = at_local(2026, 2, 14, 15, 0);
        assert!(c.is_working_instant(start));
        let due = c.deadline(start, TimeLimit::work_days(1));
        // 3 h on the 14th, the whole break skipped, 5 h on Tuesday 02-24.
        assert_eq!(show(due), show(at_local(2026, 2, 24, 15, 0)));
        assert_eq!(c.working_between(at_local(2026, 2, 14, 18, 0), at_local(2026, 2, 24, 8, 0)), 0);
        // 2026-02-28 (Sat) is the second make-up day.
        let due = c.deadline(at_local(2026, 2, 27, 9, 0), TimeLimit::work_days(1));
        assert_eq!(show(due), show(at_local(2026, 2, 28, 9, 0)));
    }

    #[test]
    fn lunch_break_does_not_count() {
        let c = cal();
        let due = c.deadline(at_local(2026, 11, 18, 11, 0), TimeLimit::work_hours(2));
        assert_eq!(show(due), show(at_local(2026, 11, 18, 15, 0)));
        let due = c.deadline(at_local(2026, 11, 18, 12, 30), TimeLimit::work_minutes(30));
        assert_eq!(show(due), show(at_local(2026, 11, 18, 14, 30)));
    }

    #[test]
    fn a_period_used_up_exactly_keeps_its_end() {
        let c = cal();
        let day = |h, m| at_local(2026, 11, 18, h, m);
        assert_eq!(c.add_working(day(17, 0), HOUR_MS), day(18, 0));
        assert_eq!(c.add_working(day(11, 0), HOUR_MS), day(12, 0));
        assert_eq!(c.add_working(day(8, 0), 8 * HOUR_MS), day(18, 0));
        assert_eq!(c.sub_working(day(15, 0), HOUR_MS), day(14, 0));
        assert_eq!(c.sub_working(day(18, 0), 8 * HOUR_MS), day(8, 0));
        assert_eq!(c.add_working(day(20, 0), 0), day(20, 0), "ms == 0 leaves the start alone");
    }

    #[test]
    fn night_and_weekend_starts_wait_for_the_next_period() {
        let c = cal();
        // Wednesday 2026-11-18 at 21:00 → Thursday 08:00 + 1 h.
        let due = c.deadline(at_local(2026, 11, 18, 21, 0), TimeLimit::work_hours(1));
        assert_eq!(show(due), show(at_local(2026, 11, 19, 9, 0)));
        // Early morning the same day.
        let due = c.deadline(at_local(2026, 11, 19, 6, 30), TimeLimit::work_minutes(30));
        assert_eq!(show(due), show(at_local(2026, 11, 19, 8, 30)));
        // Saturday 2026-11-21 → Monday 11-23.
        let due = c.deadline(at_local(2026, 11, 21, 10, 0), TimeLimit::work_hours(4));
        assert_eq!(show(due), show(at_local(2026, 11, 23, 12, 0)));
        assert_eq!(
            c.next_working_instant(at_local(2026, 11, 21, 10, 0)),
            at_local(2026, 11, 23, 8, 0)
        );
        assert_eq!(
            c.next_working_instant(at_local(2026, 11, 23, 12, 0)),
            at_local(2026, 11, 23, 14, 0)
        );
        assert_eq!(
            c.next_working_instant(at_local(2026, 11, 23, 9, 5)),
            at_local(2026, 11, 23, 9, 5)
        );
    }

    #[test]
    fn natural_time_ignores_the_calendar() {
        let c = cal();
        let start = at_local(2026, 9, 30, 17, 0);
        let due = c.deadline(start, TimeLimit::natural_hours(24));
        assert_eq!(show(due), show(at_local(2026, 10, 1, 17, 0)));
        assert_eq!(c.elapsed(start, due, TimeLimit::natural_hours(24)), 24 * HOUR_MS);
        let days = TimeLimit::new(2, crate::limit::LimitUnit::NaturalDays);
        assert_eq!(show(c.deadline(start, days)), show(at_local(2026, 10, 2, 17, 0)));
    }

    #[test]
    fn working_between_counts_working_time_only() {
        let c = cal();
        let a = at_local(2026, 9, 30, 17, 0);
        let b = at_local(2026, 10, 8, 11, 0);
        assert_eq!(c.working_between(a, b), 4 * HOUR_MS);
        assert_eq!(c.working_between(b, a), -4 * HOUR_MS);
        assert_eq!(c.working_between(a, a), 0);
        // A plain week: Monday 00:00 to the next Monday 00:00.
        let week = c.working_between(at_local(2026, 11, 16, 0, 0), at_local(2026, 11, 23, 0, 0));
        assert_eq!(week, 40 * HOUR_MS);
        assert_eq!(
            c.working_between(at_local(2026, 11, 18, 11, 30), at_local(2026, 11, 18, 14, 15)),
            45 * MINUTE_MS
        );
    }

    #[test]
    fn sub_working_walks_back_over_holidays() {
        let c = cal();
        let due = at_local(2026, 10, 8, 11, 0);
        assert_eq!(show(c.sub_working(due, 4 * HOUR_MS)), show(at_local(2026, 9, 30, 17, 0)));
        assert_eq!(c.add_working(due, -4 * HOUR_MS), c.sub_working(due, 4 * HOUR_MS));
    }

    #[test]
    fn years_beyond_the_table_follow_the_week_and_skip_fast() {
        let c = cal();
        // 2030 is not covered: 100 工作日 from Monday 2030-01-07 08:00 use up 20 plain
        // weeks and end on the Friday evening of the 20th.
        let start = at_local(2030, 1, 7, 8, 0);
        let due = c.deadline(start, TimeLimit::work_days(100));
        assert_eq!(show(due), show(at_local(2030, 5, 24, 18, 0)));
        assert_eq!(c.working_between(start, due), 100 * 8 * HOUR_MS);
        assert_eq!(c.sub_working(due, 100 * 8 * HOUR_MS), start);
        // A walk that starts before the table and runs into it still sees its holidays.
        let from_2018 = at_local(2018, 1, 2, 8, 0);
        let long = 2000 * 8 * HOUR_MS;
        let due = c.add_working(from_2018, long);
        assert_eq!(c.working_between(from_2018, due), long);
        assert_eq!(c.sub_working(due, long), from_2018);
        let mut slow = 0;
        let mut t = from_2018;
        while t < due {
            slow += c.working_between(t, (t + 7 * DAY_MS).min(due));
            t += 7 * DAY_MS;
        }
        assert_eq!(slow, long);
    }

    #[test]
    fn twenty_working_days_take_microseconds() {
        let c = cal();
        let start = at_local(2026, 9, 15, 9, 0);
        let begun = std::time::Instant::now();
        let mut due = 0;
        for _ in 0..1000 {
            due = c.deadline(std::hint::black_box(start), TimeLimit::work_days(20));
        }
        let per_call = begun.elapsed() / 1000;
        // 20 工作日 over 国庆: 2026-09-15 .. 10-19 plus the make-up days.
        assert_eq!(show(due), show(at_local(2026, 10, 19, 9, 0)));
        assert!(per_call.as_micros() < 200, "{per_call:?} per 20-day deadline");
    }

    #[test]
    fn bundled_calendar_covers_2019_to_2027_and_is_sane() {
        let t = HolidayTable::china();
        assert_eq!(t.first_year(), Some(2019));
        assert_eq!(t.last_year(), Some(2027));
        assert_eq!(t.provisional_years().collect::<Vec<_>>(), vec![2027]);
        assert!(!t.source().is_empty());
        let mut seen = std::collections::HashSet::new();
        for (year, y) in t.years() {
            for festival in ["元旦", "春节", "清明", "劳动节", "端午", "中秋", "国庆"]
            {
                assert!(
                    y.holidays.iter().any(|h| h.name.contains(festival)),
                    "{year} has no {festival}"
                );
            }
            if y.status == YearStatus::Official {
                assert!(!y.notices.is_empty(), "{year} names its notice");
            }
            for h in &y.holidays {
                for pair in h.off.windows(2) {
                    assert_eq!(pair[0].succ_opt(), Some(pair[1]), "{year} {} consecutive", h.name);
                }
                for d in &h.workdays {
                    assert!(matches!(d.weekday(), Weekday::Sat | Weekday::Sun), "{d} is a weekend");
                    assert!(!h.off.contains(d));
                }
                for d in h.off.iter().chain(&h.workdays) {
                    assert!(seen.insert(*d), "{d} listed twice");
                    assert!((year - 1..=year).contains(&d.year()), "{d} belongs near {year}");
                }
            }
        }
        assert_eq!(t.entries().count(), 9 * 7 - 3, "2020, 2023 and 2025 merge 中秋 and 国庆");
        // Spot checks against the notices.
        let c = cal();
        assert!(!c.is_working_day(date(2018, 12, 31)), "2019 元旦 starts in 2018");
        assert!(c.is_working_day(date(2018, 12, 29)), "and 2018-12-29 (Sat) was worked");
        assert!(!c.is_working_day(date(2020, 2, 1)), "2020 春节 was extended over 02-01");
        assert!(c.is_working_day(date(2019, 5, 5)), "2019 劳动节 make-up Sunday");
        assert!(!c.is_working_day(date(2025, 10, 8)));
        assert!(c.is_working_day(date(2025, 10, 11)));
        // Round trip through JSON.
        assert_eq!(HolidayTable::from_json(&t.to_json()).unwrap(), t);
    }

    #[test]
    fn outside_the_table_the_week_rule_holds() {
        let c = WorkCalendar::new(WorkSchedule::default(), HolidayTable::default()).unwrap();
        assert!(c.is_working_day(date(2026, 10, 1)), "no table, no 国庆");
        assert!(!c.is_working_day(date(2026, 10, 10)));
        let china = cal();
        assert!(china.is_working_day(date(2031, 1, 1)), "a Wednesday in an uncovered year");
        assert!(!china.is_working_day(date(2031, 1, 4)));
        assert_eq!(china.holidays().kind_of(date(2031, 1, 1)), None);
    }

    #[test]
    fn schedule_validation_names_the_bad_period() {
        let p = WorkPeriod::hm;
        let check = |periods: Vec<WorkPeriod>| WorkSchedule { periods }.validate();
        assert_eq!(check(vec![]), Err(CalendarError::NoPeriods));
        assert_eq!(
            check(vec![p((8, 0), (12, 0)), p((11, 0), (18, 0))]),
            Err(CalendarError::OverlappingPeriod { index: 1 })
        );
        assert_eq!(
            CalendarError::OverlappingPeriod { index: 1 }.to_string(),
            "作息时段 periods[1] 与前一时段重叠"
        );
        assert_eq!(
            check(vec![p((14, 0), (18, 0)), p((8, 0), (12, 0))]),
            Err(CalendarError::UnsortedPeriod { index: 1 })
        );
        let err = check(vec![p((12, 0), (8, 0))]).unwrap_err();
        assert_eq!(err.to_string(), "作息时段 periods[0] 的开始时间 12:00 须早于结束时间 08:00");
        assert!(check(vec![p((9, 0), (9, 0))]).is_err());
        assert_eq!(
            check(vec![p((8, 0), (12, 0)), p((12, 0), (13, 0))]),
            Ok(()),
            "touching is fine"
        );
        assert!(
            WorkCalendar::new(WorkSchedule { periods: vec![] }, HolidayTable::default()).is_err()
        );
    }

    #[test]
    fn a_custom_schedule_changes_the_working_day() {
        let schedule: WorkSchedule = serde_json::from_str(
            r#"{"periods":[{"start":"08:30","end":"12:00"},{"start":"13:30","end":"17:30"}]}"#,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&schedule.periods[0]).unwrap(),
            r#"{"start":"08:30","end":"12:00"}"#
        );
        let c = WorkCalendar::new(schedule, HolidayTable::china()).unwrap();
        assert_eq!(c.working_day_ms(), 7 * HOUR_MS + 30 * MINUTE_MS);
        let due = c.deadline(at_local(2026, 11, 18, 8, 30), TimeLimit::work_days(1));
        assert_eq!(show(due), show(at_local(2026, 11, 18, 17, 30)));
        assert!(serde_json::from_str::<WorkPeriod>(r#"{"start":"8点","end":"12:00"}"#).is_err());
    }

    #[test]
    fn holiday_table_rejects_bad_entries() {
        let table = |holidays: &str| {
            HolidayTable::from_json(&format!(
                r#"{{"years":{{"2026":{{"holidays":[{holidays}]}}}}}}"#
            ))
        };
        assert!(
            table(
                r#"{"name":"国庆节","off":["2026-10-01","2026-10-02"],"workdays":["2026-10-10"]}"#
            )
            .is_ok()
        );
        assert_eq!(
            table(r#"{"name":"国庆节","off":["2026-10-01","2026-10-03"]}"#),
            Err(CalendarError::GapInDaysOff { year: 2026, index: 0, date: date(2026, 10, 3) })
        );
        let err = table(r#"{"name":"国庆节","off":["2026-10-01"],"workdays":["2026-10-09"]}"#)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "节假日表 years.2026.holidays[0].workdays 中 2026-10-09 不是周六或周日，无需调休上班"
        );
        assert!(matches!(
            table(r#"{"name":"国庆节","off":["2026-10-10"],"workdays":["2026-10-10"]}"#),
            Err(CalendarError::DuplicateDate { .. })
        ));
        assert_eq!(
            table(r#"{"name":" ","off":["2026-10-01"]}"#),
            Err(CalendarError::NoHolidayName { year: 2026, index: 0 })
        );
        assert_eq!(
            table(r#"{"name":"国庆节","off":[]}"#),
            Err(CalendarError::NoDaysOff { year: 2026, index: 0 })
        );
        assert!(matches!(HolidayTable::from_json("{"), Err(CalendarError::Json(_))));
    }

    /// Instants from 2019-01-01 to 2027-12-31, minute resolution.
    fn instant_2019_2027() -> impl Strategy<Value = Millis> {
        let from = at_local(2019, 1, 1, 0, 0) / MINUTE_MS;
        let to = at_local(2027, 12, 31, 23, 59) / MINUTE_MS;
        (from..=to).prop_map(|m| m * MINUTE_MS)
    }

    /// Day-by-day reference for [`WorkCalendar::working_between`], without any skipping.
    fn naive_between(c: &WorkCalendar, a: Millis, b: Millis) -> i64 {
        let (first, _) = split(a);
        let (last, _) = split(b);
        (first..=last)
            .filter(|&day| c.is_working_day_number(day))
            .flat_map(|day| c.periods.iter().map(move |&(s, e)| (join(day, s), join(day, e))))
            .map(|(s, e)| (e.min(b) - s.max(a)).max(0))
            .sum()
    }

    /// Instants from 2016 to 2030, across both edges of the table.
    fn instant_2016_2030() -> impl Strategy<Value = Millis> {
        let from = at_local(2016, 1, 1, 0, 0) / MINUTE_MS;
        let to = at_local(2030, 12, 31, 23, 59) / MINUTE_MS;
        (from..=to).prop_map(|m| m * MINUTE_MS)
    }

    proptest! {
        #[test]
        fn skipping_agrees_with_the_day_by_day_reference(start in instant_2016_2030(), ms in 0..=400 * 8 * HOUR_MS) {
            let c = cal();
            let due = c.add_working(start, ms);
            prop_assert_eq!(naive_between(&c, start, due), ms);
            prop_assert_eq!(c.working_between(start, due), ms);
            let begin = c.sub_working(start, ms);
            prop_assert_eq!(naive_between(&c, begin, start), ms);
        }

        #[test]
        fn add_then_measure_gives_back_the_amount(start in instant_2019_2027(), ms in 0..=30 * 8 * HOUR_MS) {
            let c = cal();
            let due = c.add_working(start, ms);
            prop_assert!(due >= start);
            prop_assert_eq!(c.working_between(start, due), ms);
            let normal = c.next_working_instant(start);
            prop_assert_eq!(c.working_between(start, normal), 0);
            prop_assert_eq!(c.add_working(normal, ms), if ms == 0 { normal } else { due });
            if ms > 0 {
                prop_assert_eq!(c.sub_working(due, ms), normal);
            }
        }

        #[test]
        fn add_working_is_monotonic(start in instant_2019_2027(), a in 0..=30 * 8 * HOUR_MS, b in 0..=30 * 8 * HOUR_MS) {
            let c = cal();
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(c.add_working(start, lo) <= c.add_working(start, hi));
        }

        #[test]
        fn sub_then_add_returns_to_a_working_end(end in instant_2019_2027(), ms in 1..=30 * 8 * HOUR_MS) {
            let c = cal();
            let begin = c.sub_working(end, ms);
            prop_assert!(begin <= end);
            prop_assert_eq!(c.working_between(begin, end), ms);
            prop_assert!(c.is_working_instant(begin));
            // Walking forward again stops where the working time before `end` ends.
            let back = c.add_working(begin, ms);
            prop_assert!(back <= end);
            prop_assert_eq!(c.working_between(back, end), 0);
        }
    }
}
