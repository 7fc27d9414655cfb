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
    let out = command.arg(url).output().expect("run chromium");
    let dom = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        dom.contains("<html"),
        "chromium rendered nothing: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dom
}

/// A PNG of `url` as rendered, written to `path`.
pub fn screenshot(url: &str, path: &Path) {
    let out = headless()
        .arg(format!("--screenshot={}", path.display()))
        .arg(url)
        .output()
        .expect("run chromium");
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
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read the answer");
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .unwrap_or_default();
    (status, body)
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
