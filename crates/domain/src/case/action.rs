//! Actions of the loop: their fixed identifiers, who may take them and in which states.
//! This table is the one place the rules live; `docs/state-machine.md` shows it.

use serde::{Deserialize, Serialize};

use super::model::CaseStatus::{self, *};
use crate::org::Role::{self, *};

/// Every action of the machine. Identifiers are fixed: integrations and tests depend on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// 上报 — creates the case.
    Report,
    /// 受理/案卷建立
    Register,
    /// 派核实
    RequestVerification,
    /// 核实
    Verify,
    /// 立案
    File,
    /// 作废
    Void,
    /// 派遣 (first unit 主办, the rest 协办); also 重新派遣 after 退单.
    Dispatch,
    /// 接单
    AcceptTask,
    /// 退单
    ReturnTask,
    /// 处置反馈
    Feedback,
    /// 释放协办 — the 主办 unit or the dispatcher lets a 协办 unit off its task (联勤联动).
    ReleaseTask,
    /// 派核查
    RequestCheck,
    /// 核查 (passed → 待结案, failed → 返工)
    Check,
    /// 结案
    Close,
    /// 延期申请
    RequestExtension,
    /// 延期审批
    ApproveExtension,
    /// 挂账申请
    RequestHold,
    /// 挂账审批
    ApproveHold,
    /// 恢复 — ends a hold
    Resume,
    /// 督办
    Urge,
    /// 合并 into another case
    Merge,
    /// 回访
    Revisit,
    /// 重办
    Reopen,
    /// 留言 — a note on the case from a channel (the resident's app) or the desk; changes nothing else.
    Comment,
    /// 改类 — the desk corrects the category before a unit is at work on it.
    Recategorise,
}

/// Who may take an action and in which states.
pub struct Rule {
    pub roles: &'static [Role],
    pub states: &'static [CaseStatus],
}

const OPEN_STATES: &[CaseStatus] =
    &[Reported, Registered, Verifying, Filed, Dispatched, Returned, Processed, Checking, Checked, OnHold];
const TASK_STATES: &[CaseStatus] = &[Dispatched, Returned];
/// A resident may still comment on a closed case (e.g. that the problem is back); not on one
/// voided or merged away.
const COMMENT_STATES: &[CaseStatus] =
    &[Reported, Registered, Verifying, Filed, Dispatched, Returned, Processed, Checking, Checked, OnHold, Closed];

impl ActionKind {
    pub const ALL: [ActionKind; 25] = [
        ActionKind::Report,
        ActionKind::Register,
        ActionKind::RequestVerification,
        ActionKind::Verify,
        ActionKind::File,
        ActionKind::Void,
        ActionKind::Dispatch,
        ActionKind::AcceptTask,
        ActionKind::ReturnTask,
        ActionKind::Feedback,
        ActionKind::ReleaseTask,
        ActionKind::RequestCheck,
        ActionKind::Check,
        ActionKind::Close,
        ActionKind::RequestExtension,
        ActionKind::ApproveExtension,
        ActionKind::RequestHold,
        ActionKind::ApproveHold,
        ActionKind::Resume,
        ActionKind::Urge,
        ActionKind::Merge,
        ActionKind::Revisit,
        ActionKind::Reopen,
        ActionKind::Comment,
        ActionKind::Recategorise,
    ];

