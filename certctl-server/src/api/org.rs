//! `/teams`, `/owners` and `/renewal-policies`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use certctl::api::{OwnerInput, OwnerQuery, PageQuery, RenewalPolicyInput, TeamInput};

use super::created;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Caller, Json, Query};

pub async fn list_teams(
    State(s): State<AppState>,
    Caller(a): Caller,
    Query(q): Query<PageQuery>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.list_teams(&a, &q).await?))
}
pub async fn get_team(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.get_team(&a, &id.as_str().into()).await?))
}
pub async fn create_team(
    State(s): State<AppState>,
    Caller(a): Caller,
    Json(i): Json<TeamInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(s.svc.create_team(&a, &i).await?))
}
pub async fn update_team(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
    Json(i): Json<TeamInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.update_team(&a, &id.as_str().into(), &i).await?))
}
pub async fn delete_team(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    s.svc.delete_team(&a, &id.as_str().into()).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list_owners(
    State(s): State<AppState>,
    Caller(a): Caller,
    Query(q): Query<OwnerQuery>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.list_owners(&a, &q).await?))
}
pub async fn get_owner(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.get_owner(&a, &id.as_str().into()).await?))
}
pub async fn create_owner(
    State(s): State<AppState>,
    Caller(a): Caller,
    Json(i): Json<OwnerInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(s.svc.create_owner(&a, &i).await?))
}
pub async fn update_owner(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
    Json(i): Json<OwnerInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.update_owner(&a, &id.as_str().into(), &i).await?))
}
pub async fn delete_owner(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    s.svc.delete_owner(&a, &id.as_str().into()).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list_renewal_policies(
    State(s): State<AppState>,
    Caller(a): Caller,
    Query(q): Query<PageQuery>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.list_renewal_policies(&a, &q).await?))
}
pub async fn get_renewal_policy(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.get_renewal_policy(&a, &id.as_str().into()).await?))
}
pub async fn create_renewal_policy(
    State(s): State<AppState>,
    Caller(a): Caller,
    Json(i): Json<RenewalPolicyInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(s.svc.create_renewal_policy(&a, &i).await?))
}
pub async fn update_renewal_policy(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
    Json(i): Json<RenewalPolicyInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.update_renewal_policy(&a, &id.as_str().into(), &i).await?))
}
pub async fn delete_renewal_policy(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    s.svc.delete_renewal_policy(&a, &id.as_str().into()).await?;
    Ok(StatusCode::NO_CONTENT)
}
