//! chengyun's storage: one [`Store`] trait, implemented for SQLite (the embedded default) and
//! PostgreSQL (several instances side by side). Both share their SQL through sqlx's `Any`
//! driver; what differs — connection set-up, migrations, locking, backup — lives in
//! [`sql::sqlite`] and [`sql::postgres`].
//!
//! Every change is one transaction: the case row, its event and the audit record go together.

mod error;
pub mod audit;
pub mod classifier;
pub mod records;
pub mod sql;
pub mod testing;

use async_trait::async_trait;

use chengyun_domain::case::{Case, Event};
use chengyun_domain::category::CategoryTable;
use chengyun_domain::open311::Service;
use chengyun_domain::org::Unit;
use chengyun_domain::region::Region;
use chengyun_domain::routing::RoutingRule;
use chengyun_domain::Millis;

pub use classifier::{CaseClassification, ClassifierModelMeta, NewClassifierModel};
pub use error::StoreError;
pub use records::*;
pub use sql::{open, Backend, SqlStore};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Everything chengyun keeps. Implemented by [`SqlStore`] for SQLite and PostgreSQL.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    fn backend(&self) -> Backend;

    /// Applies pending migrations.
    async fn migrate(&self) -> Result<()>;
    /// Checks the database answers.
    async fn ping(&self) -> Result<()>;
    /// A consistent copy of the whole database, taken while it runs.
    async fn backup(&self, to: &std::path::Path) -> Result<()>;
    /// Refreshes the query planner's statistics (after bulk loads).
    async fn analyze(&self) -> Result<()>;
    /// True when no user exists yet (a fresh database).
    async fn is_empty(&self) -> Result<bool>;

    // --- users and sessions ---
    async fn create_user(&self, user: &NewUser, by: &AuditActor) -> Result<UserRecord>;
    async fn update_user(&self, id: i64, patch: &UserPatch, by: &AuditActor) -> Result<UserRecord>;
    async fn user_by_username(&self, username: &str) -> Result<Option<UserRecord>>;
    async fn user_by_id(&self, id: i64) -> Result<Option<UserRecord>>;
    async fn list_users(&self) -> Result<Vec<UserRecord>>;
    /// Opens a session for `user` (audited as `session.login`).
    async fn create_session(&self, token_hash: &str, user: &AuditActor, now: Millis, expires_at: Millis) -> Result<()>;
    /// The user of a live session (not revoked, not expired).
    async fn session_user(&self, token_hash: &str, now: Millis) -> Result<Option<UserRecord>>;
    /// Ends a session (audited as `session.logout`).
    async fn revoke_session(&self, token_hash: &str, user: &AuditActor, now: Millis) -> Result<()>;
    async fn record_login_failure(&self, username: &str, address: &str, at: Millis) -> Result<()>;
    /// Failures since `since`: (for this username, from this address).
    async fn login_failures(&self, username: &str, address: &str, since: Millis) -> Result<(i64, i64)>;
    async fn clear_login_failures(&self, username: &str) -> Result<()>;

    // --- places, units, categories, settings ---
    async fn list_regions(&self) -> Result<Vec<Region>>;
    async fn upsert_region(&self, region: &Region, by: &AuditActor) -> Result<()>;
    /// Writes regions with their boundaries (new or replacing) in one transaction and bumps
    /// the geometry version; returns the new version.
    async fn import_region_geometries(&self, regions: &[RegionGeometry], by: &AuditActor, detail: String) -> Result<i64>;
    async fn region_geometries(&self, scope: GeometryScope<'_>) -> Result<Vec<RegionGeometry>>;
    /// Changes with every boundary import (0 before the first).
    async fn geometry_version(&self) -> Result<i64>;
    /// 责任清单
    async fn list_routing_rules(&self) -> Result<Vec<RoutingRule>>;
    async fn put_routing_rule(&self, rule: &RoutingRule, by: &AuditActor) -> Result<()>;
    /// False when there was no such rule.
    async fn delete_routing_rule(&self, category: &str, region: &str, by: &AuditActor) -> Result<bool>;
    /// Replaces the rules set within a region subtree (code prefixes); returns how many were removed.
    async fn replace_routing_rules(&self, prefixes: &[String], rules: &[RoutingRule], by: &AuditActor) -> Result<u64>;
    async fn list_units(&self) -> Result<Vec<Unit>>;
    async fn upsert_unit(&self, unit: &Unit, by: &AuditActor) -> Result<()>;
    async fn list_category_tables(&self) -> Result<Vec<CategoryTable>>;
    /// Replaces (or adds) one code table; cases keep the codes they were filed with.
    async fn put_category_table(&self, table: &CategoryTable, by: &AuditActor) -> Result<()>;
    async fn get_setting(&self, key: &str) -> Result<Option<String>>;
    async fn put_setting(&self, key: &str, value: &str, by: &AuditActor) -> Result<()>;

    // --- cases ---
    /// Stores a new case from its first event. The number is allocated inside the transaction
    /// as `<prefix>-<yyyymmdd>-<seq>`; the returned case carries it.
    async fn create_case(&self, number_prefix: &str, event: Event) -> Result<Case>;
    /// Stores many new cases in one transaction (the group commit of the SQLite intake
    /// writer; a batch of one per request on PostgreSQL). Results are in request order; a
    /// request whose idempotency key is already stored (and live) gets that case with
    /// `replayed`, and one that cannot be stored fails alone, never its batch.
    async fn create_cases(&self, batch: Vec<NewCaseRequest>) -> Result<Vec<Result<CreatedCase>>>;
    /// Forgets idempotency keys stored before `before`; returns how many.
    async fn purge_idempotency_keys(&self, before: Millis) -> Result<u64>;
    /// 疑似重复件 links of a case, in both directions, nearest first.
    async fn suspected_duplicates(&self, case_id: i64) -> Result<Vec<SuspectRecord>>;
    /// Stores `after`, the case `before` with `event` applied, if the stored case still has
    /// `before`'s version; `Conflict` otherwise, and nothing changes.
    async fn append_event(&self, before: &Case, after: &Case, event: &Event) -> Result<()>;
    async fn get_case(&self, id: i64) -> Result<Option<Case>>;
    async fn case_events(&self, id: i64) -> Result<Vec<StoredEvent>>;
    async fn list_cases(&self, query: &CaseQuery) -> Result<CasePage>;
    /// Ids of the duplicates merged (合并) into a case.
    async fn duplicates_of(&self, id: i64) -> Result<Vec<i64>>;
    /// Loads many finished histories at once (demo and imports): bypasses nothing but speed —
    /// the cases, events and audit chain are written exactly as single actions would.
    async fn import_histories(&self, histories: Vec<(Case, Vec<Event>)>, by: &AuditActor) -> Result<()>;
    /// Rebuilds the full-text index of every case from the stored cases and events (全文检索
    /// 重建), reporting (done, total) as it goes; returns the number of cases indexed.
    async fn reindex_search(&self, progress: &(dyn Fn(u64, u64) + Send + Sync)) -> Result<u64>;

    // --- attachments ---
    async fn put_attachment(&self, attachment: &NewAttachment) -> Result<AttachmentMeta>;
    async fn get_attachment(&self, id: &str) -> Result<Option<(AttachmentMeta, Vec<u8>)>>;
    /// An attachment's metadata without its bytes.
    async fn attachment_meta(&self, id: &str) -> Result<Option<AttachmentMeta>>;
    /// Cases whose events reference the attachment (who may see a case may see its photos).
    async fn attachment_cases(&self, id: &str) -> Result<Vec<i64>>;

    // --- residents' channel (Open311) ---
    /// A town's public services, by code.
    async fn list_open311_services(&self, town: &str) -> Result<Vec<Service>>;
    /// Adds or replaces one service of a town (audited).
    async fn put_open311_service(&self, town: &str, service: &Service, by: &AuditActor) -> Result<()>;
    /// False when the town had no such service.
    async fn delete_open311_service(&self, town: &str, code: &str, by: &AuditActor) -> Result<bool>;
    /// Stores a key's hash with a new system user (role `channel`) that reports in its name.
    async fn create_api_key(&self, key: &NewApiKey, by: &AuditActor) -> Result<ApiKeyRecord>;
    async fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>>;
    /// A live key and its system user.
    async fn api_key_by_hash(&self, key_hash: &str) -> Result<Option<(ApiKeyRecord, UserRecord)>>;
    /// Revokes a key and disables its user; false when no live key has that id.
    async fn revoke_api_key(&self, id: i64, by: &AuditActor) -> Result<bool>;
    async fn case_id_by_number(&self, number: &str) -> Result<Option<i64>>;
    /// Events of a town's cases in `[from, to)`, oldest first.
    async fn town_events(&self, town: &str, from: Millis, to: Millis, limit: i64) -> Result<Vec<StoredEvent>>;
    // --- classifier (智能分拨) ---
    /// Stores a trained model as the next version (audited as `classifier.train`); `None` when
    /// `only_if_none` and a version exists.
    async fn put_classifier_model(&self, model: &NewClassifierModel, by: &AuditActor) -> Result<Option<ClassifierModelMeta>>;
    /// Every version, oldest first, without the model bytes.
    async fn list_classifier_models(&self) -> Result<Vec<ClassifierModelMeta>>;
    async fn active_classifier_version(&self) -> Result<Option<i64>>;
    async fn classifier_model(&self, version: i64) -> Result<Option<(ClassifierModelMeta, Vec<u8>)>>;
    /// Makes `version` the only active model (audited); false when there is no such version.
    async fn activate_classifier_model(&self, version: i64, by: &AuditActor) -> Result<bool>;
    /// Records a 受理员's accept/correct (audited as `classification.accept`/`.correct`).
    async fn record_classification(&self, decision: &CaseClassification, by: &AuditActor) -> Result<()>;
    async fn case_classifications(&self, case_id: i64) -> Result<Vec<CaseClassification>>;
    /// The newest `limit` cases' descriptions with their settled category, for retraining.
    async fn classifier_training_texts(&self, limit: i64) -> Result<Vec<(String, String)>>;

    // --- dashboard (大屏) ---
    /// Open cases (not closed, voided or merged) per region code, within `regions` (code
    /// prefixes) and the asker's scope.
    async fn open_cases_by_region(&self, regions: &[String], scope: Option<&ScopeFilter>) -> Result<Vec<(String, i64)>>;
    /// Day counts, open and overdue totals, category breakdown and overdue list, aggregated in
    /// the database.
    async fn dashboard_figures(&self, query: &DashboardQuery) -> Result<DashboardFigures>;
    /// Cases in `regions` with a lead unit changed since `since`, and all open ones: those whose
    /// tasks can have fallen due since then (按期处置率).
    async fn task_cases(&self, regions: &[String], scope: Option<&ScopeFilter>, since: Millis) -> Result<Vec<Case>>;
    /// The newest case event's id (0 for none): changes whenever a case is created or changes.
    async fn latest_case_event(&self) -> Result<i64>;

    // --- audit ---
    /// Walks the whole chain: every link, every record's hash, every case event's digest.
    async fn verify_audit(&self) -> Result<audit::AuditReport>;
    async fn list_audit(&self, after_seq: i64, limit: i64) -> Result<Vec<audit::AuditRecord>>;
}
