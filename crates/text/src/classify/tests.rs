use super::features::Vocabulary;
use super::*;
use crate::Segmenter;

/// Toy reports of three lines of work, varied enough that a model must generalise.
fn toy() -> (Vec<String>, Vec<String>) {
    let places = ["幸福小区", "东门路口", "菜场北侧", "学校门口", "河滨公园", "三号楼下"];
    let mut texts = Vec::new();
    let mut labels = Vec::new();
    for (i, p) in places.iter().enumerate() {
        for (t, l) in [
            (format!("{p}垃圾堆了{}天没人清理，臭得不行", i + 2), "环卫"),
            (format!("{p}生活垃圾满溢，垃圾桶没人清运"), "环卫"),
            (format!("{p}有流动摊贩占道经营，影响通行"), "市容"),
            (format!("{p}店铺跨门经营，摊位占道"), "市容"),
            (format!("{p}路灯不亮，晚上一片漆黑"), "设施"),
            (format!("{p}井盖破损缺失，路灯杆倾斜"), "设施"),
        ] {
            texts.push(t);
            labels.push(l.to_owned());
        }
    }
    (texts, labels)
}

fn quick() -> TrainOptions {
    TrainOptions { calibration_folds: 3, ..TrainOptions::default() }
}

#[test]
fn features_hold_words_and_character_grams() {
    let config = FeatureConfig { min_df: 1, ..FeatureConfig::default() };
    let seg = Segmenter::shared();
    let a = config.grams(seg, "渣土车抛洒");
    // 渣土车 + 抛洒 → 2 words + 1 bigram; 5 chars → 5 + 4 + 3 character grams.
    assert_eq!(a.words.iter().map(|&(_, n)| n).sum::<u32>(), 3, "{:?}", seg.words("渣土车抛洒"));
    assert_eq!(a.chars.iter().map(|&(_, n)| n).sum::<u32>(), 12);
    // Punctuation splits character runs; full-width letters count as half-width ones.
    let b = config.grams(seg, "ＡＢ，ab");
    let c = config.grams(seg, "ab ab");
    assert_eq!(b.chars, c.chars);
    assert_eq!(normalise("ＡＢｃ　１"), "abc 1");
}

#[test]
fn tf_idf_vectors_are_unit_length_per_block() {
    let seg = Segmenter::shared();
    let config = FeatureConfig { min_df: 1, word_weight: 1.0, ..FeatureConfig::default() };
    let docs: Vec<_> = ["垃圾堆放没人清理", "路灯不亮", "垃圾满溢"].iter().map(|t| config.grams(seg, t)).collect();
    let vocab = Vocabulary::build(&docs, &config);
    let v = vocab.vector(&docs[0]);
    let norm2: f32 = v.iter().map(|&(_, x)| x * x).sum();
    // Two blocks of length 1 each.
    assert!((norm2 - 2.0).abs() < 1e-4, "{norm2}");
    assert!(v.windows(2).all(|w| w[0].0 < w[1].0), "indices ascend");
}

#[test]
fn training_separates_toy_classes_and_generalises() {
    let (texts, labels) = toy();
    let model = Classifier::train(&texts, &labels, &quick(), &mut |_, _, _| {}).unwrap();
    assert_eq!(model.labels(), ["市容", "环卫", "设施"]);
    for (t, l) in texts.iter().zip(&labels) {
        assert_eq!(&model.top(t, 1)[0].label, l, "{t}");
    }
    // Unseen wording and place.
    assert_eq!(model.top("菜市场旁边垃圾成堆，没人清运", 1)[0].label, "环卫");
    assert_eq!(model.top("人行道上摊贩占道经营", 1)[0].label, "市容");
    assert_eq!(model.top("小区路灯坏了不亮", 1)[0].label, "设施");
}

#[test]
fn probabilities_sum_to_one_and_top_k_is_ordered() {
    let (texts, labels) = toy();
    let model = Classifier::train(&texts, &labels, &quick(), &mut |_, _, _| {}).unwrap();
    assert!(model.temperature() > 0.0);
    for t in ["垃圾没人清理", "今天天气不错", ""] {
        let p = model.probabilities(t);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-4, "{t}: {p:?}");
        let top = model.top(t, 3);
        assert_eq!(top.len(), 3);
        assert!(top.windows(2).all(|w| w[0].probability >= w[1].probability), "{top:?}");
    }
}

