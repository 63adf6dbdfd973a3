//! The store itself, on both backends.

use chengyun_domain::calendar::WorkCalendar;
use chengyun_domain::case::{self, Command, Context, CoordSys, Location, NewReport, Reporter, Source};
use chengyun_domain::deadline::StepLimits;
use chengyun_domain::org::Role;
use chengyun_domain::time::at_local;
use chengyun_domain::TimeLimit;
use chengyun_storage::testing::fresh_database;
use chengyun_storage::{open, AuditActor, Backend, CaseQuery, NewUser, Store, StoreError, UserRecord};

async fn store(backend: Backend) -> std::sync::Arc<dyn Store> {
    let store = open(&fresh_database(backend).await).await.unwrap();
    store.migrate().await.unwrap();
    store
}

/// A 受理员 ("op") of 航头镇 with these roles.
async fn desk_user(store: &dyn Store, roles: Vec<Role>) -> UserRecord {
    let user = NewUser {
        username: "op".into(),
        display_name: "受理员".into(),
        password_hash: "x".into(),
        roles,
        unit: None,
        region: Some("310115137".into()),
    };
    store.create_user(&user, &AuditActor::system()).await.unwrap()
}

async fn round_trip(backend: Backend) {
    let store = store(backend).await;
    assert!(store.is_empty().await.unwrap());
    let user = desk_user(&*store, vec![Role::Operator, Role::ShiftLead]).await;
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

/// A search counts its hits up to its cap and then says the total is a lower bound; the page is
/// unaffected; below the cap the total is exact.
async fn search_totals_are_capped(backend: Backend) {
    let store = store(backend).await;
    let user = desk_user(&*store, vec![Role::Operator]).await;
    let actor = user.actor();
    let calendar = WorkCalendar::china_default();
    let steps = StepLimits::default();
    let ctx = Context { now: at_local(2026, 11, 24, 9, 0), calendar: &calendar, steps: &steps, merge_target: None, new_category_limit: None };
    for i in 0..5 {
        let report = NewReport {
            category: "SJ-0102".into(),
            description: format!("路口垃圾堆放第{i}处"),
            source: Source::Hotline,
            region_code: "310115137001".into(),
            address: Some("航头路1号".into()),
            location: None,
            placement: None,
            reporter: Reporter::default(),
            photos: vec![],
        };
        let event = case::report(&actor, report, String::new(), TimeLimit::work_hours(4), &ctx).unwrap();
        store.create_case("310115137", event).await.unwrap();
    }
    let terms = chengyun_text::search::query_terms("垃圾").unwrap();
    let query = |cap| CaseQuery { search_terms: terms.clone(), search_total_cap: cap, page: 1, page_size: 2, ..Default::default() };
    let capped = store.list_cases(&query(Some(3))).await.unwrap();
    assert_eq!((capped.total, capped.total_exact), (3, false));
    assert_eq!(capped.items.len(), 2);
    let exact = store.list_cases(&query(Some(5))).await.unwrap();
    assert_eq!((exact.total, exact.total_exact), (5, true));
    assert_eq!(exact.items.iter().map(|c| c.id).collect::<Vec<_>>(), capped.items.iter().map(|c| c.id).collect::<Vec<_>>());
    // Pages past the counted hits are still served, the same as when everything is counted.
    for page in 2..=3 {
        let past = store.list_cases(&CaseQuery { page, ..query(Some(3)) }).await.unwrap();
        let counted = store.list_cases(&CaseQuery { page, ..query(Some(5)) }).await.unwrap();
        assert_eq!(past.items.iter().map(|c| c.id).collect::<Vec<_>>(), counted.items.iter().map(|c| c.id).collect::<Vec<_>>());
        assert_eq!(past.items.len(), if page == 2 { 2 } else { 1 });
    }
    let default_cap = store.list_cases(&query(None)).await.unwrap();
    assert_eq!((default_cap.total, default_cap.total_exact), (5, true));
}

#[tokio::test]
async fn sqlite_search_totals_are_capped() {
    search_totals_are_capped(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_search_totals_are_capped() {
    search_totals_are_capped(Backend::Postgres).await;
}
