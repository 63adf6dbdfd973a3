//! The report classifier (智能分拨): proposes a category for a report's free text.
//!
//! Texts are cut into jieba words (uni- and bigrams, with the town's own words) and character
//! 1–3-grams, weighted by sublinear TF-IDF and L2-normalised per block; one linear SVM per class
//! (dual coordinate descent) scores them; softmax with a temperature fitted on out-of-fold scores
//! turns scores into probabilities. See docs/classifier.md for the measurements behind each choice.
//!
//! Pure: no I/O besides the model's bytes.

mod calibration;
mod dataset;
mod features;
mod metrics;
mod model;
mod training;

#[cfg(test)]
mod tests;

pub use calibration::{fit_temperature, softmax};
pub use dataset::{read_csv, LabelledTexts};
pub(crate) use features::is_alphanumeric;
pub use features::{normalise, split_title, FeatureConfig};
pub use metrics::{ClassScore, Metrics};
pub use model::{Classifier, Prediction, Stage, Suggestion, TrainOptions};
pub use training::SvmConfig;

/// Why training or loading failed.
#[derive(Debug, thiserror::Error)]
pub enum ClassifyError {
    #[error("{0}")]
    Input(String),
    #[error("模型文件无效：{0}")]
    Format(String),
}
