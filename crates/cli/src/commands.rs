//! The subcommands.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context as _};
use clap::{Args, Subcommand};

use chengyun_domain::category::CategoryCatalog;
use chengyun_domain::demo::DemoTowns;
use chengyun_domain::org::Role;
use chengyun_storage::{open, AuditActor, NewUser, Store};

use chengyun_http::seed;

/// Opens and migrates the database.
pub async fn store(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    let store = open(url).await.with_context(|| format!("打开数据库 {}", chengyun_storage::sql::redact(url)))?;
    store.migrate().await.context("数据库迁移")?;
    Ok(store)
}

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "CHENGYUN_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
    /// Load the demo towns, units and users into an empty database.
    #[arg(long)]
    demo: bool,
    /// Region (街镇 or narrower) for reports that name none. `--demo` sets 航头镇 (310115137).
    #[arg(long, env = "CHENGYUN_DEFAULT_REGION")]
    default_region: Option<String>,
    /// How long a login lasts, in hours.
    #[arg(long, env = "CHENGYUN_SESSION_HOURS", default_value_t = 12)]
    session_hours: i64,
    /// Open311 writes (POST) each API key may make per minute, unless the key sets its own.
    #[arg(long, env = "CHENGYUN_OPEN311_RATE_PER_MINUTE", default_value_t = 60)]
    open311_rate_per_minute: i64,
    /// How long a client's idempotency key makes a repeated report return the first case, in hours.
    #[arg(long, env = "CHENGYUN_IDEMPOTENCY_HOURS", default_value_t = 24)]
    idempotency_hours: i64,
    /// 疑似重复件: radius in metres around open cases of the same category.
    #[arg(long, env = "CHENGYUN_DUPLICATE_RADIUS_M", default_value_t = 50.0)]
    duplicate_radius_m: f64,
    /// 疑似重复件: how far back to look, in hours.
    #[arg(long, env = "CHENGYUN_DUPLICATE_WINDOW_HOURS", default_value_t = 72)]
    duplicate_window_hours: i64,
    /// With --group-commit-postgres: most new reports an instance commits in one transaction
    /// (on SQLite the intake thread takes up to 512).
    #[arg(long, env = "CHENGYUN_INTAKE_BATCH", default_value_t = 512)]
    intake_batch: usize,
    /// PostgreSQL: commit new reports in batches per instance, as on SQLite (default: one
    /// transaction per request).
    #[arg(long, env = "CHENGYUN_GROUP_COMMIT_POSTGRES")]
    group_commit_postgres: bool,
    /// 智能分拨: no category is suggested below this probability (default: the model's, 0.5).
    #[arg(long, env = "CHENGYUN_CLASSIFIER_THRESHOLD")]
    classifier_threshold: Option<f32>,
    /// 智能分拨: retrain from the town's cases every this many hours (default: only on demand).
    #[arg(long, env = "CHENGYUN_CLASSIFIER_RETRAIN_HOURS")]
    classifier_retrain_hours: Option<u64>,
    /// Mark the console's session cookie `Secure`: use when users reach the server over HTTPS
    /// (a reverse proxy); plain-HTTP intranets must leave it off or logins will not stick.
    #[arg(long, env = "CHENGYUN_SECURE_COOKIES")]
    secure_cookies: bool,
}

