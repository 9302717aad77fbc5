// `new` takes the attribute's own value type (or a borrowed form of it),
// not anything `Into` it: an address, a bool or a char is not a number.
use std::net::Ipv4Addr;
use typed_radius::dict::prelude::*;

fn main() {
    let _timeout = SessionTimeout::new(Ipv4Addr::new(10, 0, 0, 1));
    let _port = NasPort::new(true);
    let _mtu = FramedMtu::new('x');
    let _vlan = TunnelPrivateGroupId::new(100).with_tag(1);
}
