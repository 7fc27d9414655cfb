//! The test harness: runs the real `reyns` binary in a project folder of its
//! own, with a fake `docker` (see `fake_docker.rs`) or the real engine, and
//! checks what came out. Golden files live in `tests/golden/`; run with
//! `REYNS_BLESS=1` to rewrite them.

#![allow(dead_code)]

pub mod browser;
pub mod engine;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// The reyns binary under test.
pub fn reyns_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_reyns"))
}

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh, unique name: `reyns-test-<pid>-<n>`.
pub fn unique_name() -> String {
    format!(
        "reyns-test-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

/// A fresh empty folder under the system temp folder, named
/// `reyns-test-<pid>-<n>-...`, removed with everything in it when dropped.
pub fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("{}-", unique_name()))
        .tempdir()
        .expect("temp dir")
}

/// Copies a folder tree.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create copy target");
    for entry in std::fs::read_dir(from).expect("read fixture") {
        let entry = entry.expect("fixture entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy fixture file");
        }
    }
}

/// The fake docker, compiled once per test process with rustc.
pub fn fake_docker_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = repo()
            .join("target")
            .join(format!("fake-docker-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("fake docker dir");
        let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
        let status = Command::new(rustc)
            .args(["--edition", "2021", "-O", "-o"])
            .arg(dir.join("docker"))
            .arg(repo().join("tests/support/fake_docker.rs"))
            .status()
            .expect("run rustc for the fake docker");
        assert!(status.success(), "the fake docker did not compile");
        dir
    })
}

/// What a run of reyns left.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// stdout with the run's paths, host name, hashes and times as placeholders.
    pub stdout_normalised: String,
    /// The docker commands the fake docker saw, normalised.
    pub docker: String,
}

