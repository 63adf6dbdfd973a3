use proptest::prelude::*;

use super::*;
use crate::calendar::WorkCalendar;
use crate::deadline::{Lamp, StepLimits};
use crate::org::{Actor, Role, Scope};
use crate::time::{at_local, MINUTE_MS};
use crate::TimeLimit;

const UNIT_A: &str = "310115137-cgzd";
const UNIT_B: &str = "310115137-hws";

fn actor(id: i64, roles: &[Role], unit: Option<&str>) -> Actor {
    Actor {
        user_id: id,
        username: format!("u{id}"),
        display_name: format!("用户{id}"),
        roles: roles.to_vec(),
        scope: Scope { region: None, unit: unit.map(str::to_string) },
    }
}

fn inspector() -> Actor {
    actor(1, &[Role::Inspector], None)
}
fn operator() -> Actor {
    actor(2, &[Role::Operator], None)
}
fn shift_lead() -> Actor {
    actor(3, &[Role::ShiftLead], None)
}
fn dispatcher() -> Actor {
    actor(4, &[Role::Dispatcher], None)
}
fn handler_a() -> Actor {
    actor(5, &[Role::Handler], Some(UNIT_A))
}
fn handler_b() -> Actor {
    actor(6, &[Role::Handler], Some(UNIT_B))
}
fn leader() -> Actor {
    actor(7, &[Role::Leader], None)
}

/// A case driven through the machine, keeping its history.
struct Harness {
    calendar: WorkCalendar,
    steps: StepLimits,
    now: i64,
    case: Case,
    events: Vec<Event>,
}

impl Harness {
    fn new(source: Source) -> Self {
        Self::with_limit(source, TimeLimit::work_hours(4))
    }

    fn with_limit(source: Source, limit: TimeLimit) -> Self {
        let calendar = WorkCalendar::china_default();
        let steps = StepLimits::default();
        let now = at_local(2026, 11, 24, 9, 0); // a Tuesday
        let who = match source {
            Source::Patrol => inspector(),
            Source::Leader => leader(),
            _ => operator(),
        };
        let ctx = Context { now, calendar: &calendar, steps: &steps, merge_target: None, new_category_limit: None };
        let event = report(&who, new_report(source), "310115137-20261124-0001".into(), limit, &ctx).expect("report");
        let case = Case::reported(42, &event).unwrap();
        Self { calendar, steps, now, case, events: vec![event] }
    }

    fn try_act(&mut self, who: &Actor, command: Command) -> Result<&Case, Refusal> {
        self.try_act_with(who, command, None)
    }

    fn try_act_with(&mut self, who: &Actor, command: Command, target: Option<MergeTarget>) -> Result<&Case, Refusal> {
        self.now += 10 * MINUTE_MS;
        // The platform looks the new category up in the catalogue; here every code is one.
        let new_category_limit = matches!(command, Command::Recategorise { .. }).then(|| TimeLimit::work_days(2));
        let ctx = Context { now: self.now, calendar: &self.calendar, steps: &self.steps, merge_target: target, new_category_limit };
        let event = decide(&self.case, who, &command, &ctx)?;
        self.case.apply(&event).expect("decided events apply");
        self.events.push(event);
        assert_eq!(Case::replay(42, &self.events).unwrap(), self.case, "replay rebuilds the state");
        Ok(&self.case)
    }

    fn act(&mut self, who: &Actor, command: Command) -> &Case {
        let action = command.kind();
        match self.try_act(who, command) {
            Ok(_) => &self.case,
            Err(r) => panic!("{} refused: {} ({})", action.as_str(), r.message, r.code),
        }
    }

    fn status(&self) -> CaseStatus {
        self.case.status
    }
}

fn new_report(source: Source) -> NewReport {
    NewReport {
        category: "SJ-0101".into(),
        description: "航头路口暴露垃圾".into(),
        source,
        region_code: "310115137001".into(),
        address: Some("航头路100号".into()),
        location: Some(Location { lon: 121.6, lat: 31.05, coord_sys: CoordSys::Gcj02 }),
        placement: None,
        reporter: Reporter { name: Some("张三".into()), phone: Some("13812345678".into()), wants_reply: true },
        photos: vec![],
    }
}

fn note() -> Option<String> {
    None
}

fn dispatch_to(units: &[&str]) -> Command {
    Command::Dispatch { units: units.iter().map(|u| u.to_string()).collect(), note: note() }
}

