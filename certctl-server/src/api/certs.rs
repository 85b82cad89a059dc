//! `/certificates`: inventory, versions, export and lifecycle actions.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use certctl::api::{CertificateInput, CertificatePatch, RevokeInput};
use certctl::model::*;

use super::{created, list_of};
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Admin, Json, OptionalJson, Params, Reader, Writer};

pub async fn list(State(s): State<AppState>, _: Reader, q: Params) -> ApiResult<impl IntoResponse> {
    let mut tags = Vec::new();
    for t in q.all("tag") {
        let (k, v) = t.split_once(':').ok_or_else(|| {
            crate::error::ApiError::BadRequest(format!(
                "query parameter tag: {t:?} is not key:value"
            ))
        })?;
        tags.push((k.to_owned(), v.to_owned()));
    }
    let status = q.parse::<CertificateStatus>("status")?;
    let filter = CertificateFilter {
        status,
        environment: q.str("environment"),
        owner_id: q.str("owner_id").map(OwnerId::from_trusted),
        team_id: q.str("team_id").map(TeamId::from_trusted),
        issuer_id: q.str("issuer_id").map(IssuerId::from_trusted),
        renewal_policy_id: q.str("renewal_policy_id").map(RenewalPolicyId::from_trusted),
        expires_before: q.time("expires_before")?,
        expires_after: q.time("expires_after")?,
        q: q.str("q"),
        tags,
        exclude_archived: status.is_none() && !q.flag("include_archived")?,
        after: q.str("after").map(CertificateId::from_trusted),
        parent_id: q.str("parent_id").map(CertificateId::from_trusted),
        agent_group_id: q.str("agent_group_id").map(GroupId::from_trusted),
        sort: q.parse("sort")?,
        ..Default::default()
    };
    Ok(axum::Json(s.svc.store().list_certificates(&filter, q.page()?).await?))
}

pub async fn get(
    State(s): State<AppState>,
    _: Reader,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.certificate_view(&id.as_str().into()).await?))
}

pub async fn create(
    State(s): State<AppState>,
    Writer(a): Writer,
    Json(input): Json<CertificateInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(s.svc.create_certificate(&a, &input).await?))
}

pub async fn update(
    State(s): State<AppState>,
    Writer(a): Writer,
    Path(id): Path<String>,
    Json(p): Json<CertificatePatch>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.update_certificate(&a, &id.as_str().into(), &p).await?))
}

pub async fn archive(
    State(s): State<AppState>,
    Writer(a): Writer,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    s.svc.archive_certificate(&a, &id.as_str().into()).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn versions(
    State(s): State<AppState>,
    _: Reader,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let id = CertificateId::from(id.as_str());
    s.svc.store().get_certificate(&id).await?;
    Ok(axum::Json(list_of(s.svc.store().list_versions(&id).await?)))
}

pub async fn violations(
    State(s): State<AppState>,
    _: Reader,
    Path(id): Path<String>,
    q: Params,
) -> ApiResult<impl IntoResponse> {
    let id = CertificateId::from(id.as_str());
    s.svc.store().get_certificate(&id).await?;
    let filter =
        ViolationFilter { policy_id: None, certificate_id: Some(id), open_only: q.flag("open")? };
    Ok(axum::Json(s.svc.store().list_violations(&filter, q.page()?).await?))
}

pub async fn export(
    State(s): State<AppState>,
    _: Reader,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let pem = s.svc.export_certificate(&id.as_str().into()).await?;
    Ok(([(header::CONTENT_TYPE, "application/x-pem-file")], pem))
}

pub async fn renew(
    State(s): State<AppState>,
    Writer(a): Writer,
    Path(id): Path<String>,
    _: OptionalJson<serde_json::Value>,
) -> ApiResult<impl IntoResponse> {
    let started = s.svc.renew_certificate(&a, &id.as_str().into()).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(started.job)))
}

pub async fn deploy(
    State(s): State<AppState>,
    Writer(a): Writer,
    Path(id): Path<String>,
    _: OptionalJson<serde_json::Value>,
) -> ApiResult<impl IntoResponse> {
    let jobs = s.svc.deploy_certificate(&a, &id.as_str().into()).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(list_of(jobs))))
}

pub async fn export_key(
    State(s): State<AppState>,
    Admin(a): Admin,
    Path(id): Path<String>,
    _: OptionalJson<serde_json::Value>,
) -> ApiResult<impl IntoResponse> {
    let pem = s.svc.export_server_key(&a, &id.as_str().into()).await?;
    Ok(([(header::CONTENT_TYPE, "application/x-pem-file")], pem))
}

pub async fn revoke(
    State(s): State<AppState>,
    Writer(a): Writer,
    Path(id): Path<String>,
    OptionalJson(r): OptionalJson<RevokeInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.revoke_certificate(&a, &id.as_str().into(), r.reason.as_deref()).await?))
}
