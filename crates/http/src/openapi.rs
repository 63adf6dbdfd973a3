//! The OpenAPI 3.1 document of `/api/v1`, served at `/api/v1/openapi.json`. Written out here
//! rather than derived, so that it reads as the contract; a test checks that every documented
//! operation exists in the router.

use serde_json::{json, Map, Value};

use chengyun_domain::case::{ActionKind, CaseStatus, Source};
use chengyun_domain::org::Role;

fn error_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

fn op(tag: &str, summary: &str, auth: bool, body: Option<Value>, ok: (&str, &str), errors: &[(&str, &str)]) -> Value {
    let mut responses = Map::new();
    responses.insert(ok.0.into(), json!({"description": ok.1, "content": {"application/json": {}}}));
    if auth {
        responses.insert("401".into(), error_response("未登录或令牌无效"));
    }
    for (code, d) in errors {
        responses.insert((*code).into(), error_response(d));
    }
    let mut o = json!({"tags": [tag], "summary": summary, "responses": responses});
    if auth {
        o["security"] = json!([{"bearer": []}]);
    }
    if let Some(schema) = body {
        o["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": schema}}});
    }
    o
}

fn id_param() -> Value {
    json!([{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}])
}

fn enum_of<T: Copy>(items: &[T], name: impl Fn(T) -> &'static str) -> Value {
    json!(items.iter().map(|x| name(*x)).collect::<Vec<_>>())
}

fn code_param() -> Value {
    json!([{"name": "code", "in": "path", "required": true, "schema": {"type": "string"}, "description": "区划代码"}])
}