/// Drives a fresh patrol case to the state named.
fn case_in(status: CaseStatus) -> Harness {
    let mut h = Harness::new(Source::Patrol);
    let path: Vec<(Actor, Command)> = match status {
        CaseStatus::Reported => vec![],
        CaseStatus::Registered => vec![(operator(), Command::Register { note: note() })],
        CaseStatus::Verifying => vec![
            (operator(), Command::Register { note: note() }),
            (operator(), Command::RequestVerification { note: note() }),
        ],
        CaseStatus::Filed => to_filed(),
        CaseStatus::Dispatched => [to_filed(), vec![(dispatcher(), dispatch_to(&[UNIT_A]))]].concat(),
        CaseStatus::Returned => [
            to_filed(),
            vec![(dispatcher(), dispatch_to(&[UNIT_A])), (handler_a(), Command::ReturnTask { reason: "非本单位职责".into() })],
        ]
        .concat(),
        CaseStatus::Processed => to_processed(),
        CaseStatus::Checking => [to_processed(), vec![(operator(), Command::RequestCheck { note: note() })]].concat(),
        CaseStatus::Checked => [to_processed(), to_checked()].concat(),
        CaseStatus::OnHold => [
            to_filed(),
            vec![
                (dispatcher(), dispatch_to(&[UNIT_A])),
                (handler_a(), Command::RequestHold { reason: "需纳入年度整治计划".into() }),
                (dispatcher(), Command::ApproveHold { approved: true, note: note() }),
            ],
        ]
        .concat(),
        CaseStatus::Closed => [to_processed(), to_checked(), vec![(shift_lead(), Command::Close { note: note() })]].concat(),
        CaseStatus::Voided => vec![(shift_lead(), Command::Void { reason: "重复上报".into() })],
        CaseStatus::Merged => {
            h.try_act_with(&operator(), Command::Merge { into: 7, note: note() }, Some(target(7, CaseStatus::Filed)))
                .unwrap();
            vec![]
        }
    };
    for (who, command) in path {
        h.act(&who, command);
    }
    assert_eq!(h.status(), status);
    h
}

fn to_filed() -> Vec<(Actor, Command)> {
    vec![(operator(), Command::Register { note: note() }), (shift_lead(), Command::File { note: note() })]
}

fn to_processed() -> Vec<(Actor, Command)> {
    [
        to_filed(),
        vec![
            (dispatcher(), dispatch_to(&[UNIT_A])),
            (handler_a(), Command::AcceptTask { note: note() }),
            (handler_a(), Command::Feedback { text: "已清理完毕".into(), photos: vec!["p1".into()] }),
        ],
    ]
    .concat()
}

fn to_checked() -> Vec<(Actor, Command)> {
    vec![
        (operator(), Command::RequestCheck { note: note() }),
        (inspector(), Command::Check { passed: true, note: note(), photos: vec![] }),
    ]
}

fn target(id: i64, status: CaseStatus) -> MergeTarget {
    MergeTarget { id, number: format!("310115137-20261124-{id:04}"), status }
}

/// One sample command per action, with valid details.
fn sample(action: ActionKind) -> Command {
    match action {
        ActionKind::Report => unreachable!("report is not an action on a case"),
        ActionKind::Register => Command::Register { note: note() },
        ActionKind::RequestVerification => Command::RequestVerification { note: note() },
        ActionKind::Verify => Command::Verify { confirmed: true, note: note(), photos: vec![] },
        ActionKind::File => Command::File { note: note() },
        ActionKind::Void => Command::Void { reason: "不属于管理范围".into() },
        ActionKind::Dispatch => dispatch_to(&[UNIT_A]),
        ActionKind::AcceptTask => Command::AcceptTask { note: note() },
        ActionKind::ReturnTask => Command::ReturnTask { reason: "权属不清".into() },
        ActionKind::Feedback => Command::Feedback { text: "已处置".into(), photos: vec![] },
        ActionKind::ReleaseTask => Command::ReleaseTask { task: 2, reason: "无需协办".into() },
        ActionKind::RequestCheck => Command::RequestCheck { note: note() },
        ActionKind::Check => Command::Check { passed: true, note: note(), photos: vec![] },
        ActionKind::Close => Command::Close { note: note() },
        ActionKind::RequestExtension => Command::RequestExtension { extra: TimeLimit::work_days(1), reason: "需采购".into() },
        ActionKind::ApproveExtension => Command::ApproveExtension { task: None, approved: true, note: note() },
        ActionKind::RequestHold => Command::RequestHold { reason: "需专项整治".into() },
        ActionKind::ApproveHold => Command::ApproveHold { approved: true, note: note() },
        ActionKind::Resume => Command::Resume { note: note() },
        ActionKind::Urge => Command::Urge { note: Some("请抓紧办理".into()) },
        ActionKind::Merge => Command::Merge { into: 7, note: note() },
        ActionKind::Revisit => Command::Revisit { satisfaction: Satisfaction::Satisfied, note: note() },
        ActionKind::Reopen => Command::Reopen { reason: "市民不满意".into() },
        ActionKind::Comment => Command::Comment { text: "问题仍未解决，请尽快处理".into() },
        ActionKind::Recategorise => Command::Recategorise { category: "SJ-0199".into(), reason: "原分类有误".into() },
    }
}

