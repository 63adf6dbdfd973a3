//! `requests` (GET list, POST create), `requests/{id}` and `tokens/{token}`. A service request is
//! a case: its `service_request_id` is the case number, its token the case's internal id.
//! Public answers never carry the reporter's name or phone.

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use chengyun_domain::case::{Case, CaseStatus, Change, CoordSys, Location, Reporter, Source, MAX_DESCRIPTION_CHARS, MAX_PHOTOS};
use chengyun_domain::open311::{public_status, Service};
use chengyun_domain::time::format_local;
use chengyun_places::coord::LonLat;
use chengyun_storage::{CaseQuery, Near, NewAttachment, StoredEvent};

use super::params::{jurisdiction, read, Params};
use super::services::{find, service_name, town_services};
use super::{answer, keys, split, Answer, Fail, Format, OrFail};
use crate::intake::{self, Intake, Submission};
use crate::state::{now_ms, AppState, Reference};

/// Marks the client's `media_url` inside the case description, where the 受理员 sees it.
const MEDIA_MARK: &str = "【图片链接】";
/// Longest `media_url` accepted.
const MAX_URL: usize = 2000;
/// Largest `radius` (metres) of a "near here" query.
const MAX_RADIUS_M: f64 = 20_000.0;
/// Default window of a list without dates: GeoReport's most recent 90 days.
const DEFAULT_DAYS: i64 = 90;

/// The public view of a case as a GeoReport request.
pub fn request_json(case: &Case, services: &[Service], reference: &Reference, events: Option<&[StoredEvent]>) -> Value {
    let (status, notes) = public_status(case.status);
    let (description, media_url) = split_media(&case.facts.description);
    let point = case.facts.placement.as_ref().map(|p| (p.lon, p.lat)).or_else(|| {
        case.facts.location.map(|l| {
            let w = chengyun_places::coord::to_wgs84(LonLat::new(l.lon, l.lat), l.coord_sys);
            (w.lon, w.lat)
        })
    });
    let agency = case.lead_unit().and_then(|u| reference.unit_name(u)).map(str::to_string);
    let mut v = json!({
        "service_request_id": case.facts.number,
        "status": status,
        "status_notes": notes,
        "service_name": service_name(services, reference, &case.facts.category),
        "service_code": case.facts.category,
        "description": description,
        "agency_responsible": agency,
        "service_notice": Value::Null,
        "requested_datetime": format_local(case.created_at),
        "updated_datetime": format_local(case.updated_at),
        "expected_datetime": if status == "open" { json!(format_local(case.overall.due_at)) } else { Value::Null },
        "address": case.facts.address,
        "address_id": Value::Null,
        "zipcode": Value::Null,
        "lat": point.map(|p| p.1),
        "long": point.map(|p| p.0),
        "media_url": media_url,
    });
    if let Some(events) = events {
        v["extended_attributes"] = json!({
            "channel": case.facts.source.label(),
            "case_status": case.status.as_str(),
            "case_status_label": case.status.label(),
            "agency": agency,
            "timeline": events.iter().map(timeline_step).collect::<Vec<_>>(),
        });
    }
    v
}

/// One step of the public timeline: when and what, with the text only of comments and of a
/// unit's 处置反馈 (never internal notes or people's names).
pub fn timeline_step(e: &StoredEvent) -> Value {
    let text = public_text(&e.event.change, e.event.reason.as_deref());
    json!({"datetime": format_local(e.event.at), "action": e.event.action.as_str(), "label": e.event.action.label(), "note": text})
}

pub fn public_text(change: &Change, reason: Option<&str>) -> Option<String> {
    match change {
        Change::Commented => reason.map(str::to_string),
        Change::FedBack { text, .. } => Some(text.clone()),
        _ => None,
    }
}

/// The client's text and the `media_url` it came with.
fn split_media(description: &str) -> (String, Option<String>) {
    match description.rsplit_once(&format!("\n{MEDIA_MARK}")) {
        Some((text, url)) if !url.contains('\n') => (text.to_string(), Some(url.to_string())),
        _ => (description.to_string(), None),
    }
}

