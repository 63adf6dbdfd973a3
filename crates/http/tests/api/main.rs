//! Integration tests: the real server on port 0, the same suite on SQLite and on PostgreSQL.
//! All tests are one binary (one build, one link).

mod helpers;

mod attachments;
mod audit;
mod auth;
mod classifier;
mod concurrency;
mod flows;
mod places;
mod refusals;
mod scope;
