use super::features::{GramTable, Grams, Vocabulary};
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
    let config = FeatureConfig { min_df: 1, word_ngrams: 2, ..FeatureConfig::default() };
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
    assert_eq!(normalise("Ä渣土车ＸÉ"), "ä渣土车xé");
}

#[test]
fn the_title_is_a_short_first_line_or_a_short_text() {
    assert_eq!(split_title("垃圾没人清理\n小区门口垃圾堆了三天"), ("垃圾没人清理", "小区门口垃圾堆了三天"));
    assert_eq!(split_title("垃圾没人清理"), ("垃圾没人清理", ""));
    let long = "垃圾".repeat(40);
    assert_eq!(split_title(&long), ("", long.as_str()));
    let long_first = format!("{long}\n第二行");
    assert_eq!(split_title(&long_first), ("", long_first.as_str()));
}

#[test]
fn the_title_block_holds_the_title_alone() {
    let config = FeatureConfig { min_df: 1, title_word_ngrams: 2, title_char_max: 3, ..FeatureConfig::default() };
    let seg = Segmenter::shared();
    let both = config.grams(seg, "渣土车抛洒\n路灯不亮");
    let title = config.grams(seg, "渣土车抛洒");
    // The title block of title + body is the title's own: words 渣土车, 抛洒 and their bigram,
    // characters 5 + 4 + 3.
    let sorted = |g: &[(u64, u32)]| {
        let mut g = g.to_vec();
        g.sort_unstable();
        g
    };
    assert_eq!(sorted(&both.title), sorted(&title.title));
    assert_eq!(title.title.iter().map(|&(_, n)| n).sum::<u32>(), 3 + 12);
    // A long text has no title; without title weight there is no title block.
    assert!(config.grams(seg, &"路灯不亮".repeat(20)).title.is_empty());
    let off = FeatureConfig { title_weight: 0.0, ..config.clone() };
    assert!(off.grams(seg, "渣土车抛洒").title.is_empty());
    // Title words alone: the body is not cut, its characters still count.
    let title_words_only = FeatureConfig { word_ngrams: 0, ..config };
    let g = title_words_only.grams(seg, "渣土车抛洒\n路灯不亮");
    assert!(g.words.is_empty());
    assert_eq!(sorted(&g.title), sorted(&title.title));
    assert_eq!(g.chars.iter().map(|&(_, n)| n).sum::<u32>(), 12 + 4 + 3 + 2);
}

#[test]
fn gram_tables_find_what_they_hold_and_nothing_else() {
    let mut state = 7u64;
    let mut next = || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z ^ (z >> 27)
    };
    let held: Vec<u64> = (0..5000).map(|_| next()).collect();
    let table = GramTable::new(held.clone(), 100);
    assert_eq!(table.len(), 5000);
    assert_eq!(table.hashes(), held.as_slice());
    for (i, &h) in held.iter().enumerate() {
        table.prefetch(h);
        assert_eq!(table.get(h), Some(100 + i as u32));
    }
    let absent = (0..20_000).map(|_| next()).filter(|h| table.get(*h).is_some()).count();
    assert_eq!(absent, 0);
    assert_eq!(GramTable::new(Vec::new(), 0).get(42), None);
}

#[test]
fn counts_of_repeated_grams_do_not_depend_on_their_order() {
    let config = FeatureConfig { min_df: 1, ..FeatureConfig::default() };
    let seg = Segmenter::shared();
    let g = config.grams(seg, "垃圾垃圾垃圾");
    // 垃 and 圾 three times each, 垃圾 three times, 圾垃 twice, 垃圾垃 and 圾垃圾 twice each.
    let mut counts: Vec<u32> = g.chars.iter().map(|&(_, n)| n).collect();
    counts.sort_unstable();
    assert_eq!(counts, [2, 2, 2, 3, 3, 3]);
    assert_eq!(config.grams(seg, "垃圾垃圾垃圾").chars, g.chars);
}

