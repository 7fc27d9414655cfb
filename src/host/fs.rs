//! Files and folders, for what scripts read and write themselves (host.conf,
//! build contexts). Nothing here deletes a folder.

use super::fail;
use rhai::plugin::*;
use rhai::Array;
use std::path::Path;

#[export_module]
pub mod api {
    /// Whether a file or folder exists.
    ///
    /// ```rhai
    /// if fs::exists("default.conf") { ... }
    /// ```
    pub fn exists(path: &str) -> bool {
        Path::new(path).exists()
    }

    /// Whether `path` is a folder.
    ///
    /// ```rhai
    /// let is_service = fs::is_dir(`${dir}/demo`);
    /// ```
    pub fn is_dir(path: &str) -> bool {
        Path::new(path).is_dir()
    }

    /// The whole text of a file.
    ///
    /// ```rhai
    /// let text = fs::read("services/demo/Dockerfile");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn read(path: &str) -> Result<String, Box<EvalAltResult>> {
        std::fs::read_to_string(path).or_else(|err| fail(format!("cannot read `{path}`: {err}")))
    }

    /// Writes a file (creating its folder), replacing it atomically.
    ///
    /// ```rhai
    /// fs::write("host.conf", text::to_json(settings));
    /// ```
    #[rhai_fn(return_raw)]
    pub fn write(path: &str, text: &str) -> Result<(), Box<EvalAltResult>> {
        let target = Path::new(path);
        if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .or_else(|err| fail(format!("cannot create `{}`: {err}", parent.display())))?;
        }
        let temporary = target.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&temporary, text)
            .and_then(|()| std::fs::rename(&temporary, target))
            .or_else(|err| fail(format!("cannot write `{path}`: {err}")))
    }

    /// The names in a folder, sorted; an empty list when it does not exist.
    ///
    /// ```rhai
    /// for name in fs::list("services") { ... }
    /// ```
    #[rhai_fn(return_raw)]
    pub fn list(path: &str) -> Result<Array, Box<EvalAltResult>> {
        let entries = match std::fs::read_dir(path) {
            Ok(entries) => entries,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Array::new()),
            Err(err) => return fail(format!("cannot list `{path}`: {err}")),
        };
        let mut names: Vec<String> = entries
            .flatten()
            .map(|entry| entry.file_name().to_string_lossy().to_string())
            .collect();
        names.sort();
        Ok(names.into_iter().map(Dynamic::from).collect())
    }

    /// Creates a folder and its parents.
    ///
    /// ```rhai
    /// fs::mkdir(`${project::data_dir()}/demo-one`);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn mkdir(path: &str) -> Result<(), Box<EvalAltResult>> {
        std::fs::create_dir_all(path).or_else(|err| fail(format!("cannot create `{path}`: {err}")))
    }

    /// The absolute, resolved form of a path (which must exist).
    ///
    /// ```rhai
    /// let dir = fs::absolute(".");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn absolute(path: &str) -> Result<String, Box<EvalAltResult>> {
        std::fs::canonicalize(path)
            .map(|p| p.to_string_lossy().to_string())
            .or_else(|err| fail(format!("cannot resolve `{path}`: {err}")))
    }

    /// The base name of a path.
    ///
    /// ```rhai
    /// let name = fs::base_name("/a/b/c.conf"); // "c.conf"
    /// ```
    pub fn base_name(path: &str) -> String {
        Path::new(path)
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default()
    }
}