#[test]
fn the_canonical_patrol_path_closes_the_loop() {
    let mut h = Harness::new(Source::Patrol);
    assert_eq!(h.status(), CaseStatus::Reported);
    assert_eq!(h.act(&operator(), Command::Register { note: note() }).status, CaseStatus::Registered);
    assert_eq!(h.act(&shift_lead(), Command::File { note: note() }).status, CaseStatus::Filed);
    let c = h.act(&dispatcher(), dispatch_to(&[UNIT_A]));
    assert_eq!(c.status, CaseStatus::Dispatched);
    assert_eq!(c.tasks[0].role, TaskRole::Lead);
    assert_eq!(c.tasks[0].clock.limit, "4工作时");
    assert_eq!(h.act(&handler_a(), Command::AcceptTask { note: note() }).tasks[0].status, TaskStatus::Accepted);
    let c = h.act(&handler_a(), Command::Feedback { text: "已清理".into(), photos: vec!["a".into()] });
    assert_eq!(c.status, CaseStatus::Processed);
    assert_eq!(h.act(&operator(), Command::RequestCheck { note: note() }).status, CaseStatus::Checking);
    assert_eq!(
        h.act(&inspector(), Command::Check { passed: true, note: note(), photos: vec![] }).status,
        CaseStatus::Checked
    );
    let c = h.act(&shift_lead(), Command::Close { note: note() });
    assert_eq!(c.status, CaseStatus::Closed);
    assert_eq!(c.version, 9);
    assert!(c.closed_at.is_some());
    assert!(c.watch().is_none(), "a closed case has no running clock");
    assert!(c.steps.iter().all(|s| s.stopped_at.is_some()));
    assert_eq!(c.overall.lamp(c.closed_at.unwrap() + 1000 * MINUTE_MS), Lamp::Green, "closed well within time");
}

#[test]
fn public_reports_must_be_verified_before_filing() {
    let mut h = Harness::new(Source::Public);
    h.act(&operator(), Command::Register { note: note() });
    let r = h.try_act(&shift_lead(), Command::File { note: note() }).unwrap_err();
    assert_eq!(r.code, "verification_required");
    h.act(&operator(), Command::RequestVerification { note: note() });
    assert_eq!(h.status(), CaseStatus::Verifying);
    h.act(&inspector(), Command::Verify { confirmed: true, note: note(), photos: vec![] });
    assert_eq!(h.act(&shift_lead(), Command::File { note: note() }).status, CaseStatus::Filed);
}

#[test]
fn a_report_found_untrue_can_only_be_voided() {
    let mut h = Harness::new(Source::Video);
    h.act(&operator(), Command::Register { note: note() });
    h.act(&operator(), Command::RequestVerification { note: note() });
    h.act(&inspector(), Command::Verify { confirmed: false, note: Some("现场无此情况".into()), photos: vec![] });
    assert_eq!(h.try_act(&shift_lead(), Command::File { note: note() }).unwrap_err().code, "verification_failed");
    let c = h.act(&shift_lead(), Command::Void { reason: "核实不属实".into() });
    assert_eq!(c.status, CaseStatus::Voided);
    assert!(c.watch().is_none());
}

#[test]
fn every_action_refuses_roles_it_does_not_allow() {
    for action in ActionKind::ALL.into_iter().filter(|a| *a != ActionKind::Report) {
        let allowed = action.rule().roles;
        for role in Role::ALL.into_iter().filter(|r| !allowed.contains(r)) {
            let h = case_in(action.rule().states[0]);
            let who = actor(99, &[role], Some(UNIT_A));
            let ctx = Context { now: h.now, calendar: &h.calendar, steps: &h.steps, merge_target: Some(target(7, CaseStatus::Filed)), new_category_limit: None };
            let r = decide(&h.case, &who, &sample(action), &ctx).unwrap_err();
            assert_eq!((r.kind, r.code), (RefusalKind::Forbidden, "role_not_allowed"), "{action:?} by {role:?}");
        }
    }
}

#[test]
fn every_action_refuses_states_it_does_not_allow() {
    let everyone = actor(99, &Role::ALL, Some(UNIT_A));
    for status in CaseStatus::ALL {
        let h = case_in(status);
        for action in ActionKind::ALL.into_iter().filter(|a| *a != ActionKind::Report) {
            if action.rule().states.contains(&status) {
                continue;
            }
            let ctx = Context { now: h.now, calendar: &h.calendar, steps: &h.steps, merge_target: Some(target(7, CaseStatus::Filed)), new_category_limit: None };
            let r = decide(&h.case, &everyone, &sample(action), &ctx).unwrap_err();
            assert_eq!((r.kind, r.code), (RefusalKind::Unprocessable, "invalid_state"), "{action:?} in {status:?}");
        }
    }
}

