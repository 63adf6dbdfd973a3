//! Fresh databases for tests: a new SQLite file, or a new PostgreSQL database created through
//! `CHENGYUN_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`).
//! A missing PostgreSQL is an error, never a skipped test.

use sqlx::Executor;

use crate::Backend;

pub const POSTGRES_URL_VAR: &str = "CHENGYUN_TEST_POSTGRES_URL";

fn unique_name() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("chengyun_test_{}_{}_{}", std::process::id(), nanos % 1_000_000_000, COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// The URL of a new, empty database on `backend`.
pub async fn fresh_database(backend: Backend) -> String {
    let name = unique_name();
    match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join("chengyun-tests");
            std::fs::create_dir_all(&dir).expect("temp dir");
            format!("sqlite://{}/{name}.db", dir.display())
        }
        Backend::Postgres => {
            let admin = std::env::var(POSTGRES_URL_VAR)
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string());
            let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin).await.unwrap_or_else(|e| {
                panic!(
                    "PostgreSQL is required for the test suite but is not reachable at {} ({e}). \
                     Start it, or set {POSTGRES_URL_VAR}; `scripts/test.sh` does this for you.",
                    crate::sql::redact(&admin)
                )
            });
            conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.expect("create test database");
            match admin.rfind('/') {
                Some(slash) => format!("{}/{name}", &admin[..slash]),
                None => panic!("{POSTGRES_URL_VAR} must end with a database name"),
            }
        }
    }
}
