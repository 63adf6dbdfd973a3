//! The leaders' 大屏: `GET /api/v1/dashboard` (figures as JSON) and its charts as SVG
//! (`/api/v1/dashboard/{trend|categories|units}.svg`). Counts are aggregated in the database;
//! the unit ranking (按期处置率) is computed from the tasks of the period's cases.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use chengyun_domain::case::{Case, CaseStatus};
use chengyun_domain::org::{Actor, Role};
use chengyun_domain::region::Region;
use chengyun_domain::Millis;
use chengyun_storage::{DashboardFigures, DashboardQuery, ScopeFilter};
use chengyun_svg::bars::{Bar, BarChart};
use chengyun_svg::line::{LineChart, Series};

use crate::access::require_role;
use crate::auth::CurrentUser;
use crate::shared_cache::{Shared, EARLIER_DAYS_MAX_AGE_MS, FIGURES_MAX_AGE_MS, RANKING_MAX_AGE_MS};
use crate::error::{ApiError, ApiResult};
use crate::maps::{count_scope, scoped_region};
use crate::places::{param, Params};
use crate::state::{now_ms, AppState, Reference};
use crate::views::time;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/dashboard", get(dashboard)).route("/api/v1/dashboard/{chart}", get(chart_svg))
}

/// Who opens the 大屏.
pub const ROLES: [Role; 5] = [Role::Leader, Role::ShiftLead, Role::Dispatcher, Role::Assessor, Role::Admin];

const DAY_MS: i64 = 86_400_000;
/// Shanghai is UTC+8 all year.
const OFFSET_MS: i64 = 8 * 3_600_000;
/// Days of the trend (and of the category breakdown and the unit ranking).
pub const TREND_DAYS: i64 = 30;
const TOP_CATEGORIES: i64 = 10;
const OVERDUE_LIST: i64 = 20;

/// A local (Shanghai) day number and its first instant.
fn day_of(at: Millis) -> i64 {
    (at + OFFSET_MS).div_euclid(DAY_MS)
}
fn day_start(day: i64) -> Millis {
    day * DAY_MS - OFFSET_MS
}
fn day_label(day: i64) -> String {
    chengyun_domain::time::local_date(day_start(day)).format("%m-%d").to_string()
}

/// 按期处置率 of one unit: tasks due in the period (应处置数) and those fed back by their
/// deadline (按期处置数).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OnTime {
    pub due: u64,
    pub on_time: u64,
}

impl OnTime {
    pub fn rate(&self) -> Option<f64> {
        (self.due > 0).then(|| self.on_time as f64 / self.due as f64)
    }
}

/// Per unit: tasks whose deadline fell in `[from, to)` and how many were fed back by it. Tasks
/// a re-dispatch dropped, released 协办 tasks and returned tasks owe nothing; a task on hold
/// (挂账) has no deadline while its clock is paused.
pub fn on_time_disposal<'c>(cases: impl IntoIterator<Item = &'c Case>, from: Millis, to: Millis) -> BTreeMap<String, OnTime> {
    let mut out: BTreeMap<String, OnTime> = BTreeMap::new();
    for case in cases {
        for t in &case.tasks {
            if !t.status.is_active() || t.clock.paused.is_some() {
                continue;
            }
            let due = t.clock.due_at;
            if due < from || due >= to {
                continue;
            }
            let e = out.entry(t.unit.clone()).or_default();
            e.due += 1;
            if t.feedback.as_ref().is_some_and(|f| f.at <= due) {
                e.on_time += 1;
            }
        }
    }
    out
}

/// The region the 大屏 shows: the `region` parameter, else the asker's own region, else the
/// instance's default region.
fn shown_region<'r>(state: &AppState, reference: &'r Reference, actor: &Actor, params: &Params) -> ApiResult<&'r Region> {
    let code = param(params, "region")
        .map(str::to_string)
        .or_else(|| actor.scope.region.clone())
        .or_else(|| state.config.default_region.clone())
        .ok_or_else(|| ApiError::invalid("field_required", "region", "缺少参数 region（区划代码）"))?;
    scoped_region(reference, actor, &code)
}

struct Period {
    now: Millis,
    today: i64,
    month_first: i64,
    trend_first: i64,
}

impl Period {
    fn at(now: Millis) -> Period {
        let today = day_of(now);
        let date = chengyun_domain::time::local_date(now);
        let month_first = today - (chrono::Datelike::day(&date) as i64 - 1);
        Period { now, today, month_first, trend_first: today - (TREND_DAYS - 1) }
    }
}

