//! One module per area of the console; each holds its routes, its handlers and its templates'
//! structs, and nothing else.

use std::sync::Arc;

use axum::Router;
use beian_server::AppState;

pub mod account;
pub mod application;
pub mod audit;
pub mod dashboard;
pub mod filed;
pub mod home;
pub mod order;
pub mod products;
pub mod public;
pub mod review;
pub mod staff;

/// Every page's route.
pub fn routes(r: Router<Arc<AppState>>, state: &AppState) -> Router<Arc<AppState>> {
    let r = home::routes(r);
    let r = account::routes(r, state);
    let r = public::routes(r, state);
    let r = products::routes(r);
    let r = application::routes(r);
    let r = order::routes(r);
    let r = review::routes(r);
    let r = audit::routes(r);
    let r = dashboard::routes(r);
    let r = staff::routes(r);
    filed::routes(r)
}
