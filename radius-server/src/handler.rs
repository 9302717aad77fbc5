//! The [`Handler`] trait: implemented for every `async fn` (and closure
//! returning a future) whose parameters are extractors and whose output is a
//! reply, axum style. `#[radius_handler]` adds precise compile errors and
//! runs sync `fn`s on the blocking pool.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use crate::extract::FromRequest;
use crate::reply::{IntoReply, Reply};
use crate::request::Request;

/// A boxed reply future.
pub type BoxReplyFuture = Pin<Box<dyn Future<Output = Reply> + Send + 'static>>;

/// What calling a handler produces.
pub enum HandlerFuture {
    /// Already answered (e.g. an extractor failed).
    Ready(Reply),
    /// The handler's future. The server polls it once inline and only
    /// spawns it when it is not ready.
    Future(BoxReplyFuture),
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

    /// Wait for the reply.
    pub async fn into_reply(self) -> Reply {
        match self {
            HandlerFuture::Ready(r) => r,
            HandlerFuture::Future(f) => f.await,
        }
    }
}

impl std::fmt::Debug for HandlerFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HandlerFuture::Ready(r) => f.debug_tuple("Ready").field(r).finish(),
            HandlerFuture::Future(_) => f.write_str("Future(..)"),
        }
    }
}

/// Run a blocking closure on tokio's blocking pool (what `#[radius_handler]`
/// does with the body of a sync `fn`).
pub async fn run_blocking<F, R>(f: F) -> Reply
where
    F: FnOnce() -> R + Send + 'static,
    R: IntoReply + Send + 'static,
{
    match tokio::task::spawn_blocking(move || f().into_reply()).await {
        Ok(r) => r,
        Err(e) => Reply::Error(crate::HandlerError::new(format_args!(
            "handler failed: {e}"
        ))),
    }
}

/// A request handler for a server whose shared state is `S`. `M` only
/// distinguishes the blanket implementations (one per parameter count).
///
/// Implemented for every `Fn(T1, ..., Tn) -> impl Future<Output = impl IntoReply>`
/// (n ≤ 12) whose parameters implement [`FromRequest<S>`], i.e. for plain
/// `async fn`s and closures. Annotate functions with `#[radius_handler]` for
/// errors that point at the offending parameter.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a RADIUS handler for a server with state `{S}`",
    note = "a handler is an `async fn` whose parameters are extractors and whose output implements IntoReply; annotate it with #[radius_handler] to see which parameter is wrong",
    note = "a handler taking State<T> needs a server built with Server::with_state(T)"
)]
pub trait Handler<M, S>: Send + Sync + 'static {
    /// Start handling one request.
    fn call(&self, req: Request, state: &S) -> HandlerFuture;
}

macro_rules! fn_handlers {
    ($($t:ident),*) => {
        impl<F, Fut, S, $($t,)*> Handler<($($t,)*), S> for F
        where
            F: Fn($($t),*) -> Fut + Send + Sync + 'static,
            Fut: Future + Send + 'static,
            Fut::Output: IntoReply,
            $($t: FromRequest<S> + Send + 'static,)*
        {
            #[allow(non_snake_case, unused_variables)]
            fn call(&self, req: Request, state: &S) -> HandlerFuture {
                $(
                    let $t = match $t::from_request(&req, state) {
                        Ok(v) => v,
                        Err(e) => return HandlerFuture::Ready(Reply::Error(e)),
                    };
                )*
                HandlerFuture::from_future((self)($($t),*))
            }
        }
    };
}

fn_handlers!();
fn_handlers!(T1);
fn_handlers!(T1, T2);
fn_handlers!(T1, T2, T3);
fn_handlers!(T1, T2, T3, T4);
fn_handlers!(T1, T2, T3, T4, T5);
fn_handlers!(T1, T2, T3, T4, T5, T6);
fn_handlers!(T1, T2, T3, T4, T5, T6, T7);
fn_handlers!(T1, T2, T3, T4, T5, T6, T7, T8);
fn_handlers!(T1, T2, T3, T4, T5, T6, T7, T8, T9);
fn_handlers!(T1, T2, T3, T4, T5, T6, T7, T8, T9, T10);
fn_handlers!(T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11);
fn_handlers!(T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12);

/// A handler with its marker type erased, as the server stores it.
pub(crate) trait ErasedHandler<S>: Send + Sync + 'static {
    fn call(&self, req: Request, state: &S) -> HandlerFuture;
}

pub(crate) struct Erased<H, M>(pub(crate) H, pub(crate) PhantomData<fn() -> M>);

impl<H, M, S> ErasedHandler<S> for Erased<H, M>
where
    H: Handler<M, S>,
    M: 'static,
{
    fn call(&self, req: Request, state: &S) -> HandlerFuture {
        self.0.call(req, state)
    }
}
