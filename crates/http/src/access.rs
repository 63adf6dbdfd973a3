//! Who may see what: data scope (a region subtree and/or a unit) and personal-data masking.

use chengyun_domain::case::{ActionKind, Case, TaskRole};
use chengyun_domain::org::{Actor, Role};
use chengyun_domain::region::RegionTree;
use chengyun_storage::ScopeFilter;

use crate::error::ApiError;

/// Whether a region code lies in the actor's region scope (the same rule the SQL filter uses).
fn in_region(tree: &RegionTree, scope_region: &str, code: &str) -> bool {
    tree.scope_prefixes(scope_region).iter().any(|p| code.starts_with(p.as_str()))
}

/// A case is visible when the actor's scope is unrestricted, or the case lies in the actor's
/// region, or the actor's unit has (or had) a task on it.
pub fn can_see(actor: &Actor, case: &Case, tree: &RegionTree) -> bool {
    let scope = &actor.scope;
    if scope.is_unrestricted() {
        return true;
    }
    scope.region.as_deref().is_some_and(|r| in_region(tree, r, &case.facts.region_code))
        || scope.unit.as_deref().is_some_and(|u| case.involves_unit(u))
}

/// The list filter equivalent to [`can_see`].
pub fn scope_filter(actor: &Actor, tree: &RegionTree) -> Option<ScopeFilter> {
    let scope = &actor.scope;
    if scope.is_unrestricted() {
        return None;
    }
    Some(ScopeFilter {
        region_prefixes: scope.region.as_deref().map(|r| tree.scope_prefixes(r)).unwrap_or_default(),
        unit: scope.unit.clone(),
    })
}

/// Whether a region (e.g. of a new report) is within the actor's region scope.
pub fn region_in_scope(actor: &Actor, tree: &RegionTree, code: &str) -> bool {
    match actor.scope.region.as_deref() {
        Some(r) => in_region(tree, r, code),
        None => true,
    }
}

/// Who sees a reporter's name and phone unmasked: the desk that takes calls and does 回访, and
/// the handler leading the case, who must contact the caller first (先行联系).
pub fn sees_reporter(actor: &Actor, case: &Case) -> bool {
    if actor.has_any(&[Role::Operator, Role::ShiftLead]) {
        return true;
    }
    actor.has(Role::Handler)
        && actor.unit().is_some_and(|u| {
            case.tasks.iter().any(|t| t.unit == u && t.role == TaskRole::Lead && t.status.is_active())
        })
}

/// The unit whose tasks alone the actor may see: unit staff (处置人员 without a region-wide role)
/// see the shared case facts and their own unit's tasks, not other units' answers (联勤联动).
pub fn task_view_unit(actor: &Actor) -> Option<&str> {
    let unit_staff_only = actor.roles.iter().all(|r| *r == Role::Handler) && actor.scope.region.is_none();
    actor.unit().filter(|_| unit_staff_only)
}

/// Roles that may search by reporter.
pub fn may_search_reporter(actor: &Actor) -> bool {
    actor.has_any(&[Role::Operator, Role::ShiftLead])
}

pub fn require_role(actor: &Actor, roles: &[Role], what: &str) -> Result<(), ApiError> {
    if actor.has_any(roles) {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!("当前角色无权{what}")))
    }
}

/// Actions the actor could take on the case now (role and state allow them).
pub fn allowed_actions(actor: &Actor, case: &Case) -> Vec<ActionKind> {
    ActionKind::ALL
        .into_iter()
        .filter(|a| *a != ActionKind::Report)
        .filter(|a| a.acting_role(&actor.roles).is_some() && a.rule().states.contains(&case.status))
        .filter(|a| match a {
            // Task actions need an open task of the actor's own unit.
            ActionKind::AcceptTask | ActionKind::ReturnTask | ActionKind::Feedback | ActionKind::RequestExtension | ActionKind::RequestHold => {
                actor.unit().is_some_and(|u| case.open_task_of(u).is_some())
            }
            ActionKind::ReleaseTask => may_release_some_task(actor, case),
            _ => true,
        })
        .collect()
}

/// 释放协办 makes sense when an assist task is open, and for a handler only as the lead unit.
fn may_release_some_task(actor: &Actor, case: &Case) -> bool {
    let open_assist = case.current_tasks().any(|t| t.role == TaskRole::Assist && t.status.is_open());
    open_assist
        && (actor.has(Role::Dispatcher)
            || actor.unit().is_some_and(|u| case.current_tasks().any(|t| t.role == TaskRole::Lead && t.unit == u)))
}
