//! The [`Handler`] trait: implemented for every `async fn` (and closure
//! returning a future) whose parameters are extractors and whose output is a
//! reply, axum style. `#[radius_handler]` adds precise compile errors and
//! runs sync `fn`s on the blocking pool.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use radius_core::packet::UnsignedReply;

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
/// errors that point at the offending parameter (the error this trait
/// reports where the handler is registered only names the function).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a RADIUS handler for a server with state `{S}`",
    note = "a handler is an `async fn` whose parameters are extractors (FromRequest<S>) and whose output implements IntoReply",
    note = "a handler taking Shared<T> needs a server built with Server::with_state(T)",
    note = "a wrong parameter or return type is reported where it is written when the function has #[radius_handler] (add it if it is missing)"
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

/// What calling a handler and polling it once inline gave.
pub(crate) enum FirstPoll {
    /// Answered.
    Ready(Reply),
    /// Not yet: finish it in a task with [`finish_pending`].
    Pending(BoxReplyFuture),
    /// It panicked (already logged): the request gets no answer.
    Panicked,
}

/// Call `handler` for `req` and poll its future once (with `waker`, which
/// need not wake anything). A panic costs this request, not the listener
/// that called it: the client retransmits or gives up, as after a timeout.
pub(crate) fn call_and_poll<S: 'static>(
    handler: &dyn ErasedHandler<S>,
    req: Request,
    state: &S,
    waker: &std::task::Waker,
) -> FirstPoll {
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::task::{Context, Poll};
    // The reply leaves through `ready`, so what crosses catch_unwind is one
    // pointer (measured: returning the whole enum cost ~1.5% per request).
    let mut ready = None;
    let r = catch_unwind(AssertUnwindSafe(|| match handler.call(req, state) {
        HandlerFuture::Ready(reply) => {
            ready = Some(reply);
            None
        }
        HandlerFuture::Future(mut f) => match f.as_mut().poll(&mut Context::from_waker(waker)) {
            Poll::Ready(reply) => {
                ready = Some(reply);
                None
            }
            Poll::Pending => Some(f),
        },
    }));
    match (r, ready) {
        (Ok(_), Some(reply)) => FirstPoll::Ready(reply),
        (Ok(Some(f)), None) => FirstPoll::Pending(f),
        (Ok(None), None) => unreachable!("a reply or a future"),
        (Err(p), _) => {
            tracing::error!("handler panicked: {}", panic_message(&p));
            FirstPoll::Panicked
        }
    }
}

/// Run a pending handler to its end, bounded by `timeout`, and complete
/// `req` with its reply: the encoded reply to send, or `None` (the handler
/// chose no reply; or it panicked or timed out, which is counted and the
/// request forgotten so a retransmission runs it again). With `defer` a
/// RADIUS/1.0 reply comes back unsigned, with what its signer needs (see
/// [`crate::engine::Engine::complete_deferred`]).
pub(crate) async fn finish_pending(
    fut: BoxReplyFuture,
    timeout: std::time::Duration,
    engine: &crate::engine::Engine,
    req: &crate::Request,
    defer: bool,
) -> Option<(Vec<u8>, Option<(radius_core::Code, UnsignedReply)>)> {
    let why = match tokio::time::timeout(timeout, CatchUnwind(fut)).await {
        Ok(Ok(reply)) => {
            let mut out = Vec::with_capacity(256);
            let now = std::time::Instant::now();
            return match engine.complete_deferred(req, reply, now, &mut out, defer) {
                (crate::engine::Completion::Send(code), unsigned) => {
                    Some((out, unsigned.map(|u| (code, u))))
                }
                (crate::engine::Completion::NoReply(_), _) => None,
            };
        }
        Ok(Err(p)) => {
            tracing::error!("handler panicked: {}", panic_message(&p));
            crate::DropReason::HandlerPanic
        }
        Err(_) => crate::DropReason::HandlerTimeout,
    };
    engine.abandon(req, why, std::time::Instant::now());
    None
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> &str {
    p.downcast_ref::<&str>()
        .copied()
        .or_else(|| p.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// A future whose panics are caught and returned.
struct CatchUnwind<F>(F);

impl<F: Future + Unpin> Future for CatchUnwind<F> {
    type Output = std::thread::Result<F::Output>;

    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        use std::panic::{catch_unwind, AssertUnwindSafe};
        use std::task::Poll;
        match catch_unwind(AssertUnwindSafe(|| Pin::new(&mut self.0).poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Err(p) => Poll::Ready(Err(p)),
        }
    }
}

/// A type-erased handler, shared by the tasks that run it.
pub(crate) type DynHandler<S> = std::sync::Arc<dyn ErasedHandler<S>>;

/// The handlers a server dispatches to, by request code (the UDP and the
/// RadSec server hold the same set).
pub(crate) struct Handlers<S> {
    auth: Option<DynHandler<S>>,
    acct: Option<DynHandler<S>>,
    coa: Option<DynHandler<S>>,
    disconnect: Option<DynHandler<S>>,
}

impl<S> Default for Handlers<S> {
    fn default() -> Self {
        Handlers {
            auth: None,
            acct: None,
            coa: None,
            disconnect: None,
        }
    }
}

impl<S: 'static> Handlers<S> {
    /// Register `h` for request `code` (Access-, Accounting-, CoA- or
    /// Disconnect-Request).
    pub(crate) fn set<M: 'static>(&mut self, code: radius_core::Code, h: impl Handler<M, S>) {
        let h: DynHandler<S> = std::sync::Arc::new(Erased(h, PhantomData));
        if let Some(slot) = self.slot(code) {
            *slot = Some(h);
        }
    }

    fn slot(&mut self, code: radius_core::Code) -> Option<&mut Option<DynHandler<S>>> {
        use radius_core::Code;
        match code {
            Code::ACCESS_REQUEST => Some(&mut self.auth),
            Code::ACCOUNTING_REQUEST => Some(&mut self.acct),
            Code::COA_REQUEST => Some(&mut self.coa),
            Code::DISCONNECT_REQUEST => Some(&mut self.disconnect),
            _ => None,
        }
    }

    /// The handler for requests with `code`.
    pub(crate) fn get(&self, code: radius_core::Code) -> Option<&DynHandler<S>> {
        use radius_core::Code;
        match code {
            Code::ACCESS_REQUEST => self.auth.as_ref(),
            Code::ACCOUNTING_REQUEST => self.acct.as_ref(),
            Code::COA_REQUEST => self.coa.as_ref(),
            Code::DISCONNECT_REQUEST => self.disconnect.as_ref(),
            _ => None,
        }
    }

    /// Which request kinds have a handler (what the engine dispatches).
    pub(crate) fn served(&self) -> crate::port::Served {
        crate::port::Served {
            access: self.auth.is_some(),
            accounting: self.acct.is_some(),
            coa: self.coa.is_some(),
            disconnect: self.disconnect.is_some(),
        }
    }
}
