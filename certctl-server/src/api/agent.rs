//! The agent-facing endpoints: work, CSR submission, job reports. The service accepts only the
//! agent's own key for each (`Access::Agent`).

use axum::extract::{Path, State};
use axum::response::IntoResponse;
use certctl::api::{CsrSubmission, JobReport};
use certctl::model::{AgentId, JobId};

use super::list_of;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Caller, Json};

pub async fn work(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(list_of(s.svc.agent_work(&a, &AgentId::from(id.as_str())).await?)))
}

pub async fn csr(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
    Json(body): Json<CsrSubmission>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.submit_csr(&a, &AgentId::from(id.as_str()), &body).await?))
}

pub async fn report(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path((id, job)): Path<(String, String)>,
    Json(body): Json<JobReport>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(
        s.svc
            .report_job(&a, &AgentId::from(id.as_str()), &JobId::from(job.as_str()), &body)
            .await?,
    ))
}
