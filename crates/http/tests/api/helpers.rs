use std::sync::Arc;

use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};

use chengyun_storage::testing::fresh_database;
use chengyun_storage::{open, Backend, Store};

/// Upload limit of the test server: small, so an oversized upload is refused before the client
/// has finished sending (a 10 MB body would see the connection closed mid-write).
pub const MAX_UPLOAD: usize = 64 * 1024;

/// The demo users' password (demo only).
pub const PASSWORD: &str = "chengyun-demo";

/// Runs an async test body on both backends: `on_both!(name)` expects `async fn name(b: Backend)`.
#[macro_export]
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name(chengyun_storage::Backend::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name(chengyun_storage::Backend::Postgres).await
                }
            }
        )*
    };
}

/// A running server with the demo towns loaded, on a fresh database.
pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub store: Arc<dyn Store>,
    pub database_url: String,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        let database_url = fresh_database(backend).await;
        let store = open(&database_url).await.expect("open database");
        store.migrate().await.expect("migrate");
        chengyun_http::seed::ensure_categories(&*store).await.expect("categories");
        chengyun_http::seed::load_demo(&*store).await.expect("demo towns");
        let base = serve(store.clone()).await;
        TestApp { base, client: Client::new(), store, database_url }
    }

    /// Another server instance on the same database, as in a multi-instance deployment.
    pub async fn another_instance(&self) -> TestApp {
        let store = open(&self.database_url).await.expect("open database");
        let base = serve(store.clone()).await;
        TestApp { base, client: Client::new(), store, database_url: self.database_url.clone() }
    }

    pub async fn request(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.request(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.request(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn login(&self, username: &str) -> String {
        let (status, body) = self
            .request(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": username, "password": PASSWORD})))
            .await;
        assert_eq!(status, StatusCode::OK, "login {username}: {body}");
        body["token"].as_str().unwrap().to_string()
    }

    /// Reports a case as `who` (an inspector reports on patrol) and returns its body.
    pub async fn report(&self, token: &str, source: &str) -> Value {
        let (status, body) = self.post("/api/v1/cases", token, new_case(source)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }

    /// Takes an action, asserting it succeeds; returns the new case.
    pub async fn act(&self, token: &str, case: &Value, mut action: Value) -> Value {
        action["expected_version"] = case["version"].clone();
        let (status, body) = self.post(&format!("/api/v1/cases/{}/actions", case["id"]), token, action.clone()).await;
        assert_eq!(status, StatusCode::OK, "{action} -> {body}");
        body
    }

    /// Takes an action expecting a refusal; returns (status, error code, field).
    pub async fn refuse(&self, token: &str, case: &Value, mut action: Value) -> (StatusCode, String, Value) {
        if action.get("expected_version").is_none() {
            action["expected_version"] = case["version"].clone();
        }
        let (status, body) = self.post(&format!("/api/v1/cases/{}/actions", case["id"]), token, action).await;
        assert!(status.is_client_error(), "expected a refusal, got {status}: {body}");
        (status, body["error"]["code"].as_str().unwrap_or_default().to_string(), body["error"]["field"].clone())
    }

    /// A raw connection to the database, to play the intruder.
    pub async fn raw(&self) -> sqlx::AnyPool {
        sqlx::any::install_default_drivers();
        sqlx::AnyPool::connect(&self.database_url).await.unwrap()
    }
}

async fn serve(store: Arc<dyn Store>) -> String {
    let config = chengyun_http::Config {
        default_region: Some("310115137".into()),
        max_upload_bytes: MAX_UPLOAD,
        ..Default::default()
    };
    let state = chengyun_http::AppState::new(store, config).await.expect("state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(chengyun_http::serve(listener, state, std::future::pending()));
    base
}

pub fn new_case(source: &str) -> Value {
    json!({
        "category": "SJ-0102",
        "description": "航头路与沪南公路路口东北角暴露垃圾，约两立方",
        "source": source,
        "region": "310115137001",
        "address": "航头路沪南公路路口",
        "location": {"lon": 121.5958, "lat": 31.0274, "coord_sys": "gcj02"},
        "reporter": {"name": "张三", "phone": "13812345678", "wants_reply": true},
    })
}

/// The canonical path of an inspector's report, up to and including `stop_after` (an action id).
pub async fn walk(app: &TestApp, stop_after: &str) -> Value {
    let inspector = app.login("inspector").await;
    let operator = app.login("operator").await;
    let shift_lead = app.login("shiftlead").await;
    let dispatcher = app.login("dispatcher").await;
    let handler = app.login("handler").await;
    let mut case = app.report(&inspector, "patrol").await;
    let steps: [(&str, &String, Value); 8] = [
        ("register", &operator, json!({"action": "register"})),
        ("file", &shift_lead, json!({"action": "file"})),
        ("dispatch", &dispatcher, json!({"action": "dispatch", "units": ["310115137-cgzd"]})),
        ("accept_task", &handler, json!({"action": "accept_task"})),
        ("feedback", &handler, json!({"action": "feedback", "text": "已清运完毕"})),
        ("request_check", &operator, json!({"action": "request_check"})),
        ("check", &inspector, json!({"action": "check", "passed": true})),
        ("close", &shift_lead, json!({"action": "close"})),
    ];
    for (name, token, action) in steps {
        case = app.act(token, &case, action).await;
        if name == stop_after {
            break;
        }
    }
    case
}

/// `count` generated cases up to `now` (seed 7), walked through the state machine by the first
/// active demo user of each role, over the categories stored in the test database.
pub async fn demo_history(app: &TestApp, count: usize, now: i64) -> Vec<(chengyun_domain::case::Case, Vec<chengyun_domain::case::Event>)> {
    use chengyun_domain::org::Role;
    let towns = chengyun_domain::demo::DemoTowns::bundled();
    let catalog = chengyun_domain::category::CategoryCatalog::new(app.store.list_category_tables().await.unwrap()).unwrap();
    let users = app.store.list_users().await.unwrap();
    let staff = |role: Role| users.iter().find(|u| u.roles.contains(&role) && u.active).unwrap().actor();
    let calendar = chengyun_domain::calendar::WorkCalendar::china_default();
    let steps = chengyun_domain::deadline::StepLimits::default();
    chengyun_demo::generate(chengyun_demo::HistorySpec {
        towns: &towns,
        catalog: &catalog,
        calendar: &calendar,
        steps: &steps,
        actors: chengyun_demo::HistoryActors {
            inspector: staff(Role::Inspector),
            operator: staff(Role::Operator),
            shift_lead: staff(Role::ShiftLead),
            dispatcher: staff(Role::Dispatcher),
            leader: staff(Role::Leader),
        },
        now,
        count,
        seed: 7,
    })
    .collect()
}
