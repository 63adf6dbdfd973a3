//! `classify`: the report classifier on the shared teddy2020c messages.
//!
//! ```text
//! classify split      --data DIR --folds 5 --out target/classify-cv   # fold files for both peers
//! classify cv         --data DIR --folds 5 [--c 0.5 --char-max 3 …]    # in-process CV, for design
//! classify throughput --model PATH --input CSV --text-columns A,B      # predictions per second
//! ```
//!
//! Folds: the full messages (dev_full.csv, title + body) are shuffled with `--seed` and dealt
//! into `--folds` folds; each fold's training set is the other full messages plus every
//! titles-only and details-only row; it is tested on its held-out full messages.
//! `scripts/eval-classifier.sh` runs `split`, then `chengyun classify train/eval` and the
//! scikit-learn reference on the same files.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use chengyun_text::classify::{read_csv, Classifier, FeatureConfig, Metrics, SvmConfig, TrainOptions};
use clap::{Parser, Subcommand};
use serde_json::json;

#[derive(Parser)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Writes fold{k}/train.csv and fold{k}/test.csv (columns 留言主题, 留言详情, 一级标签).
    Split {
        #[command(flatten)]
        folds: Folds,
        #[arg(long, default_value = "target/classify-cv")]
        out: PathBuf,
    },
    /// Cross-validates the classifier in-process with the given settings.
    Cv {
        #[command(flatten)]
        folds: Folds,
        #[command(flatten)]
        settings: Settings,
    },
    /// Trains on all three files with the given settings and writes the model (for `throughput`).
    Train {
        #[command(flatten)]
        folds: Folds,
        #[command(flatten)]
        settings: Settings,
        #[arg(long)]
        model: PathBuf,
    },
    /// Times `probabilities` over a CSV's texts on one thread.
    Throughput {
        #[arg(long)]
        model: PathBuf,
        #[arg(long)]
        input: PathBuf,
        #[arg(long, value_delimiter = ',', default_value = "留言主题,留言详情")]
        text_columns: Vec<String>,
        /// Timed passes; the median is reported.
        #[arg(long, default_value_t = 5)]
        passes: usize,
    },
}

#[derive(clap::Args)]
struct Folds {
    /// The teddy2020c folder (dev_full.csv, dev_titles.csv, dev_details.csv).
    #[arg(long, env = "CHENGYUN_TEDDY_DATA", default_value = "../shared/data/teddy2020c")]
    data: PathBuf,
    #[arg(long, default_value_t = 5)]
    folds: usize,
    #[arg(long, default_value_t = 2026)]
    seed: u64,
}

#[derive(clap::Args)]
struct Settings {
    #[arg(long)]
    c: Option<f32>,
    #[arg(long)]
    word_ngrams: Option<u8>,
    #[arg(long)]
    char_min: Option<u8>,
    #[arg(long)]
    char_max: Option<u8>,
    #[arg(long)]
    min_df: Option<u32>,
    #[arg(long)]
    max_features: Option<u32>,
    #[arg(long)]
    word_weight: Option<f32>,
    #[arg(long)]
    unbalanced: bool,
    /// Cut with jieba's HMM for unknown words (default: dictionary words only).
    #[arg(long)]
    hmm: bool,
    /// Cut words from at most this many leading characters (0: all).
    #[arg(long)]
    word_chars: Option<u32>,
    /// Weight of the title block (0: none).
    #[arg(long)]
    title_weight: Option<f32>,
    #[arg(long)]
    title_word_ngrams: Option<u8>,
    #[arg(long)]
    title_char_max: Option<u8>,
    #[arg(long)]
    calibration_folds: Option<usize>,
    /// NB-SVM scaling on (true) or off (false).
    #[arg(long)]
    nb_scale: Option<bool>,
    /// Weight of the complement naive Bayes weights added to the SVM's (0: none).
    #[arg(long)]
    cnb_weight: Option<f32>,
    /// Weight of texts with a title line and a body in training (0 or 1: as the others).
    #[arg(long)]
    full_text_weight: Option<f32>,
}

