//! Full-text search terms (全文检索): how a case becomes a list of index terms and a query a
//! list of required terms. Both databases store exactly these terms — SQLite's FTS5 splits the
//! space-joined list again with its `ascii` tokenizer, PostgreSQL takes them verbatim with
//! `array_to_tsvector` — so the two match the same cases. A term therefore never contains
//! whitespace or ASCII punctuation (the only characters either side would split on), nor the
//! mark of the index's own attribute tokens.

use std::collections::BTreeSet;

use crate::Segmenter;

/// Longer terms are dropped on both sides (a run of digits or letters is no search word, and
/// PostgreSQL limits a lexeme's length).
pub const MAX_TERM_CHARS: usize = 32;
/// A query's terms are ANDed; more than this is refused rather than silently cut.
pub const MAX_QUERY_TERMS: usize = 8;
/// Longest query text accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 100;

/// Why a query cannot be searched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("检索词过长：最多 {MAX_QUERY_CHARS} 个字")]
    TooLong,
    #[error("检索词中没有可检索的词语")]
    Empty,
    #[error("检索词过多：最多 {MAX_QUERY_TERMS} 个词")]
    TooManyTerms,
}

/// Starts the index's own tokens (a case's status, region, units …), which no word can hold.
pub const ATTRIBUTE_MARK: char = '§';

/// Splits a segmenter token into index-safe terms: lower-cased, cut at whitespace, ASCII
/// punctuation and [`ATTRIBUTE_MARK`], kept when it holds a letter or digit and is not too long.
fn clean(token: &str, out: &mut impl Extend<String>) {
    out.extend(
        token
            .split(|c: char| c.is_ascii() && !c.is_ascii_alphanumeric() || c.is_whitespace() || c == ATTRIBUTE_MARK)
            .filter(|t| t.chars().any(char::is_alphanumeric) && t.chars().count() <= MAX_TERM_CHARS)
            .map(str::to_lowercase),
    );
}

/// The distinct index terms of a case's texts (description, address, notes, feedback): jieba's
/// search cut, so a long word also yields the words inside it (垃圾堆放 → 垃圾, 堆放, 垃圾堆放).
/// Sorted, so the stored document is the same whatever order the texts came in.
pub fn document_terms<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let segmenter = Segmenter::shared();
    let mut terms = BTreeSet::new();
    for text in texts {
        for token in segmenter.index_terms(text) {
            clean(&token, &mut terms);
        }
    }
    terms.into_iter().collect()
}

/// The document as stored: the terms joined by single spaces.
pub fn document<'a>(texts: impl IntoIterator<Item = &'a str>) -> String {
    document_terms(texts).join(" ")
}

/// The terms a query requires, all of them (AND): the words of jieba's ordinary cut, so
/// 垃圾堆放 asks for that word and 垃圾 also finds it (documents hold the parts of long words).
/// Whitespace separates words the user meant apart. Duplicates are dropped, order kept.
pub fn query_terms(query: &str) -> Result<Vec<String>, QueryError> {
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(QueryError::TooLong);
    }
    let segmenter = Segmenter::shared();
    let mut terms: Vec<String> = Vec::new();
    for chunk in query.split_whitespace() {
        for word in segmenter.words(chunk) {
            let mut cleaned = Vec::new();
            clean(word, &mut cleaned);
            for t in cleaned {
                if !terms.contains(&t) {
                    terms.push(t);
                }
            }
        }
    }
    match terms.len() {
        0 => Err(QueryError::Empty),
        n if n > MAX_QUERY_TERMS => Err(QueryError::TooManyTerms),
        _ => Ok(terms),
    }
}

/// An FTS5 MATCH expression requiring one token of every group (an AND of ORs): each token
/// is quoted (tokens hold no quotes, see [`clean`]).
pub fn fts5_match(groups: &[Vec<String>]) -> String {
    let group = |g: &Vec<String>| format!("({})", g.iter().map(|t| format!("\"{t}\"")).collect::<Vec<_>>().join(" OR "));
    groups.iter().map(group).collect::<Vec<_>>().join(" AND ")
}

