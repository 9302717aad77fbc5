use radius_server::{radius_handler, AccessAccept, AccessRequest};

#[radius_handler]
async fn auth(_req: AccessRequest, name: String) -> AccessAccept {
    let _ = name;
    AccessAccept::new()
}

fn main() {}
