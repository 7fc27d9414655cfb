//! The host API: the mechanisms verb scripts call, one Rhai module per concern.
//!
//! Each concern is a `#[export_module]` in its own file; [`register`] is the one
//! table that names them all. Scripts hold the policy; nothing here decides
//! what a verb means.

pub mod assets;
pub mod conf;
pub mod dns;
pub mod docker;
pub mod dockerfile;
pub mod env;
pub mod fs;
pub mod inspect;
pub mod jobs;
pub mod keys;
pub mod logs;
pub mod net;
pub mod program;
pub mod project;
pub mod readiness;
pub mod ssh;
pub mod term;
pub mod text;
pub mod verbs;

use crate::error::UsageError;
use rhai::{Dynamic, Engine, EvalAltResult, Position};

/// The registration table: every host module with the namespace scripts
/// call it by (`docker::`, `conf::`, ...).
pub fn modules() -> Vec<(&'static str, rhai::Module)> {
    vec![
        ("assets", rhai::exported_module!(assets::api)),
        ("conf", rhai::exported_module!(conf::api)),
        ("dns", rhai::exported_module!(dns::api)),
        ("docker", rhai::exported_module!(docker::api)),
        ("dockerfile", rhai::exported_module!(dockerfile::api)),
        ("env", rhai::exported_module!(env::api)),
        ("fs", rhai::exported_module!(fs::api)),
        ("keys", rhai::exported_module!(keys::api)),
        ("logs", rhai::exported_module!(logs::api)),
        ("net", rhai::exported_module!(net::api)),
        ("program", rhai::exported_module!(program::api)),
        ("project", rhai::exported_module!(project::api)),
        ("ssh", rhai::exported_module!(ssh::api)),
        ("term", rhai::exported_module!(term::api)),
        ("text", rhai::exported_module!(text::api)),
        ("verbs", rhai::exported_module!(verbs::api)),
    ]
}

/// Every host module's namespace with the names of its functions, as
/// registered: what `help:api` must document.
pub fn function_names() -> Vec<(&'static str, Vec<String>)> {
    modules()
        .into_iter()
        .map(|(name, module)| {
            let mut functions: Vec<String> = module
                .gen_fn_signatures()
                .filter_map(|signature| {
                    let signature = signature.strip_prefix("fn ").unwrap_or(&signature);
                    signature.split('(').next().map(str::to_string)
                })
                .collect();
            functions.sort();
            functions.dedup();
            (name, functions)
        })
        .collect()
}

/// Registers every host module of [`modules`] under its namespace.
pub fn register(engine: &mut Engine) {
    for (name, module) in modules() {
        engine.register_static_module(name, module.into());
    }
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

/// A bad command line or verb call: shown like [`fail`], but the process exits 2.
pub fn usage<T>(message: impl Into<String>) -> Result<T, Box<EvalAltResult>> {
    Err(Box::new(EvalAltResult::ErrorRuntime(
        Dynamic::from(UsageError(message.into())),
        Position::NONE,
    )))
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

/// A container as scripts name it: its name, or, on another engine, a list
/// of docker's global options followed by the name
/// (`["--host", "tcp://10.0.0.6:2375", "demo-demo-one"]`).
pub struct Target {
    /// docker's global options that reach the container's engine.
    pub flags: Vec<String>,
    pub name: String,
}

impl Target {
    pub fn from_dynamic(value: &rhai::Dynamic, what: &str) -> HostResult<Target> {
        if let Some(words) = value.read_lock::<rhai::Array>() {
            let mut flags = strings(&words, what)?;
            return match flags.pop() {
                Some(name) => Ok(Target { flags, name }),
                None => fail(format!("{what}: an empty container target")),
            };
        }
        if value.is_string() {
            return Ok(Target {
                flags: Vec::new(),
                name: value.to_string(),
            });
        }
        fail(format!(
            "{what} takes a container name or [docker options..., name], got a `{}`",
            value.type_name()
        ))
    }

    /// `docker FLAGS WORDS... NAME`'s argv (after `docker`).
    pub fn argv(&self, words: &[&str]) -> Vec<String> {
        let mut argv = self.flags.clone();
        argv.extend(words.iter().map(|word| word.to_string()));
        argv.push(self.name.clone());
        argv
    }
}

static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether SIGINT or SIGTERM arrived: long verbs stop scheduling new work.
pub fn interrupted() -> bool {
    INTERRUPTED.load(std::sync::atomic::Ordering::Relaxed)
}

static ACKNOWLEDGED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Records that the verb handled the interrupt itself (it stopped cleanly).
pub fn acknowledge_interrupt() {
    ACKNOWLEDGED.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Whether an interrupt arrived that the verb did not handle itself.
pub fn interrupted_unhandled() -> bool {
    interrupted() && !ACKNOWLEDGED.load(std::sync::atomic::Ordering::Relaxed)
}

extern "C" fn on_signal(_: libc::c_int) {
    INTERRUPTED.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Catches SIGINT and SIGTERM so that running docker commands finish and no
/// new ones start; the verb then stops with an error.
pub fn catch_signals() {
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
    }
}
