use std::sync::OnceLock;

use jieba_rs::Jieba;

/// The town's own words (网格员, 占道经营, 渣土车 …) added to jieba's dictionary.
pub const DOMAIN_WORDS: &str = include_str!("../data/domain-words.txt");

/// jieba with the domain words. Building one takes a fraction of a second; share it
/// ([`Segmenter::shared`]).
pub struct Segmenter {
    jieba: Jieba,
}

impl Segmenter {
    pub fn new() -> Self {
        let mut jieba = Jieba::new();
        for line in DOMAIN_WORDS.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let mut parts = line.split_whitespace();
            let word = parts.next().expect("non-empty line");
            let freq = parts.next().and_then(|f| f.parse().ok());
            jieba.add_word(word, freq, None);
        }
        Segmenter { jieba }
    }

    /// The process-wide segmenter.
    pub fn shared() -> &'static Segmenter {
        static SHARED: OnceLock<Segmenter> = OnceLock::new();
        SHARED.get_or_init(Segmenter::new)
    }

    /// Words of `text` in order, without whitespace and punctuation.
    pub fn words<'a>(&self, text: &'a str) -> Vec<&'a str> {
        self.jieba.cut(text, true).into_iter().map(|t| t.word).filter(|w| is_content(w)).collect()
    }

    /// Words of `text` by the dictionary alone (no HMM for unknown words): several times faster,
    /// for the classifier, whose character n-grams cover what the HMM would find.
    pub fn dictionary_words<'a>(&self, text: &'a str) -> Vec<&'a str> {
        self.jieba.cut(text, false).into_iter().map(|t| t.word).filter(|w| is_content(w)).collect()
    }

    /// Terms for a full-text index: the words and, for long words, the shorter words inside them
    /// (垃圾堆放 → 垃圾堆放, 垃圾, 堆放), so a query for 垃圾 finds 垃圾堆放. Lower-cased.
    pub fn index_terms(&self, text: &str) -> Vec<String> {
        self.jieba
            .cut_for_search(text, true)
            .into_iter()
            .map(|t| t.word)
            .filter(|w| is_content(w))
            .map(str::to_lowercase)
            .collect()
    }
}

impl Default for Segmenter {
    fn default() -> Self {
        Self::new()
    }
}

/// False for whitespace and punctuation-only tokens.
fn is_content(token: &str) -> bool {
    token.chars().any(crate::classify::is_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_words_stay_whole() {
        let s = Segmenter::shared();
        let words = s.words("网格员发现路口有占道经营和渣土车抛洒");
        for w in ["网格员", "占道经营", "渣土车"] {
            assert!(words.contains(&w), "{w} missing from {words:?}");
        }
    }

    #[test]
    fn index_terms_hold_the_parts_of_long_words() {
        let terms = Segmenter::shared().index_terms("小区门口垃圾堆放三天，臭得不行！");
        assert!(terms.iter().any(|t| t == "垃圾"), "{terms:?}");
        assert!(!terms.iter().any(|t| t == "，" || t == "！"), "{terms:?}");
    }
}
