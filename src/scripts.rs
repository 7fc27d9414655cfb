//! Where verb scripts come from: the project's `reyns/` folder first, then the
//! scripts built into the binary. The same rule serves `import "lib/x"`, so a
//! project can override a shared module as easily as a verb.

use crate::assets::SCRIPTS;
use rhai::{Engine, EvalAltResult, Module, ModuleResolver, Position, Scope, Shared};
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Where a script was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Built into the binary.
    BuiltIn,
    /// From the project's `reyns/` folder, at this path.
    Project(PathBuf),
}

/// A script's text together with where it came from.
#[derive(Debug, Clone)]
pub struct Script {
    pub name: String,
    pub origin: Origin,
    pub text: String,
}

impl Script {
    /// The name shown in error messages: `scripts/run.rhai` or the project file's path.
    pub fn source_name(&self) -> String {
        match &self.origin {
            Origin::BuiltIn => format!("scripts/{}.rhai", self.name),
            Origin::Project(path) => path.display().to_string(),
        }
    }

    /// The first line of the script's leading `//!` comment.
    pub fn summary(&self) -> String {
        self.text
            .lines()
            .find_map(|line| line.trim().strip_prefix("//!"))
            .map(|line| line.trim().to_string())
            .unwrap_or_default()
    }

    /// The whole leading `//!` comment.
    pub fn doc(&self) -> String {
        self.text
            .lines()
            .map_while(|line| line.trim().strip_prefix("//!"))
            .map(|line| line.strip_prefix(' ').unwrap_or(line))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The folder holding a project's own scripts.
pub fn project_scripts_dir(project_dir: &Path) -> PathBuf {
    project_dir.join("reyns")
}

/// Finds the script `name` (a verb, or a module path such as `lib/run`).
pub fn find(project_dir: &Path, name: &str) -> Option<Script> {
    if !is_safe_name(name) {
        return None;
    }
    let file = format!("{name}.rhai");
    let local = project_scripts_dir(project_dir).join(&file);
    if let Ok(text) = std::fs::read_to_string(&local) {
        return Some(Script {
            name: name.to_string(),
            origin: Origin::Project(local),
            text,
        });
    }
    let text = SCRIPTS.get_file(&file)?.contents_utf8()?.to_string();
    Some(Script {
        name: name.to_string(),
        origin: Origin::BuiltIn,
        text,
    })
}

/// A script name is `word` or `lib/word`: no `..`, no absolute paths.
fn is_safe_name(name: &str) -> bool {
    !name.is_empty()
        && name.split('/').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
}

/// Every verb, built-in and the project's, sorted, each with whether the
/// project overrides a built-in one.
pub fn verbs(project_dir: &Path) -> Vec<(Script, bool)> {
    let mut names: Vec<String> = SCRIPTS
        .files()
        .filter_map(|file| {
            file.path()
                .to_str()?
                .strip_suffix(".rhai")
                .map(str::to_string)
        })
        .collect();
    if let Ok(entries) = std::fs::read_dir(project_scripts_dir(project_dir)) {
        for entry in entries.flatten() {
            let file_name = entry.file_name().to_string_lossy().to_string();
            if let Some(name) = file_name.strip_suffix(".rhai") {
                if !names.iter().any(|known| known == name) {
                    names.push(name.to_string());
                }
            }
        }
    }
    names.sort();
    names
        .into_iter()
        .filter(|name| !name.starts_with('_') || SCRIPTS.get_file(format!("{name}.rhai")).is_some())
        .filter_map(|name| {
            let script = find(project_dir, &name)?;
            let overrides = matches!(script.origin, Origin::Project(_))
                && SCRIPTS.get_file(format!("{name}.rhai")).is_some();
            Some((script, overrides))
        })
        .collect()
}

/// Resolves `import "lib/x"` with the same project-first rule as verbs.
/// Each module is compiled and evaluated once per engine, however many
/// scripts import it.
pub struct Resolver {
    project_dir: PathBuf,
    loaded: RefCell<HashMap<String, Shared<Module>>>,
}

impl Resolver {
    /// A resolver for the project in `project_dir`.
    pub fn new(project_dir: &Path) -> Resolver {
        Resolver {
            project_dir: project_dir.to_path_buf(),
            loaded: RefCell::new(HashMap::new()),
        }
    }
}

impl ModuleResolver for Resolver {
    fn resolve(
        &self,
        engine: &Engine,
        _source: Option<&str>,
        path: &str,
        pos: Position,
    ) -> Result<Shared<Module>, Box<EvalAltResult>> {
        if let Some(module) = self.loaded.borrow().get(path) {
            return Ok(module.clone());
        }
        let script = find(&self.project_dir, path)
            .ok_or_else(|| Box::new(EvalAltResult::ErrorModuleNotFound(path.to_string(), pos)))?;
        let in_module = |err: Box<EvalAltResult>| {
            Box::new(EvalAltResult::ErrorInModule(script.source_name(), err, pos))
        };
        let mut ast = engine
            .compile(&script.text)
            .map_err(|err| in_module(err.into()))?;
        ast.set_source(script.source_name());
        let mut module = Module::eval_ast_as_new(Scope::new(), &ast, engine).map_err(in_module)?;
        module.build_index();
        let module = Shared::new(module);
        self.loaded
            .borrow_mut()
            .insert(path.to_string(), module.clone());
        Ok(module)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_script_overrides_built_in() {
        let temporary = tempfile::tempdir().unwrap();
        let dir = temporary.path();
        std::fs::create_dir_all(dir.join("reyns")).unwrap();
        std::fs::write(dir.join("reyns/help.rhai"), "//! mine\nfn main(args) {}").unwrap();
        std::fs::write(
            dir.join("reyns/hello.rhai"),
            "//! says hello\nfn main(args) {}",
        )
        .unwrap();
        let help = find(dir, "help").unwrap();
        assert!(matches!(help.origin, Origin::Project(_)));
        assert_eq!(help.summary(), "mine");
        let listed = verbs(dir);
        let hello = listed.iter().find(|(s, _)| s.name == "hello").unwrap();
        assert!(!hello.1, "a new verb overrides nothing");
        let help = listed.iter().find(|(s, _)| s.name == "help").unwrap();
        assert!(help.1, "help is overridden");
    }

    #[test]
    fn built_in_found_without_project() {
        let script = find(Path::new("/nonexistent"), "help").unwrap();
        assert_eq!(script.origin, Origin::BuiltIn);
        assert!(find(Path::new("/nonexistent"), "no-such-verb").is_none());
    }

    /// Rhai caches which function an unqualified call resolves to by name
    /// and arity, across modules: two modules that both define `path()`
    /// would call each other's. So no two built-in scripts may share one.
    #[test]
    fn no_two_built_in_scripts_define_the_same_function() {
        let definition = regex::Regex::new(r"(?m)^fn ([a-z_0-9]+)\(([^)]*)\)").unwrap();
        let mut seen: HashMap<(String, usize), String> = HashMap::new();
        let mut clashes = Vec::new();
        let mut files = Vec::new();
        let mut folders = vec![&SCRIPTS];
        while let Some(folder) = folders.pop() {
            files.extend(folder.files());
            folders.extend(folder.dirs());
        }
        for file in files {
            let name = file.path().display().to_string();
            let text = file.contents_utf8().unwrap_or_default();
            for found in definition.captures_iter(text) {
                let params = found[2].split(',').filter(|p| !p.trim().is_empty()).count();
                let key = (found[1].to_string(), params);
                if key.0 == "main" {
                    continue;
                }
                if let Some(first) = seen.insert(key.clone(), name.clone()) {
                    clashes.push(format!("{}/{} in {first} and {name}", key.0, key.1));
                }
            }
        }
        assert!(clashes.is_empty(), "functions defined twice: {clashes:?}");
    }

    #[test]
    fn names_cannot_escape() {
        assert!(find(Path::new("/"), "../etc/passwd").is_none());
        assert!(find(Path::new("/"), "/etc/x").is_none());
        assert!(find(Path::new("/"), "lib//x").is_none());
    }
}