/// A case of the town, by number.
async fn case_of_town(state: &AppState, number: &str, town: &str, format: Format) -> Result<Case, Fail> {
    let id = state.store.case_id_by_number(number).await.or_fail(format)?;
    let case = match id {
        Some(id) => state.store.get_case(id).await.or_fail(format)?,
        None => None,
    };
    case.filter(|c| c.facts.region_code.starts_with(town)).ok_or_else(|| Fail::not_found(format, &format!("服务请求“{number}”")))
}

pub async fn one(State(state): State<AppState>, Path(file): Path<String>, request: Request) -> Response {
    async fn run(state: &AppState, file: &str, request: Request) -> Answer {
        let (number, format) = split(file)?;
        let params = read(request, format, 0).await?;
        let reference = state.reference().await.or_fail(format)?;
        let town = jurisdiction(&params, state, &reference, format)?;
        let case = case_of_town(state, number, &town, format).await?;
        let services = town_services(state, &town).await.or_fail(format)?;
        let events = if params.flag("extensions") { Some(state.store.case_events(case.id).await.or_fail(format)?) } else { None };
        let body = request_json(&case, &services, &reference, events.as_deref());
        Ok(answer(format, StatusCode::OK, "service_requests", json!([body])))
    }
    run(&state, &file, request).await.unwrap_or_else(IntoResponse::into_response)
}

pub async fn token(State(state): State<AppState>, Path(file): Path<String>, request: Request) -> Response {
    async fn run(state: &AppState, file: &str, request: Request) -> Answer {
        let (token, format) = split(file)?;
        let params = read(request, format, 0).await?;
        let reference = state.reference().await.or_fail(format)?;
        let town = jurisdiction(&params, state, &reference, format)?;
        let case = match token.parse::<i64>() {
            Ok(id) => state.store.get_case(id).await.or_fail(format)?,
            Err(_) => None,
        };
        let case = case.filter(|c| c.facts.region_code.starts_with(&town)).ok_or_else(|| Fail::not_found(format, &format!("令牌“{token}”")))?;
        Ok(answer(format, StatusCode::OK, "service_requests", json!([{"service_request_id": case.facts.number, "token": token}])))
    }
    run(&state, &file, request).await.unwrap_or_else(IntoResponse::into_response)
}

/// GET `requests`: the town's requests, newest first, with GeoReport's filters and the usual
/// extensions (paging, updated_after/before, lat+long+radius, extensions=true).
pub async fn list(state: &AppState, format: Format, request: Request) -> Answer {
    let params = read(request, format, 0).await?;
    let reference = state.reference().await.or_fail(format)?;
    let town = jurisdiction(&params, state, &reference, format)?;
    let services = town_services(state, &town).await.or_fail(format)?;
    let extensions = params.flag("extensions");
    let mut cases: Vec<Case> = Vec::new();
    if let Some(ids) = params.get("service_request_id") {
        // GeoReport: a list of ids overrides every other filter.
        for number in ids.split(',').map(str::trim).filter(|n| !n.is_empty()).take(200) {
            if let Ok(case) = case_of_town(state, number, &town, format).await {
                cases.push(case);
            }
        }
    } else {
        let query = list_query(&params, &town, format)?;
        for summary in state.store.list_cases(&query).await.or_fail(format)?.items {
            if let Some(case) = state.store.get_case(summary.id).await.or_fail(format)? {
                cases.push(case);
            }
        }
    }
    let mut items = Vec::with_capacity(cases.len());
    for case in &cases {
        let events = if extensions { Some(state.store.case_events(case.id).await.or_fail(format)?) } else { None };
        items.push(request_json(case, &services, &reference, events.as_deref()));
    }
    Ok(answer(format, StatusCode::OK, "service_requests", Value::Array(items)))
}

