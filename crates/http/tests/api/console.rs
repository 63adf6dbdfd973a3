//! The web console's doors: the login form, the session cookie, CSRF, security headers, and
//! which role may open which page. What the pages do is tested in a real browser
//! (tests/browser).

use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use reqwest::{Client, Response, StatusCode};

use chengyun_domain::org::Role;
use chengyun_http::console::PAGES;
use chengyun_storage::Backend;

use crate::helpers::{TestApp, PASSWORD};
use crate::on_both;

fn no_redirects() -> Client {
    Client::builder().redirect(Policy::none()).build().unwrap()
}

fn cookie_value(resp: &Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v[name.len() + 1..].split(';').next().unwrap().to_string())
}

fn hidden_field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no {name} field in {html}")) + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

/// A browser-like session: the login form fetched, filled in and posted.
struct Browser {
    app_base: String,
    client: Client,
    session: String,
    csrf: String,
}

impl Browser {
    async fn login(app: &TestApp, username: &str) -> Browser {
        let client = no_redirects();
        let form = client.get(format!("{}/login?next=/cases", app.base)).send().await.unwrap();
        assert_eq!(form.status(), StatusCode::OK);
        let login_cookie = cookie_value(&form, "cy_login").expect("login CSRF cookie");
        let html = form.text().await.unwrap();
        let resp = client
            .post(format!("{}/login", app.base))
            .header(COOKIE, format!("cy_login={login_cookie}"))
            .form(&[("username", username), ("password", PASSWORD), ("csrf", &hidden_field(&html, "csrf")), ("next", "/cases")])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "login {username}");
        assert_eq!(resp.headers()[LOCATION], "/cases");
        let set = resp.headers().get_all(SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_string()).collect::<Vec<_>>();
        let session_line = set.iter().find(|c| c.starts_with("cy_session=")).expect("session cookie");
        assert!(session_line.contains("HttpOnly") && session_line.contains("SameSite=Strict"), "{session_line}");
        let session = cookie_value(&resp, "cy_session").unwrap();
        let mut page = client.get(format!("{}/", app.base)).header(COOKIE, format!("cy_session={session}")).send().await.unwrap();
        if page.status() == StatusCode::SEE_OTHER {
            let home = page.headers()[LOCATION].to_str().unwrap().to_string();
            page = client.get(format!("{}{home}", app.base)).header(COOKIE, format!("cy_session={session}")).send().await.unwrap();
        }
        let html = page.text().await.unwrap();
        let marker = "name=\"csrf-token\" content=\"";
        let start = html.find(marker).expect("csrf meta") + marker.len();
        let csrf = html[start..].split('"').next().unwrap().to_string();
        Browser { app_base: app.base.clone(), client, session, csrf }
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(format!("{}{path}", self.app_base)).header(COOKIE, format!("cy_session={}", self.session))
    }

    fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.post(format!("{}{path}", self.app_base)).header(COOKIE, format!("cy_session={}", self.session))
    }
}

