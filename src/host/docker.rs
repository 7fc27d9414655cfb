//! Running the `docker` CLI through duct, always as an argument vector.
//!
//! Commands that change something honour the plan mode (`plan=True`): they are
//! printed, quoted for a shell, instead of run. Queries always run. With
//! `LOG_LEVEL=DEBUG` every command is printed before it runs.

use super::term::{self, Level};
use super::{fail, strings, HostResult};
use rhai::plugin::*;
use rhai::{Array, Dynamic, Map};
use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

static PLAN_MODE: AtomicBool = AtomicBool::new(false);

/// How many lines of a failed command's stderr an error shows.
const TAIL_LINES: usize = 15;

/// The `docker` program: `$REYNS_DOCKER` when set, else `docker` on PATH.
pub fn program() -> Result<PathBuf, Box<EvalAltResult>> {
    if let Some(path) = std::env::var_os("REYNS_DOCKER") {
        return Ok(PathBuf::from(path));
    }
    which::which("docker").or_else(|_| {
        fail("`docker` was not found on PATH: install the Docker CLI (e.g. `apt-get install docker.io`)")
    })
}

/// A command line quoted so it can be pasted into a shell.
pub fn shown(argv: &[String]) -> String {
    let mut words = vec!["docker".to_string()];
    words.extend(argv.iter().cloned());
    shell_words::join(words)
}

/// Builds the duct expression for `docker ARGV`, logging it at DEBUG.
/// The command runs in a process group of its own, so that Ctrl-C on the
/// terminal reaches reyns only: reyns lets running commands finish (no
/// half-created container) and starts no new ones.
pub fn command(argv: &[String]) -> HostResult<duct::Expression> {
    term::log(Level::Debug, &format!("$ {}", shown(argv)));
    Ok(duct::cmd(program()?, argv).before_spawn(|child| {
        use std::os::unix::process::CommandExt;
        child.process_group(0);
        Ok(())
    }))
}

/// Like [`command`], but in reyns' own process group, for commands that own
/// the terminal (`run -it`, `exec -it`) and must get its signals.
fn terminal_command(argv: &[String]) -> HostResult<duct::Expression> {
    term::log(Level::Debug, &format!("$ {}", shown(argv)));
    Ok(duct::cmd(program()?, argv))
}

/// What a finished command left behind.
#[derive(Default)]
pub struct Outcome {
    pub code: i64,
    pub stdout: String,
    pub stderr: String,
}

/// What one job of a graph came to; plain data, so threads can hand it back.
#[derive(Default)]
struct JobResult {
    ok: bool,
    code: i64,
    stdout: String,
    stderr: String,
    output: Option<String>,
    seconds: f64,
    skipped: bool,
}

impl JobResult {
    fn to_map(&self) -> Map {
        let mut map = Map::new();
        map.insert("ok".into(), self.ok.into());
        map.insert("exit_code".into(), self.code.into());
        map.insert("stdout".into(), self.stdout.clone().into());
        map.insert("stderr".into(), self.stderr.clone().into());
        map.insert("seconds".into(), self.seconds.into());
        map.insert("skipped".into(), self.skipped.into());
        if let Some(output) = &self.output {
            map.insert("output".into(), output.clone().into());
        }
        map
    }
}

impl Outcome {
    fn to_map(&self) -> Map {
        let mut map = Map::new();
        map.insert("exit_code".into(), self.code.into());
        map.insert("stdout".into(), self.stdout.clone().into());
        map.insert("stderr".into(), self.stderr.clone().into());
        map.insert("ok".into(), (self.code == 0).into());
        map
    }
}

/// Runs `docker ARGV` to completion, capturing both outputs.
pub fn outcome(argv: &[String], input: Option<&str>) -> Result<Outcome, Box<EvalAltResult>> {
    let mut expression = command(argv)?.stdout_capture().stderr_capture().unchecked();
    if let Some(input) = input {
        expression = expression.stdin_bytes(input.as_bytes().to_vec());
    }
    let output = expression
        .run()
        .or_else(|err| fail(format!("cannot start `{}`: {err}", shown(argv))))?;
    Ok(Outcome {
        code: exit_code(&output.status),
        stdout: String::from_utf8_lossy(&output.stdout).to_string(),
        stderr: String::from_utf8_lossy(&output.stderr).to_string(),
    })
}

