//! `decide`: checks a command against the rules and the case, and turns it into an event.
//! Pure: the caller supplies the time, the calendar and the step limits.

use super::action::ActionKind;
use super::command::{Command, NewReport};
use super::event::{Change, ClockRef, Event, NewTask};
use super::model::{Case, CaseFacts, CaseStatus, Source, Task, TaskRole, TaskStatus};
use super::refusal::Refusal;
use crate::calendar::WorkCalendar;
use crate::deadline::{Clock, Step, StepLimits};
use crate::org::{valid_unit_code, Actor, Role};
use crate::time::Millis;
use crate::TimeLimit;

/// Longest free text accepted in a note or reason.
pub const MAX_TEXT_CHARS: usize = 2000;
/// Longest problem description of a report: GeoReport v2's limit, so an Open311 client's text
/// is never cut.
pub const MAX_DESCRIPTION_CHARS: usize = 4000;
/// Most photos on one report or feedback.
pub const MAX_PHOTOS: usize = 9;
/// Most units in one joint dispatch (联勤联动).
pub const MAX_UNITS: usize = 10;

/// What a decision needs besides the case and the command.
pub struct Context<'a> {
    pub now: Millis,
    pub calendar: &'a WorkCalendar,
    pub steps: &'a StepLimits,
    /// For `merge`: the case merged into, looked up (and scope-checked) by the caller.
    pub merge_target: Option<MergeTarget>,
    /// For `recategorise`: the new category's disposal limit, looked up in the catalogue by the
    /// caller (None: the code is not a category).
    pub new_category_limit: Option<TimeLimit>,
}

/// The case a duplicate is merged into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeTarget {
    pub id: i64,
    pub number: String,
    pub status: CaseStatus,
}

/// Plans clocks. Cases of natural-time (urgent) categories count every step in natural time:
/// the centre is on duty around the clock for them.
struct Planner<'a> {
    calendar: &'a WorkCalendar,
    steps: &'a StepLimits,
    disposal: TimeLimit,
}

impl Planner<'_> {
    fn natural(&self) -> bool {
        !self.disposal.is_working_time()
    }

    fn limit(&self, step: Step) -> TimeLimit {
        if step == Step::Dispose { self.disposal } else { self.steps.of(step).expect("desk steps have limits") }
    }

    fn due(&self, step: Step, start: Millis) -> Millis {
        let limit = self.limit(step);
        if self.natural() { start + limit.duration_ms(self.calendar.working_day_ms()) } else { self.calendar.deadline(start, limit) }
    }

    fn clock(&self, step: Step, start: Millis) -> Clock {
        let limit = self.limit(step);
        Clock::between(self.calendar, step, limit.to_string(), !self.natural(), start, self.due(step, start))
    }

    /// 总时限: the steps one after another.
    fn overall(&self, start: Millis, steps: &[Step]) -> Clock {
        let due = steps.iter().fold(start, |t, step| self.due(*step, t));
        let label = steps.iter().map(|s| format!("{}{}", s.label(), self.limit(*s))).collect::<Vec<_>>().join("+");
        Clock::between(self.calendar, Step::Overall, label, !self.natural(), start, due)
    }
}

const AFTER_DISPATCH: [Step; 5] = [Step::Dispatch, Step::Dispose, Step::RequestCheck, Step::Check, Step::Close];

