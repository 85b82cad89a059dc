//! `GET /events`: a Server-Sent Events stream of audit events as they are committed, filtered
//! to what the caller's role may read. Authenticated like every route (the `Authorization`
//! header, so a fetch-based client never puts the key in a URL or a log line).

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use certctl::model::AuditEvent;
use certctl::service::AuditFeed;
use futures_util::StreamExt;
use futures_util::stream::{self, Stream};
use tokio::sync::broadcast::error::RecvError;

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::Caller;

/// Events replayed at most for a client resuming with `Last-Event-ID`.
const REPLAY_LIMIT: i64 = 1000;

/// The stream: `event: audit`, `id: <seq>`, `data: <AuditEvent JSON>`; `event: lagged` when the
/// client fell behind (it should reload); a comment every 15 s keeps proxies from closing it.
pub async fn stream(
    State(s): State<AppState>,
    Caller(a): Caller,
    headers: HeaderMap,
) -> ApiResult<impl IntoResponse> {
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let (replay, feed) = s.svc.audit_feed(&a, resume, REPLAY_LIMIT).await?;
    let backlog = replay.iter().map(|e| Ok(audit_event(e))).collect::<Vec<_>>();
    Ok(Sse::new(stream::iter(backlog).chain(live(feed)))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)).text("keep-alive")))
}

fn audit_event(ev: &AuditEvent) -> Event {
    Event::default()
        .event("audit")
        .id(ev.seq.to_string())
        .json_data(ev)
        .unwrap_or_else(|_| Event::default().event("lagged").data("{}"))
}

/// The caller's live events as SSE events.
fn live(feed: AuditFeed) -> impl Stream<Item = Result<Event, Infallible>> {
    stream::unfold(feed, |mut feed| async move {
        match feed.recv().await {
            Ok(ev) => Some((Ok(audit_event(&ev)), feed)),
            Err(RecvError::Lagged(n)) => {
                let e = Event::default().event("lagged").data(format!("{{\"missed\":{n}}}"));
                Some((Ok(e), feed))
            }
            Err(RecvError::Closed) => None,
        }
    })
}
