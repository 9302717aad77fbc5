use radius_server::{radius_handler, AccessRequest};

#[radius_handler]
fn auth(_req: AccessRequest) {}

fn main() {}
