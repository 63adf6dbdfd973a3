//! What real clients send: parameters in the query string and in a form body (urlencoded or
//! multipart, with or without a charset), empty values treated as absent, `attribute[CODE]` and
//! `attribute[CODE][]`, and photos in the multipart field `media`.

use std::collections::BTreeMap;

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{header, StatusCode};
use chengyun_domain::region::RegionLevel;

use super::{Fail, Format};
use crate::state::{AppState, Reference};

/// A photo as uploaded: its bytes, type not yet checked.
pub struct Upload {
    pub bytes: Vec<u8>,
}

/// The parameters of one request.
#[derive(Default)]
pub struct Params {
    values: BTreeMap<String, Vec<String>>,
    pub uploads: Vec<Upload>,
}

impl Params {
    fn add(&mut self, key: String, value: String) {
        let value = value.trim().to_string();
        if !value.is_empty() {
            self.values.entry(key).or_default().push(value);
        }
    }

    /// A parameter's value; an empty one counts as absent.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).and_then(|v| v.first()).map(String::as_str)
    }

    /// `attribute[CODE]=v` and `attribute[CODE][]=v1&attribute[CODE][]=v2`, by code.
    pub fn attributes(&self) -> BTreeMap<String, Vec<String>> {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (key, values) in &self.values {
            let Some(rest) = key.strip_prefix("attribute[") else { continue };
            let code = rest.strip_suffix("][]").or_else(|| rest.strip_suffix(']'));
            if let Some(code) = code.filter(|c| !c.is_empty() && !c.contains('[')) {
                out.entry(code.to_string()).or_default().extend(values.iter().cloned());
            }
        }
        out
    }

    /// A number, naming the parameter when it is not one.
    pub fn number(&self, format: Format, key: &str) -> Result<Option<f64>, Fail> {
        self.get(key)
            .map(|v| v.parse::<f64>().ok().filter(|n| n.is_finite()).ok_or_else(|| Fail::bad(format, "invalid_parameter", key, format!("参数 {key} 须为数字，收到“{v}”"))))
            .transpose()
    }

    /// An instant (ISO 8601, any offset), naming the parameter when it is not one.
    pub fn instant(&self, format: Format, key: &str) -> Result<Option<i64>, Fail> {
        self.get(key)
            .map(|v| {
                chengyun_domain::time::parse_instant(v)
                    .ok_or_else(|| Fail::bad(format, "invalid_parameter", key, format!("参数 {key} 须为 ISO 8601 时间，如 2026-12-03T08:00:00+08:00")))
            })
            .transpose()
    }

    /// A whole number in `1..=max`.
    pub fn int(&self, format: Format, key: &str, default: i64, max: i64) -> Result<i64, Fail> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| Fail::bad(format, "invalid_parameter", key, format!("参数 {key} 须为 1 至 {max} 的整数"))),
        }
    }

    pub fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some("true" | "1" | "yes"))
    }
}

/// Reads the query string, and for a POST the form body: `application/x-www-form-urlencoded` or
/// `multipart/form-data` (any charset, or none). Body values come after query values.
pub async fn read(request: Request, format: Format, max_photo: usize) -> Result<Params, Fail> {
    let mut params = Params::default();
    for (k, v) in form_urlencoded::parse(request.uri().query().unwrap_or("").as_bytes()) {
        params.add(k.into_owned(), v.into_owned());
    }
    if request.method() != axum::http::Method::POST {
        return Ok(params);
    }
    let content_type = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let too_large = || {
        Fail::new(format, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "media", format!("请求体过大：照片（media）最大 {} KB", max_photo / 1024))
    };
    if content_type.starts_with("multipart/form-data") {
        let mut multipart = Multipart::from_request(request, &())
            .await
            .map_err(|_| Fail::bad(format, "invalid_multipart", "body", "multipart 请求体格式错误（缺少 boundary）"))?;
        let broken = |e: axum::extract::multipart::MultipartError| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE { too_large() } else { Fail::bad(format, "invalid_multipart", "body", "multipart 请求体格式错误或不完整") }
        };
        while let Some(field) = multipart.next_field().await.map_err(broken)? {
            let name = field.name().unwrap_or("").to_string();
            if name == "media" {
                let bytes = field.bytes().await.map_err(broken)?;
                if bytes.len() > max_photo {
                    return Err(too_large());
                }
                if !bytes.is_empty() {
                    params.uploads.push(Upload { bytes: bytes.to_vec() });
                }
            } else {
                let text = field.text().await.map_err(broken)?;
                params.add(name, text);
            }
        }
    } else if content_type.starts_with("application/x-www-form-urlencoded") || content_type.is_empty() {
        let body = axum::body::Bytes::from_request(request, &()).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE { too_large() } else { Fail::bad(format, "invalid_body", "body", "无法读取请求体") }
        })?;
        for (k, v) in form_urlencoded::parse(&body) {
            params.add(k.into_owned(), v.into_owned());
        }
    } else {
        return Err(Fail::new(
            format,
            StatusCode::BAD_REQUEST,
            "unsupported_media_type",
            "Content-Type",
            "请求体须为 application/x-www-form-urlencoded 或 multipart/form-data",
        ));
    }
    Ok(params)
}

/// The town a request is about: `jurisdiction_id` (a 街镇 code), or the instance's default town
/// when the client names none.
pub fn jurisdiction(params: &Params, state: &AppState, reference: &Reference, format: Format) -> Result<String, Fail> {
    let code = match params.get("jurisdiction_id") {
        Some(code) => code.to_string(),
        None => state
            .config
            .default_region
            .as_deref()
            .and_then(|r| reference.regions.town_of(r))
            .map(|t| t.code.clone())
            .ok_or_else(|| Fail::bad(format, "field_required", "jurisdiction_id", "请指明辖区（jurisdiction_id，街镇的9位区划代码）"))?,
    };
    match reference.regions.get(&code) {
        Some(r) if r.level == RegionLevel::Town => Ok(code),
        _ => Err(Fail::bad(format, "unknown_jurisdiction", "jurisdiction_id", format!("辖区“{code}”不存在（jurisdiction_id 须为街镇的9位区划代码）"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_are_absent_and_attributes_are_gathered() {
        let mut p = Params::default();
        for (k, v) in [("lat", ""), ("attribute[AMOUNT]", "small"), ("attribute[KIND][]", "a"), ("attribute[KIND][]", "b"), ("attribute[]", "x")] {
            p.add(k.into(), v.into());
        }
        assert_eq!(p.get("lat"), None);
        let attrs = p.attributes();
        assert_eq!(attrs["AMOUNT"], ["small"]);
        assert_eq!(attrs["KIND"], ["a", "b"]);
        assert_eq!(attrs.len(), 2);
        assert!(p.number(Format::Json, "x").unwrap().is_none());
    }
}
