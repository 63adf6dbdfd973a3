//! The trained classifier: vocabulary, linear model, temperature, labels; training, prediction
//! and a compact binary form.

use serde::{Deserialize, Serialize};

use super::calibration::{fit_temperature, softmax};
use super::features::{prefetch, split_title, sublinear, FeatureConfig, Grams, SparseVec, Vocabulary};
use super::features::{GramTable, MAX_FEATURES};
use super::training::{self, LinearModel, Rng, SvmConfig};
use super::ClassifyError;
use crate::Segmenter;

/// Everything that decides a trained model besides the texts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainOptions {
    pub features: FeatureConfig,
    pub svm: SvmConfig,
    /// Folds whose out-of-fold scores fit the temperature (0 or 1: temperature 1, no fitting).
    pub calibration_folds: usize,
    /// Below this top probability no suggestion is made (callers may override).
    pub threshold: f32,
    pub seed: u64,
    /// Keep weights as 8-bit steps of a per-class scale (a quarter of the size; for models
    /// with hundreds of classes). The trained model holds exactly what the file holds.
    #[serde(default)]
    pub quantise: bool,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            features: FeatureConfig::default(),
            svm: SvmConfig::default(),
            calibration_folds: 3,
            threshold: 0.5,
            seed: 2026,
            quantise: false,
        }
    }
}

/// Where training is, for a progress bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Cutting texts into n-grams: `done` of `total` texts.
    Cutting,
    /// Fitting the temperature: `done` of `total` class models over all folds.
    Calibrating,
    /// The final model: `done` of `total` classes.
    Fitting,
}

/// One proposed label.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Suggestion {
    pub label: String,
    pub probability: f32,
}

/// A suggestion list and whether its first entry clears the threshold.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Prediction {
    /// The best `k` labels, most probable first; empty when not confident.
    pub suggestions: Vec<Suggestion>,
    pub confident: bool,
}

/// A trained report classifier (智能分拨模型).
#[derive(Clone, Debug)]
pub struct Classifier {
    labels: Vec<String>,
    options: TrainOptions,
    vocabulary: Vocabulary,
    scorer: Scorer,
    temperature: f32,
}

impl Classifier {
    /// Trains on `texts` labelled `labels` (same length). Deterministic for the same inputs and seed.
    pub fn train<S: AsRef<str>, L: AsRef<str>>(
        texts: &[S],
        labels: &[L],
        options: &TrainOptions,
        progress: &mut dyn FnMut(Stage, usize, usize),
    ) -> Result<Classifier, ClassifyError> {
        if texts.len() != labels.len() {
            return Err(ClassifyError::Input(format!("文本 {} 条而标签 {} 条，数量不一致", texts.len(), labels.len())));
        }
        let mut names: Vec<String> = labels.iter().map(|l| l.as_ref().to_owned()).collect();
        names.sort();
        names.dedup();
        if names.len() < 2 {
            return Err(ClassifyError::Input(format!("训练至少需要两个类别，实际只有 {} 个", names.len())));
        }
        let ys: Vec<usize> = labels.iter().map(|l| names.binary_search_by(|n| n.as_str().cmp(l.as_ref())).unwrap_or(0)).collect();
        let segmenter = Segmenter::shared();
        let total = texts.len();
        let mut grams = Vec::with_capacity(total);
        for (i, t) in texts.iter().enumerate() {
            grams.push(options.features.grams(segmenter, t.as_ref()));
            if i % 256 == 255 || i + 1 == total {
                progress(Stage::Cutting, i + 1, total);
            }
        }
        let vocabulary = Vocabulary::build(&grams, &options.features);
        if vocabulary.is_empty() {
            return Err(ClassifyError::Input("训练文本中没有可用的词或字".into()));
        }
        let xs: Vec<SparseVec> = grams.iter().map(|g| vocabulary.vector(g)).collect();
        drop(grams);
        let full_weight = if options.svm.full_text_weight > 0.0 { options.svm.full_text_weight } else { 1.0 };
        let weights: Vec<f32> = texts
            .iter()
            .map(|t| match split_title(t.as_ref().trim()) {
                (title, rest) if !title.is_empty() && !rest.trim().is_empty() => full_weight,
                _ => 1.0,
            })
            .collect();
        let classes = names.len();
        let temperature = calibrate(&xs, &ys, &weights, classes, vocabulary.len(), options, progress);
        let mut done = 0;
        let mut model = training::train(&xs, &ys, &weights, classes, vocabulary.len(), &options.svm, options.seed, &mut |_| {
            done += 1;
            progress(Stage::Fitting, done, classes);
        });
        if options.quantise {
            let (q, scales) = quantise(&model);
            model.weights = dequantise(&q, &scales);
        }
        let scorer = Scorer::new(&vocabulary.idf, &model);
        Ok(Classifier { labels: names, options: options.clone(), vocabulary, scorer, temperature })
    }

    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    pub fn options(&self) -> &TrainOptions {
        &self.options
    }

