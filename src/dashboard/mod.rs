//! The local dashboard (`reyns ui`): one page and a JSON API over HTTP.
//!
//! Every figure comes from a reyns verb run as a process of its own, the
//! way the command line runs it (the script says which: `ps` for the
//! instances, the converge plan for their drift, `releases`, `logs`), so
//! the page never shows what the command line would not. A POST runs a
//! verb the same way, and only with the page's token in `X-Reyns-Token`;
//! a request naming another host than the one served is refused (a web
//! page elsewhere cannot reach the API through DNS rebinding). The
//! instances and the plan are read in the background, so any number of
//! pages poll a snapshot.

pub mod drift;

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tiny_http::{Header, Method, Request, Response, Server, StatusCode};

/// The page, with `{{TOKEN}}`, `{{PROJECT}}`, `{{REFRESH_MS}}`,
/// `{{CONVERGE_ARGS}}` and `{{INSTANCES}}` (the snapshot it renders first)
/// to fill in.
const PAGE: &str = include_str!("page.html");

/// The most a verb run from the page may print that it sends back.
const OUTPUT_LINES: usize = 40;

/// How long a log stream's `reyns logs` gets to stop its `docker logs`.
const STREAM_GRACE: Duration = Duration::from_secs(2);

/// How often an idle log stream says it is alive (a page that went away is
/// noticed then).
const KEEPALIVE: Duration = Duration::from_secs(10);

/// What the dashboard serves and how it reads it: reyns command lines
/// (`ps:all,format=json,checks=True`), each run as `reyns <line>`.
pub struct Config {
    pub bind: String,
    pub port: u16,
    pub project: String,
    /// The command line whose JSON lists the instances.
    pub instances: String,
    /// The command line whose output is the converge plan as data
    /// (`plan=True,format=json`).
    pub plan: String,
    /// What the converge button runs after `run:`.
    pub converge_args: String,
    /// The command line whose JSON lists the releases.
    pub releases: String,
    /// The logs command line, `{target}` standing for `all` or `service,instance`.
    pub logs: String,
    /// The verbs a POST may run.
    pub verbs: Vec<String>,
    pub refresh: Duration,
    /// How often the plan is read again (and after each verb run).
    pub plan_refresh: Duration,
    /// The page's token: a POST without it runs nothing.
    pub token: String,
}

/// What the background reader last saw.
#[derive(Default)]
struct Snapshot {
    instances: Vec<Value>,
    error: Option<String>,
    drift: BTreeMap<String, String>,
    drift_error: Option<String>,
}

/// What request threads share.
struct Shared {
    config: Config,
    snapshot: Mutex<Snapshot>,
    /// Set when a verb ran: the plan is read again at once.
    stale: AtomicBool,
    stop: AtomicBool,
    /// The log streams' `reyns logs`, stopped with the dashboard.
    streams: Mutex<Vec<Arc<duct::ReaderHandle>>>,
}

/// A lock of what request threads share; a panic in another thread cannot
/// leave it half-written (each holder replaces whole values), so it is used
/// as it is.
fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Serves the dashboard on `config.bind:config.port` until `stop()` says
/// so; `listening` is told the URL once the port is open.
pub fn serve(
    config: Config,
    listening: impl FnOnce(&str),
    stop: impl Fn() -> bool,
) -> Result<(), String> {
    let address = format!("{}:{}", config.bind, config.port);
    let server =
        Server::http(&address).map_err(|err| format!("cannot listen on {address}: {err}"))?;
    let port = server
        .server_addr()
        .to_ip()
        .map_or(config.port, |bound| bound.port());
    let host = if config.bind.contains(':') {
        format!("[{}]", config.bind)
    } else {
        config.bind.clone()
    };
    listening(&format!("http://{host}:{port}/"));
    let shared = Arc::new(Shared {
        config,
        snapshot: Mutex::new(Snapshot::default()),
        stale: AtomicBool::new(true),
        stop: AtomicBool::new(false),
        streams: Mutex::new(Vec::new()),
    });
    refresh_instances(&shared);
    let reader = {
        let shared = Arc::clone(&shared);
        std::thread::spawn(move || read_in_background(&shared))
    };
    while !stop() {
        match server.recv_timeout(Duration::from_millis(200)) {
            Ok(Some(request)) => {
                let shared = Arc::clone(&shared);
                std::thread::spawn(move || handle(request, &shared, port));
            }
            Ok(None) => {}
            Err(err) => return Err(format!("the dashboard stopped serving: {err}")),
        }
    }
    shared.stop.store(true, Ordering::Relaxed);
    let streams = std::mem::take(&mut *locked(&shared.streams));
    for child in streams {
        crate::exec::stop_gracefully(&child, STREAM_GRACE);
    }
    let _ = reader.join();
    Ok(())
}

