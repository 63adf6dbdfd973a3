//! Organisation: units (处置单位), roles and data scopes of users.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A role of the 城运中心 loop. The snake_case identifiers are fixed: integrations depend on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 监督员 / 网格员 — reports on patrol, 核实 and 核查 on site.
    Inspector,
    /// 受理员 — receives reports from every channel, registers them, requests 核实/核查, 回访.
    Operator,
    /// 值班长 — 立案 or 作废, 结案, 重办.
    ShiftLead,
    /// 派遣员 — 派遣, approves 延期 and 挂账.
    Dispatcher,
    /// 处置人员 of a unit — 接单, 处置反馈, asks 退单/延期/挂账.
    Handler,
    /// 领导 — dashboards, 督办, 交办.
    Leader,
    /// 考核员 — assessment.
    Assessor,
    /// 管理员 — regions, units, users, categories, calendar.
    Admin,
    /// 接入渠道 — an external client system (an Open311 app, a mini-program backend) acting
    /// through an API key: it reports and comments, never logs in, sees only what it filed.
    Channel,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::Inspector,
        Role::Operator,
        Role::ShiftLead,
        Role::Dispatcher,
        Role::Handler,
        Role::Leader,
        Role::Assessor,
        Role::Admin,
        Role::Channel,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Inspector => "inspector",
            Role::Operator => "operator",
            Role::ShiftLead => "shift_lead",
            Role::Dispatcher => "dispatcher",
            Role::Handler => "handler",
            Role::Leader => "leader",
            Role::Assessor => "assessor",
            Role::Admin => "admin",
            Role::Channel => "channel",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Inspector => "监督员",
            Role::Operator => "受理员",
            Role::ShiftLead => "值班长",
            Role::Dispatcher => "派遣员",
            Role::Handler => "处置人员",
            Role::Leader => "领导",
            Role::Assessor => "考核员",
            Role::Admin => "管理员",
            Role::Channel => "接入渠道",
        }
    }

    /// A role a person holds; `Channel` belongs only to the system user of an API key.
    pub fn is_staff(self) -> bool {
        self != Role::Channel
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("未知角色“{s}”"))
    }
}

/// Kind of a unit that handles cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// 城运中心 itself.
    Centre,
    /// 职能部门: 城管中队, 市场监管所, 环卫所, 水务站, 房办, 派出所, 应急/安监 …
    Department,
    /// 村委会
    VillageCommittee,
    /// 居委会
    ResidentsCommittee,
    /// 物业公司
    PropertyManager,
    /// 养护单位 (roads, greenery, facilities)
    Maintenance,
}

impl UnitKind {
    pub fn label(self) -> &'static str {
        match self {
            UnitKind::Centre => "城运中心",
            UnitKind::Department => "职能部门",
            UnitKind::VillageCommittee => "村委会",
            UnitKind::ResidentsCommittee => "居委会",
            UnitKind::PropertyManager => "物业",
            UnitKind::Maintenance => "养护单位",
        }
    }
}

/// A 处置单位, attached to the region it serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    /// Stable identifier used in dispatch (`units: [code, …]`), e.g. `310115137-cgzd`.
    pub code: String,
    pub name: String,
    pub kind: UnitKind,
    /// Code of the region the unit serves (a town, or a village for 村/居委).
    pub region_code: String,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// Checks a unit code: 2–40 characters of ASCII letters, digits, `-` and `_`.
pub fn valid_unit_code(code: &str) -> bool {
    (2..=40).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// What part of the town a user may see. Empty = the whole instance (城运中心 staff).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// A region subtree (town, 片区, village …) by code.
    pub region: Option<String>,
    /// A unit: cases dispatched to it.
    pub unit: Option<String>,
}

impl Scope {
    pub fn is_unrestricted(&self) -> bool {
        self.region.is_none() && self.unit.is_none()
    }
}

/// The person performing an action, as far as the rules need to know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub scope: Scope,
}

impl Actor {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn has_any(&self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.has(*r))
    }

    /// The unit this actor handles tasks for, if any.
    pub fn unit(&self) -> Option<&str> {
        self.scope.unit.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_identifiers_are_fixed() {
        let ids: Vec<_> = Role::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(
            ids,
            ["inspector", "operator", "shift_lead", "dispatcher", "handler", "leader", "assessor", "admin", "channel"]
        );
        assert_eq!(Role::ALL.iter().filter(|r| !r.is_staff()).collect::<Vec<_>>(), [&Role::Channel]);
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
            assert_eq!(serde_json::to_string(&r).unwrap(), format!("\"{}\"", r.as_str()));
        }
        assert!("boss".parse::<Role>().is_err());
    }

    #[test]
    fn unit_codes() {
        assert!(valid_unit_code("310115137-cgzd"));
        assert!(!valid_unit_code("a"));
        assert!(!valid_unit_code("城管"));
        assert!(!valid_unit_code("a b"));
    }
}