/// Decides a new report (上报). The caller has checked the category and region exist.
pub fn report(
    actor: &Actor,
    report: NewReport,
    number: String,
    disposal_limit: TimeLimit,
    ctx: &Context,
) -> Result<Event, Refusal> {
    let action = ActionKind::Report;
    let role = action.acting_role(&actor.roles).ok_or_else(|| Refusal::role(action))?;
    let own_channel = match role {
        Role::Inspector => Some(Source::Patrol),
        Role::Leader => Some(Source::Leader),
        Role::Channel => Some(Source::Public),
        _ => None,
    };
    if let Some(only) = own_channel.filter(|only| *only != report.source) {
        return Err(Refusal::forbidden(
            "source_not_allowed",
            format!("{}只能以“{}”来源上报（source）", role.label(), only.label()),
        ));
    }
    let description = required_text_within("description", "问题描述", &report.description, MAX_DESCRIPTION_CHARS)?;
    if let Some(loc) = &report.location
        && (!loc.lon.is_finite() || !loc.lat.is_finite() || !loc.is_plausible())
    {
        return Err(Refusal::invalid("invalid_location", "location", "坐标不在中国范围内，请检查经纬度是否填反（location.lon/location.lat）"));
    }
    if report.location.is_none() && report.address.as_deref().is_none_or(|a| a.trim().is_empty()) {
        return Err(Refusal::invalid("location_required", "location", "须提供位置坐标（location）或地址（address）"));
    }
    check_photos("photos", &report.photos)?;
    let planner = Planner { calendar: ctx.calendar, steps: ctx.steps, disposal: disposal_limit };
    let mut chain = vec![Step::Register];
    if report.source.needs_verification() {
        chain.push(Step::Verify);
    }
    chain.push(Step::File);
    chain.extend(AFTER_DISPATCH);
    let facts = CaseFacts {
        number,
        category: report.category,
        description,
        source: report.source,
        region_code: report.region_code,
        address: report.address.map(|a| a.trim().to_string()).filter(|a| !a.is_empty()),
        location: report.location,
        placement: report.placement,
        reporter: report.reporter,
        photos: report.photos,
        disposal_limit,
    };
    Ok(Event {
        seq: 1,
        at: ctx.now,
        actor_id: actor.user_id,
        actor_name: actor.display_name.clone(),
        actor_role: role,
        action,
        reason: None,
        change: Change::Reported {
            facts: Box::new(facts),
            step: planner.clock(Step::Register, ctx.now),
            overall: planner.overall(ctx.now, &chain),
        },
    })
}

