//! `chengyun classify train|eval|predict`: the report classifier (智能分拨) on CSV files and
//! model files, without a database.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context as _};
use clap::{Args, Subcommand};

use chengyun_text::classify::{read_csv, Classifier, LabelledTexts, Metrics, Stage, TrainOptions};

#[derive(Subcommand)]
pub enum ClassifyCommand {
    /// Trains a model on labelled CSV files and writes it to --model.
    Train(TrainArgs),
    /// Scores a model on a labelled CSV: per-class figures, confusion matrix, and as the last
    /// line a JSON object {"n","accuracy","macro_f1","ms_per_message"}.
    Eval(EvalArgs),
    /// Proposes labels for TEXT, or for each line of standard input.
    Predict(PredictArgs),
}

#[derive(Args)]
pub struct Columns {
    /// Text columns, joined by a line break; a column missing from a file counts as empty.
    #[arg(long, value_delimiter = ',', required = true)]
    text_columns: Vec<String>,
    #[arg(long)]
    label_column: String,
}

#[derive(Args)]
pub struct TrainArgs {
    /// Labelled CSV (UTF-8); repeat for several files.
    #[arg(long, required = true)]
    input: Vec<PathBuf>,
    #[command(flatten)]
    columns: Columns,
    #[arg(long)]
    model: PathBuf,
    /// Below this probability the platform makes no suggestion.
    #[arg(long, default_value_t = TrainOptions::default().threshold)]
    threshold: f32,
    #[arg(long, default_value_t = TrainOptions::default().seed)]
    seed: u64,
}

#[derive(Args)]
pub struct EvalArgs {
    #[arg(long)]
    model: PathBuf,
    #[arg(long)]
    input: PathBuf,
    #[command(flatten)]
    columns: Columns,
}

#[derive(Args)]
pub struct PredictArgs {
    #[arg(long)]
    model: PathBuf,
    /// The message; without it, one message per line of standard input.
    text: Option<String>,
    /// Suggestions shown per message.
    #[arg(long, default_value_t = 3)]
    top: usize,
}

pub fn run(command: ClassifyCommand) -> anyhow::Result<()> {
    match command {
        ClassifyCommand::Train(args) => train(args),
        ClassifyCommand::Eval(args) => eval(args),
        ClassifyCommand::Predict(args) => predict(args),
    }
}

fn read(path: &Path, columns: &Columns) -> anyhow::Result<LabelledTexts> {
    let bytes = std::fs::read(path).with_context(|| format!("无法读取文件 {}", path.display()))?;
    let cols: Vec<&str> = columns.text_columns.iter().map(String::as_str).collect();
    read_csv(&bytes, &cols, Some(&columns.label_column)).with_context(|| format!("文件 {}", path.display()))
}

fn load_model(path: &Path) -> anyhow::Result<Classifier> {
    let bytes = std::fs::read(path).with_context(|| format!("无法读取模型文件 {}", path.display()))?;
    Classifier::from_bytes(&bytes).with_context(|| format!("模型文件 {}", path.display()))
}

fn train(args: TrainArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut texts = Vec::new();
    let mut labels = Vec::new();
    for path in &args.input {
        let data = read(path, &args.columns)?;
        let missing = if data.missing_columns.is_empty() {
            String::new()
        } else {
            format!("，缺少列 {}（按空处理）", data.missing_columns.join("、"))
        };
        println!(
            "{}：{} 行，采用 {} 行，跳过无标签 {} 行、无文本 {} 行{missing}",
            path.display(),
            data.rows,
            data.texts.len(),
            data.skipped_no_label,
            data.skipped_no_text
        );
        texts.extend(data.texts);
        labels.extend(data.labels);
    }
    if texts.is_empty() {
        bail!("输入文件中没有可用于训练的行（需有标签和文本）");
    }
    let options = TrainOptions { threshold: args.threshold, seed: args.seed, ..TrainOptions::default() };
    let bar = indicatif::ProgressBar::new(texts.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} [{bar:40}] {pos}/{len} {elapsed}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let model = Classifier::train(&texts, &labels, &options, &mut |stage, done, total| {
        let msg = match stage {
            Stage::Cutting => "分词",
            Stage::Calibrating => "交叉校准",
            Stage::Fitting => "训练",
        };
        bar.set_message(msg);
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })?;
    bar.finish_and_clear();
    let bytes = model.to_bytes();
    std::fs::write(&args.model, &bytes).with_context(|| format!("无法写入模型文件 {}", args.model.display()))?;
    println!(
        "训练完成：{} 条文本，{} 个类别（{}），{} 个特征，温度 {:.3}，用时 {:.1} 秒，模型 {} 字节（{:.1} MB）写入 {}",
        texts.len(),
        model.labels().len(),
        model.labels().join("、"),
        model.features(),
        model.temperature(),
        started.elapsed().as_secs_f64(),
        bytes.len(),
        bytes.len() as f64 / 1e6,
        args.model.display()
    );
    Ok(())
}

