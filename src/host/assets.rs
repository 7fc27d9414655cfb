//! The files built into the binary (`scripts/`, `images/`, `demo/`), written
//! out where a verb needs them on disk.

use super::fail;
use rhai::plugin::*;
use rhai::Array;

#[export_module]
pub mod api {
    /// Whether an embedded folder exists, e.g. `images/reyns-dns-debian12`.
    ///
    /// ```rhai
    /// if !assets::exists(`images/reyns-common-${os}`) { throw "unknown os"; }
    /// ```
    pub fn exists(path: &str) -> bool {
        crate::assets::folder(path).is_some()
    }

    /// The names of the sub-folders of an embedded folder, sorted.
    ///
    /// ```rhai
    /// let images = assets::folders("images");
    /// ```
    pub fn folders(path: &str) -> Array {
        let mut names: Vec<String> = crate::assets::folder(path)
            .map(|dir| {
                dir.dirs()
                    .filter_map(|sub| sub.path().file_name()?.to_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names.into_iter().map(Dynamic::from).collect()
    }

    /// The text of an embedded file, e.g. `images/reyns-dns-debian12/Dockerfile`.
    ///
    /// ```rhai
    /// let dockerfile = assets::read("images/reyns-dns-debian12/Dockerfile");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn read(path: &str) -> Result<String, Box<EvalAltResult>> {
        let path = path.trim_matches('/');
        let (top, rest) = path.split_once('/').unwrap_or((path, ""));
        crate::assets::tree(top)
            .and_then(|dir| dir.get_file(rest))
            .and_then(|file| file.contents_utf8())
            .map(str::to_string)
            .map_or_else(|| fail(format!("nothing is embedded at `{path}`")), Ok)
    }

    /// A digest of an embedded folder (every file's path and contents), e.g.
    /// of the definition Reyns' images are built from.
    ///
    /// ```rhai
    /// let definition = assets::digest("images/reyns-base-debian12");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn digest(path: &str) -> Result<String, Box<EvalAltResult>> {
        let Some(dir) = crate::assets::folder(path) else {
            return fail(format!("nothing is embedded at `{path}`"));
        };
        let mut summary = Vec::new();
        for (name, contents) in crate::assets::files(dir) {
            crate::host::fs::add_to_summary(&mut summary, &name, contents);
        }
        Ok(crate::host::text::sha256_hex(&summary))
    }

    /// Writes an embedded folder's files below `dest` (folders are created).
    ///
    /// ```rhai
    /// assets::extract("demo", "./reyns-demo");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn extract(path: &str, dest: &str) -> Result<(), Box<EvalAltResult>> {
        let Some(dir) = crate::assets::folder(path) else {
            return fail(format!("nothing is embedded at `{path}`"));
        };
        crate::assets::extract(dir, std::path::Path::new(dest))
            .or_else(|err| fail(format!("cannot write `{dest}`: {err}")))
    }
}