/// Decides an action on an existing case. The caller has already checked that the actor may
/// see the case and that `expected_version` is current.
pub fn decide(case: &Case, actor: &Actor, command: &Command, ctx: &Context) -> Result<Event, Refusal> {
    let action = command.kind();
    let rule = action.rule();
    let role = action.acting_role(&actor.roles).ok_or_else(|| Refusal::role(action))?;
    if !rule.states.contains(&case.status) {
        return Err(Refusal::state(action, case.status));
    }
    let planner = Planner { calendar: ctx.calendar, steps: ctx.steps, disposal: case.facts.disposal_limit };
    let now = ctx.now;
    let change = match command {
        Command::Register { .. } => Change::Registered { next: planner.clock(Step::File, now) },
        Command::RequestVerification { .. } => Change::VerificationRequested { next: planner.clock(Step::Verify, now) },
        Command::Verify { confirmed, photos, .. } => {
            check_photos("photos", photos)?;
            Change::Verified { confirmed: *confirmed, photos: photos.clone(), next: planner.clock(Step::File, now) }
        }
        Command::File { .. } => {
            match &case.verification {
                Some(v) if !v.confirmed => {
                    return Err(Refusal::invalid("verification_failed", "action", "核实结果为不属实，不能立案，请作废"));
                }
                None if case.facts.source.needs_verification() => {
                    return Err(Refusal::invalid(
                        "verification_required",
                        "action",
                        format!("“{}”来源的案件须先核实后立案", case.facts.source.label()),
                    ));
                }
                _ => {}
            }
            Change::Filed { next: planner.clock(Step::Dispatch, now) }
        }
        Command::Void { reason } => {
            required_text("reason", "作废原因", reason)?;
            Change::Voided
        }
        Command::Dispatch { units, .. } => dispatch(case, units, &planner, now)?,
        Command::AcceptTask { .. } => {
            let task = own_task(case, actor, action)?;
            if task.status != TaskStatus::Pending {
                return Err(Refusal::invalid("task_already_accepted", "action", "本单位任务已接单"));
            }
            Change::TaskAccepted { task: task.id }
        }
        Command::ReturnTask { reason } => {
            required_text("reason", "退单原因", reason)?;
            let task = own_task(case, actor, action)?;
            let next = (case.status == CaseStatus::Dispatched).then(|| planner.clock(Step::Dispatch, now));
            Change::TaskReturned { task: task.id, next }
        }
        Command::Feedback { text, photos } => {
            let text = required_text("text", "处置情况", text)?;
            check_photos("photos", photos)?;
            let task = own_task(case, actor, action)?;
            if task.status != TaskStatus::Accepted {
                return Err(Refusal::invalid("task_not_accepted", "action", "请先接单再反馈处置结果"));
            }
            let others_done = case.current_tasks().filter(|t| t.id != task.id).all(|t| t.status == TaskStatus::Done);
            let next = (others_done && case.status == CaseStatus::Dispatched).then(|| planner.clock(Step::RequestCheck, now));
            Change::FedBack { task: task.id, text, photos: photos.clone(), next }
        }
        Command::ReleaseTask { task, reason } => {
            required_text("reason", "释放原因", reason)?;
            release(case, actor, role, *task, &planner, now)?
        }
        Command::RequestCheck { .. } => Change::CheckRequested { next: planner.clock(Step::Check, now) },
        Command::Check { passed, photos, .. } => {
            check_photos("photos", photos)?;
            if *passed {
                Change::Checked { passed: true, photos: photos.clone(), next: Some(planner.clock(Step::Close, now)), rework: vec![] }
            } else {
                let rework = case.current_tasks()
                    .filter(|t| t.status == TaskStatus::Done)
                    .map(|t| (t.id, planner.clock(Step::Dispose, now)))
                    .collect();
                Change::Checked { passed: false, photos: photos.clone(), next: None, rework }
            }
        }
        Command::Close { .. } => Change::Closed,
        Command::RequestExtension { extra, reason } => {
            required_text("reason", "延期原因", reason)?;
            let task = own_task(case, actor, action)?;
            if task.extension_request.is_some() {
                return Err(Refusal::invalid("extension_pending", "action", "已有待审批的延期申请"));
            }
            if extra.is_working_time() != task.clock.working {
                return Err(Refusal::invalid(
                    "invalid_extension",
                    "extra",
                    format!("延期时长须与处置时限同为{}", if task.clock.working { "工作时间" } else { "自然时间" }),
                ));
            }
            Change::ExtensionRequested { task: task.id, extra: *extra }
        }
        Command::ApproveExtension { task, approved, .. } => {
            let pending: Vec<&Task> = case.tasks.iter().filter(|t| t.extension_request.is_some()).collect();
            let target = match task {
                Some(id) => pending.iter().find(|t| t.id == *id).copied().ok_or_else(|| {
                    Refusal::invalid("no_extension_request", "task", format!("任务 {id} 没有待审批的延期申请"))
                })?,
                None => match pending.as_slice() {
                    [only] => *only,
                    [] => return Err(Refusal::invalid("no_extension_request", "action", "没有待审批的延期申请")),
                    _ => return Err(Refusal::invalid("task_required", "task", "有多个待审批的延期申请，请指明任务（task）")),
                },
            };
            let extra = target.extension_request.as_ref().expect("filtered above").extra;
            let (task_clock, overall) = if *approved {
                (Some(target.clock.extended(ctx.calendar, extra)), Some(case.overall.extended(ctx.calendar, extra)))
            } else {
                (None, None)
            };
            Change::ExtensionDecided { task: target.id, approved: *approved, task_clock, overall }
        }
        Command::RequestHold { reason } => {
            required_text("reason", "挂账原因", reason)?;
            own_task(case, actor, action)?;
            if case.hold_request.is_some() {
                return Err(Refusal::invalid("hold_pending", "action", "已有待审批的挂账申请"));
            }
            Change::HoldRequested
        }
        Command::ApproveHold { approved, .. } => {
            if case.hold_request.is_none() {
                return Err(Refusal::invalid("no_hold_request", "action", "没有待审批的挂账申请"));
            }
            let pauses = if *approved { pauses(case, ctx.calendar, now) } else { vec![] };
            Change::HoldDecided { approved: *approved, pauses }
        }
        Command::Resume { .. } => Change::Resumed { clocks: resumed(case, ctx.calendar, now) },
        Command::Urge { .. } => Change::Urged,
        Command::Comment { text } => {
            required_text("text", "留言内容", text)?;
            Change::Commented
        }
        Command::Recategorise { category, reason } => {
            required_text("reason", "改类原因", reason)?;
            let category = category.trim();
            let disposal_limit = ctx
                .new_category_limit
                .ok_or_else(|| Refusal::invalid("unknown_category", "category", format!("分类代码“{category}”不存在")))?;
            if category == case.facts.category {
                return Err(Refusal::invalid("same_category", "category", "新分类与当前分类相同"));
            }
            Change::Recategorised { from: case.facts.category.clone(), to: category.to_string(), disposal_limit }
        }
        Command::Merge { into, .. } => {
            let target = ctx
                .merge_target
                .as_ref()
                .filter(|t| t.id == *into)
                .ok_or_else(|| Refusal::invalid("merge_target_not_found", "into", "合并目标案件不存在"))?;
            if target.id == case.id {
                return Err(Refusal::invalid("merge_into_self", "into", "不能将案件合并到其自身"));
            }
            if matches!(target.status, CaseStatus::Voided | CaseStatus::Merged) {
                return Err(Refusal::invalid(
                    "merge_target_invalid",
                    "into",
                    format!("目标案件{}处于“{}”状态，不能作为主案件", target.number, target.status.label()),
                ));
            }
            Change::Merged { into: target.id, into_number: target.number.clone() }
        }
        Command::Revisit { satisfaction, .. } => Change::Revisited { satisfaction: *satisfaction },
        Command::Reopen { reason } => {
            required_text("reason", "重办原因", reason)?;
            Change::Reopened { next: planner.clock(Step::Dispatch, now), overall: planner.overall(now, &AFTER_DISPATCH) }
        }
    };
    if let Some(reason) = command.reason()
        && reason.chars().count() > MAX_TEXT_CHARS
    {
        return Err(Refusal::invalid("text_too_long", "reason", format!("说明不能超过{MAX_TEXT_CHARS}字")));
    }
    Ok(Event {
        seq: case.version + 1,
        at: now,
        actor_id: actor.user_id,
        actor_name: actor.display_name.clone(),
        actor_role: role,
        action,
        reason: command.reason().map(str::to_string),
        change,
    })
}

