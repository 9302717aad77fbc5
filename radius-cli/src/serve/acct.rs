//! The Accounting-Request handler of `radius serve`: forwarded when the
//! proxy routes it, otherwise stored (SQLite or PostgreSQL) and answered
//! only once the record is durable.

use std::sync::Arc;

use radius_server::{
    radius_handler, AccountingRequest, AccountingResponse, Reply, Request, Shared,
};

use super::{proxy, reload, App};

/// Accounting-Request: answered only once its record is durable.
#[radius_handler]
pub(super) async fn accounting(req: AccountingRequest, live: Shared<Arc<reload::Live>>) -> Reply {
    let app = live.current();
    if let Some(r) = &app.proxy {
        if let proxy::Routed::Reply(reply) = r.handle(&req).await {
            return reply;
        }
    }
    match store_accounting(&req, &app).await {
        Ok(r) => r.into(),
        Err(e) => Reply::Error(e),
    }
}

/// Store one accounting record; the Accounting-Response goes out only once
/// it is committed.
async fn store_accounting(
    req: &Request,
    app: &App,
) -> Result<AccountingResponse, radius_server::HandlerError> {
    app.store
        .write(req, &app.dict)
        .await
        .map_err(radius_server::HandlerError::new)?;
    Ok(AccountingResponse::new())
}
