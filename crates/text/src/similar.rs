//! Suspected duplicates (疑似重复案件): how alike two reports' texts are, and how text, distance
//! and age combine into one score the 受理员 sees with its parts.
//!
//! Text similarity is the Jaccard index of the texts' character bigrams. Reports are short and
//! written by different people: "鹤沙路垃圾堆放" and "垃圾堆在鹤沙路上" share most bigrams
//! though jieba may cut them differently, and bigrams need no corpus statistics (TF-IDF would
//! need document frequencies kept in step with every case).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// The bigrams of the letters and digits of `text`, lower-cased; a text of one such character
/// is its own bigram, so it still equals itself.
fn bigrams(text: &str) -> BTreeSet<(char, char)> {
    let chars: Vec<char> = text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect();
    match chars.len() {
        0 => BTreeSet::new(),
        1 => BTreeSet::from([(chars[0], chars[0])]),
        _ => chars.windows(2).map(|w| (w[0], w[1])).collect(),
    }
}

/// Jaccard index of the character bigrams: symmetric, 1 for equal texts, 0 when no bigram is
/// shared (and for texts without letters or digits).
pub fn text_similarity(a: &str, b: &str) -> f64 {
    let (a, b) = (bigrams(a), bigrams(b));
    let union = a.union(&b).count();
    if union == 0 {
        return 0.0;
    }
    a.intersection(&b).count() as f64 / union as f64
}

/// The limits and weights of duplicate suggestions (admin setting `cases.similar`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimilarParams {
    /// Candidates lie within this distance of the case's point, in metres.
    pub radius_m: f64,
    /// … and were reported within this many hours before or after it.
    pub window_hours: f64,
    /// Suggestions score at least this much (0–1).
    pub threshold: f64,
    /// Weights of text, place and time; they need not sum to 1 (the score is normalised).
    pub text_weight: f64,
    pub place_weight: f64,
    pub time_weight: f64,
}

impl Default for SimilarParams {
    fn default() -> Self {
        SimilarParams { radius_m: 300.0, window_hours: 72.0, threshold: 0.5, text_weight: 0.6, place_weight: 0.25, time_weight: 0.15 }
    }
}

impl SimilarParams {
    /// A Chinese message naming the first unusable field.
    pub fn validate(&self) -> Result<(), (&'static str, &'static str)> {
        let fields = [
            ("radius_m", self.radius_m, "radius_m 须为大于 0 且不超过 10000 的米数", 0.0, 10_000.0),
            ("window_hours", self.window_hours, "window_hours 须为大于 0 且不超过 720 的小时数", 0.0, 720.0),
        ];
        for (name, v, msg, lo, hi) in fields {
            if !(v > lo && v <= hi) {
                return Err((name, msg));
            }
        }
        if !(0.0..=1.0).contains(&self.threshold) {
            return Err(("threshold", "threshold 须在 0 至 1 之间"));
        }
        for (name, w) in [("text_weight", self.text_weight), ("place_weight", self.place_weight), ("time_weight", self.time_weight)] {
            if !(0.0..=1.0).contains(&w) {
                return Err((name, "权重须在 0 至 1 之间"));
            }
        }
        if self.text_weight + self.place_weight + self.time_weight <= 0.0 {
            return Err(("text_weight", "三个权重不能全为 0"));
        }
        Ok(())
    }
}

/// A suggestion's score and its parts, each 0–1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SimilarScore {
    pub score: f64,
    pub text: f64,
    /// 1 at the same point, 0 at the radius.
    pub place: f64,
    /// 1 at the same moment, 0 at the edge of the window.
    pub time: f64,
}

/// Combines text similarity, distance (metres) and time apart (hours) into the weighted mean
/// of the three closeness parts. Beyond the radius or window a part is 0.
pub fn similar_score(text: f64, distance_m: f64, hours_apart: f64, p: &SimilarParams) -> SimilarScore {
    let closeness = |x: f64, limit: f64| (1.0 - x.abs() / limit).clamp(0.0, 1.0);
    let text = text.clamp(0.0, 1.0);
    let place = closeness(distance_m, p.radius_m);
    let time = closeness(hours_apart, p.window_hours);
    let weights = p.text_weight + p.place_weight + p.time_weight;
    let score = if weights > 0.0 { (p.text_weight * text + p.place_weight * place + p.time_weight * time) / weights } else { 0.0 };
    SimilarScore { score, text, place, time }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn alike_reports_score_high_and_others_low() {
        let a = "鹤沙路188号附近垃圾堆放，影响市容";
        assert_eq!(text_similarity(a, a), 1.0);
        assert!(text_similarity(a, "鹤沙路188号垃圾堆放三天没人清理") > 0.3);
        assert_eq!(text_similarity(a, "井盖松动"), 0.0);
        assert_eq!(text_similarity("，。", "，。"), 0.0);
        assert_eq!(text_similarity("车", "车"), 1.0);
    }

    #[test]
    fn the_score_is_a_weighted_mean_of_its_parts() {
        let p = SimilarParams::default();
        let s = similar_score(1.0, 0.0, 0.0, &p);
        assert!((s.score - 1.0).abs() < 1e-9);
        let s = similar_score(0.5, 150.0, 36.0, &p);
        assert!((s.place - 0.5).abs() < 1e-9 && (s.time - 0.5).abs() < 1e-9);
        assert!((s.score - 0.5).abs() < 1e-9);
        assert_eq!(similar_score(0.0, 1e6, 1e6, &p).score, 0.0);
    }

    #[test]
    fn unusable_params_name_their_field() {
        let p = SimilarParams { radius_m: 0.0, ..Default::default() };
        assert_eq!(p.validate().unwrap_err().0, "radius_m");
        let p = SimilarParams { threshold: 1.5, ..Default::default() };
        assert_eq!(p.validate().unwrap_err().0, "threshold");
        let p = SimilarParams { text_weight: 0.0, place_weight: 0.0, time_weight: 0.0, ..Default::default() };
        assert_eq!(p.validate().unwrap_err().0, "text_weight");
        assert!(SimilarParams::default().validate().is_ok());
    }

    proptest! {
        #[test]
        fn similarity_is_symmetric_and_bounded(a in "\\PC{0,30}", b in "\\PC{0,30}") {
            let (ab, ba) = (text_similarity(&a, &b), text_similarity(&b, &a));
            prop_assert_eq!(ab, ba);
            prop_assert!((0.0..=1.0).contains(&ab));
        }

        #[test]
        fn identical_texts_score_one(a in "[垃圾堆放道路a-z0-9]{1,30}") {
            prop_assert_eq!(text_similarity(&a, &a), 1.0);
        }

        #[test]
        fn texts_without_shared_characters_score_zero(a in "[垃圾堆放]{1,10}", b in "[井盖松动]{1,10}") {
            prop_assert_eq!(text_similarity(&a, &b), 0.0);
        }

        #[test]
        fn the_score_stays_in_bounds(t in 0.0f64..1.0, d in 0.0f64..1e5, h in 0.0f64..1e4) {
            let s = similar_score(t, d, h, &SimilarParams::default());
            prop_assert!((0.0..=1.0 + 1e-12).contains(&s.score));
        }
    }
}
