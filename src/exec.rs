//! Running a command: the `docker` program through duct, always as an
//! argument vector, and the errors and interrupts that go with it.
//!
//! The lowest layer but logging: it knows nothing of scripts' policy. Plan
//! mode is handed in as a [`Mode`] value by the caller; commands that change
//! something are printed, quoted for a shell, instead of run. With
//! `LOG_LEVEL=DEBUG` every command is printed before it runs.
//!
//! Reads ([`read`]) are told apart from every other command, which may
//! change something: a verb's first reads can be started ahead
//! ([`read_ahead`], see [`crate::readahead`]) until its first change.

use crate::log::{self, Level};
use crate::readahead;
use rhai::{Dynamic, EvalAltResult, Map, Position};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Whether commands that change something run or are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Run,
    /// `plan=True`: print them, run only queries.
    Plan,
}

/// The result type of host functions that can fail.
pub type HostResult<T> = Result<T, Box<EvalAltResult>>;

/// A failure a user can act on: its message is shown as it is.
pub fn fail<T>(message: impl Into<String>) -> Result<T, Box<EvalAltResult>> {
    Err(Box::new(EvalAltResult::ErrorRuntime(
        Dynamic::from(message.into()),
        Position::NONE,
    )))
}

/// What a failure says, as [`fail`] wrote it (without rhai's "Runtime
/// error:" in front).
pub fn said(error: &EvalAltResult) -> String {
    match error {
        EvalAltResult::ErrorRuntime(message, _) => message.to_string(),
        other => other.to_string(),
    }
}

/// Typed data as the map a script gets: serde does the field-by-field
/// work (`rhai::serde::to_dynamic`), so no host function builds maps by hand.
pub fn to_map<T: Serialize>(value: &T) -> HostResult<Map> {
    let dynamic = rhai::serde::to_dynamic(value)?;
    match dynamic.try_cast::<Map>() {
        Some(map) => Ok(map),
        None => fail("internal: a host value did not become a map"),
    }
}

/// Turns a Rhai array of values into strings (an argv), refusing non-strings.
pub fn strings(values: &rhai::Array, what: &str) -> HostResult<Vec<String>> {
    values
        .iter()
        .map(|value| {
            if value.is_string() {
                Ok(value.clone().into_string().unwrap_or_default())
            } else if value.is_int() || value.is_float() || value.is_bool() {
                Ok(value.to_string())
            } else {
                fail(format!(
                    "{what} takes strings, got a `{}`",
                    value.type_name()
                ))
            }
        })
        .collect()
}

/// The strings under `key` of a script map: absent or `()` is none, a
/// list of strings is read, anything else is an error naming `what`.
pub fn string_list(map: &rhai::Map, key: &str, what: &str) -> HostResult<Vec<String>> {
    match map.get(key) {
        None => Ok(Vec::new()),
        Some(value) if value.is_unit() => Ok(Vec::new()),
        Some(value) => match value.read_lock::<rhai::Array>() {
            Some(array) => strings(&array, what),
            None => fail(format!("`{key}` of {what} must be a list")),
        },
    }
}

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

/// Builds the duct expression for `docker ARGV`, logging it at DEBUG; the
/// command counts as a change (see [`read`] for reads).
/// The command runs in a process group of its own, so that Ctrl-C on the
/// terminal reaches reyns only: reyns lets running commands finish (no
/// half-created container) and starts no new ones.
pub fn command(argv: &[String]) -> HostResult<duct::Expression> {
    readahead::changing();
    log::log(Level::Debug, &format!("$ {}", shown(argv)));
    own_group(argv)
}

