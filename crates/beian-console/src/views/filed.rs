//! (to be written)

use std::sync::Arc;

use axum::Router;
use beian_server::AppState;

pub fn routes(r: Router<Arc<AppState>>) -> Router<Arc<AppState>> {
    r
}
