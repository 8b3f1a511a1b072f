//! The public pages: the public query, the block page the gate shows, the filing-type check.
//! (to be written)

use std::sync::Arc;

use axum::Router;
use beian_server::AppState;

pub fn routes(r: Router<Arc<AppState>>, _state: &AppState) -> Router<Arc<AppState>> {
    r
}
