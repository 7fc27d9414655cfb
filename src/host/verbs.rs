//! What verbs exist and what they take, for `help`, and the host API's own
//! documentation (`api.d.rhai`, generated from the `///` comments of the host
//! functions by the test `host_api_docs_are_current`).

use super::{fail, to_map};
use crate::error::Error;
use crate::scripts::Origin;
use crate::verb::{self, Verb};
use rhai::plugin::*;
use rhai::{Array, Map};
use serde::Serialize;

/// The host API as Rhai definitions: the engine's own, generated from the
/// functions' `///` comments, written down ahead because generating them
/// needs Rhai's `metadata` feature, whose doc comments and parameter names
/// every start paid for (callgrind, `reyns ps`: 8.6M -> 7.7M instructions).
/// The tests build with `metadata` and rewrite the file (`REYNS_BLESS=1`).
const API_DOCS: &str = include_str!("api.d.rhai");

/// A verb as `verbs::list` shows it.
#[derive(Serialize)]
struct Listed {
    name: String,
    summary: String,
    project: bool,
    overrides: bool,
}

/// A verb's documentation, as `verbs::describe` gives it.
#[derive(Serialize)]
struct Described {
    name: String,
    doc: String,
    source: String,
    positionals: Vec<String>,
    options: Vec<OptionShown>,
}

/// One option of a verb: its default is `fallback` (`()` for none).
#[derive(Serialize)]
struct OptionShown {
    name: String,
    fallback: Dynamic,
    help: String,
}

/// A verb's failure as this script's error: usage errors stay usage errors.
fn reraise<T>(error: Error) -> Result<T, Box<EvalAltResult>> {
    match error {
        Error::Usage(message) => super::usage(message),
        other => fail(other.to_string()),
    }
}

/// Loads `verb` on `engine` and checks `arguments` (the text after `VERB:`) against it.
fn checked(
    engine: &rhai::Engine,
    verb: &str,
    arguments: &str,
) -> Result<(Verb, Map), Box<EvalAltResult>> {
    let line = if arguments.is_empty() {
        verb.to_string()
    } else {
        format!("{verb}:{arguments}")
    };
    let invocation = crate::grammar::parse(&[line]).or_else(fail)?;
    let project_dir = super::project::dir();
    let loaded = verb::load(engine, &project_dir, &invocation.verb).or_else(reraise)?;
    let args = loaded.arguments(&invocation).or_else(reraise)?;
    Ok((loaded, args))
}

#[export_module]
pub mod api {
    /// Every verb, sorted: `#{name, summary, project, overrides}`.
    ///
    /// ```rhai
    /// for verb in verbs::list() { term::out(verb.name); }
    /// ```
    pub fn list() -> Array {
        crate::scripts::verbs(&super::super::project::dir())
            .into_iter()
            .map(|(script, overrides)| {
                let listed = Listed {
                    name: script.name.clone(),
                    summary: script.summary(),
                    project: matches!(script.origin, Origin::Project(_)),
                    overrides,
                };
                to_map(&listed).map(Dynamic::from).unwrap_or_default()
            })
            .collect()
    }

    /// One verb's documentation: `#{name, doc, source, positionals, options: [#{name, fallback, help}]}`.
    ///
    /// ```rhai
    /// let help = verbs::describe("run");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn describe(context: NativeCallContext, name: &str) -> Result<Map, Box<EvalAltResult>> {
        let project_dir = super::super::project::dir();
        let verb = verb::load(context.engine(), &project_dir, name).or_else(reraise)?;
        to_map(&Described {
            name: verb.script.name.clone(),
            doc: verb.script.doc(),
            source: verb.script.source_name(),
            positionals: verb.positionals.clone(),
            options: verb
                .options
                .iter()
                .map(|spec| OptionShown {
                    name: spec.name.clone(),
                    fallback: spec.default.clone(),
                    help: spec.help.clone(),
                })
                .collect(),
        })
    }

    /// Runs another verb as if typed `reyns VERB:ARGS` (same checks) and
    /// returns its exit status; its errors become this script's errors.
    ///
    /// ```rhai
    /// verbs::invoke("run", "demo,instance=one,conf=default");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn invoke(
        context: NativeCallContext,
        verb: &str,
        arguments: &str,
    ) -> Result<i64, Box<EvalAltResult>> {
        let (loaded, args) = checked(context.engine(), verb, arguments)?;
        loaded
            .run(context.engine(), args, super::super::term::debugging())
            .map(i64::from)
            .or_else(reraise)
    }

    /// The `args` map a verb's `main` would get for `reyns VERB:ARGS`, after
    /// the same checks (unknown options, types) and with its defaults: so a
    /// script can call a verb's library code with well-formed arguments.
    ///
    /// ```rhai
    /// let args = verbs::arguments("run", "all,conf=production");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn arguments(
        context: NativeCallContext,
        verb: &str,
        arguments: &str,
    ) -> Result<Map, Box<EvalAltResult>> {
        Ok(checked(context.engine(), verb, arguments)?.1)
    }

    /// The host API as Rhai definitions, with each function's documentation.
    ///
    /// ```rhai
    /// term::out(verbs::api_docs());
    /// ```
    pub fn api_docs() -> String {
        super::API_DOCS.to_string()
    }
}