fn list_query(params: &Params, town: &str, format: Format) -> Result<CaseQuery, Fail> {
    let now = now_ms();
    let mut q = CaseQuery {
        now,
        page: params.int(format, "page", 1, 1_000_000)?,
        page_size: params.int(format, "page_size", 50, 200)?,
        region_prefixes: vec![town.to_string()],
        ..Default::default()
    };
    if let Some(codes) = params.get("service_code") {
        q.categories = codes.split(',').map(str::trim).filter(|c| !c.is_empty()).map(str::to_string).collect();
    }
    if let Some(statuses) = params.get("status") {
        for s in statuses.split(',').map(str::trim) {
            let wanted = match s.to_ascii_lowercase().as_str() {
                "open" => "open",
                "closed" => "closed",
                _ => return Err(Fail::bad(format, "invalid_parameter", "status", format!("参数 status 须为 open 或 closed，收到“{s}”"))),
            };
            q.statuses.extend(CaseStatus::ALL.into_iter().filter(|c| public_status(*c).0 == wanted));
        }
    }
    q.created_from = params.instant(format, "start_date")?;
    q.created_to = params.instant(format, "end_date")?;
    q.updated_from = params.instant(format, "updated_after")?;
    q.updated_to = params.instant(format, "updated_before")?;
    if q.created_from.is_none() && q.created_to.is_none() && q.updated_from.is_none() && q.updated_to.is_none() {
        q.created_from = Some(now - DEFAULT_DAYS * chengyun_domain::time::DAY_MS);
    }
    if let (Some(a), Some(b)) = (q.created_from, q.created_to)
        && a > b
    {
        return Err(Fail::bad(format, "invalid_parameter", "end_date", "结束时间（end_date）不能早于开始时间（start_date）"));
    }
    let (lat, long) = (params.number(format, "lat")?, params.number(format, "long")?);
    let radius = params.number(format, "radius")?;
    match (lat, long, radius) {
        (Some(lat), Some(lon), radius) => {
            check_point(format, lat, lon)?;
            let radius_m = radius.unwrap_or(1000.0);
            if !(radius_m > 0.0 && radius_m <= MAX_RADIUS_M) {
                return Err(Fail::bad(format, "invalid_parameter", "radius", format!("参数 radius 须为 0 至 {MAX_RADIUS_M} 米")));
            }
            q.near = Some(Near { lon, lat, radius_m });
        }
        (None, None, Some(_)) => return Err(Fail::bad(format, "field_required", "lat", "按半径（radius）查询须同时提供 lat 与 long")),
        (Some(_), None, _) => return Err(Fail::bad(format, "field_required", "long", "lat 与 long 须同时提供")),
        (None, Some(_), _) => return Err(Fail::bad(format, "field_required", "lat", "lat 与 long 须同时提供")),
        (None, None, None) => {}
    }
    Ok(q)
}

/// A WGS-84 point in China, or 400 naming the coordinate at fault.
fn check_point(format: Format, lat: f64, lon: f64) -> Result<(), Fail> {
    if !(3.0..=54.0).contains(&lat) {
        return Err(Fail::bad(format, "location_outside_china", "lat", format!("纬度（lat）{lat} 不在中国范围内（3–54），请检查是否与经度填反")));
    }
    if !(73.0..=136.0).contains(&lon) {
        return Err(Fail::bad(format, "location_outside_china", "long", format!("经度（long）{lon} 不在中国范围内（73–136），请检查是否与纬度填反")));
    }
    Ok(())
}

