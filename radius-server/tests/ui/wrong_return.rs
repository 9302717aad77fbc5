use radius_server::{radius_handler, AccessRequest};

#[radius_handler]
async fn auth(_req: AccessRequest) -> String {
    String::from("accept")
}

fn main() {}
