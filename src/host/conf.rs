//! Reading Reyns' JSON files with `#` comments ([`crate::conf`] parses
//! them): run confs (with the shape and key checks that need the places in
//! the file), `host.conf` and `required_env_vars.json`.

use super::{fail, strings, HostResult};
use crate::conf::{self, Node, Spanned};
use rhai::plugin::*;
use rhai::{Array, Map};
use std::path::Path;

/// Parses a file and hands it to Rhai.
fn load(path: &str) -> HostResult<(conf::Spanned, Dynamic)> {
    let parsed = conf::parse_file(Path::new(path)).or_else(fail)?;
    let value = rhai::serde::to_dynamic(parsed.to_json())?;
    Ok((parsed, value))
}

/// Checks a run conf: a list of objects whose keys are all in `allowed`, each
/// naming a `service`. Errors name the file, line, column and the entry.
pub fn check_entries(shown: &str, root: &Spanned, allowed: &[String]) -> Result<(), String> {
    let Node::Array(entries) = &root.node else {
        return Err(format!(
            "{shown}:{}: a run conf is a list of entries `[ {{...}}, ... ]`",
            root.pos
        ));
    };
    for (index, entry) in entries.iter().enumerate() {
        let number = index + 1;
        let Node::Object(fields) = &entry.node else {
            return Err(format!(
                "{shown}:{}: entry {number} is not an object `{{...}}`",
                entry.pos
            ));
        };
        for (key, pos, _) in fields {
            if !allowed.iter().any(|name| name == key) {
                let near: Vec<&str> = allowed
                    .iter()
                    .filter(|name| edit_distance(name, key) <= 2 || name.starts_with(key.as_str()))
                    .map(String::as_str)
                    .collect();
                let hint = if near.is_empty() {
                    "`reyns help:run` lists the keys".to_string()
                } else {
                    format!("did you mean {}?", near.join(" or "))
                };
                return Err(format!(
                    "{shown}:{pos}: unknown key `{key}` in entry {number}; {hint}"
                ));
            }
        }
        let service = fields.iter().find(|(key, _, _)| key == "service");
        match service {
            Some((
                _,
                _,
                Spanned {
                    node: Node::Str(_), ..
                },
            )) => {}
            Some((_, pos, _)) => {
                return Err(format!(
                    "{shown}:{pos}: `service` of entry {number} must be a string"
                ))
            }
            None => {
                return Err(format!(
                    "{shown}:{}: entry {number} has no `service`",
                    entry.pos
                ))
            }
        }
    }
    Ok(())
}

/// How many one-character edits (insert, delete, replace) turn `a` into `b`:
/// what makes a misspelt key's suggestion.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
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

    /// Where each object key of a JSON file is, as `"line:col"` by its path
    /// (`"nodes"`, `"nodes.node1"`, `"[0].service"`): for a message about a
    /// value that parsed but is wrong. Errors name `file:line:col`.
    ///
    /// ```rhai
    /// let at = conf::places("host.conf")["nodes.node1"]; // "3:5"
    /// ```
    #[rhai_fn(return_raw)]
    pub fn places(path: &str) -> Result<Map, Box<EvalAltResult>> {
        let (parsed, _) = load(path)?;
        Ok(parsed
            .key_places()
            .into_iter()
            .map(|(key, pos)| (key.into(), pos.to_string().into()))
            .collect())
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
        check_entries(&shown, &parsed, &allowed).or_else(fail)?;
        Ok(value.into_array().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conf::parse;

    #[test]
    fn key_places_are_kept() {
        let parsed = parse("[\n {\"service\": \"a\",\n  \"bogus\": 1}\n]").unwrap();
        let allowed = vec!["service".to_string()];
        let err = check_entries("x.conf", &parsed, &allowed).unwrap_err();
        assert!(
            err.starts_with("x.conf:3:3: unknown key `bogus` in entry 1; `reyns help:run`"),
            "{err}"
        );
    }

    #[test]
    fn places_name_nested_keys() {
        let parsed =
            parse("{\n \"nodes\": {\"a\": \"tcp://x:1\"},\n \"list\": [{\"k\": 1}]}").unwrap();
        let places: Vec<(String, String)> = parsed
            .key_places()
            .into_iter()
            .map(|(key, pos)| (key, pos.to_string()))
            .collect();
        let expected = [
            ("nodes", "2:2"),
            ("nodes.a", "2:12"),
            ("list", "3:2"),
            ("list[0].k", "3:12"),
        ];
        assert_eq!(
            places,
            expected.map(|(key, pos)| (key.to_string(), pos.to_string()))
        );
    }

    #[test]
    fn entries_need_a_service() {
        let allowed = vec!["service".to_string(), "instance".to_string()];
        let parsed = parse("[{\"instance\": \"a\"}]").unwrap();
        assert!(check_entries("x", &parsed, &allowed)
            .unwrap_err()
            .contains("has no `service`"));
        let parsed = parse("{}").unwrap();
        assert!(check_entries("x", &parsed, &allowed)
            .unwrap_err()
            .contains("is a list"));
    }
}