#[test]
fn only_the_own_channel_is_open_to_inspectors_and_leaders() {
    let calendar = WorkCalendar::china_default();
    let steps = StepLimits::default();
    let ctx = Context { now: at_local(2026, 11, 24, 9, 0), calendar: &calendar, steps: &steps, merge_target: None, new_category_limit: None };
    let limit = TimeLimit::work_hours(4);
    let r = report(&inspector(), new_report(Source::Hotline), "n".into(), limit, &ctx).unwrap_err();
    assert_eq!(r.code, "source_not_allowed");
    assert!(report(&leader(), new_report(Source::Leader), "n".into(), limit, &ctx).is_ok());
    assert_eq!(report(&dispatcher(), new_report(Source::Patrol), "n".into(), limit, &ctx).unwrap_err().code, "role_not_allowed");
    let mut bad = new_report(Source::Hotline);
    bad.location = Some(Location { lon: 31.05, lat: 121.6, coord_sys: CoordSys::Wgs84 });
    assert_eq!(report(&operator(), bad, "n".into(), limit, &ctx).unwrap_err().field.as_deref(), Some("location"));
    let mut nowhere = new_report(Source::Hotline);
    (nowhere.location, nowhere.address) = (None, Some("  ".into()));
    assert_eq!(report(&operator(), nowhere, "n".into(), limit, &ctx).unwrap_err().code, "location_required");
    let mut blank = new_report(Source::Hotline);
    blank.description = " ".into();
    assert_eq!(report(&operator(), blank, "n".into(), limit, &ctx).unwrap_err().field.as_deref(), Some("description"));
}

#[test]
fn a_joint_dispatch_waits_for_every_unit() {
    let mut h = case_in(CaseStatus::Filed);
    let c = h.act(&dispatcher(), dispatch_to(&[UNIT_A, UNIT_B]));
    assert_eq!(c.tasks.iter().map(|t| t.role).collect::<Vec<_>>(), [TaskRole::Lead, TaskRole::Assist]);
    for who in [handler_a(), handler_b()] {
        h.act(&who, Command::AcceptTask { note: note() });
    }
    h.act(&handler_a(), Command::Feedback { text: "主办已处置".into(), photos: vec![] });
    assert_eq!(h.status(), CaseStatus::Dispatched, "the assisting unit has not answered yet");
    h.act(&handler_b(), Command::Feedback { text: "协办已处置".into(), photos: vec![] });
    assert_eq!(h.status(), CaseStatus::Processed);
}

#[test]
fn the_lead_unit_releases_an_assist_and_the_case_goes_to_check() {
    let mut h = case_in(CaseStatus::Filed);
    h.act(&dispatcher(), dispatch_to(&[UNIT_A, UNIT_B]));
    let release = |task| Command::ReleaseTask { task, reason: "主办已处置完毕，无需协办".into() };
    let r = h.try_act(&handler_b(), release(2)).unwrap_err();
    assert_eq!(r.code, "not_lead_unit", "an assisting unit cannot release itself");
    let r = h.try_act(&handler_a(), release(1)).unwrap_err();
    assert_eq!(r.code, "not_an_assist_task");
    h.act(&handler_a(), Command::AcceptTask { note: note() });
    h.act(&handler_a(), Command::Feedback { text: "主办已处置".into(), photos: vec![] });
    assert_eq!(h.status(), CaseStatus::Dispatched);
    let c = h.act(&handler_a(), release(2));
    assert_eq!(c.status, CaseStatus::Processed, "lead done and the assist released");
    assert_eq!(c.task(2).unwrap().status, TaskStatus::Released);
    assert!(c.task(2).unwrap().clock.stopped_at.is_some(), "a released task's clock stops");
}

#[test]
fn releasing_an_assist_before_the_lead_is_done_keeps_the_case_open() {
    let mut h = case_in(CaseStatus::Filed);
    h.act(&dispatcher(), dispatch_to(&[UNIT_A, UNIT_B]));
    let c = h.act(&dispatcher(), Command::ReleaseTask { task: 2, reason: "协办单位不涉及".into() });
    assert_eq!(c.status, CaseStatus::Dispatched);
    let r = h.try_act(&dispatcher(), Command::ReleaseTask { task: 2, reason: "再次释放".into() }).unwrap_err();
    assert_eq!(r.code, "task_not_found");
    h.act(&handler_a(), Command::AcceptTask { note: note() });
    assert_eq!(h.act(&handler_a(), Command::Feedback { text: "已处置".into(), photos: vec![] }).status, CaseStatus::Processed);
}

