//! Weighted choices and the channel mix (来源构成) over the days and hours of a year.

use chengyun_domain::case::Source;
use rand::RngExt;
use rand::rngs::StdRng;

/// A weighted choice, sampled by binary search over cumulative weights.
#[derive(Debug, Clone)]
pub(crate) struct Weighted<T> {
    items: Vec<T>,
    cum: Vec<f64>,
}

impl<T> Weighted<T> {
    /// Drops items of zero (or negative) weight.
    pub fn new(entries: impl IntoIterator<Item = (T, f64)>) -> Self {
        let (mut items, mut cum) = (Vec::new(), Vec::new());
        let mut total = 0.0;
        for (item, w) in entries {
            if w > 0.0 {
                total += w;
                items.push(item);
                cum.push(total);
            }
        }
        Self { items, cum }
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn total(&self) -> f64 {
        self.cum.last().copied().unwrap_or(0.0)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&T, f64)> {
        self.items.iter().zip(self.cum.iter().scan(0.0, |prev, c| {
            let w = c - *prev;
            *prev = *c;
            Some(w)
        }))
    }

    /// # Panics
    /// On an empty choice; callers build only non-empty ones.
    pub fn pick(&self, rng: &mut StdRng) -> &T {
        let x = rng.random::<f64>() * self.total();
        let i = self
            .cum
            .partition_point(|c| *c <= x)
            .min(self.items.len() - 1);
        &self.items[i]
    }
}

/// Channel shares over the year (网格巡查 ≈ 55 %, 12345 ≈ 20 % …).
pub(crate) const SOURCE_TARGET: [(Source, f64); 7] = [
    (Source::Patrol, 0.55),
    (Source::Hotline, 0.20),
    (Source::Public, 0.08),
    (Source::Video, 0.08),
    (Source::Iot, 0.03),
    (Source::Leader, 0.03),
    (Source::Inspection, 0.03),
];

/// On weekends and holidays fewer inspectors patrol while citizens keep calling.
const SOURCE_OFF_DAY: [f64; 7] = [0.40, 0.32, 0.11, 0.11, 0.04, 0.01, 0.01];

/// The working-day and off-day channel mixes that together give [`SOURCE_TARGET`] when a share
/// `off_share` of all cases falls on non-working days.
pub(crate) fn source_mixes(off_share: f64) -> (Weighted<Source>, Weighted<Source>) {
    let s = off_share.clamp(0.0, 0.9);
    let working = SOURCE_TARGET
        .iter()
        .zip(SOURCE_OFF_DAY)
        .map(|(&(src, target), off)| (src, ((target - s * off) / (1.0 - s)).max(0.0)));
    let off = SOURCE_TARGET
        .iter()
        .zip(SOURCE_OFF_DAY)
        .map(|(&(src, _), w)| (src, w));
    (Weighted::new(working), Weighted::new(off))
}

/// Relative report counts per local hour 0–23: inspectors patrol in working hours, 12345
/// rings into the evening, sensors never sleep.
pub(crate) fn hour_profile(source: Source) -> [f64; 24] {
    match source {
        Source::Patrol => [
            0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.5, 8.0, 10.0, 10.0, 7.0, 2.0, 6.0, 9.0, 9.0, 8.0,
            3.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0,
        ],
        Source::Hotline => [
            0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.6, 2.0, 6.0, 9.0, 9.0, 7.0, 5.0, 6.0, 7.0, 7.0, 6.0,
            5.0, 5.0, 4.5, 4.0, 3.0, 1.5, 0.6,
        ],
        Source::Public => [
            0.2, 0.1, 0.0, 0.0, 0.0, 0.2, 0.8, 2.5, 5.0, 7.0, 7.0, 6.0, 5.0, 5.0, 6.0, 6.0, 6.0,
            6.0, 6.0, 5.0, 5.0, 4.0, 2.0, 0.8,
        ],
        Source::Video => [
            0.5, 0.3, 0.2, 0.2, 0.3, 0.8, 2.0, 4.0, 6.0, 6.0, 6.0, 6.0, 5.0, 5.0, 5.0, 5.0, 6.0,
            7.0, 7.0, 6.0, 4.0, 3.0, 1.5, 1.0,
        ],
        Source::Iot => [3.0; 24],
        Source::Leader | Source::Inspection => [
            0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3.0, 8.0, 9.0, 6.0, 1.0, 4.0, 8.0, 8.0, 6.0,
            2.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0,
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn weighted_choice_follows_weights() {
        let w = Weighted::new([("a", 1.0), ("skip", 0.0), ("b", 3.0)]);
        assert_eq!(
            w.iter().map(|(i, w)| (*i, w)).collect::<Vec<_>>(),
            [("a", 1.0), ("b", 3.0)]
        );
        let mut rng = StdRng::seed_from_u64(1);
        let b = (0..10_000).filter(|_| *w.pick(&mut rng) == "b").count();
        assert!((7_200..7_800).contains(&b), "{b}");
    }

    #[test]
    fn day_mixes_recombine_to_the_target() {
        let s = 0.2;
        let (work, off) = source_mixes(s);
        for (src, target) in SOURCE_TARGET {
            let share = |m: &Weighted<Source>| {
                m.iter().find(|(x, _)| **x == src).map_or(0.0, |(_, w)| w) / m.total()
            };
            let got = (1.0 - s) * share(&work) + s * share(&off);
            assert!((got - target).abs() < 1e-9, "{src:?}: {got}");
        }
    }
}
