//! Proc macros for typed-radius.
//!
//! - [`macro@radius_handler`]: turn a plain `async fn` or `fn` into a RADIUS
//!   request handler whose parameters are extractors (see `radius_server::extract`).
//! - [`radius_dictionary!`]: compile a FreeRADIUS dictionary into typed
//!   attribute modules inline (the same generator a `build.rs` uses).
//!
//! Each macro lives in its own module; this file only dispatches.
#![warn(missing_docs)]

use proc_macro::TokenStream;

mod dictionary;
mod handler;

/// Turn a plain `async fn` (or `fn`, run on the blocking pool) into a
/// handler value for `radius_server::Server`.
///
/// ```ignore
/// #[radius_handler]
/// async fn auth(req: AccessRequest, name: UserName, pass: UserPassword) -> Reply { ... }
/// Server::builder().auth(auth) ...
/// ```
///
/// Every parameter must be an extractor (`Request`, `AccessRequest`,
/// `AccountingRequest`, `CoaRequest`, `DisconnectRequest`, an attribute type
/// `T`, `Option<T>`, `Vec<T>`, `Client`, `Shared<S>`, `Transport`, or a type
/// implementing `FromRequest`); the return type must implement `IntoReply`.
/// Mistakes are compile errors pointing at the parameter or return type.
///
/// An `async fn` stays exactly as written (it is a handler by itself: the
/// `Handler` trait is implemented for such functions) and gains compile-time
/// checks. A sync `fn` becomes an `async fn` of the same signature that runs
/// the body on tokio's blocking pool. A `Shared<S>` parameter ties the handler
/// to servers whose state type is `S`.
///
/// Generated code refers to the server crate as `::radius_server`, or as
/// `::typed_radius::server` when the calling package depends on the
/// `typed-radius` facade but not on `radius-server`; override with
/// `#[radius_handler(crate = "some::path")]`.
#[proc_macro_attribute]
pub fn radius_handler(attr: TokenStream, item: TokenStream) -> TokenStream {
    handler::expand(attr.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Compile a FreeRADIUS-format dictionary (path relative to the calling
/// package's `Cargo.toml`) into typed attribute modules, in place: one
/// module per dictionary file and vendor, plus `prelude`.
///
/// ```ignore
/// mod dict {
///     typed_radius::radius_dictionary!("dictionaries/dictionary.newco");
/// }
/// use dict::newco::NewcoUserRole; // or dict::prelude::*
/// ```
///
/// Errors in the dictionary are compile errors naming file:line. Generated
/// code reaches radius-core as `::typed_radius::radius_core`, or as
/// `::radius_core` when the package depends on `radius-core` but not on
/// `typed-radius`; override with `radius_dictionary!("path", crate = "...")`.
#[proc_macro]
pub fn radius_dictionary(input: TokenStream) -> TokenStream {
    dictionary::expand(input.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
