//! Labelled report texts for training the classifier a fresh town starts with (智能分拨).

use chengyun_domain::case::Source;
use chengyun_domain::category::CategoryCatalog;
use chengyun_domain::demo::DemoTowns;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::places::{spot, Places};
use crate::pools::Pools;
use crate::texts::description;

const SOURCES: [Source; 7] =
    [Source::Patrol, Source::Hotline, Source::Public, Source::Video, Source::Iot, Source::Leader, Source::Inspection];

/// `per_category` descriptions of every active category, written as the channels write them,
/// each with its category code. The same seed gives the same texts.
pub fn labelled_reports(towns: &DemoTowns, catalog: &CategoryCatalog, per_category: usize, seed: u64) -> Vec<(String, String)> {
    let pools = Pools::new(catalog, 8 * 3_600_000);
    let places = Places::new(towns);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(pools.cats.len() * per_category);
    for cat in &pools.cats {
        for _ in 0..per_category {
            let source = SOURCES[rng.random_range(0..SOURCES.len())];
            let (town, village) = places.pick(&mut rng);
            let at = spot(&mut rng, town, village, cat, source);
            out.push((description(&mut rng, cat, &at, source), cat.code.clone()));
        }
    }
    out
}
