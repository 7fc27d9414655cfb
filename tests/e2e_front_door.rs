//! End to end on the real Docker engine: the front door. A reyns-base
//! service runs a small HTTP server on a published port; a client on the
//! host asks `127.0.0.1:<port>` every 20 ms. A changed env var recreates it
//! start-first through its front door: no request fails, and a slow request
//! started before the recreate is answered by the old instance. Then a
//! replacement whose readiness never passes: no request fails, the old one
//! still answers, the run exits 1 naming the check, nothing is left behind.
//! `ps` shows the door, `doctor` checks it, `clean` closes the port.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use support::engine::{docker, eventually, Project};

/// The server: answers `GET /` with its GREETING at once, `GET /slow`
/// after 3 s (python3 comes with supervisord in reyns-base).
const SERVER: &str = r#"import http.server, os, time
class Greeter(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/slow":
            time.sleep(3)
        body = (os.environ.get("GREETING", "none") + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("0.0.0.0", 8080), Greeter).serve_forever()
"#;

/// A host port nobody holds now.
fn free_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

/// One request to `127.0.0.1:port` (`path`): the body of a 200 answer,
/// or what went wrong.
fn get(port: u16, path: &str) -> Result<String, String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|err| err.to_string())?;
    stream.set_read_timeout(Some(Duration::from_secs(15))).ok();
    stream
        .write_all(format!("GET {path} HTTP/1.0\r\n\r\n").as_bytes())
        .map_err(|err| err.to_string())?;
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .map_err(|err| err.to_string())?;
    match answer.split_once("\r\n\r\n") {
        Some((head, body)) if head.starts_with("HTTP/1.0 200") => Ok(body.trim().to_string()),
        _ => Err(format!("not a 200: {answer:?}")),
    }
}

/// A client asking every 20 ms until stopped: the bodies it got, the
/// failures it saw.
struct Client {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<(Vec<String>, Vec<String>)>,
}

impl Client {
    fn start(port: u16) -> Client {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            let (mut bodies, mut failures) = (Vec::new(), Vec::new());
            while !stopped.load(Ordering::Relaxed) {
                match get(port, "/") {
                    Ok(body) => bodies.push(body),
                    Err(err) => failures.push(err),
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            (bodies, failures)
        });
        Client { stop, thread }
    }

    fn finish(self) -> (Vec<String>, Vec<String>) {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().expect("the client")
    }
}

