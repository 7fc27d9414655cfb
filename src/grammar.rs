//! The command-line grammar of reyns: `VERB[:ARGS]`.
//!
//! ARGS is a comma-separated list of positional values followed by `key=value`
//! pairs. Values are typed the way the original Reyns typed them: `True`/`False`
//! in any case are booleans, integers and floats are numbers, anything else is a
//! string, and a key equal to its own value (`interactive=interactive`) is true.

use std::fmt;

/// One typed value from the command line.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

impl Value {
    /// Types a raw command-line value.
    pub fn parse(raw: &str) -> Value {
        if raw.eq_ignore_ascii_case("true") {
            Value::Bool(true)
        } else if raw.eq_ignore_ascii_case("false") {
            Value::Bool(false)
        } else if let Ok(int) = raw.parse::<i64>() {
            Value::Int(int)
        } else if let Some(float) = parse_float(raw) {
            Value::Float(float)
        } else {
            Value::Str(raw.to_string())
        }
    }
}

/// Accepts plain decimal floats only (`1.5`, `-0.25`), not `inf` or `NaN`.
fn parse_float(raw: &str) -> Option<f64> {
    let digits = raw.strip_prefix('-').unwrap_or(raw);
    let plain = !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.matches('.').count() == 1
        && digits != ".";
    if plain {
        raw.parse().ok()
    } else {
        None
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(true) => f.write_str("True"),
            Value::Bool(false) => f.write_str("False"),
            Value::Int(int) => write!(f, "{int}"),
            Value::Float(float) => write!(f, "{float}"),
            Value::Str(text) => f.write_str(text),
        }
    }
}

/// A parsed command line: the verb, its positional values and its options in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    pub verb: String,
    pub positionals: Vec<Value>,
    pub options: Vec<(String, Value)>,
}

