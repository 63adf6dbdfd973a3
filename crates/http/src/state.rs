//! Shared state: the store, settings, and the reference data (categories, regions, units,
//! calendar) cached in memory and refreshed on change — or after a short while, so that several
//! instances on one PostgreSQL see each other's admin changes.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::RwLock;

use chengyun_domain::calendar::{HolidayTable, WorkCalendar, WorkSchedule};
use chengyun_domain::category::{CategoryCatalog, CategoryTable};
use chengyun_domain::deadline::StepLimits;
use chengyun_domain::org::Unit;
use chengyun_domain::region::RegionTree;
use chengyun_domain::routing::ResponsibilityList;
use chengyun_domain::Millis;
use chengyun_places::locate::LocateIndex;
use chengyun_places::nearby::DuplicateRule;
use chengyun_domain::open311::Service;
use chengyun_storage::{ApiKeyRecord, GeometryScope, Store, UserRecord};

use crate::error::{ApiError, ApiResult};
use crate::intake::IntakeWriter;
use crate::shared_cache::Shared;

/// Settings keys.
pub const SCHEDULE_KEY: &str = "calendar.schedule";
pub const HOLIDAYS_KEY: &str = "calendar.holidays";
pub const STEP_LIMITS_KEY: &str = "step_limits";

/// Tunables of the HTTP layer.
#[derive(Debug, Clone)]
pub struct Config {
    /// How long a login lasts.
    pub session_ttl_ms: i64,
    /// Window over which failed logins are counted.
    pub login_window_ms: i64,
    pub max_failures_per_account: i64,
    pub max_failures_per_address: i64,
    /// Region given to reports that name none and whose reporter has no narrower scope.
    pub default_region: Option<String>,
    pub max_upload_bytes: usize,
    /// Largest boundary file (GeoJSON) the import endpoint accepts.
    pub max_import_bytes: usize,
    /// How stale the cached reference data may get (other instances' admin changes).
    pub reference_ttl: Duration,
    /// Open311 writes each API key may make per minute, unless the key sets its own.
    pub open311_rate_per_minute: i64,
    /// How long an idempotency key makes a repeated report return the first one's case.
    pub idempotency_ttl_ms: i64,
    /// 疑似重复件: radius and time window around open cases of the same category.
    pub duplicates: DuplicateRule,
    /// With `group_commit_postgres`: most reports an instance commits in one transaction.
    pub intake_batch: usize,
    /// PostgreSQL: batch new cases per instance as on SQLite instead of one transaction per request.
    pub group_commit_postgres: bool,
    /// 智能分拨: below this probability no category is suggested (None: the model's own).
    pub classifier_threshold: Option<f32>,
    /// 智能分拨: retrain from the town's cases this often (None: only on demand).
    pub classifier_retrain_every: Option<Duration>,
    /// Mark the console's cookies `Secure` (set when the server sits behind HTTPS).
    pub secure_cookies: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            session_ttl_ms: 12 * 3600 * 1000,
            login_window_ms: 15 * 60 * 1000,
            max_failures_per_account: 5,
            max_failures_per_address: 30,
            default_region: None,
            max_upload_bytes: 10 * 1024 * 1024,
            max_import_bytes: 64 * 1024 * 1024,
            reference_ttl: Duration::from_secs(30),
            open311_rate_per_minute: 60,
            idempotency_ttl_ms: 24 * 3600 * 1000,
            duplicates: DuplicateRule::default(),
            intake_batch: 512,
            group_commit_postgres: false,
            classifier_threshold: None,
            classifier_retrain_every: None,
            secure_cookies: false,
        }
    }
}

/// Reference data, loaded together so a request sees one consistent version.
pub struct Reference {
    pub catalog: CategoryCatalog,
    pub regions: RegionTree,
    pub units: BTreeMap<String, Unit>,
    pub calendar: WorkCalendar,
    pub steps: StepLimits,
    /// 责任清单
    pub routing: ResponsibilityList,
    /// Version of the stored boundaries this data was loaded with.
    pub geometry_version: i64,
    loaded_at: Instant,
}

impl Reference {
    pub async fn load(store: &dyn Store) -> ApiResult<Reference> {
        let corrupt = |what: &str, e: String| {
            tracing::error!(what, error = %e, "stored reference data is invalid");
            ApiError::internal()
        };
        let mut tables = store.list_category_tables().await?;
        if tables.is_empty() {
            tables = CategoryTable::bundled();
        }
        let catalog = CategoryCatalog::new(tables).map_err(|e| corrupt("categories", e.to_string()))?;
        let regions = RegionTree::from_regions(store.list_regions().await?).map_err(|e| corrupt("regions", e.to_string()))?;
        let units = store.list_units().await?.into_iter().map(|u| (u.code.clone(), u)).collect();
        let schedule = match store.get_setting(SCHEDULE_KEY).await? {
            Some(s) => serde_json::from_str::<WorkSchedule>(&s).map_err(|e| corrupt("schedule", e.to_string()))?,
            None => WorkSchedule::default(),
        };
        let holidays = match store.get_setting(HOLIDAYS_KEY).await? {
            Some(s) => HolidayTable::from_json(&s).map_err(|e| corrupt("holidays", e.to_string()))?,
            None => HolidayTable::china(),
        };
        let calendar = WorkCalendar::new(schedule, holidays).map_err(|e| corrupt("calendar", e.to_string()))?;
        let steps = match store.get_setting(STEP_LIMITS_KEY).await? {
            Some(s) => serde_json::from_str(&s).map_err(|e| corrupt("step limits", e.to_string()))?,
            None => StepLimits::default(),
        };
        let routing = ResponsibilityList::new(store.list_routing_rules().await?).map_err(|e| corrupt("routing rules", e.to_string()))?;
        let geometry_version = store.geometry_version().await?;
        Ok(Reference { catalog, regions, units, calendar, steps, routing, geometry_version, loaded_at: Instant::now() })
    }