/// Places and the 责任清单 (kept apart so the main literal stays readable).
fn places_paths() -> Vec<(&'static str, Value)> {
    let q = |name: &str, required: bool, d: &str| json!({"name": name, "in": "query", "required": required, "schema": {"type": "string"}, "description": d});
    let out = q("out_coord_sys", false, "返回坐标所用坐标系：wgs84（缺省）、cgcs2000、gcj02、bd09");
    let with = |mut o: Value, params: Vec<Value>| {
        o["parameters"] = Value::Array(params);
        o
    };
    let csv = json!({"text/csv": {"schema": {"type": "string"}}});
    let mut import_csv = op("责任清单", "导入责任清单 CSV（UTF-8 或 GB18030），整体替换 region 范围内的规则，全部成功或全部不导入", true, None, ("200", "{imported, removed}"), &[("403", "非管理员"), ("422", "invalid_csv：details 列出每一行的错误")]);
    import_csv["requestBody"] = json!({"required": true, "content": csv.clone()});
    import_csv["parameters"] = json!([q("region", false, "替换范围（区划代码，缺省为全部）")]);
    let mut import_geo = op("区划", "导入区划边界（RFC 7946 GeoJSON FeatureCollection），全部成功或全部不导入", true, None, ("200", "{imported, regions}"), &[("403", "非管理员"), ("413", "文件过大"), ("422", "invalid_geojson：details 列出每个要素的错误（features[N]）")]);
    import_geo["requestBody"] = json!({"required": true, "content": {"application/geo+json": {}, "application/json": {}}});
    import_geo["parameters"] = json!([
        q("level", true, "district、town、area、village 或 grid"), q("code_property", true, "保存区划代码的要素属性"),
        q("name_property", true, "保存名称的要素属性"), q("parent", false, "全部要素的上级区划（缺省按代码推断）"),
        q("crs", false, "文件坐标系：wgs84（缺省）、cgcs2000、gcj02、bd09")]);
    let mut export_csv = op("责任清单", "导出责任清单 CSV（UTF-8 带 BOM，可用 Excel 打开）", true, None, ("200", "CSV"), &[("403", "无权查看")]);
    export_csv["responses"]["200"]["content"] = csv;
    export_csv["parameters"] = json!([q("region", false, "区划代码（含下级）")]);
    let rule = json!({"type": "object", "required": ["category", "region", "lead"], "properties": {
        "category": {"type": "string", "description": "类别代码、大类（如 SJ-01、06）或 *"},
        "region": {"type": "string", "description": "规则所在区划，对下级整体生效，可被下级覆盖"},
        "lead": {"type": "string", "description": "主办单位编码"}, "assists": {"type": "array", "items": {"type": "string"}, "description": "协办单位编码"},
        "auto_dispatch": {"type": "boolean", "description": "立案后自动派遣"}, "note": {"type": "string"}}});
    vec![
        ("/api/v1/locate", json!({"get": with(op("区划", "坐标定位：点 → 单元网格 → 村/居 → 街镇", true, None, ("200", "{point, outcome, region, chain, flag, message}"), &[("422", "坐标或坐标系不合法")]),
            vec![q("lon", true, "经度"), q("lat", true, "纬度"), q("coord_sys", true, "wgs84、cgcs2000、gcj02 或 bd09"), out.clone()])})),
        ("/api/v1/regions/{code}", json!({"get": with(op("区划", "区划详情：上级链、下级、边界（面积、中心点、是否示意）", true, None, ("200", "区划"), &[("404", "区划不存在")]),
            [code_param().as_array().unwrap().clone(), vec![out.clone()]].concat())})),
        ("/api/v1/regions/{code}/geojson", json!({"get": with(op("区划", "下级（或本级）边界 GeoJSON，供地图使用", true, None, ("200", "FeatureCollection"), &[("404", "区划不存在")]),
            [code_param().as_array().unwrap().clone(), vec![q("children", false, "true（缺省）：下级边界；false：本级"), q("simplify", false, "简化容差（米）"), out]].concat())})),
        ("/api/v1/admin/regions/import", json!({"post": import_geo})),
        ("/api/v1/cases/{id}/similar", json!({"get": with(op("案件", "疑似重复案件：同类别、时间与地点相近的未结案件，按文本相似度、距离、时间综合评分（受理员、值班长、派遣员）", true, None, ("200", "{case_id, params, items: [案件行 + similarity {score, text, place, time, distance_m, hours_apart}]}"), &[("403", "角色无权查看"), ("404", "案件不存在或不在数据范围内"), ("422", "limit 不合法")]),
            [id_param().as_array().unwrap().clone(), vec![q("limit", false, "条数，1–50，缺省 10")]].concat())})),
        ("/api/v1/admin/similar-cases", json!({
            "get": op("基础数据", "疑似重复案件参数（管理员）", true, None, ("200", "{radius_m, window_hours, threshold, text_weight, place_weight, time_weight}"), &[("403", "非管理员")]),
            "put": op("基础数据", "修改疑似重复案件参数（管理员，记入审计）", true, Some(json!({"type": "object", "properties": {
                "radius_m": {"type": "number", "description": "半径（米），缺省 300"}, "window_hours": {"type": "number", "description": "前后时间窗（小时），缺省 72"},
                "threshold": {"type": "number", "description": "最低综合分 0–1，缺省 0.5"}, "text_weight": {"type": "number"}, "place_weight": {"type": "number"}, "time_weight": {"type": "number"}}})),
                ("200", "参数"), &[("403", "非管理员"), ("422", "参数不合法")])})),
        ("/api/v1/cases/{id}/routing", json!({"get": with(op("责任清单", "案件的派遣建议：主办、协办及所依据的规则；无规则时说明原因", true, None, ("200", "{lead, assists, auto_dispatch, rule, explanation}"), &[("404", "案件不存在或不在数据范围内")]), id_param().as_array().unwrap().clone())})),
        ("/api/v1/admin/routing-rules", json!({
            "get": with(op("责任清单", "责任清单规则（管理员、派遣员、值班长）", true, None, ("200", "{items, total}"), &[("403", "无权查看")]), vec![q("region", false, "区划代码（含下级）"), q("category", false, "类别键")]),
            "put": op("责任清单", "新增或修改一条规则（管理员）", true, Some(rule), ("200", "规则"), &[("403", "非管理员"), ("422", "类别、区划或单位不合法")]),
            "delete": with(op("责任清单", "删除一条规则（管理员）", true, None, ("204", "已删除"), &[("403", "非管理员"), ("404", "规则不存在")]), vec![q("category", true, "类别键"), q("region", true, "区划代码")])})),
        ("/api/v1/admin/routing-rules.csv", json!({"get": export_csv, "post": import_csv})),
    ]
}

