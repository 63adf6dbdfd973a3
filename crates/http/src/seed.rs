//! Data a fresh database needs: the bundled category tables, and for demos the three seed towns
//! with their units, one user per role, approximate boundaries, a 责任清单 and the public
//! (Open311) services.

use chengyun_domain::category::{CategoryCatalog, CategoryTable};
use chengyun_domain::demo::DemoTowns;
use chengyun_storage::{AuditActor, NewUser, RegionGeometry, Store, StoreError};

/// Loads the bundled category tables into a database that has none.
pub async fn ensure_categories(store: &dyn Store) -> Result<(), StoreError> {
    if store.list_category_tables().await?.is_empty() {
        for table in CategoryTable::bundled() {
            store.put_category_table(&table, &AuditActor::system()).await?;
        }
        tracing::info!("loaded the bundled category tables");
    }
    Ok(())
}

/// Loads the demo towns, units and users; users that already exist are left alone, so it can
/// run again.
pub async fn load_demo(store: &dyn Store) -> Result<(), StoreError> {
    let demo = DemoTowns::bundled();
    let system = AuditActor::system();
    for region in demo.region_tree().iter() {
        store.upsert_region(region, &system).await?;
    }
    for unit in &demo.units {
        store.upsert_unit(unit, &system).await?;
    }
    for user in &demo.users {
        if store.user_by_username(&user.username).await?.is_some() {
            continue;
        }
        let password_hash = crate::auth::hash_password(demo.demo_password.clone())
            .await
            .map_err(StoreError::Other)?;
        store
            .create_user(
                &NewUser {
                    username: user.username.clone(),
                    display_name: user.display_name.clone(),
                    password_hash,
                    roles: user.roles.clone(),
                    unit: user.unit.clone(),
                    region: user.region.clone(),
                },
                &system,
            )
            .await?;
    }
    // Boundaries and rules only into a database that has none: an admin's own are never replaced.
    if store.geometry_version().await? == 0 {
        let shapes = tokio::task::spawn_blocking(move || chengyun_places::demo_geo::demo_shapes(&DemoTowns::bundled()))
            .await
            .map_err(|e| StoreError::Other(e.to_string()))?;
        let records: Vec<RegionGeometry> = shapes.into_iter().map(crate::places::stored_shape).collect();
        let detail = format!("演示区划边界（示意，非官方边界）：{} 个", records.len());
        store.import_region_geometries(&records, &system, detail).await?;
        tracing::info!(boundaries = records.len(), "loaded approximate demo boundaries and grids");
    }
    // Each demo town offers the common public services, unless its admin has chosen its own.
    for town in demo.region_tree().iter().filter(|r| r.level == chengyun_domain::region::RegionLevel::Town) {
        if store.list_open311_services(&town.code).await?.is_empty() {
            for service in chengyun_domain::open311::default_services() {
                store.put_open311_service(&town.code, &service, &system).await?;
            }
        }
    }
    if store.list_routing_rules().await?.is_empty() {
        let tables = store.list_category_tables().await?;
        let catalog = CategoryCatalog::new(if tables.is_empty() { CategoryTable::bundled() } else { tables })
            .map_err(|e| StoreError::Other(e.to_string()))?;
        let rules = chengyun_demo::demo_rules(&demo, &catalog);
        store.replace_routing_rules(&[], &rules, &system).await?;
        tracing::info!(rules = rules.len(), "loaded the demo 责任清单");
    }
    tracing::info!(
        regions = demo.regions.len(),
        units = demo.units.len(),
        users = demo.users.len(),
        "loaded the demo towns (航头镇, 虹桥镇, 新海镇); demo passwords are for demos only"
    );
    Ok(())
}
