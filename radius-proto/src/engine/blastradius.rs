//! The BlastRADIUS rules for an Access-Request (FreeRADIUS 3.2.5's
//! `require_message_authenticator` and `limit_proxy_state`, and RFC 3579's
//! EAP rule), and how their drops are logged: the first drop by a rule from
//! a NAS (per client entry and NAS address) at warn, naming the client, the
//! NAS, what was dropped and the fix; later ones at debug. All are counted.
//! The warn lines still pass the log limiter (forged source addresses
//! cannot flood the log); one held back comes at that NAS's next drop.

use radius_core::Packet;

use super::{Ctx, Engine, Event, EAP_MESSAGE, PROXY_STATE};
use crate::host::{BlastRule, Policy};
use crate::stats::DropReason;

const VULNERABLE: &str = "which leaves it vulnerable to BlastRADIUS (CVE-2024-3596)";

impl BlastRule {
    fn reason(self) -> DropReason {
        match self {
            BlastRule::RequireMessageAuthenticator | BlastRule::EapWithoutMessageAuthenticator => {
                DropReason::MissingMessageAuthenticator
            }
            BlastRule::ProxyState => DropReason::ProxyStateWithoutMessageAuthenticator,
        }
    }

    /// What was dropped, under the client's `policy` for the rule.
    fn what(self, policy: Policy) -> String {
        let p = if policy == Policy::Auto {
            "auto"
        } else {
            "yes"
        };
        match self {
            BlastRule::RequireMessageAuthenticator => format!(
                "Access-Request without Message-Authenticator (require_message_authenticator = {p})"
            ),
            BlastRule::EapWithoutMessageAuthenticator => {
                "Access-Request with EAP-Message but no Message-Authenticator (RFC 3579)".into()
            }
            BlastRule::ProxyState => format!(
                "Access-Request with Proxy-State but no Message-Authenticator (limit_proxy_state = {p})"
            ),
        }
    }

    /// What to do about it.
    fn fix(self, policy: Policy) -> String {
        match (self, policy) {
            (BlastRule::RequireMessageAuthenticator, Policy::Auto) => format!(
                "this NAS has sent Message-Authenticator before, so auto requires it from this NAS \
                 from then on; the NAS must send Message-Authenticator in every Access-Request \
                 (upgrade it, or check whether another device now uses its address), or set \
                 require_message_authenticator = no for this client, {VULNERABLE}"
            ),
            (BlastRule::RequireMessageAuthenticator, _) => format!(
                "the NAS must send Message-Authenticator in every Access-Request (upgrade it), \
                 or set require_message_authenticator = no for this client, {VULNERABLE}"
            ),
            (BlastRule::EapWithoutMessageAuthenticator, _) => {
                "EAP-Message always needs Message-Authenticator and no setting turns this off; \
                 the NAS must send Message-Authenticator with EAP (upgrade it or fix its \
                 configuration)"
                    .into()
            }
            (BlastRule::ProxyState, Policy::Auto) => format!(
                "this NAS's first Access-Request had no Proxy-State, so auto drops Proxy-State \
                 without Message-Authenticator from this NAS from then on; the proxy must send \
                 Message-Authenticator in every Access-Request (upgrade it), or set \
                 limit_proxy_state = no for this client, {VULNERABLE}"
            ),
            (BlastRule::ProxyState, _) => format!(
                "the proxy must send Message-Authenticator in every Access-Request (upgrade it), \
                 or set limit_proxy_state = no for this client, {VULNERABLE}"
            ),
        }
    }
}

impl Engine {
    /// The BlastRADIUS rules for an Access-Request: `Some` drop event when
    /// the request breaks one.
    pub(super) fn blastradius(
        &self,
        packet: &Packet<'_>,
        has_ma: bool,
        cx: Ctx<'_>,
    ) -> Option<Event> {
        let client = cx.client;
        if has_ma {
            client.saw_message_authenticator(cx.src.ip());
            // Settle limit_proxy_state = auto on this (first) packet too.
            client.limits_proxy_state(cx.src.ip(), false);
            return None;
        }
        if client.requires_message_authenticator(cx.src.ip()) {
            return Some(self.blast_drop(BlastRule::RequireMessageAuthenticator, cx));
        }
        let mut has_eap = false;
        let mut has_ps = false;
        for a in packet.attributes() {
            has_eap |= a.typ == EAP_MESSAGE;
            has_ps |= a.typ == PROXY_STATE;
        }
        if has_eap {
            return Some(self.blast_drop(BlastRule::EapWithoutMessageAuthenticator, cx));
        }
        if client.limits_proxy_state(cx.src.ip(), has_ps) && has_ps {
            return Some(self.blast_drop(BlastRule::ProxyState, cx));
        }
        None
    }

    /// Count a drop by `rule`; log it at warn with the fix if it is the
    /// first from this NAS (and the limiter lets it), else at debug.
    fn blast_drop(&self, rule: BlastRule, cx: Ctx<'_>) -> Event {
        let r = rule.reason();
        self.stats.count_drop(r);
        let client = cx.client;
        let nas = cx.src.ip();
        let config = client.config();
        let policy = match rule {
            BlastRule::RequireMessageAuthenticator => config.require_message_authenticator,
            BlastRule::EapWithoutMessageAuthenticator => Policy::Yes,
            BlastRule::ProxyState => config.limit_proxy_state,
        };
        if !client.blast_drop_warned(nas, rule) {
            if let Some(suppressed) = self.limiter.allow(r, cx.now) {
                if client.mark_blast_drop_warned(nas, rule) {
                    tracing::warn!(
                        client = client.name(),
                        %nas,
                        src = %cx.src,
                        reason = r.as_str(),
                        suppressed,
                        "dropped {}: {}; further drops of this kind from this NAS are logged \
                         at debug level only",
                        rule.what(policy),
                        rule.fix(policy),
                    );
                    return Event::Drop(r);
                }
            }
        }
        tracing::debug!(
            client = client.name(),
            src = %cx.src,
            reason = r.as_str(),
            "dropped packet: {}",
            rule.what(policy)
        );
        Event::Drop(r)
    }
}

#[cfg(test)]
mod tests;