#[test]
fn tf_idf_vectors_are_unit_length_per_block() {
    let seg = Segmenter::shared();
    let config = FeatureConfig { min_df: 1, word_ngrams: 2, word_weight: 1.0, ..FeatureConfig::default() };
    let docs: Vec<_> = ["垃圾堆放没人清理", "路灯不亮", "垃圾满溢"].iter().map(|t| config.grams(seg, t)).collect();
    let vocab = Vocabulary::build(&docs, &config);
    let v = vocab.vector(&docs[0]);
    let norm2: f32 = v.iter().map(|&(_, x)| x * x).sum();
    // Three blocks of length 1 each: words, characters and the title (the whole short text).
    assert!((norm2 - 3.0).abs() < 1e-4, "{norm2}");
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
fn fast_scores_equal_the_training_vectors_scores() {
    let (texts, labels) = toy();
    let model = Classifier::train(&texts, &labels, &quick(), &mut |_, _, _| {}).unwrap();
    let bytes = model.to_bytes();
    let back = Classifier::from_bytes(&bytes).unwrap();
    let (vocabulary, linear) = back.parts();
    for t in texts.iter().map(String::as_str).chain(["幸福小区垃圾\n路灯不亮，垃圾没人清理", "无关"]) {
        let grams: Grams = model.options().features.grams(Segmenter::shared(), t);
        let slow = linear.scores(&vocabulary.vector(&grams));
        let fast = model.scores(t);
        for (a, b) in slow.iter().zip(&fast) {
            assert!((a - b).abs() < 1e-5, "{t}: {slow:?} vs {fast:?}");
        }
    }
}

#[test]
fn version_1_files_still_read() {
    // A v1 file: magic CYCLSv1, a header without the title block's fields, two blocks.
    let (texts, labels) = toy();
    let options = TrainOptions {
        features: FeatureConfig {
            word_ngrams: 2,
            title_weight: 0.0,
            title_word_ngrams: 0,
            title_char_max: 0,
            ..FeatureConfig::default()
        },
        ..quick()
    };
    let model = Classifier::train(&texts, &labels, &options, &mut |_, _, _| {}).unwrap();
    let bytes = model.to_bytes();
    assert_eq!(&bytes[..8], b"CYCLSv2\0");
    let len = u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
    let mut header: serde_json::Value = serde_json::from_slice(&bytes[12..12 + len]).unwrap();
    assert_eq!(header["title_features"], 0);
    header.as_object_mut().unwrap().remove("title_features");
    let features = header["options"]["features"].as_object_mut().unwrap();
    for key in ["title_weight", "title_word_ngrams", "title_char_max"] {
        features.remove(key).unwrap();
    }
    let json = serde_json::to_vec(&header).unwrap();
    let mut v1 = b"CYCLSv1\0".to_vec();
    v1.extend_from_slice(&(json.len() as u32).to_le_bytes());
    v1.extend_from_slice(&json);
    v1.extend_from_slice(&bytes[12 + len..]);
    let back = Classifier::from_bytes(&v1).unwrap();
    assert_eq!(back.options(), model.options());
    for t in &texts {
        assert_eq!(back.probabilities(t), model.probabilities(t), "{t}");
    }
    // Another magic is refused.
    v1[6] = b'9';
    assert!(matches!(Classifier::from_bytes(&v1), Err(ClassifyError::Format(_))));
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

#[test]
fn svm_variants_change_the_model_and_still_generalise() {
    let (mut texts, mut labels) = toy();
    // Some texts with a title line, for the full-text weight.
    texts.push("垃圾没人清理\n幸福小区垃圾堆了很多天".into());
    labels.push("环卫".into());
    texts.push("路灯坏了\n东门路口路灯不亮".into());
    labels.push("设施".into());
    let base = SvmConfig { nb_scale: false, ..SvmConfig::default() };
    let plain = Classifier::train(&texts, &labels, &TrainOptions { svm: base.clone(), ..quick() }, &mut |_, _, _| {}).unwrap();
    for svm in [
        SvmConfig { nb_scale: true, ..base.clone() },
        SvmConfig { cnb_weight: 0.5, ..base.clone() },
        SvmConfig { full_text_weight: 3.0, ..base.clone() },
    ] {
        let options = TrainOptions { svm: svm.clone(), ..quick() };
        let model = Classifier::train(&texts, &labels, &options, &mut |_, _, _| {}).unwrap();
        assert_ne!(model.to_bytes(), plain.to_bytes(), "{svm:?}");
        assert_eq!(model.top("菜市场旁边垃圾成堆，没人清运", 1)[0].label, "环卫", "{svm:?}");
        assert_eq!(model.top("人行道上摊贩占道经营", 1)[0].label, "市容", "{svm:?}");
        assert_eq!(model.top("小区路灯坏了不亮", 1)[0].label, "设施", "{svm:?}");
    }
}