/// The residents' channel: Open311 GeoReport v2 (each also as `.xml`) and its administration.
fn open311_paths() -> Vec<(&'static str, Value)> {
    let q = |name: &str, d: &str| json!({"name": name, "in": "query", "required": false, "schema": {"type": "string"}, "description": d});
    let town = q("jurisdiction_id", "街镇9位区划代码；缺省为实例默认街镇");
    let o311 = |summary: &str, ok: &str, errors: &[(&str, &str)], params: Vec<Value>| {
        let mut responses = Map::new();
        responses.insert("200".into(), json!({"description": ok, "content": {"application/json; charset=utf-8": {}, "text/xml; charset=utf-8": {}}}));
        for (code, d) in errors {
            responses.insert((*code).into(), json!({"description": format!("{d}（GeoReport 错误：[{{code, description, error_code, field}}] 或 <errors><error>…）")}));
        }
        json!({"tags": ["Open311"], "summary": summary, "parameters": params, "responses": responses})
    };
    let path_param = |name: &str| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}});
    let form = json!({"application/x-www-form-urlencoded": {}, "multipart/form-data": {"schema": {"type": "object", "properties": {"media": {"type": "string", "format": "binary", "description": "照片（JPEG/PNG/WebP/GIF，按内容识别）"}}}}});
    let mut create = o311("提交服务请求（上报为案件，来源“市民上报”）；须 api_key", "[{service_request_id, token, service_notice, account_id}]（201 新建，200 重放）",
        &[("400", "参数不合法（字段见 field）"), ("403", "api_key 缺失、无效、已吊销或无权该辖区"), ("413", "照片过大"), ("429", "超过该密钥每分钟上限")], vec![]);
    create["requestBody"] = json!({"required": true, "content": form.clone()});
    let mut comment = o311("对服务请求留言（记为案件“留言”事件）；须 api_key", "[{update_id}]", &[("400", "参数不合法"), ("403", "api_key 无效或无权"), ("404", "服务请求不存在")], vec![]);
    comment["requestBody"] = json!({"required": true, "content": form});
    let admin = |summary: &str, body: Option<Value>, ok: (&str, &str)| op("Open311 管理", summary, true, body, ok, &[("403", "非管理员"), ("422", "参数不合法")]);
    vec![
        ("/open311/v2/discovery.json", json!({"get": o311("服务发现", "discovery", &[], vec![])})),
        ("/open311/v2/services.json", json!({"get": o311("辖区提供的公开服务类别", "[service]", &[("400", "辖区不存在")], vec![town.clone()])})),
        ("/open311/v2/services/{service_code}.json", json!({"get": o311("服务定义（属性）", "service_definition", &[("400", "辖区不存在"), ("404", "服务不存在")], vec![path_param("service_code"), town.clone()])})),
        ("/open311/v2/requests.json", json!({
            "get": o311("服务请求列表（最新在前）", "[request]", &[("400", "参数不合法")], vec![town.clone(),
                q("service_request_id", "编号，逗号分隔（优先于其他条件）"), q("service_code", "服务编码，逗号分隔"), q("status", "open、closed，逗号分隔"),
                q("start_date", "上报时间起"), q("end_date", "上报时间止"), q("updated_after", "更新时间起"), q("updated_before", "更新时间止"),
                q("lat", "纬度（WGS-84）"), q("long", "经度（WGS-84）"), q("radius", "半径（米，缺省1000，最大20000）"),
                q("page", "页码"), q("page_size", "每页条数（缺省50，最多200）"), q("extensions", "true：附 extended_attributes（渠道、处置单位、流转）")]),
            "post": create})),
        ("/open311/v2/requests/{id}.json", json!({"get": o311("单个服务请求（数组）", "[request]", &[("404", "不存在或不属于该辖区")], vec![path_param("id"), town.clone(), q("extensions", "true：附流转")])})),
        ("/open311/v2/tokens/{token}.json", json!({"get": o311("由令牌查服务请求编号", "[{service_request_id, token}]", &[("404", "令牌不存在")], vec![path_param("token"), town.clone()])})),
        ("/open311/v2/servicerequestupdates.json", json!({
            "get": o311("服务请求的更新（mySociety 扩展）", "[request_update]", &[("400", "时间窗口不合法")], vec![town, q("start_date", "起（缺省为 end_date 前24小时）"), q("end_date", "止（缺省为现在）")]),
            "post": comment})),
        ("/api/v1/admin/apikeys", json!({
            "get": admin("API 密钥列表（不含密钥本身）", None, ("200", "{items}")),
            "post": admin("新建 API 密钥（密钥仅此一次返回）", Some(json!({"type": "object", "required": ["name", "jurisdictions"], "properties": {
                "name": {"type": "string"}, "jurisdictions": {"type": "array", "items": {"type": "string"}}, "rate_per_minute": {"type": "integer"}}})), ("201", "{id, name, jurisdictions, key, …}"))})),
        ("/api/v1/admin/apikeys/{id}", json!({"delete": with_params(admin("吊销 API 密钥", None, ("204", "已吊销")), id_param())})),
        ("/api/v1/admin/open311/services", json!({"get": with_params(admin("某街镇的 Open311 服务", None, ("200", "{items}")), json!([q("jurisdiction", "街镇区划代码")]))})),
        ("/api/v1/admin/open311/services/{town}/{code}", json!({
            "put": admin("新增或修改某街镇的一项服务（code 为案件类别编码）", Some(json!({"type": "object", "required": ["code", "name"]})), ("200", "服务")),
            "delete": admin("删除某街镇的一项服务", None, ("204", "已删除"))})),
    ]
}