/// The exit status as a number; a signal `N` counts as `128 + N`, like a shell.
pub fn exit_code(status: &std::process::ExitStatus) -> i64 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => code.into(),
        (None, Some(signal)) => 128 + i64::from(signal),
        (None, None) => 1,
    }
}

/// The last lines of a command's error output.
pub fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n")
}

/// A command line for error messages: long arguments (templates) cut short.
fn shown_short(argv: &[String]) -> String {
    let cut: Vec<String> = argv
        .iter()
        .map(|arg| {
            if arg.chars().count() > 60 {
                arg.chars().take(40).collect::<String>() + "..."
            } else {
                arg.clone()
            }
        })
        .collect();
    shown(&cut)
}

/// The error for a command that exited non-zero.
fn failed(argv: &[String], outcome: &Outcome) -> Box<EvalAltResult> {
    let detail = tail(if outcome.stderr.trim().is_empty() {
        &outcome.stdout
    } else {
        &outcome.stderr
    });
    if detail.contains("Cannot connect to the Docker daemon")
        || detail.contains("Is the docker daemon running")
    {
        let message = format!(
            "the Docker engine is not reachable (`{}`): start it, or check DOCKER_HOST",
            detail.lines().last().unwrap_or_default().trim()
        );
        return Box::new(EvalAltResult::ErrorRuntime(message.into(), Position::NONE));
    }
    let message = format!(
        "`{}` failed with exit code {}{}{}",
        shown_short(argv),
        outcome.code,
        if detail.is_empty() { "" } else { ":\n" },
        detail
    );
    Box::new(EvalAltResult::ErrorRuntime(message.into(), Position::NONE))
}

/// Runs a command and returns its trimmed stdout, failing on a non-zero exit.
fn checked(argv: &[String], input: Option<&str>) -> Result<String, Box<EvalAltResult>> {
    let outcome = outcome(argv, input)?;
    if outcome.code != 0 {
        return Err(failed(argv, &outcome));
    }
    Ok(outcome.stdout.trim_end().to_string())
}

/// Whether commands that change something are printed instead of run.
pub fn planning() -> bool {
    PLAN_MODE.load(Ordering::Relaxed)
}

/// In plan mode, prints the command (and returns true): the caller skips it.
fn planned(argv: &[String]) -> bool {
    if planning() {
        println!("{}", shown(argv));
    }
    planning()
}

/// Runs `docker ARGV` with the terminal handed over (or stdout/stderr only).
fn inherited(argv: &[String], with_stdin: bool) -> Result<i64, Box<EvalAltResult>> {
    let expression = if with_stdin {
        terminal_command(argv)?.unchecked()
    } else {
        command(argv)?.unchecked().stdin_null()
    };
    let output = expression
        .run()
        .or_else(|err| fail(format!("cannot start `{}`: {err}", shown(argv))))?;
    Ok(exit_code(&output.status))
}

/// One job of a [`api::graph`]: a command, what it waits for, and how to report it.
struct Job {
    id: String,
    argv: Vec<String>,
    after: Vec<String>,
    label: String,
    wait: Option<Readiness>,
}

/// What makes a started container ready, or failed.
#[derive(Clone)]
pub struct Readiness {
    container: String,
    ready: String,
    failed: String,
    timeout: Duration,
}

impl Readiness {
    fn from_map(map: &Map) -> Result<Readiness, Box<EvalAltResult>> {
        let text = |key: &str| -> Result<String, Box<EvalAltResult>> {
            match map.get(key) {
                Some(value) if value.is_string() => Ok(value.to_string()),
                _ => fail(format!("readiness needs a string `{key}`")),
            }
        };
        let seconds = map
            .get("timeout")
            .and_then(|v| v.as_int().ok())
            .unwrap_or(120);
        Ok(Readiness {
            container: text("container")?,
            ready: text("ready")?,
            failed: text("failed")?,
            timeout: Duration::from_secs(seconds.max(1) as u64),
        })
    }

