//! The SQL implementation of [`Store`], shared by SQLite and PostgreSQL through sqlx's `Any`
//! driver. Queries use `$n` placeholders, which both dialects accept.

mod attachments;
mod audit_log;
mod bind;
mod cases;
mod channels;
mod classifier;
mod dashboard;
mod exec;
mod import;
mod intake;
mod places;
pub mod postgres;
mod reference;
pub mod search;
pub mod sqlite;
mod sqlite_intake;
mod users;

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyPool, Transaction};

use chengyun_domain::case::{Case, Event};
use chengyun_domain::category::CategoryTable;
use chengyun_domain::open311::Service;
use chengyun_domain::org::Unit;
use chengyun_domain::region::Region;
use chengyun_domain::routing::RoutingRule;
use chengyun_domain::Millis;

use crate::audit::{AuditRecord, AuditReport};
use crate::classifier::{CaseClassification, ClassifierModelMeta, NewClassifierModel};
use crate::records::*;
use crate::{Result, Store, StoreError};

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A store on SQLite or PostgreSQL.
pub struct SqlStore {
    pool: AnyPool,
    /// Where write transactions run: on SQLite one connection of its own (SQLite has one
    /// writer at a time anyway; writers queue here in order instead of retrying on a busy
    /// database, and the connection's page cache stays warm), which meets only the intake
    /// thread's connection on SQLite's lock; on PostgreSQL the pool.
    writer: AnyPool,
    /// SQLite: the thread that writes new cases (see [`sqlite_intake`]).
    direct: Option<sqlite_intake::DirectIntake>,
    backend: Backend,
    /// Kept for tools such as `pg_dump`; never logged (see [`redact`]).
    url: String,
}

/// Opens the database at `url` (`sqlite://path` or `postgres://…`), creating a SQLite file if
/// needed. Does not migrate.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    Ok(Arc::new(SqlStore::connect(url).await?))
}

impl SqlStore {
    pub async fn connect(url: &str) -> Result<SqlStore> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url)
            .ok_or_else(|| StoreError::Other(format!("不支持的数据库地址“{}”：应以 sqlite:// 或 postgres:// 开头", redact(url))))?;
        let (pool, writer) = match backend {
            Backend::Sqlite => (sqlite::connect(url, sqlite::Role::Reader).await?, sqlite::connect(url, sqlite::Role::Writer).await?),
            Backend::Postgres => {
                let pool = AnyPoolOptions::new().max_connections(16).acquire_timeout(std::time::Duration::from_secs(30)).connect(url).await?;
                (pool.clone(), pool)
            }
        };
        let direct = match backend {
            Backend::Sqlite => {
                let file = sqlite::database_file(url)?;
                let direct = sqlite_intake::DirectIntake::start(file)?;
                sqlite::spawn_checkpoints(pool.clone(), writer.clone(), direct.handle(), file.into());
                Some(direct)
            }
            Backend::Postgres => None,
        };
        Ok(SqlStore { pool, writer, direct, backend, url: url.to_string() })
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    async fn begin(&self) -> Result<Transaction<'static, Any>> {
        Ok(self.writer.begin().await?)
    }
}

