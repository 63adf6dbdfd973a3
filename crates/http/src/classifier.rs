//! 智能分拨 in the platform: category suggestions from the town's active classifier model, the
//! 受理员's accept/correct, retraining from the town's own cases, model versions and rollback.
//!
//! Models live in the database (every instance sees the same versions); each instance caches
//! the active one and reloads it when the active version changes (checked at most once per
//! `reference_ttl`). A town without any model gets version 1, trained on the demo generator's
//! texts for its categories, on first use.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::RwLock;

use chengyun_domain::case::Case;
use chengyun_domain::category::CategoryCatalog;
use chengyun_domain::demo::DemoTowns;
use chengyun_domain::org::{Actor, Role};
use chengyun_storage::{AuditActor, CaseClassification, ClassifierModelMeta, NewClassifierModel};
use chengyun_text::classify::{Classifier, FeatureConfig, Metrics, SvmConfig, TrainOptions};

use crate::access::require_role;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::json::JsonBody;
use crate::state::{now_ms, AppState, Reference};

/// Roles that take the 受理 step and so see and settle suggestions.
pub const CLASSIFY_ROLES: [Role; 4] = [Role::Operator, Role::ShiftLead, Role::Dispatcher, Role::Admin];
/// Suggestions shown per text.
const TOP_K: usize = 3;
/// Longest text classified.
const MAX_TEXT_CHARS: usize = 10_000;
/// Share of the cases held back from retraining to measure the new model.
const HOLD_BACK: f64 = 0.1;
/// Newest cases a retraining reads.
const MAX_TRAINING_CASES: i64 = 50_000;
/// Fewest cases a retraining needs.
const MIN_TRAINING_CASES: usize = 20;

/// The active model as this instance holds it.
pub struct ActiveModel {
    pub version: i64,
    pub classifier: Classifier,
}

/// The cached active model and when the store was last asked about it.
#[derive(Clone, Default)]
pub struct Slot(Arc<RwLock<Cached>>);
type Cached = (Option<Arc<ActiveModel>>, Option<Instant>);

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/classify", post(classify))
        .route("/api/v1/cases/{id}/classification", post(record))
        .route("/api/v1/admin/classifier/retrain", post(retrain))
        .route("/api/v1/admin/classifier/versions", get(versions))
        .route("/api/v1/admin/classifier/versions/{version}/activate", post(activate))
}

/// Settings of the models trained inside the platform: fewer features than the CLI's, since a
/// town has hundreds of categories and the weights grow with features × categories.
fn platform_options() -> TrainOptions {
    TrainOptions {
        features: FeatureConfig {
            word_ngrams: 1,
            char_min: 1,
            char_max: 2,
            min_df: 2,
            max_features: 10_000,
            word_weight: 1.0,
            hmm: false,
            word_chars: 0,
            // Case descriptions have no title line.
            title_weight: 0.0,
            title_word_ngrams: 0,
            title_char_max: 0,
        },
        // The settings these models were measured with (docs/classifier.md, 'In the platform').
        svm: SvmConfig { c: 2.0, nb_scale: false, ..SvmConfig::default() },
        calibration_folds: 3,
        quantise: true,
        ..TrainOptions::default()
    }
}

impl AppState {
    /// The active model, loading or (for a town without any) bootstrapping it.
    pub async fn classifier(&self) -> ApiResult<Arc<ActiveModel>> {
        {
            let cached = self.classifier.0.read().await;
            if let (Some(model), Some(at)) = (&cached.0, cached.1)
                && at.elapsed() < self.config.reference_ttl
            {
                return Ok(model.clone());
            }
        }
        let mut slot = self.classifier.0.write().await;
        let version = match self.store.active_classifier_version().await? {
            Some(v) => v,
            None => bootstrap(self).await?,
        };
        if let Some(model) = slot.0.as_ref().filter(|m| m.version == version) {
            let model = model.clone();
            slot.1 = Some(Instant::now());
            return Ok(model);
        }
        let (_, bytes) = self.store.classifier_model(version).await?.ok_or_else(ApiError::internal)?;
        let classifier = tokio::task::spawn_blocking(move || Classifier::from_bytes(&bytes))
            .await
            .map_err(|_| ApiError::internal())?
            .map_err(|e| {
                tracing::error!(version, error = %e, "stored classifier model is invalid");
                ApiError::internal()
            })?;
        let model = Arc::new(ActiveModel { version, classifier });
        *slot = (Some(model.clone()), Some(Instant::now()));
        Ok(model)
    }

