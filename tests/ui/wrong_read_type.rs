// Reading an attribute as the wrong Rust type does not compile.
use typed_radius::dict::prelude::*;

fn main() {
    let port = NasPort::new(5);
    let _s: &str = &port;
    let st = ServiceType::new(ServiceTypeValue::FramedUser);
    let _n: u32 = *st.value();
    // The value is read with value(), not a field.
    let _v = st.0;
}
