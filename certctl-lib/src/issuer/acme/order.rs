//! One ACME order: placed (or resumed from its stored URL), authorized (HTTP-01 through the
//! host's responder, DNS-01 records added and remembered in the order's state), finalized, and
//! its chain fetched. Challenges are withdrawn as soon as every authorization is final.

use std::collections::HashSet;
use std::time::Duration;

use async_trait::async_trait;
use instant_acme::{
    Account, AuthorizationStatus, ChallengeStatus, ChallengeType, Identifier, NewOrder, Order,
};

use super::{AcmeConfig, AcmeHttp, Challenge, DnsHooks, DnsUpdater, Http01Mode, RetryAfter};
use super::{classify, describe_problem, dns};
use crate::error::Result;
use crate::issuer::{
    Http01Token, OrderFailure, OrderHost, OrderState, OrderStatus, OrderStore, PendingOrder,
};
use crate::net::AddressPolicy;

/// A challenge to set up.
struct Todo {
    http01: Http01Token,
    dns_value: String,
}

/// An order in flight and what is needed to drive it.
pub(super) struct AcmeOrder {
    order: Order,
    cfg: AcmeConfig,
    retry_after: RetryAfter,
    host: OrderHost,
    state: OrderState,
    dns_hooks: DnsHooks,
    outbound: AddressPolicy,
    authorized: bool,
    released: bool,
}

impl AcmeOrder {
    /// Resumes the stored order unless the CA marked it invalid (or forgot it), else places a
    /// new one for `names` and stores its URL.
    pub(super) async fn start(
        account: &Account,
        http: &AcmeHttp,
        cfg: AcmeConfig,
        (dns_hooks, outbound): (DnsHooks, AddressPolicy),
        names: &[String],
        host: OrderHost,
    ) -> std::result::Result<Self, OrderFailure> {
        let retry_after = http.retry_after();
        let err = |e: instant_acme::Error| classify(&e, retry_after.take());
        let mut state = host
            .orders
            .load()
            .await?
            .ok_or_else(|| OrderFailure::permanent("the order record is gone"))?;
        let mut order: Option<Order> = None;
        if let Some(url) = state.url.clone() {
            match account.order(url).await {
                Ok(mut o) => {
                    if o.state().status != instant_acme::OrderStatus::Invalid {
                        order = Some(o);
                    }
                }
                Err(e) => {
                    let f = err(e);
                    if f.transient {
                        return Err(f);
                    }
                }
            }
        }
        let order = match order {
            Some(o) => o,
            None => {
                let ids = identifiers(names);
                let o = account.new_order(&NewOrder::new(&ids)).await.map_err(err)?;
                state.url = Some(o.url().to_owned());
                state.progress = serde_json::json!({});
                host.orders.save(&state).await?;
                tracing::info!(order = o.url(), "ACME order created");
                o
            }
        };
        Ok(Self {
            order,
            cfg,
            retry_after,
            host,
            state,
            dns_hooks,
            outbound,
            authorized: false,
            released: false,
        })
    }

    fn err(&self, e: instant_acme::Error) -> OrderFailure {
        classify(&e, self.retry_after.take())
    }

    fn dns_updater(&self) -> Result<DnsUpdater> {
        super::dns_updater(&self.cfg, &self.dns_hooks, &self.outbound, &*self.host.accounts)
    }

    /// Sets up a response for every pending authorization and tells the CA to validate.
    async fn authorize(&mut self) -> std::result::Result<(), OrderFailure> {
        let ctype = if self.cfg.challenge == Challenge::Dns01 {
            ChallengeType::Dns01
        } else {
            ChallengeType::Http01
        };
        let mut todo = Vec::new();
        {
            let mut auths = self.order.authorizations();
            while let Some(a) = auths.next().await {
                let mut a = a.map_err(|e| classify(&e, self.retry_after.take()))?;
                let identifier = a.identifier().to_string();
                match a.status {
                    AuthorizationStatus::Valid => continue,
                    AuthorizationStatus::Pending => {}
                    s => {
                        return Err(OrderFailure::permanent(format!(
                            "the authorization for {identifier} is {s:?}"
                        )));
                    }
                }
                let Some(ch) = a.challenge(ctype.clone()) else {
                    return Err(OrderFailure::permanent(format!(
                        "the CA offers no {ctype:?} challenge for {identifier}"
                    )));
                };
                if ch.status != ChallengeStatus::Pending {
                    continue;
                }
                let ka = ch.key_authorization();
                todo.push(Todo {
                    http01: Http01Token {
                        token: ch.token.clone(),
                        key_authorization: ka.as_str().to_owned(),
                        identifier,
                    },
                    dns_value: ka.dns_value(),
                });
            }
        }
        if todo.is_empty() {
            return Ok(());
        }
        match self.cfg.challenge {
            Challenge::Http01 => {
                let tokens: Vec<Http01Token> = todo.iter().map(|t| t.http01.clone()).collect();
                let by_agent = self.cfg.http01_mode == Http01Mode::Agent;
                self.host.http01.serve(&tokens, by_agent).await?;
            }
            Challenge::Dns01 => {
                let dns = self.dns_updater()?;
                let mut added = dns_added(&self.state);
                for t in &todo {
                    let rec = (dns::record_name(&t.http01.identifier), t.dns_value.clone());
                    if added.contains(&rec) {
                        continue;
                    }
                    dns.add(&rec.0, &rec.1).await?;
                    added.push(rec);
                    set_dns_added(&mut self.state, &added);
                    self.host.orders.save(&self.state).await?;
                }
                let wait = Duration::from_secs(self.cfg.dns_propagation_seconds);
                dns.propagate(&added, wait).await?;
            }
        }
        let mut auths = self.order.authorizations();
        while let Some(a) = auths.next().await {
            let mut a = a.map_err(|e| classify(&e, self.retry_after.take()))?;
            if a.status != AuthorizationStatus::Pending {
                continue;
            }
            if let Some(mut ch) = a.challenge(ctype.clone())
                && ch.status == ChallengeStatus::Pending
                && todo.iter().any(|t| t.http01.token == ch.token)
            {
                ch.set_ready().await.map_err(|e| classify(&e, self.retry_after.take()))?;
            }
        }
        Ok(())
    }