    pub fn rule(self) -> Rule {
        let (roles, states): (&'static [Role], &'static [CaseStatus]) = match self {
            ActionKind::Report => (&[Inspector, Operator, ShiftLead, Leader, Channel], &[]),
            ActionKind::Register => (&[Operator, ShiftLead], &[Reported]),
            ActionKind::RequestVerification => (&[Operator, ShiftLead], &[Registered]),
            ActionKind::Verify => (&[Inspector], &[Verifying]),
            ActionKind::File => (&[ShiftLead], &[Registered]),
            ActionKind::Void => (&[ShiftLead], &[Reported, Registered, Filed, Returned]),
            ActionKind::Dispatch => (&[Dispatcher], &[Filed, Returned]),
            ActionKind::AcceptTask => (&[Handler], TASK_STATES),
            ActionKind::ReturnTask => (&[Handler], TASK_STATES),
            ActionKind::Feedback => (&[Handler], TASK_STATES),
            ActionKind::ReleaseTask => (&[Dispatcher, Handler], &[Dispatched]),
            ActionKind::RequestCheck => (&[Operator, ShiftLead], &[Processed]),
            ActionKind::Check => (&[Inspector], &[Checking]),
            ActionKind::Close => (&[ShiftLead], &[Checked]),
            ActionKind::RequestExtension => (&[Handler], TASK_STATES),
            ActionKind::ApproveExtension => (&[Dispatcher], TASK_STATES),
            ActionKind::RequestHold => (&[Handler], TASK_STATES),
            ActionKind::ApproveHold => (&[Dispatcher], TASK_STATES),
            ActionKind::Resume => (&[Dispatcher, ShiftLead], &[OnHold]),
            ActionKind::Urge => (&[Leader, ShiftLead, Dispatcher], OPEN_STATES),
            ActionKind::Merge => (&[Operator, ShiftLead], &[Reported, Registered, Verifying, Filed]),
            ActionKind::Revisit => (&[Operator], &[Closed]),
            ActionKind::Reopen => (&[ShiftLead], &[Closed]),
            ActionKind::Comment => (&[Channel, Operator, ShiftLead], COMMENT_STATES),
            ActionKind::Recategorise => (&[Operator, ShiftLead, Dispatcher], &[Reported, Registered, Verifying, Filed, Returned]),
        };
        Rule { roles, states }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Report => "report",
            ActionKind::Register => "register",
            ActionKind::RequestVerification => "request_verification",
            ActionKind::Verify => "verify",
            ActionKind::File => "file",
            ActionKind::Void => "void",
            ActionKind::Dispatch => "dispatch",
            ActionKind::AcceptTask => "accept_task",
            ActionKind::ReturnTask => "return_task",
            ActionKind::Feedback => "feedback",
            ActionKind::ReleaseTask => "release_task",
            ActionKind::RequestCheck => "request_check",
            ActionKind::Check => "check",
            ActionKind::Close => "close",
            ActionKind::RequestExtension => "request_extension",
            ActionKind::ApproveExtension => "approve_extension",
            ActionKind::RequestHold => "request_hold",
            ActionKind::ApproveHold => "approve_hold",
            ActionKind::Resume => "resume",
            ActionKind::Urge => "urge",
            ActionKind::Merge => "merge",
            ActionKind::Revisit => "revisit",
            ActionKind::Reopen => "reopen",
            ActionKind::Comment => "comment",
            ActionKind::Recategorise => "recategorise",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ActionKind::Report => "上报",
            ActionKind::Register => "受理",
            ActionKind::RequestVerification => "派核实",
            ActionKind::Verify => "核实",
            ActionKind::File => "立案",
            ActionKind::Void => "作废",
            ActionKind::Dispatch => "派遣",
            ActionKind::AcceptTask => "接单",
            ActionKind::ReturnTask => "退单",
            ActionKind::Feedback => "处置反馈",
            ActionKind::ReleaseTask => "释放协办",
            ActionKind::RequestCheck => "派核查",
            ActionKind::Check => "核查",
            ActionKind::Close => "结案",
            ActionKind::RequestExtension => "延期申请",
            ActionKind::ApproveExtension => "延期审批",
            ActionKind::RequestHold => "挂账申请",
            ActionKind::ApproveHold => "挂账审批",
            ActionKind::Resume => "恢复办理",
            ActionKind::Urge => "督办",
            ActionKind::Merge => "合并",
            ActionKind::Revisit => "回访",
            ActionKind::Reopen => "重办",
            ActionKind::Comment => "留言",
            ActionKind::Recategorise => "改类",
        }
    }

    pub fn parse(s: &str) -> Option<ActionKind> {
        ActionKind::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The role under which `roles` may take this action, if any (the first allowed one).
    pub fn acting_role(self, roles: &[Role]) -> Option<Role> {
        let rule = self.rule();
        roles.iter().copied().find(|r| rule.roles.contains(r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_fixed_and_round_trip() {
        let ids: Vec<_> = ActionKind::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(
            ids,
            [
                "report", "register", "request_verification", "verify", "file", "void", "dispatch",
                "accept_task", "return_task", "feedback", "release_task", "request_check", "check", "close",
                "request_extension", "approve_extension", "request_hold", "approve_hold", "resume",
                "urge", "merge", "revisit", "reopen", "comment", "recategorise"
            ]
        );
        for a in ActionKind::ALL {
            assert_eq!(ActionKind::parse(a.as_str()), Some(a));
            assert_eq!(serde_json::to_value(a).unwrap(), a.as_str());
            assert!(!a.rule().roles.is_empty());
        }
    }
}

/// The rules as a Markdown table (the one in `docs/state-machine.md`).
pub fn rules_markdown() -> String {
    let mut out = String::from("| action | 操作 | roles | allowed in states |\n|---|---|---|---|\n");
    for a in ActionKind::ALL {
        let rule = a.rule();
        let roles: Vec<String> = rule.roles.iter().map(|r| format!("`{}` {}", r.as_str(), r.label())).collect();
        let states: Vec<String> = if rule.states.is_empty() {
            vec!["— (creates the case)".into()]
        } else {
            rule.states.iter().map(|s| format!("`{}`", s.as_str())).collect()
        };
        out.push_str(&format!("| `{}` | {} | {} | {} |\n", a.as_str(), a.label(), roles.join(", "), states.join(", ")));
    }
    out
}

#[cfg(test)]
mod doc_tests {
    #[test]
    fn the_documented_table_is_the_code() {
        let doc = include_str!("../../../../docs/state-machine.md");
        assert!(doc.contains(&super::rules_markdown()), "docs/state-machine.md is stale; paste rules_markdown() into it");
    }
}