/// The 大屏's computations shared by its viewers (see [`crate::shared_cache`]).
pub struct Computed {
    /// Today's counts, the open and overdue cases: follow every change.
    today: Shared<DashboardFigures>,
    /// The days before today (trend, month, categories): they change rarely (a 重办 reopening
    /// an old case), so they are counted once per day and every ten minutes.
    earlier: Arc<Shared<DashboardFigures>>,
    ranking: Arc<Shared<Vec<UnitRow>>>,
}

impl Default for Computed {
    fn default() -> Self {
        Computed {
            today: Shared::new(FIGURES_MAX_AGE_MS, true),
            earlier: Arc::new(Shared::new(EARLIER_DAYS_MAX_AGE_MS, false)),
            ranking: Arc::new(Shared::new(RANKING_MAX_AGE_MS, false)),
        }
    }
}

/// Which figures a viewer gets: the region shown and the viewer's own scope.
fn shared_key(actor: &Actor, reference: &Reference, r: &Region) -> String {
    format!("{}|{:?}", r.code, count_scope(actor, reference))
}

/// The figures of the period: the days before today (shared for minutes) and today's (fresh
/// after any change), added up.
async fn figures(state: &AppState, reference: &Reference, actor: &Actor, r: &Region, p: &Period) -> ApiResult<DashboardFigures> {
    let event = state.store.latest_case_event().await?;
    let key = shared_key(actor, reference, r);
    let today_start = day_start(p.today);
    let query = |since: Millis, categories_since: Millis, until: Option<Millis>| DashboardQuery {
        regions: reference.regions.scope_prefixes(&r.code),
        scope: count_scope(actor, reference),
        now: p.now,
        since,
        categories_since,
        until,
        // Every category: the two parts' counts are added before the top ones are chosen.
        top_categories: i64::from(i32::MAX),
        overdue_limit: OVERDUE_LIST,
    };
    let earlier_query = query(day_start(p.month_first.min(p.trend_first)), day_start(p.trend_first), Some(today_start));
    let today_query = query(today_start, today_start, None);
    let earlier_key = format!("{key}|{}", p.today);
    let (earlier, today) = tokio::try_join!(
        state.dashboard.earlier.get_or_refresh(&earlier_key, p.now, {
            let store = state.store.clone();
            move || async move { Ok::<_, ApiError>(store.dashboard_figures(&earlier_query).await?) }
        }),
        state.dashboard.today.get_or_compute(&key, event, p.now, || async { Ok::<_, ApiError>(state.store.dashboard_figures(&today_query).await?) }),
    )?;
    Ok(add_up(&earlier, &today))
}

/// Earlier days' counts with today's: the days, the categories (then the top ones); the open and
/// overdue cases are today's.
fn add_up(earlier: &DashboardFigures, today: &DashboardFigures) -> DashboardFigures {
    let mut days: BTreeMap<i64, chengyun_storage::DayCounts> = earlier.days.iter().copied().collect();
    for (d, c) in &today.days {
        let e = days.entry(*d).or_default();
        e.reported += c.reported;
        e.filed += c.filed;
        e.closed += c.closed;
    }
    let mut categories: BTreeMap<&str, i64> = BTreeMap::new();
    for (code, n) in earlier.categories.iter().chain(&today.categories) {
        *categories.entry(code).or_default() += n;
    }
    let mut categories: Vec<(String, i64)> = categories.into_iter().map(|(c, n)| (c.to_string(), n)).collect();
    categories.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    categories.truncate(TOP_CATEGORIES as usize);
    DashboardFigures {
        days: days.into_iter().collect(),
        open: today.open,
        overdue: today.overdue,
        categories,
        overdue_cases: today.overdue_cases.clone(),
    }
}

struct UnitRow {
    code: String,
    name: String,
    figures: OnTime,
}

async fn unit_ranking(state: &AppState, reference: &Reference, actor: &Actor, r: &Region, p: &Period) -> ApiResult<Arc<Vec<UnitRow>>> {
    let key = shared_key(actor, reference, r);
    let (owned, prefixes, scope, from, now) =
        (state.clone(), reference.regions.scope_prefixes(&r.code), count_scope(actor, reference), day_start(p.trend_first), p.now);
    state.dashboard.ranking.get_or_refresh(&key, p.now, move || compute_unit_ranking(owned, prefixes, scope, from, now)).await
}

