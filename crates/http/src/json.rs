//! Request bodies: JSON parsed with the path of the field at fault, so every refusal can name it.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON body whose errors name the field.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !is_json {
            return Err(ApiError::new(
                axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "请求体须为 JSON（Content-Type: application/json）",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(e.status(), "payload_too_large", "请求体过大")
            } else {
                ApiError::bad_request("invalid_body", "无法读取请求体")
            }
        })?;
        parse(&bytes).map(JsonBody)
    }
}

/// Parses JSON: syntax errors are 400 `invalid_json`, wrong or missing fields 422 `invalid_field`.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request("invalid_json", format!("JSON 格式错误（第{}行第{}列）", e.line(), e.column())))?;
    from_value(value)
}

/// Converts a JSON value, naming the field at fault.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.inner().to_string();
        // A missing field has no path of its own: name it from the message.
        let missing = inner.strip_prefix("missing field `").and_then(|r| r.split('`').next());
        let field = match (path.as_str(), missing) {
            (".", Some(name)) => name.to_string(),
            (".", None) => String::new(),
            (p, Some(name)) => format!("{p}.{name}"),
            (p, None) => p.to_string(),
        };
        let detail = translate(&inner);
        let message = if field.is_empty() { format!("请求内容有误：{detail}") } else { format!("字段 {field} 有误：{detail}") };
        let err = ApiError::invalid("invalid_field", &field, message);
        if field.is_empty() { ApiError { field: None, ..err } } else { err }
    })
}

/// serde's English, in Chinese.
fn translate(msg: &str) -> String {
    if let Some(rest) = msg.strip_prefix("missing field `") {
        return format!("缺少必填字段 {}", rest.trim_end_matches('`'));
    }
    if let Some(rest) = msg.strip_prefix("unknown variant `") {
        let value = rest.split('`').next().unwrap_or_default();
        let expected = msg.split("expected").nth(1).unwrap_or_default().trim();
        return format!("取值“{value}”无效，应为 {expected}");
    }
    if msg.starts_with("invalid type") {
        return format!("类型不正确（{msg}）");
    }
    msg.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        inner: Inner,
    }
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Inner {
        lon: f64,
    }

    #[test]
    fn errors_name_the_field() {
        let e = parse::<Body>(br#"{"name": "x", "inner": {"lon": "east"}}"#).unwrap_err();
        assert_eq!((e.code, e.field.as_deref()), ("invalid_field", Some("inner.lon")));
        let e = parse::<Body>(br#"{"inner": {"lon": 1}}"#).unwrap_err();
        assert!(e.message.contains("缺少必填字段 name"), "{}", e.message);
        assert_eq!(e.field.as_deref(), Some("name"));
        let e = parse::<Body>(br#"{"name": "x", "inner": {}}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("inner.lon"));
        let e = parse::<Body>(b"{not json").unwrap_err();
        assert_eq!((e.status.as_u16(), e.code), (400, "invalid_json"));
    }
}
