//! How a verb is loaded, checked and run on an engine.
//!
//! A verb script declares what it takes at its top level:
//!
//! ```rhai
//! //! Build the project's services.        <- the summary `reyns help` shows
//! const POSITIONALS = ["service"];
//! const OPTIONS = #{ cache: [true, "use docker's build cache"], tag: "any value, no default" };
//! fn main(args) { ... }                     <- args: one map of every value
//! ```
//!
//! A project verb may also be a plain script: top-level statements and no
//! `fn main`, run with `args` in scope; its declarations are optional
//! (`print("hi");` in `reyns/hello.rhai` is the verb `reyns hello`).
//!
//! The command line is checked against those declarations before the verb
//! runs, so a mistyped option never reaches a script.

use crate::error::{Error, UsageError};
use crate::grammar::{Invocation, Value};
use crate::scripts::{self, Origin, Script};
use rhai::{Array, CallFnOptions, Dynamic, Engine, EvalAltResult, Map, Scope, Stmt, AST};
use std::path::Path;

/// One option a verb takes.
#[derive(Debug, Clone)]
pub struct OptionSpec {
    pub name: String,
    /// `()` when the option has no default.
    pub default: Dynamic,
    pub help: String,
    /// The type a value must have: `bool`, `int`, `float` or `string`; when
    /// not declared, the default's type, and any type without a default.
    pub kind: Option<String>,
}

/// The name a verb's arguments have in its script.
const ARGS: &str = "args";

/// The top-level constants a verb may declare.
const DECLARATIONS: [&str; 2] = ["POSITIONALS", "OPTIONS"];

/// What runs when a verb runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// `fn main(args)`, called with the arguments.
    Main,
    /// The script's top-level statements, with `args` in scope.
    Statements,
}

/// A compiled verb with its declarations.
pub struct Verb {
    pub script: Script,
    pub ast: AST,
    pub body: Body,
    pub positionals: Vec<String>,
    pub options: Vec<OptionSpec>,
}

/// Finds and compiles verb `name`, reading its declarations.
pub fn load(engine: &Engine, project_dir: &Path, name: &str) -> Result<Verb, Error> {
    let Some(script) =
        scripts::find(project_dir, name).filter(|s| !name.contains('/') && !s.text.is_empty())
    else {
        let known: Vec<String> = scripts::verbs(project_dir)
            .into_iter()
            .map(|(script, _)| script.name)
            .collect();
        return Err(Error::Usage(format!(
            "unknown verb `{name}`; known verbs: {}",
            known.join(", ")
        )));
    };
    let source = script.source_name();
    // `args` is in scope for a plain script's statements; strict variables
    // would refuse to compile them without it.
    let mut scope = Scope::new();
    scope.push(ARGS, Dynamic::UNIT);
    let mut ast = engine
        .compile_with_scope(&scope, &script.text)
        .map_err(|err| {
            let err: Box<EvalAltResult> = err.into();
            explain(&err, &source, true)
        })?;
    ast.set_source(source.clone());
    let body = if ast
        .iter_functions()
        .any(|f| f.name == "main" && f.params.len() == 1)
    {
        Body::Main
    } else {
        Body::Statements
    };
    // Only the declarations run (and the imports they use): what a verb
    // takes is read without running its top level.
    engine
        .run_ast_with_scope(&mut scope, &declarations_only(&ast))
        .map_err(|err| explain(&err, &source, true))?;
    let declaration_error = |what: &str| Error::failed(format!("{what} in `{source}`"));
    let positionals = match scope.get_value::<Array>("POSITIONALS") {
        Some(names) => names.iter().map(|name| name.to_string()).collect(),
        None if scope.contains("POSITIONALS") => {
            return Err(declaration_error("`POSITIONALS` must be a list of names"))
        }
        None => Vec::new(),
    };
    let options = match scope.get_value::<Map>("OPTIONS") {
        Some(map) => option_specs(&map).map_err(|what| declaration_error(&what))?,
        None if scope.contains("OPTIONS") => {
            return Err(declaration_error("`OPTIONS` must be a map"))
        }
        None => Vec::new(),
    };
    Ok(Verb {
        script,
        ast,
        body,
        positionals,
        options,
    })
}