fn with_params(mut o: Value, params: Value) -> Value {
    o["parameters"] = params;
    o
}

/// The document.
pub fn document() -> Value {
    let mut doc = base_document();
    for (path, item) in places_paths().into_iter().chain(open311_paths()).chain(classifier_paths()) {
        doc["paths"][path] = item;
    }
    doc
}

/// `POST /api/v1/cases`: 201 for a new case, 200 for a repeated idempotency key.
fn case_post() -> Value {
    let mut post = op(
        "案件",
        "上报（新建案卷）；同一用户以同一 Idempotency-Key 重复上报只生成一件，返回 200 与原案件（replayed=true）；suspected_duplicates 为疑似重复件",
        true,
        Some(json!({"$ref": "#/components/schemas/NewCase"})),
        ("201", "新案件，含 replayed、suspected_duplicates"),
        &[("403", "角色或来源不允许"), ("422", "参数不合法")],
    );
    post["responses"]["200"] = json!({"description": "重复提交：原案件（replayed=true）", "content": {"application/json": {}}});
    post["parameters"] = json!([{"name": "Idempotency-Key", "in": "header", "required": false,
        "description": "客户端为每件上报生成的唯一键（1–200 个可见字符），24 小时内重复提交返回原案件",
        "schema": {"type": "string", "minLength": 1, "maxLength": 200}}]);
    post
}

