//! chengyun's domain core: pure data and rules, no I/O, no async.
//!
//! - [`region`]: 市 → 区 → 街镇 → 村/居 → 单元网格 and their codes
//! - [`org`]: units (处置单位) and users' roles and data scopes
//! - [`category`]: versioned 部件/事件 code tables with 立案/结案条件 and 处置时限
//! - [`routing`]: the 责任清单 — which units handle a kind of problem at a place
//! - [`calendar`]: the working-time clock over the official holiday calendar
//! - [`deadline`]: step clocks and lamps (green / yellow / red)
//! - [`case`]: the closed-loop state machine; a case is the fold of its events
//! - [`open311`]: the towns' public services (GeoReport v2) and the public view of a case's state

pub mod calendar;
pub mod case;
pub mod category;
pub mod deadline;
pub mod demo;
pub mod limit;
pub mod open311;
pub mod org;
pub mod region;
pub mod routing;
pub mod time;

pub use limit::{LimitUnit, TimeLimit};
pub use time::Millis;
