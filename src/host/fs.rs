//! Files and folders, for what scripts read and write themselves (host.conf,
//! build contexts, the release log). Nothing here deletes a folder.

use super::fail;
use rhai::plugin::*;
use rhai::Array;
use std::path::Path;

/// Writes a file (creating its folder), replacing it atomically.
fn write_atomically(path: &str, text: &str) -> Result<(), Box<EvalAltResult>> {
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

    /// A digest of what a file or folder holds: for a folder, every file
    /// under it (paths and contents, in order). Past `limit` bytes read in all,
    /// the remaining files count by size and modification time only, so a
    /// large mounted tree costs little. `()` when the path does not exist.
    ///
    /// ```rhai
    /// let before = fs::digest(`${project::dir()}/config`, 16 * 1024 * 1024);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn digest(path: &str, limit: i64) -> Result<Dynamic, Box<EvalAltResult>> {
        let root = Path::new(path);
        if !root.exists() {
            return Ok(Dynamic::UNIT);
        }
        let mut budget = limit.max(0) as u64;
        let mut summary = Vec::new();
        super::tree_summary(root, root, &mut budget, &mut summary)
            .or_else(|err| fail(format!("cannot read {path}: {err}")))?;
        Ok(crate::host::text::sha256_hex(&summary).into())
    }

    /// Appends `text` to a file, creating it (and its folder) when missing.
    ///
    /// ```rhai
    /// fs::append(".reyns/releases.jsonl", line + "\n");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn append(path: &str, text: &str) -> Result<(), Box<EvalAltResult>> {
        use std::io::Write;
        if let Some(parent) = Path::new(path).parent() {
            std::fs::create_dir_all(parent)
                .or_else(|err| fail(format!("cannot create {}: {err}", parent.display())))?;
        }
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut file| file.write_all(text.as_bytes()))
            .or_else(|err| fail(format!("cannot append to {path}: {err}")))
    }

    /// Removes a file (never a folder); nothing when it does not exist.
    ///
    /// ```rhai
    /// fs::remove_file(".reyns/deploying.json");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn remove_file(path: &str) -> Result<(), Box<EvalAltResult>> {
        match std::fs::remove_file(path) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
                fail(format!("cannot remove {path}: {err}"))
            }
            _ => Ok(()),
        }
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
        write_atomically(path, text)
    }

    /// Writes reyns' own state (host.conf, what `init` built) as `write`
    /// does, except in plan mode, where nothing changes: then not at all.
    ///
    /// ```rhai
    /// fs::write_state(`${project::reyns_home()}/images.json`, text::to_json(record));
    /// ```
    #[rhai_fn(return_raw)]
    pub fn write_state(
        context: NativeCallContext,
        path: &str,
        text: &str,
    ) -> Result<(), Box<EvalAltResult>> {
        if super::super::session::Session::of(&context)
            .mode()
            .is_plan()
        {
            return Ok(());
        }
        write_atomically(path, text)
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

/// Appends to `summary` each file under `path` (relative name, then its
/// contents while `budget` lasts, else its size and modification time).
fn tree_summary(
    root: &Path,
    path: &Path,
    budget: &mut u64,
    summary: &mut Vec<u8>,
) -> std::io::Result<()> {
    let meta = std::fs::metadata(path)?;
    if meta.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)?
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .collect();
        entries.sort();
        for entry in entries {
            tree_summary(root, &entry, budget, summary)?;
        }
        return Ok(());
    }
    let name = path.strip_prefix(root).unwrap_or(path).to_string_lossy();
    if meta.len() <= *budget {
        *budget -= meta.len();
        add_to_summary(summary, &name, &std::fs::read(path)?);
    } else {
        let modified = meta
            .modified()
            .ok()
            .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|since| since.as_nanos())
            .unwrap_or_default();
        let stands_in = format!("size {} modified {modified}", meta.len());
        add_to_summary(summary, &name, stands_in.as_bytes());
    }
    Ok(())
}

/// Appends one file to the summary a digest is taken of: its name, then its
/// contents (or what stands in for them), each ended by a NUL. Folders on
/// disk (`fs::digest`) and embedded ones (`assets::digest`) are summed alike.
pub(super) fn add_to_summary(summary: &mut Vec<u8>, name: &str, contents: &[u8]) {
    summary.extend_from_slice(name.as_bytes());
    summary.push(0);
    summary.extend_from_slice(contents);
    summary.push(0);
}
