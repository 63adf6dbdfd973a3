//! Text → sparse TF-IDF vector: jieba words (uni- and bigrams) and character n-grams of the whole
//! text, plus the same of its title (留言主题) in a block of their own; each n-gram hashed to 64
//! bits (no strings kept) and looked up in the vocabulary fixed at training.

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
    /// Cut words from at most this many leading characters of a text (0: all of it). jieba is
    /// the dearest step of prediction; the start of a report (title, first sentences) names
    /// its subject, and the character n-grams still cover the whole text.
    #[serde(default)]
    pub word_chars: u32,
    /// Weight of the title block (0: none): the title's word n-grams up to `title_word_ngrams`
    /// and its character n-grams from `char_min` to `title_char_max`, L2-normalised together.
    /// The title is the first line of a text of several lines when it is short, or a whole
    /// short text (see [`split_title`]). Models from before the title block read as 0.
    #[serde(default)]
    pub title_weight: f32,
    #[serde(default)]
    pub title_word_ngrams: u8,
    #[serde(default)]
    pub title_char_max: u8,
}

fn yes() -> bool {
    true
}

impl Default for FeatureConfig {
    fn default() -> Self {
        // Measured in docs/classifier.md: words of the whole text add little over its
        // character n-grams and the title block, and cutting them is most of prediction's time.
        FeatureConfig {
            word_ngrams: 0,
            char_min: 1,
            char_max: 3,
            min_df: 2,
            max_features: 0,
            word_weight: 1.0,
            hmm: false,
            word_chars: 0,
            title_weight: 1.0,
            title_word_ngrams: 2,
            title_char_max: 4,
        }
    }
}

/// A sparse vector: (feature index, value), indices ascending.
pub type SparseVec = Vec<(u32, f32)>;

/// Feature blocks, in feature-index order: whole-text words, whole-text characters, title.
pub const BLOCKS: usize = 3;

/// Hashed n-grams of a text with their counts, before the vocabulary, by block.
#[derive(Debug, Default)]
pub struct Grams {
    pub words: Vec<(u64, u32)>,
    pub chars: Vec<(u64, u32)>,
    pub title: Vec<(u64, u32)>,
}

impl Grams {
    pub fn blocks(&self) -> [&[(u64, u32)]; BLOCKS] {
        [&self.words, &self.chars, &self.title]
    }
}

/// Full-width ASCII to half-width, letters lower-cased; everything else unchanged.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            c if is_han(c) => out.push(c),
            '\u{FF01}'..='\u{FF5E}' => {
                out.extend(char::from_u32(c as u32 - 0xFEE0).unwrap_or(c).to_lowercase());
            }
            '\u{3000}' => out.push(' '),
            c if c.is_ascii() => out.push(c.to_ascii_lowercase()),
            c if c.is_lowercase() || !c.is_alphabetic() => out.push(c),
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// Longest title (in characters): 留言主题 run to 48 characters in the shared data, bodies
/// rarely stay this short.
const TITLE_CHARS: usize = 50;

/// (title, rest) of a text: a short first line of several is the title; a short text of one
/// line is all title; a long text has none. The CLI joins 留言主题 and 留言详情 with a line break.
pub fn split_title(text: &str) -> (&str, &str) {
    let short = |s: &str| s.chars().nth(TITLE_CHARS).is_none();
    match text.split_once('\n') {
        Some((first, rest)) if short(first) => (first, rest),
        None if short(text) => (text, ""),
        _ => ("", text),
    }
}

/// A CJK unified ideograph of the basic block (most of any Chinese text).
#[inline]
fn is_han(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c)
}