pub async fn serve(url: &str, args: ServeArgs) -> anyhow::Result<()> {
    let store = store(url).await?;
    seed::ensure_categories(&*store).await?;
    crate::search::advise(&*store).await?;
    if args.demo {
        if store.is_empty().await? {
            seed::load_demo(&*store).await?;
        } else {
            tracing::info!("database already has users; --demo loads nothing");
        }
    }
    let config = chengyun_http::Config {
        session_ttl_ms: args.session_hours.max(1) * 3600 * 1000,
        open311_rate_per_minute: args.open311_rate_per_minute.max(1),
        idempotency_ttl_ms: args.idempotency_hours.max(1) * 3600 * 1000,
        duplicates: chengyun_places::nearby::DuplicateRule {
            radius_m: args.duplicate_radius_m.clamp(0.0, 10_000.0),
            window_ms: args.duplicate_window_hours.max(0) * 3600 * 1000,
        },
        intake_batch: args.intake_batch.clamp(1, 10_000),
        group_commit_postgres: args.group_commit_postgres,
        default_region: args.default_region.or_else(|| args.demo.then(|| "310115137".to_string())),
        classifier_threshold: args.classifier_threshold.map(|t| t.clamp(0.0, 1.0)),
        secure_cookies: args.secure_cookies,
        classifier_retrain_every: args.classifier_retrain_hours.filter(|&h| h > 0).map(|h| std::time::Duration::from_secs(h * 3600)),
        ..Default::default()
    };
    let state = chengyun_http::AppState::new(store.clone(), config).await.map_err(|e| anyhow::anyhow!(e.message))?;
    let listener = tokio::net::TcpListener::bind(&args.listen).await.with_context(|| format!("监听 {}", args.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(database = store.backend().name(), "chengyun listening on http://{addr}");
    println!("chengyun 已启动：http://{addr}  （数据库：{}）", store.backend().name());
    chengyun_http::serve(listener, state, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}

pub async fn migrate(url: &str) -> anyhow::Result<()> {
    let store = store(url).await?;
    println!("数据库已是最新结构");
    crate::search::advise(&*store).await?;
    Ok(())
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Adds a user; the password is read from standard input (bootstraps the first 管理员).
    Add {
        #[arg(long)]
        username: String,
        /// Role identifier; repeat for several: inspector, operator, shift_lead, dispatcher,
        /// handler, leader, assessor, admin.
        #[arg(long = "role", required = true)]
        roles: Vec<Role>,
        /// Unit code (handlers must have one).
        #[arg(long)]
        unit: Option<String>,
        /// Region code limiting what the user sees.
        #[arg(long)]
        region: Option<String>,
        /// Name shown in the timeline; defaults to the username.
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from standard input (required: passwords never go on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Lists users.
    List,
}

pub async fn user(url: &str, cmd: UserCommand) -> anyhow::Result<()> {
    let store = store(url).await?;
    match cmd {
        UserCommand::Add { username, roles, unit, region, display_name, password_stdin } => {
            debug_assert!(password_stdin);
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password).context("读取密码")?;
            let password = password.trim_end_matches(['\r', '\n']).to_string();
            if password.chars().count() < 8 {
                bail!("密码至少8位");
            }
            if roles.iter().any(|r| !r.is_staff()) {
                bail!("接入渠道（channel）账号随 API 密钥创建：请用 chengyun apikey create");
            }
            if roles.contains(&Role::Handler) && unit.is_none() {
                bail!("处置人员须用 --unit 指定所属单位");
            }
            if let Some(u) = &unit
                && !store.list_units().await?.iter().any(|x| &x.code == u)
            {
                bail!("单位“{u}”不存在");
            }
            if let Some(r) = &region
                && !store.list_regions().await?.iter().any(|x| &x.code == r)
            {
                bail!("区划“{r}”不存在");
            }
            let password_hash = chengyun_http::hash_password(password).await.map_err(anyhow::Error::msg)?;
            let created = store
                .create_user(
                    &NewUser { display_name: display_name.unwrap_or_else(|| username.clone()), username, password_hash, roles, unit, region },
                    &AuditActor::system(),
                )
                .await?;
            println!("已创建用户 {}（id {}）", created.username, created.id);
        }
        UserCommand::List => {
            for u in store.list_users().await? {
                let roles: Vec<&str> = u.roles.iter().map(|r| r.as_str()).collect();
                println!("{}\t{}\t{}\t{}\t{}", u.id, u.username, u.display_name, roles.join(","), if u.active { "启用" } else { "停用" });
            }
        }
    }
    Ok(())
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Walks the whole chain; exits non-zero at the first broken record.
    Verify,
}

pub async fn audit(url: &str, cmd: AuditCommand) -> anyhow::Result<()> {
    let store = store(url).await?;
    match cmd {
        AuditCommand::Verify => {
            let report = store.verify_audit().await?;
            match &report.first_broken {
                None => println!("OK：审计链完整（{} 条记录，其中案件事件 {} 条）", report.records, report.events),
                Some(b) => {
                    println!("BROKEN：第 {} 条审计记录处断裂：{}", b.seq, b.reason);
                    std::process::exit(1);
                }
            }
        }
    }
    Ok(())
}

#[derive(Args)]
pub struct BackupArgs {
    /// File to write (must not exist).
    #[arg(long)]
    to: PathBuf,
}

pub async fn backup(url: &str, args: BackupArgs) -> anyhow::Result<()> {
    let store = store(url).await?;
    store.backup(&args.to).await?;
    println!("已备份到 {}", args.to.display());
    Ok(())
}

#[derive(Args)]
pub struct DemoArgs {
    /// Generate this many historical cases spread over the past year.
    #[arg(long, default_value_t = 0)]
    history: usize,
    /// Random seed (the same seed gives the same history).
    #[arg(long, default_value_t = 2026)]
    seed: u64,
}

/// Cases per import transaction.
const BATCH: usize = 2000;

pub async fn demo(url: &str, args: DemoArgs) -> anyhow::Result<()> {
    let store = store(url).await?;
    seed::ensure_categories(&*store).await?;
    seed::load_demo(&*store).await?;
    if args.history == 0 {
        println!("演示数据已就绪");
        return Ok(());
    }
    let towns = DemoTowns::bundled();
    let catalog = CategoryCatalog::new(store.list_category_tables().await?).map_err(|e| anyhow::anyhow!(e.to_string()))?;
    let reference_now = chengyun_http::now_ms();
    let users = store.list_users().await?;
    let staff = |role: Role| -> anyhow::Result<chengyun_domain::org::Actor> {
        users
            .iter()
            .find(|u| u.roles.contains(&role) && u.active)
            .map(|u| u.actor())
            .with_context(|| format!("缺少角色为 {} 的用户", role.as_str()))
    };
    let actors = chengyun_demo::HistoryActors {
        inspector: staff(Role::Inspector)?,
        operator: staff(Role::Operator)?,
        shift_lead: staff(Role::ShiftLead)?,
        dispatcher: staff(Role::Dispatcher)?,
        leader: staff(Role::Leader)?,
    };
    let calendar = chengyun_domain::calendar::WorkCalendar::china_default();
    let steps = chengyun_domain::deadline::StepLimits::default();
    let spec = chengyun_demo::HistorySpec {
        towns: &towns,
        catalog: &catalog,
        calendar: &calendar,
        steps: &steps,
        actors,
        now: reference_now,
        count: args.history,
        seed: args.seed,
    };
    let bar = indicatif::ProgressBar::new(args.history as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} 生成历史案件 [{bar:40}] {pos}/{len} {per_sec} 预计剩余 {eta}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let mut batch = Vec::with_capacity(BATCH);
    let system = AuditActor::system();
    for history in chengyun_demo::generate(spec) {
        batch.push(history);
        if batch.len() == BATCH {
            store.import_histories(std::mem::take(&mut batch), &system).await?;
            bar.inc(BATCH as u64);
        }
    }
    let rest = batch.len() as u64;
    store.import_histories(batch, &system).await?;
    bar.inc(rest);
    bar.finish();
    store.analyze().await?;
    println!("已生成 {} 件历史案件", args.history);
    Ok(())
}
