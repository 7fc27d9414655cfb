//! Running the `docker` CLI through duct, always as an argument vector.
//!
//! Commands that change something honour the plan mode (`plan=True`): they are
//! printed, quoted for a shell, instead of run. Queries always run. With
//! `LOG_LEVEL=DEBUG` every command is printed before it runs.

use super::jobs::{run_graph, Commands, Job};
use super::readiness::Readiness;
use super::term::{self, Level};
use super::{fail, strings, HostResult};
use rhai::plugin::*;
use rhai::{Array, Map};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

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

impl Outcome {
    pub fn to_map(&self) -> Map {
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
        let last_line = detail.lines().last().unwrap_or_default().trim();
        let message = match argv {
            [flag, endpoint, ..] if flag == "--host" || flag == "--context" => {
                format!("the Docker engine at {endpoint} is not reachable (`{last_line}`)")
            }
            _ => format!(
                "the Docker engine is not reachable (`{last_line}`): start it, or check DOCKER_HOST"
            ),
        };
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
pub fn planned(argv: &[String]) -> bool {
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

/// One batched `docker FLAGS inspect NAMES`, parsed: names docker does not
/// know are absent, any other failure is an error.
fn inspected(flags: &[String], names: &[String]) -> HostResult<Map> {
    if names.is_empty() {
        return Ok(Map::new());
    }
    let mut argv = flags.to_vec();
    argv.push("inspect".to_string());
    argv.extend(names.iter().cloned());
    let done = outcome(&argv, None)?;
    let missing_only = done
        .stderr
        .lines()
        .all(|line| line.trim().is_empty() || line.contains("No such object"));
    if done.code != 0 && !missing_only {
        return Err(failed(&argv, &done));
    }
    let found = crate::host::inspect::parse(&done.stdout, names).or_else(fail)?;
    found
        .into_iter()
        .map(|(name, object)| Ok((name.into(), rhai::serde::to_dynamic(object)?)))
        .collect()
}

/// Runs `SOURCE | docker ARGV` (`source_shown`: how messages name SOURCE,
/// made only when it runs), failing with the exit code and the tail of the
/// error output. In plan mode the pipeline is printed instead.
fn pipeline(
    source: impl FnOnce() -> HostResult<duct::Expression>,
    source_shown: &str,
    argv: &[String],
) -> HostResult<()> {
    let line = format!("{source_shown} | {}", shown(argv));
    if planning() {
        println!("{line}");
        return Ok(());
    }
    term::log(Level::Debug, &format!("$ {line}"));
    let output = source()?
        .pipe(duct::cmd(program()?, argv))
        .stdout_capture()
        .stderr_capture()
        .unchecked()
        .run()
        .or_else(|err| fail(format!("cannot run `{line}`: {err}")))?;
    if !output.status.success() {
        return fail(format!(
            "`{line}` failed with exit code {}:\n{}",
            exit_code(&output.status),
            tail(&String::from_utf8_lossy(&output.stderr))
        ));
    }
    Ok(())
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
        crate::host::text::json_lines(&stdout)
            .or_else(|err| fail(format!("`{}` printed {err}", shown(&argv))))
    }

    /// Inspects containers and images in one batched `docker inspect` and
    /// returns a map from each name found to its record: a container
    /// `#{kind: "container", name, id, image, state, running, health, labels, env, address, restart}`
    /// or an image `#{kind: "image", id, tags}`. Names docker does not know
    /// are absent (not an error).
    ///
    /// ```rhai
    /// let found = docker::inspect(["demo-demo-one", "demo/demo"]);
    /// if "demo/demo" in found { print(found["demo/demo"].id); }
    /// ```
    #[rhai_fn(return_raw)]
    pub fn inspect(names: Array) -> Result<Map, Box<EvalAltResult>> {
        inspected(&[], &strings(&names, "docker::inspect")?)
    }

    /// Like `inspect`, on the engine that `flags` (docker's global options,
    /// e.g. `["--host", "tcp://10.0.0.6:2375"]`, `[]` for the local one) reach.
    ///
    /// ```rhai
    /// let found = docker::inspect_on(["--context", "lab2"], ["demo-demo-one"]);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn inspect_on(flags: Array, names: Array) -> Result<Map, Box<EvalAltResult>> {
        inspected(
            &strings(&flags, "docker::inspect_on")?,
            &strings(&names, "docker::inspect_on")?,
        )
    }

    /// Runs read-only docker commands side by side (always, even in plan
    /// mode) and returns one `#{ok, exit_code, stdout, stderr}` per command,
    /// in order, never failing on a non-zero exit: e.g. one `docker ps` per
    /// node, so a node that does not answer leaves the others listed.
    ///
    /// ```rhai
    /// let answers = docker::query_each([["--host", "tcp://10.0.0.6:2375", "ps"], ["ps"]]);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn query_each(batch: Array) -> Result<Array, Box<EvalAltResult>> {
        let argvs = batch
            .iter()
            .map(|argv| match argv.read_lock::<Array>() {
                Some(array) => strings(&array, "docker::query_each"),
                None => fail("docker::query_each takes a list of argv lists"),
            })
            .collect::<HostResult<Vec<Vec<String>>>>()?;
        // Script errors cannot cross threads: each thread hands back text.
        let outcomes: Vec<Result<Outcome, String>> = std::thread::scope(|scope| {
            let running: Vec<_> = argvs
                .iter()
                .map(|argv| scope.spawn(move || outcome(argv, None).map_err(|err| err.to_string())))
                .collect();
            running
                .into_iter()
                .map(|thread| {
                    thread
                        .join()
                        .unwrap_or_else(|_| Err("a docker query thread panicked".to_string()))
                })
                .collect()
        });
        outcomes
            .into_iter()
            .map(|done| Ok(done.or_else(fail)?.to_map().into()))
            .collect()
    }

