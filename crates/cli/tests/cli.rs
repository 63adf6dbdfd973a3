//! The binary itself: bootstrap an admin, generate history, verify and break the audit chain,
//! back up — on both backends.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use chengyun_storage::testing::fresh_database;
use chengyun_storage::Backend;

fn chengyun(url: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chengyun"))
        .args(args)
        .env("CHENGYUN_DATABASE_URL", url)
        .env("CHENGYUN_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run chengyun");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

async fn the_command_line(backend: Backend) {
    let url = fresh_database(backend).await;
    let help = chengyun(&url, &["--help"], None);
    for command in ["serve", "migrate", "user", "audit", "backup", "demo"] {
        assert!(text(&help).contains(command), "--help documents {command}");
    }
    let added = chengyun(&url, &["user", "add", "--username", "root", "--role", "admin", "--password-stdin"], Some("a-long-password\n"));
    assert!(added.status.success(), "{}", text(&added));
    let weak = chengyun(&url, &["user", "add", "--username", "weak", "--role", "admin", "--password-stdin"], Some("short"));
    assert!(!weak.status.success(), "short passwords are refused");
    let demo = chengyun(&url, &["demo", "--history", "300"], None);
    assert!(demo.status.success(), "{}", text(&demo));
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

#[tokio::test]
async fn the_command_line_on_sqlite() {
    the_command_line(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_command_line_on_postgres() {
    the_command_line(Backend::Postgres).await;
}
