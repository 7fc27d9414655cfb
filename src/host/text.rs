//! Text helpers scripts need and Rhai lacks: JSON, regular expressions,
//! shell-style word splitting, and quoting.

use super::{fail, strings};
use rhai::plugin::*;
use rhai::Array;
use std::cell::RefCell;
use std::collections::HashMap;

#[export_module]
pub mod api {
    /// Parses JSON text into maps, arrays and values.
    ///
    /// ```rhai
    /// let value = text::parse_json(`{"a": 1}`);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn parse_json(json: &str) -> Result<Dynamic, Box<EvalAltResult>> {
        let value: serde_json::Value =
            serde_json::from_str(json).or_else(|err| fail(format!("bad JSON: {err}")))?;
        rhai::serde::to_dynamic(value)
    }

    /// Parses text holding one JSON value per line (docker's
    /// `--format '{{json .}}'`), skipping blank lines.
    ///
    /// ```rhai
    /// let rows = text::parse_json_lines("{\"a\":1}\n{\"a\":2}\n");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn parse_json_lines(lines: &str) -> Result<Array, Box<EvalAltResult>> {
        json_lines(lines).or_else(fail)
    }

    /// The last line of `value` that is not blank, trimmed ("" when none):
    /// the gist of a command's error output.
    ///
    /// ```rhai
    /// term::warn(text::last_line(result.stderr));
    /// ```
    pub fn last_line(value: &str) -> String {
        value
            .lines()
            .rev()
            .find(|line| !line.trim().is_empty())
            .unwrap_or_default()
            .trim()
            .to_string()
    }

    /// Sorts maps by the values under `fields`, the first field first (a
    /// missing key sorts as ""); one comparison in Rust per pair, where a
    /// sort closure in Rhai builds its keys again for every comparison.
    ///
    /// ```rhai
    /// let sorted = text::sort_by_fields(rows, ["service", "instance"]);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn sort_by_fields(maps: Array, fields: Array) -> Result<Array, Box<EvalAltResult>> {
        let fields = strings(&fields, "text::sort_by_fields")?;
        let mut keyed = maps
            .into_iter()
            .map(|value| {
                let key: Vec<String> = match value.read_lock::<rhai::Map>() {
                    Some(map) => fields
                        .iter()
                        .map(|field| {
                            map.get(field.as_str())
                                .map(|v| v.to_string())
                                .unwrap_or_default()
                        })
                        .collect(),
                    None => {
                        return fail(format!(
                            "text::sort_by_fields sorts maps, got a `{}`",
                            value.type_name()
                        ))
                    }
                };
                Ok((key, value))
            })
            .collect::<Result<Vec<_>, _>>()?;
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(keyed.into_iter().map(|(_, value)| value).collect())
    }

    /// Writes a value as pretty JSON.
    ///
    /// ```rhai
    /// term::out(text::to_json(#{ a: 1 }));
    /// ```
    #[rhai_fn(return_raw)]
    pub fn to_json(value: Dynamic) -> Result<String, Box<EvalAltResult>> {
        let value: serde_json::Value = rhai::serde::from_dynamic(&value)?;
        serde_json::to_string_pretty(&value)
            .or_else(|err| fail(format!("cannot write JSON: {err}")))
    }

    /// Writes a value as JSON on one line (for labels and logs).
    ///
    /// ```rhai
    /// let line = text::to_json_line(#{ a: 1 });   // {"a":1}
    /// ```
    #[rhai_fn(return_raw)]
    pub fn to_json_line(value: Dynamic) -> Result<String, Box<EvalAltResult>> {
        let value: serde_json::Value = rhai::serde::from_dynamic(&value)?;
        Ok(value.to_string())
    }

    /// The SHA-256 of a value, in hex: of its canonical JSON (map keys in
    /// order), so equal values give equal digests whatever order they were
    /// built in.
    ///
    /// ```rhai
    /// let hash = text::digest(#{ image: id, argv: argv });
    /// ```
    #[rhai_fn(return_raw)]
    pub fn digest(value: Dynamic) -> Result<String, Box<EvalAltResult>> {
        let value: serde_json::Value = rhai::serde::from_dynamic(&value)?;
        Ok(super::sha256_hex(value.to_string().as_bytes()))
    }

    /// Whether `text` matches the regular expression `pattern`.
    ///
    /// ```rhai
    /// if text::matches("^[a-z0-9-]+$", name) { ... }
    /// ```
    #[rhai_fn(return_raw)]
    pub fn matches(pattern: &str, text: &str) -> Result<bool, Box<EvalAltResult>> {
        let regex = compiled(pattern).or_else(fail)?;
        Ok(regex.is_match(text))
    }

    /// The capture groups of the first match of `pattern` in `text`
    /// (index 0 is the whole match), or an empty list.
    ///
    /// ```rhai
    /// let groups = text::captures("^FROM\\s+(\\S+)", line);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn captures(pattern: &str, text: &str) -> Result<Array, Box<EvalAltResult>> {
        let regex = compiled(pattern).or_else(fail)?;
        Ok(regex
            .captures(text)
            .map(|found| {
                found
                    .iter()
                    .map(|group| group.map_or(Dynamic::UNIT, |g| g.as_str().to_string().into()))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Joins values into one string with `separator` between them.
    ///
    /// ```rhai
    /// term::info("built: " + text::join(names, ", "));
    /// ```
    pub fn join(values: Array, separator: &str) -> String {
        values
            .iter()
            .map(|value| value.to_string())
            .collect::<Vec<_>>()
            .join(separator)
    }

    /// A copy of `value` without leading and trailing white space (Rhai's own
    /// `trim` changes the string in place and returns nothing).
    ///
    /// ```rhai
    /// if text::trimmed(line) == "" { continue; }
    /// ```
    pub fn trimmed(value: &str) -> String {
        value.trim().to_string()
    }

    /// Where `find` last occurs in `value`, in characters (as Rhai's
    /// `sub_string` counts), or -1 when it does not.
    ///
    /// ```rhai
    /// let at = text::last_index_of("0.0.0.0:2201", ":");   // 7
    /// ```
    pub fn last_index_of(value: &str, find: &str) -> i64 {
        match value.rfind(find) {
            Some(byte) => value[..byte].chars().count() as i64,
            None => -1,
        }
    }

    /// A name in backticks, the way reyns quotes names in messages.
    ///
    /// ```rhai
    /// throw `unknown service ${text::q(name)}`;
    /// ```
    pub fn q(name: Dynamic) -> String {
        format!("`{name}`")
    }

    /// Splits a command line into words as a POSIX shell would, without
    /// running one (no expansion happens).
    ///
    /// ```rhai
    /// let words = text::split_words("--cap-add NET_ADMIN -e 'A=b c'");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn split_words(line: &str) -> Result<Array, Box<EvalAltResult>> {
        shell_words::split(line)
            .map(|words| words.into_iter().map(Dynamic::from).collect())
            .or_else(|err| fail(format!("cannot split `{line}` into words: {err}")))
    }
}

/// Parses one JSON value per line into script values; the error names the
/// line that is not JSON.
pub fn json_lines(lines: &str) -> Result<Array, String> {
    lines
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line)
                .map_err(|err| format!("a line that is not JSON ({err}): {line}"))?;
            rhai::serde::to_dynamic(value).map_err(|err| err.to_string())
        })
        .collect()
}

