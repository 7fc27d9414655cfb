//! Files embedded in the binary at compile time: the built-in verb scripts,
//! the definitions of Reyns' own images and the demo project, so that a
//! `reyns` binary copied alone anywhere still has everything it needs.

use include_dir::{include_dir, Dir, DirEntry};
use std::path::Path;

/// The built-in verbs (`scripts/<verb>.rhai`) and their modules (`scripts/lib/`).
pub static SCRIPTS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/scripts");
/// Reyns' own images, one folder each.
pub static IMAGES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/images");
/// The demo project that `install_demo` copies out.
pub static DEMO: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/demo");

/// Finds an embedded tree by its top-level name: `scripts`, `images` or `demo`.
pub fn tree(name: &str) -> Option<&'static Dir<'static>> {
    match name {
        "scripts" => Some(&SCRIPTS),
        "images" => Some(&IMAGES),
        "demo" => Some(&DEMO),
        _ => None,
    }
}

/// Finds an embedded folder from a path such as `images/reyns-common-debian12`.
pub fn folder(path: &str) -> Option<&'static Dir<'static>> {
    let path = path.trim_matches('/');
    let (top, rest) = path.split_once('/').unwrap_or((path, ""));
    let root = tree(top)?;
    if rest.is_empty() {
        Some(root)
    } else {
        root.get_dir(rest)
    }
}

/// Writes an embedded folder's files below `dest`, creating folders as needed.
/// Shell scripts are made executable.
pub fn extract(dir: &Dir<'_>, dest: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dest)?;
    for entry in dir.entries() {
        let relative = entry
            .path()
            .strip_prefix(dir.path())
            .unwrap_or(entry.path());
        let target = dest.join(relative);
        match entry {
            DirEntry::Dir(sub) => extract(sub, &target)?,
            DirEntry::File(file) => {
                std::fs::write(&target, file.contents())?;
                if target.extension().is_some_and(|ext| ext == "sh") {
                    use std::os::unix::fs::PermissionsExt;
                    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755))?;
                }
            }
        }
    }
    Ok(())
}

/// Every file under an embedded folder, at any depth, as its path relative
/// to the folder and its contents, in path order.
pub fn files(dir: &Dir<'static>) -> Vec<(String, &'static [u8])> {
    let mut files = Vec::new();
    add_files(dir, dir.path(), &mut files);
    files.sort();
    files
}

/// Adds every file under `dir` to `files`, named relative to `root`.
fn add_files(dir: &Dir<'static>, root: &Path, files: &mut Vec<(String, &'static [u8])>) {
    for entry in dir.entries() {
        match entry {
            DirEntry::Dir(sub) => add_files(sub, root, files),
            DirEntry::File(file) => {
                let relative = file.path().strip_prefix(root).unwrap_or(file.path());
                files.push((relative.to_string_lossy().into_owned(), file.contents()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trees_are_embedded() {
        assert!(SCRIPTS.get_file("help.rhai").is_some());
        assert!(folder("demo/services/demo").is_some());
        assert!(folder("nowhere").is_none());
    }

    #[test]
    fn files_lists_a_folders_files_in_path_order_at_any_depth() {
        let names: Vec<String> = files(folder("demo").unwrap())
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        assert!(
            names.contains(&"services/demo/Dockerfile".to_string()),
            "{names:?}"
        );
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
    }
}
