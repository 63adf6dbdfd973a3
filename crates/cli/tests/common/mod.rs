//! Running the `chengyun` binary from the CLI crate's tests.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `chengyun ARGS` against the database at `url`, with `stdin` as its input.
pub fn chengyun(url: &str, args: &[&str], stdin: Option<&str>) -> Output {
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

/// What a run printed, standard output then standard error.
pub fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}