    pub fn unit_name(&self, code: &str) -> Option<&str> {
        self.units.get(code).map(|u| u.name.as_str())
    }

    pub fn region_name(&self, code: &str) -> Option<&str> {
        self.regions.get(code).map(|r| r.name.as_str())
    }
}

/// The point → region index over the stored boundaries, and the version it was built from.
pub struct Places {
    pub index: LocateIndex,
    pub version: i64,
}

impl Places {
    async fn load(store: &dyn Store, version: i64) -> ApiResult<Places> {
        let stored = store.region_geometries(GeometryScope::All).await?;
        // Parsing and indexing tens of thousands of polygons is CPU work: keep it off the runtime.
        let index = tokio::task::spawn_blocking(move || {
            let shapes = stored.into_iter().filter_map(|g| match chengyun_places::geometry::from_stored(&g.geometry) {
                Ok(shape) => Some((g.region.code, g.region.level, shape)),
                Err(e) => {
                    tracing::error!(region = %g.region.code, error = %e, "stored boundary is invalid; left out of the index");
                    None
                }
            });
            LocateIndex::build(shapes)
        })
        .await
        .map_err(|_| ApiError::internal())?;
        Ok(Places { index, version })
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub config: Arc<Config>,
    /// Where new cases are written (see `intake`).
    pub intake: Arc<IntakeWriter>,
    reference: Arc<RwLock<Arc<Reference>>>,
    places: Arc<RwLock<Arc<Places>>>,
    /// The active classifier model (智能分拨), see [`crate::classifier`].
    pub(crate) classifier: crate::classifier::Slot,
    /// The change feed of live pages (server-sent events).
    pub(crate) live: Arc<crate::live::Hub>,
    /// The 大屏's computations, shared by its viewers.
    pub(crate) dashboard: Arc<crate::dashboard::Computed>,
    /// Open311 services per town and API keys per hash, read at most once per
    /// `Config::reference_ttl` (and again after a change made here): every report needs both.
    pub(crate) open311_services: Arc<Shared<Vec<Service>>>,
    pub(crate) api_keys: Arc<Shared<Option<(ApiKeyRecord, UserRecord)>>>,
}

impl AppState {
    pub async fn new(store: Arc<dyn Store>, config: Config) -> ApiResult<AppState> {
        let reference = Reference::load(&*store).await?;
        let places = Places::load(&*store, reference.geometry_version).await?;
        let intake = Arc::new(IntakeWriter::start(store.clone(), config.intake_batch, config.group_commit_postgres));
        spawn_key_purge(&store, config.idempotency_ttl_ms);
        let ttl = config.reference_ttl.as_millis() as Millis;
        Ok(AppState {
            store,
            config: Arc::new(config),
            intake,
            reference: Arc::new(RwLock::new(Arc::new(reference))),
            places: Arc::new(RwLock::new(Arc::new(places))),
            classifier: Default::default(),
            live: Default::default(),
            dashboard: Default::default(),
            open311_services: Arc::new(Shared::new(ttl, false)),
            api_keys: Arc::new(Shared::new(ttl, false)),
        })
    }

    /// The locate index, rebuilt when the boundaries changed (here or on another instance, seen
    /// when the reference data is next reloaded).
    pub async fn places(&self) -> ApiResult<Arc<Places>> {
        let wanted = self.reference().await?.geometry_version;
        let current = self.places.read().await.clone();
        if current.version == wanted {
            return Ok(current);
        }
        let mut slot = self.places.write().await;
        if slot.version != wanted {
            *slot = Arc::new(Places::load(&*self.store, wanted).await?);
        }
        Ok(slot.clone())
    }

    /// The current reference data, reloaded when older than the configured TTL.
    pub async fn reference(&self) -> ApiResult<Arc<Reference>> {
        let current = self.reference.read().await.clone();
        if current.loaded_at.elapsed() < self.config.reference_ttl {
            return Ok(current);
        }
        self.reload().await
    }

    /// Reloads after a change this instance made.
    pub async fn reload(&self) -> ApiResult<Arc<Reference>> {
        let fresh = Arc::new(Reference::load(&*self.store).await?);
        *self.reference.write().await = fresh.clone();
        Ok(fresh)
    }
}

/// Forgets expired idempotency keys once an hour (they no longer count anyway; this keeps the
/// table small). Holds the store weakly: it stops when the server's state is gone.
fn spawn_key_purge(store: &Arc<dyn Store>, ttl_ms: i64) {
    let store = Arc::downgrade(store);
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(3600));
        loop {
            every.tick().await;
            let Some(store) = store.upgrade() else { return };
            if let Err(e) = store.purge_idempotency_keys(now_ms() - ttl_ms).await {
                tracing::warn!(error = %e, "purging expired idempotency keys failed");
            }
        }
    });
}

/// The wall clock in epoch milliseconds.
pub fn now_ms() -> Millis {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}
