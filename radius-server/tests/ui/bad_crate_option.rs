use radius_server::{radius_handler, AccessAccept};

#[radius_handler(krate = "radius_server")]
async fn auth() -> AccessAccept {
    AccessAccept::new()
}

fn main() {}
