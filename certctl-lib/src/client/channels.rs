//! `/notification-channels`: where alerts go (email, webhook, Slack, Teams). Secrets are
//! write-only: responses show `<key>_set: true` in their place.

use super::{Client, Result};
use crate::api::query::PageQuery;
use crate::api::{ChannelInput, TestResult};
use crate::model::{NotificationChannel, Page, PageRequest};

impl Client {
    /// `GET /notification-channels`.
    pub async fn list_channels(&self, page: PageRequest) -> Result<Page<NotificationChannel>> {
        self.get_list(self.url(&["notification-channels"]), &PageQuery::from(page)).await
    }

    /// `GET /notification-channels/{id}`.
    pub async fn get_channel(&self, id: &str) -> Result<NotificationChannel> {
        self.get_json(self.url(&["notification-channels", id])).await
    }

    /// `POST /notification-channels`.
    pub async fn create_channel(&self, input: &ChannelInput) -> Result<NotificationChannel> {
        self.post(self.url(&["notification-channels"]), input).await
    }

    /// `PUT /notification-channels/{id}`: absent fields keep their value, as do secrets left
    /// out of a new config.
    pub async fn update_channel(
        &self,
        id: &str,
        input: &ChannelInput,
    ) -> Result<NotificationChannel> {
        self.put(self.url(&["notification-channels", id]), input).await
    }

    /// `DELETE /notification-channels/{id}`.
    pub async fn delete_channel(&self, id: &str) -> Result<()> {
        self.delete(self.url(&["notification-channels", id])).await
    }

    /// `POST /notification-channels/{id}/test`: sends a test message (a failed send is
    /// `ok: false` with the reason, not an error).
    pub async fn test_channel(&self, id: &str) -> Result<TestResult> {
        self.action(self.url(&["notification-channels", id, "test"])).await
    }
}
