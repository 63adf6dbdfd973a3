//! Prints the action rules table of `docs/state-machine.md`.
fn main() {
    print!("{}", chengyun_domain::case::rules_markdown());
}