impl Output {
    pub fn success(self) -> Self {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn code(self, expected: i32) -> Self {
        assert_eq!(
            self.code, expected,
            "expected exit code {expected}\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn stdout_has(self, text: &str) -> Self {
        assert!(
            self.stdout.contains(text),
            "stdout lacks {text:?}:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    pub fn stderr_has(self, text: &str) -> Self {
        assert!(
            self.stderr.contains(text),
            "stderr lacks {text:?}:\n{}",
            self.stderr
        );
        self
    }

    /// A single-line `reyns: error:` and no Rust panic.
    pub fn clean_error(self) -> Self {
        assert!(
            self.code != 0,
            "expected a failure, got success:\n{}",
            self.stdout
        );
        assert!(
            self.stderr.starts_with("reyns: error: "),
            "error not in reyns' form:\n{}",
            self.stderr
        );
        assert!(
            !self.stderr.contains("panicked") && !self.stderr.contains("RUST_BACKTRACE"),
            "panic:\n{}",
            self.stderr
        );
        self
    }

    /// No docker command that creates a container ran.
    pub fn created_nothing(self) -> Self {
        assert!(
            !self.docker.lines().any(|l| l.starts_with("docker run")
                || l.starts_with("docker create")
                || l.starts_with("docker build")),
            "docker commands that create something ran:\n{}",
            self.docker
        );
        self
    }

    /// Compares the docker commands with `tests/golden/<name>.txt` (or
    /// rewrites it with REYNS_BLESS=1).
    pub fn golden(self, name: &str) -> Self {
        compare_golden(name, &self.docker, "docker commands");
        self
    }

    /// Compares what reyns printed on stdout (with the run's paths, host
    /// name, hashes and times as placeholders) with `tests/golden/<name>.txt`.
    pub fn golden_stdout(self, name: &str) -> Self {
        compare_golden(name, &self.stdout_normalised, "stdout");
        self
    }
}

/// Compares `got` with `tests/golden/<name>.txt`, or rewrites the file with REYNS_BLESS=1.
fn compare_golden(name: &str, got: &str, what: &str) {
    compare_with_file(
        &repo().join("tests/golden").join(format!("{name}.txt")),
        got,
        what,
    );
}

/// Compares `got` with the file at `path`, or rewrites it with REYNS_BLESS=1.
pub fn compare_with_file(path: &Path, got: &str, what: &str) {
    if std::env::var_os("REYNS_BLESS").is_some() {
        std::fs::write(path, got).expect("write golden");
        return;
    }
    let expected = std::fs::read_to_string(path)
        .unwrap_or_else(|_| panic!("no golden file {} (run with REYNS_BLESS=1)", path.display()));
    if expected != got {
        panic!(
            "{what} differ from {}\n--- expected\n{expected}\n--- got\n{got}\n(rerun with REYNS_BLESS=1 if the change is right)",
            path.display(),
        );
    }
}

/// A reyns invocation being set up.
pub struct Test {
    pub dir: PathBuf,
    pub home: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    fake: Option<PathBuf>,
    stdin: Option<String>,
    /// Temporary folders this test made, removed when it is dropped.
    owned: Vec<tempfile::TempDir>,
}

impl Test {
    /// A test in a fresh empty project folder, with the fake docker.
    pub fn new() -> Test {
        let root = temp_dir();
        let dir = root.path().join("proj");
        std::fs::create_dir_all(&dir).expect("project dir");
        Test::in_dir(&dir).owning(root)
    }

    /// Removes `dir` when the test is dropped.
    fn owning(mut self, dir: tempfile::TempDir) -> Test {
        self.owned.push(dir);
        self
    }

    /// A test in a copy of `tests/fixtures/<name>`, with the fake docker.
    pub fn fixture(name: &str) -> Test {
        let root = temp_dir();
        let dir = root.path().join(name);
        copy_tree(&repo().join("tests/fixtures").join(name), &dir);
        Test::in_dir(&dir).owning(root)
    }

    /// A test in a copy of the demo project, with the fake docker.
    pub fn demo() -> Test {
        let root = temp_dir();
        let dir = root.path().join("reyns-demo");
        copy_tree(&repo().join("demo"), &dir);
        Test::in_dir(&dir).owning(root)
    }

    /// A test run in `dir`, with the fake docker.
    pub fn in_dir(dir: &Path) -> Test {
        let fake_dir = temp_dir();
        let fake = fake_dir.path().to_path_buf();
        let home = fake.join("home");
        Test {
            dir: dir.to_path_buf(),
            home,
            args: Vec::new(),
            // Reads started ahead would reorder the fake docker's log:
            // tests of read-ahead turn it on again.
            env: vec![
                ("PROJECT_NAME".into(), "proj".into()),
                ("REYNS_READAHEAD".into(), "0".into()),
            ],
            fake: Some(fake.clone()),
            stdin: None,
            owned: vec![fake_dir],
        }
    }

    /// Uses the real docker instead of the fake one.
    pub fn real_docker(mut self) -> Test {
        self.fake = None;
        self.env.retain(|(key, _)| key != "REYNS_READAHEAD");
        self.home = default_home();
        self
    }

    pub fn args(mut self, line: &str) -> Test {
        self.args = line
            .split(' ')
            .filter(|word| !word.is_empty())
            .map(str::to_string)
            .collect();
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Test {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn stdin(mut self, text: &str) -> Test {
        self.stdin = Some(text.into());
        self
    }

    /// Writes a fixture answer for the fake docker (`ps.jsonl`, `missing-images`, ...).
    pub fn docker_answer(self, name: &str, contents: &str) -> Test {
        let fake = self.fake.as_ref().expect("a fake docker test");
        std::fs::write(fake.join(name), contents).expect("write fake docker answer");
        self
    }

    /// Starts reyns without waiting for it (stdout and stderr piped).
    pub fn spawn(&self) -> std::process::Child {
        let mut command = Command::new(reyns_bin());
        command
            .args(&self.args)
            .current_dir(&self.dir)
            .env_remove("LOG_LEVEL")
            .env("REYNS_HOME", &self.home);
        for (key, value) in &self.env {
            command.env(key, value);
        }
        if let Some(fake) = &self.fake {
            let path = std::env::var("PATH").unwrap_or_default();
            command
                .env("PATH", format!("{}:{path}", fake_docker_dir().display()))
                .env("FAKE_DOCKER_LOG", fake.join("docker.log"))
                .env("FAKE_DOCKER_DIR", fake)
                .env("REYNS_PARALLEL", "1");
        }
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command.spawn().expect("start reyns")
    }

    /// The fake docker's raw log (not normalised).
    pub fn docker_log_path(&self) -> PathBuf {
        self.fake
            .as_ref()
            .expect("a fake docker test")
            .join("docker.log")
    }

    /// The docker commands the fake docker has seen so far.
    pub fn docker_log(&self) -> String {
        self.normalise(&std::fs::read_to_string(self.docker_log_path()).unwrap_or_default())
    }

    /// The fake engine's record of container `name` (its state, then its
    /// `run` argv; see `fake_docker.rs`), which a test may alter as if the
    /// engine had changed it.
    pub fn fake_container_path(&self, name: &str) -> PathBuf {
        self.fake
            .as_ref()
            .expect("a fake docker test")
            .join("containers")
            .join(name)
    }

    /// Runs reyns and collects its output.
    pub fn run(&self) -> Output {
        self.run_with_path(&std::env::var("PATH").unwrap_or_default())
    }

    /// Runs reyns with `path` as PATH (after the fake docker's folder, if faked).
    pub fn run_with_path(&self, path: &str) -> Output {
        let mut command = Command::new(reyns_bin());
        command.env("PATH", path);
        command.args(&self.args).current_dir(&self.dir);
        command
            .env_remove("LOG_LEVEL")
            .env("REYNS_HOME", &self.home);
        for (key, value) in &self.env {
            command.env(key, value);
        }
        let log = self.fake.as_ref().map(|fake| fake.join("docker.log"));
        if let (Some(fake), Some(log)) = (&self.fake, &log) {
            let _ = std::fs::remove_file(log);
            command
                .env("PATH", format!("{}:{path}", fake_docker_dir().display()))
                .env("FAKE_DOCKER_LOG", log)
                .env("FAKE_DOCKER_DIR", fake)
                .env("REYNS_PARALLEL", "1");
        }
        command.stdin(if self.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().expect("start reyns");
        if let Some(input) = &self.stdin {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(input.as_bytes())
                .expect("write stdin");
        }
        let output = child.wait_with_output().expect("wait for reyns");
        let docker = log
            .and_then(|log| std::fs::read_to_string(log).ok())
            .unwrap_or_default();
        Output {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).to_string(),
            stdout_normalised: self.normalise(&String::from_utf8_lossy(&output.stdout)),
            docker: self.normalise(&docker),
        }
    }

    /// Replaces the run's own paths and host name by placeholders.
    fn normalise(&self, text: &str) -> String {
        let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        let mut text = text
            .replace(&self.dir.display().to_string(), "<project>")
            .replace(&self.home.display().to_string(), "<home>");
        let hostname = hostname.trim();
        if !hostname.is_empty() {
            text = text.replace(&format!("HOST_HOSTNAME={hostname}"), "HOST_HOSTNAME=<host>");
        }
        // The converge hash covers HOST_HOSTNAME and the log follows from the
        // moment a job started: both differ from run to run of the tests.
        let varying = regex::Regex::new(
            r"(reyns\.hash=)[0-9a-f]{64}|(reyns\.inputs=)'?\{[^}]*\}'?|(--since )[0-9.]+",
        )
        .expect("valid pattern");
        varying
            .replace_all(&text, |found: &regex::Captures| {
                let (prefix, what) = match (found.get(1), found.get(2), found.get(3)) {
                    (Some(p), _, _) => (p.as_str(), "<hash>"),
                    (_, Some(p), _) => (p.as_str(), "<inputs>"),
                    (_, _, Some(p)) => (p.as_str(), "<time>"),
                    _ => ("", ""),
                };
                format!("{prefix}{what}")
            })
            .to_string()
    }
}

/// Sends SIGINT to a running reyns after `millis`, as Ctrl-C would, and
/// checks that it stops with exit code 130, saying it was interrupted.
pub fn interrupt_after(child: std::process::Child, millis: u64) -> std::process::Output {
    std::thread::sleep(std::time::Duration::from_millis(millis));
    // SAFETY: signalling the child we started.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().expect("wait for reyns");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    out
}

/// The REYNS_HOME the real-engine tests share (images are built once, with its keys).
pub fn default_home() -> PathBuf {
    match std::env::var_os("REYNS_HOME") {
        Some(home) => PathBuf::from(home),
        None => {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| "/root".into())).join(".reyns")
        }
    }
}

/// Kills a process started in the background when a test ends before it
/// did (a failed assertion), so no `reyns ui` or `watch` outlives its test.
pub struct KillOnDrop(pub u32);

impl KillOnDrop {
    /// The process was waited for: nothing to kill.
    pub fn disarm(self) {
        std::mem::forget(self);
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        // SAFETY: signalling a process this test started.
        unsafe { libc::kill(self.0 as i32, libc::SIGKILL) };
    }
}
