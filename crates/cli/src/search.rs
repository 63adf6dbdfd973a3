//! `chengyun reindex`: rebuilds the full-text index of cases (全文检索) from the stored cases
//! and events.

use chengyun_storage::sql::search::REINDEX_NEEDED_KEY;
use chengyun_storage::Store;

pub async fn reindex(url: &str) -> anyhow::Result<()> {
    let store = crate::commands::store(url).await?;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} 重建全文检索索引 [{bar:40}] {pos}/{len} {per_sec} 预计剩余 {eta}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let progress = |done: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(done);
    };
    let n = store.reindex_search(&progress).await?;
    bar.finish();
    store.analyze().await?;
    println!("全文检索索引已重建：{n} 件案件");
    Ok(())
}

/// Tells the operator when cases stored before the index existed still need indexing.
pub async fn advise(store: &dyn Store) -> anyhow::Result<()> {
    if store.get_setting(REINDEX_NEEDED_KEY).await?.is_some() {
        println!("注意：已有案件尚未建立全文检索索引，请运行 chengyun reindex（运行期间服务可照常使用）");
        tracing::warn!("full-text index incomplete: run `chengyun reindex`");
    }
    Ok(())
}
