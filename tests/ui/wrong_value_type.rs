// Setting an attribute to a value of the wrong type does not compile.
use typed_radius::dict::prelude::*;

fn main() {
    let _name = UserName::new(5u32);
    let _port = NasPort::new("five");
}