/// 智能分拨: suggestions, the 受理员's decision, model versions.
fn classifier_paths() -> Vec<(&'static str, Value)> {
    let version = json!([{"name": "version", "in": "path", "required": true, "schema": {"type": "integer"}}]);
    let mut record = op("智能分拨", "受理员确认（accepted: true，须为当前建议）或更正分类；记录并审计（案件类别不变：尚无改类操作）", true,
        Some(json!({"type": "object", "required": ["category", "accepted"], "properties": {"category": {"type": "string"}, "accepted": {"type": "boolean"}}})),
        ("201", "{category, accepted, suggested, model_version, by, at, case_category, case_category_changed}"),
        &[("403", "非受理员、值班长、派遣员或管理员"), ("404", "案件不存在或不可见"), ("422", "unknown_category（category）或 not_the_suggestion（accepted）")]);
    record["parameters"] = id_param();
    let mut activate = op("智能分拨", "启用某一模型版本（回滚，管理员）", true, None, ("200", "{active_version}"), &[("403", "非管理员"), ("404", "版本不存在")]);
    activate["parameters"] = version;
    vec![
        ("/api/v1/classify", json!({"post": op("智能分拨", "为问题描述建议类别（上报表单用）：{model_version, suggestions: [{category, name, probability}], confident, threshold}；低于阈值时不作建议", true,
            Some(json!({"type": "object", "required": ["text"], "properties": {"text": {"type": "string", "maxLength": 10000}}})),
            ("200", "建议"), &[("403", "无权使用"), ("422", "empty_text / text_too_long（text）")])})),
        ("/api/v1/cases/{id}/classification", json!({"post": record})),
        ("/api/v1/admin/classifier/retrain", json!({"post": op("智能分拨", "用本镇历史案件重新训练（留出 10% 计算指标），存为新版本并启用（管理员）", true, None,
            ("201", "{version, size, source, active, created_at, created_by, metrics}"), &[("403", "非管理员"), ("422", "not_enough_history：历史案件不足")])})),
        ("/api/v1/admin/classifier/versions", json!({"get": op("智能分拨", "模型版本及各自在留出集上的指标（管理员）", true, None, ("200", "{items}"), &[("403", "非管理员")])})),
        ("/api/v1/admin/classifier/versions/{version}/activate", json!({"post": activate})),
    ]
}

