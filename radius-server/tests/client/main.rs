//! The UDP client against our server, a lossy proxy and fakes, and against
//! a real FreeRADIUS (one binary: each test binary links on its own).

mod freeradius;
mod proxy;
mod proxy_radsec;
mod support;
mod udp;