fn dispatch(case: &Case, units: &[String], planner: &Planner, now: Millis) -> Result<Change, Refusal> {
    if units.is_empty() {
        return Err(Refusal::invalid("units_required", "units", "请至少选择一个处置单位（units）"));
    }
    if units.len() > MAX_UNITS {
        return Err(Refusal::invalid("too_many_units", "units", format!("一次最多派遣{MAX_UNITS}个单位")));
    }
    for (i, unit) in units.iter().enumerate() {
        if !valid_unit_code(unit) {
            return Err(Refusal::invalid("unknown_unit", &format!("units[{i}]"), format!("单位编码“{unit}”格式不正确")));
        }
        if units[..i].contains(unit) {
            return Err(Refusal::invalid("duplicate_unit", &format!("units[{i}]"), format!("单位“{unit}”重复")));
        }
    }
    let current: Vec<&Task> = case.current_tasks().collect();
    let mut next_id = case.tasks.iter().map(|t| t.id).max().unwrap_or(0);
    let (mut tasks, mut kept) = (Vec::new(), Vec::new());
    for (i, unit) in units.iter().enumerate() {
        let role = if i == 0 { TaskRole::Lead } else { TaskRole::Assist };
        match current.iter().find(|t| &t.unit == unit) {
            Some(t) => kept.push((t.id, role)),
            None => {
                next_id += 1;
                tasks.push(NewTask { id: next_id, unit: unit.clone(), role, clock: planner.clock(Step::Dispose, now) });
            }
        }
    }
    let cancelled =
        current.iter().filter(|t| t.status.is_open() && !units.contains(&t.unit)).map(|t| t.id).collect::<Vec<_>>();
    let all_done = tasks.is_empty()
        && current.iter().filter(|t| !cancelled.contains(&t.id)).all(|t| t.status == TaskStatus::Done);
    let next = all_done.then(|| planner.clock(Step::RequestCheck, now));
    Ok(Change::Dispatched { tasks, kept, cancelled, next })
}