    /// Forgets the cached model after this instance changed the active version.
    async fn classifier_changed(&self) {
        self.classifier.0.write().await.1 = None;
    }
}

/// Trains version 1 from the demo texts of the town's categories and stores it, unless another
/// instance got there first. The bytes are kept per process and category list, so a test suite
/// making many fresh databases trains once.
async fn bootstrap(state: &AppState) -> ApiResult<i64> {
    /// Model bytes and metrics per list of category codes.
    type Trained = HashMap<Vec<String>, (Arc<Vec<u8>>, String)>;
    static TRAINED: OnceLock<Mutex<Trained>> = OnceLock::new();
    let reference = state.reference().await?;
    let codes: Vec<String> = reference.catalog.iter_active().map(|c| c.code.clone()).collect();
    let cached = TRAINED.get_or_init(Default::default).lock().expect("not poisoned").get(&codes).cloned();
    let (bytes, metrics) = match cached {
        Some(hit) => hit,
        None => {
            let catalog = CategoryCatalog::new(reference.catalog.tables().to_vec()).map_err(|_| ApiError::internal())?;
            let started = Instant::now();
            let trained = tokio::task::spawn_blocking(move || {
                let texts = chengyun_demo::labelled_reports(&DemoTowns::bundled(), &catalog, 12, 2026);
                train_held_back(texts, &platform_options())
            })
            .await
            .map_err(|_| ApiError::internal())??;
            tracing::info!(seconds = started.elapsed().as_secs_f64(), bytes = trained.0.len(), "trained the demo classifier model");
            let hit = (Arc::new(trained.0), trained.1.to_string());
            TRAINED.get().expect("initialised").lock().expect("not poisoned").insert(codes, hit.clone());
            hit
        }
    };
    let model = NewClassifierModel { model: bytes.to_vec(), metrics, source: "demo".into(), activate: true, only_if_none: true };
    state.store.put_classifier_model(&model, &AuditActor::system()).await?;
    state.store.active_classifier_version().await?.ok_or_else(ApiError::internal)
}

/// Trains on all but a seeded 10 % of `texts` and measures the model on that 10 %.
fn train_held_back(mut texts: Vec<(String, String)>, options: &TrainOptions) -> ApiResult<(Vec<u8>, Value)> {
    let started = Instant::now();
    // A fixed shuffle (sorting by a hash of the text) so the slice is the same on every run.
    texts.sort_by_key(|(t, l)| (fnv(t.as_bytes()) ^ fnv(l.as_bytes()), t.clone()));
    let held = ((texts.len() as f64 * HOLD_BACK).round() as usize).max(1).min(texts.len() - 1);
    let (test, train) = texts.split_at(held);
    let (train_texts, train_labels): (Vec<&str>, Vec<&str>) = train.iter().map(|(t, l)| (t.as_str(), l.as_str())).unzip();
    let classifier = Classifier::train(&train_texts, &train_labels, options, &mut |_, _, _| {})
        .map_err(|e| ApiError::invalid("not_enough_history", "cases", e.to_string()))?;
    let train_s = started.elapsed().as_secs_f64();
    let labels = classifier.labels();
    let mut names: Vec<String> = labels.to_vec();
    let mut truth = Vec::new();
    let mut predicted = Vec::new();
    let t = Instant::now();
    for (text, label) in test {
        let y = names.iter().position(|n| n == label).unwrap_or_else(|| {
            names.push(label.clone());
            names.len() - 1
        });
        truth.push(y);
        predicted.push(classifier.predict_index(text));
    }
    let ms = t.elapsed().as_secs_f64() * 1000.0 / test.len().max(1) as f64;
    let m = Metrics::of(&truth, &predicted, names.len());
    let bytes = classifier.to_bytes();
    let metrics = json!({
        "held_back": test.len(), "trained_on": train.len(), "categories": labels.len(),
        "accuracy": m.accuracy, "macro_f1": m.macro_f1, "ms_per_message": ms,
        "features": classifier.features(), "train_seconds": train_s, "model_bytes": bytes.len(),
    });
    Ok((bytes, metrics))
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// Suggestions for `text` as the API shows them: categories the catalog knows, with names.
fn suggestions_view(model: &ActiveModel, text: &str, reference: &Reference, threshold: f32) -> Value {
    let p = model.classifier.suggest(text, TOP_K, threshold);
    let items: Vec<Value> = p
        .suggestions
        .iter()
        .filter_map(|s| {
            let c = reference.catalog.get(&s.label)?;
            Some(json!({"category": s.label, "name": c.name, "probability": s.probability}))
        })
        .collect();
    json!({"model_version": model.version, "suggestions": items, "confident": p.confident, "threshold": threshold})
}

fn threshold(state: &AppState, model: &ActiveModel) -> f32 {
    state.config.classifier_threshold.unwrap_or_else(|| model.classifier.threshold())
}

/// The `classification` field of a case's detail view, for the roles that settle it; `None`
/// for everyone else. The latest recorded decision comes with it.
pub async fn case_classification(state: &AppState, actor: &Actor, case: &Case, reference: &Reference) -> ApiResult<Option<Value>> {
    if !actor.has_any(&CLASSIFY_ROLES) || case.facts.description.trim().is_empty() {
        return Ok(None);
    }
    let model = state.classifier().await?;
    let mut view = suggestions_view(&model, &case.facts.description, reference, threshold(state, &model));
    view["decision"] = match state.store.case_classifications(case.id).await?.pop() {
        Some(d) => decision_view(&d),
        None => Value::Null,
    };
    Ok(Some(view))
}

fn decision_view(d: &CaseClassification) -> Value {
    json!({"category": d.category, "accepted": d.accepted, "suggested": d.suggested, "model_version": d.model_version,
           "by": d.username, "at": crate::views::time(d.created_at)})
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClassifyBody {
    text: String,
}

fn checked_text(text: &str) -> ApiResult<&str> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ApiError::invalid("empty_text", "text", "text 不能为空：请填写要分拨的问题描述"));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(ApiError::invalid("text_too_long", "text", format!("text 过长：最多 {MAX_TEXT_CHARS} 个字")));
    }
    Ok(text)
}