    /// Follows the container's log until a marker shows, the log ends, or time runs out.
    /// Returns whether it became ready, and its output so far.
    pub fn wait(&self) -> HostResult<(bool, String)> {
        if planning() {
            return Ok((true, String::new()));
        }
        let argv = vec!["logs".into(), "--follow".into(), self.container.clone()];
        let reader = command(&argv)?
            .stderr_to_stdout()
            .stdin_null()
            .unchecked()
            .reader()
            .or_else(|err| {
                fail(format!(
                    "cannot follow the log of `{}`: {err}",
                    self.container
                ))
            })?;
        let reader = Arc::new(reader);
        let (lines_tx, lines_rx) = mpsc::channel::<String>();
        let follower = Arc::clone(&reader);
        std::thread::spawn(move || {
            for line in BufReader::new(&*follower).lines() {
                match line {
                    Ok(line) => {
                        if lines_tx.send(line).is_err() {
                            break;
                        }
                    }
                    Err(_) => break,
                }
            }
        });
        let deadline = Instant::now() + self.timeout;
        let mut output = String::new();
        let verdict = loop {
            if super::interrupted() {
                output.push_str("(interrupted while waiting for it to be ready)\n");
                break false;
            }
            let left = deadline
                .saturating_duration_since(Instant::now())
                .min(Duration::from_millis(200));
            match lines_rx.recv_timeout(left) {
                Ok(line) => {
                    output.push_str(&line);
                    output.push('\n');
                    if line.contains(&self.failed) {
                        break false;
                    }
                    if line.contains(&self.ready) {
                        break true;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) if Instant::now() < deadline => {}
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    output.push_str(&format!(
                        "(no readiness marker after {} s)\n",
                        self.timeout.as_secs()
                    ));
                    break false;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break false,
            }
        };
        let _ = reader.kill();
        Ok((verdict, output))
    }
}

impl Job {
    fn from_dynamic(value: &Dynamic) -> Result<Job, Box<EvalAltResult>> {
        let Some(map) = value.read_lock::<Map>() else {
            return fail("a graph job is a map #{id, argv, after, label, wait}");
        };
        let id = map.get("id").map(|v| v.to_string()).unwrap_or_default();
        if id.is_empty() {
            return fail("a graph job needs an `id`");
        }
        let list = |key: &str| -> HostResult<Vec<String>> {
            match map.get(key) {
                None => Ok(Vec::new()),
                Some(value) => match value.read_lock::<Array>() {
                    Some(array) => strings(&array, key),
                    None => fail(format!("`{key}` of job `{id}` must be a list")),
                },
            }
        };
        let wait = match map.get("wait") {
            Some(value) if value.is_map() => {
                Some(Readiness::from_map(&value.clone().cast::<Map>())?)
            }
            _ => None,
        };
        Ok(Job {
            argv: list("argv")?,
            after: list("after")?,
            label: map
                .get("label")
                .map(|v| v.to_string())
                .unwrap_or_else(|| id.clone()),
            id,
            wait,
        })
    }