impl Settings {
    fn options(&self) -> TrainOptions {
        let d = TrainOptions::default();
        let f = FeatureConfig {
            word_ngrams: self.word_ngrams.unwrap_or(d.features.word_ngrams),
            char_min: self.char_min.unwrap_or(d.features.char_min),
            char_max: self.char_max.unwrap_or(d.features.char_max),
            min_df: self.min_df.unwrap_or(d.features.min_df),
            max_features: self.max_features.unwrap_or(d.features.max_features),
            word_weight: self.word_weight.unwrap_or(d.features.word_weight),
            hmm: self.hmm || d.features.hmm,
            word_chars: self.word_chars.unwrap_or(d.features.word_chars),
            title_weight: self.title_weight.unwrap_or(d.features.title_weight),
            title_word_ngrams: self.title_word_ngrams.unwrap_or(d.features.title_word_ngrams),
            title_char_max: self.title_char_max.unwrap_or(d.features.title_char_max),
        };
        let svm = SvmConfig {
            c: self.c.unwrap_or(d.svm.c),
            balanced: !self.unbalanced && d.svm.balanced,
            nb_scale: self.nb_scale.unwrap_or(d.svm.nb_scale),
            cnb_weight: self.cnb_weight.unwrap_or(d.svm.cnb_weight),
            full_text_weight: self.full_text_weight.unwrap_or(d.svm.full_text_weight),
            ..d.svm
        };
        TrainOptions { features: f, svm, calibration_folds: self.calibration_folds.unwrap_or(d.calibration_folds), ..d }
    }
}

const TITLE: &str = "留言主题";
const BODY: &str = "留言详情";
const LABEL: &str = "一级标签";

/// Rows as (title, body, label) so the fold files keep the columns apart.
fn rows(path: &Path) -> anyhow::Result<Vec<[String; 3]>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes));
    let headers = reader.headers()?.clone();
    let at = |n: &str| headers.iter().position(|h| h == n);
    let (t, b, l) = (at(TITLE), at(BODY), at(LABEL).context("no 一级标签 column")?);
    let mut out = Vec::new();
    for r in reader.records() {
        let r = r?;
        let get = |i: Option<usize>| i.and_then(|i| r.get(i)).unwrap_or("").trim().to_owned();
        let row = [get(t), get(b), get(Some(l))];
        let labelled = !row[2].is_empty();
        let has_text = !row[0].is_empty() || !row[1].is_empty();
        if labelled && has_text {
            out.push(row);
        }
    }
    Ok(out)
}

/// Titles of fold `k`'s held-out full messages. dev_titles.csv repeats the titles of almost all
/// of dev_full.csv's messages (2,220 of 2,247): a title-only row with a held-out title is left
/// out of that fold's training, or the test would grade memory.
fn held_titles<'a>(full: &'a [[String; 3]], fold: &[usize], k: usize) -> std::collections::HashSet<&'a str> {
    full.iter().enumerate().filter(|&(i, r)| fold[i] == k && !r[0].is_empty()).map(|(_, r)| r[0].as_str()).collect()
}

fn joined(r: &[String; 3]) -> String {
    [r[0].as_str(), r[1].as_str()].iter().filter(|t| !t.is_empty()).copied().collect::<Vec<_>>().join("\n")
}

/// Fold of each full message: a seeded shuffle dealt round-robin.
fn fold_of(n: usize, folds: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut state = seed;
    for i in (1..n).rev() {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        order.swap(i, ((z ^ (z >> 31)) % (i as u64 + 1)) as usize);
    }
    let mut fold = vec![0; n];
    for (pos, &i) in order.iter().enumerate() {
        fold[i] = pos % folds;
    }
    fold
}

fn main() -> anyhow::Result<()> {
    match Args::parse().command {
        Command::Split { folds, out } => split(&folds, &out),
        Command::Cv { folds, settings } => cv(&folds, &settings.options()),
        Command::Train { folds, settings, model } => {
            let mut texts = Vec::new();
            let mut labels = Vec::new();
            for name in ["dev_full.csv", "dev_titles.csv", "dev_details.csv"] {
                for r in rows(&folds.data.join(name))? {
                    texts.push(joined(&r));
                    labels.push(r[2].clone());
                }
            }
            let m = Classifier::train(&texts, &labels, &settings.options(), &mut |_, _, _| {})?;
            std::fs::write(&model, m.to_bytes())?;
            Ok(())
        }
        Command::Throughput { model, input, text_columns, passes } => throughput(&model, &input, &text_columns, passes),
    }
}

fn split(f: &Folds, out: &Path) -> anyhow::Result<()> {
    let full = rows(&f.data.join("dev_full.csv"))?;
    let mut extra = rows(&f.data.join("dev_titles.csv"))?;
    extra.extend(rows(&f.data.join("dev_details.csv"))?);
    let fold = fold_of(full.len(), f.folds, f.seed);
    for k in 0..f.folds {
        let dir = out.join(format!("fold{k}"));
        std::fs::create_dir_all(&dir)?;
        let mut train = csv::Writer::from_path(dir.join("train.csv"))?;
        let mut test = csv::Writer::from_path(dir.join("test.csv"))?;
        for w in [&mut train, &mut test] {
            w.write_record([TITLE, BODY, LABEL])?;
        }
        for (i, r) in full.iter().enumerate() {
            if fold[i] == k { test.write_record(r)? } else { train.write_record(r)? }
        }
        let held = held_titles(&full, &fold, k);
        for r in extra.iter().filter(|r| !held.contains(r[0].as_str())) {
            train.write_record(r)?;
        }
        train.flush()?;
        test.flush()?;
    }
    println!("{}", json!({"folds": f.folds, "full": full.len(), "extra": extra.len(), "out": out}));
    Ok(())
}

