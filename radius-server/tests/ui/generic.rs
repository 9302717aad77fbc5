use radius_server::{radius_handler, AccessAccept, FromRequest};

#[radius_handler]
async fn auth<T: FromRequest<()>>(_x: T) -> AccessAccept {
    AccessAccept::new()
}

fn main() {}