/// Reads the instances every `refresh`, and the plan every `plan_refresh`
/// or when a verb ran, until told to stop.
fn read_in_background(shared: &Shared) {
    let mut plan_read = Instant::now() - shared.config.plan_refresh;
    while !shared.stop.load(Ordering::Relaxed) {
        let verb_ran = shared.stale.swap(false, Ordering::Relaxed);
        if verb_ran || plan_read.elapsed() >= shared.config.plan_refresh {
            refresh_drift(shared);
            plan_read = Instant::now();
        }
        let next = Instant::now() + shared.config.refresh;
        while Instant::now() < next
            && !shared.stop.load(Ordering::Relaxed)
            && !shared.stale.load(Ordering::Relaxed)
        {
            std::thread::sleep(Duration::from_millis(50));
        }
        refresh_instances(shared);
    }
}

/// `reyns <line>` run to its end: (exit status, stdout, stderr).
fn run_reyns(line: &str) -> Result<(i32, String, String), String> {
    let output = crate::exec::reyns_again(&[line.to_string()])?
        .stdin_null()
        .stdout_capture()
        .stderr_capture()
        .unchecked()
        .run()
        .map_err(|err| format!("cannot run reyns {line}: {err}"))?;
    Ok((
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    ))
}

/// The first line of what a failed command said.
fn first_line(stderr: &str, code: i32) -> String {
    let line = stderr
        .lines()
        .find(|line| !line.trim().is_empty())
        .unwrap_or_default();
    let line = line.strip_prefix("reyns: error: ").unwrap_or(line);
    if line.is_empty() {
        format!("exit status {code}")
    } else {
        line.to_string()
    }
}

/// Reads the instances again into the snapshot (on failure, keeps the last
/// rows and says why).
fn refresh_instances(shared: &Shared) {
    let read = run_reyns(&shared.config.instances).and_then(|(code, stdout, stderr)| {
        let listed: Vec<Value> =
            serde_json::from_str(&stdout).map_err(|_| first_line(&stderr, code))?;
        // A node that does not answer: the rows of the others, and why.
        let warning = (code != 0).then(|| first_line(&stderr, code));
        Ok((listed, warning))
    });
    let mut snapshot = locked(&shared.snapshot);
    match read {
        Ok((listed, warning)) => {
            snapshot.instances = listed;
            snapshot.error = warning;
        }
        Err(error) => snapshot.error = Some(error),
    }
}

/// Reads the converge plan again into the snapshot's drift.
fn refresh_drift(shared: &Shared) {
    let read = run_reyns(&shared.config.plan);
    let mut snapshot = locked(&shared.snapshot);
    match read {
        Ok((0, stdout, _)) => match drift::parse(&stdout) {
            Ok(drift) => {
                snapshot.drift = drift;
                snapshot.drift_error = None;
            }
            Err(error) => snapshot.drift_error = Some(error),
        },
        Ok((code, _, stderr)) => snapshot.drift_error = Some(first_line(&stderr, code)),
        Err(error) => snapshot.drift_error = Some(error),
    }
}

/// A response with reyns' headers: no caching, no framing, nothing loaded
/// from elsewhere.
fn respond(request: Request, status: u16, content_type: &str, body: String) {
    let mut response = Response::from_string(body).with_status_code(StatusCode(status));
    for (name, value) in [
        ("Content-Type", content_type),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self'"),
    ] {
        if let Ok(header) = Header::from_bytes(name, value) {
            response.add_header(header);
        }
    }
    let _ = request.respond(response);
}

/// A JSON answer (see [`respond`]).
fn respond_json(request: Request, status: u16, value: &Value) {
    respond(request, status, "application/json", value.to_string());
}

/// A request header's value.
fn header<'a>(request: &'a Request, name: &'static str) -> Option<&'a str> {
    request
        .headers()
        .iter()
        .find(|header| header.field.equiv(name))
        .map(|header| header.value.as_str())
}

/// Whether the request names the host served (`Host`): loopback names for
/// a loopback address, the address itself otherwise; any host when bound
/// to every address (the user was warned).
fn host_allowed(request: &Request, bind: &str, port: u16) -> bool {
    if bind == "0.0.0.0" || bind == "::" {
        return true;
    }
    let Some(host) = header(request, "Host") else {
        return false;
    };
    let loopback = bind.starts_with("127.") || bind == "::1" || bind == "localhost";
    let mut names = vec![format!("{bind}:{port}"), format!("[{bind}]:{port}")];
    if loopback {
        names.extend(["localhost", "127.0.0.1", "[::1]"].map(|name| format!("{name}:{port}")));
    }
    names.iter().any(|name| name.eq_ignore_ascii_case(host))
}

