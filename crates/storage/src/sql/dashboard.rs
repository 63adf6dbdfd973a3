//! The 大屏's figures: aggregates computed in the database over the indexed case columns
//! (migration 0010 adds the indexes they walk).

use sqlx::{AnyPool, Row};

use chengyun_domain::case::Case;

use super::bind::{Arg, Sql};
use super::cases::{push_regions, push_unit};
use crate::records::{DashboardFigures, DashboardQuery, DayCounts, OverdueCase, ScopeFilter};
use crate::Result;

/// Statuses of cases no longer open (matches the partial indexes' predicate word for word).
const OPEN: &str = "status NOT IN ('closed', 'voided', 'merged')";
/// Shanghai is UTC+8 all year: a local day number is (ms + 8 h) / 1 day.
const DAY: &str = "+ 28800000) / 86400000";

/// ` AND <regions> [AND <scope>]` for a query over `cases` (unqualified columns).
fn push_where(sql: &mut Sql, regions: &[String], scope: Option<&ScopeFilter>) {
    sql.push(" AND ");
    push_regions(sql, regions);
    if let Some(s) = scope {
        match (s.region_prefixes.is_empty(), s.unit.as_deref()) {
            (true, None) => {
                sql.push(" AND 1 = 0");
            }
            (false, None) => {
                sql.push(" AND ");
                push_regions(sql, &s.region_prefixes);
            }
            (true, Some(u)) => {
                sql.push(" AND ");
                push_unit(sql, u);
            }
            (false, Some(u)) => {
                sql.push(" AND (");
                push_regions(sql, &s.region_prefixes);
                sql.push(" OR ");
                push_unit(sql, u);
                sql.push(")");
            }
        }
    }
}

/// ` AND <column> < until` when the period ends before now.
fn push_until(sql: &mut Sql, column: &str, until: Option<i64>) {
    if let Some(until) = until {
        sql.push(&format!(" AND {column} < ")).arg(Arg::Int(until));
    }
}

async fn day_counts(pool: &AnyPool, sql: &Sql) -> Result<Vec<(i64, i64)>> {
    let rows = sql.query().fetch_all(pool).await?;
    rows.iter().map(|r| Ok((r.try_get::<i64, _>(0)?, r.try_get::<i64, _>(1)?))).collect()
}

pub async fn open_cases_by_region(pool: &AnyPool, regions: &[String], scope: Option<&ScopeFilter>) -> Result<Vec<(String, i64)>> {
    if regions.is_empty() {
        return Ok(vec![]);
    }
    let mut sql = Sql::new(&format!("SELECT region_code, COUNT(*) FROM cases WHERE {OPEN}"));
    push_where(&mut sql, regions, scope);
    sql.push(" GROUP BY region_code");
    let rows = sql.query().fetch_all(pool).await?;
    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
}