    /// Copies images from the local engine to the one `flags` reach, as
    /// `docker save IMAGES | docker FLAGS load` (through this host, no
    /// registry). In plan mode the pipeline is printed instead.
    ///
    /// ```rhai
    /// docker::copy_images(["reyns/reyns-base"], ["--host", "tcp://10.0.0.6:2375"]);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn copy_images(images: Array, flags: Array) -> Result<(), Box<EvalAltResult>> {
        let mut save = vec!["save".to_string()];
        save.extend(strings(&images, "docker::copy_images")?);
        let mut load = strings(&flags, "docker::copy_images")?;
        load.extend(["load".to_string(), "--quiet".into()]);
        pipeline(|| Ok(duct::cmd(program()?, &save)), &shown(&save), &load)
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
                    commands: Commands::Fixed(vec![argv]),
                    after: Vec::new(),
                    wait: None,
                })
            })
            .collect::<HostResult<Vec<Job>>>()?;
        let count = jobs.len();
        let results = run_graph(jobs, limit.max(1) as usize, false, &mut |_, _| {
            fail("docker::parallel runs fixed commands only")
        })?;
        Ok((0..count)
            .map(|index| {
                results
                    .get(&index.to_string())
                    .cloned()
                    .unwrap_or_default()
                    .into()
            })
            .collect())
    }

    /// Runs jobs `#{id, argv, after: [ids], label, wait: #{container, ready, failed, timeout, settle, docker}}`
    /// (`docker`: the global options that reach the container's engine)
    /// in dependency order, at most `limit` at once, printing one progress line
    /// per job start and end. After a failure no new job starts. Returns a map
    /// id -> `#{ok, ran, exit_code, stdout, stderr, seconds, output, skipped, note}`.
    ///
    /// `argv` is one docker argv, a list of them (run in order), or a
    /// function called when the job's turn comes, with the results of the
    /// jobs it waits for (by id), that returns either, `()` for nothing to
    /// do, or `#{commands, note}` (the note is handed on in the results): so
    /// a job can use what the jobs before it made (their addresses).
    /// The readiness wait reads the log from the moment the job started.
    ///
    /// ```rhai
    /// let results = docker::graph([
    ///     #{id: "a", argv: ["build", "."]},
    ///     #{id: "b", after: ["a"], argv: |done| if done.a.ok { ["tag", "x", "y"] } else { () }},
    /// ], 2);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn graph(
        context: NativeCallContext,
        jobs: Array,
        limit: i64,
    ) -> Result<Map, Box<EvalAltResult>> {
        let jobs = jobs
            .iter()
            .map(Job::from_dynamic)
            .collect::<HostResult<Vec<Job>>>()?;
        let mut resolve =
            |function: &rhai::FnPtr, before: Map| function.call_within_context(&context, (before,));
        let results = run_graph(jobs, limit.max(1) as usize, true, &mut resolve)?;
        Ok(results
            .into_iter()
            .map(|(id, result)| (id.into(), result.into()))
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
        let (ready, output) = Readiness::from_map(&readiness)?.wait(None)?;
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
        let reader = || {
            let program = which::which(program)
                .or_else(|_| fail(format!("`{program}` was not found on PATH")))?;
            Ok(duct::cmd(program, source_args))
        };
        pipeline(reader, &shell_words::join(&source), &argv)
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
