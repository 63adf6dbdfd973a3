//! `chengyun import …` / `chengyun export …`: boundaries and the 责任清单 from files, through
//! the same checks as the admin API.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};

use chengyun_http::{ApiError, AppState, Config};
use chengyun_storage::AuditActor;

#[derive(Subcommand)]
pub enum ImportCommand {
    /// Imports region boundaries (RFC 7946 GeoJSON), all or nothing.
    Regions(ImportRegionsArgs),
    /// Replaces the 责任清单 (CSV as exported, UTF-8 or GB18030) within a region, all or nothing.
    Routing {
        file: PathBuf,
        /// Only rules within this region are replaced (default: all rules).
        #[arg(long)]
        region: Option<String>,
    },
}

#[derive(Args)]
pub struct ImportRegionsArgs {
    file: PathBuf,
    /// district, town, area, village or grid.
    #[arg(long)]
    level: String,
    /// Feature property holding the region code.
    #[arg(long)]
    code_property: String,
    /// Feature property holding the region name.
    #[arg(long)]
    name_property: String,
    /// Parent region of every feature (default: from each code).
    #[arg(long)]
    parent: Option<String>,
    /// Coordinate system of the file: wgs84, cgcs2000, gcj02 or bd09.
    #[arg(long, default_value = "wgs84")]
    crs: String,
}

#[derive(Subcommand)]
pub enum ExportCommand {
    /// Writes the 责任清单 as CSV (UTF-8 with BOM, opens in Excel).
    Routing {
        #[arg(long)]
        region: Option<String>,
        /// Output file (default: standard output).
        #[arg(long)]
        to: Option<PathBuf>,
    },
}

fn api(e: ApiError) -> anyhow::Error {
    let mut text = e.message;
    if let Some(details) = e.details.as_ref().and_then(|d| d.as_array()) {
        for d in details {
            text.push_str(&format!("\n  - {}", d["message"].as_str().unwrap_or_default()));
        }
    }
    anyhow::anyhow!(text)
}

async fn state(url: &str) -> anyhow::Result<AppState> {
    let store = crate::commands::store(url).await?;
    chengyun_http::seed::ensure_categories(&*store).await?;
    AppState::new(store, Config::default()).await.map_err(api)
}

pub async fn import(url: &str, cmd: ImportCommand) -> anyhow::Result<()> {
    let state = state(url).await?;
    match cmd {
        ImportCommand::Regions(a) => {
            let bytes = std::fs::read(&a.file).with_context(|| format!("读取 {}", a.file.display()))?;
            let mut params: HashMap<String, String> = HashMap::from([
                ("level".into(), a.level),
                ("code_property".into(), a.code_property),
                ("name_property".into(), a.name_property),
                ("crs".into(), a.crs),
            ]);
            if let Some(p) = a.parent {
                params.insert("parent".into(), p);
            }
            let spec = chengyun_http::import_spec(&params).map_err(api)?;
            let written = chengyun_http::import_boundaries(&state, bytes, spec, &AuditActor::system()).await.map_err(api)?;
            println!("已导入 {} 个区划边界", written.len());
        }
        ImportCommand::Routing { file, region } => {
            let bytes = std::fs::read(&file).with_context(|| format!("读取 {}", file.display()))?;
            let reference = state.reference().await.map_err(api)?;
            let (added, removed) =
                chengyun_http::import_rules(&state, &reference, &bytes, region.as_deref(), &AuditActor::system()).await.map_err(api)?;
            println!("责任清单已导入：新增 {added} 条，替换原有 {removed} 条");
        }
    }
    Ok(())
}

pub async fn export(url: &str, cmd: ExportCommand) -> anyhow::Result<()> {
    let state = state(url).await?;
    match cmd {
        ExportCommand::Routing { region, to } => {
            let reference = state.reference().await.map_err(api)?;
            let csv = chengyun_http::export_rules(&reference, region.as_deref()).map_err(api)?;
            match to {
                Some(path) => std::fs::write(&path, csv).with_context(|| format!("写入 {}", path.display()))?,
                None => print!("{csv}"),
            }
        }
    }
    Ok(())
}