pub async fn figures(pool: &AnyPool, q: &DashboardQuery) -> Result<DashboardFigures> {
    if q.regions.is_empty() {
        return Ok(DashboardFigures::default());
    }
    let scope = q.scope.as_ref();
    let mut days: std::collections::BTreeMap<i64, DayCounts> = Default::default();

    let mut sql = Sql::new(&format!("SELECT (created_at {DAY} AS d, COUNT(*) FROM cases WHERE created_at >= "));
    sql.arg(Arg::Int(q.since));
    push_until(&mut sql, "created_at", q.until);
    push_where(&mut sql, &q.regions, scope);
    sql.push(" GROUP BY d");
    for (d, n) in day_counts(pool, &sql).await? {
        days.entry(d).or_default().reported = n;
    }

    let mut sql = Sql::new(&format!("SELECT (closed_at {DAY} AS d, COUNT(*) FROM cases WHERE closed_at IS NOT NULL AND closed_at >= "));
    sql.arg(Arg::Int(q.since));
    push_until(&mut sql, "closed_at", q.until);
    push_where(&mut sql, &q.regions, scope);
    sql.push(" GROUP BY d");
    for (d, n) in day_counts(pool, &sql).await? {
        days.entry(d).or_default().closed = n;
    }

    // 立案: the file events of the period, each checked against its case's region by key.
    let mut sql = Sql::new(&format!(
        "SELECT (e.at {DAY} AS d, COUNT(*) FROM case_events e WHERE e.action = 'file' AND e.at >= "
    ));
    sql.arg(Arg::Int(q.since));
    push_until(&mut sql, "e.at", q.until);
    sql.push(" AND EXISTS (SELECT 1 FROM cases WHERE cases.id = e.case_id");
    push_where(&mut sql, &q.regions, scope);
    sql.push(") GROUP BY d");
    for (d, n) in day_counts(pool, &sql).await? {
        days.entry(d).or_default().filed = n;
    }

    let mut sql = Sql::new("SELECT COUNT(*), COALESCE(SUM(CASE WHEN watch_due_at < ");
    sql.arg(Arg::Int(q.now));
    sql.push(&format!(" THEN 1 ELSE 0 END), 0) FROM cases WHERE {OPEN}"));
    push_where(&mut sql, &q.regions, scope);
    let row = sql.query().fetch_one(pool).await?;
    let (open, overdue): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);

    let mut sql = Sql::new("SELECT category, COUNT(*) AS n FROM cases WHERE created_at >= ");
    sql.arg(Arg::Int(q.categories_since));
    push_until(&mut sql, "created_at", q.until);
    push_where(&mut sql, &q.regions, scope);
    sql.push(" GROUP BY category ORDER BY n DESC, category LIMIT ").arg(Arg::Int(q.top_categories));
    let rows = sql.query().fetch_all(pool).await?;
    let categories = rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect::<Result<Vec<(String, i64)>>>()?;

    let mut sql = Sql::new(&format!(
        "SELECT id, number, status, category, region_code, lead_unit, description, address, watch_due_at, created_at \
         FROM cases WHERE {OPEN} AND watch_due_at < "
    ));
    sql.arg(Arg::Int(q.now));
    push_where(&mut sql, &q.regions, scope);
    sql.push(" ORDER BY watch_due_at, id LIMIT ").arg(Arg::Int(q.overdue_limit));
    let rows = sql.query().fetch_all(pool).await?;
    let overdue_cases = rows
        .iter()
        .map(|r| {
            Ok(OverdueCase {
                id: r.try_get(0)?,
                number: r.try_get(1)?,
                status: r.try_get(2)?,
                category: r.try_get(3)?,
                region_code: r.try_get(4)?,
                lead_unit: r.try_get(5)?,
                description: r.try_get(6)?,
                address: r.try_get(7)?,
                due_at: r.try_get(8)?,
                created_at: r.try_get(9)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;

    Ok(DashboardFigures { days: days.into_iter().collect(), open, overdue, categories, overdue_cases })
}

/// The cases whose tasks may have fallen due since `since`: those in the regions with a lead
/// unit that changed since then, and every open one.
pub async fn task_cases(pool: &AnyPool, regions: &[String], scope: Option<&ScopeFilter>, since: i64) -> Result<Vec<Case>> {
    if regions.is_empty() {
        return Ok(vec![]);
    }
    let mut sql = Sql::new("SELECT case_id, state FROM case_states WHERE case_id IN (SELECT id FROM cases WHERE lead_unit IS NOT NULL AND (updated_at >= ");
    sql.arg(Arg::Int(since));
    sql.push(&format!(" OR {OPEN})"));
    push_where(&mut sql, regions, scope);
    sql.push(")");
    let rows = sql.query().fetch_all(pool).await?;
    rows.iter()
        .map(|r| {
            let mut case: Case = serde_json::from_str(&r.try_get::<String, _>(1)?)?;
            case.id = r.try_get(0)?;
            Ok(case)
        })
        .collect()
}

/// The newest case event's id: changes whenever any case is created or changed.
pub async fn latest_case_event(pool: &AnyPool) -> Result<i64> {
    let row = sqlx::query("SELECT COALESCE(MAX(id), 0) FROM case_events").fetch_one(pool).await?;
    Ok(row.try_get(0)?)
}
