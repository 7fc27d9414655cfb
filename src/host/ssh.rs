//! SSH sessions to instances with the `ssh2` crate (no `ssh` binary needed):
//! commands with their output and exit status, and interactive sessions on a
//! pseudo-terminal. Host keys are remembered per container id under
//! `$REYNS_HOME/known_hosts.json`; a changed key for the same container is
//! refused.

use super::{fail, HostResult};
use base64ct::Encoding;
use rhai::plugin::*;
use rhai::Map;
use ssh2::Session;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The user Reyns logs in as.
const USER: &str = "reyns";

/// Where to connect and who the server should be, as scripts give it:
/// `#{host, port, container_id, key}` (`port` 22 unless said; an unknown
/// key is an error naming it).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Target {
    host: String,
    #[serde(default = "ssh_port")]
    port: u16,
    /// Whose host key to remember ("" remembers none).
    #[serde(default)]
    container_id: String,
    /// This installation's private key.
    key: PathBuf,
}

fn ssh_port() -> u16 {
    22
}

impl Target {
    fn from_map(map: &Map) -> HostResult<Target> {
        let target: Target = rhai::serde::from_dynamic(&map.clone().into())
            .or_else(|err| fail(format!("an ssh target: {err}")))?;
        if target.host.is_empty() {
            return fail("ssh needs the instance's address (`host`)");
        }
        Ok(target)
    }

