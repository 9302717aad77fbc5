//! RadSec: TLS policy and the client (tls), RADIUS/1.1 (v11), handshake
//! floods and admission (flood) and interop
//! with Debian's radsecproxy (interop). One binary: each test binary links
//! on its own.

mod flood;
mod interop;
mod support;
mod tls;
mod v11;
