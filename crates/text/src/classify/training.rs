//! One-vs-rest linear SVM (squared hinge loss) trained by dual coordinate descent
//! (Hsieh et al., ICML 2008): one pass over the texts per epoch, each step closed-form.

use serde::{Deserialize, Serialize};

use super::features::SparseVec;

/// Settings of the linear model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SvmConfig {
    /// Inverse regularisation strength.
    pub c: f32,
    /// Stop when the projected gradient's spread in an epoch falls below this.
    pub tolerance: f32,
    pub max_epochs: u32,
    /// Weight each class's errors by n / (classes × n_class), so small classes count as much.
    pub balanced: bool,
    /// Scale each feature, per class, by its naive-Bayes log-count ratio before the SVM sees it
    /// (NB-SVM, Wang & Manning 2012); the scale is folded into the weights, so prediction is
    /// unchanged in cost.
    #[serde(default)]
    pub nb_scale: bool,
    /// Add this times the complement naive Bayes weights (Rennie et al. 2003, on the same
    /// TF-IDF vectors, weight-normalised) to the SVM's: an ensemble at no cost at prediction.
    #[serde(default)]
    pub cnb_weight: f32,
    /// Weight of the errors on texts with a title line and a body (the shape of the texts to
    /// classify) against titles or bodies alone; 0 counts as 1.
    #[serde(default)]
    pub full_text_weight: f32,
}

impl Default for SvmConfig {
    fn default() -> Self {
        SvmConfig { c: 0.5, tolerance: 0.1, max_epochs: 200, balanced: true, nb_scale: true, cnb_weight: 0.0, full_text_weight: 0.0 }
    }
}

/// Weights laid out feature-major (`weights[f * classes + k]`), so scoring a sparse text reads
/// one contiguous row per feature.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearModel {
    pub classes: usize,
    pub weights: Vec<f32>,
    pub bias: Vec<f32>,
}

impl LinearModel {
    /// Decision value of each class.
    pub fn scores(&self, x: &SparseVec) -> Vec<f32> {
        let mut s = self.bias.clone();
        for &(f, v) in x {
            let row = &self.weights[f as usize * self.classes..(f as usize + 1) * self.classes];
            for (acc, w) in s.iter_mut().zip(row) {
                *acc += v * w;
            }
        }
        s
    }
}

/// Deterministic generator (splitmix64) for the visiting order and fold assignment.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// Trains one binary SVM per class on `xs` (labels `ys` in `0..classes`), over `dims` features.
/// `on_class` is told after each class.
#[allow(clippy::too_many_arguments)]
pub fn train(
    xs: &[SparseVec],
    ys: &[usize],
    sample_weights: &[f32],
    classes: usize,
    dims: usize,
    config: &SvmConfig,
    seed: u64,
    on_class: &mut dyn FnMut(usize),
) -> LinearModel {
    let mut weights = vec![0.0f32; dims * classes];
    let mut bias = vec![0.0f32; classes];
    let mut counts = vec![0usize; classes];
    for &y in ys {
        counts[y] += 1;
    }
    // Per class and feature: Σ x over the class's texts (for the naive-Bayes parts).
    let sums = (config.nb_scale || config.cnb_weight != 0.0).then(|| {
        let mut sums = vec![0.0f64; dims * classes];
        for (x, &y) in xs.iter().zip(ys) {
            for &(f, v) in x {
                sums[f as usize * classes + y] += f64::from(v);
            }
        }
        sums
    });
    for k in 0..classes {
        let scale = match (&sums, config.nb_scale) {
            (Some(sums), true) => Some(log_count_ratio(sums, classes, k)),
            _ => None,
        };
        // ‖x‖² + 1 (the bias is a constant feature of value 1).
        let sq_norms: Vec<f32> = xs
            .iter()
            .map(|x| {
                1.0 + match &scale {
                    Some(r) => x.iter().map(|&(f, v)| (v * r[f as usize]).powi(2)).sum::<f32>(),
                    None => x.iter().map(|&(_, v)| v * v).sum::<f32>(),
                }
            })
            .collect();
        let (w, b) =
            binary(xs, ys, sample_weights, k, &counts, &sq_norms, scale.as_deref(), dims, config, seed.wrapping_add(k as u64));
        for (f, wf) in w.into_iter().enumerate() {
            weights[f * classes + k] = wf * scale.as_ref().map_or(1.0, |r| r[f]);
        }
        bias[k] = b;
        on_class(k);
    }
    if let (Some(sums), true) = (&sums, config.cnb_weight != 0.0) {
        for (w, c) in weights.iter_mut().zip(complement_nb(sums, classes)) {
            *w += config.cnb_weight * c;
        }
    }
    LinearModel { classes, weights, bias }
}

/// Smoothing of the naive-Bayes counts (the vectors are TF-IDF, L2-normalised per block, so a
/// feature's value in one text is well below 1).
const NB_ALPHA: f64 = 0.1;

/// r_f = ln((p_f / ‖p‖₁) / (q_f / ‖q‖₁)), p = α + Σ x of class `k`, q = α + Σ x of the others.
fn log_count_ratio(sums: &[f64], classes: usize, k: usize) -> Vec<f32> {
    let dims = sums.len() / classes;
    let row_sum = |f: usize| sums[f * classes..(f + 1) * classes].iter().sum::<f64>();
    let p: Vec<f64> = (0..dims).map(|f| NB_ALPHA + sums[f * classes + k]).collect();
    let q: Vec<f64> = (0..dims).map(|f| NB_ALPHA + row_sum(f) - sums[f * classes + k]).collect();
    let (p1, q1) = (p.iter().sum::<f64>(), q.iter().sum::<f64>());
    p.iter().zip(&q).map(|(p, q)| ((p / p1) / (q / q1)).ln() as f32).collect()
}