#[test]
fn a_published_instance_is_recreated_through_its_front_door_without_a_failed_request() {
    let project = Project::new();
    let port = free_port();
    let dockerfile = format!(
        "# reyns: expose 8080 as {port}\n# reyns: ready tcp 8080\nFROM reyns/reyns-base\nCOPY web.py /opt/web.py\nCOPY web.conf /etc/supervisor/conf.d/\n"
    );
    let program = "[program:web]\ncommand=python3 /opt/web.py\nautostart=true\n";
    project.service(
        "web",
        &dockerfile,
        &[("web.py", SERVER), ("web.conf", program)],
    );
    let conf = |greeting: &str| {
        format!(
            r#"[{{"service": "web", "instance": "one", "instance_type": "published", "env_vars": {{"GREETING": "{greeting}"}}}}]"#
        )
    };
    project.file("default.conf", &conf("first"));
    let reyns = |line: &str| project.reyns(line).env("PUBLISH_ON_IP", "127.0.0.1");
    let web = project.container("web", "one");
    let door = format!("{web}_door");
    reyns("build:web").run().success();
    reyns("run:all").run().success();
    assert_eq!(get(port, "/").as_deref(), Ok("first"));
    // The door holds the port; the instance publishes nothing itself.
    assert_eq!(
        docker(&[
            "inspect",
            "--format",
            "{{json .HostConfig.PortBindings}}",
            &web
        ]),
        "{}"
    );
    assert_eq!(
        docker(&[
            "inspect",
            "--format",
            "{{.HostConfig.NetworkMode}} {{.HostConfig.RestartPolicy.Name}}",
            &door
        ]),
        "host unless-stopped"
    );
    reyns("ps")
        .run()
        .success()
        .stdout_has("web,instance=one (front door)")
        .stdout_has(&format!("127.0.0.1:{port}->8080/tcp"));
    reyns("doctor").run().success().stdout_has(&format!(
        "ok: front door {door} forwards 1 port(s) to {web}"
    ));

    // The plan says how it would be replaced.
    project.file("default.conf", &conf("second"));
    reyns("run:all,plan=True")
        .run()
        .success()
        .stdout_has(&format!(
            "recreate {web} (start-first, through the front door): env GREETING changed"
        ));

    // A changed env var: replaced start-first, no request failed, and a
    // slow request made before is answered by the old instance.
    let client = Client::start(port);
    let slow = std::thread::spawn(move || get(port, "/slow"));
    std::thread::sleep(Duration::from_millis(300));
    reyns("run:all")
        .run()
        .success()
        .stderr_has("env GREETING changed");
    let (bodies, failures) = client.finish();
    assert_eq!(
        failures,
        Vec::<String>::new(),
        "failed requests during the recreate"
    );
    assert!(
        bodies.iter().any(|body| body == "first"),
        "answered before: {bodies:?}"
    );
    assert_eq!(bodies.last().map(String::as_str), Some("second"));
    assert_eq!(
        slow.join().unwrap().as_deref(),
        Ok("first"),
        "the slow request"
    );
    assert!(
        bodies.len() >= 20,
        "the client ran through it ({} requests)",
        bodies.len()
    );

    // Faults behind reyns' back, each healed by one run:all: the door
    // killed (docker counts a kill as a stop: it stays down), the door
    // removed, the instance restarted at another address.
    docker(&["kill", &door]);
    reyns("run:all")
        .run()
        .success()
        .stderr_has("its front door is made to forward to it again");
    assert_eq!(get(port, "/").as_deref(), Ok("second"));
    docker(&["rm", "--force", &door]);
    reyns("run:all").run().success();
    assert_eq!(get(port, "/").as_deref(), Ok("second"));
    // Another container takes the instance's address while it is down.
    let address_of = |name: &str| {
        docker(&[
            "inspect",
            "--format",
            "{{.NetworkSettings.IPAddress}}",
            name,
        ])
    };
    let before = address_of(&web);
    docker(&["stop", "-t", "1", &web]);
    // Squatters until one holds its address (the engine hands out the
    // free addresses in its own order).
    let mut squatters = Vec::new();
    while squatters.len() < 30
        && !squatters
            .iter()
            .any(|name: &String| address_of(name) == before)
    {
        let name = format!("{web}-squatter{}", squatters.len());
        let label = format!("reyns.project={}", project.name);
        docker(&[
            "run",
            "-d",
            "--name",
            &name,
            "--label",
            &label,
            "reyns/reyns-base",
            "sleep",
            "600",
        ]);
        squatters.push(name);
    }
    docker(&["start", &web]);
    assert_ne!(
        address_of(&web),
        before,
        "the instance came back at another address"
    );
    assert_eq!(
        docker(&["exec", &door, "/usr/local/bin/reyns-door", "target"]),
        before,
        "the door still points at the old one"
    );
    reyns("run:all").run().success();
    assert_eq!(get(port, "/").as_deref(), Ok("second"));
    for name in &squatters {
        docker(&["rm", "--force", name]);
    }

    // A replacement that never gets ready: removed, the door never
    // switched, no request failed, exit 1 naming the check.
    project.service(
        "web",
        &dockerfile.replace("ready tcp 8080", "ready tcp 8081"),
        &[("web.py", SERVER), ("web.conf", program)],
    );
    reyns("build:web").run().success();
    project.file("default.conf", &conf("third"));
    let client = Client::start(port);
    reyns("run:all,timeout=5")
        .run()
        .code(1)
        .stderr_has(&format!(
            "{web}: its replacement did not become ready and was removed"
        ))
        .stderr_has("the readiness check `tcp 8081");
    let (bodies, failures) = client.finish();
    assert_eq!(
        failures,
        Vec::<String>::new(),
        "failed requests during the failed recreate"
    );
    assert!(bodies.iter().all(|body| body == "second"), "{bodies:?}");
    let mut names: Vec<String> = project
        .containers()
        .iter()
        .map(|id| {
            docker(&["inspect", "--format", "{{.Name}}", id])
                .trim_start_matches('/')
                .to_string()
        })
        .collect();
    names.sort();
    assert_eq!(names, [web.clone(), door.clone()], "nothing left behind");

    // clean of the instance closes its port.
    reyns("clean:web,one").run().success();
    assert!(
        project.containers().is_empty(),
        "the door went with its instance"
    );
    assert!(
        eventually(5, || TcpStream::connect(("127.0.0.1", port)).is_err()),
        "the port is closed"
    );
    // clean:all removes every door, one whose instance went behind reyns'
    // back too.
    project.service(
        "web",
        &dockerfile,
        &[("web.py", SERVER), ("web.conf", program)],
    );
    reyns("build:web").run().success();
    reyns("run:all").run().success();
    assert_eq!(get(port, "/").as_deref(), Ok("third"));
    docker(&["rm", "--force", &web]);
    reyns("clean:all,force=True")
        .run()
        .success()
        .stderr_has(&format!("removed the front door {door}"));
    assert!(
        project.containers().is_empty(),
        "{:?}",
        project.containers()
    );
}