/// `pattern` compiled, once per run: scripts test the same few patterns
/// against every conf entry and env var name.
fn compiled(pattern: &str) -> Result<regex::Regex, String> {
    thread_local! {
        static COMPILED: RefCell<HashMap<String, regex::Regex>> = RefCell::new(HashMap::new());
    }
    COMPILED.with(|cache| {
        if let Some(regex) = cache.borrow().get(pattern) {
            return Ok(regex.clone());
        }
        let regex =
            regex::Regex::new(pattern).map_err(|err| format!("bad pattern `{pattern}`: {err}"))?;
        cache
            .borrow_mut()
            .insert(pattern.to_string(), regex.clone());
        Ok(regex)
    })
}

/// The SHA-256 of `bytes`, in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(64);
    for byte in sha2::Sha256::digest(bytes) {
        hex.push(HEX_DIGITS[usize::from(byte >> 4)] as char);
        hex.push(HEX_DIGITS[usize::from(byte & 0xf)] as char);
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::{api, json_lines};

    #[test]
    fn maps_sort_by_their_fields_in_order() {
        let row = |service: &str, instance: &str| {
            let mut map = rhai::Map::new();
            map.insert("service".into(), service.into());
            map.insert("instance".into(), instance.into());
            rhai::Dynamic::from_map(map)
        };
        let rows = vec![
            row("web", "a"),
            row("db", "b"),
            row("db", "a"),
            row("db-x", "a"),
        ];
        let fields = vec!["service".into(), "instance".into()];
        let sorted = api::sort_by_fields(rows, fields).unwrap();
        let shown: Vec<String> = sorted
            .iter()
            .map(|value| {
                let map = value.read_lock::<rhai::Map>().unwrap();
                format!("{},{}", map["service"], map["instance"])
            })
            .collect();
        assert_eq!(shown, ["db,a", "db,b", "db-x,a", "web,a"]);
        assert!(api::sort_by_fields(vec![1.into()], vec!["a".into()]).is_err());
    }

    /// `docker ps` with reyns' template, as the engine printed it for the
    /// demo's `run:all` (captured with `LOG_LEVEL=DEBUG reyns ps`).
    const CAPTURED_PS: &str = include_str!("../../tests/fixtures/ps/demo.jsonl");

    /// The digests are the labels running instances carry: they must not
    /// change from one release to the next.
    #[test]
    fn sha256_is_lower_case_hex() {
        assert_eq!(
            super::sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            super::sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn patterns_match_the_same_when_reused_and_a_bad_one_is_named() {
        for _ in 0..2 {
            assert!(api::matches("^[a-z]+$", "demo").unwrap());
            assert!(!api::matches("^[a-z]+$", "Demo").unwrap());
            assert_eq!(
                api::captures("^FROM\\s+(\\S+)", "FROM a/b").unwrap().len(),
                2
            );
            let err = api::matches("([a-z", "demo").unwrap_err().to_string();
            assert!(err.contains("bad pattern `([a-z`"), "{err}");
        }
    }

    #[test]
    fn ps_rows_captured_from_the_engine_parse() {
        let rows = json_lines(CAPTURED_PS).unwrap();
        assert_eq!(rows.len(), 4);
        let first = rows[0].clone().cast::<rhai::Map>();
        for key in [
            "id",
            "name",
            "image",
            "status",
            "state",
            "created",
            "project",
            "service",
            "instance",
            "instance_type",
            "conf",
            "group",
            "dns",
        ] {
            assert!(first.contains_key(key), "no `{key}` in a ps row");
        }
        assert_eq!(first["state"].to_string(), "running");
        let names: Vec<String> = rows
            .iter()
            .map(|row| row.clone().cast::<rhai::Map>()["name"].to_string())
            .collect();
        assert!(
            names.iter().any(|name| name == "reyns-demo-reyns-dns-one"),
            "{names:?}"
        );
    }

    #[test]
    fn last_index_of_counts_characters() {
        assert_eq!(api::last_index_of("0.0.0.0:2201", ":"), 7);
        assert_eq!(api::last_index_of("[::]:2201", ":"), 4);
        assert_eq!(api::last_index_of("é-x-y", "-"), 3);
        assert_eq!(api::last_index_of("none", ":"), -1);
    }

    #[test]
    fn last_line_skips_blank_lines() {
        assert_eq!(api::last_line("first\nerror: gone\n\n"), "error: gone");
        assert_eq!(api::last_line(""), "");
    }
}