    fn shown(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// The remembered host keys, by container id.
fn known_hosts_path() -> PathBuf {
    super::project::reyns_home().join("known_hosts.json")
}

/// Accepts a new container's key and remembers it; refuses a changed one.
fn check_host_key(target: &Target, session: &Session) -> HostResult<()> {
    let Some((key, _)) = session.host_key() else {
        return fail(format!("{} sent no host key", target.shown()));
    };
    let key = base64ct::Base64::encode_string(key);
    if target.container_id.is_empty() {
        return Ok(());
    }
    let path = known_hosts_path();
    let mut known: serde_json::Map<String, serde_json::Value> = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    match known.get(&target.container_id).and_then(|v| v.as_str()) {
        Some(remembered) if remembered == key => Ok(()),
        Some(_) => fail(format!(
            "the SSH host key of container {} at {} has CHANGED since the last connection: refusing to connect (remove its line from {} if you trust it)",
            &target.container_id[..target.container_id.len().min(12)],
            target.shown(),
            path.display()
        )),
        None => {
            known.insert(target.container_id.clone(), key.into());
            let text = serde_json::to_string_pretty(&known).unwrap_or_default();
            if let Some(parent) = path.parent() {
                let _ = std::fs::create_dir_all(parent);
            }
            std::fs::write(&path, text).or_else(|err| fail(format!("cannot write {}: {err}", path.display())))
        }
    }
}

/// Connects and logs in, retrying until sshd answers or `wait` runs out.
fn connect(target: &Target, wait: Duration) -> HostResult<Session> {
    let deadline = Instant::now() + wait;
    let address = (target.host.as_str(), target.port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut found| found.next())
        .map_or_else(|| fail(format!("bad address {}", target.shown())), Ok)?;
    let mut last_error;
    loop {
        match try_connect(target, address) {
            Ok(session) => return Ok(session),
            Err(err) => last_error = err,
        }
        if Instant::now() >= deadline {
            return fail(format!(
                "cannot open an SSH session to {}: {last_error}",
                target.shown()
            ));
        }
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// One connection attempt; a host key problem is not retried.
fn try_connect(target: &Target, address: std::net::SocketAddr) -> Result<Session, String> {
    let stream = TcpStream::connect_timeout(&address, Duration::from_secs(3))
        .map_err(|err| err.to_string())?;
    let mut session = Session::new().map_err(|err| err.to_string())?;
    session.set_tcp_stream(stream);
    session.set_timeout(15_000);
    session.handshake().map_err(|err| err.to_string())?;
    check_host_key(target, &session).map_err(|err| err.to_string())?;
    session
        .userauth_pubkey_file(USER, None, &target.key, None)
        .map_err(|err| {
            format!(
                "login as `{USER}` with {} refused: {err}",
                target.key.display()
            )
        })?;
    session.set_timeout(0);
    Ok(session)
}

/// Runs `command` and returns its output and exit status.
fn run_command(
    target: &Target,
    command: &str,
    wait: Duration,
) -> HostResult<(String, String, i64)> {
    let session = connect(target, wait)?;
    let failed = |err: ssh2::Error| {
        fail::<()>(format!("SSH command on {} failed: {err}", target.shown())).unwrap_err()
    };
    let mut channel = session.channel_session().map_err(failed)?;
    channel.exec(command).map_err(failed)?;
    let mut stdout = String::new();
    let mut stderr = String::new();
    let _ = channel.read_to_string(&mut stdout);
    let _ = channel.stderr().read_to_string(&mut stderr);
    channel.wait_close().map_err(failed)?;
    let code = channel.exit_status().map_err(failed)?;
    Ok((stdout, stderr, i64::from(code)))
}

/// The local terminal's size (columns, rows).
fn terminal_size() -> (u32, u32) {
    match rustix::termios::tcgetwinsize(rustix::stdio::stdin()) {
        Ok(size) if size.ws_col > 0 => (u32::from(size.ws_col), u32::from(size.ws_row)),
        _ => (80, 24),
    }
}

/// Raw mode on the local terminal, restored when dropped (also on errors).
struct RawMode {
    saved: Option<rustix::termios::Termios>,
}

impl RawMode {
    fn enter() -> RawMode {
        let stdin = rustix::stdio::stdin();
        if !rustix::termios::isatty(stdin) {
            return RawMode { saved: None };
        }
        let Ok(saved) = rustix::termios::tcgetattr(stdin) else {
            return RawMode { saved: None };
        };
        let mut raw = saved.clone();
        raw.make_raw();
        let _ = rustix::termios::tcsetattr(stdin, rustix::termios::OptionalActions::Now, &raw);
        RawMode { saved: Some(saved) }
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        if let Some(saved) = &self.saved {
            let _ = rustix::termios::tcsetattr(
                rustix::stdio::stdin(),
                rustix::termios::OptionalActions::Now,
                saved,
            );
        }
    }
}

/// Whether a key press (or the end of input) waits on standard input.
fn stdin_ready() -> bool {
    let stdin = rustix::stdio::stdin();
    let mut polled = [rustix::event::PollFd::new(
        &stdin,
        rustix::event::PollFlags::IN,
    )];
    let now = rustix::event::Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    rustix::event::poll(&mut polled, Some(&now)).unwrap_or(0) > 0
}

/// An interactive session: a pseudo-terminal of the local size, keys passed
/// through, resizes passed on. Returns the remote exit status.
fn interactive(target: &Target, command: Option<&str>, wait: Duration) -> HostResult<i64> {
    let session = connect(target, wait)?;
    let failed = |err: ssh2::Error| {
        fail::<()>(format!("SSH session on {} failed: {err}", target.shown())).unwrap_err()
    };
    let mut channel = session.channel_session().map_err(failed)?;
    let (mut cols, mut rows) = terminal_size();
    channel
        .request_pty("xterm-256color", None, Some((cols, rows, 0, 0)))
        .map_err(failed)?;
    match command {
        Some(command) => channel.exec(command).map_err(failed)?,
        None => channel.shell().map_err(failed)?,
    }
    let raw = RawMode::enter();
    session.set_blocking(false);
    let mut buffer = [0u8; 16384];
    let mut stdout = std::io::stdout();
    let mut stdin_open = true;
    loop {
        let mut idle = true;
        match channel.read(&mut buffer) {
            Ok(0) => {}
            Ok(count) => {
                idle = false;
                let _ = stdout.write_all(&buffer[..count]);
                let _ = stdout.flush();
            }
            Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => break,
        }
        if channel.eof() {
            break;
        }
        if stdin_open && stdin_ready() {
            let count = rustix::io::read(rustix::stdio::stdin(), &mut buffer).unwrap_or(0);
            if count == 0 {
                stdin_open = false;
                let _ = channel.send_eof();
            } else {
                idle = false;
                let mut data = &buffer[..count];
                while !data.is_empty() {
                    match channel.write(data) {
                        Ok(written) => data = &data[written..],
                        Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(2))
                        }
                        Err(_) => break,
                    }
                }
            }
        }
        let size = terminal_size();
        if size != (cols, rows) {
            (cols, rows) = size;
            let _ = channel.request_pty_size(cols, rows, None, None);
        }
        if idle {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    drop(raw);
    session.set_blocking(true);
    let _ = channel.wait_close();
    Ok(i64::from(channel.exit_status().unwrap_or(255)))
}

#[export_module]
pub mod api {
    /// Runs a command over SSH as `reyns` with the installation key and returns
    /// `#{ok, exit_code, stdout, stderr}`. `target` is `#{host, port, key,
    /// container_id}`; sshd is waited for up to `wait` seconds.
    ///
    /// ```rhai
    /// let result = ssh::exec(#{host: "172.17.0.3", key: keys.ssh_private, container_id: id}, "hostname", 30);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn exec(target: Map, command: &str, wait: i64) -> Result<Map, Box<EvalAltResult>> {
        let target = Target::from_map(&target)?;
        let (stdout, stderr, code) =
            run_command(&target, command, Duration::from_secs(wait.max(0) as u64))?;
        Ok(crate::exec::Outcome {
            code,
            stdout,
            stderr,
        }
        .to_map())
    }

    /// Opens an interactive session on a pseudo-terminal (a login shell, or
    /// `command` when not empty) and returns its exit status. The local
    /// terminal is in raw mode while it lasts and restored afterwards.
    ///
    /// ```rhai
    /// let code = ssh::interactive(#{host: ip, key: keys.ssh_private, container_id: id}, "", 30);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn interactive(target: Map, command: &str, wait: i64) -> Result<i64, Box<EvalAltResult>> {
        let target = Target::from_map(&target)?;
        let command = Some(command).filter(|c| !c.is_empty());
        super::interactive(&target, command, Duration::from_secs(wait.max(0) as u64))
    }
}
