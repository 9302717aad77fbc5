use radius_server::{radius_handler, AccessAccept};

struct Server;

impl Server {
    #[radius_handler]
    async fn auth(&self) -> AccessAccept {
        AccessAccept::new()
    }
}

fn main() {}
