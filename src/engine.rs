//! The Rhai engine and how a verb runs on it.
//!
//! [`engine`] is the one factory, used by the binary and the tests alike. A
//! verb script declares what it takes at its top level:
//!
//! ```rhai
//! //! Build the project's services.        <- the summary `reyns help` shows
//! const POSITIONALS = ["service"];
//! const OPTIONS = #{ cache: [true, "use docker's build cache"], tag: "any value, no default" };
//! fn main(args) { ... }                     <- args: one map of every value
//! ```
//!
//! The command line is checked against those declarations before `main` runs,
//! so a mistyped option never reaches a script.

use crate::grammar::{Invocation, Value};
use crate::host::{self, UsageError};
use crate::scripts::{self, Origin, Script};
use rhai::{Array, CallFnOptions, Dynamic, Engine, EvalAltResult, Map, Scope, AST};
use std::path::Path;

/// Builds the engine: strict variables, the host API, project-first imports.
pub fn engine(project_dir: &Path) -> Engine {
    let mut engine = Engine::new();
    engine.set_strict_variables(true);
    engine.set_max_expr_depths(256, 128);
    // Rhai's default depth is lower in debug builds; verbs nest a few
    // modules deep (run -> converge -> a job -> argv), so set it the same
    // for every build.
    engine.set_max_call_levels(64);
    engine.set_module_resolver(scripts::Resolver::new(project_dir));
    host::register(&mut engine);
    engine
}

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

/// A compiled verb with its declarations.
pub struct Verb {
    pub script: Script,
    pub ast: AST,
    pub positionals: Vec<String>,
    pub options: Vec<OptionSpec>,
}

/// Why a verb did not finish: shown as `reyns: error: ...`, with an exit status.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    /// `file:line:col` in a script, when it helps to know.
    pub location: Option<String>,
    pub code: i32,
}

impl Failure {
    fn usage(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            location: None,
            code: 2,
        }
    }
}

/// Finds and compiles verb `name`, reading its declarations.
pub fn load(engine: &Engine, project_dir: &Path, name: &str) -> Result<Verb, Failure> {
    let Some(script) =
        scripts::find(project_dir, name).filter(|s| !name.contains('/') && !s.text.is_empty())
    else {
        let known: Vec<String> = scripts::verbs(project_dir)
            .into_iter()
            .map(|(script, _)| script.name)
            .collect();
        return Err(Failure::usage(format!(
            "unknown verb `{name}`; known verbs: {}",
            known.join(", ")
        )));
    };
    let source = script.source_name();
    let mut ast = engine.compile(&script.text).map_err(|err| {
        let err: Box<EvalAltResult> = err.into();
        explain(&err, &source, true)
    })?;
    ast.set_source(source.clone());
    let mut scope = Scope::new();
    engine
        .run_ast_with_scope(&mut scope, &ast)
        .map_err(|err| explain(&err, &source, true))?;
    let declaration_error = |what: &str| Failure {
        message: format!("{what} in `{source}`"),
        location: None,
        code: 1,
    };
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
    if !ast
        .iter_functions()
        .any(|f| f.name == "main" && f.params.len() == 1)
    {
        return Err(declaration_error("no `fn main(args)`"));
    }
    Ok(Verb {
        script,
        ast,
        positionals,
        options,
    })
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
fn typed(verb: &str, spec: &OptionSpec, value: &Value) -> Result<Dynamic, Failure> {
    let wrong = |kind: &str| {
        Failure::usage(format!(
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
    pub fn arguments(&self, invocation: &Invocation) -> Result<Map, Failure> {
        let verb = &self.script.name;
        if invocation.positionals.len() > self.positionals.len() {
            let extra = &invocation.positionals[self.positionals.len()];
            return Err(Failure::usage(if self.positionals.is_empty() {
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
                    return Err(Failure::usage(format!(
                        "`{key}` given both as a positional and as `{key}=` for `{verb}`"
                    )));
                }
                args.insert(key.into(), value.to_string().into());
                continue;
            }
            let Some(spec) = self.options.iter().find(|spec| spec.name == *key) else {
                let mut names: Vec<&str> = self.positionals.iter().map(String::as_str).collect();
                names.extend(self.options.iter().map(|spec| spec.name.as_str()));
                return Err(Failure::usage(format!(
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

    /// Runs `main(args)`; an integer result is the exit status.
    pub fn run(&self, engine: &Engine, args: Map) -> Result<i32, Failure> {
        let mut scope = Scope::new();
        let options = CallFnOptions::new().eval_ast(true).rewind_scope(true);
        let result: Dynamic = engine
            .call_fn_with_options(options, &mut scope, &self.ast, "main", (args,))
            .map_err(|err| explain(&err, &self.script.source_name(), self.from_project()))?;
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

/// Turns a Rhai error into a message, the script place that raised it, and
/// an exit status. A plain failure from a built-in script shows no place
/// unless `LOG_LEVEL=DEBUG`: the message is for the user, not the script.
pub fn explain(err: &EvalAltResult, top_source: &str, always_locate: bool) -> Failure {
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
            return Failure::usage(usage.0.clone());
        }
        let message = if value.is_string() {
            value.to_string()
        } else {
            format!("{value:?}")
        };
        let locate = always_locate || host::term::level() == host::term::Level::Debug;
        return Failure {
            message,
            location: location.filter(|_| locate),
            code: 1,
        };
    }
    let text = current.to_string();
    let message = match text.rfind(" (line ") {
        Some(at) if text.ends_with(')') => text[..at].to_string(),
        _ => text,
    };
    Failure {
        message,
        location,
        code: 1,
    }
}
