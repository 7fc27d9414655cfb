//! Host network facts: the IPv4 address of an interface (for `from_<iface>`),
//! and whether a TCP port or a DNS server answers (for `doctor`).

use super::fail;
use rhai::plugin::*;
use std::ffi::CStr;
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::Duration;

/// A DNS query for `name` (type A, recursion desired), as sent over UDP.
fn dns_query_packet(name: &str, id: u16) -> Vec<u8> {
    let mut packet = Vec::with_capacity(32 + name.len());
    packet.extend_from_slice(&id.to_be_bytes());
    packet.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name
        .trim_end_matches('.')
        .split('.')
        .filter(|l| !l.is_empty())
    {
        packet.push(label.len().min(63) as u8);
        packet.extend_from_slice(&label.as_bytes()[..label.len().min(63)]);
    }
    packet.extend_from_slice(&[0, 0, 1, 0, 1]);
    packet
}

/// Asks `server` (port 53, UDP) about `name`; true when any answer comes back.
fn dns_answers(server: &str, name: &str, timeout: Duration) -> Result<bool, String> {
    let address: SocketAddr = format!("{server}:53")
        .parse()
        .map_err(|_| format!("bad address `{server}`"))?;
    let socket = UdpSocket::bind("0.0.0.0:0").map_err(|err| err.to_string())?;
    socket
        .set_read_timeout(Some(timeout))
        .map_err(|err| err.to_string())?;
    let id = (std::process::id() & 0xffff) as u16;
    socket
        .send_to(&dns_query_packet(name, id), address)
        .map_err(|err| err.to_string())?;
    let mut buffer = [0u8; 512];
    match socket.recv_from(&mut buffer) {
        Ok((count, _)) => Ok(count >= 12 && buffer[..2] == id.to_be_bytes()),
        Err(err) => Err(err.to_string()),
    }
}

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
    /// Whether a TCP connection to `host:port` opens within `timeout` seconds.
    ///
    /// ```rhai
    /// if !net::tcp_open(dns_ip, 53, 3) { term::warn("no DNS on tcp"); }
    /// ```
    pub fn tcp_open(host: &str, port: i64, timeout: i64) -> bool {
        let Ok(address) = format!("{host}:{port}").parse::<SocketAddr>() else {
            return false;
        };
        TcpStream::connect_timeout(&address, Duration::from_secs(timeout.max(1) as u64)).is_ok()
    }

    /// Whether a DNS server answers a UDP query for `name` within `timeout` seconds.
    ///
    /// ```rhai
    /// if !net::dns_answers(dns_ip, "dns.local.zone", 3) { term::warn("no DNS on udp"); }
    /// ```
    pub fn dns_answers(server: &str, name: &str, timeout: i64) -> bool {
        super::dns_answers(server, name, Duration::from_secs(timeout.max(1) as u64))
            .unwrap_or(false)
    }

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
    fn dns_packets_encode_names() {
        let packet = super::dns_query_packet("dns.local.zone", 7);
        assert_eq!(&packet[..2], &[0, 7]);
        assert_eq!(
            &packet[12..],
            b"\x03dns\x05local\x04zone\x00\x00\x01\x00\x01"
        );
    }

    #[test]
    fn loopback_has_an_address() {
        assert_eq!(super::iface_ipv4("lo").as_deref(), Some("127.0.0.1"));
        assert_eq!(super::iface_ipv4("no-such-iface0"), None);
    }
}
