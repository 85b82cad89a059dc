//! `/certificates`: inventory, versions, export and lifecycle actions.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use certctl::api::{
    CertificateInput, CertificatePatch, CertificateQuery, RevokeInput, ViolationQuery,
};

use super::{created, list_of};
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Caller, Json, OptionalJson, Query};

pub async fn list(
    State(s): State<AppState>,
    Caller(a): Caller,
    Query(q): Query<CertificateQuery>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.list_certificates(&a, &q).await?))
}

pub async fn get(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.certificate_view(&a, &id.as_str().into()).await?))
}

pub async fn create(
    State(s): State<AppState>,
    Caller(a): Caller,
    Json(input): Json<CertificateInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(s.svc.create_certificate(&a, &input).await?))
}

pub async fn update(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
    Json(p): Json<CertificatePatch>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.update_certificate(&a, &id.as_str().into(), &p).await?))
}

pub async fn archive(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    s.svc.archive_certificate(&a, &id.as_str().into()).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn versions(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(list_of(s.svc.certificate_versions(&a, &id.as_str().into()).await?)))
}

pub async fn violations(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
    Query(q): Query<ViolationQuery>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.certificate_violations(&a, &id.as_str().into(), &q).await?))
}

pub async fn export(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let pem = s.svc.export_certificate(&a, &id.as_str().into()).await?;
    Ok(([(header::CONTENT_TYPE, "application/x-pem-file")], pem))
}

pub async fn renew(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
    _: OptionalJson<serde_json::Value>,
) -> ApiResult<impl IntoResponse> {
    let started = s.svc.renew_certificate(&a, &id.as_str().into()).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(started.job)))
}

pub async fn deploy(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
    _: OptionalJson<serde_json::Value>,
) -> ApiResult<impl IntoResponse> {
    let jobs = s.svc.deploy_certificate(&a, &id.as_str().into()).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(list_of(jobs))))
}

pub async fn export_key(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
    _: OptionalJson<serde_json::Value>,
) -> ApiResult<impl IntoResponse> {
    let pem = s.svc.export_server_key(&a, &id.as_str().into()).await?;
    Ok(([(header::CONTENT_TYPE, "application/x-pem-file")], pem))
}

pub async fn revoke(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
    OptionalJson(r): OptionalJson<RevokeInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.revoke_certificate(&a, &id.as_str().into(), r.reason.as_deref()).await?))
}