/// POST `requests`: checks everything the client sent, then files the case through intake.
pub async fn create(state: &AppState, format: Format, request: Request) -> Answer {
    let max_photo = state.config.max_upload_bytes;
    let idempotency = intake::idempotency_key(request.headers()).or_fail(format)?;
    let params = read(request, format, max_photo).await?;
    let reference = state.reference().await.or_fail(format)?;
    let town = jurisdiction(&params, state, &reference, format)?;
    let (_key, actor) = keys::client(state, &params, &town, format).await?;

    let code = params.get("service_code").ok_or_else(|| Fail::bad(format, "field_required", "service_code", "请指明服务类型（service_code）"))?;
    let service = find(state, &town, code, format)
        .await?
        .ok_or_else(|| Fail::bad(format, "unknown_service", "service_code", format!("辖区“{town}”未提供服务“{code}”（service_code）")))?;
    let answers = service.check_values(&params.attributes()).map_err(|p| Fail::bad(format, p.code, &p.field, p.message))?;

    let (lat, long) = (params.number(format, "lat")?, params.number(format, "long")?);
    let location = match (lat, long) {
        (Some(lat), Some(lon)) => {
            check_point(format, lat, lon)?;
            Some(Location { lon, lat, coord_sys: CoordSys::Wgs84 })
        }
        (Some(_), None) => return Err(Fail::bad(format, "field_required", "long", "lat 与 long 须同时提供")),
        (None, Some(_)) => return Err(Fail::bad(format, "field_required", "lat", "lat 与 long 须同时提供")),
        (None, None) => None,
    };
    let address = match (params.get("address_string"), params.get("address_id")) {
        (Some(a), _) => Some(a.to_string()),
        (None, Some(id)) => Some(format!("地址编号：{id}")),
        (None, None) => None,
    };
    if location.is_none() && address.is_none() {
        return Err(Fail::bad(format, "location_required", "lat", "须提供位置：lat 与 long、address_string 或 address_id"));
    }
    if let Some(loc) = location {
        check_in_town(state, &reference, loc, &town, format).await?;
    }

    let text = params.get("description").unwrap_or("");
    if text.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(Fail::bad(format, "text_too_long", "description", format!("问题描述（description）不能超过{MAX_DESCRIPTION_CHARS}字，收到{}字", text.chars().count())));
    }
    let media_url = params.get("media_url");
    if let Some(url) = media_url
        && (!(url.starts_with("http://") || url.starts_with("https://")) || url.len() > MAX_URL || url.contains(char::is_whitespace))
    {
        return Err(Fail::bad(format, "invalid_media_url", "media_url", "图片链接（media_url）须为 http(s) 地址，且不超过2000字符"));
    }
    let description = compose(&service, text, &answers, media_url);
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(Fail::bad(format, "text_too_long", "description", format!("问题描述（description）连同属性不能超过{MAX_DESCRIPTION_CHARS}字")));
    }
    if params.uploads.len() > MAX_PHOTOS {
        return Err(Fail::bad(format, "too_many_photos", "media", format!("照片（media）最多{MAX_PHOTOS}张")));
    }
    let mut kinds = Vec::new();
    for upload in &params.uploads {
        let kind = crate::attachments::sniff(&upload.bytes)
            .ok_or_else(|| Fail::new(format, StatusCode::BAD_REQUEST, "unsupported_media_type", "media", "照片（media）仅支持 JPEG、PNG、WebP、GIF 图片（按文件内容识别）"))?;
        kinds.push(kind);
    }
    let reporter = reporter(&params, format)?;
    let idempotency_key = idempotency.or_else(|| device_key(&params, code, &description));

    // Everything checked: store the photos (as the client's user), then file the case.
    let mut photos = Vec::new();
    for (upload, kind) in params.uploads.iter().zip(kinds) {
        let mut id = [0u8; 16];
        getrandom::fill(&mut id).map_err(|_| Fail::from_api(format, crate::ApiError::internal()))?;
        let attachment = NewAttachment {
            id: hex::encode(id),
            content_type: kind.to_string(),
            sha256: hex::encode(Sha256::digest(&upload.bytes)),
            data: upload.bytes.clone(),
            uploaded_by: actor.user_id,
            created_at: now_ms(),
        };
        photos.push(state.store.put_attachment(&attachment).await.or_fail(format)?.id);
    }
    let submission = Submission {
        category: service.code.clone(),
        description,
        source: Source::Public,
        location,
        address,
        region: Some(town.clone()),
        reporter,
        photos,
        idempotency_key,
    };
    let Intake { case, replayed, suspected_duplicates } = intake::submit(state, &actor, submission).await.or_fail(format)?;
    let notice = match suspected_duplicates.first() {
        Some(d) => format!(
            "已收到，案件编号 {}。附近已有同类案件 {}（{}，{}），将一并处理",
            case.facts.number,
            d.number,
            public_status(d.status).1,
            d.status.label()
        ),
        None => format!("案件编号 {}：{}", case.facts.number, public_status(case.status).1),
    };
    let body = json!([{
        "service_request_id": case.facts.number,
        "token": case.id.to_string(),
        "service_notice": notice,
        "account_id": params.get("account_id"),
    }]);
    let status = if replayed { StatusCode::OK } else { StatusCode::CREATED };
    Ok(answer(format, status, "service_requests", body))
}