#[test]
fn dispatch_details_are_checked() {
    let mut h = case_in(CaseStatus::Filed);
    let r = h.try_act(&dispatcher(), dispatch_to(&[])).unwrap_err();
    assert_eq!((r.code, r.field.as_deref()), ("units_required", Some("units")));
    let r = h.try_act(&dispatcher(), dispatch_to(&[UNIT_A, UNIT_A])).unwrap_err();
    assert_eq!((r.code, r.field.as_deref()), ("duplicate_unit", Some("units[1]")));
}

#[test]
fn a_returned_case_is_dispatched_again() {
    let mut h = case_in(CaseStatus::Returned);
    assert_eq!(h.case.returns, 1);
    assert_eq!(h.case.tasks[0].return_reason.as_deref(), Some("非本单位职责"));
    assert_eq!(h.case.current_step().unwrap().step, crate::deadline::Step::Dispatch);
    let c = h.act(&dispatcher(), dispatch_to(&[UNIT_B]));
    assert_eq!(c.status, CaseStatus::Dispatched);
    assert_eq!(c.open_task_of(UNIT_B).unwrap().role, TaskRole::Lead);
    assert!(c.open_task_of(UNIT_A).is_none());
    assert!(c.involves_unit(UNIT_A), "the returning unit still sees the case it once had");
}

#[test]
fn a_redispatch_keeps_open_tasks_and_drops_the_rest() {
    let mut h = case_in(CaseStatus::Filed);
    h.act(&dispatcher(), dispatch_to(&[UNIT_A, UNIT_B]));
    h.act(&handler_b(), Command::ReturnTask { reason: "职能不符".into() });
    assert_eq!(h.status(), CaseStatus::Returned);
    h.act(&handler_a(), Command::AcceptTask { note: note() });
    let c = h.act(&dispatcher(), dispatch_to(&[UNIT_A]));
    assert_eq!(c.tasks.len(), 2, "unit A keeps its task, no new one");
    assert_eq!(c.status, CaseStatus::Dispatched);
}

#[test]
fn a_failed_check_sends_the_work_back() {
    let mut h = case_in(CaseStatus::Checking);
    let c = h.act(&inspector(), Command::Check { passed: false, note: Some("仍有垃圾".into()), photos: vec![] });
    assert_eq!(c.status, CaseStatus::Dispatched);
    assert_eq!((c.reworks, c.tasks[0].reworks, c.tasks[0].status), (1, 1, TaskStatus::Accepted));
    assert!(c.tasks[0].clock.is_running(), "the rework runs on a new clock");
    h.act(&handler_a(), Command::Feedback { text: "再次清理".into(), photos: vec![] });
    h.act(&operator(), Command::RequestCheck { note: note() });
    h.act(&inspector(), Command::Check { passed: true, note: note(), photos: vec![] });
    assert_eq!(h.act(&shift_lead(), Command::Close { note: note() }).status, CaseStatus::Closed);
}

#[test]
fn an_approved_extension_moves_the_deadlines() {
    let mut h = case_in(CaseStatus::Dispatched);
    let (task_due, overall_due) = (h.case.tasks[0].clock.due_at, h.case.overall.due_at);
    h.act(&handler_a(), Command::RequestExtension { extra: TimeLimit::work_days(1), reason: "需采购井盖".into() });
    let r = h.try_act(&handler_a(), sample(ActionKind::RequestExtension)).unwrap_err();
    assert_eq!(r.code, "extension_pending");
    let c = h.act(&dispatcher(), Command::ApproveExtension { task: None, approved: true, note: note() }).clone();
    let day = h.calendar.working_day_ms();
    assert_eq!(h.calendar.working_between(task_due, c.tasks[0].clock.due_at), day);
    assert_eq!(h.calendar.working_between(overall_due, c.overall.due_at), day);
    assert_eq!(c.tasks[0].extensions, 1);
    let r = h.try_act(&dispatcher(), sample(ActionKind::ApproveExtension)).unwrap_err();
    assert_eq!(r.code, "no_extension_request");
}

#[test]
fn a_refused_extension_changes_no_deadline() {
    let mut h = case_in(CaseStatus::Dispatched);
    let due = h.case.tasks[0].clock.due_at;
    h.act(&handler_a(), sample(ActionKind::RequestExtension));
    let c = h.act(&dispatcher(), Command::ApproveExtension { task: Some(1), approved: false, note: note() });
    assert_eq!((c.tasks[0].clock.due_at, c.tasks[0].extensions), (due, 0));
    assert!(c.tasks[0].extension_request.is_none());
}