/// Like [`command`], for a docker command that runs as long as this reyns
/// does (`logs --follow`): it is killed when reyns ends, however it ends
/// (SIGKILL included: `PR_SET_PDEATHSIG`). The signal follows the thread
/// that started it: start such commands from the verb's own thread.
pub fn follower_command(argv: &[String]) -> HostResult<duct::Expression> {
    Ok(command(argv)?.before_spawn(|child| {
        use std::os::unix::process::CommandExt;
        // SAFETY: prctl is async-signal-safe; it only marks the new process.
        unsafe {
            child.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        Ok(())
    }))
}

/// `docker ARGV` in a process group of its own (see [`command`]), not logged.
fn own_group(argv: &[String]) -> HostResult<duct::Expression> {
    Ok(in_own_group(duct::cmd(program()?, argv)))
}

/// An expression whose process gets a process group of its own (Ctrl-C
/// reaches reyns only, which lets it finish).
fn in_own_group(expression: duct::Expression) -> duct::Expression {
    expression.before_spawn(|child| {
        use std::os::unix::process::CommandExt;
        child.process_group(0);
        Ok(())
    })
}

/// A host program other than docker (`nsupdate`, `git`, a project's
/// `setup.sh`): `argv[0]` found on PATH (a clear error naming it when
/// missing), logged at DEBUG, in a process group of its own, and counted as
/// a change, like every [`command`]: the one way reyns starts one, so the
/// read-ahead rule holds by construction (`logged`: how DEBUG shows it, for
/// arguments that must not be printed).
pub fn host_program(argv: &[String], logged: Option<&str>) -> HostResult<duct::Expression> {
    let Some((name, args)) = argv.split_first() else {
        return fail("no program to run");
    };
    let program = which::which(name)
        .or_else(|_| fail(format!("`{name}` was not found on PATH: install it first")))?;
    readahead::changing();
    log::log(
        Level::Debug,
        &format!(
            "$ {}",
            logged.map_or_else(|| shell_words::join(argv), str::to_string)
        ),
    );
    Ok(in_own_group(duct::cmd(program, args)))
}

/// This reyns again, with `argv` (`["ps:all,format=json"]`), in a process
/// group of its own: how the dashboard runs verbs, each in a process of its
/// own, exactly as the command line does. Logged at DEBUG.
pub fn reyns_again(argv: &[String]) -> Result<duct::Expression, String> {
    let program =
        std::env::current_exe().map_err(|err| format!("cannot tell where this reyns is: {err}"))?;
    log::log(
        Level::Debug,
        &format!("$ reyns {}", shell_words::join(argv)),
    );
    Ok(in_own_group(duct::cmd(program, argv)))
}

/// Stops a command started with [`reyns_again`] or [`command`] and read
/// from: SIGTERM first, so that a reyns stops what it started itself (a
/// `reyns logs` its `docker logs`), then, after `grace`, SIGKILL.
pub fn stop_gracefully(child: &duct::ReaderHandle, grace: std::time::Duration) {
    for pid in child.pids() {
        // SAFETY: signalling a process this reyns started and still holds.
        unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    }
    let deadline = std::time::Instant::now() + grace;
    while std::time::Instant::now() < deadline {
        if !matches!(child.try_wait(), Ok(None)) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _ = child.kill();
}

/// Like [`command`], but in reyns' own process group, for commands that own
/// the terminal (`run -it`, `exec -it`) and must get its signals.
pub fn terminal_command(argv: &[String]) -> HostResult<duct::Expression> {
    readahead::changing();
    log::log(Level::Debug, &format!("$ {}", shown(argv)));
    Ok(duct::cmd(program()?, argv))
}

/// What a finished command left behind.
#[derive(Default)]
pub struct Outcome {
    pub code: i64,
    pub stdout: String,
    pub stderr: String,
}

/// An [`Outcome`] as scripts see it.
#[derive(Serialize)]
struct OutcomeShown<'a> {
    ok: bool,
    exit_code: i64,
    stdout: &'a str,
    stderr: &'a str,
}

impl Outcome {
    /// What a finished command's output says.
    pub fn of(output: &std::process::Output) -> Outcome {
        Outcome {
            code: exit_code(&output.status),
            stdout: String::from_utf8_lossy(&output.stdout).to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).to_string(),
        }
    }

    /// `#{ok, exit_code, stdout, stderr}`.
    pub fn to_map(&self) -> Map {
        to_map(&OutcomeShown {
            ok: self.code == 0,
            exit_code: self.code,
            stdout: &self.stdout,
            stderr: &self.stderr,
        })
        .unwrap_or_default()
    }
}

/// Runs `docker ARGV` to completion, capturing both outputs.
pub fn outcome(argv: &[String], input: Option<&[u8]>) -> Result<Outcome, Box<EvalAltResult>> {
    let mut expression = command(argv)?.stdout_capture().stderr_capture().unchecked();
    if let Some(input) = input {
        expression = expression.stdin_bytes(input.to_vec());
    }
    let started = expression
        .start()
        .or_else(|err| fail(format!("cannot start `{}`: {err}", shown(argv))))?;
    Ok(Outcome::of(&within_time_limit(started, argv)?))
}

/// Seconds a docker command may take when `REYNS_DOCKER_TIMEOUT` does not
/// say: far more than an engine that answers ever needs for one.
const DEFAULT_DOCKER_TIMEOUT_SECONDS: u64 = 120;

/// The docker subcommands that take as long as their work does (moving
/// images, building, following output, a command run in a container, such
/// as `shell:...,command=`): no time limit.
const UNLIMITED_SUBCOMMANDS: [&str; 10] = [
    "build", "pull", "push", "load", "save", "logs", "events", "wait", "exec", "attach",
];

