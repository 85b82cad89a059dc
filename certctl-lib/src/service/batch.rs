//! Group commit shared by the service's writer tasks (heartbeats, issuances): take what has
//! queued up in one go, and end by flushing the queue when the service shuts down.

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// The next batch: waits for one item, then takes whatever else has queued, up to `max` items
/// (never waits for more). After `stop` is cancelled the queue is closed (new items are refused)
/// and what it still holds keeps coming in batches; `None` once it is empty.
pub(super) async fn next<T>(
    rx: &mut mpsc::Receiver<T>,
    stop: &CancellationToken,
    max: usize,
) -> Option<Vec<T>> {
    if stop.is_cancelled() {
        rx.close();
    }
    let first = tokio::select! {
        biased;
        first = rx.recv() => first?,
        () = stop.cancelled() => {
            rx.close();
            rx.recv().await?
        }
    };
    let mut batch = vec![first];
    while batch.len() < max {
        match rx.try_recv() {
            Ok(p) => batch.push(p),
            Err(_) => break,
        }
    }
    Some(batch)
}

#[cfg(test)]
mod tests {
    use tokio::sync::mpsc;
    use tokio_util::sync::CancellationToken;

    #[tokio::test]
    async fn batches_what_queued_and_flushes_after_stop() {
        let (tx, mut rx) = mpsc::channel(16);
        let stop = CancellationToken::new();
        for i in 0..5 {
            tx.send(i).await.unwrap();
        }
        assert_eq!(super::next(&mut rx, &stop, 3).await, Some(vec![0, 1, 2]));
        stop.cancel();
        // queued items still come out; new ones are refused; then the end
        assert_eq!(super::next(&mut rx, &stop, 3).await, Some(vec![3, 4]));
        assert!(tx.send(9).await.is_err());
        assert_eq!(super::next(&mut rx, &stop, 3).await, None);
    }
}
