//! certctl-server: the control plane's HTTP face. A thin axum layer over [`certctl::service`]:
//! handlers parse, call the library, render.
#![cfg_attr(test, allow(clippy::unwrap_used))]

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use certctl::service::Service;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;

pub mod api;
pub mod config;
mod demo_agent;
mod error;
mod extract;
pub mod scheduler;
pub mod serve;
pub mod web;

pub use error::ApiError;

/// Default request body limit: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// Shared state of every handler.
#[derive(Clone, Debug)]
pub struct AppState {
    pub svc: Service,
    /// `--auth none`: every request acts as an anonymous admin (loopback demo only).
    pub auth_disabled: bool,
    pub body_limit: usize,
}

impl AppState {
    /// State with authentication on and the default body limit.
    pub fn new(svc: Service) -> Self {
        Self { svc, auth_disabled: false, body_limit: DEFAULT_BODY_LIMIT }
    }
}

/// The whole application: routes, body limit, request ids, tracing.
pub fn app(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    api::routes()
        .layer(DefaultBodyLimit::max(state.body_limit))
        .with_state(state)
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                let id = req.extensions().get::<RequestId>().and_then(|r| r.header_value().to_str().ok()).unwrap_or("-");
                tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
            }),
        )
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, RandomRequestId))
}

/// Request ids: 16 random hex characters.
#[derive(Clone, Copy, Debug)]
struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let id = format!("{:016x}", rand::random::<u64>());
        id.parse().ok().map(RequestId::new)
    }
}

/// How long in-flight requests may take to finish after a shutdown signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);