/// docker's global options that take a value (`--host ssh://...`).
const GLOBAL_OPTIONS_WITH_VALUES: [&str; 6] =
    ["--host", "-H", "--context", "-c", "--config", "--log-level"];

/// How long `docker ARGV` may take before reyns gives up on it (the
/// engine is stuck): `REYNS_DOCKER_TIMEOUT` seconds, else
/// [`DEFAULT_DOCKER_TIMEOUT_SECONDS`]; none for image moves, builds,
/// followed output and commands in containers ([`UNLIMITED_SUBCOMMANDS`]).
pub fn time_limit(argv: &[String]) -> Option<Duration> {
    let mut words = argv.iter();
    let subcommand = loop {
        let word = words.next()?;
        if GLOBAL_OPTIONS_WITH_VALUES.contains(&word.as_str()) {
            words.next();
        } else if !word.starts_with('-') {
            break word;
        }
    };
    if UNLIMITED_SUBCOMMANDS.contains(&subcommand.as_str())
        || (subcommand == "image"
            && words
                .next()
                .is_some_and(|verb| verb == "load" || verb == "save"))
    {
        return None;
    }
    let seconds = std::env::var("REYNS_DOCKER_TIMEOUT")
        .ok()
        .and_then(|value| value.trim().parse::<f64>().ok())
        .filter(|seconds| *seconds > 0.0)
        .unwrap_or(DEFAULT_DOCKER_TIMEOUT_SECONDS as f64);
    Some(Duration::from_secs_f64(seconds))
}

/// A started docker command's output once it ends; killed, and an error
/// naming it, when it outlasts its [`time_limit`].
fn within_time_limit(started: duct::Handle, argv: &[String]) -> HostResult<std::process::Output> {
    let ended = |result: std::io::Result<std::process::Output>| {
        result.or_else(|err| fail(format!("`{}` failed to run: {err}", shown(argv))))
    };
    let Some(limit) = time_limit(argv) else {
        return ended(started.into_output());
    };
    match started.wait_timeout(limit) {
        Ok(Some(_)) => ended(started.into_output()),
        Ok(None) => {
            let _ = started.kill();
            fail(format!(
                "`{}` did not end within {} s: is the Docker engine stuck? (REYNS_DOCKER_TIMEOUT sets the limit)",
                shown(argv),
                limit.as_secs_f64()
            ))
        }
        Err(err) => fail(format!("`{}` failed to run: {err}", shown(argv))),
    }
}

/// Runs a read-only `docker ARGV` to completion, capturing both outputs:
/// the read started ahead when there is one that may stand in for it. A
/// command that is not a docker read ([`readahead::is_docker_read`], e.g.
/// a throw-away `docker run --rm`) counts as a change, as [`command`]s do.
pub fn read(argv: &[String]) -> Result<Outcome, Box<EvalAltResult>> {
    if !readahead::is_docker_read(argv) {
        readahead::changing();
    }
    let started = match readahead::take(argv) {
        Some(started) => {
            log::log(Level::Debug, &format!("$ {} (read ahead)", shown(argv)));
            started
        }
        None => {
            log::log(Level::Debug, &format!("$ {}", shown(argv)));
            captured(argv)?
                .start()
                .or_else(|err| fail(format!("cannot start `{}`: {err}", shown(argv))))?
        }
    };
    Ok(Outcome::of(&within_time_limit(started, argv)?))
}

/// Runs read-only docker commands side by side ([`read`] each, in a
/// thread of its own); their outcomes in order, an error as its text
/// (script errors cannot cross threads).
pub fn read_side_by_side(argvs: &[Vec<String>]) -> Vec<Result<Outcome, String>> {
    std::thread::scope(|scope| {
        let running: Vec<_> = argvs
            .iter()
            .map(|argv| scope.spawn(move || read(argv).map_err(|err| err.to_string())))
            .collect();
        running
            .into_iter()
            .map(|thread| {
                thread
                    .join()
                    .unwrap_or_else(|_| Err("a docker query thread panicked".to_string()))
            })
            .collect()
    })
}

/// Like [`read`], failing on a non-zero exit; returns the trimmed stdout.
pub fn read_checked(argv: &[String]) -> Result<String, Box<EvalAltResult>> {
    let outcome = read(argv)?;
    if outcome.code != 0 {
        return Err(failed(argv, &outcome));
    }
    Ok(outcome.stdout.trim_end().to_string())
}