fn cv(f: &Folds, options: &TrainOptions) -> anyhow::Result<()> {
    let full = rows(&f.data.join("dev_full.csv"))?;
    let mut extra = rows(&f.data.join("dev_titles.csv"))?;
    extra.extend(rows(&f.data.join("dev_details.csv"))?);
    let full_texts: Vec<String> = full.iter().map(joined).collect();
    let extra_texts: Vec<String> = extra.iter().map(joined).collect();
    let fold = fold_of(full.len(), f.folds, f.seed);
    let (mut f1s, mut accs, mut train_s) = (Vec::new(), Vec::new(), Vec::new());
    let mut truth_all = Vec::new();
    let mut pred_all = Vec::new();
    for k in 0..f.folds {
        let mut texts: Vec<&str> = Vec::new();
        let mut labels: Vec<&str> = Vec::new();
        for i in (0..full.len()).filter(|&i| fold[i] != k) {
            texts.push(&full_texts[i]);
            labels.push(&full[i][2]);
        }
        let held = held_titles(&full, &fold, k);
        for (i, r) in extra.iter().enumerate().filter(|(_, r)| !held.contains(r[0].as_str())) {
            texts.push(&extra_texts[i]);
            labels.push(&r[2]);
        }
        let t = Instant::now();
        let model = Classifier::train(&texts, &labels, options, &mut |_, _, _| {})?;
        train_s.push(t.elapsed().as_secs_f64());
        let (mut truth, mut pred) = (Vec::new(), Vec::new());
        for i in (0..full.len()).filter(|&i| fold[i] == k) {
            let Ok(y) = model.labels().binary_search(&full[i][2]) else { bail!("label unseen in training") };
            truth.push(y);
            pred.push(model.predict_index(&full_texts[i]));
        }
        let m = Metrics::of(&truth, &pred, model.labels().len());
        eprintln!("fold {k}: macro-F1 {:.4} accuracy {:.4} train {:.1} s features {} T {:.3}", m.macro_f1, m.accuracy, train_s[k], model.features(), model.temperature());
        f1s.push(m.macro_f1);
        accs.push(m.accuracy);
        truth_all.extend(truth);
        pred_all.extend(pred);
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let pooled = Metrics::of(&truth_all, &pred_all, 7);
    let out = json!({
        "options": options, "folds": f.folds,
        "macro_f1_mean": mean(&f1s), "accuracy_mean": mean(&accs),
        "macro_f1_pooled": pooled.macro_f1, "train_s_mean": mean(&train_s),
        "macro_f1_by_fold": f1s,
    });
    println!("{out}");
    std::io::stdout().flush()?;
    Ok(())
}

fn throughput(model: &Path, input: &Path, columns: &[String], passes: usize) -> anyhow::Result<()> {
    let t = Instant::now();
    let bytes = std::fs::read(model).with_context(|| format!("reading {}", model.display()))?;
    let classifier = Classifier::from_bytes(&bytes)?;
    let load_s = t.elapsed().as_secs_f64();
    let cols: Vec<&str> = columns.iter().map(String::as_str).collect();
    let data = read_csv(&std::fs::read(input)?, &cols, None)?;
    // Warm-up (the segmenter's dictionary loads once).
    let mut sink = 0usize;
    for text in data.texts.iter().take(100) {
        sink += classifier.predict_index(text);
    }
    let mut times = Vec::new();
    for _ in 0..passes.max(1) {
        let t = Instant::now();
        for text in &data.texts {
            sink += classifier.predict_index(text);
        }
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let chars: usize = data.texts.iter().map(|t| t.chars().count()).sum();
    println!(
        "{}",
        json!({
            "messages": data.texts.len(), "mean_chars": chars as f64 / data.texts.len().max(1) as f64,
            "passes": passes, "median_pass_s": median,
            "messages_per_s": data.texts.len() as f64 / median,
            "us_per_message": median * 1e6 / data.texts.len().max(1) as f64,
            "model_bytes": bytes.len(), "model_load_s": load_s, "checksum": sink,
        })
    );
    Ok(())
}