/// The top-level declarations of a verb (`POSITIONALS`, `OPTIONS`, and
/// the imports they may use), without its other statements: reading what
/// a verb takes must not run it.
fn declarations_only(ast: &AST) -> AST {
    let declarations = ast.statements().iter().filter(|statement| match statement {
        Stmt::Var(declared, ..) => DECLARATIONS.contains(&declared.0.name.as_str()),
        Stmt::Import(..) => true,
        _ => false,
    });
    let mut only = AST::new(declarations.cloned(), ast.shared_lib().clone());
    if let Some(source) = ast.source() {
        only.set_source(source);
    }
    only
}

/// Reads `OPTIONS`: each value is `[default, "help"]`, `[default, "help", "kind"]`
/// (e.g. `[(), "...", "bool"]` for a typed option without a default), or just
/// `"help"` for an option without a default that takes any type.
fn option_specs(map: &Map) -> Result<Vec<OptionSpec>, String> {
    let mut specs: Vec<OptionSpec> = map
        .iter()
        .map(|(name, spec)| {
            if spec.is_string() {
                return Ok(OptionSpec {
                    name: name.to_string(),
                    default: Dynamic::UNIT,
                    help: spec.to_string(),
                    kind: None,
                });
            }
            let pair = spec.clone().try_cast::<Array>().unwrap_or_default();
            match pair.as_slice() {
                [default, help] if help.is_string() => Ok(OptionSpec {
                    name: name.to_string(),
                    default: default.clone(),
                    help: help.to_string(),
                    kind: None,
                }),
                [default, help, kind] if help.is_string() && ["bool", "int", "float", "string"].contains(&kind.to_string().as_str()) => Ok(OptionSpec {
                    name: name.to_string(),
                    default: default.clone(),
                    help: help.to_string(),
                    kind: Some(kind.to_string()),
                }),
                _ => Err(format!("option `{name}` must be declared as [default, \"help\"], [default, \"help\", \"bool|int|float|string\"] or \"help\"")),
            }
        })
        .collect::<Result<_, _>>()?;
    specs.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(specs)
}

/// Turns a command-line value into the type the option's default has.
fn typed(verb: &str, spec: &OptionSpec, value: &Value) -> Result<Dynamic, Error> {
    let wrong = |kind: &str| {
        Error::Usage(format!(
            "option `{}` of `{verb}` takes {kind}, not `{value}`",
            spec.name
        ))
    };
    let default = match spec.kind.as_deref() {
        Some("bool") => &Dynamic::FALSE,
        Some("int") => &Dynamic::ZERO,
        Some("float") => &Dynamic::from_float(0.0),
        Some("string") => &Dynamic::from(String::new()),
        _ => &spec.default,
    };
    Ok(match value {
        Value::Bool(flag) if default.is_bool() || default.is_unit() => (*flag).into(),
        _ if default.is_bool() => return Err(wrong("True or False")),
        Value::Int(number) if default.is_int() || default.is_unit() || default.is_float() => {
            if default.is_float() {
                (*number as f64).into()
            } else {
                (*number).into()
            }
        }
        Value::Float(number) if default.is_float() || default.is_unit() => (*number).into(),
        _ if default.is_int() => return Err(wrong("a whole number")),
        _ if default.is_float() => return Err(wrong("a number")),
        Value::Str(text) => text.clone().into(),
        other => other.to_string().into(),
    })
}

