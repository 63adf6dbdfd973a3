//! The fold: a case is what its events make it. `apply` trusts that `decide` produced the
//! event but still refuses events that do not fit, so a corrupted history is noticed.

use super::action::ActionKind;
use super::event::{Change, ClockRef, Event};
use super::model::{
    Case, CaseStatus, ExtensionRequest, Feedback, HoldRequest, Revisit, Task, TaskStatus, Verification,
};
use crate::deadline::Clock;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FoldError {
    #[error("案件历史须以上报事件开始")]
    NotStartedByReport,
    #[error("事件序号不连续：应为 {expected}，实为 {found}")]
    OutOfSequence { expected: i64, found: i64 },
    #[error("事件 {seq} 引用了不存在的任务 {task}")]
    UnknownTask { seq: i64, task: u32 },
    #[error("事件 {seq}（{action}）不能应用于已有案件")]
    Misplaced { seq: i64, action: &'static str },
}

impl Case {
    /// Rebuilds a case from its full history.
    pub fn replay(id: i64, events: &[Event]) -> Result<Case, FoldError> {
        let (first, rest) = events.split_first().ok_or(FoldError::NotStartedByReport)?;
        let mut case = Case::reported(id, first)?;
        for e in rest {
            case.apply(e)?;
        }
        Ok(case)
    }

    /// The case as its first event creates it.
    pub fn reported(id: i64, event: &Event) -> Result<Case, FoldError> {
        let Change::Reported { facts, step, overall } = &event.change else {
            return Err(FoldError::NotStartedByReport);
        };
        if event.seq != 1 {
            return Err(FoldError::OutOfSequence { expected: 1, found: event.seq });
        }
        Ok(Case {
            id,
            facts: (**facts).clone(),
            status: CaseStatus::Reported,
            version: 1,
            created_at: event.at,
            created_by: event.actor_name.clone(),
            updated_at: event.at,
            steps: vec![step.clone()],
            overall: overall.clone(),
            tasks: vec![],
            verification: None,
            hold_request: None,
            resume_to: None,
            merged_into: None,
            revisits: vec![],
            filed_at: None,
            closed_at: None,
            urges: 0,
            returns: 0,
            reworks: 0,
            reopens: 0,
            holds: 0,
        })
    }

    /// Applies the next event.
    pub fn apply(&mut self, e: &Event) -> Result<(), FoldError> {
        if e.seq != self.version + 1 {
            return Err(FoldError::OutOfSequence { expected: self.version + 1, found: e.seq });
        }
        let at = e.at;
        match &e.change {
            Change::Reported { .. } => return Err(FoldError::Misplaced { seq: e.seq, action: ActionKind::Report.as_str() }),
            Change::Registered { next } => {
                self.advance(at, Some(next));
                self.status = CaseStatus::Registered;
            }
            Change::VerificationRequested { next } => {
                self.advance(at, Some(next));
                self.status = CaseStatus::Verifying;
            }
            Change::Verified { confirmed, next, .. } => {
                self.advance(at, Some(next));
                self.verification = Some(Verification { confirmed: *confirmed, at, by: e.actor_name.clone() });
                self.status = CaseStatus::Registered;
            }
            Change::Filed { next } => {
                self.advance(at, Some(next));
                self.filed_at = Some(at);
                self.status = CaseStatus::Filed;
            }
            Change::Voided => {
                self.stop_all(at);
                self.status = CaseStatus::Voided;
            }
            Change::Dispatched { tasks, kept, cancelled, next } => {
                for (id, role) in kept {
                    self.task_mut(e.seq, *id)?.role = *role;
                }
                for id in cancelled {
                    let t = self.task_mut(e.seq, *id)?;
                    t.status = TaskStatus::Cancelled;
                    t.clock.stop(at);
                }
                let round = self.reopens;
                self.tasks.extend(tasks.iter().map(|t| Task {
                    id: t.id,
                    unit: t.unit.clone(),
                    role: t.role,
                    status: TaskStatus::Pending,
                    clock: t.clock.clone(),
                    dispatched_at: at,
                    accepted_at: None,
                    feedback: None,
                    return_reason: None,
                    extension_request: None,
                    extensions: 0,
                    reworks: 0,
                    round,
                }));
                self.advance(at, next.as_ref());
                self.status = if next.is_some() { CaseStatus::Processed } else { CaseStatus::Dispatched };
            }
            Change::TaskAccepted { task } => {
                let t = self.task_mut(e.seq, *task)?;
                t.status = TaskStatus::Accepted;
                t.accepted_at = Some(at);
            }
            Change::TaskReturned { task, next } => {
                let t = self.task_mut(e.seq, *task)?;
                t.status = TaskStatus::Returned;
                t.return_reason = e.reason.clone();
                t.extension_request = None;
                t.clock.stop(at);
                if next.is_some() {
                    self.advance(at, next.as_ref());
                }
                self.returns += 1;
                self.status = CaseStatus::Returned;
            }
            Change::FedBack { task, text, photos, next } => {
                let by = e.actor_name.clone();
                let t = self.task_mut(e.seq, *task)?;
                t.status = TaskStatus::Done;
                t.feedback = Some(Feedback { text: text.clone(), photos: photos.clone(), at, by });
                t.extension_request = None;
                t.clock.stop(at);
                if next.is_some() {
                    self.advance(at, next.as_ref());
                    self.status = CaseStatus::Processed;
                }
            }
            Change::TaskReleased { task, next } => {
                let t = self.task_mut(e.seq, *task)?;
                t.status = TaskStatus::Released;
                t.extension_request = None;
                t.clock.stop(at);
                if next.is_some() {
                    self.advance(at, next.as_ref());
                    self.status = CaseStatus::Processed;
                }
            }
            Change::CheckRequested { next } => {
                self.advance(at, Some(next));
                self.status = CaseStatus::Checking;
            }
            Change::Checked { passed, next, rework, .. } => {
                self.advance(at, next.as_ref());
                if *passed {
                    self.status = CaseStatus::Checked;
                } else {
                    for (id, clock) in rework {
                        let t = self.task_mut(e.seq, *id)?;
                        t.status = TaskStatus::Accepted;
                        t.clock = clock.clone();
                        t.reworks += 1;
                    }
                    self.reworks += 1;
                    self.status = CaseStatus::Dispatched;
                }
            }
            Change::Closed => {
                self.stop_all(at);
                self.closed_at = Some(at);
                self.status = CaseStatus::Closed;
            }
            Change::ExtensionRequested { task, extra } => {
                let by = e.actor_name.clone();
                let reason = e.reason.clone().unwrap_or_default();
                self.task_mut(e.seq, *task)?.extension_request = Some(ExtensionRequest { extra: *extra, reason, at, by });
            }
            Change::ExtensionDecided { task, approved, task_clock, overall } => {
                let t = self.task_mut(e.seq, *task)?;
                t.extension_request = None;
                if *approved {
                    t.extensions += 1;
                }
                if let Some(c) = task_clock {
                    t.clock = c.clone();
                }
                if let Some(c) = overall {
                    self.overall = c.clone();
                }
            }
            Change::HoldRequested => {
                let reason = e.reason.clone().unwrap_or_default();
                self.hold_request = Some(HoldRequest { reason, at, by: e.actor_name.clone() });
            }
            Change::HoldDecided { approved, pauses } => {
                self.hold_request = None;
                if *approved {
                    for (which, pause) in pauses {
                        self.clock_mut(e.seq, *which)?.paused = Some(*pause);
                    }
                    self.holds += 1;
                    self.resume_to = Some(self.status);
                    self.status = CaseStatus::OnHold;
                }
            }
            Change::Resumed { clocks } => {
                for (which, clock) in clocks {
                    *self.clock_mut(e.seq, *which)? = clock.clone();
                }
                self.status = self.resume_to.take().unwrap_or(CaseStatus::Dispatched);
            }
            Change::Urged => self.urges += 1,
            Change::Recategorised { to, disposal_limit, .. } => {
                self.facts.category = to.clone();
                self.facts.disposal_limit = *disposal_limit;
            }
            Change::Commented => {}
            Change::Merged { into, .. } => {
                self.stop_all(at);
                self.merged_into = Some(*into);
                self.status = CaseStatus::Merged;
            }
            Change::Revisited { satisfaction } => {
                self.revisits.push(Revisit { satisfaction: *satisfaction, at, by: e.actor_name.clone() });
            }
            Change::Reopened { next, overall } => {
                self.reopens += 1;
                self.closed_at = None;
                self.overall = overall.clone();
                self.steps.push(next.clone());
                self.status = CaseStatus::Filed;
            }
        }
        self.version = e.seq;
        self.updated_at = at;
        Ok(())
    }

    /// Ends the running step clock and starts the next one.
    fn advance(&mut self, at: i64, next: Option<&Clock>) {
        if let Some(current) = self.steps.last_mut() {
            current.stop(at);
        }
        if let Some(next) = next {
            self.steps.push(next.clone());
        }
    }

    fn stop_all(&mut self, at: i64) {
        self.advance(at, None);
        self.overall.stop(at);
        for t in self.tasks.iter_mut().filter(|t| t.status.is_open()) {
            t.status = TaskStatus::Cancelled;
            t.clock.stop(at);
        }
    }

    fn task_mut(&mut self, seq: i64, id: u32) -> Result<&mut Task, FoldError> {
        self.tasks.iter_mut().find(|t| t.id == id).ok_or(FoldError::UnknownTask { seq, task: id })
    }

    fn clock_mut(&mut self, seq: i64, which: ClockRef) -> Result<&mut Clock, FoldError> {
        match which {
            ClockRef::Step => self.steps.last_mut().ok_or(FoldError::Misplaced { seq, action: "step" }),
            ClockRef::Overall => Ok(&mut self.overall),
            ClockRef::Task(id) => Ok(&mut self.task_mut(seq, id)?.clock),
        }
    }
}
