//! `chengyun apikey`: keys of client systems (Open311 apps) — created, listed, revoked.

use clap::Subcommand;

use chengyun_http::open311::{issue_key, KeyRequest};
use chengyun_storage::AuditActor;

use crate::commands::store;

#[derive(Subcommand)]
pub enum ApiKeyCommand {
    /// Creates a key; prints it alone on the last line — the only time it is shown.
    Create {
        /// The client's name, shown in the timeline and the audit log (e.g. 航头镇随申办).
        #[arg(long)]
        name: String,
        /// Town (街镇, 9-digit code) the key may report to; repeat for several.
        #[arg(long = "jurisdiction", required = true)]
        jurisdictions: Vec<String>,
        /// Writes per minute; the server's default when left out.
        #[arg(long)]
        rate_per_minute: Option<i64>,
    },
    /// Lists keys (never the keys themselves).
    List,
    /// Revokes a key by id; its client can no longer post.
    Revoke {
        id: i64,
    },
}

pub async fn apikey(url: &str, cmd: ApiKeyCommand) -> anyhow::Result<()> {
    let store = store(url).await?;
    match cmd {
        ApiKeyCommand::Create { name, jurisdictions, rate_per_minute } => {
            let (key, record) = issue_key(&*store, KeyRequest { name, jurisdictions, rate_per_minute }, &AuditActor::system())
                .await
                .map_err(|e| anyhow::anyhow!("{}（{}）", e.message, e.field.unwrap_or_default()))?;
            println!("已创建 API 密钥 {}：{}（辖区 {}）。密钥只显示这一次，请妥善保存：", record.id, record.name, record.jurisdictions.join(","));
            println!("{key}");
        }
        ApiKeyCommand::List => {
            for k in store.list_api_keys().await? {
                let state = if k.revoked_at.is_some() { "已吊销" } else { "有效" };
                let rate = k.rate_per_minute.map_or("默认".to_string(), |r| r.to_string());
                println!("{}\t{}\t{}\t{}\t{}", k.id, k.name, k.jurisdictions.join(","), rate, state);
            }
        }
        ApiKeyCommand::Revoke { id } => {
            if !store.revoke_api_key(id, &AuditActor::system()).await? {
                anyhow::bail!("没有 id 为 {id} 的有效 API 密钥");
            }
            println!("已吊销 API 密钥 {id}");
        }
    }
    Ok(())
}
