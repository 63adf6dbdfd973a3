//! The residents' channel: Open311 GeoReport v2 under `/open311/v2/`, in JSON and XML, with
//! mySociety's `servicerequestupdates`. One endpoint serves every town: `jurisdiction_id` is the
//! town's 9-digit code. Reports become cases through [`crate::intake::submit`] only.

mod keys;
mod params;
mod requests;
mod services;
mod updates;
mod xml;

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::state::AppState;

pub use keys::{issue_key, KeyRequest};

/// Bytes of a request body besides its photo (the form fields and multipart framing).
const FORM_OVERHEAD: usize = 256 * 1024;

pub fn routes(max_upload: usize) -> Router<AppState> {
    Router::new()
        .route("/open311/v2/{file}", get(top).post(top))
        .route("/open311/v2/services/{file}", get(services::definition))
        .route("/open311/v2/requests/{file}", get(requests::one))
        .route("/open311/v2/tokens/{file}", get(requests::token))
        .layer(axum::extract::DefaultBodyLimit::max(max_upload + FORM_OVERHEAD))
}

/// Admin routes: the towns' services and the API keys.
pub fn admin_routes() -> Router<AppState> {
    services::admin_routes().merge(keys::admin_routes())
}

/// The answer format, from the path's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

/// Splits `services.json` into (`services`, Json).
fn split(file: &str) -> Result<(&str, Format), Fail> {
    let (stem, ext) = file.rsplit_once('.').ok_or_else(|| Fail::not_found(Format::Json, "接口"))?;
    let format = match ext {
        "json" => Format::Json,
        "xml" => Format::Xml,
        _ => return Err(Fail::not_found(Format::Json, "格式（仅支持 .json 与 .xml）")),
    };
    Ok((stem, format))
}

async fn top(State(state): State<AppState>, Path(file): Path<String>, request: Request) -> Response {
    let (stem, format) = match split(&file) {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let post = request.method() == axum::http::Method::POST;
    let result = match (stem, post) {
        ("discovery", false) => Ok(discovery(format)),
        ("services", false) => services::list(&state, format, request).await,
        ("requests", false) => requests::list(&state, format, request).await,
        ("requests", true) => requests::create(&state, format, request).await,
        ("servicerequestupdates", false) => updates::list(&state, format, request).await,
        ("servicerequestupdates", true) => updates::create(&state, format, request).await,
        (_, true) => Err(Fail::new(format, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "", "该接口不支持 POST")),
        _ => Err(Fail::not_found(format, "接口")),
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

fn discovery(format: Format) -> Response {
    let body = json!({
        "changeset": "2026-12-03T00:00:00+08:00",
        "contact": "城运中心（城市运行管理中心）",
        "key_service": "API 密钥由城运中心管理员发放（chengyun apikey create）",
        "endpoints": [{
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": "/open311/v2",
            "changeset": "2026-12-03T00:00:00+08:00",
            "type": "production",
            "formats": ["application/json", "text/xml"],
        }],
    });
    answer(format, StatusCode::OK, "discovery", body)
}

/// A document in the asked format with GeoReport's content types.
pub fn answer(format: Format, status: StatusCode, xml_root: &str, body: Value) -> Response {
    let (content_type, text) = match format {
        Format::Json => ("application/json; charset=utf-8", body.to_string()),
        Format::Xml => ("text/xml; charset=utf-8", xml::document(xml_root, &body)),
    };
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))], text).into_response()
}

/// An Open311 error: GeoReport's `code` and `description`, plus chengyun's stable error code and
/// the field at fault.
#[derive(Debug)]
pub struct Fail {
    pub format: Format,
    pub status: StatusCode,
    pub code: &'static str,
    pub field: String,
    pub description: String,
    pub retry_after: Option<u64>,
}

impl Fail {
    pub fn new(format: Format, status: StatusCode, code: &'static str, field: &str, description: impl Into<String>) -> Self {
        Fail { format, status, code, field: field.to_string(), description: description.into(), retry_after: None }
    }

    /// 400 naming the parameter.
    pub fn bad(format: Format, code: &'static str, field: &str, description: impl Into<String>) -> Self {
        Self::new(format, StatusCode::BAD_REQUEST, code, field, description)
    }

    pub fn not_found(format: Format, what: &str) -> Self {
        Self::new(format, StatusCode::NOT_FOUND, "not_found", "", format!("{what}不存在"))
    }

    pub fn forbidden(format: Format, code: &'static str, description: impl Into<String>) -> Self {
        Self::new(format, StatusCode::FORBIDDEN, code, "api_key", description)
    }

    /// An error of the shared API in GeoReport's shape: bad input is 400 as GeoReport has it.
    pub fn from_api(format: Format, e: ApiError) -> Self {
        let status = match e.status {
            StatusCode::UNPROCESSABLE_ENTITY | StatusCode::CONFLICT | StatusCode::UNSUPPORTED_MEDIA_TYPE => StatusCode::BAD_REQUEST,
            other => other,
        };
        Fail { format, status, code: e.code, field: e.field.unwrap_or_default(), description: e.message, retry_after: e.retry_after }
    }
}

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        let error = json!({
            "code": self.status.as_u16(),
            "description": self.description,
            "error_code": self.code,
            "field": (!self.field.is_empty()).then_some(self.field),
        });
        let mut response = answer(self.format, self.status, "errors", json!([error]));
        if let Some(secs) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// `Result` of a handler: the answer or an Open311 error.
pub type Answer = Result<Response, Fail>;

/// Turns the shared API's errors into Open311 errors of a format.
pub trait OrFail<T> {
    fn or_fail(self, format: Format) -> Result<T, Fail>;
}

impl<T> OrFail<T> for Result<T, ApiError> {
    fn or_fail(self, format: Format) -> Result<T, Fail> {
        self.map_err(|e| Fail::from_api(format, e))
    }
}

impl<T> OrFail<T> for Result<T, chengyun_storage::StoreError> {
    fn or_fail(self, format: Format) -> Result<T, Fail> {
        self.map_err(|e| Fail::from_api(format, e.into()))
    }
}
