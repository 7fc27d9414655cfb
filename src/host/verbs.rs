//! What verbs exist and what they take, for `help`, and the host API's own
//! documentation, generated from the `///` comments of the host functions.

use super::fail;
use crate::error::Error;
use crate::scripts::Origin;
use crate::verb::{self, Verb};
use rhai::plugin::*;
use rhai::{Array, Map};

/// Writes Rust return types as a script sees them: `Result<T, Box<EvalAltResult>>`
/// becomes `T` (the error is a thrown exception), in Rhai's own type names.
fn script_types(definitions: &str) -> String {
    let result = regex::Regex::new(r"-> Result<(.*), Box<EvalAltResult>>;").expect("valid pattern");
    let unwrapped = result.replace_all(definitions, "-> $1;");
    unwrapped
        .replace(" -> ();", ";")
        .replace("-> String;", "-> string;")
        .replace("-> Map;", "-> map;")
        .replace("-> Array;", "-> array;")
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
                let mut map = Map::new();
                map.insert("name".into(), script.name.clone().into());
                map.insert("summary".into(), script.summary().into());
                map.insert(
                    "project".into(),
                    matches!(script.origin, Origin::Project(_)).into(),
                );
                map.insert("overrides".into(), overrides.into());
                map.into()
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
        let options: Array = verb
            .options
            .iter()
            .map(|spec| {
                let mut map = Map::new();
                map.insert("name".into(), spec.name.clone().into());
                map.insert("fallback".into(), spec.default.clone());
                map.insert("help".into(), spec.help.clone().into());
                map.into()
            })
            .collect();
        let mut map = Map::new();
        map.insert("name".into(), verb.script.name.clone().into());
        map.insert("doc".into(), verb.script.doc().into());
        map.insert("source".into(), verb.script.source_name().into());
        map.insert(
            "positionals".into(),
            verb.positionals
                .iter()
                .cloned()
                .map(Dynamic::from)
                .collect::<Array>()
                .into(),
        );
        map.insert("options".into(), options.into());
        Ok(map)
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
    pub fn api_docs(context: NativeCallContext) -> String {
        let mut text = String::new();
        for (file, body) in context.engine().definitions().modules() {
            let name = file.trim_end_matches(".d.rhai");
            text.push_str(&format!("// ---- {name}:: ----\n{}\n", script_types(&body)));
        }
        text
    }
}
