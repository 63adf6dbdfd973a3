//! The store itself, on both backends.

use chengyun_domain::calendar::WorkCalendar;
use chengyun_domain::case::{self, Command, Context, CoordSys, Location, NewReport, Reporter, Source};
use chengyun_domain::deadline::StepLimits;
use chengyun_domain::org::Role;
use chengyun_domain::time::at_local;
use chengyun_domain::TimeLimit;
use chengyun_storage::testing::fresh_database;
use chengyun_storage::{open, AuditActor, Backend, CaseQuery, NewUser, Store, StoreError};

async fn store(backend: Backend) -> std::sync::Arc<dyn Store> {
    let store = open(&fresh_database(backend).await).await.unwrap();
    store.migrate().await.unwrap();
    store
}

async fn round_trip(backend: Backend) {
    let store = store(backend).await;
    assert!(store.is_empty().await.unwrap());
    let user = store
        .create_user(
            &NewUser {
                username: "op".into(),
                display_name: "受理员".into(),
                password_hash: "x".into(),
                roles: vec![Role::Operator, Role::ShiftLead],
                unit: None,
                region: Some("310115137".into()),
            },
            &AuditActor::system(),
        )
        .await
        .unwrap();
    assert_eq!(store.user_by_username("op").await.unwrap().unwrap().roles, [Role::Operator, Role::ShiftLead]);
    let actor = user.actor();
    let calendar = WorkCalendar::china_default();
    let steps = StepLimits::default();
    let ctx = Context { now: at_local(2026, 11, 24, 9, 0), calendar: &calendar, steps: &steps, merge_target: None, new_category_limit: None };
    let report = NewReport {
        category: "SJ-0102".into(),
        description: "垃圾".into(),
        source: Source::Hotline,
        region_code: "310115137001".into(),
        address: None,
        location: Some(Location { lon: 121.6, lat: 31.05, coord_sys: CoordSys::Wgs84 }),
        placement: None,
        reporter: Reporter { name: Some("李四".into()), phone: Some("13900001111".into()), wants_reply: false },
        photos: vec![],
    };
    let event = case::report(&actor, report, String::new(), TimeLimit::work_hours(4), &ctx).unwrap();
    let created = store.create_case("310115137", event).await.unwrap();
    assert_eq!(created.facts.number, "310115137-20261124-0001");
    let event = case::decide(&created, &actor, &Command::Register { note: None }, &ctx).unwrap();
    let mut next = created.clone();
    next.apply(&event).unwrap();
    store.append_event(&created, &next, &event).await.unwrap();
    assert!(matches!(store.append_event(&created, &next, &event).await, Err(StoreError::Conflict)), "stale version");
    assert_eq!(store.get_case(created.id).await.unwrap().unwrap(), next);
    let history: Vec<_> = store.case_events(created.id).await.unwrap().into_iter().map(|e| e.event).collect();
    assert_eq!(case::Case::replay(created.id, &history).unwrap(), next);
    let page = store.list_cases(&CaseQuery { page: 1, page_size: 10, reporter: Some("13900001111".into()), ..Default::default() }).await.unwrap();
    assert_eq!((page.total, page.items[0].number.as_str()), (1, "310115137-20261124-0001"));
    let report = store.verify_audit().await.unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!((report.records, report.events), (3, 2));
}

#[tokio::test]
async fn sqlite_round_trip() {
    round_trip(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_round_trip() {
    round_trip(Backend::Postgres).await;
}

async fn sessions_expire_and_revoke(backend: Backend) {
    let store = store(backend).await;
    let user = store
        .create_user(
            &NewUser { username: "u".into(), display_name: "U".into(), password_hash: "x".into(), roles: vec![Role::Leader], unit: None, region: None },
            &AuditActor::system(),
        )
        .await
        .unwrap();
    let who = AuditActor { id: user.id, name: user.username.clone() };
    let now = 1_800_000_000_000;
    store.create_session("live", &who, now, now + 1000).await.unwrap();
    store.create_session("old", &who, now - 5000, now - 1).await.unwrap();
    assert!(store.session_user("live", now).await.unwrap().is_some());
    assert!(store.session_user("live", now + 1000).await.unwrap().is_none(), "expired at its deadline");
    assert!(store.session_user("old", now).await.unwrap().is_none());
    store.revoke_session("live", &who, now).await.unwrap();
    assert!(store.session_user("live", now).await.unwrap().is_none(), "revoked");
    store.update_user(user.id, &chengyun_storage::UserPatch { active: Some(false), ..Default::default() }, &AuditActor::system()).await.unwrap();
    store.create_session("after", &who, now, now + 1000).await.unwrap();
    assert!(store.session_user("after", now).await.unwrap().is_none(), "a disabled user has no session");
}

#[tokio::test]
async fn sqlite_sessions() {
    sessions_expire_and_revoke(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_sessions() {
    sessions_expire_and_revoke(Backend::Postgres).await;
}
