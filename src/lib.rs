//! reyns: a local micro-services orchestrator.
//!
//! The binary parses `VERB[:ARGS]` ([`grammar`]), finds the verb's Rhai
//! script ([`scripts`]), checks the arguments against what the script
//! declares ([`verb`]) and runs it on the one engine ([`engine`]) over the
//! host API ([`host`]), which drives `docker` through duct. Every way it
//! can end badly is an [`error::Error`], which gives the exit status.
//! Before the engine is built, the reads the same command made first last
//! time are started ahead ([`readahead`]).
//!
//! Imports flow one way: `engine` -> `host` -> `verb` -> `scripts`,
//! `grammar`, `error`.

pub mod assets;
pub mod conf;
pub mod contract;
pub mod dashboard;
pub mod engine;
pub mod error;
pub mod exec;
pub mod grammar;
pub mod graph;
pub mod host;
pub mod ignore;
pub mod interpolate;
pub mod log;
pub mod readahead;
pub mod scripts;
pub mod swarm;
pub mod verb;
pub mod yaml;

use error::Error;

use std::ffi::OsString;
use std::io::Write;

/// Runs reyns with the arguments after the program name; returns the exit status.
pub fn run(args: Vec<OsString>) -> i32 {
    report_panics_in_one_line();
    match execute(args) {
        Ok(code) => code,
        Err(error) => {
            report(&error);
            error.code()
        }
    }
}

/// A bug in reyns (a panic) is told in one `reyns: error:` line with its
/// place, never as Rust's message and backtrace.
fn report_panics_in_one_line() {
    std::panic::set_hook(Box::new(|info| {
        let said = info
            .payload()
            .downcast_ref::<&str>()
            .map(|text| text.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let place = info
            .location()
            .map(|at| format!(" at {}:{}", at.file(), at.line()))
            .unwrap_or_default();
        let _ = writeln!(
            std::io::stderr().lock(),
            "reyns: error: internal error{place}: {said} (a bug in reyns: please report it)"
        );
    }));
}

/// Prints a failure as `reyns: error: ...`, with the script place if known.
fn report(error: &Error) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "reyns: error: {error}");
    if let Some(location) = error.location() {
        let _ = writeln!(stderr, "  --> {location}");
    }
}

/// The top-level flags, read with clap; everything else is `VERB[:ARGS]`.
fn command_words(args: Vec<OsString>) -> Result<Vec<String>, Error> {
    let cli = clap::Command::new("reyns")
        .no_binary_name(true)
        .disable_help_flag(true)
        .disable_version_flag(true)
        .arg(
            clap::Arg::new("help")
                .short('h')
                .long("help")
                .action(clap::ArgAction::SetTrue),
        )
        .arg(
            clap::Arg::new("version")
                .short('V')
                .long("version")
                .action(clap::ArgAction::SetTrue),
        )
        .arg(
            clap::Arg::new("command")
                .num_args(0..)
                .trailing_var_arg(true)
                .allow_hyphen_values(true),
        );
    let matches = cli
        .try_get_matches_from(args)
        .map_err(|err| Error::Usage(err.kind().to_string() + ": run `reyns help` for the verbs"))?;
    if matches.get_flag("version") {
        return Ok(vec!["version".into()]);
    }
    if matches.get_flag("help") {
        return Ok(vec!["help".into()]);
    }
    let words: Vec<String> = matches
        .get_raw("command")
        .into_iter()
        .flatten()
        .map(|word| {
            word.to_str().map(str::to_string).ok_or_else(|| {
                Error::Usage(format!(
                    "argument `{}` is not valid UTF-8",
                    word.to_string_lossy()
                ))
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(if words.is_empty() {
        vec!["help".into()]
    } else {
        words
    })
}

fn execute(args: Vec<OsString>) -> Result<i32, Error> {
    let words = command_words(args)?;
    let invocation = grammar::parse(&words).map_err(Error::Usage)?;
    exec::catch_signals();
    let project_dir = host::project::dir();
    // The reads this invocation made first last time start now, while the
    // scripts compile (see `readahead`), unless `REYNS_READAHEAD=0`; not
    // while another reyns is changing the project. The clock is read before
    // the lock is looked at: a lock taken after that makes the reads stale.
    let lock_checked = std::time::SystemTime::now();
    if readahead::enabled() && host::project::lock_is_free() {
        let file = host::project::readahead_file();
        exec::read_ahead(readahead::begin(&file, &words.join(" "), lock_checked));
    }
    let code = load_and_run(&project_dir, &invocation);
    readahead::finish();
    code
}

/// Loads the verb on the engine, checks its arguments and runs it.
fn load_and_run(
    project_dir: &std::path::Path,
    invocation: &grammar::Invocation,
) -> Result<i32, Error> {
    let engine = engine::engine(project_dir);
    let verb = verb::load(&engine, project_dir, &invocation.verb)?;
    let args = verb.arguments(invocation)?;
    let code = verb.run(&engine, args, host::term::debugging());
    // The process ends right after: freeing the engine, its modules and the
    // compiled script piece by piece cost a tenth of a `reyns ps` (~1.5M
    // instructions), and the OS takes the memory back at once. Neither holds
    // anything that needs closing.
    std::mem::forget(verb);
    std::mem::forget(engine);
    if exec::interrupted_unhandled() {
        return Err(Error::Interrupted);
    }
    code
}
