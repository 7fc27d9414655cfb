//! Reading a compose file for `import:compose` ([`crate::yaml`] parses it,
//! [`crate::interpolate`] fills in its variables as compose does) and env
//! files (`.env`, an entry's `env_file`). What the file means for reyns is
//! the script's (`scripts/lib/compose.rhai`).

use super::{fail, HostResult};
use crate::conf::{Node, Spanned};
use crate::interpolate;
use rhai::plugin::*;
use rhai::Map;
use std::collections::BTreeMap;
use std::path::Path;

/// The largest compose file or env file reyns reads.
const MAX_BYTES: u64 = 4 * 1024 * 1024;

/// A file's text, refused when too large or not UTF-8; errors name it.
fn read_text(path: &str) -> HostResult<String> {
    let size = std::fs::metadata(path)
        .or_else(|err| fail(format!("cannot read {path}: {err}")))?
        .len();
    if size > MAX_BYTES {
        return fail(format!(
            "{path} is {size} bytes: at most {MAX_BYTES} are read"
        ));
    }
    let bytes = std::fs::read(path).or_else(|err| fail(format!("cannot read {path}: {err}")))?;
    String::from_utf8(bytes).or_else(|_| fail(format!("{path}: not UTF-8 text")))
}

/// An env file's variables; errors read `file:line: what`.
fn env_vars(path: &str) -> HostResult<BTreeMap<String, String>> {
    let text = read_text(path)?;
    interpolate::env_map(&text).or_else(|what| fail(format!("{path}:{what}")))
}

/// Fills in every string value of `tree` (not its keys) from `lookup`,
/// collecting the unset names; errors name `shown:line:col`.
fn fill(
    tree: &mut Spanned,
    shown: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    unset: &mut Vec<String>,
) -> HostResult<()> {
    match &mut tree.node {
        Node::Str(text) => {
            let (filled, missing) = interpolate::substitute(text, lookup)
                .or_else(|what| fail(format!("{shown}:{}: {what}", tree.pos)))?;
            *text = filled;
            for name in missing {
                if !unset.contains(&name) {
                    unset.push(name);
                }
            }
        }
        Node::Array(items) => {
            for item in items {
                fill(item, shown, lookup, unset)?;
            }
        }
        Node::Object(fields) => {
            for (_, _, value) in fields {
                fill(value, shown, lookup, unset)?;
            }
        }
        _ => {}
    }
    Ok(())
}

#[export_module]
pub mod api {
    /// Reads a compose file with its variables filled in from the
    /// environment, then `env_path`'s variables (`.env`; "" or a missing
    /// file: none): `#{value, places, unset}`, `places` each key's
    /// `"line:col"` by its path (`services.web.ports`), `unset` the
    /// variables used though set nowhere (read as ""). Errors name
    /// `file:line:col`.
    ///
    /// ```rhai
    /// let read = compose::read("compose.yaml", ".env");
    /// let line = read.places["services.web"];
    /// ```
    #[rhai_fn(return_raw)]
    pub fn read(path: &str, env_path: &str) -> Result<Map, Box<EvalAltResult>> {
        let shown = Path::new(path)
            .file_name()
            .map_or(path.to_string(), |name| name.to_string_lossy().to_string());
        let text = read_text(path)?;
        let mut tree = crate::yaml::parse(&text)
            .or_else(|(pos, what)| fail(format!("{shown}:{pos}: {what}")))?;
        let dotenv = if !env_path.is_empty() && Path::new(env_path).is_file() {
            env_vars(env_path)?
        } else {
            BTreeMap::new()
        };
        let lookup = |name: &str| {
            std::env::var(name)
                .ok()
                .or_else(|| dotenv.get(name).cloned())
        };
        let mut unset = Vec::new();
        fill(&mut tree, &shown, &lookup, &mut unset)?;
        let places: Map = tree
            .key_places()
            .into_iter()
            .map(|(key, pos)| (key.into(), pos.to_string().into()))
            .collect();
        let mut answer = Map::new();
        answer.insert("value".into(), rhai::serde::to_dynamic(tree.to_json())?);
        answer.insert("places".into(), places.into());
        answer.insert(
            "unset".into(),
            unset
                .into_iter()
                .map(Dynamic::from)
                .collect::<rhai::Array>()
                .into(),
        );
        Ok(answer)
    }

    /// An env file's variables (`NAME=value` lines, as compose reads
    /// them); errors name `file:line`.
    ///
    /// ```rhai
    /// let vars = compose::env_file("web.env");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn env_file(path: &str) -> Result<Map, Box<EvalAltResult>> {
        Ok(env_vars(path)?
            .into_iter()
            .map(|(name, value)| (name.into(), value.into()))
            .collect())
    }
}
