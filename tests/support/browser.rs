//! For the dashboard's tests: `reyns ui` started and its URL read, a bare
//! HTTP/1.1 client, and headless Chromium (Debian's `chromium`) rendering
//! the page as a browser does.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

/// Chromium on PATH; the test fails in one line when it is not installed.
pub fn chromium() -> PathBuf {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| which::which(name).ok())
        .unwrap_or_else(|| {
            panic!("the dashboard's tests need headless Chromium: apt-get install chromium")
        })
}

/// Chromium's arguments for a headless run in a container, as root.
fn headless() -> Command {
    let mut command = Command::new(chromium());
    command.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--window-size=1400,1000",
    ]);
    command
}

/// The DOM of `url` once loaded and its scripts ran (`budget_ms` of
/// virtual time more, when given: for what the page receives after).
pub fn dump_dom(url: &str, budget_ms: Option<u32>) -> String {
    let mut command = headless();
    command.arg("--dump-dom");
    if let Some(budget) = budget_ms {
        command.arg(format!("--virtual-time-budget={budget}"));
    }
    let out = within_a_minute(command.arg(url));
    let dom = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        dom.contains("<html"),
        "chromium rendered nothing: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dom
}

/// Runs Chromium to its end, killed (and the test failed) after a minute.
fn within_a_minute(command: &mut Command) -> std::process::Output {
    let child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run chromium");
    let pid = child.id();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        if done_rx.recv_timeout(Duration::from_secs(60)).is_err() {
            // SAFETY: killing the Chromium this test started.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
        }
    });
    let out = child.wait_with_output().expect("wait for chromium");
    let _ = done_tx.send(());
    assert!(
        out.status.code().is_some(),
        "chromium did not finish within a minute"
    );
    out
}

