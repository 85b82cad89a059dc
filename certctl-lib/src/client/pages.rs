//! Walking every page of a list: [`pages`] streams them one at a time (the CLI's `--all` prints
//! each as it arrives), [`list_all`] collects the rows.

use std::future::Future;

use futures_util::{Stream, TryStreamExt};

use super::Result;
use crate::model::{Page, PageRequest};

/// Where the walk stands.
enum State {
    Next(u32),
    Done,
}

/// Streams every page of a list, starting at page 1, `per_page` rows at a time (clamped to the
/// server's maximum). `fetch` is any list call of the client with its filter bound:
///
/// ```no_run
/// # async fn run(client: &certctl::client::Client) -> Result<(), certctl::client::ClientError> {
/// use futures_util::TryStreamExt;
/// use certctl::model::CertificateFilter;
///
/// let filter = CertificateFilter { exclude_archived: true, ..Default::default() };
/// let pages = certctl::client::pages(500, |p| client.list_certificates(&filter, p));
/// let mut pages = std::pin::pin!(pages);
/// while let Some(page) = pages.try_next().await? {
///     for cert in page.data {
///         println!("{} {}", cert.id, cert.common_name);
///     }
/// }
/// # Ok(()) }
/// ```
///
/// The walk ends after the page that reaches `total`, after an empty page, or after the first
/// error (which is yielded). Rows added or removed while walking can shift page boundaries, as
/// with any offset pagination.
pub fn pages<T, F, Fut>(per_page: u32, fetch: F) -> impl Stream<Item = Result<Page<T>>>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Result<Page<T>>>,
{
    futures_util::stream::try_unfold(
        (State::Next(1), fetch),
        move |(state, mut fetch)| async move {
            let State::Next(n) = state else { return Ok(None) };
            let page = fetch(PageRequest::new(n, per_page)).await?;
            let seen = i64::from(page.page.saturating_sub(1)) * i64::from(page.per_page)
                + page.data.len() as i64;
            let next = if page.data.is_empty() || seen >= page.total || n == u32::MAX {
                State::Done
            } else {
                State::Next(n + 1)
            };
            Ok(Some((page, (next, fetch))))
        },
    )
}

/// Streams every page of a list that takes a keyset cursor (`GET /certificates?after=`): each
/// page is asked for after `key` of the previous page's last row, so the server's cost per page
/// stays flat however deep the walk goes (offset pages cost more the further they are).
///
/// The walk ends after the page that reaches `total` rows in all, after a short or empty page,
/// or after the first error (which is yielded). Rows added behind the cursor while walking are
/// not seen; none is seen twice.
pub fn pages_after<T, K, F, Fut>(
    per_page: u32,
    key: K,
    fetch: F,
) -> impl Stream<Item = Result<Page<T>>>
where
    K: Fn(&T) -> String,
    F: FnMut(PageRequest, Option<String>) -> Fut,
    Fut: Future<Output = Result<Page<T>>>,
{
    let req = PageRequest::new(1, per_page);
    futures_util::stream::try_unfold(
        (Some(None::<String>), 0i64, fetch, key),
        move |(cursor, seen, mut fetch, key)| async move {
            let Some(after) = cursor else { return Ok(None) };
            let page = fetch(req, after).await?;
            let seen = seen + page.data.len() as i64;
            let next = match page.data.last() {
                Some(last) if page.data.len() as u32 >= req.per_page && seen < page.total => {
                    Some(Some(key(last)))
                }
                _ => None,
            };
            Ok(Some((page, (next, seen, fetch, key))))
        },
    )
}

/// Every row of a list, fetched `per_page` at a time (see [`pages`]).
pub async fn list_all<T, F, Fut>(per_page: u32, fetch: F) -> Result<Vec<T>>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Result<Page<T>>>,
{
    pages(per_page, fetch)
        .try_fold(Vec::new(), |mut all, page| async move {
            all.extend(page.data);
            Ok(all)
        })
        .await
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::client::ClientError;

    /// A fake list of `n` numbers served like the server does.
    async fn serve(n: i64, req: PageRequest) -> Result<Page<i64>> {
        let data = (req.offset()..(req.offset() + req.limit()).min(n)).collect();
        Ok(Page::new(data, n, req))
    }

    #[tokio::test]
    async fn walks_every_page_then_stops() {
        let asked = RefCell::new(Vec::new());
        let rows = list_all(3, |p| {
            asked.borrow_mut().push(p.page);
            serve(7, p)
        })
        .await
        .unwrap();
        assert_eq!(rows, (0..7).collect::<Vec<_>>());
        assert_eq!(*asked.borrow(), [1, 2, 3]);

        asked.borrow_mut().clear();
        let rows = list_all(5, |p| {
            asked.borrow_mut().push(p.page);
            serve(10, p)
        })
        .await
        .unwrap();
        assert_eq!(rows.len(), 10);
        assert_eq!(*asked.borrow(), [1, 2], "no request past the total");

        assert!(list_all(5, |p| serve(0, p)).await.unwrap().is_empty());
    }

    /// A fake keyset list of `n` numbers: rows after the cursor.
    async fn serve_after(n: i64, req: PageRequest, after: Option<String>) -> Result<Page<i64>> {
        let start = after.map_or(0, |a| a.parse::<i64>().unwrap() + 1);
        let data = (start..(start + req.limit()).min(n)).collect();
        Ok(Page::new(data, n, req))
    }

    #[tokio::test]
    async fn keyset_walk_follows_the_last_row() {
        let asked = RefCell::new(Vec::new());
        let walk = pages_after(
            3,
            |r: &i64| r.to_string(),
            |p, after| {
                asked.borrow_mut().push(after.clone());
                serve_after(7, p, after)
            },
        );
        let rows: Vec<i64> = walk.map_ok(|p| p.data).try_concat().await.unwrap();
        assert_eq!(rows, (0..7).collect::<Vec<_>>());
        assert_eq!(*asked.borrow(), [None, Some("2".to_owned()), Some("5".to_owned())]);

        asked.borrow_mut().clear();
        let walk = pages_after(
            3,
            |r: &i64| r.to_string(),
            |p, after| {
                asked.borrow_mut().push(after.clone());
                serve_after(6, p, after)
            },
        );
        assert_eq!(walk.map_ok(|p| p.data.len()).try_collect::<Vec<_>>().await.unwrap(), [3, 3]);
        assert_eq!(asked.borrow().len(), 2, "no request past the total");
    }

    #[tokio::test]
    async fn stops_on_empty_page_and_on_error() {
        // A total larger than what is served (rows deleted meanwhile) ends at the empty page.
        let rows = list_all(2, |p| async move {
            let mut page = serve(3, p).await?;
            page.total = 100;
            Ok(page)
        })
        .await
        .unwrap();
        assert_eq!(rows.len(), 3);

        let err = list_all(2, |p| async move {
            if p.page == 2 {
                return Err(ClientError::Timeout);
            }
            serve(10, p).await
        })
        .await;
        assert_eq!(err, Err(ClientError::Timeout));
    }
}
