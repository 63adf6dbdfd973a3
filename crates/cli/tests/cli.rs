//! The binary itself: bootstrap an admin, generate history, verify and break the audit chain,
//! back up — on both backends.

mod common;

use chengyun_storage::testing::fresh_database;
use chengyun_storage::Backend;
use common::{chengyun, text};

async fn the_command_line(backend: Backend) {
    let url = fresh_database(backend).await;
    let help = chengyun(&url, &["--help"], None);
    for command in ["serve", "migrate", "user", "apikey", "audit", "backup", "demo", "import", "export", "reindex"] {
        assert!(text(&help).contains(command), "--help documents {command}");
    }
    let added = chengyun(&url, &["user", "add", "--username", "root", "--role", "admin", "--password-stdin"], Some("a-long-password\n"));
    assert!(added.status.success(), "{}", text(&added));
    let weak = chengyun(&url, &["user", "add", "--username", "weak", "--role", "admin", "--password-stdin"], Some("short"));
    assert!(!weak.status.success(), "short passwords are refused");
    let demo = chengyun(&url, &["demo", "--history", "300"], None);
    assert!(demo.status.success(), "{}", text(&demo));
    let created = chengyun(&url, &["apikey", "create", "--name", "随申办", "--jurisdiction", "310115137", "--jurisdiction", "310115137"], None);
    assert!(created.status.success(), "{}", text(&created));
    let stdout = String::from_utf8_lossy(&created.stdout).to_string();
    let key = stdout.trim_end().lines().last().unwrap();
    assert!(key.starts_with("cy_") && key.len() > 40 && !key.contains(' '), "the key alone on the last line: {stdout}");
    let list = chengyun(&url, &["apikey", "list"], None);
    assert!(text(&list).contains("随申办\t310115137\t默认\t有效") && !text(&list).contains(key), "{}", text(&list));
    let bad = chengyun(&url, &["apikey", "create", "--name", "x", "--jurisdiction", "999999999"], None);
    assert!(!bad.status.success() && text(&bad).contains("999999999"), "{}", text(&bad));
    let channel_user = chengyun(&url, &["user", "add", "--username", "bot", "--role", "channel", "--password-stdin"], Some("a-long-password\n"));
    assert!(!channel_user.status.success(), "channel users come only with keys");
    let id = text(&list).split('\t').next().unwrap().to_string();
    assert!(chengyun(&url, &["apikey", "revoke", &id], None).status.success());
    assert!(text(&chengyun(&url, &["apikey", "list"], None)).contains("已吊销"));
    assert!(!chengyun(&url, &["apikey", "revoke", &id], None).status.success(), "a key is revoked once");
    let ok = chengyun(&url, &["audit", "verify"], None);
    assert!(ok.status.success() && text(&ok).starts_with("OK"), "{}", text(&ok));

    if backend == Backend::Sqlite {
        let file = std::env::temp_dir().join(format!("chengyun-backup-{}.db", std::process::id()));
        let _ = std::fs::remove_file(&file);
        let to = file.to_str().unwrap();
        let backup = chengyun(&url, &["backup", "--to", to], None);
        assert!(backup.status.success(), "{}", text(&backup));
        let copy = chengyun(&format!("sqlite://{to}"), &["audit", "verify"], None);
        assert!(copy.status.success(), "the backup is a complete, verifiable database: {}", text(&copy));
        assert!(!chengyun(&url, &["backup", "--to", to], None).status.success(), "never overwrites");
        std::fs::remove_file(&file).unwrap();
    }

    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    sqlx::query("UPDATE case_events SET reason = 'rewritten' WHERE id = (SELECT MAX(id) FROM case_events)")
        .execute(&pool)
        .await
        .unwrap();
    let broken = chengyun(&url, &["audit", "verify"], None);
    assert_eq!(broken.status.code(), Some(1), "{}", text(&broken));
    assert!(text(&broken).starts_with("BROKEN"), "{}", text(&broken));
}

fn shared_data(relative: &str) -> String {
    let root = std::env::var("CHENGYUN_SHARED_DATA")
        .unwrap_or_else(|_| format!("{}/../../../shared/data", env!("CARGO_MANIFEST_DIR")));
    let path = format!("{root}/{relative}");
    assert!(std::path::Path::new(&path).exists(), "{path} is missing — set CHENGYUN_SHARED_DATA to the shared data folder");
    path
}

