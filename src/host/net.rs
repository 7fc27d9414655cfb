//! Host network facts: the IPv4 address of an interface, for `from_<iface>`.

use super::fail;
use rhai::plugin::*;
use std::ffi::CStr;

/// The first IPv4 address of interface `name`, if it has one.
pub fn iface_ipv4(name: &str) -> Option<String> {
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `list`, freed below with freeifaddrs.
    if unsafe { libc::getifaddrs(&mut list) } != 0 {
        return None;
    }
    let mut found = None;
    let mut cursor = list;
    while !cursor.is_null() {
        // SAFETY: `cursor` walks the list getifaddrs returned.
        let entry = unsafe { &*cursor };
        cursor = entry.ifa_next;
        if entry.ifa_addr.is_null() || entry.ifa_name.is_null() {
            continue;
        }
        // SAFETY: ifa_name is a NUL-terminated string.
        let entry_name = unsafe { CStr::from_ptr(entry.ifa_name) }.to_string_lossy();
        // SAFETY: ifa_addr is non-null and sa_family says how to read it.
        let family = unsafe { (*entry.ifa_addr).sa_family };
        if entry_name == name && i32::from(family) == libc::AF_INET {
            // SAFETY: AF_INET addresses are sockaddr_in.
            let address = unsafe { &*(entry.ifa_addr as *const libc::sockaddr_in) };
            found =
                Some(std::net::Ipv4Addr::from(u32::from_be(address.sin_addr.s_addr)).to_string());
            break;
        }
    }
    // SAFETY: `list` came from getifaddrs.
    unsafe { libc::freeifaddrs(list) };
    found
}

#[export_module]
pub mod api {
    /// The IPv4 address of a host interface; fails naming it when it has none.
    ///
    /// ```rhai
    /// let ip = net::iface_ipv4("eth0");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn iface_ipv4(name: &str) -> Result<String, Box<EvalAltResult>> {
        match super::iface_ipv4(name) {
            Some(address) => Ok(address),
            None => fail(format!(
                "host interface `{name}` has no IPv4 address (is it named right?)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn loopback_has_an_address() {
        assert_eq!(super::iface_ipv4("lo").as_deref(), Some("127.0.0.1"));
        assert_eq!(super::iface_ipv4("no-such-iface0"), None);
    }
}