/// The same as a PostgreSQL `tsquery`, each token a quoted lexeme taken as-is.
pub fn tsquery(groups: &[Vec<String>]) -> String {
    let group = |g: &Vec<String>| format!("({})", g.iter().map(|t| format!("'{t}'")).collect::<Vec<_>>().join(" | "));
    groups.iter().map(group).collect::<Vec<_>>().join(" & ")
}

/// Each term a group of its own: all required.
pub fn all_of(terms: &[String]) -> Vec<Vec<String>> {
    terms.iter().map(|t| vec![t.clone()]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn long_words_are_found_by_their_parts() {
        let doc = document_terms(["鹤沙路188号附近垃圾堆放，影响市容"]);
        for w in ["垃圾", "堆放", "市容"] {
            assert!(doc.iter().any(|t| t == w), "{w} missing from {doc:?}");
        }
        assert_eq!(query_terms("垃圾").unwrap(), vec!["垃圾"]);
    }

    #[test]
    fn queries_split_into_anded_words() {
        let terms = query_terms("  垃圾 清理  ").unwrap();
        assert_eq!(terms, vec!["垃圾", "清理"]);
        assert_eq!(fts5_match(&all_of(&terms)), "(\"垃圾\") AND (\"清理\")");
        assert_eq!(tsquery(&all_of(&terms)), "('垃圾') & ('清理')");
        let groups = vec![vec!["a".to_string()], vec!["b".to_string(), "c".to_string()]];
        assert_eq!(fts5_match(&groups), "(\"a\") AND (\"b\" OR \"c\")");
        assert_eq!(tsquery(&groups), "('a') & ('b' | 'c')");
        assert_eq!(query_terms("垃圾 垃圾").unwrap(), vec!["垃圾"]);
    }

    #[test]
    fn bad_queries_are_refused() {
        assert_eq!(query_terms("，。！ ").unwrap_err(), QueryError::Empty);
        assert_eq!(query_terms(&"垃".repeat(101)).unwrap_err(), QueryError::TooLong);
        assert_eq!(query_terms("一 二 三 四 五 六 七 八 九").unwrap_err(), QueryError::TooManyTerms);
    }

    #[test]
    fn quotes_and_operators_cannot_reach_the_engines() {
        let terms = query_terms("\"垃圾\" OR 'x' & (y) -z NEAR: §s6f70656e").unwrap();
        for t in &terms {
            assert!(!t.contains(['"', '\'', '&', '(', ')', '-', ':', ' ', ATTRIBUTE_MARK]), "{t:?}");
        }
        assert!(terms.contains(&"or".to_string()), "{terms:?}");
    }

    #[test]
    fn ascii_is_lower_cased_and_cut_at_punctuation() {
        assert_eq!(document_terms(["SP-0012 IOT设备"]).iter().filter(|t| t.is_ascii()).cloned().collect::<Vec<_>>(), vec!["0012", "iot", "sp"]);
    }

    proptest! {
        #[test]
        fn terms_are_safe_for_both_engines(text in "\\PC{0,40}") {
            for t in document_terms([text.as_str()]) {
                prop_assert!(!t.is_empty() && t.chars().count() <= MAX_TERM_CHARS);
                prop_assert!(!t.chars().any(|c| c.is_whitespace() || (c.is_ascii() && !c.is_ascii_alphanumeric())), "{:?}", t);
            }
        }

        #[test]
        fn every_query_term_of_a_text_is_in_its_document(text in "[垃圾堆放清理道路占道经营渣土车abc 12]{1,20}") {
            let doc = document_terms([text.as_str()]);
            if let Ok(q) = query_terms(&text) {
                for t in q {
                    prop_assert!(doc.contains(&t), "{} not in {:?}", t, doc);
                }
            }
        }
    }
}
