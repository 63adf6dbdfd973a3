//! Text → sparse TF-IDF vector: jieba words (uni- and bigrams) and character n-grams, each
//! n-gram hashed to 64 bits (no strings kept), looked up in the vocabulary fixed at training.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use serde::{Deserialize, Serialize};

use crate::Segmenter;

/// What a text is cut into. Stored with the model so prediction cuts the same way.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeatureConfig {
    /// Longest run of consecutive jieba words used as one feature (1 = words only, 2 = + bigrams).
    pub word_ngrams: u8,
    /// Shortest and longest character n-gram (0 = no character features).
    pub char_min: u8,
    pub char_max: u8,
    /// An n-gram seen in fewer training texts is dropped.
    pub min_df: u32,
    /// Keep at most this many n-grams, the most frequent (0: no limit). Bounds the model's size,
    /// which grows with features × classes.
    #[serde(default)]
    pub max_features: u32,
    /// Weight of the word block against the character block (each block is L2-normalised).
    pub word_weight: f32,
    /// Let jieba's HMM join unknown words (slower; off: dictionary words only).
    #[serde(default = "yes")]
    pub hmm: bool,
}

fn yes() -> bool {
    true
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig { word_ngrams: 2, char_min: 1, char_max: 3, min_df: 2, max_features: 0, word_weight: 1.0, hmm: false }
    }
}

/// A sparse vector: (feature index, value), indices ascending.
pub type SparseVec = Vec<(u32, f32)>;

/// Hashed n-grams of a text with their counts, before the vocabulary: (block, hash) → count.
pub struct Grams {
    pub words: Vec<(u64, u32)>,
    pub chars: Vec<(u64, u32)>,
}

/// Full-width ASCII to half-width, letters lower-cased; everything else unchanged.
pub fn normalise(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn fnv(seed: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(seed, |h, &b| (h ^ u64::from(b)).wrapping_mul(FNV_PRIME))
}

/// Final mix so that nearby FNV values spread (splitmix64's finaliser).
fn mix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Sorts hashes and counts repeats.
fn counted(mut hashes: Vec<u64>) -> Vec<(u64, u32)> {
    hashes.sort_unstable();
    let mut out: Vec<(u64, u32)> = Vec::with_capacity(hashes.len());
    for h in hashes {
        match out.last_mut() {
            Some((last, n)) if *last == h => *n += 1,
            _ => out.push((h, 1)),
        }
    }
    out
}

impl FeatureConfig {
    /// The hashed n-grams of one text.
    pub fn grams(&self, segmenter: &Segmenter, text: &str) -> Grams {
        let text = normalise(text);
        let mut words = Vec::new();
        if self.word_ngrams > 0 {
            let cut = if self.hmm { segmenter.words(&text) } else { segmenter.dictionary_words(&text) };
            let hashed: Vec<u64> = cut.iter().map(|w| fnv(FNV_OFFSET ^ 0x57, w.as_bytes())).collect();
            for n in 1..=usize::from(self.word_ngrams) {
                for window in hashed.windows(n) {
                    let h = window.iter().fold(n as u64, |acc, &w| mix(acc.rotate_left(17) ^ w));
                    words.push(h);
                }
            }
        }
        let mut chars = Vec::new();
        if self.char_max > 0 {
            for run in text.split(|c: char| !c.is_alphanumeric()).filter(|r| !r.is_empty()) {
                let starts: Vec<usize> = run.char_indices().map(|(i, _)| i).chain([run.len()]).collect();
                let count = starts.len() - 1;
                for i in 0..count {
                    for n in usize::from(self.char_min.max(1))..=usize::from(self.char_max) {
                        if i + n > count {
                            break;
                        }
                        chars.push(mix(fnv(FNV_OFFSET ^ 0xC4, &run.as_bytes()[starts[i]..starts[i + n]])));
                    }
                }
            }
        }
        Grams { words: counted(words), chars: counted(chars) }
    }
}

/// A hasher for keys that are already hashes.
#[derive(Default)]
pub struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

pub type HashIndex = HashMap<u64, u32, BuildHasherDefault<Identity>>;

/// The n-grams kept at training, with their inverse document frequencies. Word and character
/// hashes live in separate tables, so a word never meets a character n-gram of the same hash.
#[derive(Clone, Debug, Default)]
pub struct Vocabulary {
    pub words: HashIndex,
    pub chars: HashIndex,
    /// idf by feature index; word features first, then character features.
    pub idf: Vec<f32>,
    pub word_weight: f32,
}

impl Vocabulary {
    /// Keeps n-grams in at least `min_df` documents (and the `max_features` most frequent);
    /// idf = ln((1 + N) / (1 + df)) + 1.
    pub fn build(docs: &[Grams], config: &FeatureConfig) -> Vocabulary {
        let n = docs.len() as f32;
        let count = |block: &dyn Fn(&Grams) -> &[(u64, u32)]| {
            let mut df: HashIndex = HashIndex::default();
            for d in docs {
                for &(h, _) in block(d) {
                    *df.entry(h).or_insert(0) += 1;
                }
            }
            df.into_iter().filter(|&(_, c)| c >= config.min_df).collect::<Vec<(u64, u32)>>()
        };
        let (mut words, mut chars) = (count(&|g| &g.words), count(&|g| &g.chars));
        let limit = config.max_features as usize;
        if limit > 0 && words.len() + chars.len() > limit {
            // The least frequent go first; ties by block and hash so the cut is deterministic.
            let mut all: Vec<(u32, bool, u64)> =
                words.iter().map(|&(h, c)| (c, false, h)).chain(chars.iter().map(|&(h, c)| (c, true, h))).collect();
            all.sort_unstable_by(|a, b| b.cmp(a));
            all.truncate(limit);
            words = all.iter().filter(|e| !e.1).map(|e| (e.2, e.0)).collect();
            chars = all.iter().filter(|e| e.1).map(|e| (e.2, e.0)).collect();
        }
        let mut idf = Vec::with_capacity(words.len() + chars.len());
        let mut table = |mut kept: Vec<(u64, u32)>| {
            kept.sort_unstable();
            let mut index = HashIndex::default();
            for (h, c) in kept {
                index.insert(h, idf.len() as u32);
                idf.push(((1.0 + n) / (1.0 + c as f32)).ln() + 1.0);
            }
            index
        };
        let words = table(words);
        let chars = table(chars);
        Vocabulary { words, chars, idf, word_weight: config.word_weight }
    }

    pub fn len(&self) -> usize {
        self.idf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.idf.is_empty()
    }

    /// Sublinear tf (1 + ln tf) × idf, each block L2-normalised then weighted.
    pub fn vector(&self, grams: &Grams) -> SparseVec {
        let mut out = Vec::with_capacity(grams.words.len() + grams.chars.len());
        self.block(&grams.words, &self.words, self.word_weight, &mut out);
        self.block(&grams.chars, &self.chars, 1.0, &mut out);
        out.sort_unstable_by_key(|&(i, _)| i);
        out
    }

    fn block(&self, grams: &[(u64, u32)], index: &HashIndex, weight: f32, out: &mut SparseVec) {
        let start = out.len();
        let mut norm = 0.0f32;
        for &(h, tf) in grams {
            if let Some(&i) = index.get(&h) {
                let v = (1.0 + (tf as f32).ln()) * self.idf[i as usize];
                norm += v * v;
                out.push((i, v));
            }
        }
        if norm > 0.0 {
            let scale = weight / norm.sqrt();
            for e in &mut out[start..] {
                e.1 *= scale;
            }
        }
    }
}
