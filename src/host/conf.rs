//! Reading Reyns' JSON files with `#` comments: run confs (with key
//! validation), `host.conf` and `required_env_vars.json`.

use super::{fail, strings, HostResult};
use crate::conf;
use rhai::plugin::*;
use rhai::Array;
use std::path::Path;

/// Parses a file and hands it to Rhai.
fn load(path: &str) -> HostResult<(conf::Spanned, Dynamic)> {
    let parsed = conf::parse_file(Path::new(path)).or_else(fail)?;
    let value = rhai::serde::to_dynamic(parsed.to_json())?;
    Ok((parsed, value))
}

#[export_module]
pub mod api {
    /// Reads a JSON file with `#` comments; errors name `file:line:col`.
    ///
    /// ```rhai
    /// let settings = conf::read("host.conf");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn read(path: &str) -> Result<Dynamic, Box<EvalAltResult>> {
        Ok(load(path)?.1)
    }

    /// Reads a run conf: a list of entries, each naming a `service` and using
    /// only the `allowed` keys. Errors name the file, line, column and key.
    ///
    /// ```rhai
    /// let entries = conf::load_entries("default.conf", ["service", "instance"]);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn load_entries(path: &str, allowed: Array) -> Result<Array, Box<EvalAltResult>> {
        let allowed = strings(&allowed, "conf::load_entries")?;
        let (parsed, value) = load(path)?;
        let shown = Path::new(path).file_name().map_or_else(
            || path.to_string(),
            |name| name.to_string_lossy().to_string(),
        );
        conf::check_entries(&shown, &parsed, &allowed).or_else(fail)?;
        Ok(value.into_array().unwrap_or_default())
    }
}
