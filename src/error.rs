//! Why reyns stopped, and the exit status each reason gives.
//!
//! One type for every way a command can end badly, so the exit status is
//! decided in one place ([`Error::code`]): 2 for a bad command line, 1 for a
//! failure at run time, 130 for an interrupt.

use std::fmt;

/// Why a command did not finish: shown as `reyns: error: ...`.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// A bad command line or verb call: unknown verb or option, a value of
    /// the wrong type, too many positionals.
    Usage(String),
    /// A failure at run time, with the script place that raised it when
    /// that helps (`file:line:col`).
    Failed {
        message: String,
        location: Option<String>,
    },
    /// SIGINT or SIGTERM arrived and the verb did not handle it itself.
    Interrupted,
}

impl Error {
    /// A run-time failure with no script place.
    pub fn failed(message: impl Into<String>) -> Error {
        Error::Failed {
            message: message.into(),
            location: None,
        }
    }

    /// The process exit status this error gives.
    pub fn code(&self) -> i32 {
        match self {
            Error::Usage(_) => 2,
            Error::Failed { .. } => 1,
            Error::Interrupted => 130,
        }
    }

    /// The script place that raised it, when known and worth showing.
    pub fn location(&self) -> Option<&str> {
        match self {
            Error::Failed { location, .. } => location.as_deref(),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(message) | Error::Failed { message, .. } => f.write_str(message),
            Error::Interrupted => f.write_str(
                "interrupted: what was running finished, nothing new was started; run the verb again to complete it",
            ),
        }
    }
}

/// The payload a host function throws for a usage error, so that it keeps
/// exit status 2 on its way through a script (see `host::usage`).
#[derive(Debug, Clone)]
pub struct UsageError(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_its_exit_status() {
        assert_eq!(Error::Usage("x".into()).code(), 2);
        assert_eq!(Error::failed("x").code(), 1);
        assert_eq!(Error::Interrupted.code(), 130);
    }

    #[test]
    fn only_failures_carry_a_place() {
        let located = Error::Failed {
            message: "boom".into(),
            location: Some("reyns/x.rhai:3:1".into()),
        };
        assert_eq!(located.location(), Some("reyns/x.rhai:3:1"));
        assert_eq!(located.to_string(), "boom");
        assert_eq!(Error::Usage("bad".into()).location(), None);
    }
}
