use radius_server::{radius_handler, AccessAccept, Request};

#[radius_handler]
async fn auth(req: &Request) -> AccessAccept {
    let _ = req;
    AccessAccept::new()
}

fn main() {}
