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
}

impl Default for SvmConfig {
    fn default() -> Self {
        SvmConfig { c: 2.0, tolerance: 0.1, max_epochs: 200, balanced: true }
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
pub fn train(
    xs: &[SparseVec],
    ys: &[usize],
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
    // ‖x‖² + 1 (the bias is a constant feature of value 1).
    let sq_norms: Vec<f32> = xs.iter().map(|x| x.iter().map(|&(_, v)| v * v).sum::<f32>() + 1.0).collect();
    for k in 0..classes {
        let (w, b) = binary(xs, ys, k, &counts, &sq_norms, dims, config, seed.wrapping_add(k as u64));
        for (f, wf) in w.into_iter().enumerate() {
            weights[f * classes + k] = wf;
        }
        bias[k] = b;
        on_class(k);
    }
    LinearModel { classes, weights, bias }
}

#[allow(clippy::too_many_arguments)]
fn binary(
    xs: &[SparseVec],
    ys: &[usize],
    k: usize,
    counts: &[usize],
    sq_norms: &[f32],
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
            let d = 0.5 / if y > 0.0 { c_pos } else { c_neg };
            let x = &xs[i];
            let wx: f32 = x.iter().map(|&(f, v)| w[f as usize] * v).sum::<f32>() + b;
            let g = y * wx - 1.0 + d * alpha[i];
            let pg = if alpha[i] == 0.0 { g.min(0.0) } else { g };
            pg_max = pg_max.max(pg);
            pg_min = pg_min.min(pg);
            if pg.abs() > 1e-12 {
                let old = alpha[i];
                alpha[i] = (old - g / (sq_norms[i] + d)).max(0.0);
                let step = (alpha[i] - old) * y;
                for &(f, v) in x {
                    w[f as usize] += step * v;
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
