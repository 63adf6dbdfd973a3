//! What the API returns: domain state plus labels, lamps and Shanghai times, with personal data
//! masked for roles that do not need it.

use serde_json::{json, Value};

use chengyun_domain::calendar::WorkCalendar;
use chengyun_domain::case::{Case, CaseStatus, Event};
use chengyun_domain::deadline::Clock;
use chengyun_domain::org::Actor;
use chengyun_domain::time::format_local;
use chengyun_domain::Millis;
use chengyun_storage::{CaseSummary, StoredEvent, UserRecord};

use crate::access::{allowed_actions, sees_reporter, task_view_unit};
use crate::state::Reference;

pub fn time(at: Millis) -> String {
    format_local(at)
}

pub fn opt_time(at: Option<Millis>) -> Value {
    at.map_or(Value::Null, |t| Value::String(format_local(t)))
}

pub fn user_view(u: &UserRecord) -> Value {
    json!({
        "id": u.id,
        "username": u.username,
        "display_name": u.display_name,
        "roles": u.roles,
        "role_labels": u.roles.iter().map(|r| r.label()).collect::<Vec<_>>(),
        "unit": u.unit,
        "region": u.region,
        "active": u.active,
        "created_at": time(u.created_at),
    })
}

pub fn clock_view(c: &Clock, calendar: &WorkCalendar, now: Millis) -> Value {
    let lamp = c.lamp(now);
    json!({
        "step": c.step,
        "step_label": c.step.label(),
        "limit": c.limit,
        "working_time": c.working,
        "started_at": time(c.started_at),
        "yellow_at": time(c.yellow_at),
        "due_at": time(c.due_at),
        "stopped_at": opt_time(c.stopped_at),
        "paused": c.paused.is_some(),
        "lamp": lamp,
        "lamp_label": lamp.label(),
        "used_percent": c.used_percent(calendar, now),
        "overdue": c.overdue(now),
    })
}

fn event_view(e: &Event) -> Value {
    json!({
        "seq": e.seq,
        "at": time(e.at),
        "actor": {"id": e.actor_id, "name": e.actor_name, "role": e.actor_role, "role_label": e.actor_role.label()},
        "action": e.action,
        "action_label": e.action.label(),
        "reason": e.reason,
        "change": e.change,
    })
}

/// The worst lamp of a case's running clocks.
fn case_lamp(case: &Case, now: Millis) -> Value {
    case.running_clocks().map(|c| c.lamp(now)).max().map_or(Value::Null, |l| json!(l))
}