/// A PNG of `url` as rendered, written to `path`.
pub fn screenshot(url: &str, path: &Path) {
    let out = within_a_minute(
        headless()
            .arg(format!("--screenshot={}", path.display()))
            .arg(url),
    );
    let png = std::fs::read(path).unwrap_or_default();
    assert!(
        png.starts_with(b"\x89PNG"),
        "no screenshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The value of attribute `name` on the page's `<body>`.
pub fn body_data(dom: &str, name: &str) -> Option<String> {
    let body = &dom[dom.find("<body")?..];
    let body = &body[..body.find('>')?];
    let start = body.find(&format!("{name}=\""))? + name.len() + 2;
    Some(body[start..].split('"').next()?.to_string())
}

/// The URL `reyns ui` prints once it listens, and its port; its output is
/// drained after that so the pipe never fills.
pub fn ui_url(child: &mut Child) -> (String, u16) {
    let mut stdout = BufReader::new(child.stdout.take().expect("ui's stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("read ui's first line");
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let url = line
        .split_whitespace()
        .find(|word| word.starts_with("http://"))
        .unwrap_or_else(|| panic!("reyns ui printed no URL: {line}"))
        .to_string();
    let port = url
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("a port in the URL");
    (url, port)
}

/// One HTTP/1.1 request to 127.0.0.1:`port`: (status, body).
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to reyns ui");
    stream.set_read_timeout(Some(Duration::from_secs(120))).ok();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream
        .write_all(request.as_bytes())
        .expect("send the request");
    // Until the connection closes, or the body has its Content-Length
    // (Chromium's DevTools keep the connection open).
    let mut answer = Vec::new();
    let mut buffer = [0u8; 16384];
    loop {
        let read = stream.read(&mut buffer).expect("read the answer");
        answer.extend_from_slice(&buffer[..read]);
        if read == 0 || body_complete(&String::from_utf8_lossy(&answer)) {
            break;
        }
    }
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or_default();
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    (
        status,
        if chunked {
            unchunked(body)
        } else {
            body.to_string()
        },
    )
}

/// A chunked HTTP body put back together (a large answer comes in chunks,
/// each after its size in hex on a line of its own).
fn unchunked(mut body: &str) -> String {
    let mut whole = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 || rest.len() < size {
            break;
        }
        whole.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    whole
}

/// Whether an HTTP answer holds all of its body, by its Content-Length.
fn body_complete(answer: &str) -> bool {
    let Some((head, body)) = answer.split_once("\r\n\r\n") else {
        return false;
    };
    head.lines()
        .find_map(|line| {
            line.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|n| n.trim().parse::<usize>().unwrap_or(0))
        })
        .is_some_and(|length| body.len() >= length)
}

/// A log stream of the dashboard (`path`: `/api/logs?...`), read until a
/// line holds `wanted` (true) or `seconds` pass (false).
pub fn stream_until(
    port: u16,
    path: &str,
    seconds: u64,
    mut before_reading: impl FnMut(),
    wanted: &str,
) -> bool {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to reyns ui");
    stream
        .set_read_timeout(Some(Duration::from_millis(500)))
        .ok();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .expect("send the request");
    let deadline = std::time::Instant::now() + Duration::from_secs(seconds);
    let mut seen = String::new();
    let mut buffer = [0u8; 8192];
    let mut started = false;
    while std::time::Instant::now() < deadline {
        if let Ok(read) = stream.read(&mut buffer) {
            if read == 0 {
                break;
            }
            seen.push_str(&String::from_utf8_lossy(&buffer[..read]));
        }
        if !started && seen.contains("\r\n\r\n") {
            started = true;
            before_reading();
        }
        if seen
            .lines()
            .any(|line| line.starts_with("data: ") && line.contains(wanted))
        {
            return true;
        }
    }
    false
}

/// A page open in headless Chromium, driven over the DevTools protocol
/// (a WebSocket): the page lives in real time, as a user's would, and
/// `eval` reads it at any moment. Chromium is killed when it is dropped.
pub struct LivePage {
    chromium: Child,
    socket: TcpStream,
    next_id: u64,
}

impl LivePage {
    /// Opens `url` in a new headless Chromium.
    pub fn open(url: &str) -> LivePage {
        let mut chromium = headless()
            .args(["--remote-debugging-port=0", url])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start chromium");
        let mut stderr = BufReader::new(chromium.stderr.take().expect("chromium's stderr"));
        let mut devtools = None;
        let mut line = String::new();
        while devtools.is_none() && stderr.read_line(&mut line).unwrap_or(0) > 0 {
            devtools = line
                .split("ws://127.0.0.1:")
                .nth(1)
                .and_then(|rest| rest.split('/').next())
                .and_then(|port| port.parse::<u16>().ok());
            line.clear();
        }
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        let port = devtools.expect("chromium said where its DevTools listen");
        let mut page_socket = None;
        for _ in 0..100 {
            let (_, list) = http(port, "GET", "/json/list", &[], "");
            let targets: serde_json::Value = serde_json::from_str(&list).unwrap_or_default();
            page_socket = targets.as_array().into_iter().flatten().find_map(|target| {
                (target["type"] == "page")
                    .then(|| target["webSocketDebuggerUrl"].as_str().map(str::to_string))
                    .flatten()
            });
            if page_socket.is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let page_socket = page_socket.expect("a page in chromium");
        let path = format!("/{}", page_socket.splitn(4, '/').nth(3).unwrap_or_default());
        let mut socket = TcpStream::connect(("127.0.0.1", port)).expect("connect to DevTools");
        let handshake = format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: cmV5bnMtdWktdGVzdHMtMQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        socket
            .write_all(handshake.as_bytes())
            .expect("WebSocket handshake");
        let mut answer = Vec::new();
        let mut byte = [0u8; 1];
        while !answer.ends_with(b"\r\n\r\n") {
            socket
                .read_exact(&mut byte)
                .expect("the handshake's answer");
            answer.push(byte[0]);
        }
        assert!(
            answer.starts_with(b"HTTP/1.1 101"),
            "{}",
            String::from_utf8_lossy(&answer)
        );
        socket.set_read_timeout(Some(Duration::from_secs(30))).ok();
        LivePage {
            chromium,
            socket,
            next_id: 1,
        }
    }

    /// Sends one text frame (masked, as a client must; a zero mask).
    fn send(&mut self, text: &str) {
        let payload = text.as_bytes();
        let mut frame = vec![0x81u8];
        match payload.len() {
            short @ 0..=125 => frame.push(0x80 | short as u8),
            medium @ 126..=65535 => {
                frame.push(0x80 | 126);
                frame.extend((medium as u16).to_be_bytes());
            }
            long => {
                frame.push(0x80 | 127);
                frame.extend((long as u64).to_be_bytes());
            }
        }
        frame.extend([0u8; 4]);
        frame.extend(payload);
        self.socket.write_all(&frame).expect("send to DevTools");
    }

    /// Reads one whole message (its frames joined).
    fn receive(&mut self) -> String {
        let mut message = Vec::new();
        loop {
            let mut head = [0u8; 2];
            self.socket
                .read_exact(&mut head)
                .expect("a frame from DevTools");
            let length = match head[1] & 0x7f {
                126 => {
                    let mut bytes = [0u8; 2];
                    self.socket.read_exact(&mut bytes).expect("a length");
                    u16::from_be_bytes(bytes) as usize
                }
                127 => {
                    let mut bytes = [0u8; 8];
                    self.socket.read_exact(&mut bytes).expect("a length");
                    u64::from_be_bytes(bytes) as usize
                }
                short => short as usize,
            };
            let mut payload = vec![0u8; length];
            self.socket.read_exact(&mut payload).expect("a payload");
            message.extend(payload);
            if head[0] & 0x80 != 0 {
                return String::from_utf8_lossy(&message).into_owned();
            }
        }
    }

    /// The value of a JavaScript expression in the page.
    pub fn eval(&mut self, expression: &str) -> serde_json::Value {
        let id = self.next_id;
        self.next_id += 1;
        let call = serde_json::json!({"id": id, "method": "Runtime.evaluate", "params": {"expression": expression, "returnByValue": true}});
        self.send(&call.to_string());
        loop {
            let answer: serde_json::Value =
                serde_json::from_str(&self.receive()).unwrap_or_default();
            if answer["id"] == id {
                return answer["result"]["result"]["value"].clone();
            }
        }
    }

    /// Waits up to `seconds` for `expression` to be true in the page.
    pub fn wait_for(&mut self, expression: &str, seconds: u64) -> bool {
        let deadline = std::time::Instant::now() + Duration::from_secs(seconds);
        while std::time::Instant::now() < deadline {
            if self.eval(expression) == serde_json::Value::Bool(true) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }
}

impl Drop for LivePage {
    fn drop(&mut self) {
        let _ = self.chromium.kill();
        let _ = self.chromium.wait();
    }
}
