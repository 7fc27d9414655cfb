//! The host API: the mechanisms verb scripts call, one Rhai module per concern.
//!
//! Each concern is a `#[export_module]` in its own file; [`register`] is the one
//! table that names them all. Scripts hold the policy; nothing here decides
//! what a verb means.

pub mod assets;
pub mod compose;
pub mod conf;
pub mod contract;
pub mod dns;
pub mod docker;
pub mod dockerfile;
pub mod env;
pub mod fs;
pub mod inspect;
pub mod keys;
pub mod logs;
pub mod net;
pub mod program;
pub mod project;
pub mod session;
pub mod ssh;
pub mod swarm;
pub mod term;
pub mod text;
pub mod ui;
pub mod verbs;
pub mod watch;

use crate::error::UsageError;
pub use crate::exec::{fail, string_list, strings, to_map, HostResult};
use rhai::{Dynamic, Engine, EvalAltResult, Position};

/// The registration table: every host module with the namespace scripts
/// call it by (`docker::`, `conf::`, ...).
pub fn modules() -> Vec<(&'static str, rhai::Module)> {
    vec![
        ("assets", rhai::exported_module!(assets::api)),
        ("compose", rhai::exported_module!(compose::api)),
        ("conf", rhai::exported_module!(conf::api)),
        ("contract", rhai::exported_module!(contract::api)),
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
        ("swarm", rhai::exported_module!(swarm::api)),
        ("term", rhai::exported_module!(term::api)),
        ("text", rhai::exported_module!(text::api)),
        ("ui", rhai::exported_module!(ui::api)),
        ("verbs", rhai::exported_module!(verbs::api)),
        ("watch", rhai::exported_module!(watch::api)),
    ]
}

/// Registers every host module of [`modules`] under its namespace.
pub fn register(engine: &mut Engine) {
    for (name, module) in modules() {
        engine.register_static_module(name, module.into());
    }
}

/// A bad command line or verb call: shown like [`fail`], but the process exits 2.
pub fn usage<T>(message: impl Into<String>) -> Result<T, Box<EvalAltResult>> {
    Err(Box::new(EvalAltResult::ErrorRuntime(
        Dynamic::from(UsageError(message.into())),
        Position::NONE,
    )))
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