/// Parses `VERB[:ARGS]`. The words of the command line are joined with spaces
/// first, as the original did, so `command=ls /data` survives the shell's split.
pub fn parse(words: &[String]) -> Result<Invocation, String> {
    let line = words.join(" ");
    let (verb, args) = match line.split_once(':') {
        Some((verb, args)) => (verb, Some(args)),
        None => (line.as_str(), None),
    };
    if verb.is_empty() {
        return Err(format!("missing verb in `{line}`: expected VERB[:ARGS]"));
    }
    if !verb
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(format!(
            "bad verb `{verb}`: a verb is made of letters, digits, `_` and `-`"
        ));
    }
    let mut invocation = Invocation {
        verb: verb.to_string(),
        positionals: Vec::new(),
        options: Vec::new(),
    };
    let Some(args) = args.filter(|args| !args.is_empty()) else {
        return Ok(invocation);
    };
    for arg in args.split(',') {
        match arg.split_once('=') {
            Some((key, raw)) => {
                if key.is_empty() {
                    return Err(format!("missing option name before `={raw}` in `{line}`"));
                }
                if invocation.options.iter().any(|(seen, _)| seen == key) {
                    return Err(format!("option `{key}` given twice in `{line}`"));
                }
                let value = if key == raw {
                    Value::Bool(true)
                } else {
                    Value::parse(raw)
                };
                invocation.options.push((key.to_string(), value));
            }
            None if arg.is_empty() => {
                return Err(format!("empty argument in `{line}`"));
            }
            None if !invocation.options.is_empty() => {
                return Err(format!(
                    "positional argument `{arg}` after an option in `{line}`: positionals come first"
                ));
            }
            None => invocation.positionals.push(Value::parse(arg)),
        }
    }
    Ok(invocation)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        line.split(' ').map(str::to_string).collect()
    }

    fn opt(invocation: &Invocation, key: &str) -> Value {
        let (_, value) = invocation
            .options
            .iter()
            .find(|(name, _)| name == key)
            .expect("option present");
        value.clone()
    }

    #[test]
    fn service_and_instance_option() {
        let parsed = parse(&words("run:postgres,instance=master")).unwrap();
        assert_eq!(parsed.verb, "run");
        assert_eq!(parsed.positionals, vec![Value::Str("postgres".into())]);
        assert_eq!(opt(&parsed, "instance"), Value::Str("master".into()));
    }

    #[test]
    fn booleans_in_any_case() {
        let parsed = parse(&words(
            "run:postgres,instance=one,safemode=True,interactive=TRUE,linked=false",
        ))
        .unwrap();
        assert_eq!(opt(&parsed, "safemode"), Value::Bool(true));
        assert_eq!(opt(&parsed, "interactive"), Value::Bool(true));
        assert_eq!(opt(&parsed, "linked"), Value::Bool(false));
    }

    #[test]
    fn numbers_are_typed() {
        let parsed = parse(&words("run:x,sleep=3,ratio=1.5,version=1.2.3,neg=-4")).unwrap();
        assert_eq!(opt(&parsed, "sleep"), Value::Int(3));
        assert_eq!(opt(&parsed, "ratio"), Value::Float(1.5));
        assert_eq!(opt(&parsed, "version"), Value::Str("1.2.3".into()));
        assert_eq!(opt(&parsed, "neg"), Value::Int(-4));
    }

    #[test]
    fn only_options() {
        let parsed = parse(&words("run:group=node1,conf=default-multinode")).unwrap();
        assert!(parsed.positionals.is_empty());
        assert_eq!(opt(&parsed, "group"), Value::Str("node1".into()));
        assert_eq!(opt(&parsed, "conf"), Value::Str("default-multinode".into()));
    }

    #[test]
    fn two_positionals() {
        let parsed = parse(&words("ssh:demo,onenode2")).unwrap();
        assert_eq!(
            parsed.positionals,
            vec![Value::Str("demo".into()), Value::Str("onenode2".into())]
        );
    }

    #[test]
    fn words_are_joined_back() {
        let parsed = parse(&words("ssh:demo,instance=two,command=ls /data")).unwrap();
        assert_eq!(opt(&parsed, "command"), Value::Str("ls /data".into()));
    }

    #[test]
    fn value_may_hold_equals() {
        let parsed = parse(&words("run:x,a=b=c")).unwrap();
        assert_eq!(opt(&parsed, "a"), Value::Str("b=c".into()));
    }

    #[test]
    fn key_equal_to_value_is_true() {
        let parsed = parse(&words("run:x,interactive=interactive")).unwrap();
        assert_eq!(opt(&parsed, "interactive"), Value::Bool(true));
    }

    #[test]
    fn bare_verb() {
        let parsed = parse(&words("ps")).unwrap();
        assert_eq!(parsed.verb, "ps");
        assert!(parsed.positionals.is_empty() && parsed.options.is_empty());
        assert_eq!(
            parse(&words("build:all,cache=False"))
                .unwrap()
                .positionals
                .len(),
            1
        );
        assert_eq!(
            parse(&words("clean:all,force=True")).unwrap().options.len(),
            1
        );
    }

    #[test]
    fn positional_after_option_is_refused() {
        let err = parse(&words("run:x,instance=a,b")).unwrap_err();
        assert!(
            err.contains("positional argument `b` after an option"),
            "{err}"
        );
    }

    #[test]
    fn malformed_lines_are_refused() {
        assert!(parse(&words(":x")).is_err());
        assert!(parse(&words("run:a,,b")).is_err());
        assert!(parse(&words("run:a,=b")).is_err());
        assert!(parse(&words("run:a,x=1,x=2")).is_err());
        assert!(parse(&words("r/un:a")).is_err());
    }

    #[test]
    fn display_round_trips_booleans() {
        assert_eq!(Value::Bool(true).to_string(), "True");
        assert_eq!(Value::parse("False").to_string(), "False");
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_line_parses_or_fails_without_panic(line in ".{0,200}") {
            let _ = parse(&[line]);
        }

        #[test]
        fn options_round_trip(
            verb in "[a-z_]{1,10}",
            service in "[a-z][a-z0-9-]{0,20}",
            key in "[a-z_]{1,12}",
            value in "[A-Za-z0-9 ./-]{1,20}",
        ) {
            let line = format!("{verb}:{service},{key}={value}");
            let parsed = parse(&[line]).unwrap();
            prop_assert_eq!(parsed.verb, verb);
            prop_assert_eq!(parsed.positionals[0].to_string(), service);
            let expected = if key == value { Value::Bool(true) } else { Value::parse(&value) };
            prop_assert_eq!(&parsed.options[0].1, &expected);
        }

        #[test]
        fn integers_are_typed(number in any::<i64>()) {
            prop_assert_eq!(Value::parse(&number.to_string()), Value::Int(number));
        }
    }
}
