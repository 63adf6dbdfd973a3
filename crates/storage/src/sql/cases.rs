//! Cases: the folded state in `cases` (indexed columns + JSON), the history in `case_events`.

use sqlx::{Any, AnyPool, Row, Transaction};

use chengyun_domain::case::{Case, Change, Event};
use chengyun_domain::deadline::Lamp;
use chengyun_domain::time::local_date;
use chengyun_places::nearby::e7;

use super::audit_log;
use super::bind::{enum_from, prefix_upper, Arg, Sql};
use super::{search, Backend, SqlStore};
use crate::audit::{event_digest, AuditEntry, EventRow};
use crate::records::{event_audit_action, CasePage, CaseQuery, CaseSort, CaseSummary, StoredEvent};
use crate::{Result, StoreError};

/// Columns written from a case's state, in this order.
pub const CASE_COLUMNS: &str = "status, version, category, source, region_code, district_code, town_code, village_code, \
     lead_unit, reporter_name, reporter_phone, description, address, created_at, updated_at, closed_at, \
     watch_yellow_at, watch_due_at, overall_due_at, merged_into, place_flag, wgs_lon_e7, wgs_lat_e7";

/// The 区, 街镇 and 村/居 a region code lies in, as far as the code tells (a 片区 code such as
/// `310115137P01` names its town but no village).
pub fn level_codes(region_code: &str) -> [Option<String>; 3] {
    let digits = |n: usize| {
        region_code.get(..n).filter(|p| p.len() == n && p.bytes().all(|b| b.is_ascii_digit())).map(str::to_string)
    };
    [digits(6), digits(9), digits(12)]
}

pub fn case_args(case: &Case) -> Result<Vec<Arg>> {
    let watch = case.watch();
    let [district, town, village] = level_codes(&case.facts.region_code);
    Ok(vec![
        Arg::Text(case.status.as_str().into()),
        Arg::Int(case.version),
        Arg::Text(case.facts.category.clone()),
        Arg::Text(case.facts.source.as_str().into()),
        Arg::Text(case.facts.region_code.clone()),
        Arg::OptText(district),
        Arg::OptText(town),
        Arg::OptText(village),
        Arg::OptText(case.lead_unit().map(str::to_string)),
        Arg::OptText(case.facts.reporter.name.clone()),
        Arg::OptText(case.facts.reporter.phone.clone()),
        Arg::Text(case.facts.description.clone()),
        Arg::OptText(case.facts.address.clone()),
        Arg::Int(case.created_at),
        Arg::Int(case.updated_at),
        Arg::OptInt(case.closed_at),
        Arg::OptInt(watch.map(|w| w.0)),
        Arg::OptInt(watch.map(|w| w.1)),
        Arg::Int(case.overall.due_at),
        Arg::OptInt(case.merged_into),
        Arg::OptText(case.facts.placement.as_ref().and_then(|p| p.flag()).map(str::to_string)),
        Arg::OptInt(case.facts.placement.as_ref().map(|p| e7(p.lon))),
        Arg::OptInt(case.facts.placement.as_ref().map(|p| e7(p.lat))),
    ])
}

/// The folded case as stored in `case_states`.
pub fn state_json(case: &Case) -> Result<String> {
    Ok(serde_json::to_string(case)?)
}

/// An event's row values (without its id) and the photo ids it references.
pub struct EventValues {
    pub actor_role: String,
    pub action: String,
    pub payload: String,
}

pub fn event_values(e: &Event) -> Result<EventValues> {
    Ok(EventValues {
        actor_role: e.actor_role.as_str().into(),
        action: e.action.as_str().into(),
        payload: serde_json::to_string(&e.change)?,
    })
}