/// `POST /classify`: suggestions for the console's report form. Reporting roles may ask.
async fn classify(State(state): State<AppState>, CurrentUser(actor): CurrentUser, JsonBody(body): JsonBody<ClassifyBody>) -> ApiResult<Json<Value>> {
    let mut roles = CLASSIFY_ROLES.to_vec();
    roles.push(Role::Inspector);
    require_role(&actor, &roles, "使用智能分拨")?;
    let text = checked_text(&body.text)?;
    let reference = state.reference().await?;
    let model = state.classifier().await?;
    Ok(Json(suggestions_view(&model, text, &reference, threshold(&state, &model))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    category: String,
    accepted: bool,
}

/// `POST /cases/{id}/classification`: the 受理员 accepts the suggestion or names the right
/// category. Recorded and audited; later retraining learns from it. The case's own category is
/// not changed: the case engine has no 改类 action yet.
async fn record(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<DecisionBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    require_role(&actor, &CLASSIFY_ROLES, "确认或更正分类")?;
    let reference = state.reference().await?;
    let case = crate::cases::visible_case(&state, &actor, &reference, crate::cases::parse_id(&id)?).await?;
    let category = body.category.trim();
    if reference.catalog.get(category).is_none() {
        return Err(ApiError::invalid("unknown_category", "category", format!("category 无效：类别代码“{category}”不存在")));
    }
    let model = state.classifier().await?;
    let top = model.classifier.top(&case.facts.description, 1);
    let suggested = top.first().filter(|s| s.probability >= threshold(&state, &model)).map(|s| s.label.clone());
    if body.accepted && suggested.as_deref() != Some(category) {
        return Err(ApiError::invalid(
            "not_the_suggestion",
            "accepted",
            "accepted 为 true 时 category 须为当前的建议类别；更正请传 accepted: false",
        ));
    }
    let decision = CaseClassification {
        case_id: case.id,
        model_version: Some(model.version),
        suggested,
        category: category.to_owned(),
        accepted: body.accepted,
        user_id: actor.user_id,
        username: actor.username.clone(),
        created_at: now_ms(),
    };
    state.store.record_classification(&decision, &AuditActor::from(&actor)).await?;
    let mut view = decision_view(&decision);
    // A correction the user may also apply changes the case itself (改类), as its own event.
    let recategorise = chengyun_domain::case::ActionKind::Recategorise;
    let applies = category != case.facts.category
        && recategorise.acting_role(&actor.roles).is_some()
        && recategorise.rule().states.contains(&case.status);
    let case = if applies {
        let command = chengyun_domain::case::Command::Recategorise { category: category.to_owned(), reason: "受理更正分类（智能分拨）".into() };
        let ctx = chengyun_domain::case::Context {
            now: now_ms(),
            calendar: &reference.calendar,
            steps: &reference.steps,
            merge_target: None,
            new_category_limit: reference.catalog.get(category).map(|c| c.limit),
        };
        crate::cases::take_action(&state, &case, &actor, &command, &ctx).await?
    } else {
        case
    };
    view["case_category"] = json!(case.facts.category);
    view["case_category_changed"] = json!(applies);
    view["case_version"] = json!(case.version);
    Ok((StatusCode::CREATED, Json(view)))
}

fn admin(actor: &Actor) -> ApiResult<()> {
    require_role(actor, &[Role::Admin], "管理智能分拨模型")
}

fn meta_view(m: &ClassifierModelMeta) -> Value {
    json!({"version": m.version, "size": m.size, "source": m.source, "active": m.active,
           "created_at": crate::views::time(m.created_at), "created_by": m.created_by,
           "metrics": serde_json::from_str::<Value>(&m.metrics).unwrap_or(Value::Null)})
}

/// Trains a model on the town's own cases and stores it as the next version, active.
pub async fn retrain_now(state: &AppState, by: &AuditActor) -> ApiResult<ClassifierModelMeta> {
    let texts = state.store.classifier_training_texts(MAX_TRAINING_CASES).await?;
    let texts: Vec<(String, String)> = texts.into_iter().filter(|(t, _)| !t.trim().is_empty()).collect();
    if texts.len() < MIN_TRAINING_CASES {
        return Err(ApiError::invalid(
            "not_enough_history",
            "cases",
            format!("历史案件不足：至少需要 {MIN_TRAINING_CASES} 件有描述的案件，现有 {} 件", texts.len()),
        ));
    }
    let (bytes, metrics) = tokio::task::spawn_blocking(move || train_held_back(texts, &platform_options()))
        .await
        .map_err(|_| ApiError::internal())??;
    let model = NewClassifierModel { model: bytes, metrics: metrics.to_string(), source: "history".into(), activate: true, only_if_none: false };
    let meta = state.store.put_classifier_model(&model, by).await?.ok_or_else(ApiError::internal)?;
    state.classifier_changed().await;
    Ok(meta)
}

async fn retrain(State(state): State<AppState>, CurrentUser(actor): CurrentUser) -> ApiResult<(StatusCode, Json<Value>)> {
    admin(&actor)?;
    // A town's first retraining still needs a version 1 to roll back to.
    state.classifier().await?;
    let meta = retrain_now(&state, &AuditActor::from(&actor)).await?;
    Ok((StatusCode::CREATED, Json(meta_view(&meta))))
}

async fn versions(State(state): State<AppState>, CurrentUser(actor): CurrentUser) -> ApiResult<Json<Value>> {
    admin(&actor)?;
    state.classifier().await?;
    let items: Vec<Value> = state.store.list_classifier_models().await?.iter().map(meta_view).collect();
    Ok(Json(json!({"items": items})))
}

async fn activate(State(state): State<AppState>, CurrentUser(actor): CurrentUser, Path(version): Path<String>) -> ApiResult<Json<Value>> {
    admin(&actor)?;
    let version: i64 = version.parse().map_err(|_| ApiError::not_found("模型版本"))?;
    if !state.store.activate_classifier_model(version, &AuditActor::from(&actor)).await? {
        return Err(ApiError::not_found("模型版本"));
    }
    state.classifier_changed().await;
    let model = state.classifier().await?;
    Ok(Json(json!({"active_version": model.version})))
}

/// Retrains every `every` in the background; skipped while the newest version is younger than
/// that (another instance retrained), so several instances do not all retrain.
pub fn spawn_scheduled_retrain(state: AppState, every: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.tick().await;
        loop {
            tick.tick().await;
            let newest = match state.store.list_classifier_models().await {
                Ok(models) => models.last().map(|m| m.created_at),
                Err(e) => {
                    tracing::warn!(error = %e, "scheduled classifier retraining: cannot read versions");
                    continue;
                }
            };
            if newest.is_some_and(|at| now_ms() - at < every.as_millis() as i64) {
                continue;
            }
            match retrain_now(&state, &AuditActor::system()).await {
                Ok(meta) => tracing::info!(version = meta.version, "scheduled classifier retraining done"),
                Err(e) => tracing::warn!(code = e.code, message = %e.message, "scheduled classifier retraining skipped"),
            }
        }
    });
}