    /// Features kept in the vocabulary.
    pub fn features(&self) -> usize {
        self.vocabulary.len()
    }

    pub fn temperature(&self) -> f32 {
        self.temperature
    }

    /// The default confidence threshold, set at training.
    pub fn threshold(&self) -> f32 {
        self.options.threshold
    }

    /// The probability of each label (in [`Classifier::labels`] order); sums to 1.
    pub fn probabilities(&self, text: &str) -> Vec<f32> {
        softmax(&self.scores(text), self.temperature)
    }

    /// Decision value of each label (in [`Classifier::labels`] order).
    pub fn scores(&self, text: &str) -> Vec<f32> {
        let grams: Grams = self.options.features.grams(Segmenter::shared(), text);
        self.scorer.scores(&self.vocabulary, &grams)
    }

    /// Index of the most probable label.
    pub fn predict_index(&self, text: &str) -> usize {
        argmax(&self.scores(text))
    }

    /// The vocabulary and the linear model (as training has them), for tests.
    #[cfg(test)]
    pub(crate) fn parts(&self) -> (&Vocabulary, LinearModel) {
        (&self.vocabulary, self.scorer.model())
    }

    /// The `k` most probable labels, most probable first.
    pub fn top(&self, text: &str, k: usize) -> Vec<Suggestion> {
        let p = self.probabilities(text);
        let mut order: Vec<usize> = (0..p.len()).collect();
        order.sort_by(|&a, &b| p[b].total_cmp(&p[a]).then(a.cmp(&b)));
        order.into_iter().take(k).map(|i| Suggestion { label: self.labels[i].clone(), probability: p[i] }).collect()
    }

    /// Top `k` when the best label's probability reaches `threshold`; otherwise no suggestion,
    /// and the text goes to a person unprompted.
    pub fn suggest(&self, text: &str, k: usize, threshold: f32) -> Prediction {
        let top = self.top(text, k.max(1));
        let confident = top.first().is_some_and(|s| s.probability >= threshold);
        Prediction { suggestions: if confident { top.into_iter().take(k).collect() } else { Vec::new() }, confident }
    }