/// The query parameters of a URL (`a=1&b=2`), decoded.
fn query(url: &str) -> BTreeMap<String, String> {
    let Some((_, query)) = url.split_once('?') else {
        return BTreeMap::new();
    };
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(key, value)| (decode(key), decode(value)))
        .collect()
}

/// `%xx` and `+` decoded.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'%' if at + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[at + 1..at + 3]).ok();
                match hex.and_then(|hex| u8::from_str_radix(hex, 16).ok()) {
                    Some(byte) => {
                        decoded.push(byte);
                        at += 3;
                        continue;
                    }
                    None => decoded.push(b'%'),
                }
            }
            b'+' => decoded.push(b' '),
            byte => decoded.push(byte),
        }
        at += 1;
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// Answers one request: the page, the API, or 403/404/405.
fn handle(mut request: Request, shared: &Shared, port: u16) {
    if !host_allowed(&request, &shared.config.bind, port) {
        return respond_json(
            request,
            403,
            &json!({"error": "this dashboard answers only to the address it serves"}),
        );
    }
    let url = request.url().to_string();
    let path = url.split('?').next().unwrap_or_default().to_string();
    match (request.method().clone(), path.as_str()) {
        (Method::Get, "/") => {
            let config = &shared.config;
            let page = PAGE
                .replace("{{TOKEN}}", &config.token)
                .replace("{{PROJECT}}", &html_escape(&config.project))
                .replace("{{REFRESH_MS}}", &config.refresh.as_millis().to_string())
                .replace("{{CONVERGE_ARGS}}", &html_escape(&config.converge_args))
                // JSON in a script element: `</` would end it.
                .replace(
                    "{{INSTANCES}}",
                    &instances_json(shared).to_string().replace("</", "<\\/"),
                );
            respond(request, 200, "text/html; charset=utf-8", page)
        }
        (Method::Get, "/api/instances") => respond_json(request, 200, &instances_json(shared)),
        (Method::Get, "/api/releases") => respond_json(request, 200, &releases_json(shared)),
        (Method::Get, "/api/logs") => stream_logs(request, shared, &query(&url)),
        (Method::Post, verb_path) if verb_path.starts_with("/api/verbs/") => {
            let verb = decode(&verb_path["/api/verbs/".len()..]);
            if header(&request, "X-Reyns-Token") != Some(shared.config.token.as_str()) {
                return respond_json(
                    request,
                    403,
                    &json!({"error": "no valid X-Reyns-Token: the page's token (its reyns-token meta tag) is needed to run a verb"}),
                );
            }
            let mut body = String::new();
            let _ = request
                .as_reader()
                .take(64 * 1024)
                .read_to_string(&mut body);
            let (status, answer) = run_verb(shared, &verb, &body);
            respond_json(request, status, &answer)
        }
        (_, "/" | "/api/instances" | "/api/releases" | "/api/logs") => {
            respond_json(request, 405, &json!({"error": "method not allowed"}))
        }
        _ => respond_json(
            request,
            404,
            &json!({"error": format!("nothing at {path}")}),
        ),
    }
}

/// Text made safe inside HTML and its attributes.
fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The snapshot as `GET /api/instances` answers it: each instance as `ps`
/// shows it plus `drift`, what `run` would do to it now.
fn instances_json(shared: &Shared) -> Value {
    let snapshot = locked(&shared.snapshot);
    let instances: Vec<Value> = snapshot
        .instances
        .iter()
        .map(|row| {
            let mut row = row.clone();
            let container = row["container"].as_str().unwrap_or_default().to_string();
            if let Some(object) = row.as_object_mut() {
                let drift = snapshot.drift.get(&container).cloned().unwrap_or_default();
                object.insert("drift".into(), Value::String(drift));
            }
            row
        })
        .collect();
    json!({"instances": instances, "error": snapshot.error, "drift_error": snapshot.drift_error})
}

/// `GET /api/releases`: the releases verb's JSON, read afresh.
fn releases_json(shared: &Shared) -> Value {
    match run_reyns(&shared.config.releases) {
        Ok((0, stdout, stderr)) => match serde_json::from_str::<Value>(&stdout) {
            Ok(list) => json!({"releases": list}),
            Err(_) => json!({"releases": [], "error": first_line(&stderr, 0)}),
        },
        Ok((code, _, stderr)) => json!({"releases": [], "error": first_line(&stderr, code)}),
        Err(error) => json!({"releases": [], "error": error}),
    }
}