/// The audit entry of a stored event, carrying the digest of its row.
pub fn event_audit(case: &Case, event_id: i64, e: &Event, v: &EventValues) -> AuditEntry {
    let digest = event_digest(&EventRow {
        id: event_id,
        case_id: case.id,
        seq: e.seq,
        at: e.at,
        actor_id: e.actor_id,
        actor_name: &e.actor_name,
        actor_role: &v.actor_role,
        action: &v.action,
        reason: e.reason.as_deref(),
        payload: &v.payload,
    });
    AuditEntry {
        at: e.at,
        actor_id: e.actor_id,
        actor_name: e.actor_name.clone(),
        action: event_audit_action(e.action),
        object_type: "case".into(),
        object_id: case.facts.number.clone(),
        detail: serde_json::json!({"case_id": case.id, "seq": e.seq, "status": case.status}).to_string(),
        event_id: Some(event_id),
        event_digest: Some(digest),
    }
}

/// Photo ids an event attaches to its case.
pub fn event_photos(e: &Event) -> &[String] {
    match &e.change {
        Change::Reported { facts, .. } => &facts.photos,
        Change::Verified { photos, .. } | Change::FedBack { photos, .. } | Change::Checked { photos, .. } => photos,
        _ => &[],
    }
}

/// Units an event newly involves.
pub fn event_units(e: &Event) -> Vec<&str> {
    match &e.change {
        Change::Dispatched { tasks, .. } => tasks.iter().map(|t| t.unit.as_str()).collect(),
        _ => vec![],
    }
}