    /// Every authorization is final: HTTP-01 tokens and DNS records go now.
    async fn release(&mut self, validated: bool) {
        self.host.http01.withdraw(validated).await;
        let added = dns_added(&self.state);
        if added.is_empty() {
            return;
        }
        match self.dns_updater() {
            Ok(dns) => remove_dns(&dns, &added, &mut self.state, &*self.host.orders).await,
            Err(e) => tracing::warn!(order = ?self.state.url, "DNS-01 cleanup: {e}"),
        }
    }
}

#[async_trait]
impl PendingOrder for AcmeOrder {
    async fn poll(&mut self) -> std::result::Result<OrderStatus, OrderFailure> {
        use instant_acme::OrderStatus as S;
        let status = self.order.state().status;
        if status != S::Pending && self.authorized && !self.released {
            self.release(status != S::Invalid).await;
            self.released = true;
        }
        Ok(match status {
            S::Pending if !self.authorized => {
                self.authorize().await?;
                self.authorized = true;
                OrderStatus::Authorizing
            }
            S::Pending => OrderStatus::Pending,
            S::Ready => OrderStatus::Ready,
            S::Processing => OrderStatus::Processing,
            S::Valid => OrderStatus::Valid,
            S::Invalid => return Err(invalid_reason(&mut self.order).await),
        })
    }

    async fn finalize(&mut self, csr_der: &[u8]) -> std::result::Result<(), OrderFailure> {
        let r = self.order.finalize_csr(csr_der).await;
        r.map_err(|e| self.err(e))
    }

    async fn chain(&mut self) -> std::result::Result<Option<String>, OrderFailure> {
        let r = self.order.certificate().await;
        r.map_err(|e| self.err(e))
    }

    async fn refresh(&mut self) -> std::result::Result<(), OrderFailure> {
        let r = self.order.refresh().await.map(drop);
        r.map_err(|e| self.err(e))
    }
}

/// The DNS records (name, value) the order added and has not removed yet.
pub(super) fn dns_added(state: &OrderState) -> Vec<(String, String)> {
    serde_json::from_value(state.progress.get("dns").cloned().unwrap_or_default())
        .unwrap_or_default()
}

fn set_dns_added(state: &mut OrderState, added: &[(String, String)]) {
    match state.progress.as_object_mut() {
        Some(o) => {
            o.insert("dns".into(), serde_json::json!(added));
        }
        None => state.progress = serde_json::json!({ "dns": added }),
    }
}

/// Removes the records the order added (failures logged), then forgets them.
pub(super) async fn remove_dns(
    dns: &DnsUpdater,
    added: &[(String, String)],
    state: &mut OrderState,
    orders: &dyn OrderStore,
) {
    for (name, value) in added {
        if let Err(e) = dns.remove(name, value).await {
            tracing::warn!(order = ?state.url, "DNS-01 cleanup: {e}");
        }
    }
    set_dns_added(state, &[]);
    let _ = orders.save(state).await;
}

/// The order's identifiers: CN + SANs, IP addresses as IP identifiers.
fn identifiers(names: &[String]) -> Vec<Identifier> {
    let mut seen = HashSet::new();
    names
        .iter()
        .map(|n| n.to_ascii_lowercase())
        .filter(|n| seen.insert(n.clone()))
        .map(|n| match n.parse::<std::net::IpAddr>() {
            Ok(ip) => Identifier::Ip(ip),
            Err(_) => Identifier::Dns(n),
        })
        .collect()
}

/// Why an order is invalid: the failed challenge's problem, else the order's.
async fn invalid_reason(order: &mut Order) -> OrderFailure {
    let order_error = order.state().error.clone();
    let mut auths = order.authorizations();
    while let Some(Ok(mut a)) = auths.next().await {
        if a.refresh().await.is_err() {
            continue;
        }
        let identifier = a.identifier().to_string();
        if let Some(p) = a.challenges.iter().find_map(|c| c.error.clone()) {
            return OrderFailure::permanent(format!("{identifier}: {}", describe_problem(&p)));
        }
    }
    match order_error {
        Some(p) => OrderFailure::permanent(describe_problem(&p)),
        None => OrderFailure::permanent("the CA marked the order invalid without saying why"),
    }
}