/// `POST /api/verbs/<verb>` with `{"args": "demo,two"}`: `reyns
/// <verb>:<args>` run to its end; its exit status and the end of what it
/// printed.
fn run_verb(shared: &Shared, verb: &str, body: &str) -> (u16, Value) {
    if !shared.config.verbs.iter().any(|allowed| allowed == verb) {
        return (
            404,
            json!({"ok": false, "error": format!("the dashboard runs {}, not {verb}", shared.config.verbs.join(", "))}),
        );
    }
    let args = match serde_json::from_str::<Value>(if body.trim().is_empty() { "{}" } else { body })
    {
        Ok(Value::Object(map)) => match map.get("args") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(args)) => args.clone(),
            Some(_) => {
                return (
                    400,
                    json!({"ok": false, "error": "\"args\" must be a string"}),
                )
            }
        },
        _ => {
            return (
                400,
                json!({"ok": false, "error": "the body must be a JSON object: {\"args\": \"demo,two\"}"}),
            )
        }
    };
    if args.contains('\n') || args.contains('\0') {
        return (
            400,
            json!({"ok": false, "error": "\"args\" must be one line"}),
        );
    }
    let line = if args.is_empty() {
        verb.to_string()
    } else {
        format!("{verb}:{args}")
    };
    let answer = match run_reyns(&line) {
        Ok((code, stdout, stderr)) => {
            let printed = format!("{stdout}{stderr}");
            let lines: Vec<&str> = printed.lines().collect();
            let tail = lines[lines.len().saturating_sub(OUTPUT_LINES)..].join("\n");
            json!({"verb": verb, "args": args, "ok": code == 0, "exit_code": code, "output": tail})
        }
        Err(error) => json!({"verb": verb, "args": args, "ok": false, "error": error}),
    };
    // What the verb changed shows at the page's next read; the plan follows.
    refresh_instances(shared);
    shared.stale.store(true, Ordering::Relaxed);
    (200, answer)
}

/// `GET /api/logs?target=all` or `?service=demo&instance=one`: the logs
/// verb's lines, followed, as server-sent events, until the page goes away.
fn stream_logs(request: Request, shared: &Shared, params: &BTreeMap<String, String>) {
    let target = if params.get("target").map(String::as_str) == Some("all") {
        "all".to_string()
    } else {
        let (Some(service), Some(instance)) = (params.get("service"), params.get("instance"))
        else {
            return respond_json(
                request,
                400,
                &json!({"error": "logs takes target=all, or service= and instance="}),
            );
        };
        let known = locked(&shared.snapshot)
            .instances
            .iter()
            .any(|row| row["service"] == service.as_str() && row["instance"] == instance.as_str());
        if !known {
            return respond_json(
                request,
                404,
                &json!({"error": format!("no instance {service},{instance}")}),
            );
        }
        format!("{service},{instance}")
    };
    let line = shared.config.logs.replace("{target}", &target);
    let child = match crate::exec::reyns_again(&[line]).and_then(|expression| {
        expression
            .stdin_null()
            .stderr_to_stdout()
            .unchecked()
            .reader()
            .map_err(|err| err.to_string())
    }) {
        Ok(child) => Arc::new(child),
        Err(error) => return respond_json(request, 500, &json!({"error": error})),
    };
    {
        let mut streams = locked(&shared.streams);
        streams.retain(|running| matches!(running.try_wait(), Ok(None)));
        streams.push(Arc::clone(&child));
    }
    let (lines_tx, lines_rx) = channel::<String>();
    {
        let child = Arc::clone(&child);
        std::thread::spawn(move || {
            for line in BufReader::new(&*child).lines().map_while(Result::ok) {
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
        });
    }
    let mut writer = request.into_writer();
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n";
    let mut open = writer
        .write_all(head.as_bytes())
        .and_then(|()| writer.flush())
        .is_ok();
    while open && !shared.stop.load(Ordering::Relaxed) {
        let event = match lines_rx.recv_timeout(KEEPALIVE) {
            Ok(line) => format!("data: {}\n\n", line.replace('\r', "")),
            Err(RecvTimeoutError::Timeout) => ": alive\n\n".to_string(),
            Err(RecvTimeoutError::Disconnected) => break,
        };
        open = writer
            .write_all(event.as_bytes())
            .and_then(|()| writer.flush())
            .is_ok();
    }
    let _ = child.kill();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters_are_decoded() {
        let found = query("/api/logs?service=demo&instance=one%20two&x=a+b");
        assert_eq!(found["service"], "demo");
        assert_eq!(found["instance"], "one two");
        assert_eq!(found["x"], "a b");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%4"), "%4");
        assert_eq!(decode("%zz"), "%zz");
    }

    #[test]
    fn the_page_has_every_placeholder_filled_in() {
        for placeholder in [
            "{{TOKEN}}",
            "{{PROJECT}}",
            "{{REFRESH_MS}}",
            "{{CONVERGE_ARGS}}",
            "{{INSTANCES}}",
        ] {
            assert!(PAGE.contains(placeholder), "{placeholder}");
        }
        assert!(
            !PAGE.contains("http://") && !PAGE.contains("https://"),
            "the page loads nothing from elsewhere"
        );
    }
}