/// 释放协办: only an open 协办 task of the current round; a handler may release only as the 主办 unit.
fn release(case: &Case, actor: &Actor, role: Role, id: u32, planner: &Planner, now: Millis) -> Result<Change, Refusal> {
    let task = case.current_tasks()
        .find(|t| t.id == id)
        .ok_or_else(|| Refusal::invalid("task_not_found", "task", format!("任务 {id} 不存在或已结束")))?;
    if task.role != TaskRole::Assist {
        return Err(Refusal::invalid("not_an_assist_task", "task", "只能释放协办任务，主办任务请改派"));
    }
    if !task.status.is_open() {
        return Err(Refusal::invalid("task_not_open", "task", "该协办任务已反馈，无需释放"));
    }
    if role == Role::Handler {
        let own_lead = actor.unit().is_some_and(|u| {
            case.current_tasks().any(|t| t.role == TaskRole::Lead && t.unit == u)
        });
        if !own_lead {
            return Err(Refusal::forbidden("not_lead_unit", "只有主办单位或派遣员可以释放协办任务"));
        }
    }
    let mut rest = case.current_tasks().filter(|t| t.id != id).peekable();
    let rest_done = rest.peek().is_some() && rest.all(|t| t.status == TaskStatus::Done);
    let next = rest_done.then(|| planner.clock(Step::RequestCheck, now));
    Ok(Change::TaskReleased { task: id, next })
}

/// The acting handler's open task on this case.
fn own_task<'c>(case: &'c Case, actor: &Actor, action: ActionKind) -> Result<&'c Task, Refusal> {
    let unit = actor
        .unit()
        .ok_or_else(|| Refusal::forbidden("no_unit", format!("处置人员须属于某个单位才能执行“{}”", action.label())))?;
    case.open_task_of(unit)
        .filter(|t| t.round == case.reopens)
        .ok_or_else(|| Refusal::invalid("no_open_task", "action", "本单位在该案件上没有待办任务"))
}

fn pauses(case: &Case, calendar: &WorkCalendar, now: Millis) -> Vec<(ClockRef, crate::deadline::Pause)> {
    let mut out = Vec::new();
    if let Some(step) = case.current_step().filter(|c| c.is_running()) {
        out.push((ClockRef::Step, step.pause_at(calendar, now)));
    }
    if case.overall.is_running() {
        out.push((ClockRef::Overall, case.overall.pause_at(calendar, now)));
    }
    for t in case.tasks.iter().filter(|t| t.status.is_open() && t.clock.is_running()) {
        out.push((ClockRef::Task(t.id), t.clock.pause_at(calendar, now)));
    }
    out
}

fn resumed(case: &Case, calendar: &WorkCalendar, now: Millis) -> Vec<(ClockRef, Clock)> {
    let mut out = Vec::new();
    if let Some(step) = case.current_step().filter(|c| c.paused.is_some()) {
        out.push((ClockRef::Step, step.resumed(calendar, now)));
    }
    if case.overall.paused.is_some() {
        out.push((ClockRef::Overall, case.overall.resumed(calendar, now)));
    }
    for t in case.tasks.iter().filter(|t| t.clock.paused.is_some()) {
        out.push((ClockRef::Task(t.id), t.clock.resumed(calendar, now)));
    }
    out
}

fn required_text(field: &str, label: &str, text: &str) -> Result<String, Refusal> {
    required_text_within(field, label, text, MAX_TEXT_CHARS)
}

fn required_text_within(field: &str, label: &str, text: &str, max: usize) -> Result<String, Refusal> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Refusal::invalid("field_required", field, format!("{label}（{field}）不能为空")));
    }
    if text.chars().count() > max {
        return Err(Refusal::invalid("text_too_long", field, format!("{label}（{field}）不能超过{max}字")));
    }
    Ok(text.to_string())
}

fn check_photos(field: &str, photos: &[String]) -> Result<(), Refusal> {
    if photos.len() > MAX_PHOTOS {
        return Err(Refusal::invalid("too_many_photos", field, format!("照片最多{MAX_PHOTOS}张（{field}）")));
    }
    Ok(())
}