/// `char::is_alphanumeric`, answering the common cases (ASCII, 汉字) without its table search.
#[inline]
pub(crate) fn is_alphanumeric(c: char) -> bool {
    if c.is_ascii() { c.is_ascii_alphanumeric() } else { is_han(c) || c.is_alphanumeric() }
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

/// Distinct hashes with their counts, in an order that depends only on the set of hashes
/// (counted in a small open-addressing table: cheaper than sorting a couple of thousand).
fn counted(hashes: &[u64]) -> Vec<(u64, u32)> {
    let size = (hashes.len() * 2).next_power_of_two().max(8);
    let mask = size - 1;
    let mut slots = vec![(0u64, 0u32); size];
    let mut distinct = 0;
    for &h in hashes {
        // High bits: the vocabulary's tables index by the low ones.
        let mut at = (h >> 40) as usize & mask;
        loop {
            let slot = &mut slots[at];
            if slot.1 == 0 {
                *slot = (h, 1);
                distinct += 1;
                break;
            }
            if slot.0 == h {
                slot.1 += 1;
                break;
            }
            at = (at + 1) & mask;
        }
    }
    let mut out = Vec::with_capacity(distinct);
    out.extend(slots.into_iter().filter(|s| s.1 > 0));
    out
}

/// The first `chars` characters of `text` (all of it for 0).
fn prefix(text: &str, chars: u32) -> &str {
    match text.char_indices().nth(chars as usize) {
        Some((end, _)) if chars > 0 => &text[..end],
        _ => text,
    }
}

/// Word n-grams 1..=`max` of consecutive word hashes.
fn word_grams(words: &[u64], max: u8, out: &mut Vec<u64>) {
    for n in 1..=usize::from(max) {
        for window in words.windows(n) {
            out.push(window.iter().fold(n as u64, |acc, &w| mix(acc.rotate_left(17) ^ w)));
        }
    }
}

/// Character n-grams `min..=max` of every run of letters, digits and 汉字.
fn char_grams(text: &str, min: u8, max: u8, out: &mut Vec<u64>) {
    let (min, max) = (usize::from(min.max(1)), usize::from(max));
    let mut starts: Vec<usize> = Vec::new();
    for run in text.split(|c: char| !is_alphanumeric(c)).filter(|r| !r.is_empty()) {
        starts.clear();
        starts.extend(run.char_indices().map(|(i, _)| i).chain([run.len()]));
        let count = starts.len() - 1;
        let bytes = run.as_bytes();
        for i in 0..count {
            if i + min > count {
                break;
            }
            // FNV is a fold over the bytes, so the n-gram's hash continues the (n-1)-gram's.
            let mut h = fnv(FNV_OFFSET ^ 0xC4, &bytes[starts[i]..starts[i + min - 1]]);
            for n in min..=max.min(count - i) {
                h = fnv(h, &bytes[starts[i + n - 1]..starts[i + n]]);
                out.push(mix(h));
            }
        }
    }
}

impl FeatureConfig {
    /// The hashed n-grams of one text.
    pub fn grams(&self, segmenter: &Segmenter, text: &str) -> Grams {
        let text = normalise(text);
        let (title, _) = if self.title_weight > 0.0 { split_title(&text) } else { ("", "") };
        let mut buffer = Vec::new();
        let mut grams = Grams::default();
        let title_ngrams = if title.is_empty() { 0 } else { self.title_word_ngrams };
        if self.word_ngrams > 0 || title_ngrams > 0 {
            // Without whole-text words only the title is cut (jieba is a good part of the time).
            let source = if self.word_ngrams > 0 { prefix(&text, self.word_chars) } else { title };
            let cut = if self.hmm { segmenter.words(source) } else { segmenter.dictionary_words(source) };
            let base = text.as_ptr() as usize;
            // Title words are the cut's words that start inside the title (its first line).
            let title_words = cut.iter().take_while(|w| w.as_ptr() as usize - base < title.len()).count();
            let hashed: Vec<u64> = cut.iter().map(|w| fnv(FNV_OFFSET ^ 0x57, w.as_bytes())).collect();
            word_grams(&hashed, self.word_ngrams, &mut buffer);
            grams.words = counted(&buffer);
            buffer.clear();
            word_grams(&hashed[..title_words], title_ngrams, &mut buffer);
        }
        if self.char_max > 0 {
            char_grams(title, self.char_min, self.title_char_max, &mut buffer);
        }
        grams.title = counted(&buffer);
        buffer.clear();
        if self.char_max > 0 {
            char_grams(&text, self.char_min, self.char_max, &mut buffer);
            grams.chars = counted(&buffer);
        }
        grams
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

/// Most features a model may hold: a feature index fits the low 24 bits of a table slot.
pub const MAX_FEATURES: usize = (1 << INDEX_BITS) - 1;
const INDEX_BITS: u32 = 24;
const INDEX_MASK: u64 = (1 << INDEX_BITS) - 1;
const EMPTY: u64 = u64::MAX;

/// N-gram hash → feature index: open addressing with linear probing, one `u64` per slot (the
/// hash's high 40 bits and the index), at most two thirds full. Prediction does a couple of thousand
/// look-ups per text into hundreds of thousands of entries, so each look-up should touch one
/// cache line. The slot is chosen by the hash's low bits and the key check uses its high 40,
/// so an absent n-gram is taken for a kept one with odds of about 2⁻⁴⁰ per look-up.
#[derive(Clone, Debug, Default)]
pub struct GramTable {
    slots: Vec<u64>,
    /// Hash of each feature, by index (local to this table), for the model file.
    hashes: Vec<u64>,
}

impl GramTable {
    /// `hashes` (distinct) get indices `offset`, `offset + 1`, … in order.
    pub fn new(hashes: Vec<u64>, offset: u32) -> GramTable {
        // At most two thirds full: absent n-grams (most look-ups) probe a few more slots, in
        // the same cache line, and the table is half the size of a half-full one.
        let size = (hashes.len() + hashes.len() / 2).next_power_of_two().max(16);
        let mut slots = vec![EMPTY; size];
        let mask = size - 1;
        for (i, &h) in hashes.iter().enumerate() {
            let mut at = h as usize & mask;
            while slots[at] != EMPTY {
                at = (at + 1) & mask;
            }
            slots[at] = (h & !INDEX_MASK) | u64::from(offset + i as u32);
        }
        GramTable { slots, hashes }
    }

    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Feature hashes in index order.
    pub fn hashes(&self) -> &[u64] {
        &self.hashes
    }

    #[inline]
    pub fn get(&self, hash: u64) -> Option<u32> {
        let mask = self.slots.len() - 1;
        let mut at = hash as usize & mask;
        loop {
            let slot = self.slots[at];
            if slot == EMPTY {
                return None;
            }
            if (slot ^ hash) & !INDEX_MASK == 0 {
                return Some((slot & INDEX_MASK) as u32);
            }
            at = (at + 1) & mask;
        }
    }

    /// Asks the cache for the slot `hash` starts at, ahead of [`GramTable::get`].
    #[inline]
    pub fn prefetch(&self, hash: u64) {
        prefetch(&self.slots[hash as usize & (self.slots.len() - 1)]);
    }
}

/// A hint to load `value`'s cache line; no effect on results.
#[inline(always)]
pub fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: SSE is part of x86_64's baseline, and a prefetch never faults nor reads
        // into the program: it only warms the cache.
        unsafe { _mm_prefetch::<_MM_HINT_T0>((value as *const T).cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

/// The n-grams kept at training, with their inverse document frequencies. Each block has its
/// own table, so a word never meets a character n-gram of the same hash.
#[derive(Clone, Debug, Default)]
pub struct Vocabulary {
    pub tables: [GramTable; BLOCKS],
    /// idf by feature index: word features first, then character features, then title features.
    pub idf: Vec<f32>,
    /// Weight of each block (each is L2-normalised first).
    pub weights: [f32; BLOCKS],
}

impl Vocabulary {
    /// Keeps n-grams in at least `min_df` documents (and the `max_features` most frequent);
    /// idf = ln((1 + N) / (1 + df)) + 1.
    pub fn build(docs: &[Grams], config: &FeatureConfig) -> Vocabulary {
        let n = docs.len() as f32;
        let mut kept: Vec<Vec<(u64, u32)>> = (0..BLOCKS)
            .map(|b| {
                let mut df: HashIndex = HashIndex::default();
                for d in docs {
                    for &(h, _) in d.blocks()[b] {
                        *df.entry(h).or_insert(0) += 1;
                    }
                }
                df.into_iter().filter(|&(_, c)| c >= config.min_df).collect()
            })
            .collect();
        let total: usize = kept.iter().map(Vec::len).sum();
        let limit = match config.max_features as usize {
            0 => MAX_FEATURES,
            l => l.min(MAX_FEATURES),
        };
        if total > limit {
            // The least frequent go first; ties by block and hash so the cut is deterministic.
            let mut all: Vec<(u32, usize, u64)> =
                kept.iter().enumerate().flat_map(|(b, k)| k.iter().map(move |&(h, c)| (c, BLOCKS - b, h))).collect();
            all.sort_unstable_by(|a, b| b.cmp(a));
            all.truncate(limit);
            for (b, k) in kept.iter_mut().enumerate() {
                *k = all.iter().filter(|e| e.1 == BLOCKS - b).map(|e| (e.2, e.0)).collect();
            }
        }
        let mut idf = Vec::with_capacity(total.min(limit));
        let tables: [GramTable; BLOCKS] = std::array::from_fn(|b| {
            let mut block = std::mem::take(&mut kept[b]);
            block.sort_unstable();
            let offset = idf.len() as u32;
            idf.extend(block.iter().map(|&(_, c)| ((1.0 + n) / (1.0 + c as f32)).ln() + 1.0));
            GramTable::new(block.into_iter().map(|(h, _)| h).collect(), offset)
        });
        Vocabulary { tables, idf, weights: config.block_weights() }
    }

    pub fn len(&self) -> usize {
        self.idf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.idf.is_empty()
    }

    /// Sublinear tf (1 + ln tf) × idf, each block L2-normalised then weighted.
    pub fn vector(&self, grams: &Grams) -> SparseVec {
        let mut out = Vec::new();
        for (b, block) in grams.blocks().into_iter().enumerate() {
            let start = out.len();
            let mut norm = 0.0f32;
            for &(h, tf) in block {
                if let Some(i) = self.tables[b].get(h) {
                    let v = sublinear(tf) * self.idf[i as usize];
                    norm += v * v;
                    out.push((i, v));
                }
            }
            if norm > 0.0 {
                let scale = self.weights[b] / norm.sqrt();
                for e in &mut out[start..] {
                    e.1 *= scale;
                }
            }
        }
        out.sort_unstable_by_key(|&(i, _)| i);
        out
    }
}

impl FeatureConfig {
    pub fn block_weights(&self) -> [f32; BLOCKS] {
        [self.word_weight, 1.0, self.title_weight]
    }
}

/// 1 + ln tf.
#[inline]
pub fn sublinear(tf: u32) -> f32 {
    if tf <= 1 { 1.0 } else { 1.0 + (tf as f32).ln() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn character_gram_hashes_are_those_of_the_first_model_files() {
        // Models of version 1 hashed each n-gram's bytes from scratch; the rolling hash must
        // give the same values, or their n-grams would no longer be found.
        for (text, min, max) in [("渣土车乱倒ab1", 1, 3), ("垃圾", 2, 4), ("路灯", 3, 3), ("", 1, 3)] {
            let mut fast = Vec::new();
            char_grams(text, min, max, &mut fast);
            let chars: Vec<&str> = text.split("").filter(|c| !c.is_empty()).collect();
            let mut slow = Vec::new();
            for i in 0..chars.len() {
                for n in usize::from(min)..=usize::from(max) {
                    if i + n <= chars.len() {
                        slow.push(mix(fnv(FNV_OFFSET ^ 0xC4, chars[i..i + n].concat().as_bytes())));
                    }
                }
            }
            assert_eq!(fast, slow, "{text} {min}..={max}");
        }
    }
}
