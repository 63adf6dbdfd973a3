//! `chengyun`: one binary for the whole platform. `chengyun --help` lists the commands.

mod apikey;
mod classify;
mod commands;
mod places;
mod search;

use clap::{Parser, Subcommand};

/// 城运 chengyun — 城市运行“一网统管”平台：案件受理、派遣、处置、核查、结案闭环。
#[derive(Parser)]
#[command(name = "chengyun", version, about, long_about = None)]
struct Cli {
    /// Database: `sqlite://PATH` (embedded, the default) or `postgres://USER@HOST/DB`.
    #[arg(long, global = true, env = "CHENGYUN_DATABASE_URL", default_value = "sqlite://./chengyun-data/chengyun.db", hide_env_values = true)]
    database_url: String,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the server (migrates the database first).
    Serve(commands::ServeArgs),
    /// Applies database migrations and exits.
    Migrate,
    /// Manages user accounts.
    #[command(subcommand)]
    User(commands::UserCommand),
    /// Manages API keys of client systems (Open311 apps).
    #[command(subcommand)]
    Apikey(apikey::ApiKeyCommand),
    /// Works with the tamper-evident audit log.
    #[command(subcommand)]
    Audit(commands::AuditCommand),
    /// Writes a consistent copy of the running database to a file.
    Backup(commands::BackupArgs),
    /// Loads demo data: the three seed towns, their units and users, and generated history.
    Demo(commands::DemoArgs),
    /// Imports region boundaries (GeoJSON) or the 责任清单 (CSV).
    #[command(subcommand)]
    Import(places::ImportCommand),
    /// Exports the 责任清单 (CSV).
    #[command(subcommand)]
    Export(places::ExportCommand),
    /// Rebuilds the full-text search index of cases from the stored cases and events.
    Reindex,
    /// The report classifier (智能分拨) on CSV and model files; needs no database.
    #[command(subcommand)]
    Classify(classify::ClassifyCommand),
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CHENGYUN_LOG")
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into()),
        )
        .with_target(false)
        .init();
    let cli = Cli::parse();
    let url = cli.database_url;
    match cli.command {
        Command::Serve(args) => commands::serve(&url, args).await,
        Command::Migrate => commands::migrate(&url).await,
        Command::User(cmd) => commands::user(&url, cmd).await,
        Command::Apikey(cmd) => apikey::apikey(&url, cmd).await,
        Command::Audit(cmd) => commands::audit(&url, cmd).await,
        Command::Backup(args) => commands::backup(&url, args).await,
        Command::Demo(args) => commands::demo(&url, args).await,
        Command::Import(cmd) => places::import(&url, cmd).await,
        Command::Export(cmd) => places::export(&url, cmd).await,
        Command::Reindex => search::reindex(&url).await,
        Command::Classify(cmd) => classify::run(cmd),
    }
}
