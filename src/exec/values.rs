//! Script values: failures as Rhai errors, typed data as the maps and
//! lists scripts get, and their lists read back as strings.

use rhai::{Dynamic, EvalAltResult, Map, Position};
use serde::Serialize;

/// The result type of host functions that can fail.
pub type HostResult<T> = Result<T, Box<EvalAltResult>>;

/// A failure a user can act on: its message is shown as it is.
pub fn fail<T>(message: impl Into<String>) -> Result<T, Box<EvalAltResult>> {
    Err(Box::new(EvalAltResult::ErrorRuntime(
        Dynamic::from(message.into()),
        Position::NONE,
    )))
}

/// What a failure says, as [`fail`] wrote it (without rhai's "Runtime
/// error:" in front).
pub fn said(error: &EvalAltResult) -> String {
    match error {
        EvalAltResult::ErrorRuntime(message, _) => message.to_string(),
        other => other.to_string(),
    }
}

/// Typed data as the map a script gets: serde does the field-by-field
/// work (`rhai::serde::to_dynamic`), so no host function builds maps by hand.
pub fn to_map<T: Serialize>(value: &T) -> HostResult<Map> {
    let dynamic = rhai::serde::to_dynamic(value)?;
    match dynamic.try_cast::<Map>() {
        Some(map) => Ok(map),
        None => fail("internal: a host value did not become a map"),
    }
}

/// Turns a Rhai array of values into strings (an argv), refusing non-strings.
pub fn strings(values: &rhai::Array, what: &str) -> HostResult<Vec<String>> {
    values
        .iter()
        .map(|value| {
            if value.is_string() {
                Ok(value.clone().into_string().unwrap_or_default())
            } else if value.is_int() || value.is_float() || value.is_bool() {
                Ok(value.to_string())
            } else {
                fail(format!(
                    "{what} takes strings, got a `{}`",
                    value.type_name()
                ))
            }
        })
        .collect()
}

/// The strings under `key` of a script map: absent or `()` is none, a
/// list of strings is read, anything else is an error naming `what`.
pub fn string_list(map: &rhai::Map, key: &str, what: &str) -> HostResult<Vec<String>> {
    match map.get(key) {
        None => Ok(Vec::new()),
        Some(value) if value.is_unit() => Ok(Vec::new()),
        Some(value) => match value.read_lock::<rhai::Array>() {
            Some(array) => strings(&array, what),
            None => fail(format!("`{key}` of {what} must be a list")),
        },
    }
}
