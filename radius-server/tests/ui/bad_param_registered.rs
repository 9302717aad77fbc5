// A #[radius_handler] with a bad parameter, registered on a server: the
// error points at the parameter, and the follow-up error at `.auth(auth)`
// must not tell the author to add the attribute they already have.
use radius_server::{radius_handler, AccessAccept, Server};

#[radius_handler]
async fn auth(name: String) -> AccessAccept {
    let _ = name;
    AccessAccept::new()
}

fn main() {
    let _ = Server::builder().auth(auth);
}
