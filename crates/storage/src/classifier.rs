//! Records of the report classifier (智能分拨): stored model versions and the 受理员's decisions.

use serde::Serialize;

use chengyun_domain::Millis;

/// A stored model version, without its bytes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassifierModelMeta {
    pub version: i64,
    /// Bytes of the serialised model.
    pub size: i64,
    /// JSON of the figures measured on the slice held back from training.
    pub metrics: String,
    /// What it was trained on: `demo` (the demo categories) or `history` (the town's cases).
    pub source: String,
    pub created_at: Millis,
    pub created_by: String,
    pub active: bool,
}

/// A model to store; it gets the next version number.
#[derive(Debug, Clone)]
pub struct NewClassifierModel {
    pub model: Vec<u8>,
    pub metrics: String,
    pub source: String,
    /// Make it the active model in the same transaction.
    pub activate: bool,
    /// Store it only when no version exists yet (a town's first model, which several instances
    /// may race to store).
    pub only_if_none: bool,
}

/// The category a 受理员 settled on for a case, against the suggestion shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseClassification {
    pub case_id: i64,
    pub model_version: Option<i64>,
    pub suggested: Option<String>,
    pub category: String,
    pub accepted: bool,
    pub user_id: i64,
    pub username: String,
    pub created_at: Millis,
}
