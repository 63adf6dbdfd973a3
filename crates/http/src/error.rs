//! Errors as the API answers them: `{"error": {"code", "message", "field"}}` with a stable
//! code and a Chinese message naming the field at fault.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use chengyun_domain::case::{Refusal, RefusalKind};
use chengyun_storage::StoreError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    /// Seconds to wait, for 429.
    pub retry_after: Option<u64>,
    /// Every problem found, when there are several (e.g. one per feature of an import).
    pub details: Option<serde_json::Value>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), field: None, retry_after: None, details: None }
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn invalid(code: &'static str, field: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message).field(field)
    }

    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", "请先登录（缺少或无效的访问令牌）")
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "role_not_allowed", message)
    }

    /// Also what a case outside the asker's scope looks like: its existence is not revealed.
    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("{what}不存在"))
    }

    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "服务器内部错误，请稍后重试")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({"error": {"code": self.code, "message": self.message, "field": self.field}});
        if let Some(details) = self.details {
            body["error"]["details"] = details;
        }
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        let status = match r.kind {
            RefusalKind::Forbidden => StatusCode::FORBIDDEN,
            RefusalKind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
        };
        Self { status, code: r.code, message: r.message, field: r.field, retry_after: None, details: None }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict => Self::new(StatusCode::CONFLICT, "version_conflict", "案件已被他人处理，请刷新后重试")
                .field("expected_version"),
            StoreError::NotFound(what) => Self::not_found(&what),
            StoreError::Duplicate(what) => Self::new(StatusCode::CONFLICT, "duplicate", format!("{what}已存在")),
            other => {
                tracing::error!(error = %other, "storage error");
                Self::internal()
            }
        }
    }
}