/// Boundaries and the 责任清单 from files, as a town office would load them.
async fn places_from_files(backend: Backend) {
    let url = fresh_database(backend).await;
    assert!(chengyun(&url, &["demo"], None).status.success());
    let districts = shared_data("geo/shanghai_districts_amap_gcj02.geojson");
    let args = ["import", "regions", &districts, "--level", "district", "--code-property", "adcode", "--name-property", "name"];
    let imported = chengyun(&url, &[&args[..], &["--crs", "gcj02"]].concat(), None);
    assert!(imported.status.success(), "{}", text(&imported));
    assert!(text(&imported).contains("已导入 16 个区划边界"), "{}", text(&imported));
    let wrong_level = chengyun(&url, &["import", "regions", &districts, "--level", "grid", "--code-property", "adcode", "--name-property", "name"], None);
    assert!(!wrong_level.status.success());
    assert!(text(&wrong_level).contains("features[0]"), "names the feature at fault: {}", text(&wrong_level));

    let dir = std::env::temp_dir().join(format!("chengyun-cli-{}-{}", backend.name(), std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("rules.csv");
    let csv = csv.to_str().unwrap();
    let exported = chengyun(&url, &["export", "routing", "--region", "310151114", "--to", csv], None);
    assert!(exported.status.success(), "{}", text(&exported));
    let body = std::fs::read_to_string(csv).unwrap();
    let rules = body.lines().count() - 1;
    assert!(rules > 100, "{rules} rules for 新海镇");
    let again = chengyun(&url, &["import", "routing", csv, "--region", "310151114"], None);
    assert!(again.status.success(), "{}", text(&again));
    assert!(text(&again).contains(&format!("新增 {rules} 条，替换原有 {rules} 条")), "{}", text(&again));
    std::fs::write(csv, body.replace("310151114-cgzd", "no-such-unit")).unwrap();
    let refused = chengyun(&url, &["import", "routing", csv, "--region", "310151114"], None);
    assert!(!refused.status.success());
    assert!(text(&refused).contains("行“主办单位代码”：主办单位（lead）：单位“no-such-unit”不存在"), "names line and column: {}", text(&refused));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn places_from_files_on_sqlite() {
    places_from_files(Backend::Sqlite).await;
}

#[tokio::test]
async fn places_from_files_on_postgres() {
    places_from_files(Backend::Postgres).await;
}

#[tokio::test]
async fn the_command_line_on_sqlite() {
    the_command_line(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_command_line_on_postgres() {
    the_command_line(Backend::Postgres).await;
}

/// Cases matching 垃圾, counted through the store.
async fn rubbish_cases(url: &str) -> i64 {
    let store = chengyun_storage::open(url).await.unwrap();
    let q = chengyun_storage::CaseQuery { search_terms: vec!["垃圾".into()], page: 1, page_size: 1, ..Default::default() };
    store.list_cases(&q).await.unwrap().total
}

/// `chengyun reindex` rebuilds a lost index, and `migrate` says when one is needed.
async fn reindex_restores_the_search_index(backend: Backend) {
    let url = fresh_database(backend).await;
    let demo = chengyun(&url, &["demo", "--history", "300"], None);
    assert!(demo.status.success(), "{}", text(&demo));
    let before = rubbish_cases(&url).await;
    assert!(before > 10, "demo cases about rubbish: {before}");
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    sqlx::query("DELETE FROM case_search").execute(&pool).await.unwrap();
    sqlx::query("INSERT INTO settings (key, value, updated_at) VALUES ('search.reindex_needed', '1', 0)").execute(&pool).await.unwrap();
    assert_eq!(rubbish_cases(&url).await, 0, "the index is gone");
    let migrate = chengyun(&url, &["migrate"], None);
    assert!(migrate.status.success() && text(&migrate).contains("chengyun reindex"), "{}", text(&migrate));
    let reindex = chengyun(&url, &["reindex"], None);
    assert!(reindex.status.success(), "{}", text(&reindex));
    assert!(text(&reindex).contains("全文检索索引已重建：300 件案件"), "{}", text(&reindex));
    assert_eq!(rubbish_cases(&url).await, before, "the same cases are found again");
    assert!(!text(&chengyun(&url, &["migrate"], None)).contains("chengyun reindex"), "no longer asked for");
}

#[tokio::test]
async fn reindex_restores_the_search_index_on_sqlite() {
    reindex_restores_the_search_index(Backend::Sqlite).await;
}

#[tokio::test]
async fn reindex_restores_the_search_index_on_postgres() {
    reindex_restores_the_search_index(Backend::Postgres).await;
}