    /// Runs the job's command (unless planned), then waits for readiness.
    /// Never fails: a command that cannot start is a failed result.
    fn execute(&self) -> JobResult {
        let started = Instant::now();
        let mut result = JobResult::default();
        if planned(&self.argv) {
            result.ok = true;
        } else {
            match outcome(&self.argv, None) {
                Ok(done) => {
                    result.ok = done.code == 0;
                    result.code = done.code;
                    result.stdout = done.stdout;
                    result.stderr = done.stderr;
                }
                Err(err) => {
                    result.code = -1;
                    result.stderr = err.to_string();
                }
            }
        }
        if let (true, Some(wait)) = (result.ok, &self.wait) {
            match wait.wait() {
                Ok((ready, output)) => {
                    result.ok = ready;
                    result.output = Some(output);
                }
                Err(err) => {
                    result.ok = false;
                    result.output = Some(err.to_string());
                }
            }
        }
        result.seconds = started.elapsed().as_secs_f64();
        result
    }
}

/// How many commands may run at once: `requested`, unless `REYNS_PARALLEL`
/// sets another bound (1 runs everything in order, as plan mode does).
fn parallel_limit(requested: usize) -> usize {
    if planning() {
        return 1;
    }
    std::env::var("REYNS_PARALLEL")
        .ok()
        .and_then(|value| value.parse::<usize>().ok())
        .unwrap_or(requested)
        .max(1)
}

/// Checks that every `after` names a job and that the jobs have no cycle.
fn check_graph(jobs: &[Job]) -> Result<(), Box<EvalAltResult>> {
    let ids: HashSet<&str> = jobs.iter().map(|job| job.id.as_str()).collect();
    for job in jobs {
        if let Some(missing) = job.after.iter().find(|id| !ids.contains(id.as_str())) {
            return fail(format!(
                "job `{}` waits for unknown job `{missing}`",
                job.id
            ));
        }
    }
    let mut done: HashSet<&str> = HashSet::new();
    while done.len() < jobs.len() {
        let next: Vec<&str> = jobs
            .iter()
            .filter(|job| !done.contains(job.id.as_str()))
            .filter(|job| job.after.iter().all(|id| done.contains(id.as_str())))
            .map(|job| job.id.as_str())
            .collect();
        if next.is_empty() {
            let stuck: Vec<&str> = jobs
                .iter()
                .map(|job| job.id.as_str())
                .filter(|id| !done.contains(id))
                .collect();
            return fail(format!(
                "jobs wait for each other in a cycle: {}",
                stuck.join(", ")
            ));
        }
        done.extend(next);
    }
    Ok(())
}

/// Runs jobs in dependency order, at most `limit` at once. After a failure no
/// new job starts; running ones finish. Returns each job's result by id.
fn run_graph(
    jobs: Vec<Job>,
    limit: usize,
    progress: bool,
) -> HostResult<BTreeMap<String, JobResult>> {
    check_graph(&jobs)?;
    let limit = parallel_limit(limit);
    let progress = progress && !planning();
    let (done_tx, done_rx) = mpsc::channel::<(usize, JobResult)>();
    let mut results: BTreeMap<String, JobResult> = BTreeMap::new();
    let mut started = vec![false; jobs.len()];
    let mut running = 0;
    let mut stopping = false;
    let jobs = Arc::new(jobs);
    loop {
        if !stopping && !super::interrupted() {
            for index in 0..jobs.len() {
                if running >= limit {
                    break;
                }
                let job = &jobs[index];
                let ready = !started[index]
                    && job
                        .after
                        .iter()
                        .all(|id| results.get(id).is_some_and(|r| r.ok));
                if ready {
                    started[index] = true;
                    running += 1;
                    if progress {
                        term::log(Level::Info, &format!("{} ...", job.label));
                    }
                    let jobs = Arc::clone(&jobs);
                    let done_tx = done_tx.clone();
                    std::thread::spawn(move || {
                        let _ = done_tx.send((index, jobs[index].execute()));
                    });
                }
            }
        }
        if running == 0 {
            break;
        }
        let Ok((index, result)) = done_rx.recv() else {
            break;
        };
        running -= 1;
        let job = &jobs[index];
        if progress {
            let verdict = if result.ok { "done" } else { "FAILED" };
            term::log(
                Level::Info,
                &format!("{} {verdict} in {:.1} s", job.label, result.seconds),
            );
        }
        stopping |= !result.ok;
        results.insert(job.id.clone(), result);
    }
    for job in jobs.iter() {
        results.entry(job.id.clone()).or_insert_with(|| JobResult {
            skipped: true,
            ..JobResult::default()
        });
    }
    Ok(results)
}

#[export_module]
pub mod api {
    /// Runs a docker command that changes something and returns its trimmed
    /// stdout; fails with the command, its exit code and the tail of stderr.
    /// In plan mode it prints the command instead and returns "".
    ///
    /// ```rhai
    /// docker::run(["rm", "-f", "demo-demo-one"]);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn run(argv: Array) -> Result<String, Box<EvalAltResult>> {
        let argv = strings(&argv, "docker::run")?;
        if planned(&argv) {
            return Ok(String::new());
        }
        checked(&argv, None)
    }