/// A database URL with its password hidden, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!("{}{}:***{}", &url[..scheme_end + 3], &userinfo[..colon], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// The wall clock, for the time of admin changes.
fn now_ms() -> Millis {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

fn unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        self.backend
    }

    async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => sqlite::MIGRATOR.run(&self.pool).await?,
            Backend::Postgres => postgres::MIGRATOR.run(&self.pool).await?,
        }
        Ok(())
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn backup(&self, to: &Path) -> Result<()> {
        match self.backend {
            Backend::Sqlite => sqlite::backup(&self.pool, to).await,
            Backend::Postgres => postgres::backup(&self.url, to).await,
        }
    }

    async fn analyze(&self) -> Result<()> {
        // PostgreSQL also needs its visibility map set after a bulk load, or counts visit the heap.
        let sql = match self.backend {
            Backend::Sqlite => "ANALYZE",
            Backend::Postgres => "VACUUM (ANALYZE)",
        };
        sqlx::query(sql).execute(&self.pool).await?;
        Ok(())
    }

    async fn is_empty(&self) -> Result<bool> {
        users::count(&self.pool).await.map(|n| n == 0)
    }

    async fn create_user(&self, user: &NewUser, by: &AuditActor) -> Result<UserRecord> {
        users::create(self, user, by).await
    }

    async fn update_user(&self, id: i64, patch: &UserPatch, by: &AuditActor) -> Result<UserRecord> {
        users::update(self, id, patch, by).await
    }

    async fn user_by_username(&self, username: &str) -> Result<Option<UserRecord>> {
        users::by_username(&self.pool, username).await
    }

    async fn user_by_id(&self, id: i64) -> Result<Option<UserRecord>> {
        users::by_id(&self.pool, id).await
    }

    async fn list_users(&self) -> Result<Vec<UserRecord>> {
        users::list(&self.pool).await
    }

    async fn create_session(&self, token_hash: &str, user: &AuditActor, now: Millis, expires_at: Millis) -> Result<()> {
        users::create_session(self, token_hash, user, now, expires_at).await
    }

    async fn session_user(&self, token_hash: &str, now: Millis) -> Result<Option<UserRecord>> {
        users::session_user(&self.pool, token_hash, now).await
    }

    async fn revoke_session(&self, token_hash: &str, user: &AuditActor, now: Millis) -> Result<()> {
        users::revoke_session(self, token_hash, user, now).await
    }

    async fn record_login_failure(&self, username: &str, address: &str, at: Millis) -> Result<()> {
        users::record_failure(&self.pool, username, address, at).await
    }

    async fn login_failures(&self, username: &str, address: &str, since: Millis) -> Result<(i64, i64)> {
        users::failures(&self.pool, username, address, since).await
    }

    async fn clear_login_failures(&self, username: &str) -> Result<()> {
        users::clear_failures(&self.pool, username).await
    }

    async fn list_regions(&self) -> Result<Vec<Region>> {
        reference::list_regions(&self.pool).await
    }

    async fn upsert_region(&self, region: &Region, by: &AuditActor) -> Result<()> {
        reference::upsert_region(self, region, by).await
    }

    async fn import_region_geometries(&self, regions: &[RegionGeometry], by: &AuditActor, detail: String) -> Result<i64> {
        places::import_region_geometries(self, regions, by, detail).await
    }

    async fn region_geometries(&self, scope: GeometryScope<'_>) -> Result<Vec<RegionGeometry>> {
        places::region_geometries(&self.pool, scope).await
    }

    async fn geometry_version(&self) -> Result<i64> {
        places::geometry_version(&self.pool).await
    }

    async fn list_routing_rules(&self) -> Result<Vec<RoutingRule>> {
        places::list_routing_rules(&self.pool).await
    }

    async fn put_routing_rule(&self, rule: &RoutingRule, by: &AuditActor) -> Result<()> {
        places::put_routing_rule(self, rule, by).await
    }

    async fn delete_routing_rule(&self, category: &str, region: &str, by: &AuditActor) -> Result<bool> {
        places::delete_routing_rule(self, category, region, by).await
    }

    async fn replace_routing_rules(&self, prefixes: &[String], rules: &[RoutingRule], by: &AuditActor) -> Result<u64> {
        places::replace_routing_rules(self, prefixes, rules, by).await
    }

    async fn list_units(&self) -> Result<Vec<Unit>> {
        reference::list_units(&self.pool).await
    }

    async fn upsert_unit(&self, unit: &Unit, by: &AuditActor) -> Result<()> {
        reference::upsert_unit(self, unit, by).await
    }

    async fn list_category_tables(&self) -> Result<Vec<CategoryTable>> {
        reference::list_category_tables(&self.pool).await
    }

    async fn put_category_table(&self, table: &CategoryTable, by: &AuditActor) -> Result<()> {
        reference::put_category_table(self, table, by).await
    }

    async fn get_setting(&self, key: &str) -> Result<Option<String>> {
        reference::get_setting(&self.pool, key).await
    }

    async fn put_setting(&self, key: &str, value: &str, by: &AuditActor) -> Result<()> {
        reference::put_setting(self, key, value, by).await
    }

    async fn create_case(&self, number_prefix: &str, event: Event) -> Result<Case> {
        let request = NewCaseRequest { number_prefix: number_prefix.to_string(), event, idempotency: None, duplicates: None };
        let mut done = self.create_cases(vec![request]).await?;
        done.pop().ok_or_else(|| StoreError::Other("空结果".into()))?.map(|c| c.case)
    }

    async fn create_cases(&self, batch: Vec<NewCaseRequest>) -> Result<Vec<Result<CreatedCase>>> {
        // What needs no write lock is done here, by the request's task, not under the lock.
        let batch = intake::prepare(batch);
        match &self.direct {
            Some(direct) => direct.create(batch).await,
            None => intake::create(self, batch).await,
        }
    }

    async fn purge_idempotency_keys(&self, before: Millis) -> Result<u64> {
        intake::purge_keys(&self.pool, before).await
    }

    async fn suspected_duplicates(&self, case_id: i64) -> Result<Vec<SuspectRecord>> {
        intake::suspects_of(&self.pool, case_id).await
    }

    async fn append_event(&self, before: &Case, after: &Case, event: &Event) -> Result<()> {
        cases::append(self, before, after, event).await
    }

    async fn get_case(&self, id: i64) -> Result<Option<Case>> {
        cases::get(&self.pool, id).await
    }

    async fn case_events(&self, id: i64) -> Result<Vec<StoredEvent>> {
        cases::events(&self.pool, id).await
    }

    async fn list_cases(&self, query: &CaseQuery) -> Result<CasePage> {
        cases::list(&self.pool, self.backend, query).await
    }

    async fn duplicates_of(&self, id: i64) -> Result<Vec<i64>> {
        cases::duplicates_of(&self.pool, id).await
    }

    async fn import_histories(&self, histories: Vec<(Case, Vec<Event>)>, by: &AuditActor) -> Result<()> {
        import::import(self, histories, by).await
    }

    async fn reindex_search(&self, progress: &(dyn Fn(u64, u64) + Send + Sync)) -> Result<u64> {
        search::reindex(&self.pool, self.backend, progress).await
    }

    async fn put_attachment(&self, attachment: &NewAttachment) -> Result<AttachmentMeta> {
        attachments::put(&self.pool, attachment).await
    }

    async fn get_attachment(&self, id: &str) -> Result<Option<(AttachmentMeta, Vec<u8>)>> {
        attachments::get(&self.pool, id).await
    }

    async fn attachment_meta(&self, id: &str) -> Result<Option<AttachmentMeta>> {
        attachments::meta(&self.pool, id).await
    }

    async fn attachment_cases(&self, id: &str) -> Result<Vec<i64>> {
        attachments::cases_of(&self.pool, id).await
    }

    async fn list_open311_services(&self, town: &str) -> Result<Vec<Service>> {
        channels::list_services(&self.pool, town).await
    }

    async fn put_open311_service(&self, town: &str, service: &Service, by: &AuditActor) -> Result<()> {
        channels::put_service(self, town, service, by).await
    }

    async fn delete_open311_service(&self, town: &str, code: &str, by: &AuditActor) -> Result<bool> {
        channels::delete_service(self, town, code, by).await
    }

    async fn create_api_key(&self, key: &NewApiKey, by: &AuditActor) -> Result<ApiKeyRecord> {
        channels::create_key(self, key, by).await
    }

    async fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>> {
        channels::list_keys(&self.pool).await
    }

    async fn api_key_by_hash(&self, key_hash: &str) -> Result<Option<(ApiKeyRecord, UserRecord)>> {
        channels::key_by_hash(&self.pool, key_hash).await
    }

    async fn revoke_api_key(&self, id: i64, by: &AuditActor) -> Result<bool> {
        channels::revoke_key(self, id, by).await
    }

    async fn case_id_by_number(&self, number: &str) -> Result<Option<i64>> {
        channels::case_id_by_number(&self.pool, number).await
    }

    async fn town_events(&self, town: &str, from: Millis, to: Millis, limit: i64) -> Result<Vec<StoredEvent>> {
        channels::town_events(&self.pool, town, from, to, limit).await
    }

    async fn put_classifier_model(&self, model: &NewClassifierModel, by: &AuditActor) -> Result<Option<ClassifierModelMeta>> {
        classifier::put_model(self, model, by).await
    }

    async fn list_classifier_models(&self) -> Result<Vec<ClassifierModelMeta>> {
        classifier::list_models(&self.pool).await
    }

    async fn active_classifier_version(&self) -> Result<Option<i64>> {
        classifier::active_version(&self.pool).await
    }

    async fn classifier_model(&self, version: i64) -> Result<Option<(ClassifierModelMeta, Vec<u8>)>> {
        classifier::model(&self.pool, version).await
    }

    async fn activate_classifier_model(&self, version: i64, by: &AuditActor) -> Result<bool> {
        classifier::activate(self, version, by).await
    }

    async fn record_classification(&self, decision: &CaseClassification, by: &AuditActor) -> Result<()> {
        classifier::record(self, decision, by).await
    }

    async fn case_classifications(&self, case_id: i64) -> Result<Vec<CaseClassification>> {
        classifier::case_classifications(&self.pool, case_id).await
    }

    async fn classifier_training_texts(&self, limit: i64) -> Result<Vec<(String, String)>> {
        classifier::training_texts(&self.pool, limit).await
    }

    async fn open_cases_by_region(&self, regions: &[String], scope: Option<&ScopeFilter>) -> Result<Vec<(String, i64)>> {
        dashboard::open_cases_by_region(&self.pool, regions, scope).await
    }

    async fn dashboard_figures(&self, query: &DashboardQuery) -> Result<DashboardFigures> {
        dashboard::figures(&self.pool, query).await
    }

    async fn task_cases(&self, regions: &[String], scope: Option<&ScopeFilter>, since: Millis) -> Result<Vec<Case>> {
        dashboard::task_cases(&self.pool, regions, scope, since).await
    }

    async fn latest_case_event(&self) -> Result<i64> {
        dashboard::latest_case_event(&self.pool).await
    }

    async fn verify_audit(&self) -> Result<AuditReport> {
        audit_log::verify(&self.pool).await
    }

    async fn list_audit(&self, after_seq: i64, limit: i64) -> Result<Vec<AuditRecord>> {
        audit_log::list(&self.pool, after_seq, limit).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_leave_in_urls() {
        assert_eq!(redact("postgres://app:s3cret@db:5432/city"), "postgres://app:***@db:5432/city");
        assert_eq!(redact("postgres://app@db/city"), "postgres://app@db/city");
        assert_eq!(redact("sqlite://./x.db"), "sqlite://./x.db");
    }
}
