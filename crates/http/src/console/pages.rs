//! The console's pages: who may open each one, and the HTML shell that carries its script.

use axum::extract::{MatchedPath, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};

use chengyun_domain::org::{Actor, Role};

use super::assets;
use crate::auth::{cookie, csrf_token, session_actor, SESSION_COOKIE};
use crate::state::AppState;

/// How a page is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Office screens: navigation bar, tables, side panels.
    Desktop,
    /// 监督员 on a phone: 360 px wide, big touch targets, bottom navigation.
    Phone,
    /// 大屏: 1920×1080, dark, no navigation.
    Wall,
}

impl Layout {
    fn as_str(self) -> &'static str {
        match self {
            Layout::Desktop => "desktop",
            Layout::Phone => "phone",
            Layout::Wall => "wall",
        }
    }
}

/// One page of the console.
pub struct Page {
    /// Route, in axum's syntax.
    pub path: &'static str,
    /// Name of the page: `data-page` on `<body>`, read by its script.
    pub id: &'static str,
    pub title: &'static str,
    /// Script under `console/`.
    pub script: &'static str,
    /// Roles that may open it (the API still checks every call it makes).
    pub roles: &'static [Role],
    pub layout: Layout,
    /// Shown in the navigation bar.
    pub in_nav: bool,
}

use Role::*;

const STAFF: &[Role] = &[Operator, ShiftLead, Dispatcher, Handler, Inspector, Leader, Assessor, Admin];
const CASE_READERS: &[Role] = &[Operator, ShiftLead, Dispatcher, Handler, Leader, Assessor, Admin];

pub const PAGES: &[Page] = &[
    Page { path: "/", id: "home", title: "工作台首页", script: "pages/home.js", roles: STAFF, layout: Layout::Desktop, in_nav: true },
    Page { path: "/workbench/accept", id: "workbench-accept", title: "受理", script: "pages/workbench.js", roles: &[Operator], layout: Layout::Desktop, in_nav: true },
    Page { path: "/workbench/file", id: "workbench-file", title: "立案", script: "pages/workbench.js", roles: &[ShiftLead], layout: Layout::Desktop, in_nav: true },
    Page { path: "/workbench/dispatch", id: "workbench-dispatch", title: "派遣", script: "pages/workbench.js", roles: &[Dispatcher], layout: Layout::Desktop, in_nav: true },
    Page { path: "/workbench/close", id: "workbench-close", title: "结案", script: "pages/workbench.js", roles: &[ShiftLead, Operator], layout: Layout::Desktop, in_nav: true },
    Page { path: "/inbox", id: "inbox", title: "处置任务", script: "pages/inbox.js", roles: &[Handler], layout: Layout::Desktop, in_nav: true },
    Page { path: "/cases", id: "cases", title: "案件查询", script: "pages/cases.js", roles: CASE_READERS, layout: Layout::Desktop, in_nav: true },
    Page { path: "/cases/{id}", id: "case", title: "案件详情", script: "pages/case.js", roles: CASE_READERS, layout: Layout::Desktop, in_nav: false },
    Page { path: "/m", id: "phone", title: "我的任务", script: "pages/phone.js", roles: &[Inspector], layout: Layout::Phone, in_nav: true },
    Page { path: "/m/report", id: "report", title: "上报", script: "pages/report.js", roles: &[Inspector], layout: Layout::Phone, in_nav: true },
    Page { path: "/m/cases/{id}", id: "phone-case", title: "案件", script: "pages/phone.js", roles: &[Inspector], layout: Layout::Phone, in_nav: false },
    Page { path: "/dashboard", id: "dashboard", title: "城运大屏", script: "pages/dashboard.js", roles: &[Leader, ShiftLead, Dispatcher, Assessor, Admin], layout: Layout::Wall, in_nav: true },
    Page { path: "/admin/users", id: "admin-users", title: "用户", script: "pages/admin.js", roles: &[Admin], layout: Layout::Desktop, in_nav: true },
    Page { path: "/admin/units", id: "admin-units", title: "单位", script: "pages/admin.js", roles: &[Admin], layout: Layout::Desktop, in_nav: true },
    Page { path: "/admin/regions", id: "admin-regions", title: "区划网格", script: "pages/admin.js", roles: &[Admin], layout: Layout::Desktop, in_nav: true },
    Page { path: "/admin/categories", id: "admin-categories", title: "分类与时限", script: "pages/admin.js", roles: &[Admin], layout: Layout::Desktop, in_nav: true },
    Page { path: "/admin/calendar", id: "admin-calendar", title: "工作日历", script: "pages/admin.js", roles: &[Admin], layout: Layout::Desktop, in_nav: true },
    Page { path: "/admin/routing", id: "admin-routing", title: "责任清单", script: "pages/admin.js", roles: &[Admin], layout: Layout::Desktop, in_nav: true },
];

