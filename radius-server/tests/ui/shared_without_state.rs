// A handler taking Shared<S> registered on a server without that state:
// the error says to build the server with Server::with_state.
use radius_server::{radius_handler, AccessAccept, Server, Shared};

#[derive(Clone)]
struct Users;

#[radius_handler]
async fn auth(users: Shared<Users>) -> AccessAccept {
    let _ = users;
    AccessAccept::new()
}

fn main() {
    let _ = Server::builder().auth(auth);
}
