//! Helpers for tests against the real Docker engine: one project name per
//! test, removed with its containers, volumes and images even when the test
//! fails; Reyns' images built once; a pseudo-terminal to drive interactive
//! verbs.

#![allow(dead_code)]

use super::{unique_name, Test};
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `docker ARGS` and returns its trimmed stdout; fails the test, with
/// docker's error, when docker fails (a check on empty output must not pass
/// because docker did not answer).
pub fn docker(args: &[&str]) -> String {
    let output = Command::new("docker")
        .args(args)
        .output()
        .expect("run docker");
    assert!(
        output.status.success(),
        "docker {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr).trim()
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// Runs `docker ARGS` where failing is expected (cleaning up what may be
/// gone, probing what may not be there yet): its trimmed stdout, `None`
/// when docker failed.
pub fn docker_may_fail(args: &[&str]) -> Option<String> {
    let output = Command::new("docker")
        .args(args)
        .output()
        .expect("run docker");
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// Runs `docker ARGS`; what it printed on stdout and stderr, in that order
/// (`docker logs` gives a container's stderr on its own stderr).
pub fn docker_both_streams(args: &[&str]) -> String {
    let output = Command::new("docker")
        .args(args)
        .output()
        .expect("run docker");
    String::from_utf8_lossy(&output.stdout).into_owned()
        + String::from_utf8_lossy(&output.stderr).as_ref()
}

/// Runs `docker ARGS` with `input` on its stdin; its whole output.
pub fn docker_with_input(args: &[&str], input: &str) -> std::process::Output {
    let mut child = Command::new("docker")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run docker");
    let mut stdin = child.stdin.take().expect("docker's stdin");
    stdin.write_all(input.as_bytes()).expect("write to docker");
    drop(stdin);
    child.wait_with_output().expect("wait for docker")
}

/// A project on the real engine; everything it made goes when dropped.
pub struct Project {
    pub name: String,
    pub dir: std::path::PathBuf,
    /// The temporary folder `dir` is in, removed last.
    _root: tempfile::TempDir,
}

impl Project {
    /// A new project folder with a unique `reyns-test-<pid>-<n>` name.
    pub fn new() -> Project {
        ensure_images();
        let name = unique_name();
        let root = super::temp_dir();
        let dir = root.path().join(&name);
        std::fs::create_dir_all(dir.join("services")).expect("project dir");
        Project {
            name,
            dir,
            _root: root,
        }
    }

    /// Adds a service folder with a Dockerfile and more files.
    pub fn service(&self, service: &str, dockerfile: &str, files: &[(&str, &str)]) -> &Project {
        let dir = self.dir.join("services").join(service);
        std::fs::create_dir_all(&dir).expect("service dir");
        std::fs::write(
            dir.join("Dockerfile"),
            dockerfile.replace("{project}", &self.name),
        )
        .expect("Dockerfile");
        for (name, contents) in files {
            std::fs::write(dir.join(name), contents).expect("service file");
        }
        self
    }

    /// Writes a file at the project root.
    pub fn file(&self, name: &str, contents: &str) -> &Project {
        std::fs::write(self.dir.join(name), contents).expect("project file");
        self
    }

    /// A reyns invocation in this project, against the real engine.
    pub fn reyns(&self, line: &str) -> Test {
        Test::in_dir(&self.dir)
            .real_docker()
            .env("PROJECT_NAME", &self.name)
            .args(line)
    }

    /// Copies the demo into `reyns-demo` in this project's folder; returns
    /// that folder (see [`Project::in_demo`]).
    pub fn install_demo(&self) -> std::path::PathBuf {
        self.reyns("install_demo").run().success();
        self.dir.join("reyns-demo")
    }

    /// A reyns invocation in the demo this project installed, under this
    /// project's name, with `EXAMPLE_ENV_VAR` (the var the demo asks for).
    pub fn in_demo(&self, line: &str, example: &str) -> Test {
        Test::in_dir(&self.dir.join("reyns-demo"))
            .real_docker()
            .env("PROJECT_NAME", &self.name)
            .env("EXAMPLE_ENV_VAR", example)
            .args(line)
    }

    /// The container name of an instance.
    pub fn container(&self, service: &str, instance: &str) -> String {
        format!("{}-{service}-{instance}", self.name)
    }

    /// The ids of this project's containers, any state.
    pub fn containers(&self) -> Vec<String> {
        let filter = format!("label=reyns.project={}", self.name);
        docker(&["ps", "-aq", "--no-trunc", "--filter", &filter])
            .lines()
            .map(str::to_string)
            .collect()
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        // Cleaning up never fails the test (nor aborts one that failed).
        let filter = format!("label=reyns.project={}", self.name);
        let ids: Vec<String> = docker_may_fail(&["ps", "-aq", "--no-trunc", "--filter", &filter])
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect();
        if !ids.is_empty() {
            let mut args = vec!["rm", "-f", "-v"];
            args.extend(ids.iter().map(String::as_str));
            docker_may_fail(&args);
        }
        let volumes: Vec<String> = docker_may_fail(&["volume", "ls", "-q"])
            .unwrap_or_default()
            .lines()
            .filter(|v| v.starts_with(&format!("{}-", self.name)))
            .map(str::to_string)
            .collect();
        for volume in volumes {
            docker_may_fail(&["volume", "rm", "-f", &volume]);
        }
        // Every tag: a release's images carry reyns' own (`reyns_releases:<n>-<i>`).
        let images = docker_may_fail(&[
            "images",
            "--format",
            "{{.Repository}}:{{.Tag}}",
            &format!("{}/*", self.name),
        ])
        .unwrap_or_default();
        for image in images.lines() {
            docker_may_fail(&["rmi", "-f", image]);
        }
    }
}

/// Builds Reyns' images once per test run (serialised across test processes
/// by a lock file), with the shared REYNS_HOME's keys.
pub fn ensure_images() {
    static DONE: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    DONE.get_or_init(|| {
        // Without an engine, one line says so (CI always has one).
        let engine = Command::new("docker")
            .args(["version", "--format", "{{.Server.Version}}"])
            .output();
        if !engine.as_ref().is_ok_and(|out| out.status.success()) {
            let said = engine
                .map(|out| String::from_utf8_lossy(&out.stderr).trim().to_string())
                .unwrap_or_else(|err| err.to_string());
            panic!("the end-to-end tests need a running Docker engine (`docker version`: {said})");
        }
        let lock_path = super::repo().join("target/reyns-e2e-init.lock");
        let lock = std::fs::File::create(&lock_path).expect("lock file");
        // Released when `lock` drops.
        lock.lock().expect("lock the init lock file");
        let out = Command::new(super::reyns_bin())
            .arg("init")
            .env("REYNS_HOME", super::default_home())
            .output()
            .expect("run reyns init");
        assert!(
            out.status.success(),
            "reyns init failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    });
}

/// Waits until `check` holds, up to `seconds`.
pub fn eventually(seconds: u64, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

/// A program running on a pseudo-terminal, driven like a person would.
pub struct Terminal {
    master: std::fs::File,
    slave: OwnedFd,
    child: std::process::Child,
    seen: String,
}

impl Terminal {
    /// Starts reyns with `line` in `dir`, on a new pseudo-terminal.
    pub fn start(dir: &Path, env: &[(&str, &str)], line: &str) -> Terminal {
        let (mut master_fd, mut slave_fd) = (0, 0);
        let size = libc::winsize {
            ws_row: 40,
            ws_col: 120,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: openpty fills two descriptors we then own.
        let status = unsafe {
            libc::openpty(
                &mut master_fd,
                &mut slave_fd,
                std::ptr::null_mut(),
                std::ptr::null(),
                &size,
            )
        };
        assert_eq!(status, 0, "openpty failed");
        // SAFETY: the descriptors were just opened and are owned here.
        let (master, slave) = unsafe {
            (
                std::fs::File::from_raw_fd(master_fd),
                OwnedFd::from_raw_fd(slave_fd),
            )
        };
        let stdio = |fd: &OwnedFd| Stdio::from(fd.try_clone().expect("dup pty"));
        let mut command = Command::new(super::reyns_bin());
        command
            .args(line.split(' '))
            .current_dir(dir)
            .env("REYNS_HOME", super::default_home())
            .env("TERM", "xterm")
            .stdin(stdio(&slave))
            .stdout(stdio(&slave))
            .stderr(stdio(&slave));
        for (key, value) in env {
            command.env(key, value);
        }
        let child = command.spawn().expect("start reyns on a pty");
        // SAFETY: O_NONBLOCK on the master we own.
        unsafe {
            let flags = libc::fcntl(master.as_raw_fd(), libc::F_GETFL);
            libc::fcntl(master.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK);
        }
        Terminal {
            master,
            slave,
            child,
            seen: String::new(),
        }
    }

    /// Types text.
    pub fn send(&mut self, text: &str) {
        self.master
            .write_all(text.as_bytes())
            .expect("type on the pty");
    }

    /// Reads until `text` shows (true) or `seconds` pass (false).
    pub fn expect(&mut self, text: &str, seconds: u64) -> bool {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let mut buffer = [0u8; 4096];
        while Instant::now() < deadline {
            if self.seen.contains(text) {
                return true;
            }
            match self.master.read(&mut buffer) {
                Ok(count) if count > 0 => self
                    .seen
                    .push_str(&String::from_utf8_lossy(&buffer[..count])),
                _ => std::thread::sleep(Duration::from_millis(50)),
            }
        }
        self.seen.contains(text)
    }

    /// All output seen so far.
    pub fn seen(&self) -> &str {
        &self.seen
    }

    /// The terminal settings of the pseudo-terminal, to compare before and after.
    pub fn settings(&self) -> (u32, u32, u32) {
        // SAFETY: tcgetattr fills a termios for a descriptor we own.
        let mut attributes: libc::termios = unsafe { std::mem::zeroed() };
        unsafe { libc::tcgetattr(self.slave.as_raw_fd(), &mut attributes) };
        (attributes.c_iflag, attributes.c_oflag, attributes.c_lflag)
    }

    /// Waits for the program to end and returns its exit code.
    pub fn wait(&mut self, seconds: u64) -> Option<i32> {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let mut buffer = [0u8; 4096];
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            if let Ok(count) = self.master.read(&mut buffer) {
                self.seen
                    .push_str(&String::from_utf8_lossy(&buffer[..count]));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        None
    }
}

/// Asserts that a command succeeded (naming `what` with its output when
/// not); returns its stdout.
pub fn ok(output: std::process::Output, what: &str) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        output.status.success(),
        "{what} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The image of a test node: Debian with a Docker engine.
pub fn node_image() -> &'static str {
    let node_image = "reyns-test-node";
    if docker(&["images", "-q", node_image]).is_empty() {
        let context = super::temp_dir();
        std::fs::write(
            context.path().join("Dockerfile"),
            "FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y --no-install-recommends docker.io iproute2 procps && rm -rf /var/lib/apt/lists/*\n",
        )
        .unwrap();
        ok(
            std::process::Command::new("docker")
                .args(["build", "-q", "-t", node_image])
                .arg(context.path())
                .output()
                .unwrap(),
            "building the node image",
        );
    }
    node_image
}

/// The test's own network and the node containers on it, removed (with
/// their engines' volumes) when dropped, pass or fail.
pub struct Nodes {
    pub network: String,
    pub containers: Vec<String>,
}

impl Drop for Nodes {
    fn drop(&mut self) {
        for container in &self.containers {
            docker_may_fail(&["rm", "-f", "-v", container]);
        }
        docker_may_fail(&["network", "rm", &self.network]);
    }
}

impl Nodes {
    /// The test's own network, no node yet.
    pub fn new() -> Nodes {
        let nodes = Nodes {
            network: unique_name(),
            containers: Vec::new(),
        };
        ok(
            Command::new("docker")
                .args(["network", "create", &nodes.network])
                .output()
                .unwrap(),
            "creating the test network",
        );
        nodes
    }

    /// Starts a node: a container `name` (host name `hostname`) running its
    /// own Docker engine with the bridge `bip`, reachable on the test's
    /// network at tcp://<its address>:2375 (plain tcp: on that network
    /// only). Stopped and started again, its engine comes back.
    pub fn start(&mut self, name: &str, hostname: &str, bip: &str) {
        self.containers.push(name.to_string());
        let engine = format!(
            "rm -f /var/run/docker.pid; exec dockerd --bip {bip} -H unix:///var/run/docker.sock -H tcp://0.0.0.0:2375"
        );
        ok(
            Command::new("docker")
                .args(["run", "-d", "--name", name, "--hostname", hostname])
                .args(["--network", &self.network])
                .args(["--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN"])
                .args(["--security-opt", "seccomp=unconfined", "--cgroupns", "host"])
                .args([
                    "-v",
                    "/sys/fs/cgroup:/sys/fs/cgroup:rw",
                    "-v",
                    "/var/lib/docker",
                ])
                .args([node_image(), "sh", "-c", &engine])
                .output()
                .unwrap(),
            "starting a node",
        );
    }

    /// A node container's address on the test's network.
    pub fn address(&self, name: &str) -> String {
        let template = format!(
            "{{{{(index .NetworkSettings.Networks \"{}\").IPAddress}}}}",
            self.network
        );
        docker(&["inspect", "--format", &template, name])
    }
}
