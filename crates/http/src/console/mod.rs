//! 城运中心 web console: the pages every role works in, served by the binary itself.
//!
//! Pages are thin HTML shells rendered here (navigation, the CSRF token) plus one script each;
//! the scripts call the same `/api/v1` endpoints as any client, so the console has no path
//! around the API's permission and scope checks. The session travels in an `HttpOnly`,
//! `SameSite=Strict` cookie; unsafe API requests made with it must carry the CSRF token.

mod assets;
mod headers;
mod login;
mod pages;

use axum::routing::{get, post};
use axum::Router;

use crate::state::AppState;

pub use headers::security_headers;
pub use pages::{Layout, Page, PAGES};

pub fn routes() -> Router<AppState> {
    let mut router = Router::new()
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/static/{*path}", get(assets::serve))
        .route("/favicon.ico", get(assets::favicon));
    for page in PAGES {
        router = router.route(page.path, get(pages::serve));
    }
    router
}