    /// The model as bytes: magic, a JSON header, then little-endian arrays.
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = Header {
            labels: self.labels.clone(),
            options: self.options.clone(),
            temperature: self.temperature,
            word_features: self.vocabulary.tables[0].len() as u32,
            char_features: self.vocabulary.tables[1].len() as u32,
            title_features: self.vocabulary.tables[2].len() as u32,
        };
        let json = serde_json::to_vec(&header).expect("header serialises");
        let dims = self.vocabulary.len();
        let mut out = Vec::with_capacity(16 + json.len() + dims * (12 + 4 * self.labels.len()));
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(json.len() as u32).to_le_bytes());
        out.extend_from_slice(&json);
        for table in &self.vocabulary.tables {
            for h in table.hashes() {
                out.extend_from_slice(&h.to_le_bytes());
            }
        }
        for v in &self.vocabulary.idf {
            out.extend_from_slice(&v.to_le_bytes());
        }
        let model = self.scorer.model();
        if self.options.quantise {
            let (q, scales) = quantise(&model);
            out.extend(q.iter().map(|&v| v as u8));
            for v in &scales {
                out.extend_from_slice(&v.to_le_bytes());
            }
        } else {
            for v in &model.weights {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        for v in &model.bias {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Classifier, ClassifyError> {
        let bad = |why: &str| ClassifyError::Format(why.to_owned());
        // v1 (before the title block) reads as a model without one.
        let rest = bytes
            .strip_prefix(MAGIC)
            .or_else(|| bytes.strip_prefix(MAGIC_V1))
            .ok_or_else(|| bad("不是 chengyun 分类模型文件（文件头不符）"))?;
        let mut r = Reader(rest);
        let len = u32::from_le_bytes(r.take(4).ok_or_else(|| bad("文件过短"))?.try_into().expect("4 bytes")) as usize;
        let header: Header = serde_json::from_slice(r.take(len).ok_or_else(|| bad("文件过短"))?)
            .map_err(|e| bad(&format!("模型头无法解析：{e}")))?;
        let counts = [header.word_features, header.char_features, header.title_features].map(|n| n as usize);
        let classes = header.labels.len();
        let dims: usize = counts.iter().sum();
        let weight_bytes = if header.options.quantise { dims * classes + classes * 4 } else { dims * classes * 4 };
        let need = dims * 8 + (dims + classes) * 4 + weight_bytes;
        if r.0.len() != need || classes < 2 || dims > MAX_FEATURES {
            return Err(bad("模型文件长度与模型头不符（文件可能已损坏）"));
        }
        let mut offset = 0;
        let tables = counts.map(|n| {
            let hashes: Vec<u64> = r
                .take(n * 8)
                .expect("length checked")
                .chunks_exact(8)
                .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
                .collect();
            let table = GramTable::new(hashes, offset as u32);
            offset += n;
            table
        });
        let floats = |r: &mut Reader, n: usize| -> Vec<f32> {
            r.take(n * 4).expect("length checked").chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes"))).collect()
        };
        let idf = floats(&mut r, dims);
        let weights = if header.options.quantise {
            let q: Vec<i8> = r.take(dims * classes).expect("length checked").iter().map(|&b| b as i8).collect();
            let scales = floats(&mut r, classes);
            dequantise(&q, &scales)
        } else {
            floats(&mut r, dims * classes)
        };
        let bias = floats(&mut r, classes);
        let vocabulary = Vocabulary { tables, idf, weights: header.options.features.block_weights() };
        let scorer = Scorer::new(&vocabulary.idf, &LinearModel { classes, weights, bias });
        Ok(Classifier { labels: header.labels, options: header.options, vocabulary, scorer, temperature: header.temperature })
    }
}

/// v2: a third block of features (the title), counted by `title_features`.
const MAGIC: &[u8; 8] = b"CYCLSv2\0";
const MAGIC_V1: &[u8; 8] = b"CYCLSv1\0";

#[derive(Serialize, Deserialize)]
struct Header {
    labels: Vec<String>,
    options: TrainOptions,
    temperature: f32,
    word_features: u32,
    char_features: u32,
    #[serde(default)]
    title_features: u32,
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Some(head)
    }
}

/// Prediction's layout of the model: per feature its idf, then its class weights, in one
/// contiguous row (aligned to 32 bytes), so a feature found in a text costs one cache line.
#[derive(Clone, Debug)]
struct Scorer {
    classes: usize,
    stride: usize,
    /// Where row 0 starts in `data` (for the alignment).
    start: usize,
    data: Vec<f32>,
    bias: Vec<f32>,
}

/// How far ahead of its use a table slot or a row is asked for (memory latency over the work
/// per n-gram).
const AHEAD: usize = 12;

impl Scorer {
    fn new(idf: &[f32], model: &LinearModel) -> Scorer {
        let k = model.classes;
        let stride = k + 1;
        let mut data = Vec::with_capacity(idf.len() * stride + 8);
        let start = (8 - (data.as_ptr() as usize / 4) % 8) % 8;
        data.resize(start, 0.0);
        for (f, v) in idf.iter().enumerate() {
            data.push(*v);
            data.extend_from_slice(&model.weights[f * k..(f + 1) * k]);
        }
        Scorer { classes: k, stride, start, data, bias: model.bias.clone() }
    }

    /// The linear model back (for the file).
    fn model(&self) -> LinearModel {
        let weights = self.data[self.start..].chunks_exact(self.stride).flat_map(|row| row[1..].iter().copied()).collect();
        LinearModel { classes: self.classes, weights, bias: self.bias.clone() }
    }

    #[inline]
    fn row(&self, feature: u32) -> &[f32] {
        let at = self.start + feature as usize * self.stride;
        &self.data[at..at + self.stride]
    }

    /// Same as [`LinearModel::scores`] of [`Vocabulary::vector`], without building the vector:
    /// each block's dot products are summed unnormalised and scaled once by its norm.
    fn scores(&self, vocabulary: &Vocabulary, grams: &Grams) -> Vec<f32> {
        let mut s = self.bias.clone();
        let mut acc = vec![0.0f32; self.classes];
        let mut found: Vec<(u32, u32)> = Vec::new();
        for (b, block) in grams.blocks().into_iter().enumerate() {
            let table = &vocabulary.tables[b];
            found.clear();
            for &(h, _) in block.iter().take(AHEAD) {
                table.prefetch(h);
            }
            for (j, &(h, tf)) in block.iter().enumerate() {
                if let Some(&(ahead, _)) = block.get(j + AHEAD) {
                    table.prefetch(ahead);
                }
                if let Some(i) = table.get(h) {
                    found.push((i, tf));
                }
            }
            for &(i, _) in found.iter().take(AHEAD) {
                prefetch(&self.row(i)[0]);
            }
            acc.fill(0.0);
            let mut norm = 0.0f32;
            for (j, &(i, tf)) in found.iter().enumerate() {
                if let Some(&(ahead, _)) = found.get(j + AHEAD) {
                    prefetch(&self.row(ahead)[0]);
                }
                let row = self.row(i);
                let v = sublinear(tf) * row[0];
                norm += v * v;
                for (a, w) in acc.iter_mut().zip(&row[1..]) {
                    *a += v * w;
                }
            }
            if norm > 0.0 {
                let scale = vocabulary.weights[b] / norm.sqrt();
                for (x, a) in s.iter_mut().zip(&acc) {
                    *x += scale * a;
                }
            }
        }
        s
    }
}

/// Per class: scale = max |w| / 127, weights as rounded multiples of it.
fn quantise(model: &LinearModel) -> (Vec<i8>, Vec<f32>) {
    let k = model.classes;
    let mut scales = vec![0.0f32; k];
    for (i, w) in model.weights.iter().enumerate() {
        scales[i % k] = scales[i % k].max(w.abs());
    }
    for s in &mut scales {
        *s = if *s > 0.0 { *s / 127.0 } else { 1.0 };
    }
    let q = model.weights.iter().enumerate().map(|(i, w)| (w / scales[i % k]).round().clamp(-127.0, 127.0) as i8).collect();
    (q, scales)
}

fn dequantise(q: &[i8], scales: &[f32]) -> Vec<f32> {
    let k = scales.len();
    q.iter().enumerate().map(|(i, &v)| f32::from(v) * scales[i % k]).collect()
}

pub(crate) fn argmax(p: &[f32]) -> usize {
    let mut best = 0;
    for (i, v) in p.iter().enumerate() {
        if *v > p[best] {
            best = i;
        }
    }
    best
}

/// Out-of-fold decision values over `folds` folds (the vocabulary is the full one: it only sets
/// which n-grams count and their idf), then the temperature that fits them.
fn calibrate(
    xs: &[SparseVec],
    ys: &[usize],
    weights: &[f32],
    classes: usize,
    dims: usize,
    options: &TrainOptions,
    progress: &mut dyn FnMut(Stage, usize, usize),
) -> f32 {
    let folds = options.calibration_folds;
    if folds < 2 || xs.len() < folds * 2 {
        return 1.0;
    }
    let mut fold_of: Vec<usize> = (0..xs.len()).map(|i| i % folds).collect();
    Rng::new(options.seed ^ 0xCA11).shuffle(&mut fold_of);
    let mut scores = vec![Vec::new(); xs.len()];
    let mut done = 0;
    for fold in 0..folds {
        let (train_x, train_y): (Vec<SparseVec>, Vec<usize>) =
            (0..xs.len()).filter(|&i| fold_of[i] != fold).map(|i| (xs[i].clone(), ys[i])).unzip();
        let train_w: Vec<f32> = (0..xs.len()).filter(|&i| fold_of[i] != fold).map(|i| weights[i]).collect();
        let model = training::train(&train_x, &train_y, &train_w, classes, dims, &options.svm, options.seed, &mut |_| {
            done += 1;
            progress(Stage::Calibrating, done, folds * classes);
        });
        for i in (0..xs.len()).filter(|&i| fold_of[i] == fold) {
            scores[i] = model.scores(&xs[i]);
        }
    }
    fit_temperature(&scores, ys)
}
