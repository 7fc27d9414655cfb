//! Running a command: the `docker` program through duct, always as an
//! argument vector, and the errors and interrupts that go with it.
//!
//! The lowest layer but logging: it knows nothing of scripts' policy. Plan
//! mode is handed in as a [`Mode`] value by the caller; commands that change
//! something are recorded, quoted for a shell, instead of run (the one seam:
//! `dry_run`). With `LOG_LEVEL=DEBUG` every command is printed before it
//! runs. Beside it: script values and failures (`values`), signals
//! (`signals`), this reyns run again as a child (`again`).
//!
//! Reads ([`read`]) are told apart from every other command, which may
//! change something: a verb's first reads can be started ahead
//! ([`read_ahead`], see [`crate::readahead`]) until its first change.

mod again;
mod dry_run;
mod signals;
mod values;

pub use again::{reyns_again, stop_gracefully};
pub use dry_run::{planned, planned_line, Mode, PlanLog, Planned};
pub use signals::{acknowledge_interrupt, catch_signals, interrupted, interrupted_unhandled};
pub use values::{fail, said, string_list, strings, to_map, HostResult};

use crate::log::{self, Level};
use crate::readahead;
use rhai::{EvalAltResult, Map, Position};
use serde::Serialize;
use std::path::PathBuf;
use std::time::Duration;

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
pub(crate) fn in_own_group(expression: duct::Expression) -> duct::Expression {
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
pub fn read_docker(argv: &[String]) -> Result<String, Box<EvalAltResult>> {
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
pub fn run_docker(argv: &[String], input: Option<&[u8]>) -> Result<String, Box<EvalAltResult>> {
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

/// Runs `SOURCE | docker ARGV` (`source_shown`: how messages name SOURCE,
/// made only when it runs), failing with the exit code and the tail of the
/// error output. In plan mode the pipeline is recorded instead.
pub fn pipeline(
    source: impl FnOnce() -> HostResult<duct::Expression>,
    source_shown: &str,
    argv: &[String],
    mode: &Mode,
) -> HostResult<()> {
    let line = format!("{source_shown} | {}", shown(argv));
    if planned_line(|| line.clone(), mode) {
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
