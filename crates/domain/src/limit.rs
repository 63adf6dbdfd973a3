//! 处置时限 — time limits, counted in working time or natural time.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use crate::time::{DAY_MS, HOUR_MS, MINUTE_MS};

/// How a limit is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitUnit {
    /// 工作分钟 — used for 核实/核查 (30 分钟).
    WorkMinutes,
    /// 工作时 — working hours on the working calendar.
    WorkHours,
    /// 工作日 — working days; one working day is one full working schedule (8 h by default).
    WorkDays,
    /// 自然时 — wall-clock hours, for urgent kinds.
    NaturalHours,
    /// 自然日 — wall-clock days.
    NaturalDays,
}

impl LimitUnit {
    pub fn is_working_time(self) -> bool {
        matches!(self, Self::WorkMinutes | Self::WorkHours | Self::WorkDays)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::WorkMinutes => "工作分钟",
            Self::WorkHours => "工作时",
            Self::WorkDays => "工作日",
            Self::NaturalHours => "自然时",
            Self::NaturalDays => "自然日",
        }
    }
}

/// A time limit such as `4工作时`, `2工作日`, `30工作分钟` or `24自然时`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeLimit {
    pub amount: u32,
    pub unit: LimitUnit,
}

impl TimeLimit {
    pub const fn new(amount: u32, unit: LimitUnit) -> Self {
        Self { amount, unit }
    }

    pub const fn work_minutes(amount: u32) -> Self {
        Self::new(amount, LimitUnit::WorkMinutes)
    }

    pub const fn work_hours(amount: u32) -> Self {
        Self::new(amount, LimitUnit::WorkHours)
    }

    pub const fn work_days(amount: u32) -> Self {
        Self::new(amount, LimitUnit::WorkDays)
    }

    pub const fn natural_hours(amount: u32) -> Self {
        Self::new(amount, LimitUnit::NaturalHours)
    }

    pub fn is_working_time(self) -> bool {
        self.unit.is_working_time()
    }

    /// Length in milliseconds: of working time for working units (a working day being
    /// `working_day_ms` long), of wall-clock time otherwise.
    pub fn duration_ms(self, working_day_ms: i64) -> i64 {
        let n = i64::from(self.amount);
        match self.unit {
            LimitUnit::WorkMinutes => n * MINUTE_MS,
            LimitUnit::WorkHours | LimitUnit::NaturalHours => n * HOUR_MS,
            LimitUnit::WorkDays => n * working_day_ms,
            LimitUnit::NaturalDays => n * DAY_MS,
        }
    }
}

impl fmt::Display for TimeLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.amount, self.unit.label())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("无法识别的时限“{0}”，应为如“4工作时”“2工作日”“30工作分钟”“24自然时”的形式")]
pub struct ParseLimitError(pub String);

impl FromStr for TimeLimit {
    type Err = ParseLimitError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let digits_end = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
        let amount: u32 = text[..digits_end].parse().map_err(|_| ParseLimitError(text.into()))?;
        let unit = match text[digits_end..].trim() {
            "工作分钟" | "分钟" => LimitUnit::WorkMinutes,
            "工作时" | "工作小时" => LimitUnit::WorkHours,
            "工作日" => LimitUnit::WorkDays,
            "自然时" | "小时" | "自然小时" => LimitUnit::NaturalHours,
            "自然日" | "天" => LimitUnit::NaturalDays,
            _ => return Err(ParseLimitError(text.into())),
        };
        if amount == 0 {
            return Err(ParseLimitError(text.into()));
        }
        Ok(Self { amount, unit })
    }
}

impl Serialize for TimeLimit {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TimeLimit {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_chinese_limits() {
        for (text, limit) in [
            ("4工作时", TimeLimit::work_hours(4)),
            ("2工作日", TimeLimit::work_days(2)),
            ("30工作分钟", TimeLimit::work_minutes(30)),
            ("24自然时", TimeLimit::natural_hours(24)),
        ] {
            assert_eq!(text.parse::<TimeLimit>().unwrap(), limit);
            assert_eq!(limit.to_string(), text);
        }
        assert!("四工作时".parse::<TimeLimit>().is_err());
        assert!("0工作时".parse::<TimeLimit>().is_err());
        assert!("4周".parse::<TimeLimit>().is_err());
    }

    #[test]
    fn working_days_follow_the_schedule_length() {
        assert_eq!(TimeLimit::work_days(2).duration_ms(8 * HOUR_MS), 16 * HOUR_MS);
        assert_eq!(TimeLimit::natural_hours(2).duration_ms(8 * HOUR_MS), 2 * HOUR_MS);
    }
}