/// `docker ARGV` with both outputs captured, whatever its exit status.
fn captured(argv: &[String]) -> HostResult<duct::Expression> {
    Ok(own_group(argv)?
        .stdout_capture()
        .stderr_capture()
        .unchecked())
}

/// Starts the reads the last run of this invocation made first (as
/// [`readahead::begin`] returned them); [`read`] then takes them.
pub fn read_ahead(remembered: Vec<Vec<String>>) {
    for argv in remembered {
        // A read that cannot start is simply run again when asked for.
        if let Ok(started) = captured(&argv).and_then(|expression| {
            expression
                .start()
                .or_else(|err| fail(format!("cannot start `{}`: {err}", shown(&argv))))
        }) {
            readahead::keep(argv, started);
        }
    }
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
pub fn failed(argv: &[String], outcome: &Outcome) -> Box<EvalAltResult> {
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
pub fn checked(argv: &[String], input: Option<&[u8]>) -> Result<String, Box<EvalAltResult>> {
    let outcome = outcome(argv, input)?;
    if outcome.code != 0 {
        return Err(failed(argv, &outcome));
    }
    Ok(outcome.stdout.trim_end().to_string())
}

/// Runs `docker ARGV` with the terminal handed over (or stdout/stderr only).
pub fn inherited(argv: &[String], with_stdin: bool) -> Result<i64, Box<EvalAltResult>> {
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

/// Prints a line on stdout. A reader that went away (`reyns ... | head`)
/// is no error: the rest is not wanted.
pub fn print_line(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

/// In plan mode, prints the command (and returns true): the caller skips it.
pub fn planned(argv: &[String], mode: Mode) -> bool {
    if mode == Mode::Plan {
        print_line(&shown(argv));
    }
    mode == Mode::Plan
}

/// Runs `SOURCE | docker ARGV` (`source_shown`: how messages name SOURCE,
/// made only when it runs), failing with the exit code and the tail of the
/// error output. In plan mode the pipeline is printed instead.
pub fn pipeline(
    source: impl FnOnce() -> HostResult<duct::Expression>,
    source_shown: &str,
    argv: &[String],
    mode: Mode,
) -> HostResult<()> {
    let line = format!("{source_shown} | {}", shown(argv));
    if mode == Mode::Plan {
        print_line(&line);
        return Ok(());
    }
    readahead::changing();
    log::log(Level::Debug, &format!("$ {line}"));
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

/// Set once SIGINT or SIGTERM arrives; `ACKNOWLEDGED` once the verb has
/// handled it itself.
static INTERRUPTED: OnceLock<Arc<AtomicBool>> = OnceLock::new();
static ACKNOWLEDGED: AtomicBool = AtomicBool::new(false);

fn interrupt_flag() -> &'static Arc<AtomicBool> {
    INTERRUPTED.get_or_init(|| Arc::new(AtomicBool::new(false)))
}

/// Whether SIGINT or SIGTERM arrived: long verbs stop scheduling new work.
pub fn interrupted() -> bool {
    interrupt_flag().load(Ordering::Relaxed)
}

/// Records that the verb handled the interrupt itself (it stopped cleanly).
pub fn acknowledge_interrupt() {
    ACKNOWLEDGED.store(true, Ordering::Relaxed);
}

/// Whether an interrupt arrived that the verb did not handle itself.
pub fn interrupted_unhandled() -> bool {
    interrupted() && !ACKNOWLEDGED.load(Ordering::Relaxed)
}

/// Catches SIGINT and SIGTERM so that running commands finish and no new
/// ones start (commands run in their own process group, so the terminal's
/// Ctrl-C reaches reyns only); the verb then stops with an error.
pub fn catch_signals() {
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // Registering can only fail for a signal that cannot be caught.
        let _ = signal_hook::flag::register(signal, Arc::clone(interrupt_flag()));
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
    fn image_moves_builds_and_followed_output_have_no_time_limit() {
        let limit =
            |line: &str| time_limit(&line.split(' ').map(str::to_string).collect::<Vec<_>>());
        for unlimited in [
            "build -t x .",
            "pull redis:7",
            "--host ssh://n1 load",
            "image load",
            "logs --follow x",
        ] {
            assert_eq!(limit(unlimited), None, "{unlimited}");
        }
        for limited in [
            "ps -a",
            "--host ssh://n1 run --detach x",
            "-H tcp://h:2375 inspect x",
            "image inspect x",
        ] {
            assert!(limit(limited).is_some(), "{limited}");
        }
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        let text: String = (1..=40).map(|n| format!("{n}\n")).collect();
        let kept = tail(&text);
        assert!(kept.starts_with("26\n") && kept.ends_with("40"), "{kept}");
    }
}