async fn compute_unit_ranking(state: AppState, prefixes: Vec<String>, scope: Option<ScopeFilter>, from: Millis, now: Millis) -> ApiResult<Vec<UnitRow>> {
    let reference = state.reference().await?;
    let cases = state.store.task_cases(&prefixes, scope.as_ref(), from).await?;
    let per_unit = tokio::task::spawn_blocking(move || on_time_disposal(&cases, from, now)).await.map_err(|_| ApiError::internal())?;
    let mut rows: Vec<UnitRow> = per_unit
        .into_iter()
        .map(|(code, figures)| UnitRow { name: reference.unit_name(&code).unwrap_or(&code).to_string(), code, figures })
        .collect();
    rows.sort_by(|a, b| {
        b.figures.rate().partial_cmp(&a.figures.rate()).unwrap_or(std::cmp::Ordering::Equal).then(b.figures.due.cmp(&a.figures.due)).then(a.code.cmp(&b.code))
    });
    Ok(rows)
}

fn category_name(reference: &Reference, code: &str) -> String {
    reference.catalog.get(code).map(|c| c.name.clone()).unwrap_or_else(|| code.to_string())
}

fn percent(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0)
}

/// `GET /api/v1/dashboard?region=CODE`
async fn dashboard(State(state): State<AppState>, CurrentUser(actor): CurrentUser, Query(params): Query<Params>) -> ApiResult<Json<Value>> {
    require_role(&actor, &ROLES, "查看大屏")?;
    let reference = state.reference().await?;
    let r = shown_region(&state, &reference, &actor, &params)?;
    let p = Period::at(now_ms());
    let (f, units) = tokio::try_join!(figures(&state, &reference, &actor, r, &p), unit_ranking(&state, &reference, &actor, r, &p))?;
    let days: BTreeMap<i64, _> = f.days.iter().copied().collect();
    let sum = |from: i64| {
        let mut t = chengyun_storage::DayCounts::default();
        for (_, c) in days.range(from..=p.today) {
            t.reported += c.reported;
            t.filed += c.filed;
            t.closed += c.closed;
        }
        json!({"reported": t.reported, "filed": t.filed, "closed": t.closed, "overdue_open": f.overdue})
    };
    let trend: Vec<Value> = (p.trend_first..=p.today)
        .map(|d| {
            let c = days.get(&d).copied().unwrap_or_default();
            json!({"date": chengyun_domain::time::local_date(day_start(d)).to_string(), "label": day_label(d),
                   "reported": c.reported, "filed": c.filed, "closed": c.closed})
        })
        .collect();
    let category_total: i64 = f.categories.iter().map(|c| c.1).sum();
    let categories: Vec<Value> = f
        .categories
        .iter()
        .map(|(code, n)| json!({"code": code, "name": category_name(&reference, code), "count": n,
                                "share": if category_total > 0 { *n as f64 / category_total as f64 } else { 0.0 }}))
        .collect();
    let units: Vec<Value> = units
        .iter()
        .map(|u| json!({"code": u.code, "name": u.name, "due": u.figures.due, "on_time": u.figures.on_time, "rate": u.figures.rate()}))
        .collect();
    let overdue: Vec<Value> = f
        .overdue_cases
        .iter()
        .map(|c| {
            let status: Option<CaseStatus> = serde_json::from_value(Value::String(c.status.clone())).ok();
            json!({
                "id": c.id, "number": c.number, "status": c.status, "status_label": status.map(|s| s.label()),
                "category": c.category, "category_name": category_name(&reference, &c.category),
                "region_code": c.region_code, "region_name": reference.region_name(&c.region_code),
                "lead_unit": c.lead_unit, "lead_unit_name": c.lead_unit.as_deref().and_then(|u| reference.unit_name(u)),
                "description": c.description, "address": c.address,
                "due_at": time(c.due_at), "overdue_minutes": (p.now - c.due_at) / 60_000, "created_at": time(c.created_at),
            })
        })
        .collect();
    Ok(Json(json!({
        "region": {"code": r.code, "name": r.name, "level": r.level, "level_label": r.level.label()},
        "chain": crate::places::chain(&reference, &r.code),
        "generated_at": time(p.now),
        "today": sum(p.today),
        "month": sum(p.month_first),
        "open": f.open,
        "overdue_open": f.overdue,
        "trend": trend,
        "categories": categories,
        "categories_from": chengyun_domain::time::local_date(day_start(p.trend_first)).to_string(),
        "units": units,
        "units_from": chengyun_domain::time::local_date(day_start(p.trend_first)).to_string(),
        "overdue": overdue,
    })))
}

