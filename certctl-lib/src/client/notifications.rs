//! `/notifications`: expiry warnings and job failures sent (or to be sent) to owners.

use super::{Client, Result};
use crate::api::query::NotificationQuery;
use crate::model::{Notification, NotificationFilter, Page, PageRequest};

impl Client {
    /// `GET /notifications`.
    pub async fn list_notifications(
        &self,
        filter: &NotificationFilter,
        page: PageRequest,
    ) -> Result<Page<Notification>> {
        self.get_list(self.url(&["notifications"]), &NotificationQuery::new(filter, page)).await
    }

    /// `GET /notifications/{id}`.
    pub async fn get_notification(&self, id: &str) -> Result<Notification> {
        self.get_json(self.url(&["notifications", id])).await
    }

    /// `POST /notifications/{id}/read`: marks it read.
    pub async fn mark_notification_read(&self, id: &str) -> Result<Notification> {
        self.action(self.url(&["notifications", id, "read"])).await
    }

    /// `POST /notifications/{id}/requeue`: its dead deliveries are sent again.
    pub async fn requeue_notification(&self, id: &str) -> Result<Notification> {
        self.action(self.url(&["notifications", id, "requeue"])).await
    }
}