pub(super) async fn insert_event(tx: &mut Transaction<'static, Any>, case: &Case, e: &Event) -> Result<()> {
    let v = event_values(e)?;
    let row = sqlx::query(
        "INSERT INTO case_events (case_id, seq, at, actor_id, actor_name, actor_role, action, reason, payload) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(case.id)
    .bind(e.seq)
    .bind(e.at)
    .bind(e.actor_id)
    .bind(e.actor_name.clone())
    .bind(v.actor_role.clone())
    .bind(v.action.clone())
    .bind(e.reason.clone())
    .bind(v.payload.clone())
    .fetch_one(&mut **tx)
    .await?;
    let event_id: i64 = row.try_get(0)?;
    for unit in event_units(e) {
        sqlx::query("INSERT INTO case_units (unit_code, case_id, case_created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(unit.to_string())
            .bind(case.id)
            .bind(case.created_at)
            .execute(&mut **tx)
            .await?;
    }
    for photo in event_photos(e) {
        sqlx::query("INSERT INTO attachment_cases (attachment_id, case_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(photo.clone())
            .bind(case.id)
            .execute(&mut **tx)
            .await?;
    }
    audit_log::append(tx, event_audit(case, event_id, e, &v)).await?;
    Ok(())
}

/// The tally key of a case: its town and status.
pub fn tally_key(case: &Case) -> (String, String) {
    let [_, town, _] = level_codes(&case.facts.region_code);
    (town.unwrap_or_default(), case.status.as_str().to_string())
}

/// Adds `delta` to the tally of a town and status.
pub async fn tally(tx: &mut Transaction<'static, Any>, (town, status): (String, String), delta: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO case_tallies (town_code, status, n) VALUES ($1, $2, $3) \
         ON CONFLICT (town_code, status) DO UPDATE SET n = case_tallies.n + excluded.n",
    )
    .bind(town)
    .bind(status)
    .bind(delta)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// `yyyymmdd` of an instant in Shanghai.
pub fn day_text(at: i64) -> String {
    local_date(at).format("%Y%m%d").to_string()
}

pub async fn append(store: &SqlStore, before: &Case, case: &Case, event: &Event) -> Result<()> {
    let expected_version = before.version;
    let mut tx = store.begin().await?;
    // The guarded update is the first statement, so the write lock is taken before anything is
    // read and a stale version changes nothing.
    let mut sql = Sql::new("UPDATE cases SET ");
    for (i, (column, arg)) in CASE_COLUMNS.split(", ").zip(case_args(case)?).enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.push(column).push(" = ").arg(arg);
    }
    sql.push(" WHERE id = ").arg(Arg::Int(case.id)).push(" AND version = ").arg(Arg::Int(expected_version));
    if sql.query().execute(&mut *tx).await?.rows_affected() == 0 {
        return Err(StoreError::Conflict);
    }
    sqlx::query("UPDATE case_states SET state = $1 WHERE case_id = $2")
        .bind(state_json(case)?)
        .bind(case.id)
        .execute(&mut *tx)
        .await?;
    insert_event(&mut tx, case, event).await?;
    search::event_appended(&mut tx, store.backend, case, event).await?;
    if before.status != case.status {
        tally(&mut tx, tally_key(before), -1).await?;
        tally(&mut tx, tally_key(case), 1).await?;
    }
    tx.commit().await?;
    Ok(())
}

fn case_of(id: i64, state: &str) -> Result<Case> {
    let mut case: Case = serde_json::from_str(state)?;
    case.id = id;
    Ok(case)
}

pub async fn get(pool: &AnyPool, id: i64) -> Result<Option<Case>> {
    let row = sqlx::query("SELECT case_id, state FROM case_states WHERE case_id = $1").bind(id).fetch_optional(pool).await?;
    row.map(|r| case_of(r.try_get(0)?, &r.try_get::<String, _>(1)?)).transpose()
}

/// A plain lookup through the partial index: duplicates are few, and an ORDER BY would tempt a
/// planner into walking the whole table in date order.
pub async fn duplicates_of(pool: &AnyPool, id: i64) -> Result<Vec<i64>> {
    let rows = sqlx::query("SELECT id FROM cases WHERE merged_into = $1").bind(id).fetch_all(pool).await?;
    let mut ids = rows.iter().map(|r| r.try_get(0)).collect::<std::result::Result<Vec<i64>, _>>()?;
    ids.sort_unstable();
    Ok(ids)
}

pub async fn events(pool: &AnyPool, case_id: i64) -> Result<Vec<StoredEvent>> {
    let rows = sqlx::query(
        "SELECT id, seq, at, actor_id, actor_name, actor_role, action, reason, payload FROM case_events WHERE case_id = $1 ORDER BY seq",
    )
    .bind(case_id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(StoredEvent {
                id: r.try_get(0)?,
                case_id,
                event: Event {
                    seq: r.try_get(1)?,
                    at: r.try_get(2)?,
                    actor_id: r.try_get(3)?,
                    actor_name: r.try_get(4)?,
                    actor_role: enum_from(&r.try_get::<String, _>(5)?)?,
                    action: enum_from(&r.try_get::<String, _>(6)?)?,
                    reason: r.try_get(7)?,
                    change: serde_json::from_str(&r.try_get::<String, _>(8)?)?,
                },
            })
        })
        .collect()
}

/// The cases lying in any of the regions given as code prefixes (see
/// `RegionTree::scope_prefixes`): each prefix becomes an equality on the column of its level, so
/// the matching `(level, created_at)` index yields the rows already in order.
pub(super) fn push_regions(sql: &mut Sql, prefixes: &[String]) {
    let mut terms: Vec<(&str, &str)> = Vec::new();
    for p in prefixes {
        let column = match (p.len(), p.bytes().all(|b| b.is_ascii_digit())) {
            (6, true) => "district_code",
            (9, true) => "town_code",
            (12, true) => "village_code",
            _ => "region_code",
        };
        terms.push((column, p));
    }
    sql.push("(");
    for (i, (column, p)) in terms.iter().enumerate() {
        if i > 0 {
            sql.push(" OR ");
        }
        if p.len() < 6 {
            // A whole city: a range over districts.
            sql.push("(district_code >= ").arg(Arg::Text(p.to_string()));
            sql.push(" AND district_code < ").arg(Arg::Text(prefix_upper(p))).push(")");
        } else {
            sql.push(column).push(" = ").arg(Arg::Text(p.to_string()));
        }
    }
    sql.push(")");
}

pub(super) fn push_unit(sql: &mut Sql, unit: &str) {
    sql.push("id IN (SELECT case_id FROM case_units WHERE unit_code = ").arg(Arg::Text(unit.to_string())).push(")");
}

/// The unit whose ordered `case_units` index should drive the query: an explicit unit filter,
/// or the asker's own unit when that is all their scope is.
fn driving_unit(q: &CaseQuery) -> Option<&str> {
    q.unit.as_deref().or_else(|| {
        q.scope.as_ref().filter(|s| s.region_prefixes.is_empty()).and_then(|s| s.unit.as_deref())
    })
}

/// The WHERE clause of a case query, and whether it constrains anything but the driving unit.
fn filter(q: &CaseQuery, backend: Backend, driver: Option<&str>) -> (Sql, bool) {
    let mut sql = Sql::new(" WHERE 1 = 1");
    if let Some(u) = driver {
        sql.push(" AND cu.unit_code = ").arg(Arg::Text(u.to_string()));
    }
    let unit_only = sql.text.len();
    if !q.statuses.is_empty() {
        sql.push(" AND status IN ").row(q.statuses.iter().map(|s| Arg::Text(s.as_str().into())).collect());
    }
    if let Some(c) = &q.category {
        sql.push(" AND category = ").arg(Arg::Text(c.clone()));
    }
    if !q.categories.is_empty() {
        sql.push(" AND category IN ").row(q.categories.iter().map(|c| Arg::Text(c.clone())).collect());
    }
    if !q.region_prefixes.is_empty() {
        sql.push(" AND ");
        push_regions(&mut sql, &q.region_prefixes);
    }
    if let Some(u) = q.unit.as_deref().filter(|u| Some(*u) != driver) {
        sql.push(" AND ");
        push_unit(&mut sql, u);
    }
    if !q.search_terms.is_empty() {
        search::push_match(&mut sql, backend, &q.search_terms);
    }
    if let Some(s) = q.source {
        sql.push(" AND source = ").arg(Arg::Text(s.as_str().into()));
    }
    if let Some(main) = q.merged_into {
        sql.push(" AND merged_into = ").arg(Arg::Int(main));
    }
    if let Some(flag) = &q.place_flag {
        sql.push(" AND place_flag = ").arg(Arg::Text(flag.clone()));
    }
    // Lamps concern running cases only, a small set found through the partial indexes.
    match q.lamp {
        Some(Lamp::Red) => {
            sql.push(" AND id IN (SELECT id FROM cases WHERE watch_due_at < ").arg(Arg::Int(q.now)).push(")");
        }
        Some(Lamp::Yellow) => {
            sql.push(" AND id IN (SELECT id FROM cases WHERE watch_yellow_at <= ").arg(Arg::Int(q.now));
            sql.push(" AND watch_due_at >= ").arg(Arg::Int(q.now)).push(")");
        }
        Some(Lamp::Green) => {
            sql.push(" AND id IN (SELECT id FROM cases WHERE watch_yellow_at > ").arg(Arg::Int(q.now)).push(")");
        }
        None => {}
    }
    if let Some(t) = q.created_from {
        sql.push(" AND created_at >= ").arg(Arg::Int(t));
    }
    if let Some(t) = q.created_to {
        sql.push(" AND created_at < ").arg(Arg::Int(t));
    }
    if let Some(t) = q.updated_from {
        sql.push(" AND updated_at >= ").arg(Arg::Int(t));
    }
    if let Some(t) = q.updated_to {
        sql.push(" AND updated_at < ").arg(Arg::Int(t));
    }
    if let Some(near) = q.near {
        push_near(&mut sql, near);
    }
    if let Some(r) = &q.reporter {
        sql.push(" AND (reporter_phone = ").arg(Arg::Text(r.clone()));
        sql.push(" OR reporter_name = ").arg(Arg::Text(r.clone())).push(")");
    }
    if let Some(user) = q.reported_by {
        // `action = 'report'` stays a literal so SQLite can use the partial index.
        sql.push(" AND id IN (SELECT case_id FROM case_events WHERE action = 'report' AND actor_id = ").arg(Arg::Int(user)).push(")");
    }
    if let Some(scope) = &q.scope {
        let unit = scope.unit.as_deref().filter(|u| Some(*u) != driver);
        match (scope.region_prefixes.is_empty(), unit) {
            // Scope is exactly the driving unit: already applied.
            (true, None) if driver.is_some() => {}
            (true, None) => {
                sql.push(" AND 1 = 0");
            }
            (false, None) => {
                sql.push(" AND ");
                push_regions(&mut sql, &scope.region_prefixes);
            }
            (true, Some(u)) => {
                sql.push(" AND ");
                push_unit(&mut sql, u);
            }
            (false, Some(u)) => {
                sql.push(" AND (");
                push_regions(&mut sql, &scope.region_prefixes);
                sql.push(" OR ");
                push_unit(&mut sql, u);
                sql.push(")");
            }
        }
    }
    let more = sql.text.len() > unit_only;
    (sql, more)
}

/// Whether nothing but statuses, regions and scope restrict the query: the filters the
/// shortcuts below understand. A new filter belongs here.
fn no_row_filters(q: &CaseQuery) -> bool {
    q.category.is_none()
        && q.categories.is_empty()
        && q.merged_into.is_none()
        && q.place_flag.is_none()
        && q.unit.is_none()
        && q.source.is_none()
        && q.lamp.is_none()
        && q.created_from.is_none()
        && q.created_to.is_none()
        && q.reporter.is_none()
        && q.reported_by.is_none()
        && q.updated_from.is_none()
        && q.updated_to.is_none()
        && q.near.is_none()
        && q.search_terms.is_empty()
}

/// Metres per degree of latitude (and of longitude at the equator).
const METRES_PER_DEGREE: f64 = 111_320.0;

/// Cases within a circle: a box on the indexed latitude, then the distance on a local flat
/// projection (within a town, off by well under 0.1 %), in plain arithmetic both dialects share.
fn push_near(sql: &mut Sql, near: crate::records::Near) {
    let dlat = near.radius_m / METRES_PER_DEGREE;
    let kx = METRES_PER_DEGREE * near.lat.to_radians().cos();
    let dlon = near.radius_m / kx.max(1.0);
    let (lat0, lon0) = (e7(near.lat), e7(near.lon));
    sql.push(" AND wgs_lat_e7 BETWEEN ").arg(Arg::Int(e7(near.lat - dlat))).push(" AND ").arg(Arg::Int(e7(near.lat + dlat)));
    sql.push(" AND wgs_lon_e7 BETWEEN ").arg(Arg::Int(e7(near.lon - dlon))).push(" AND ").arg(Arg::Int(e7(near.lon + dlon)));
    // Metres north and east of the centre, squared and summed.
    let (ky, kx) = (METRES_PER_DEGREE / 1e7, kx / 1e7);
    sql.push(" AND ((wgs_lat_e7 - ").arg(Arg::Int(lat0)).push(") * ").arg(Arg::Real(ky));
    sql.push(") * ((wgs_lat_e7 - ").arg(Arg::Int(lat0)).push(") * ").arg(Arg::Real(ky));
    sql.push(") + ((wgs_lon_e7 - ").arg(Arg::Int(lon0)).push(") * ").arg(Arg::Real(kx));
    sql.push(") * ((wgs_lon_e7 - ").arg(Arg::Int(lon0)).push(") * ").arg(Arg::Real(kx));
    sql.push(") <= ").arg(Arg::Real(near.radius_m * near.radius_m));
}

/// The towns a query is confined to, when nothing but towns and statuses restrict it: then its
/// total is a sum of tallies. `Some(vec![])` means the whole instance.
fn tally_towns(q: &CaseQuery) -> Option<Vec<String>> {
    if !no_row_filters(q) {
        return None;
    }
    let is_town = |p: &String| p.len() == 9 && p.bytes().all(|b| b.is_ascii_digit());
    let scope_towns = match &q.scope {
        None => None,
        Some(s) if s.unit.is_none() && !s.region_prefixes.is_empty() && s.region_prefixes.iter().all(is_town) => {
            Some(s.region_prefixes.clone())
        }
        Some(_) => return None,
    };
    let filter_towns = match q.region_prefixes.as_slice() {
        [] => None,
        prefixes if prefixes.iter().all(is_town) => Some(prefixes.to_vec()),
        _ => return None,
    };
    match (scope_towns, filter_towns) {
        (None, None) => Some(vec![]),
        (Some(t), None) | (None, Some(t)) => Some(t),
        (Some(a), Some(b)) => {
            let both: Vec<String> = a.into_iter().filter(|t| b.contains(t)).collect();
            // Disjoint: nothing can match, which an empty IN list cannot say; count rows instead.
            (!both.is_empty()).then_some(both)
        }
    }
}

async fn tally_total(pool: &AnyPool, q: &CaseQuery, towns: &[String]) -> Result<i64> {
    let mut sql = Sql::new("SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM case_tallies WHERE 1 = 1");
    if !towns.is_empty() {
        sql.push(" AND town_code IN ").row(towns.iter().map(|t| Arg::Text(t.clone())).collect());
    }
    if !q.statuses.is_empty() {
        sql.push(" AND status IN ").row(q.statuses.iter().map(|s| Arg::Text(s.as_str().into())).collect());
    }
    Ok(sql.query().fetch_one(pool).await?.try_get(0)?)
}

/// With nothing but a "region OR unit" scope (a 村/居委's own view), the total is the size of
/// the union of two index-only id sets, which is much cheaper than testing each row.
fn union_scope_count(q: &CaseQuery) -> Option<Sql> {
    let scope = q.scope.as_ref()?;
    let unit = scope.unit.as_deref()?;
    let unfiltered = no_row_filters(q) && q.statuses.is_empty() && q.region_prefixes.is_empty();
    if !unfiltered || scope.region_prefixes.is_empty() {
        return None;
    }
    let mut sql = Sql::new("SELECT COUNT(*) FROM (SELECT id FROM cases WHERE ");
    push_regions(&mut sql, &scope.region_prefixes);
    sql.push(" UNION SELECT case_id FROM case_units WHERE unit_code = ").arg(Arg::Text(unit.to_string()));
    sql.push(") scoped");
    Some(sql)
}

/// The columns of a list row, read by [`summary_of`].
const SUMMARY_COLUMNS: &str = "id, number, status, version, category, source, region_code, lead_unit, description, address, \
     created_at, updated_at, closed_at, watch_yellow_at, watch_due_at, overall_due_at, place_flag";

pub async fn list(pool: &AnyPool, backend: Backend, q: &CaseQuery) -> Result<CasePage> {
    if let Some((total, total_exact, ids)) = search::indexed_page(pool, backend, q).await? {
        if ids.is_empty() {
            return Ok(CasePage { items: vec![], total, total_exact });
        }
        let mut sql = Sql::new(&format!("SELECT {SUMMARY_COLUMNS} FROM cases WHERE id IN "));
        sql.row(ids.into_iter().map(Arg::Int).collect()).push(" ORDER BY id DESC");
        let items = sql.query().fetch_all(pool).await?.iter().map(summary_of).collect::<Result<Vec<_>>>()?;
        return Ok(CasePage { items, total, total_exact });
    }
    let driver = driving_unit(q);
    let (where_clause, constrains_cases) = filter(q, backend, driver);
    // A unit's list walks its ordered index in case_units and joins the cases. Searches list
    // newest-entered first, as the search index does (see `search`).
    let searching = !q.search_terms.is_empty();
    // Urgency: the soonest due of the running clocks first, untimed cases last (`IS NULL` sorts
    // false before true in both dialects, whatever their default place for NULLs).
    const URGENCY: &str = "watch_due_at IS NULL, watch_due_at, id";
    let from = if driver.is_some() { "cases JOIN case_units cu ON cu.case_id = id" } else { "cases" };
    let (order, outer_order) = match (q.sort, driver, searching) {
        (CaseSort::Urgency, _, _) => (URGENCY, URGENCY),
        (CaseSort::Oldest, Some(_), _) => ("cu.case_created_at, cu.case_id", "created_at, id"),
        (CaseSort::Oldest, None, _) => ("created_at, id", "created_at, id"),
        (CaseSort::Newest, Some(_), false) => ("cu.case_created_at DESC, cu.case_id DESC", "created_at DESC, id DESC"),
        (CaseSort::Newest, Some(_), true) => ("cu.case_id DESC", "id DESC"),
        (CaseSort::Newest, None, false) => ("created_at DESC, id DESC", "created_at DESC, id DESC"),
        (CaseSort::Newest, None, true) => ("id DESC", "id DESC"),
    };
    // Counting a unit's whole list needs only its index.
    let count_from = if driver.is_some() && !constrains_cases { "case_units cu" } else { from };
    let count_sql = Sql { text: format!("SELECT COUNT(*) FROM {count_from}{}", where_clause.text), args: where_clause.args.clone(), ..Sql::default() };
    let total: i64 = match (tally_towns(q), union_scope_count(q)) {
        (Some(towns), _) => tally_total(pool, q, &towns).await?,
        (None, Some(union)) => union.query().fetch_one(pool).await?.try_get(0)?,
        (None, None) => count_sql.query().fetch_one(pool).await?.try_get(0)?,
    };
    // Deferred join: pick the page's ids with a narrow (often index-only) sort, then read only
    // those rows — sorting whole rows to keep fifty is what makes deep or wide pages slow.
    let id_column = if driver.is_some() { "cu.case_id" } else { "id" };
    let mut page = Sql {
        text: format!(
            "SELECT {SUMMARY_COLUMNS} FROM cases WHERE id IN (SELECT {id_column} FROM {from}{} ORDER BY {order} LIMIT ",
            where_clause.text
        ),
        args: where_clause.args,
        ..Sql::default()
    };
    let size = q.page_size.clamp(1, 200);
    page.arg(Arg::Int(size)).push(" OFFSET ").arg(Arg::Int((q.page.max(1) - 1) * size));
    page.push(") ORDER BY ").push(outer_order);
    let rows = page.query().fetch_all(pool).await?;
    let items = rows.iter().map(summary_of).collect::<Result<Vec<_>>>()?;
    Ok(CasePage { items, total, total_exact: true })
}

fn summary_of(r: &sqlx::any::AnyRow) -> Result<CaseSummary> {
    Ok(CaseSummary {
        id: r.try_get(0)?,
        number: r.try_get(1)?,
        status: enum_from(&r.try_get::<String, _>(2)?)?,
        version: r.try_get(3)?,
        category: r.try_get(4)?,
        source: enum_from(&r.try_get::<String, _>(5)?)?,
        region_code: r.try_get(6)?,
        lead_unit: r.try_get(7)?,
        description: r.try_get(8)?,
        address: r.try_get(9)?,
        created_at: r.try_get(10)?,
        updated_at: r.try_get(11)?,
        closed_at: r.try_get(12)?,
        yellow_at: r.try_get(13)?,
        due_at: r.try_get(14)?,
        overall_due_at: r.try_get(15)?,
        place_flag: r.try_get(16)?,
    })
}
