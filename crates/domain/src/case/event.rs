//! Events: the immutable record of every step. A case is the fold of its events; each event
//! carries everything the fold needs (deadlines are computed once, when the event is decided),
//! so replaying never depends on today's calendar or category table.

use serde::{Deserialize, Serialize};

use super::action::ActionKind;
use super::model::{CaseFacts, Satisfaction, TaskRole};
use crate::deadline::{Clock, Pause};
use crate::org::Role;
use crate::time::Millis;
use crate::TimeLimit;

/// One step in a case's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// 1-based position in the case's history; equals the case version after applying it.
    pub seq: i64,
    pub at: Millis,
    pub actor_id: i64,
    pub actor_name: String,
    /// The role the action was taken in.
    pub actor_role: Role,
    pub action: ActionKind,
    /// The reason or note given with the action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub change: Change,
}

/// A task created by a dispatch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewTask {
    pub id: u32,
    pub unit: String,
    pub role: TaskRole,
    pub clock: Clock,
}

impl Change {
    /// The one task an event is about, if it is a task's own business (a unit's answer,
    /// request or release). Other units' staff do not see such events.
    pub fn task(&self) -> Option<u32> {
        match self {
            Change::TaskAccepted { task }
            | Change::TaskReturned { task, .. }
            | Change::FedBack { task, .. }
            | Change::TaskReleased { task, .. }
            | Change::ExtensionRequested { task, .. }
            | Change::ExtensionDecided { task, .. } => Some(*task),
            _ => None,
        }
    }
}

/// Which clock of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "clock", content = "task", rename_all = "snake_case")]
pub enum ClockRef {
    Step,
    Overall,
    Task(u32),
}

/// What an event changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    Reported { facts: Box<CaseFacts>, step: Clock, overall: Clock },
    Registered { next: Clock },
    VerificationRequested { next: Clock },
    Verified { confirmed: bool, #[serde(default)] photos: Vec<String>, next: Clock },
    Filed { next: Clock },
    Voided,
    /// New tasks, tasks kept with (possibly new) roles, and open tasks dropped.
    /// `next` starts 派核查 when nothing is left to do (a re-dispatch to units that already fed back).
    Dispatched { tasks: Vec<NewTask>, kept: Vec<(u32, TaskRole)>, cancelled: Vec<u32>, next: Option<Clock> },
    TaskAccepted { task: u32 },
    TaskReturned { task: u32, next: Option<Clock> },
    FedBack { task: u32, text: String, #[serde(default)] photos: Vec<String>, next: Option<Clock> },
    /// A 协办 task let off; `next` starts 派核查 when that leaves nothing to do.
    TaskReleased { task: u32, next: Option<Clock> },
    CheckRequested { next: Clock },
    /// Passed: `next` is the 结案 clock. Failed (返工): `rework` restarts the fed-back tasks.
    Checked { passed: bool, #[serde(default)] photos: Vec<String>, next: Option<Clock>, rework: Vec<(u32, Clock)> },
    Closed,
    ExtensionRequested { task: u32, extra: TimeLimit },
    ExtensionDecided { task: u32, approved: bool, task_clock: Option<Clock>, overall: Option<Clock> },
    HoldRequested,
    /// Approved: every running clock pauses.
    HoldDecided { approved: bool, pauses: Vec<(ClockRef, Pause)> },
    Resumed { clocks: Vec<(ClockRef, Clock)> },
    Urged,
    Merged { into: i64, into_number: String },
    Revisited { satisfaction: Satisfaction },
    Reopened { next: Clock, overall: Clock },
    /// 留言: the text is the event's reason.
    Commented,
    /// 改类: the category and the disposal limit that comes with it (used from the next 派遣 on;
    /// clocks already running keep their deadlines).
    Recategorised { from: String, to: String, disposal_limit: TimeLimit },
}