async fn login_form_sets_a_strict_session_and_csrf_guards_writes(b: Backend) {
    let app = TestApp::spawn(b).await;
    let browser = Browser::login(&app, "operator").await;

    // Reads work with the cookie alone.
    let list = browser.get("/api/v1/cases").send().await.unwrap();
    assert_eq!(list.status(), StatusCode::OK);

    // A write without the CSRF header is refused and stores nothing.
    let body = serde_json::json!({"source": "hotline", "category": "0101", "description": "csrf 测试", "region_code": "310115137"});
    let refused = browser.post("/api/v1/cases").json(&body).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let v: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(v["error"]["code"], "csrf_failed");
    let wrong = browser.post("/api/v1/cases").header("X-CSRF-Token", "0".repeat(32)).json(&body).send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    let list: serde_json::Value = browser.get("/api/v1/cases").send().await.unwrap().json().await.unwrap();
    assert_eq!(list["total"], 0, "nothing stored by refused writes");

    // The same write with the page's token goes through the ordinary API checks.
    let ok = browser.post("/api/v1/cases").header("X-CSRF-Token", &browser.csrf).json(&body).send().await.unwrap();
    assert!(ok.status().is_success() || ok.status() == StatusCode::UNPROCESSABLE_ENTITY, "{}", ok.status());

    // Logging out needs the token too, then the cookie is dead.
    let bad = browser.post("/logout").form(&[("csrf", "nope")]).send().await.unwrap();
    assert_eq!(bad.status(), StatusCode::FORBIDDEN);
    let out = browser.post("/logout").form(&[("csrf", browser.csrf.as_str())]).send().await.unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(browser.get("/api/v1/cases").send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let page = browser.get("/cases").send().await.unwrap();
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert!(page.headers()[LOCATION].to_str().unwrap().starts_with("/login?next="));
}

async fn login_form_refuses_bad_passwords_and_forged_forms(b: Backend) {
    let app = TestApp::spawn(b).await;
    let client = no_redirects();
    let form = client.get(format!("{}/login", app.base)).send().await.unwrap();
    let login_cookie = cookie_value(&form, "cy_login").unwrap();
    let csrf = hidden_field(&form.text().await.unwrap(), "csrf");

    let wrong = client
        .post(format!("{}/login", app.base))
        .header(COOKIE, format!("cy_login={login_cookie}"))
        .form(&[("username", "operator"), ("password", "wrong"), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(cookie_value(&wrong, "cy_session").is_none());
    assert!(wrong.text().await.unwrap().contains("用户名或密码错误"));

    // A form posted from elsewhere carries no matching login cookie.
    let forged = client
        .post(format!("{}/login", app.base))
        .form(&[("username", "operator"), ("password", PASSWORD), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(cookie_value(&forged, "cy_session").is_none());

    // `next` never leads off the server.
    let form = client.get(format!("{}/login", app.base)).send().await.unwrap();
    let login_cookie = cookie_value(&form, "cy_login").unwrap();
    let csrf = hidden_field(&form.text().await.unwrap(), "csrf");
    let resp = client
        .post(format!("{}/login", app.base))
        .header(COOKIE, format!("cy_login={login_cookie}"))
        .form(&[("username", "operator"), ("password", PASSWORD), ("csrf", csrf.as_str()), ("next", "//evil.example/")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()[LOCATION], "/");
}

async fn each_page_opens_only_for_its_roles(b: Backend) {
    let app = TestApp::spawn(b).await;
    for username in ["operator", "shiftlead", "dispatcher", "handler", "village", "leader", "assessor", "admin", "inspector"] {
        let browser = Browser::login(&app, username).await;
        let me: serde_json::Value = browser.get("/api/v1/auth/me").send().await.unwrap().json().await.unwrap();
        let roles: Vec<Role> = serde_json::from_value(me["roles"].clone()).unwrap();
        for page in PAGES {
            let path = page.path.replace("{id}", "1");
            let resp = browser.get(&path).send().await.unwrap();
            let allowed = roles.iter().any(|r| page.roles.contains(r));
            let inspector_home = page.path == "/" && roles.iter().all(|r| *r == Role::Inspector);
            let expected = if inspector_home {
                StatusCode::SEE_OTHER
            } else if allowed {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(resp.status(), expected, "{username} opening {path}");
            if expected == StatusCode::FORBIDDEN {
                let html = resp.text().await.unwrap();
                assert!(html.contains("无权访问") && !html.contains(page.script), "{username} {path}: refusal without the page's script");
            }
        }
    }
    // Without a session every page sends the browser to the login form.
    for page in PAGES {
        let path = page.path.replace("{id}", "1");
        let resp = no_redirects().get(format!("{}{path}", app.base)).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{path}");
    }
}

async fn responses_carry_security_headers_and_assets_are_served_by_the_binary(b: Backend) {
    let app = TestApp::spawn(b).await;
    let browser = Browser::login(&app, "operator").await;
    let page = browser.get("/workbench/accept").send().await.unwrap();
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    let html = page.text().await.unwrap();
    assert!(!html.contains("<script>") && !html.contains("http://") && !html.contains("https://"), "no inline script, nothing from elsewhere");
    for url in html.split("src=\"").skip(1).chain(html.split("href=\"").skip(1)).map(|s| s.split('"').next().unwrap()) {
        if url.starts_with("/static/") {
            let asset = browser.get(url).send().await.unwrap();
            assert_eq!(asset.status(), StatusCode::OK, "{url}");
            assert!(asset.headers()["cache-control"].to_str().unwrap().contains("immutable"));
            let ctype = asset.headers()[CONTENT_TYPE].to_str().unwrap().to_string();
            assert!(["text/javascript", "text/css", "image/svg+xml"].iter().any(|t| ctype.starts_with(t)), "{url}: {ctype}");
        }
    }
    let missing = browser.get("/static/../Cargo.toml").send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    // API answers carry the headers too.
    let api = browser.get("/api/v1/cases").send().await.unwrap();
    assert_eq!(api.headers()["x-content-type-options"], "nosniff");
}

on_both!(
    login_form_sets_a_strict_session_and_csrf_guards_writes,
    login_form_refuses_bad_passwords_and_forged_forms,
    each_page_opens_only_for_its_roles,
    responses_carry_security_headers_and_assets_are_served_by_the_binary
);
