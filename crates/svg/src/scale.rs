//! Scales: classes of a colour ramp for counts, and round axis ticks.

/// Fill colours of the classes: class 0 (nothing) is neutral, then light to dark red. They
/// read on white and on the dark 大屏; the stylesheet may override them by class `shade-N`.
pub const SHADES: [&str; 6] = ["#dfe6ee", "#fde3c8", "#fbc08f", "#f48b5a", "#dc5338", "#b3261e"];

/// Counts in classes for a choropleth: class 0 holds exactly 0, classes 1..=5 hold ranges up
/// to round thresholds of the largest value.
#[derive(Debug, Clone, PartialEq)]
pub struct Classes {
    /// Upper bounds (inclusive) of classes 1, 2, …; strictly increasing.
    pub bounds: Vec<u64>,
}

impl Classes {
    pub fn for_max(max: u64) -> Classes {
        let n = (SHADES.len() - 1) as u64;
        let mut bounds: Vec<u64> = Vec::new();
        for i in 1..=n {
            let b = (max * i).div_ceil(n);
            if b > 0 && bounds.last() != Some(&b) {
                bounds.push(b);
            }
        }
        Classes { bounds }
    }

    /// The class of a value (0 for 0).
    pub fn class_of(&self, v: u64) -> usize {
        if v == 0 {
            return 0;
        }
        // classes are spread over the ramp so few classes still span light to dark
        let i = self.bounds.iter().position(|&b| v <= b).unwrap_or(self.bounds.len().saturating_sub(1));
        self.shade_index(i)
    }

    fn shade_index(&self, i: usize) -> usize {
        let n = SHADES.len() - 1;
        let k = self.bounds.len().max(1);
        if k >= n { i + 1 } else { ((i + 1) * n).div_ceil(k).min(n) }
    }

    /// Legend rows: (shade index, label) from 0 up.
    pub fn legend(&self) -> Vec<(usize, String)> {
        let mut rows = vec![(0, "0".to_string())];
        let mut low = 1;
        for (i, &b) in self.bounds.iter().enumerate() {
            let label = if low == b { format!("{b}") } else { format!("{low}–{b}") };
            rows.push((self.shade_index(i), label));
            low = b + 1;
        }
        rows
    }
}

/// Round axis ticks from 0 covering `max`: (step, top), with about four steps.
pub fn ticks(max: f64) -> (f64, f64) {
    if !(max.is_finite()) || max <= 0.0 {
        return (1.0, 4.0);
    }
    let rough = max / 4.0;
    let mag = 10f64.powf(rough.log10().floor());
    let norm = rough / mag;
    let step = if norm <= 1.0 { 1.0 } else if norm <= 2.0 { 2.0 } else if norm <= 2.5 { 2.5 } else if norm <= 5.0 { 5.0 } else { 10.0 } * mag;
    // integer data wants integer ticks
    let step = if max >= 4.0 { step.max(1.0).round() } else { step };
    let top = (max / step).ceil() * step;
    (step, top.max(step))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_cover_every_value() {
        let c = Classes::for_max(100);
        assert_eq!(c.bounds, vec![20, 40, 60, 80, 100]);
        assert_eq!(c.class_of(0), 0);
        assert_eq!(c.class_of(1), 1);
        assert_eq!(c.class_of(20), 1);
        assert_eq!(c.class_of(21), 2);
        assert_eq!(c.class_of(100), 5);
        assert_eq!(c.legend()[0], (0, "0".into()));
        assert_eq!(c.legend()[1], (1, "1–20".into()));
        assert_eq!(c.legend().len(), 6);
    }

    #[test]
    fn few_values_still_reach_the_dark_end() {
        let c = Classes::for_max(2);
        assert_eq!(c.bounds, vec![1, 2]);
        assert_eq!(c.class_of(2), 5);
        assert!(c.class_of(1) < c.class_of(2));
        assert_eq!(c.legend(), vec![(0, "0".into()), (3, "1".into()), (5, "2".into())]);
        let zero = Classes::for_max(0);
        assert!(zero.bounds.is_empty());
        assert_eq!(zero.class_of(0), 0);
        assert_eq!(zero.legend().len(), 1);
    }

    #[test]
    fn ticks_are_round_and_cover() {
        assert_eq!(ticks(0.0), (1.0, 4.0));
        assert_eq!(ticks(37.0), (10.0, 40.0));
        assert_eq!(ticks(100.0), (25.0, 100.0));
        assert_eq!(ticks(7.0), (2.0, 8.0));
        let (s, t) = ticks(1234.0);
        assert!(t >= 1234.0 && s >= 100.0);
        let (s, t) = ticks(1.0);
        assert!(t >= 1.0 && s > 0.0);
    }
}
