//! Accuracy, per-class precision/recall/F1, macro-F1 and the confusion matrix.

use serde::Serialize;

/// Scores of predictions against the truth over `classes` classes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Metrics {
    pub n: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
    pub per_class: Vec<ClassScore>,
    /// `confusion[truth][predicted]`.
    pub confusion: Vec<Vec<usize>>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClassScore {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Texts of this class in the truth.
    pub support: usize,
}

impl Metrics {
    /// Classes absent from both truth and predictions are left out of the macro average.
    pub fn of(truth: &[usize], predicted: &[usize], classes: usize) -> Metrics {
        let mut confusion = vec![vec![0usize; classes]; classes];
        for (&t, &p) in truth.iter().zip(predicted) {
            confusion[t][p] += 1;
        }
        let n = truth.len();
        let correct: usize = (0..classes).map(|k| confusion[k][k]).sum();
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let per_class: Vec<ClassScore> = (0..classes)
            .map(|k| {
                let tp = confusion[k][k];
                let support: usize = confusion[k].iter().sum();
                let predicted_k: usize = (0..classes).map(|t| confusion[t][k]).sum();
                let precision = ratio(tp, predicted_k);
                let recall = ratio(tp, support);
                let f1 = if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
                ClassScore { precision, recall, f1, support }
            })
            .collect();
        let present: Vec<&ClassScore> = (0..classes)
            .filter(|&k| per_class[k].support > 0 || (0..classes).any(|t| confusion[t][k] > 0))
            .map(|k| &per_class[k])
            .collect();
        let macro_f1 = if present.is_empty() { 0.0 } else { present.iter().map(|c| c.f1).sum::<f64>() / present.len() as f64 };
        Metrics { n, accuracy: ratio(correct, n), macro_f1, per_class, confusion }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_match_a_hand_count() {
        // truth:     0 0 0 1 1 2
        // predicted: 0 0 1 1 2 2
        let m = Metrics::of(&[0, 0, 0, 1, 1, 2], &[0, 0, 1, 1, 2, 2], 3);
        assert_eq!(m.confusion, vec![vec![2, 1, 0], vec![0, 1, 1], vec![0, 0, 1]]);
        assert!((m.accuracy - 4.0 / 6.0).abs() < 1e-12);
        let f1 = [2.0 * 1.0 * (2.0 / 3.0) / (1.0 + 2.0 / 3.0), 0.5, 2.0 * 0.5 / 1.5];
        for (k, (class, want)) in m.per_class.iter().zip(f1).enumerate() {
            assert!((class.f1 - want).abs() < 1e-12, "class {k}: {class:?}");
        }
        assert!((m.macro_f1 - f1.iter().sum::<f64>() / 3.0).abs() < 1e-12);
    }
}