/// A case with its tasks, clocks and (optionally) its timeline.
pub fn case_view(case: &Case, events: Option<&[StoredEvent]>, actor: &Actor, reference: &Reference, now: Millis) -> Value {
    let cal = &reference.calendar;
    let category = reference.catalog.get(&case.facts.category);
    let reporter = if sees_reporter(actor, case) { case.facts.reporter.clone() } else { case.facts.reporter.masked() };
    let own_unit = task_view_unit(actor);
    let tasks: Vec<Value> = case
        .tasks
        .iter()
        .filter(|t| own_unit.is_none_or(|u| t.unit == u))
        .map(|t| {
            json!({
                "id": t.id,
                "unit": t.unit,
                "unit_name": reference.unit_name(&t.unit),
                "role": t.role,
                "status": t.status,
                "round": t.round,
                "clock": clock_view(&t.clock, cal, now),
                "dispatched_at": time(t.dispatched_at),
                "accepted_at": opt_time(t.accepted_at),
                "feedback": t.feedback.as_ref().map(|f| json!({"text": f.text, "photos": f.photos, "at": time(f.at), "by": f.by})),
                "return_reason": t.return_reason,
                "extension_request": t.extension_request.as_ref().map(|r| json!({"extra": r.extra, "reason": r.reason, "at": time(r.at), "by": r.by})),
                "extensions": t.extensions,
                "reworks": t.reworks,
            })
        })
        .collect();
    let mut view = json!({
        "id": case.id,
        "number": case.facts.number,
        "status": case.status,
        "status_label": case.status.label(),
        "version": case.version,
        "category": case.facts.category,
        "category_name": category.map(|c| c.name.as_str()),
        "source": case.facts.source,
        "source_label": case.facts.source.label(),
        "description": case.facts.description,
        "region_code": case.facts.region_code,
        "region_name": reference.region_name(&case.facts.region_code),
        "address": case.facts.address,
        "location": case.facts.location,
        "placement": case.facts.placement.as_ref().map(|p| crate::places::placement_view(p, reference, chengyun_domain::case::CoordSys::Wgs84)),
        "place_flag": case.facts.placement.as_ref().and_then(|p| p.flag()),
        "reporter": reporter,
        "photos": case.facts.photos,
        "disposal_limit": case.facts.disposal_limit,
        "created_at": time(case.created_at),
        "created_by": case.created_by,
        "updated_at": time(case.updated_at),
        "filed_at": opt_time(case.filed_at),
        "closed_at": opt_time(case.closed_at),
        "lamp": case_lamp(case, now),
        "overall": clock_view(&case.overall, cal, now),
        "current_step": case.current_step().map(|c| clock_view(c, cal, now)),
        "steps": case.steps.iter().map(|c| clock_view(c, cal, now)).collect::<Vec<_>>(),
        "tasks": tasks,
        "verification": case.verification.as_ref().map(|v| json!({"confirmed": v.confirmed, "at": time(v.at), "by": v.by})),
        "hold_request": case.hold_request.as_ref().map(|h| json!({"reason": h.reason, "at": time(h.at), "by": h.by})),
        "merged_into": case.merged_into,
        "revisits": case.revisits.iter().map(|r| json!({"satisfaction": r.satisfaction, "at": time(r.at), "by": r.by})).collect::<Vec<_>>(),
        "counts": {"urges": case.urges, "returns": case.returns, "reworks": case.reworks, "reopens": case.reopens, "holds": case.holds},
        "allowed_actions": allowed_actions(actor, case),
    });
    if matches!(case.status, CaseStatus::Filed | CaseStatus::Returned) {
        view["routing"] = crate::routing::proposal_view(case, reference);
    }
    if let Some(events) = events {
        let hidden = |e: &Event| {
            own_unit.is_some_and(|u| e.change.task().is_some_and(|id| case.task(id).is_some_and(|t| t.unit != u)))
        };
        view["timeline"] = events.iter().filter(|e| !hidden(&e.event)).map(|e| event_view(&e.event)).collect();
    }
    view
}

pub fn summary_view(s: &CaseSummary, reference: &Reference, now: Millis) -> Value {
    let lamp = match (s.yellow_at, s.due_at) {
        (Some(_), Some(due)) if now > due => json!("red"),
        (Some(yellow), Some(_)) if now >= yellow => json!("yellow"),
        (Some(_), Some(_)) => json!("green"),
        _ => Value::Null,
    };
    json!({
        "id": s.id,
        "number": s.number,
        "status": s.status,
        "status_label": s.status.label(),
        "version": s.version,
        "category": s.category,
        "category_name": reference.catalog.get(&s.category).map(|c| c.name.as_str()),
        "source": s.source,
        "source_label": s.source.label(),
        "region_code": s.region_code,
        "region_name": reference.region_name(&s.region_code),
        "lead_unit": s.lead_unit,
        "lead_unit_name": s.lead_unit.as_deref().and_then(|u| reference.unit_name(u)),
        "description": s.description,
        "address": s.address,
        "created_at": time(s.created_at),
        "updated_at": time(s.updated_at),
        "closed_at": opt_time(s.closed_at),
        "lamp": lamp,
        "due_at": opt_time(s.due_at),
        "overall_due_at": time(s.overall_due_at),
        "place_flag": s.place_flag,
    })
}