#[test]
fn a_hold_stops_every_clock_until_resumed() {
    let mut h = case_in(CaseStatus::OnHold);
    assert!(h.case.watch().is_none(), "no clock runs on hold");
    assert_eq!(h.case.resume_to, Some(CaseStatus::Dispatched));
    let left = h.case.tasks[0].clock.paused.unwrap().due_left_ms;
    h.now = at_local(2026, 12, 1, 9, 0);
    let c = h.act(&dispatcher(), Command::Resume { note: note() }).clone();
    assert_eq!(c.status, CaseStatus::Dispatched);
    assert_eq!(h.calendar.working_between(h.now, c.tasks[0].clock.due_at), left);
    assert!(c.watch().is_some());
}

#[test]
fn a_refused_hold_leaves_the_case_running() {
    let mut h = case_in(CaseStatus::Dispatched);
    h.act(&handler_a(), sample(ActionKind::RequestHold));
    assert_eq!(h.try_act(&handler_a(), sample(ActionKind::RequestHold)).unwrap_err().code, "hold_pending");
    let c = h.act(&dispatcher(), Command::ApproveHold { approved: false, note: note() });
    assert_eq!((c.status, c.hold_request.is_none(), c.holds), (CaseStatus::Dispatched, true, 0));
    assert_eq!(h.try_act(&dispatcher(), sample(ActionKind::ApproveHold)).unwrap_err().code, "no_hold_request");
}

#[test]
fn handlers_act_only_on_their_own_unit_task() {
    let mut h = case_in(CaseStatus::Dispatched);
    let r = h.try_act(&handler_b(), Command::AcceptTask { note: note() }).unwrap_err();
    assert_eq!(r.code, "no_open_task");
    let unitless = actor(8, &[Role::Handler], None);
    assert_eq!(h.try_act(&unitless, Command::AcceptTask { note: note() }).unwrap_err().code, "no_unit");
    let r = h.try_act(&handler_a(), Command::Feedback { text: "x".into(), photos: vec![] }).unwrap_err();
    assert_eq!(r.code, "task_not_accepted");
    h.act(&handler_a(), Command::AcceptTask { note: note() });
    assert_eq!(h.try_act(&handler_a(), Command::AcceptTask { note: note() }).unwrap_err().code, "task_already_accepted");
}

#[test]
fn urges_are_counted() {
    let mut h = case_in(CaseStatus::Dispatched);
    h.act(&leader(), Command::Urge { note: Some("尽快处理".into()) });
    assert_eq!(h.act(&shift_lead(), sample(ActionKind::Urge)).urges, 2);
    assert_eq!(h.status(), CaseStatus::Dispatched);
}

#[test]
fn duplicates_merge_into_a_live_case_only() {
    let mut h = case_in(CaseStatus::Registered);
    let merge = |into| Command::Merge { into, note: note() };
    assert_eq!(h.try_act_with(&operator(), merge(42), Some(target(42, CaseStatus::Filed))).unwrap_err().code, "merge_into_self");
    assert_eq!(
        h.try_act_with(&operator(), merge(9), Some(target(9, CaseStatus::Voided))).unwrap_err().code,
        "merge_target_invalid"
    );
    assert_eq!(h.try_act_with(&operator(), merge(9), None).unwrap_err().code, "merge_target_not_found");
    let c = h.try_act_with(&operator(), merge(9), Some(target(9, CaseStatus::Dispatched))).unwrap();
    assert_eq!((c.status, c.merged_into), (CaseStatus::Merged, Some(9)));
}

#[test]
fn a_dissatisfied_caller_gets_the_case_reopened() {
    let mut h = case_in(CaseStatus::Closed);
    let c = h.act(&operator(), Command::Revisit { satisfaction: Satisfaction::Dissatisfied, note: Some("问题反复".into()) });
    assert_eq!((c.status, c.revisits.len()), (CaseStatus::Closed, 1));
    let c = h.act(&shift_lead(), Command::Reopen { reason: "回访不满意".into() });
    assert_eq!((c.status, c.reopens, c.closed_at), (CaseStatus::Filed, 1, None));
    assert!(c.overall.is_running());
    let c = h.act(&dispatcher(), dispatch_to(&[UNIT_A]));
    assert_eq!(c.tasks.len(), 2, "重办 gives the unit a new task");
    assert_eq!((c.tasks[1].round, c.tasks[1].status), (1, TaskStatus::Pending));
    h.act(&handler_a(), Command::AcceptTask { note: note() });
    h.act(&handler_a(), Command::Feedback { text: "重新处置".into(), photos: vec![] });
    assert_eq!(h.status(), CaseStatus::Processed);
}

#[test]
fn urgent_natural_time_cases_count_every_step_in_natural_time() {
    let h = Harness::with_limit(Source::Patrol, TimeLimit::natural_hours(2));
    assert!(!h.case.overall.working);
    assert_eq!(h.case.steps[0].due_at - h.case.steps[0].started_at, 30 * MINUTE_MS);
}

