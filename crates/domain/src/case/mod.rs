//! The closed loop (闭环) of a case, GB/T 30428 practice: 上报 → 受理 → (核实) → 立案 or 作废 →
//! 派遣 → 接单 → 处置反馈 → 核查 → 结案 (or 返工), with 退单, 延期, 挂账, 督办, 合并, 回访 and 重办.
//!
//! `decide` turns a command into an event or refuses it; `Case::apply` folds events into state.

mod action;
mod command;
mod decide;
mod event;
mod fold;
mod model;
mod refusal;

pub use action::{rules_markdown, ActionKind, Rule};
pub use command::{Command, NewReport};
pub use decide::{decide, report, Context, MergeTarget, MAX_DESCRIPTION_CHARS, MAX_PHOTOS, MAX_TEXT_CHARS, MAX_UNITS};
pub use event::{Change, ClockRef, Event, NewTask};
pub use fold::FoldError;
pub use model::*;
pub use refusal::{Refusal, RefusalKind};

#[cfg(test)]
mod tests;
