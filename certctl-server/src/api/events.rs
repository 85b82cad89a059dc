//! `GET /events`: a Server-Sent Events stream of audit events as they are committed, filtered
//! to what the caller's role may read. Authenticated like every route (the `Authorization`
//! header, so a fetch-based client never puts the key in a URL or a log line).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use certctl::model::AuditEvent;
use certctl::service::{Actor, visible_to};
use futures_util::StreamExt;
use futures_util::stream::{self, Stream};
use tokio::sync::broadcast::Receiver;
use tokio::sync::broadcast::error::RecvError;

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::Reader;

/// Events replayed at most for a client resuming with `Last-Event-ID`.
const REPLAY_LIMIT: i64 = 1000;

/// The stream: `event: audit`, `id: <seq>`, `data: <AuditEvent JSON>`; `event: lagged` when the
/// client fell behind (it should reload); a comment every 15 s keeps proxies from closing it.
pub async fn stream(
    State(s): State<AppState>,
    Reader(actor): Reader,
    headers: HeaderMap,
) -> ApiResult<impl IntoResponse> {
    let rx = s.svc.subscribe_audit().await?;
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let replay = match resume {
        Some(seq) if seq >= 0 => s.svc.audit_after(seq, REPLAY_LIMIT).await?,
        _ => Vec::new(),
    };
    let last = replay.last().map(|e| e.seq);
    let backlog = replay
        .into_iter()
        .filter(|e| visible_to(&actor, e))
        .map(|e| Ok(audit_event(&e)))
        .collect::<Vec<_>>();
    let live = live(rx, actor, last);
    Ok(Sse::new(stream::iter(backlog).chain(live))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)).text("keep-alive")))
}

fn audit_event(ev: &AuditEvent) -> Event {
    Event::default()
        .event("audit")
        .id(ev.seq.to_string())
        .json_data(ev)
        .unwrap_or_else(|_| Event::default().event("lagged").data("{}"))
}

/// Live events after `skip_through` (already replayed), filtered for `actor`.
fn live(
    rx: Receiver<Arc<AuditEvent>>,
    actor: Actor,
    skip_through: Option<i64>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    stream::unfold((rx, actor, skip_through), |(mut rx, actor, skip)| async move {
        loop {
            match rx.recv().await {
                Ok(ev) => {
                    if skip.is_some_and(|s| ev.seq <= s) || !visible_to(&actor, &ev) {
                        continue;
                    }
                    return Some((Ok(audit_event(&ev)), (rx, actor, skip)));
                }
                Err(RecvError::Lagged(n)) => {
                    let e = Event::default().event("lagged").data(format!("{{\"missed\":{n}}}"));
                    return Some((Ok(e), (rx, actor, skip)));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    })
}
