//! Integration tests: the real server on port 0, the same suite on SQLite and on PostgreSQL.
//! All tests are one binary (one build, one link).

mod helpers;

mod admin;
mod attachments;
mod audit;
mod auth;
mod classifier;
mod concurrency;
mod console;
mod dashboard;
mod flows;
mod open311;
mod open311_clients;
mod open311_schema;
mod intake;
mod maps;
mod places;
mod refusals;
mod scope;
mod search;