impl Page {
    pub fn allows(&self, actor: &Actor) -> bool {
        actor.has_any(self.roles)
    }

    fn find(route: &str) -> Option<&'static Page> {
        PAGES.iter().find(|p| p.path == route)
    }
}

pub async fn serve(State(state): State<AppState>, route: MatchedPath, uri: Uri, headers: HeaderMap) -> Response {
    let Some(page) = Page::find(route.as_str()) else { return StatusCode::NOT_FOUND.into_response() };
    let session = cookie(&headers, SESSION_COOKIE);
    let actor = match session {
        Some(token) => session_actor(&state, token).await.ok().flatten(),
        None => None,
    };
    let (Some(actor), Some(token)) = (actor, session) else {
        let next = uri.path_and_query().map_or("/", |p| p.as_str());
        let target = form_urlencoded::Serializer::new(String::new()).append_pair("next", next).finish();
        return Redirect::to(&format!("/login?{target}")).into_response();
    };
    // 监督员 work from their phones: their home is the phone page.
    if page.id == "home" && actor.roles.iter().all(|r| *r == Role::Inspector) {
        return Redirect::to("/m").into_response();
    }
    let status = if page.allows(&actor) { StatusCode::OK } else { StatusCode::FORBIDDEN };
    let html = shell(page, &actor, &csrf_token(token), status == StatusCode::OK);
    (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response()
}

/// Text for HTML element content and quoted attributes: the markup escaping the server's SVG
/// uses too (the five special characters, control characters as spaces).
pub use chengyun_svg::text::escape;

/// The document every page starts from; `allowed` false renders the refusal instead of the page.
fn shell(page: &Page, actor: &Actor, csrf: &str, allowed: bool) -> String {
    let nav: String = PAGES
        .iter()
        .filter(|p| p.in_nav && p.allows(actor) && (p.layout == Layout::Phone) == (page.layout == Layout::Phone))
        .map(|p| {
            let current = if std::ptr::eq(p, page) { " aria-current=\"page\"" } else { "" };
            format!("<a href=\"{}\"{current}>{}</a>", escape(p.path), escape(p.title))
        })
        .collect();
    let roles: Vec<&str> = actor.roles.iter().map(|r| r.label()).collect();
    let script = if allowed { format!("<script type=\"module\" src=\"{}\"></script>", assets::url(page.script)) } else { String::new() };
    let main = if allowed {
        "<p class=\"loading\">正在加载…</p>".to_string()
    } else {
        format!("<section class=\"refused\"><h1>无权访问</h1><p>“{}”页面仅限{}使用；当前账号的角色为{}。</p><p><a href=\"/\">返回首页</a></p></section>",
            escape(page.title),
            page.roles.iter().map(|r| r.label()).collect::<Vec<_>>().join("、"),
            escape(&roles.join("、")))
    };
    format!(
        "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta name=\"csrf-token\" content=\"{csrf}\">\
<title>{title} — 城运中心</title>\
{links}{script}</head>\
<body data-page=\"{id}\" data-layout=\"{layout}\" data-user=\"{user}\" data-roles=\"{role_codes}\">\
<header class=\"top\"><a class=\"brand\" href=\"/\">城运中心</a><nav>{nav}</nav>\
<div class=\"who\"><span>{name}（{role_labels}）</span>\
<form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button type=\"submit\">退出</button></form></div></header>\
<main id=\"app\">{main}</main></body></html>\n",
        title = escape(page.title),
        links = assets::head_links(),
        id = page.id,
        layout = page.layout.as_str(),
        user = escape(&actor.username),
        role_codes = actor.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(" "),
        name = escape(&actor.display_name),
        role_labels = escape(&roles.join("、")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup() {
        assert_eq!(escape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }

    #[test]
    fn every_page_has_a_unique_route_and_a_compiled_script() {
        for (i, page) in PAGES.iter().enumerate() {
            assert!(PAGES[..i].iter().all(|p| p.path != page.path), "{} twice", page.path);
            assert!(assets::url(page.script).contains(page.script));
            assert!(!page.roles.contains(&Role::Channel), "an API key's user never opens a page");
        }
    }
}
