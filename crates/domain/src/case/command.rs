//! Commands: what a user asks for. The JSON body of `POST /cases/{id}/actions` is a command
//! (`{"action": "dispatch", "units": [...]}`) plus `expected_version`.

use serde::{Deserialize, Serialize};

use super::action::ActionKind;
use super::model::{Location, Placement, Reporter, Satisfaction, Source};
use crate::TimeLimit;

/// A new report (上报).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewReport {
    pub category: String,
    pub description: String,
    pub source: Source,
    pub region_code: String,
    pub address: Option<String>,
    pub location: Option<Location>,
    /// Filled by the platform from `location` and the boundaries (never by the reporter).
    pub placement: Option<Placement>,
    pub reporter: Reporter,
    pub photos: Vec<String>,
}

/// An action on an existing case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Command {
    Register {
        #[serde(default)]
        note: Option<String>,
    },
    RequestVerification {
        #[serde(default)]
        note: Option<String>,
    },
    Verify {
        /// The problem is real (属实).
        confirmed: bool,
        #[serde(default)]
        note: Option<String>,
        #[serde(default)]
        photos: Vec<String>,
    },
    File {
        #[serde(default)]
        note: Option<String>,
    },
    Void {
        reason: String,
    },
    Dispatch {
        /// Unit codes; the first leads (主办), the others assist (协办). Left empty, the
        /// platform takes the 责任清单's proposal.
        #[serde(default)]
        units: Vec<String>,
        #[serde(default)]
        note: Option<String>,
    },
    AcceptTask {
        #[serde(default)]
        note: Option<String>,
    },
    ReturnTask {
        reason: String,
    },
    Feedback {
        text: String,
        #[serde(default)]
        photos: Vec<String>,
    },
    /// 释放协办: a 协办 task that is no longer needed.
    ReleaseTask {
        task: u32,
        reason: String,
    },
    RequestCheck {
        #[serde(default)]
        note: Option<String>,
    },
    Check {
        passed: bool,
        #[serde(default)]
        note: Option<String>,
        #[serde(default)]
        photos: Vec<String>,
    },
    Close {
        #[serde(default)]
        note: Option<String>,
    },
    RequestExtension {
        /// Extra time, e.g. `1工作日`.
        extra: TimeLimit,
        reason: String,
    },
    ApproveExtension {
        /// The task whose request is decided; may be left out when only one is pending.
        #[serde(default)]
        task: Option<u32>,
        #[serde(default = "approve")]
        approved: bool,
        #[serde(default)]
        note: Option<String>,
    },
    RequestHold {
        reason: String,
    },
    ApproveHold {
        #[serde(default = "approve")]
        approved: bool,
        #[serde(default)]
        note: Option<String>,
    },
    Resume {
        #[serde(default)]
        note: Option<String>,
    },
    Urge {
        #[serde(default)]
        note: Option<String>,
    },
    Merge {
        /// The case (id) this one duplicates.
        into: i64,
        #[serde(default)]
        note: Option<String>,
    },
    Revisit {
        satisfaction: Satisfaction,
        #[serde(default)]
        note: Option<String>,
    },
    Reopen {
        reason: String,
    },
    /// 留言: a note recorded on the case.
    Comment {
        text: String,
    },
    /// 改类: the category code the case really belongs to.
    Recategorise {
        category: String,
        reason: String,
    },
}

fn approve() -> bool {
    true
}

impl Command {
    pub fn kind(&self) -> ActionKind {
        match self {
            Command::Register { .. } => ActionKind::Register,
            Command::RequestVerification { .. } => ActionKind::RequestVerification,
            Command::Verify { .. } => ActionKind::Verify,
            Command::File { .. } => ActionKind::File,
            Command::Void { .. } => ActionKind::Void,
            Command::Dispatch { .. } => ActionKind::Dispatch,
            Command::AcceptTask { .. } => ActionKind::AcceptTask,
            Command::ReturnTask { .. } => ActionKind::ReturnTask,
            Command::Feedback { .. } => ActionKind::Feedback,
            Command::ReleaseTask { .. } => ActionKind::ReleaseTask,
            Command::RequestCheck { .. } => ActionKind::RequestCheck,
            Command::Check { .. } => ActionKind::Check,
            Command::Close { .. } => ActionKind::Close,
            Command::RequestExtension { .. } => ActionKind::RequestExtension,
            Command::ApproveExtension { .. } => ActionKind::ApproveExtension,
            Command::RequestHold { .. } => ActionKind::RequestHold,
            Command::ApproveHold { .. } => ActionKind::ApproveHold,
            Command::Resume { .. } => ActionKind::Resume,
            Command::Urge { .. } => ActionKind::Urge,
            Command::Merge { .. } => ActionKind::Merge,
            Command::Revisit { .. } => ActionKind::Revisit,
            Command::Reopen { .. } => ActionKind::Reopen,
            Command::Comment { .. } => ActionKind::Comment,
            Command::Recategorise { .. } => ActionKind::Recategorise,
        }
    }

    /// The free text recorded as the event's reason.
    pub fn reason(&self) -> Option<&str> {
        let text = match self {
            Command::Void { reason }
            | Command::ReturnTask { reason }
            | Command::ReleaseTask { reason, .. }
            | Command::RequestExtension { reason, .. }
            | Command::RequestHold { reason }
            | Command::Reopen { reason }
            | Command::Recategorise { reason, .. } => Some(reason),
            Command::Feedback { text, .. } | Command::Comment { text } => Some(text),
            Command::Register { note }
            | Command::RequestVerification { note }
            | Command::Verify { note, .. }
            | Command::File { note }
            | Command::Dispatch { note, .. }
            | Command::AcceptTask { note }
            | Command::RequestCheck { note }
            | Command::Check { note, .. }
            | Command::Close { note }
            | Command::ApproveExtension { note, .. }
            | Command::ApproveHold { note, .. }
            | Command::Resume { note }
            | Command::Urge { note }
            | Command::Merge { note, .. }
            | Command::Revisit { note, .. } => note.as_ref(),
        };
        text.map(String::as_str).map(str::trim).filter(|t| !t.is_empty())
    }

    /// Unit codes the command names, for the caller to check they exist.
    pub fn unit_codes(&self) -> &[String] {
        match self {
            Command::Dispatch { units, .. } => units,
            _ => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_json() {
        let c: Command = serde_json::from_str(r#"{"action":"dispatch","units":["a-1","b-2"]}"#).unwrap();
        assert_eq!(c.kind(), ActionKind::Dispatch);
        assert_eq!(c.unit_codes(), ["a-1", "b-2"]);
        let c: Command = serde_json::from_str(r#"{"action":"check","passed":false,"note":" 未整改 "}"#).unwrap();
        assert_eq!(c.reason(), Some("未整改"));
        let c: Command = serde_json::from_str(r#"{"action":"request_extension","extra":"1工作日","reason":"需采购配件"}"#).unwrap();
        assert_eq!(c, Command::RequestExtension { extra: TimeLimit::work_days(1), reason: "需采购配件".into() });
        assert!(serde_json::from_str::<Command>(r#"{"action":"fly"}"#).is_err());
        assert!(serde_json::from_str::<Command>(r#"{"action":"void"}"#).is_err(), "void needs a reason");
    }
}