#[test]
fn threshold_withholds_unsure_suggestions() {
    let (texts, labels) = toy();
    let model = Classifier::train(&texts, &labels, &quick(), &mut |_, _, _| {}).unwrap();
    let text = "幸福小区垃圾堆了很多天没人清理";
    let p = model.top(text, 1)[0].probability;
    let sure = model.suggest(text, 3, p - 0.01);
    assert!(sure.confident);
    assert_eq!(sure.suggestions.len(), 3);
    assert_eq!(sure.suggestions[0].label, "环卫");
    let unsure = model.suggest(text, 3, p + 0.01);
    assert!(!unsure.confident);
    assert!(unsure.suggestions.is_empty());
    // Text with nothing the model knows is less sure than a clear report.
    assert!(model.top("今天天气不错", 1)[0].probability < p);
}

#[test]
fn bytes_round_trip_gives_the_same_predictions() {
    let (texts, labels) = toy();
    let model = Classifier::train(&texts, &labels, &quick(), &mut |_, _, _| {}).unwrap();
    let bytes = model.to_bytes();
    let back = Classifier::from_bytes(&bytes).unwrap();
    assert_eq!(back.labels(), model.labels());
    assert_eq!(back.features(), model.features());
    assert_eq!(back.options(), model.options());
    for t in texts.iter().map(String::as_str).chain(["路灯不亮", "完全无关的话"]) {
        assert_eq!(back.probabilities(t), model.probabilities(t), "{t}");
    }
    assert_eq!(back.to_bytes(), bytes);
    // Damaged files are refused, never half-read.
    assert!(matches!(Classifier::from_bytes(&bytes[..bytes.len() - 1]), Err(ClassifyError::Format(_))));
    assert!(matches!(Classifier::from_bytes(b"not a model"), Err(ClassifyError::Format(_))));
}

#[test]
fn quantised_models_round_trip_smaller_and_agree() {
    let (texts, labels) = toy();
    let full = Classifier::train(&texts, &labels, &quick(), &mut |_, _, _| {}).unwrap();
    let small = Classifier::train(&texts, &labels, &TrainOptions { quantise: true, ..quick() }, &mut |_, _, _| {}).unwrap();
    let bytes = small.to_bytes();
    assert!(bytes.len() < full.to_bytes().len());
    let back = Classifier::from_bytes(&bytes).unwrap();
    for t in &texts {
        assert_eq!(back.probabilities(t), small.probabilities(t), "{t}");
        assert_eq!(small.predict_index(t), full.predict_index(t), "{t}");
    }
}

#[test]
fn training_is_deterministic() {
    let (texts, labels) = toy();
    let a = Classifier::train(&texts, &labels, &quick(), &mut |_, _, _| {}).unwrap();
    let b = Classifier::train(&texts, &labels, &quick(), &mut |_, _, _| {}).unwrap();
    assert_eq!(a.to_bytes(), b.to_bytes());
}

#[test]
fn bad_training_input_is_refused() {
    let one = Classifier::train(&["垃圾", "垃圾桶"], &["环卫", "环卫"], &quick(), &mut |_, _, _| {});
    assert!(matches!(one, Err(ClassifyError::Input(_))));
    let uneven = Classifier::train(&["垃圾"], &["环卫", "市容"], &quick(), &mut |_, _, _| {});
    assert!(matches!(uneven, Err(ClassifyError::Input(_))));
}

#[test]
fn progress_reaches_every_stage_end() {
    let (texts, labels) = toy();
    let mut seen = Vec::new();
    Classifier::train(&texts, &labels, &quick(), &mut |stage, done, total| {
        if done == total {
            seen.push(stage);
        }
    })
    .unwrap();
    for stage in [Stage::Cutting, Stage::Calibrating, Stage::Fitting] {
        assert!(seen.contains(&stage), "{stage:?} in {seen:?}");
    }
}
