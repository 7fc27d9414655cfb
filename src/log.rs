//! Logging by `LOG_LEVEL`: the lowest layer, used by running commands, the
//! job graph and the host API's `term::` alike.

use std::io::Write;

/// How much reyns says, from `LOG_LEVEL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Debug,
    Info,
    Warning,
    Error,
    Critical,
}

/// The level set by `LOG_LEVEL` (default INFO).
pub fn level() -> Level {
    match std::env::var("LOG_LEVEL")
        .unwrap_or_default()
        .to_ascii_uppercase()
        .as_str()
    {
        "DEBUG" => Level::Debug,
        "WARNING" | "WARN" => Level::Warning,
        "ERROR" => Level::Error,
        "CRITICAL" => Level::Critical,
        _ => Level::Info,
    }
}

/// Whether `LOG_LEVEL=DEBUG`: failures then show their script place.
pub fn debugging() -> bool {
    level() == Level::Debug
}

/// Prints `message` on stderr when `LOG_LEVEL` lets `at` through.
pub fn log(at: Level, message: &str) {
    if at < level() {
        return;
    }
    let prefix = match at {
        Level::Debug => "[DEBUG] ",
        Level::Info => "",
        Level::Warning => "warning: ",
        Level::Error | Level::Critical => "error: ",
    };
    let mut stderr = std::io::stderr().lock();
    for line in message.lines() {
        let _ = writeln!(stderr, "{prefix}{line}");
    }
}