#[test]
fn blank_reasons_are_refused_naming_the_field() {
    let mut h = case_in(CaseStatus::Registered);
    let r = h.try_act(&shift_lead(), Command::Void { reason: "  ".into() }).unwrap_err();
    assert_eq!((r.code, r.field.as_deref()), ("field_required", Some("reason")));
    assert!(r.message.contains("作废原因"));
}

#[test]
fn replay_refuses_a_broken_history() {
    let h = case_in(CaseStatus::Dispatched);
    let mut events = h.events.clone();
    events.remove(1);
    assert!(matches!(Case::replay(42, &events), Err(FoldError::OutOfSequence { .. })));
    assert!(matches!(Case::replay(42, &h.events[1..]), Err(FoldError::NotStartedByReport)));
    let json = serde_json::to_string(&h.events).unwrap();
    let back: Vec<Event> = serde_json::from_str(&json).unwrap();
    assert_eq!(Case::replay(42, &back).unwrap(), h.case, "events survive storage as JSON");
}

// ---- property tests -------------------------------------------------------------------------

fn pool() -> Vec<(Actor, Command)> {
    let mut pool = vec![];
    let everyone = [inspector(), operator(), shift_lead(), dispatcher(), handler_a(), handler_b(), leader()];
    for action in ActionKind::ALL.into_iter().filter(|a| *a != ActionKind::Report) {
        for who in &everyone {
            pool.push((who.clone(), sample(action)));
        }
    }
    for who in [handler_a(), handler_b()] {
        pool.push((who.clone(), Command::Feedback { text: "处置完毕".into(), photos: vec![] }));
    }
    pool.push((dispatcher(), dispatch_to(&[UNIT_A, UNIT_B])));
    pool.push((dispatcher(), dispatch_to(&[UNIT_B])));
    pool.push((inspector(), Command::Check { passed: false, note: note(), photos: vec![] }));
    pool.push((inspector(), Command::Verify { confirmed: false, note: note(), photos: vec![] }));
    pool.push((dispatcher(), Command::ApproveHold { approved: false, note: note() }));
    pool
}

