//! The tamper-evident audit log: each record holds the hash of the previous one, and each
//! record of a case event holds a digest of the event row, so editing, deleting or inserting
//! any event or audit row by hand breaks the chain where it happened.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use chengyun_domain::Millis;

/// The hash the chain starts from.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One record of the chain: an entry and its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub seq: i64,
    #[serde(flatten)]
    pub entry: AuditEntry,
    pub prev_hash: String,
    pub hash: String,
}

/// The fields of an audit record before it is chained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: Millis,
    pub actor_id: i64,
    pub actor_name: String,
    /// `case.<action>` for case events, `user.create`, `unit.upsert` … for admin changes.
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    /// JSON detail of the change.
    pub detail: String,
    pub event_id: Option<i64>,
    pub event_digest: Option<String>,
}

impl AuditEntry {
    /// Chains the entry after `prev_hash` as record `seq`.
    pub fn chain(self, seq: i64, prev_hash: &str) -> AuditRecord {
        let mut r = AuditRecord { seq, entry: self, prev_hash: prev_hash.to_string(), hash: String::new() };
        r.hash = record_hash(&r);
        r
    }
}

/// Fields are length-prefixed so that no two different records hash the same text.
fn feed(h: &mut Sha256, field: &str) {
    h.update((field.len() as u64).to_le_bytes());
    h.update(field.as_bytes());
}

/// The hash of a record over all its fields and the previous hash.
pub fn record_hash(r: &AuditRecord) -> String {
    let e = &r.entry;
    let mut h = Sha256::new();
    for field in [
        r.prev_hash.as_str(),
        &r.seq.to_string(),
        &e.at.to_string(),
        &e.actor_id.to_string(),
        &e.actor_name,
        &e.action,
        &e.object_type,
        &e.object_id,
        &e.detail,
        &e.event_id.map(|i| i.to_string()).unwrap_or_default(),
        e.event_digest.as_deref().unwrap_or_default(),
    ] {
        feed(&mut h, field);
    }
    hex::encode(h.finalize())
}

/// The columns of a stored case event, as they are in the row.
pub struct EventRow<'a> {
    pub id: i64,
    pub case_id: i64,
    pub seq: i64,
    pub at: Millis,
    pub actor_id: i64,
    pub actor_name: &'a str,
    pub actor_role: &'a str,
    pub action: &'a str,
    pub reason: Option<&'a str>,
    pub payload: &'a str,
}

/// Digest of an event row: every column an edit could touch.
pub fn event_digest(e: &EventRow) -> String {
    let mut h = Sha256::new();
    for field in [
        &e.id.to_string(),
        &e.case_id.to_string(),
        &e.seq.to_string(),
        &e.at.to_string(),
        &e.actor_id.to_string(),
        e.actor_name,
        e.actor_role,
        e.action,
        e.reason.unwrap_or("\u{0}"),
        e.payload,
    ] {
        feed(&mut h, field);
    }
    hex::encode(h.finalize())
}

/// Result of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditReport {
    pub ok: bool,
    /// Records checked.
    pub records: i64,
    /// Case events checked against their digests.
    pub events: i64,
    /// The first problem found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_broken: Option<Broken>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Broken {
    /// Audit sequence number of the record at fault (or nearest to the fault).
    pub seq: i64,
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(detail: &str) -> AuditEntry {
        AuditEntry {
            at: 1,
            actor_id: 2,
            actor_name: "admin".into(),
            action: "unit.upsert".into(),
            object_type: "unit".into(),
            object_id: "u1".into(),
            detail: detail.into(),
            event_id: None,
            event_digest: None,
        }
    }

    #[test]
    fn any_change_to_a_record_changes_its_hash() {
        let a = entry("{}").chain(1, GENESIS);
        assert_eq!(record_hash(&a), a.hash);
        let mut b = a.clone();
        b.entry.detail = "{\"x\":1}".into();
        assert_ne!(record_hash(&b), a.hash);
        let c = entry("{}").chain(2, &a.hash);
        assert_ne!(c.hash, a.hash, "the chain position is hashed");
    }

    #[test]
    fn field_boundaries_are_unambiguous() {
        let row = |name, role| EventRow {
            id: 1, case_id: 1, seq: 1, at: 1, actor_id: 1, actor_name: name, actor_role: role,
            action: "register", reason: None, payload: "{}",
        };
        assert_ne!(event_digest(&row("ab", "c")), event_digest(&row("a", "bc")));
    }
}
