//! The CoA-Request and Disconnect-Request handlers of `radius serve`:
//! routed to the NAS when the proxy knows it, otherwise acknowledged for a
//! session the accounting database has as active (RFC 5176 Error-Cause
//! 503, Session Context Not Found, for the rest).

use std::sync::Arc;

use radius_server::{
    radius_handler, Client, CoaAck, CoaNak, CoaRequest, DisconnectAck, DisconnectNak,
    DisconnectRequest, Reply, Request, Shared,
};
use typed_radius::dict::prelude::*;

use super::{reload, App};

async fn session_known(app: &App, session: Option<&str>) -> bool {
    match session {
        Some(s) => app.store.session_active(s).await,
        None => false,
    }
}

/// A CoA or Disconnect the proxy routes to a NAS ([`proxy::Routes::coa`]).
async fn forwarded_to_nas(req: &Request, app: &App) -> Option<Reply> {
    app.proxy.as_ref()?.coa(req).await
}

/// CoA-Request: forwarded to its NAS when the proxy has a route for it;
/// otherwise ACK for a session the accounting database has as active.
#[radius_handler]
pub(super) async fn coa(
    req: CoaRequest,
    session: Option<AcctSessionId>,
    client: Client,
    live: Shared<Arc<reload::Live>>,
) -> Reply {
    let app = live.current();
    if let Some(reply) = forwarded_to_nas(&req, &app).await {
        return reply;
    }
    if session_known(&app, session.as_ref().map(|s| s.as_str())).await {
        tracing::info!(client = client.name(), "CoA acknowledged");
        CoaAck::new().into()
    } else {
        CoaNak::new()
            .error_cause(ErrorCauseValue::SessionContextNotFound)
            .into()
    }
}

/// Disconnect-Request: ACK for a session the accounting database has as active.
#[radius_handler]
pub(super) async fn disconnect(
    req: DisconnectRequest,
    session: Option<AcctSessionId>,
    client: Client,
    live: Shared<Arc<reload::Live>>,
) -> Reply {
    let app = live.current();
    if let Some(reply) = forwarded_to_nas(&req, &app).await {
        return reply;
    }
    if session_known(&app, session.as_ref().map(|s| s.as_str())).await {
        tracing::info!(client = client.name(), "Disconnect acknowledged");
        DisconnectAck::new().into()
    } else {
        DisconnectNak::new()
            .error_cause(ErrorCauseValue::SessionContextNotFound)
            .into()
    }
}