fn check_invariants(c: &Case, events: &[Event]) {
    assert_eq!(c.version as usize, events.len());
    let current: Vec<&Task> = c.current_tasks().collect();
    let open = current.iter().filter(|t| t.status.is_open()).count();
    match c.status {
        CaseStatus::Dispatched => assert!(open > 0, "dispatched without an open task"),
        CaseStatus::Processed | CaseStatus::Checking | CaseStatus::Checked => {
            assert_eq!(open, 0, "{:?} with open tasks", c.status);
            assert!(current.iter().any(|t| t.status == TaskStatus::Done));
        }
        _ => {}
    }
    assert_eq!(c.status == CaseStatus::OnHold, c.resume_to.is_some());
    assert_eq!(c.status == CaseStatus::Merged, c.merged_into.is_some());
    assert_eq!(c.status == CaseStatus::Closed, c.closed_at.is_some());
    if c.status.is_final() || c.status == CaseStatus::OnHold {
        assert!(c.watch().is_none(), "{:?} with a running clock", c.status);
    }
    if c.status.is_final() {
        assert!(c.tasks.iter().all(|t| !t.status.is_open()));
    }
    assert!(c.steps[..c.steps.len() - 1].iter().all(|s| s.stopped_at.is_some()), "one step clock at a time");
    let mut ids: Vec<u32> = c.tasks.iter().map(|t| t.id).collect();
    ids.dedup();
    assert_eq!(ids.len(), c.tasks.len(), "task ids are unique");
    for t in &c.tasks {
        assert!(c.tasks.iter().filter(|u| u.unit == t.unit && u.status.is_open()).count() <= 1);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// No sequence of actions reaches an invalid state, and replaying a case's events always
    /// rebuilds exactly its state.
    #[test]
    fn no_action_sequence_breaks_the_case(
        source in prop::sample::select(Source::ALL.to_vec()),
        steps in prop::collection::vec((any::<prop::sample::Index>(), 0i64..3000), 1..60),
    ) {
        let pool = pool();
        let mut h = Harness::new(source);
        for (pick, minutes) in steps {
            let (who, command) = pick.get(&pool).clone();
            h.now += minutes * MINUTE_MS;
            let target = Some(target(7, CaseStatus::Filed));
            let ctx = Context { now: h.now, calendar: &h.calendar, steps: &h.steps, merge_target: target, new_category_limit: None };
            if let Ok(event) = decide(&h.case, &who, &command, &ctx) {
                prop_assert_eq!(event.seq, h.case.version + 1);
                h.case.apply(&event).expect("decided events apply");
                h.events.push(event);
                check_invariants(&h.case, &h.events);
            }
        }
        prop_assert_eq!(Case::replay(42, &h.events).unwrap(), h.case);
    }
}

// ---- channels (接入渠道) and comments (留言) ----------------------------------------------------

fn channel() -> Actor {
    actor(50, &[Role::Channel], None)
}

#[test]
fn a_channel_reports_as_the_public_and_only_so() {
    let calendar = WorkCalendar::china_default();
    let steps = StepLimits::default();
    let ctx = Context { now: at_local(2026, 11, 24, 9, 0), calendar: &calendar, steps: &steps, merge_target: None, new_category_limit: None };
    let event = report(&channel(), new_report(Source::Public), String::new(), TimeLimit::work_hours(4), &ctx).unwrap();
    assert_eq!((event.actor_role, event.actor_name.as_str()), (Role::Channel, "用户50"), "the timeline names the client");
    let r = report(&channel(), new_report(Source::Patrol), String::new(), TimeLimit::work_hours(4), &ctx).unwrap_err();
    assert_eq!(r.code, "source_not_allowed");
    let mut long = new_report(Source::Public);
    long.description = "坑".repeat(MAX_DESCRIPTION_CHARS);
    assert!(report(&channel(), long.clone(), String::new(), TimeLimit::work_hours(4), &ctx).is_ok(), "GeoReport's 4,000 characters fit");
    long.description.push('坑');
    let r = report(&channel(), long, String::new(), TimeLimit::work_hours(4), &ctx).unwrap_err();
    assert_eq!((r.code, r.field.as_deref()), ("text_too_long", Some("description")));
}

#[test]
fn a_channel_may_comment_but_take_no_other_action() {
    let mut h = Harness::new(Source::Public);
    let c = h.act(&channel(), Command::Comment { text: " 垃圾又多了 ".into() }).clone();
    assert_eq!((c.status, c.version), (CaseStatus::Reported, 2), "a comment changes nothing but the history");
    assert_eq!(h.events.last().unwrap().reason.as_deref(), Some("垃圾又多了"));
    assert_eq!(h.events.last().unwrap().change, Change::Commented);
    let r = h.try_act(&channel(), Command::Comment { text: "  ".into() }).unwrap_err();
    assert_eq!((r.code, r.field.as_deref()), ("field_required", Some("text")));
    let r = h.try_act(&channel(), Command::Register { note: note() }).unwrap_err();
    assert_eq!(r.code, "role_not_allowed");
    h.act(&operator(), Command::Comment { text: "已电话联系反映人".into() });
    h.act(&shift_lead(), Command::Void { reason: "重复反映".into() });
    let r = h.try_act(&channel(), Command::Comment { text: "还在".into() }).unwrap_err();
    assert_eq!(r.code, "invalid_state", "no comments on a voided case");
}

#[test]
fn recategorising_before_dispatch_changes_the_category_and_the_disposal_limit_used_at_dispatch() {
    let mut h = Harness::new(Source::Hotline);
    h.act(&operator(), Command::Register { note: note() });
    h.act(&shift_lead(), Command::File { note: note() });
    let c = h.act(&dispatcher(), Command::Recategorise { category: "SJ-0199".into(), reason: "实为绿化问题".into() });
    assert_eq!(c.facts.category, "SJ-0199");
    assert_eq!(c.facts.disposal_limit, TimeLimit::work_days(2));
    let c = h.act(&dispatcher(), dispatch_to(&[UNIT_A]));
    assert_eq!(c.tasks[0].clock.limit, "2工作日", "the new category's limit");
    // Once a unit is at work the category is settled.
    let refused = h.try_act(&operator(), Command::Recategorise { category: "SJ-0101".into(), reason: "再改".into() }).unwrap_err();
    assert_eq!(refused.code, "invalid_state");
}

#[test]
fn recategorising_needs_a_reason_a_known_and_different_category() {
    let mut h = Harness::new(Source::Hotline);
    let no_reason = h.try_act(&operator(), Command::Recategorise { category: "SJ-0199".into(), reason: " ".into() }).unwrap_err();
    assert_eq!((no_reason.code, no_reason.field.as_deref()), ("field_required", Some("reason")));
    let same = h.case.facts.category.clone();
    let unchanged = h.try_act(&operator(), Command::Recategorise { category: same, reason: "核对".into() }).unwrap_err();
    assert_eq!(unchanged.code, "same_category");
    let ctx = Context { now: h.now, calendar: &h.calendar, steps: &h.steps, merge_target: None, new_category_limit: None };
    let unknown = decide(&h.case, &operator(), &Command::Recategorise { category: "XX".into(), reason: "改".into() }, &ctx).unwrap_err();
    assert_eq!((unknown.code, unknown.field.as_deref()), ("unknown_category", Some("category")));
    assert!(h.try_act(&handler_a(), Command::Recategorise { category: "SJ-0199".into(), reason: "改".into() }).is_err(), "not a handler's action");
}