/// Chart width from `?width=` (the console sizes charts to their card), within reason.
fn chart_width(params: &Params, default: f64) -> f64 {
    param(params, "width").and_then(|w| w.parse::<f64>().ok()).filter(|w| w.is_finite()).map_or(default, |w| w.clamp(240.0, 2400.0))
}

/// `GET /api/v1/dashboard/{trend|categories|units}.svg?region=CODE[&width=]`
async fn chart_svg(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(chart): Path<String>,
    Query(params): Query<Params>,
) -> ApiResult<Response> {
    let kind = match chart.as_str() {
        "trend.svg" => "trend",
        "categories.svg" => "categories",
        "units.svg" => "units",
        _ => return Err(ApiError::not_found("图表")),
    };
    require_role(&actor, &ROLES, "查看大屏")?;
    let reference = state.reference().await?;
    let r = shown_region(&state, &reference, &actor, &params)?;
    let p = Period::at(now_ms());
    let svg = match kind {
        "trend" => {
            let f = figures(&state, &reference, &actor, r, &p).await?;
            let days: BTreeMap<i64, _> = f.days.iter().copied().collect();
            let range = p.trend_first..=p.today;
            let values = |pick: fn(&chengyun_storage::DayCounts) -> i64| {
                range.clone().map(|d| days.get(&d).map_or(0.0, |c| pick(c) as f64)).collect::<Vec<f64>>()
            };
            chengyun_svg::line::render(&LineChart {
                title: format!("{} 近{TREND_DAYS}天案件趋势", r.name),
                labels: range.clone().map(day_label).collect(),
                series: vec![
                    Series { name: "上报".into(), values: values(|c| c.reported) },
                    Series { name: "结案".into(), values: values(|c| c.closed) },
                ],
                width: chart_width(&params, 900.0),
                height: 300.0,
                unit: "件".into(),
            })
        }
        "categories" => {
            let f = figures(&state, &reference, &actor, r, &p).await?;
            chengyun_svg::bars::render(&BarChart {
                title: format!("{} 近{TREND_DAYS}天案件类别", r.name),
                bars: {
                    let names: Vec<String> = f.categories.iter().map(|(code, _)| category_name(&reference, code)).collect();
                    f.categories
                        .iter()
                        .zip(&names)
                        .map(|((code, n), name)| {
                            // The national tables share some names (暴露垃圾 …): the code tells such bars apart.
                            let shared = names.iter().filter(|other| *other == name).count() > 1;
                            let label = if shared { format!("{name} {code}") } else { name.clone() };
                            Bar { label, value: *n as f64, text: n.to_string(), title: None, code: Some(code.clone()) }
                        })
                        .collect()
                },
                width: chart_width(&params, 600.0),
                bar_height: 22.0,
                colour: "#3b8eea".into(),
                ..BarChart::default()
            })
        }
        _ => {
            let units = unit_ranking(&state, &reference, &actor, r, &p).await?;
            chengyun_svg::bars::render(&BarChart {
                title: format!("{} 各单位按期处置率（近{TREND_DAYS}天）", r.name),
                bars: units
                    .iter()
                    .take(15)
                    .map(|u| {
                        let rate = u.figures.rate().unwrap_or(0.0);
                        Bar {
                            label: u.name.clone(),
                            value: rate,
                            text: percent(rate),
                            title: Some(format!("{}：按期处置 {} / 应处置 {}（{}）", u.name, u.figures.on_time, u.figures.due, percent(rate))),
                            code: Some(u.code.clone()),
                        }
                    })
                    .collect(),
                max: Some(1.0),
                width: chart_width(&params, 600.0),
                bar_height: 22.0,
                colour: "#2fb344".into(),
            })
        }
    };
    Ok(([(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8"), (header::CACHE_CONTROL, "private, no-cache")], svg).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_days_start_at_shanghai_midnight() {
        let t = chengyun_domain::time::at_local(2026, 12, 4, 0, 0);
        assert_eq!(day_start(day_of(t)), t);
        assert_eq!(day_of(t - 1), day_of(t) - 1);
        assert_eq!(day_label(day_of(t + 23 * 3_600_000)), "12-04");
        let p = Period::at(chengyun_domain::time::at_local(2026, 12, 4, 9, 30));
        assert_eq!(p.today - p.month_first, 3);
        assert_eq!(p.today - p.trend_first, 29);
    }
}
