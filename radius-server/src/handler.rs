//! The [`Handler`] trait that `#[radius_handler]` implements, and
//! [`handler_fn`] for closures.

use std::future::Future;
use std::pin::Pin;

use crate::reply::{IntoReply, Reply};
use crate::request::Request;

/// A boxed reply future.
pub type BoxReplyFuture = Pin<Box<dyn Future<Output = Reply> + Send + 'static>>;

/// What calling a handler produces.
pub enum HandlerFuture {
    /// Already answered (e.g. an extractor failed).
    Ready(Reply),
    /// An async handler's future. The server polls it once inline and only
    /// spawns it when it is not ready.
    Future(BoxReplyFuture),
    /// A sync handler: run on tokio's blocking pool.
    Blocking(Box<dyn FnOnce() -> Reply + Send + 'static>),
}

impl HandlerFuture {
    /// From an async block or future.
    pub fn from_future<F, R>(f: F) -> Self
    where
        F: Future<Output = R> + Send + 'static,
        R: IntoReply,
    {
        HandlerFuture::Future(Box::pin(async move { f.await.into_reply() }))
    }

    /// From a blocking closure.
    pub fn blocking<F, R>(f: F) -> Self
    where
        F: FnOnce() -> R + Send + 'static,
        R: IntoReply,
    {
        HandlerFuture::Blocking(Box::new(move || f().into_reply()))
    }

    /// Wait for the reply (blocking closures run on the blocking pool).
    pub async fn into_reply(self) -> Reply {
        match self {
            HandlerFuture::Ready(r) => r,
            HandlerFuture::Future(f) => f.await,
            HandlerFuture::Blocking(f) => match tokio::task::spawn_blocking(f).await {
                Ok(r) => r,
                Err(e) => Reply::Error(crate::HandlerError::new(format_args!(
                    "handler panicked: {e}"
                ))),
            },
        }
    }
}

impl std::fmt::Debug for HandlerFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HandlerFuture::Ready(r) => f.debug_tuple("Ready").field(r).finish(),
            HandlerFuture::Future(_) => f.write_str("Future(..)"),
            HandlerFuture::Blocking(_) => f.write_str("Blocking(..)"),
        }
    }
}

/// A request handler for a server whose shared state is `S`.
///
/// Write handlers with `#[radius_handler]`; implement this by hand only for
/// special cases.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a RADIUS handler for a server with state `{S}`",
    note = "annotate an `async fn` or `fn` with #[radius_handler], or use handler_fn(|req: Request| async move {{ ... }}); a handler taking State<T> needs a server built with .state(T)"
)]
pub trait Handler<S>: Send + Sync + 'static {
    /// Start handling one request.
    fn handle(&self, req: Request, state: &S) -> HandlerFuture;
}

/// A handler from a closure taking the untyped [`Request`].
pub fn handler_fn<F, Fut, R>(f: F) -> FnHandler<F>
where
    F: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: IntoReply,
{
    FnHandler(f)
}

/// See [`handler_fn`].
#[derive(Debug, Clone)]
pub struct FnHandler<F>(F);

impl<S, F, Fut, R> Handler<S> for FnHandler<F>
where
    F: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: IntoReply,
{
    fn handle(&self, req: Request, _: &S) -> HandlerFuture {
        HandlerFuture::from_future((self.0)(req))
    }
}

impl<S, H: Handler<S>> Handler<S> for std::sync::Arc<H> {
    fn handle(&self, req: Request, state: &S) -> HandlerFuture {
        (**self).handle(req, state)
    }
}
