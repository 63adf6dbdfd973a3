//! Data a fresh database needs: the bundled category tables, and for demos the three seed towns
//! with their units and one user per role.



use chengyun_domain::category::CategoryTable;
use chengyun_domain::demo::DemoTowns;
use chengyun_storage::{AuditActor, NewUser, Store, StoreError};

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
    tracing::info!(
        regions = demo.regions.len(),
        units = demo.units.len(),
        users = demo.users.len(),
        "loaded the demo towns (航头镇, 虹桥镇, 新海镇); demo passwords are for demos only"
    );
    Ok(())
}
