use radius_server::{radius_handler, AccessAccept, Client};

#[radius_handler]
async fn auth(client: Option<Client>) -> AccessAccept {
    let _ = client;
    AccessAccept::new()
}

fn main() {}
