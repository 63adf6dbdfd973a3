//! Probabilities from decision values: softmax(scores / T), the temperature T fitted to minimise
//! the log loss on out-of-fold scores (scores of texts the model did not see).

/// softmax(scores / temperature); sums to 1.
pub fn softmax(scores: &[f32], temperature: f32) -> Vec<f32> {
    let t = temperature.max(1e-6);
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exps: Vec<f32> = scores.iter().map(|s| ((s - max) / t).exp()).collect();
    let sum: f32 = exps.iter().sum();
    exps.into_iter().map(|e| e / sum).collect()
}

/// Mean negative log-likelihood of the true classes at temperature `t`.
pub fn log_loss(scores: &[Vec<f32>], truth: &[usize], t: f32) -> f64 {
    let total: f64 = scores
        .iter()
        .zip(truth)
        .map(|(s, &y)| -f64::from(softmax(s, t)[y].max(1e-12)).ln())
        .sum();
    total / scores.len().max(1) as f64
}

/// The temperature in [e⁻⁵, e³] with the least log loss (golden-section search over ln T; the
/// loss is unimodal in T for a fixed set of scores).
pub fn fit_temperature(scores: &[Vec<f32>], truth: &[usize]) -> f32 {
    if scores.is_empty() {
        return 1.0;
    }
    let f = |ln_t: f64| log_loss(scores, truth, ln_t.exp() as f32);
    let phi = (5f64.sqrt() - 1.0) / 2.0;
    let (mut a, mut b) = (-5.0f64, 3.0f64);
    let mut c = b - phi * (b - a);
    let mut d = a + phi * (b - a);
    let (mut fc, mut fd) = (f(c), f(d));
    for _ in 0..60 {
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - phi * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + phi * (b - a);
            fd = f(d);
        }
    }
    ((a + b) / 2.0).exp() as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_sums_to_one_and_keeps_order() {
        for t in [0.05, 0.3, 1.0, 4.0] {
            let p = softmax(&[1.0, -0.5, 0.2, -3.0], t);
            assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5, "{p:?}");
            assert!(p[0] > p[2] && p[2] > p[1] && p[1] > p[3], "{p:?}");
        }
    }

    #[test]
    fn temperature_sharpens_reliable_scores_and_softens_unreliable_ones() {
        // Always right by a margin of 1: a sharp (small) temperature fits best.
        let right: Vec<Vec<f32>> = (0..50).map(|i| if i % 2 == 0 { vec![1.0, 0.0] } else { vec![0.0, 1.0] }).collect();
        let truth: Vec<usize> = (0..50).map(|i| i % 2).collect();
        let sharp = fit_temperature(&right, &truth);
        // Right only 60 % of the time by the same margin: a soft (large) temperature fits best.
        let noisy: Vec<usize> = (0..50).map(|i| if i % 5 < 3 { i % 2 } else { 1 - i % 2 }).collect();
        let soft = fit_temperature(&right, &noisy);
        assert!(sharp < 0.2 && soft > 1.5, "sharp {sharp}, soft {soft}");
        // The fitted 60 % case is calibrated: the top probability is about 0.6.
        let p = softmax(&right[0], soft)[0];
        assert!((p - 0.6).abs() < 0.02, "{p}");
    }
}