    /// Like `run`, with `input` written to the command's standard input.
    ///
    /// ```rhai
    /// docker::run_with_input(["exec", "-i", "c", "nsupdate"], "send\n");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn run_with_input(argv: Array, input: &str) -> Result<String, Box<EvalAltResult>> {
        let argv = strings(&argv, "docker::run_with_input")?;
        if planned(&argv) {
            return Ok(String::new());
        }
        checked(&argv, Some(input))
    }

    /// Runs a read-only docker command (always, even in plan mode) and returns
    /// its trimmed stdout; fails like `run`.
    ///
    /// ```rhai
    /// let id = docker::query(["image", "inspect", "--format", "{{.Id}}", "reyns/reyns-base"]);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn query(argv: Array) -> Result<String, Box<EvalAltResult>> {
        checked(&strings(&argv, "docker::query")?, None)
    }

    /// Runs a read-only docker command and returns `#{ok, exit_code, stdout, stderr}`
    /// without failing on a non-zero exit.
    ///
    /// ```rhai
    /// let found = docker::capture(["image", "inspect", "reyns/reyns-base"]).ok;
    /// ```
    #[rhai_fn(return_raw)]
    pub fn capture(argv: Array) -> Result<Map, Box<EvalAltResult>> {
        Ok(outcome(&strings(&argv, "docker::capture")?, None)?.to_map())
    }

    /// Runs a read-only docker command whose output is one JSON object per line
    /// (`--format '{{json .}}'`) and returns them as maps.
    ///
    /// ```rhai
    /// let rows = docker::json_lines(["ps", "-a", "--format", "{{json .}}"]);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn json_lines(argv: Array) -> Result<Array, Box<EvalAltResult>> {
        let argv = strings(&argv, "docker::json_lines")?;
        let stdout = checked(&argv, None)?;
        stdout
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| {
                let value: serde_json::Value = serde_json::from_str(line).or_else(|err| {
                    fail(format!(
                        "`{}` printed a line that is not JSON ({err}): {line}",
                        shown(&argv)
                    ))
                })?;
                rhai::serde::to_dynamic(value)
            })
            .collect()
    }

    /// Runs a docker command with its output shown live; returns its exit code.
    /// In plan mode it prints the command and returns 0.
    ///
    /// ```rhai
    /// let code = docker::stream(["build", "-t", "demo/web", "services/web"]);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn stream(argv: Array) -> Result<i64, Box<EvalAltResult>> {
        let argv = strings(&argv, "docker::stream")?;
        if planned(&argv) {
            return Ok(0);
        }
        inherited(&argv, false)
    }

    /// Hands the terminal to a docker command (`run -it`, `exec -it`) and
    /// returns its exit code. In plan mode it prints the command and returns 0.
    ///
    /// ```rhai
    /// let code = docker::attach(["exec", "-it", "demo-demo-one", "bash"]);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn attach(argv: Array) -> Result<i64, Box<EvalAltResult>> {
        let argv = strings(&argv, "docker::attach")?;
        if planned(&argv) {
            return Ok(0);
        }
        inherited(&argv, true)
    }

    /// Runs docker commands that change something, at most `limit` at once, and
    /// returns one `#{ok, exit_code, stdout, stderr}` per command, in order.
    /// After a failure no new command starts (the rest come back `skipped`).
    ///
    /// ```rhai
    /// let results = docker::parallel([["rm", "-f", "a"], ["rm", "-f", "b"]], 8);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn parallel(batch: Array, limit: i64) -> Result<Array, Box<EvalAltResult>> {
        let jobs = batch
            .iter()
            .enumerate()
            .map(|(index, argv)| {
                let argv = match argv.read_lock::<Array>() {
                    Some(array) => strings(&array, "docker::parallel")?,
                    None => return fail("docker::parallel takes a list of argv lists"),
                };
                Ok(Job {
                    id: index.to_string(),
                    label: String::new(),
                    argv,
                    after: Vec::new(),
                    wait: None,
                })
            })
            .collect::<HostResult<Vec<Job>>>()?;
        let count = jobs.len();
        let results = run_graph(jobs, limit.max(1) as usize, false)?;
        Ok((0..count)
            .map(|index| {
                results
                    .get(&index.to_string())
                    .map(JobResult::to_map)
                    .unwrap_or_default()
                    .into()
            })
            .collect())
    }

    /// Runs jobs `#{id, argv, after: [ids], label, wait: #{container, ready, failed, timeout}}`
    /// in dependency order, at most `limit` at once, printing one progress line
    /// per job start and end. After a failure no new job starts. Returns a map
    /// id -> `#{ok, exit_code, stdout, stderr, seconds, output, skipped}`.
    ///
    /// ```rhai
    /// let results = docker::graph([#{id: "a", argv: ["build", "."]}], 2);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn graph(jobs: Array, limit: i64) -> Result<Map, Box<EvalAltResult>> {
        let jobs = jobs
            .iter()
            .map(Job::from_dynamic)
            .collect::<HostResult<Vec<Job>>>()?;
        let results = run_graph(jobs, limit.max(1) as usize, true)?;
        Ok(results
            .into_iter()
            .map(|(id, result)| (id.into(), result.to_map().into()))
            .collect())
    }

    /// Follows a container's log until `ready` or `failed` appears (or the log
    /// ends, or `timeout` seconds pass). Returns `#{ok, output}`.
    ///
    /// ```rhai
    /// let r = docker::wait_ready(#{container: "p-demo-one", ready: "[INFO] Executing", failed: "[ERROR] Exit code", timeout: 60});
    /// ```
    #[rhai_fn(return_raw)]
    pub fn wait_ready(readiness: Map) -> Result<Map, Box<EvalAltResult>> {
        let (ready, output) = Readiness::from_map(&readiness)?.wait()?;
        let mut result = Map::new();
        result.insert("ok".into(), ready.into());
        result.insert("output".into(), output.into());
        Ok(result)
    }

    /// Pipes a host program's output into a docker command, e.g. a root file
    /// system from `mmdebstrap` into `docker import`. Fails with the failing
    /// side's error output. In plan mode both sides are printed instead.
    ///
    /// ```rhai
    /// docker::import_pipe(["mmdebstrap", "--variant=minbase", "bookworm", "-"], ["import", "-", "debian:bookworm-slim"]);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn import_pipe(source: Array, argv: Array) -> Result<(), Box<EvalAltResult>> {
        let source = strings(&source, "docker::import_pipe")?;
        let argv = strings(&argv, "docker::import_pipe")?;
        let Some((program, source_args)) = source.split_first() else {
            return fail("docker::import_pipe needs a program to read from");
        };
        if planning() {
            println!("{} | {}", shell_words::join(&source), shown(&argv));
            return Ok(());
        }
        let program = which::which(program)
            .or_else(|_| fail(format!("`{program}` was not found on PATH")))?;
        term::log(
            Level::Debug,
            &format!("$ {} | {}", shell_words::join(&source), shown(&argv)),
        );
        let output = duct::cmd(program, source_args)
            .pipe(duct::cmd(super::program()?, &argv))
            .stdout_capture()
            .stderr_capture()
            .unchecked()
            .run()
            .or_else(|err| {
                fail(format!(
                    "cannot run `{}`: {err}",
                    shell_words::join(&source)
                ))
            })?;
        if !output.status.success() {
            return fail(format!(
                "`{} | {}` failed with exit code {}:\n{}",
                shell_words::join(&source),
                shown(&argv),
                exit_code(&output.status),
                tail(&String::from_utf8_lossy(&output.stderr))
            ));
        }
        Ok(())
    }

    /// Turns plan mode on or off: while on, commands that change something are
    /// printed (quoted for a shell) instead of run.
    ///
    /// ```rhai
    /// docker::set_plan(true);
    /// ```
    pub fn set_plan(on: bool) {
        PLAN_MODE.store(on, Ordering::Relaxed);
    }

    /// Whether plan mode is on.
    ///
    /// ```rhai
    /// if docker::is_planning() { return; }
    /// ```
    pub fn is_planning() -> bool {
        planning()
    }

    /// A docker command line quoted for a shell, for messages.
    ///
    /// ```rhai
    /// term::info(docker::quoted(["run", "-e", "A=b c", "img"]));
    /// ```
    #[rhai_fn(return_raw)]
    pub fn quoted(argv: Array) -> Result<String, Box<EvalAltResult>> {
        Ok(shown(&strings(&argv, "docker::quoted")?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: &str, after: &[&str]) -> Job {
        Job {
            id: id.into(),
            argv: vec![],
            after: after.iter().map(|s| s.to_string()).collect(),
            label: id.into(),
            wait: None,
        }
    }

    #[test]
    fn graph_cycles_are_named() {
        let err = check_graph(&[job("a", &["b"]), job("b", &["a"]), job("c", &[])]).unwrap_err();
        assert!(err.to_string().contains("cycle: a, b"), "{err}");
        assert!(check_graph(&[job("a", &[]), job("b", &["a"])]).is_ok());
        let err = check_graph(&[job("a", &["zz"])]).unwrap_err();
        assert!(err.to_string().contains("unknown job `zz`"), "{err}");
    }

    #[test]
    fn commands_are_quoted_for_a_shell() {
        let argv = vec!["run".to_string(), "-e".into(), "A=b c $(x)".into()];
        assert_eq!(shown(&argv), "docker run -e 'A=b c $(x)'");
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        let text: String = (1..=40).map(|n| format!("{n}\n")).collect();
        let kept = tail(&text);
        assert!(kept.starts_with("26\n") && kept.ends_with("40"), "{kept}");
    }
}
