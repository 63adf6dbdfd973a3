//! chengyun's Chinese text: one [`Segmenter`] (jieba with the town's own words) shared by the
//! report classifier and the full-text search, so a word is cut the same way everywhere.
//!
//! Pure: no I/O beyond the dictionary compiled into the binary.

pub mod search;
pub mod classify;
mod segment;
pub mod similar;

pub use segment::{Segmenter, DOMAIN_WORDS};