fn eval(args: EvalArgs) -> anyhow::Result<()> {
    let model = load_model(&args.model)?;
    let data = read(&args.input, &args.columns)?;
    if data.texts.is_empty() {
        bail!("文件 {} 中没有可评估的行（需有标签和文本）", args.input.display());
    }
    let labels = model.labels();
    // Labels the model never saw are scored as extra classes it always misses.
    let mut names: Vec<String> = labels.to_vec();
    let mut truth = Vec::with_capacity(data.texts.len());
    for l in &data.labels {
        let i = match names.iter().position(|n| n == l) {
            Some(i) => i,
            None => {
                names.push(l.clone());
                names.len() - 1
            }
        };
        truth.push(i);
    }
    let started = Instant::now();
    let predicted: Vec<usize> = data.texts.iter().map(|t| model.predict_index(t)).collect();
    let ms = started.elapsed().as_secs_f64() * 1000.0 / data.texts.len() as f64;
    let m = Metrics::of(&truth, &predicted, names.len());
    let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(4).max(4);
    let pad = |s: &str| format!("{s}{}", "　".repeat(width.saturating_sub(s.chars().count())));
    println!("{}  精确率  召回率  F1      样本数", pad("类别"));
    for (name, c) in names.iter().zip(&m.per_class) {
        println!("{}  {:.4}  {:.4}  {:.4}  {}", pad(name), c.precision, c.recall, c.f1, c.support);
    }
    println!("\n混淆矩阵（行：真实类别，列：预测类别，顺序同上）");
    for (name, row) in names.iter().zip(&m.confusion) {
        let cells: Vec<String> = row.iter().map(|n| format!("{n:>5}")).collect();
        println!("{} {}", pad(name), cells.join(""));
    }
    println!("\n准确率 {:.4}，宏平均 F1 {:.4}，每条 {:.3} 毫秒", m.accuracy, m.macro_f1, ms);
    println!("{}", serde_json::json!({"n": m.n, "accuracy": m.accuracy, "macro_f1": m.macro_f1, "ms_per_message": ms}));
    Ok(())
}

fn predict(args: PredictArgs) -> anyhow::Result<()> {
    let model = load_model(&args.model)?;
    let threshold = model.threshold();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let one = |text: &str, out: &mut dyn Write| -> anyhow::Result<()> {
        let top = model.top(text, args.top.max(1));
        let best = &top[0];
        let note = if best.probability >= threshold { "" } else { "（低于置信阈值，不作建议）" };
        let rest: Vec<String> = top.iter().map(|s| format!("{} {:.3}", s.label, s.probability)).collect();
        writeln!(out, "{}\t{:.3}{note}\t{}", best.label, best.probability, rest.join("；"))?;
        Ok(())
    };
    match &args.text {
        Some(text) => one(text, &mut out)?,
        None => {
            for line in std::io::stdin().lock().lines() {
                let line = line.context("无法读取标准输入（须为 UTF-8）")?;
                if !line.trim().is_empty() {
                    one(line.trim(), &mut out)?;
                }
            }
        }
    }
    Ok(())
}
