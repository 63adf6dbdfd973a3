//! Why the machine refuses a command. Codes are stable; messages are Chinese and name the field.

use super::action::ActionKind;
use super::model::CaseStatus;

/// The class of a refusal, which the HTTP layer maps to a status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// The actor's roles may not take this action (403).
    Forbidden,
    /// The action is not allowed in the case's state, or its details are not acceptable (422).
    Unprocessable,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Refusal {
    pub kind: RefusalKind,
    /// Stable machine-readable code, e.g. `invalid_state`.
    pub code: &'static str,
    pub message: String,
    /// The request field at fault, if one is.
    pub field: Option<String>,
}

impl Refusal {
    pub fn role(action: ActionKind) -> Self {
        Self {
            kind: RefusalKind::Forbidden,
            code: "role_not_allowed",
            message: format!("当前角色无权执行“{}”操作", action.label()),
            field: None,
        }
    }

    pub fn state(action: ActionKind, status: CaseStatus) -> Self {
        Self {
            kind: RefusalKind::Unprocessable,
            code: "invalid_state",
            message: format!("案件处于“{}”状态，不能执行“{}”操作", status.label(), action.label()),
            field: Some("action".into()),
        }
    }

    pub fn invalid(code: &'static str, field: &str, message: impl Into<String>) -> Self {
        Self { kind: RefusalKind::Unprocessable, code, message: message.into(), field: Some(field.into()) }
    }

    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self { kind: RefusalKind::Forbidden, code, message: message.into(), field: None }
    }
}
