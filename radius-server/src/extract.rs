//! Extractors: what a handler parameter can be.
//!
//! | parameter type | gets | when it cannot |
//! | --- | --- | --- |
//! | [`Request`] | the untyped request | — |
//! | [`AccessRequest`], [`AccountingRequest`], [`CoaRequest`], [`DisconnectRequest`] | the request, typed by code | negative reply |
//! | `T` (a generated attribute type) | the first `T`, decoded (passwords in clear) | missing or malformed: negative reply (Error-Cause 402/407) |
//! | `Option<T>` | the first `T` if present | malformed: negative reply |
//! | `Vec<T>` | every `T`, in order | one malformed: negative reply |
//! | [`Client`] | the host-table entry | — |
//! | [`Shared<S>`] | a clone of the server's shared state | — |
//! | [`Transport`] | peer address, listener, protocol | — |
//!
//! The negative reply is Access-Reject for Access-Request, no reply for
//! Accounting-Request (RFC 2866), CoA-NAK / Disconnect-NAK with Error-Cause for
//! RFC 5176 requests; a log line says which attribute and why.
//!
//! Attribute types are the generated `Attr<D>` / `Tagged<D>` aliases of
//! radius-core. Implement [`FromRequest`] for your own extractors.

use std::ops::{Deref, DerefMut};

use radius_core::typed::{Attr, AttrDef, Attribute, Tagged};

use crate::host::Client;
use crate::reply::HandlerError;
use crate::request::{
    AccessRequest, AccountingRequest, CoaRequest, DisconnectRequest, Request, Transport,
};

/// A value a handler parameter can be built from: see the [module docs](self).
/// `S` is the server's shared state type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a RADIUS extractor and cannot be a #[radius_handler] parameter",
    label = "not an extractor",
    note = "parameters must be extractors: Request, AccessRequest, AccountingRequest, CoaRequest, DisconnectRequest, an attribute type T, Option<T>, Vec<T>, Client, Shared<S> or Transport"
)]
pub trait FromRequest<S>: Sized {
    /// Build from the request; an error becomes the negative reply.
    fn from_request(req: &Request, state: &S) -> Result<Self, HandlerError>;
}

impl<S> FromRequest<S> for Request {
    fn from_request(req: &Request, _: &S) -> Result<Self, HandlerError> {
        Ok(req.clone())
    }
}

macro_rules! typed_extractors {
    ($($name:ident),*) => {$(
        impl<S> FromRequest<S> for $name {
            fn from_request(req: &Request, _: &S) -> Result<Self, HandlerError> {
                $name::try_from_request(req.clone()).map_err(|r| {
                    HandlerError::new(format_args!(
                        "handler expects {} but got {}", $name::CODE, r.code()
                    ))
                    .with_error_cause(radius_dict::prelude::ErrorCauseValue::InvalidRequest)
                })
            }
        }
    )*};
}
typed_extractors!(
    AccessRequest,
    AccountingRequest,
    CoaRequest,
    DisconnectRequest
);

macro_rules! attribute_extractors {
    ($($w:ident),*) => {$(
        impl<S, D: AttrDef> FromRequest<S> for $w<D> {
            fn from_request(req: &Request, _: &S) -> Result<Self, HandlerError> {
                match req.get::<$w<D>>() {
                    Some(Ok(a)) => Ok(a),
                    Some(Err(e)) => Err(HandlerError::invalid_attribute(D::INFO.name, e)),
                    None => Err(HandlerError::missing_attribute(D::INFO.name)),
                }
            }
        }

        impl<S, D: AttrDef> FromRequest<S> for Option<$w<D>> {
            fn from_request(req: &Request, _: &S) -> Result<Self, HandlerError> {
                extract_option(req)
            }
        }

        impl<S, D: AttrDef> FromRequest<S> for Vec<$w<D>> {
            fn from_request(req: &Request, _: &S) -> Result<Self, HandlerError> {
                extract_vec(req)
            }
        }
    )*};
}
attribute_extractors!(Attr, Tagged);

/// The `Option<T>` extractor: `None` when absent, an error when malformed.
pub fn extract_option<A: Attribute>(req: &Request) -> Result<Option<A>, HandlerError> {
    match req.get::<A>() {
        Some(Ok(a)) => Ok(Some(a)),
        Some(Err(e)) => Err(HandlerError::invalid_attribute(A::INFO.name, e)),
        None => Ok(None),
    }
}

/// The `Vec<T>` extractor: every `T`, an error if one is malformed.
pub fn extract_vec<A: Attribute>(req: &Request) -> Result<Vec<A>, HandlerError> {
    req.get_all::<A>()
        .into_iter()
        .map(|r| r.map_err(|e| HandlerError::invalid_attribute(A::INFO.name, e)))
        .collect()
}

impl<S> FromRequest<S> for Client {
    fn from_request(req: &Request, _: &S) -> Result<Self, HandlerError> {
        Ok(req.client().clone())
    }
}

impl<S> FromRequest<S> for Transport {
    fn from_request(req: &Request, _: &S) -> Result<Self, HandlerError> {
        Ok(Transport {
            peer: req.source(),
            port: req.port_kind(),
            protocol: req.protocol(),
        })
    }
}

/// The server's shared state, given to [`Server::with_state`](crate::Server::with_state)
/// (or [`Builder::state`](crate::Builder::state)) and cloned for each
/// request: wrap large or mutable state in an `Arc`.
///
/// A handler with a `Shared<S>` parameter serves a server whose state type
/// is `S`. (Named `Shared`, not `State`, because `State` is the RFC 2865
/// attribute.)
///
/// ```
/// use std::sync::Arc;
/// use radius_server::{radius_handler, AccessAccept, Server, Shared};
///
/// #[derive(Clone, Default)]
/// struct App {
///     users: Arc<Vec<String>>,
/// }
///
/// #[radius_handler]
/// async fn auth(app: Shared<App>) -> AccessAccept {
///     let _known = app.users.len(); // Deref to App
///     AccessAccept::new()
/// }
///
/// let _builder = Server::with_state(App::default()).auth(auth);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Shared<S>(pub S);

impl<S> Deref for Shared<S> {
    type Target = S;
    fn deref(&self) -> &S {
        &self.0
    }
}

impl<S> DerefMut for Shared<S> {
    fn deref_mut(&mut self) -> &mut S {
        &mut self.0
    }
}

impl<S: Clone> FromRequest<S> for Shared<S> {
    fn from_request(_: &Request, state: &S) -> Result<Self, HandlerError> {
        Ok(Shared(state.clone()))
    }
}