fn base_document() -> Value {
    let statuses = enum_of(&CaseStatus::ALL, CaseStatus::as_str);
    let sources = enum_of(&Source::ALL, Source::as_str);
    let staff: Vec<Role> = Role::ALL.into_iter().filter(|r| r.is_staff()).collect();
    let roles = enum_of(&staff, Role::as_str);
    let actions = enum_of(&ActionKind::ALL[1..], ActionKind::as_str);
    let q = |name: &str, d: &str| json!({"name": name, "in": "query", "required": false, "schema": {"type": "string"}, "description": d});
    let refusals = [("403", "角色无权执行"), ("404", "案件不存在或不在数据范围内"), ("409", "expected_version 已过期"), ("422", "当前状态不允许或参数不合法")];
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "城运 chengyun API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "城市运行“一网统管”案件闭环接口。时间均为北京时间（RFC 3339，+08:00）。错误统一为 {\"error\": {\"code\", \"message\", \"field\"}}。"
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "properties": {"error": {"type": "object", "properties": {
                    "code": {"type": "string", "description": "稳定的错误码，如 role_not_allowed、invalid_state、version_conflict"},
                    "message": {"type": "string", "description": "中文说明"},
                    "field": {"type": ["string", "null"], "description": "出错的字段"}}}}},
                "Location": {"type": "object", "required": ["lon", "lat", "coord_sys"], "properties": {
                    "lon": {"type": "number"}, "lat": {"type": "number"},
                    "coord_sys": {"enum": ["wgs84", "cgcs2000", "gcj02", "bd09"]}}},
                "NewCase": {"type": "object", "required": ["category", "description", "source"], "properties": {
                    "category": {"type": "string", "description": "类别编码，见 GET /api/v1/categories"},
                    "description": {"type": "string"},
                    "source": {"enum": sources},
                    "location": {"$ref": "#/components/schemas/Location"},
                    "address": {"type": "string"},
                    "region": {"type": "string", "description": "村/居或单元网格代码；缺省为上报人所在区域"},
                    "reporter": {"type": "object", "properties": {"name": {"type": "string"}, "phone": {"type": "string"}, "wants_reply": {"type": "boolean"}}},
                    "photos": {"type": "array", "items": {"type": "string"}, "description": "POST /api/v1/attachments 返回的附件 id"}}},
                "Action": {"type": "object", "required": ["action", "expected_version"], "properties": {
                    "action": {"enum": actions},
                    "expected_version": {"type": "integer", "description": "案件当前 version；过期返回 409"},
                    "units": {"type": "array", "items": {"type": "string"}, "description": "dispatch：单位编码，第一个为主办；省略则采用责任清单的建议"},
                    "reason": {"type": "string", "description": "void、return_task、request_extension、request_hold、reopen 必填"},
                    "note": {"type": "string"},
                    "text": {"type": "string", "description": "feedback、comment（留言）必填"},
                    "photos": {"type": "array", "items": {"type": "string"}},
                    "confirmed": {"type": "boolean", "description": "verify：是否属实"},
                    "passed": {"type": "boolean", "description": "check：核查是否通过"},
                    "extra": {"type": "string", "description": "request_extension：延期时长，如 1工作日"},
                    "approved": {"type": "boolean", "description": "approve_extension / approve_hold"},
                    "task": {"type": "integer", "description": "approve_extension、release_task：任务编号"},
                    "into": {"type": "integer", "description": "merge：主案件 id"},
                    "satisfaction": {"enum": ["satisfied", "basically_satisfied", "dissatisfied"]}}},
                "User": {"type": "object", "required": ["username", "display_name", "password", "roles"], "properties": {
                    "username": {"type": "string"}, "display_name": {"type": "string", "minLength": 1, "maxLength": 40}, "password": {"type": "string", "minLength": 8},
                    "roles": {"type": "array", "items": {"enum": roles}}, "unit": {"type": "string"}, "region": {"type": "string"}}}
            }
        },
        "paths": {
            "/api/v1/auth/login": {"post": op("账号", "登录，返回访问令牌", false,
                Some(json!({"type": "object", "required": ["username", "password"], "properties": {"username": {"type": "string"}, "password": {"type": "string"}}})),
                ("200", "{token, expires_at, user}"), &[("401", "用户名或密码错误"), ("429", "失败次数过多")])},
            "/api/v1/auth/logout": {"post": op("账号", "注销当前令牌", true, None, ("204", "已注销"), &[])},
            "/api/v1/auth/me": {"get": op("账号", "当前用户", true, None, ("200", "用户"), &[])},
            "/api/v1/cases": {
                "post": case_post(),
                "get": {
                    "tags": ["案件"], "summary": "案件列表（按数据范围过滤，分页）", "security": [{"bearer": []}],
                    "parameters": [
                        q("status", &format!("状态，可逗号分隔：{}", statuses)), q("category", "类别编码"), q("region", "区划代码（含下级）"),
                        q("unit", "处置单位编码"), q("source", "来源"), q("lamp", "green / yellow / red"), q("overdue", "true：仅超时"),
                        q("created_from", "上报时间起（含）"), q("created_to", "上报时间止（不含）"), q("reporter", "反映人电话或姓名（受理员、值班长）"), q("merged_into", "合并到该案件的重复件"), q("reported_by", "me：本人上报的案件（我的上报）"), q("place_flag", "outside_grid：坐标不在任何单元网格内"),
                        q("q", "全文检索：描述、地址、备注与处置反馈须含全部词语（结巴分词，空格亦可分词；最多 100 字、8 个词）"),
                        q("sort", "排序：newest（默认，最新上报在前）、oldest（最早在前）、urgency（按紧急程度：当前计时最早到期在前，不计时的在后）"),
                        q("page", "页码，从 1 开始"), q("page_size", "每页条数，最多 200")],
                    "responses": {"200": {"description": "{items, total, total_exact, page, page_size}"}, "401": error_response("未登录"), "422": error_response("参数不合法")}
                }
            },
            "/api/v1/cases/{id}": {"get": {"parameters": id_param(), "tags": ["案件"], "summary": "案件详情：任务、时限、亮灯、全部流转记录；受理员、值班长另见疑似重复件（suspected_duplicates：距离、时间差）", "security": [{"bearer": []}],
                "responses": {"200": {"description": "案件"}, "401": error_response("未登录"), "404": error_response("不存在或不在数据范围内")}}},
            "/api/v1/cases/{id}/actions": {"post": {"parameters": id_param(), "tags": ["案件"], "summary": "执行流程操作", "security": [{"bearer": []}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Action"}}}},
                "responses": refusals.iter().fold(json!({"200": {"description": "操作后的案件"}, "401": error_response("未登录")}), |mut m, (c, d)| { m[*c] = error_response(d); m })}},
            "/api/v1/categories": {"get": op("基础数据", "启用的案件类别（部件/事件，大类/小类，时限）", false, None, ("200", "{items, total}"), &[])},
            "/api/v1/units": {"get": op("基础数据", "启用的处置单位", true, None, ("200", "{items}"), &[])},
            "/api/v1/attachments": {"post": {"tags": ["附件"], "summary": "上传照片（请求体为图片原始字节）", "security": [{"bearer": []}],
                "requestBody": {"required": true, "content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}, "image/gif": {}}},
                "responses": {"201": {"description": "{id, content_type, size, sha256}"}, "401": error_response("未登录"), "413": error_response("文件过大"), "415": error_response("类型不支持")}}},
            "/api/v1/attachments/{id}": {"get": {"parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}], "tags": ["附件"], "summary": "下载照片", "security": [{"bearer": []}],
                "responses": {"200": {"description": "图片"}, "401": error_response("未登录"), "404": error_response("不存在或无权查看")}}},
            "/api/v1/admin/regions": {
                "get": op("管理", "区划列表（含 has_boundary：是否已导入边界）", true, None, ("200", "{items}"), &[("403", "非管理员")]),
                "post": op("管理", "新增或修改区划", true, Some(json!({"type": "object", "required": ["code", "name", "level"]})), ("200", "区划"), &[("403", "非管理员"), ("422", "代码或上级不合法")])},
            "/api/v1/admin/units": {
                "get": op("管理", "单位列表（含编码）", true, None, ("200", "{items}"), &[("403", "非管理员")]),
                "post": op("管理", "新增或修改单位", true, Some(json!({"type": "object", "required": ["code", "name", "kind", "region_code"]})), ("200", "单位"), &[("403", "非管理员"), ("422", "参数不合法")])},
            "/api/v1/admin/users": {
                "get": op("管理", "用户列表", true, None, ("200", "{items}"), &[("403", "非管理员")]),
                "post": op("管理", "新建用户", true, Some(json!({"$ref": "#/components/schemas/User"})), ("201", "用户"), &[("403", "非管理员"), ("409", "用户名已存在"), ("422", "参数不合法")])},
            "/api/v1/admin/users/{id}": {"patch": {"parameters": id_param(), "tags": ["管理"], "summary": "修改用户（角色、范围、启停、密码）", "security": [{"bearer": []}],
                "responses": {"200": {"description": "用户"}, "401": error_response("未登录"), "403": error_response("非管理员"), "404": error_response("用户不存在"), "422": error_response("参数不合法")}}},
            "/api/v1/admin/categories": {
                "get": op("管理", "类别代码表（可多版本并存）", true, None, ("200", "{items}"), &[("403", "非管理员")]),
                "post": op("管理", "新增或替换一张类别代码表", true, Some(json!({"type": "object", "required": ["scheme", "version", "title", "categories"]})), ("200", "{scheme, version, categories}"), &[("403", "非管理员"), ("422", "代码表不合法")])},
            "/api/v1/admin/calendar": {
                "get": op("管理", "工作日历：作息时段、节假日与调休、各环节时限", true, None, ("200", "{schedule, holidays, step_limits}"), &[("403", "非管理员")]),
                "put": op("管理", "修改作息时段、节假日表或各环节时限", true, Some(json!({"type": "object", "properties": {"schedule": {}, "holidays": {}, "step_limits": {"type": "object", "description": "register, verify, file, dispatch, request_check, check, close：如 30工作分钟"}}})), ("200", "日历"), &[("403", "非管理员"), ("422", "日历不合法")])},
            "/api/v1/audit/verify": {"get": op("审计", "校验审计链：返回 ok 或第一处被篡改的记录", true, None, ("200", "{ok, records, events, first_broken}"), &[("403", "非管理员")])},
            "/api/v1/audit": {"get": op("审计", "审计记录（after, limit 分页）", true, None, ("200", "{items}"), &[("403", "非管理员")])},
            "/api/v1/openapi.json": {"get": op("系统", "本文档", false, None, ("200", "OpenAPI 文档"), &[])},
            "/healthz": {"get": op("系统", "存活检查", false, None, ("200", "ok"), &[])},
            "/readyz": {"get": op("系统", "就绪检查（数据库可达）", false, None, ("200", "就绪"), &[("503", "数据库不可达")])}
        }
    })
}