/// Complement naive Bayes weights, feature-major: for class k, −ln θ(¬k, f) with θ from the
/// other classes' sums, each class's weights divided by their L1 norm (Rennie et al.'s weight
/// normalisation), then centred over the classes so only the differences count.
fn complement_nb(sums: &[f64], classes: usize) -> Vec<f32> {
    let dims = sums.len() / classes;
    let mut class_total = vec![0.0f64; classes];
    for (i, s) in sums.iter().enumerate() {
        class_total[i % classes] += s;
    }
    let all: f64 = class_total.iter().sum();
    let mut w = vec![0.0f64; sums.len()];
    let mut norm = vec![0.0f64; classes];
    for f in 0..dims {
        let row = &sums[f * classes..(f + 1) * classes];
        let row_sum: f64 = row.iter().sum();
        for k in 0..classes {
            let theta = (NB_ALPHA + row_sum - row[k]) / (NB_ALPHA * dims as f64 + all - class_total[k]);
            w[f * classes + k] = theta.ln();
            norm[k] += theta.ln().abs();
        }
    }
    let mut out = vec![0.0f32; sums.len()];
    for f in 0..dims {
        let row: Vec<f64> = (0..classes).map(|k| -w[f * classes + k] / norm[k].max(1e-12) * dims as f64).collect();
        let mean = row.iter().sum::<f64>() / classes as f64;
        for k in 0..classes {
            out[f * classes + k] = (row[k] - mean) as f32;
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn binary(
    xs: &[SparseVec],
    ys: &[usize],
    sample_weights: &[f32],
    k: usize,
    counts: &[usize],
    sq_norms: &[f32],
    scale: Option<&[f32]>,
    dims: usize,
    config: &SvmConfig,
    seed: u64,
) -> (Vec<f32>, f32) {
    let n = xs.len();
    let classes = counts.iter().filter(|&&c| c > 0).count().max(1);
    // Per-example C: positives of class k and the rest weighted apart when balanced.
    let c_of = |positive: bool| -> f32 {
        if !config.balanced {
            return config.c;
        }
        let n_pos = counts[k].max(1) as f32;
        let n_neg = (n - counts[k]).max(1) as f32;
        // Balanced weight of the positive class; negatives pool the other classes.
        if positive {
            config.c * n as f32 / (classes as f32 * n_pos)
        } else {
            config.c * n as f32 / (classes as f32 * n_neg) * (classes as f32 - 1.0)
        }
    };
    let c_pos = c_of(true);
    let c_neg = c_of(false);
    let mut w = vec![0.0f32; dims];
    let mut b = 0.0f32;
    let mut alpha = vec![0.0f32; n];
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = Rng::new(seed);
    for _ in 0..config.max_epochs {
        rng.shuffle(&mut order);
        let (mut pg_max, mut pg_min) = (f32::NEG_INFINITY, f32::INFINITY);
        for &i in &order {
            let y = if ys[i] == k { 1.0f32 } else { -1.0 };
            let d = 0.5 / (if y > 0.0 { c_pos } else { c_neg } * sample_weights[i]);
            let x = &xs[i];
            let wx: f32 = match scale {
                Some(r) => x.iter().map(|&(f, v)| w[f as usize] * v * r[f as usize]).sum::<f32>(),
                None => x.iter().map(|&(f, v)| w[f as usize] * v).sum::<f32>(),
            } + b;
            let g = y * wx - 1.0 + d * alpha[i];
            let pg = if alpha[i] == 0.0 { g.min(0.0) } else { g };
            pg_max = pg_max.max(pg);
            pg_min = pg_min.min(pg);
            if pg.abs() > 1e-12 {
                let old = alpha[i];
                alpha[i] = (old - g / (sq_norms[i] + d)).max(0.0);
                let step = (alpha[i] - old) * y;
                match scale {
                    Some(r) => x.iter().for_each(|&(f, v)| w[f as usize] += step * v * r[f as usize]),
                    None => x.iter().for_each(|&(f, v)| w[f as usize] += step * v),
                }
                b += step;
            }
        }
        if pg_max - pg_min < config.tolerance {
            break;
        }
    }
    (w, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn naive_bayes_parts_favour_each_class_own_features() {
        // Two features, two classes: feature 0 is mostly in class 0, feature 1 only in class 1.
        let sums = vec![3.0, 0.5, 0.0, 4.0];
        let r0 = log_count_ratio(&sums, 2, 0);
        let r1 = log_count_ratio(&sums, 2, 1);
        assert!(r0[0] > 0.0 && r0[1] < 0.0, "{r0:?}");
        assert!(r1[0] < 0.0 && r1[1] > 0.0, "{r1:?}");
        let w = complement_nb(&sums, 2);
        // Feature-major: w[f * 2 + k]; centred over the classes.
        assert!(w[0] > w[1] && w[3] > w[2], "{w:?}");
        assert!((w[0] + w[1]).abs() < 1e-5 && (w[2] + w[3]).abs() < 1e-5, "{w:?}");
    }
}