/// A point inside another town's boundary is refused: the client chose this jurisdiction.
async fn check_in_town(state: &AppState, reference: &Reference, loc: Location, town: &str, format: Format) -> Result<(), Fail> {
    let places = state.places().await.or_fail(format)?;
    let located = crate::places::place(&places, LonLat::new(loc.lon, loc.lat)).and_then(|p| p.region);
    match located {
        Some(code) if !code.starts_with(town) => {
            let name = reference.regions.town_of(&code).map_or(code.clone(), |t| t.name.clone());
            Err(Fail::bad(format, "location_outside_jurisdiction", "lat", format!("坐标位于“{name}”，不在辖区“{town}”（jurisdiction_id）内")))
        }
        _ => Ok(()),
    }
}

/// The case description: the client's text (or the service name), the attribute answers, and
/// the `media_url` on its own marked line.
fn compose(service: &Service, text: &str, answers: &[(String, String)], media_url: Option<&str>) -> String {
    let mut out = if text.is_empty() { service.name.clone() } else { text.to_string() };
    if !answers.is_empty() {
        let lines: Vec<String> = answers.iter().map(|(q, a)| format!("{q}：{a}")).collect();
        out.push_str(&format!("\n【补充信息】{}", lines.join("；")));
    }
    if let Some(url) = media_url {
        out.push_str(&format!("\n{MEDIA_MARK}{url}"));
    }
    out
}

/// 反映人 from GeoReport's name and phone fields (the e-mail has no place in a case).
fn reporter(params: &Params, format: Format) -> Result<Reporter, Fail> {
    let name: String = [params.get("last_name"), params.get("first_name")].into_iter().flatten().collect::<Vec<_>>().join("");
    let phone = params.get("phone").map(str::to_string);
    if let Some(p) = &phone
        && (p.len() > 30 || !p.chars().all(|c| c.is_ascii_digit() || "-+ ()".contains(c)))
    {
        return Err(Fail::bad(format, "invalid_phone", "phone", "联系电话（phone）格式不正确"));
    }
    if name.chars().count() > 50 {
        return Err(Fail::bad(format, "invalid_name", "first_name", "姓名（first_name/last_name）不能超过50字"));
    }
    Ok(Reporter { name: (!name.is_empty()).then_some(name), wants_reply: phone.is_some(), phone })
}

/// Without an `Idempotency-Key` header, a device that sends the same report again (same service
/// and text) is recognised by `device_id`: the key is the device id with a digest of the report.
fn device_key(params: &Params, code: &str, description: &str) -> Option<String> {
    let device = params.get("device_id")?;
    let mut h = Sha256::new();
    for part in [code, description, params.get("lat").unwrap_or(""), params.get("long").unwrap_or(""), params.get("account_id").unwrap_or("")] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    let digest = hex::encode(h.finalize());
    Some(format!("open311:{}:{}", device.chars().take(100).collect::<String>(), &digest[..32]))
}
