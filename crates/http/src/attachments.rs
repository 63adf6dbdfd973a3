//! Photos: uploaded as raw bytes, checked to be the image type they claim, kept in the database.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use chengyun_storage::NewAttachment;

use crate::access::can_see;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::state::{now_ms, AppState};

pub fn routes(max_upload: usize) -> Router<AppState> {
    Router::new()
        .route("/api/v1/attachments", post(upload).layer(axum::extract::DefaultBodyLimit::max(max_upload)))
        .route("/api/v1/attachments/{id}", get(download))
}

/// The image type the bytes really are, by their magic numbers.
pub(crate) fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else {
        None
    }
}

async fn upload(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", format!("文件过大，最大 {} KB", state.config.max_upload_bytes / 1024))
        } else {
            ApiError::bad_request("invalid_body", "无法读取上传内容")
        }
    })?;
    if body.is_empty() {
        return Err(ApiError::invalid("empty_upload", "body", "上传内容为空"));
    }
    let claimed = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let actual = sniff(&body).ok_or_else(|| {
        ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "仅支持 JPEG、PNG、WebP、GIF 图片")
    })?;
    if claimed != actual {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content_type_mismatch",
            format!("Content-Type 为“{claimed}”，但文件内容为 {actual}"),
        ));
    }
    let mut id_bytes = [0u8; 16];
    getrandom::fill(&mut id_bytes).map_err(|_| ApiError::internal())?;
    let attachment = NewAttachment {
        id: hex::encode(id_bytes),
        content_type: actual.to_string(),
        sha256: hex::encode(Sha256::digest(&body)),
        data: body.to_vec(),
        uploaded_by: actor.user_id,
        created_at: now_ms(),
    };
    let meta = state.store.put_attachment(&attachment).await?;
    Ok((StatusCode::CREATED, Json(json!(meta))))
}

/// The uploader, and whoever may see a case the photo belongs to, may fetch it.
async fn download(State(state): State<AppState>, CurrentUser(actor): CurrentUser, Path(id): Path<String>) -> ApiResult<impl IntoResponse> {
    let (meta, data) = state.store.get_attachment(&id).await?.ok_or_else(|| ApiError::not_found("附件"))?;
    let mut allowed = meta.uploaded_by == actor.user_id;
    if !allowed {
        let reference = state.reference().await?;
        for case_id in state.store.attachment_cases(&id).await? {
            if let Some(case) = state.store.get_case(case_id).await?
                && can_see(&actor, &case, &reference.regions)
            {
                allowed = true;
                break;
            }
        }
    }
    if !allowed {
        return Err(ApiError::not_found("附件"));
    }
    Ok(([(header::CONTENT_TYPE, meta.content_type), (header::CACHE_CONTROL, "private, max-age=86400".to_string())], data))
}

#[cfg(test)]
mod tests {
    #[test]
    fn recognises_images_by_content() {
        assert_eq!(super::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(super::sniff(b"\x89PNG\r\n\x1a\nxxxx"), Some("image/png"));
        assert_eq!(super::sniff(b"<html>"), None);
    }
}