impl Verb {
    /// Checks an invocation against the declarations and builds `args`.
    pub fn arguments(&self, invocation: &Invocation) -> Result<Map, Error> {
        let verb = &self.script.name;
        if invocation.positionals.len() > self.positionals.len() {
            let extra = &invocation.positionals[self.positionals.len()];
            return Err(Error::Usage(if self.positionals.is_empty() {
                format!("`{verb}` takes no positional argument, got `{extra}`")
            } else {
                format!(
                    "too many positional arguments for `{verb}` (it takes {}): `{extra}`",
                    self.positionals.join(", then ")
                )
            }));
        }
        let mut args = Map::new();
        for (name, value) in self.positionals.iter().zip(&invocation.positionals) {
            args.insert(name.into(), value.to_string().into());
        }
        for (key, value) in &invocation.options {
            if self.positionals.contains(key) {
                if args.contains_key(key.as_str()) {
                    return Err(Error::Usage(format!(
                        "`{key}` given both as a positional and as `{key}=` for `{verb}`"
                    )));
                }
                args.insert(key.into(), value.to_string().into());
                continue;
            }
            let Some(spec) = self.options.iter().find(|spec| spec.name == *key) else {
                let mut names: Vec<&str> = self.positionals.iter().map(String::as_str).collect();
                names.extend(self.options.iter().map(|spec| spec.name.as_str()));
                return Err(Error::Usage(format!(
                    "unknown option `{key}` for `{verb}`; it takes: {}",
                    if names.is_empty() {
                        "nothing".into()
                    } else {
                        names.join(", ")
                    }
                )));
            };
            args.insert(key.into(), typed(verb, spec, value)?);
        }
        for spec in &self.options {
            if !args.contains_key(spec.name.as_str()) {
                args.insert(spec.name.as_str().into(), spec.default.clone());
            }
        }
        for name in &self.positionals {
            if !args.contains_key(name.as_str()) {
                args.insert(name.as_str().into(), Dynamic::UNIT);
            }
        }
        Ok(args)
    }

    /// Runs the verb: `main(args)`, or a plain script's statements with
    /// `args` in scope. An integer result (`return 3` from `main`, `exit(3)`
    /// in a plain script) is the exit status, `false` is 1. `debug` shows the
    /// script place of every failure, not only of the project's scripts.
    pub fn run(&self, engine: &Engine, args: Map, debug: bool) -> Result<i32, Error> {
        let mut scope = Scope::new();
        let result = match self.body {
            Body::Main => {
                let options = CallFnOptions::new().eval_ast(true).rewind_scope(true);
                engine.call_fn_with_options(options, &mut scope, &self.ast, "main", (args,))
            }
            Body::Statements => {
                scope.push(ARGS, args);
                engine.eval_ast_with_scope::<Dynamic>(&mut scope, &self.ast)
            }
        };
        // What a plan recorded and did not print itself comes first, as the
        // verb's output; an error after it says where the plan stopped.
        crate::host::session::Session::of_engine(engine).print_planned();
        let result = result.map_err(|err| {
            explain(
                &err,
                &self.script.source_name(),
                debug || self.from_project(),
            )
        })?;
        Ok(match result.as_int() {
            Ok(code) => code.clamp(0, 255) as i32,
            Err(_) if result.as_bool() == Ok(false) => 1,
            Err(_) => 0,
        })
    }

    /// Whether the script is the project's own (its errors then always show where).
    pub fn from_project(&self) -> bool {
        matches!(self.script.origin, Origin::Project(_))
    }
}

/// Turns a Rhai error into the error reyns reports, with the script place
/// that raised it when `locate` (a plain failure from a built-in script is
/// for the user, not about the script) or when it is not a plain failure.
pub fn explain(err: &EvalAltResult, top_source: &str, locate: bool) -> Error {
    let mut source = top_source.to_string();
    let mut current = err;
    let mut position = err.position();
    loop {
        match current {
            EvalAltResult::ErrorInFunctionCall(_, fn_source, inner, pos) => {
                if !fn_source.is_empty() {
                    source = fn_source.clone();
                }
                if !pos.is_none() {
                    position = *pos;
                }
                current = inner;
            }
            EvalAltResult::ErrorInModule(module_source, inner, pos) => {
                if !pos.is_none() {
                    position = *pos;
                }
                source = module_source.clone();
                current = inner;
            }
            _ => break,
        }
    }
    if !current.position().is_none() {
        position = current.position();
    }
    let location = (!position.is_none()).then(|| {
        format!(
            "{source}:{}:{}",
            position.line().unwrap_or(0),
            position.position().unwrap_or(0)
        )
    });
    if let EvalAltResult::ErrorRuntime(value, _) = current {
        if let Some(usage) = value.read_lock::<UsageError>() {
            return Error::Usage(usage.0.clone());
        }
        let message = if value.is_string() {
            value.to_string()
        } else {
            format!("{value:?}")
        };
        return Error::Failed {
            message,
            location: location.filter(|_| locate),
        };
    }
    let text = current.to_string();
    let message = match text.rfind(" (line ") {
        Some(at) if text.ends_with(')') => text[..at].to_string(),
        _ => text,
    };
    Error::Failed { message, location }
}
