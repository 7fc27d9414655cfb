//! Reyns' configuration files: JSON with `#` comments to the end of a line.
//!
//! A small parser of its own, rather than serde_json, because every error must
//! name the file, line and column at fault, including for an unknown key that
//! is perfectly valid JSON. Values come out as `serde_json::Value`.

use serde_json::{Map, Number, Value};
use std::fmt;
use std::path::Path;

/// The deepest nesting a configuration file may have.
const MAX_DEPTH: usize = 64;
/// The largest configuration file reyns reads.
const MAX_BYTES: u64 = 4 * 1024 * 1024;

/// A place in a file, both counted from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// A parsed value with the place where it starts, and the places of object keys.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned {
    pub pos: Pos,
    pub node: Node,
}

/// The shape of a parsed value.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Null,
    Bool(bool),
    Number(Number),
    Str(String),
    Array(Vec<Spanned>),
    /// Keys in file order, each with the place of the key itself.
    Object(Vec<(String, Pos, Spanned)>),
}

impl Spanned {
    /// Where each key of the objects in this value is, by its path from here
    /// (`nodes`, `nodes.node1`; an array's items as `[0]`): for messages
    /// that name the line of a value that parsed but is wrong.
    pub fn key_places(&self) -> Vec<(String, Pos)> {
        let mut found = Vec::new();
        self.collect_places("", &mut found);
        found
    }

    fn collect_places(&self, path: &str, found: &mut Vec<(String, Pos)>) {
        match &self.node {
            Node::Object(fields) => {
                for (key, pos, value) in fields {
                    let inner = if path.is_empty() {
                        key.clone()
                    } else {
                        format!("{path}.{key}")
                    };
                    found.push((inner.clone(), *pos));
                    value.collect_places(&inner, found);
                }
            }
            Node::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    item.collect_places(&format!("{path}[{index}]"), found);
                }
            }
            _ => {}
        }
    }

    /// Drops the places, keeping key order.
    pub fn to_json(&self) -> Value {
        match &self.node {
            Node::Null => Value::Null,
            Node::Bool(flag) => Value::Bool(*flag),
            Node::Number(number) => Value::Number(number.clone()),
            Node::Str(text) => Value::String(text.clone()),
            Node::Array(items) => Value::Array(items.iter().map(Spanned::to_json).collect()),
            Node::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(key, _, value)| (key.clone(), value.to_json()))
                    .collect::<Map<_, _>>(),
            ),
        }
    }
}

/// Reads and parses a configuration file; errors read `file:line:col: what`.
pub fn parse_file(path: &Path) -> Result<Spanned, String> {
    let shown = path.display();
    let size = std::fs::metadata(path)
        .map_err(|err| format!("cannot read `{shown}`: {err}"))?
        .len();
    if size > MAX_BYTES {
        return Err(format!(
            "`{shown}` is {size} bytes: configuration files are limited to {MAX_BYTES}"
        ));
    }
    let bytes = std::fs::read(path).map_err(|err| format!("cannot read `{shown}`: {err}"))?;
    let text = String::from_utf8(bytes).map_err(|err| {
        let good = &err.as_bytes()[..err.utf8_error().valid_up_to()];
        let line = good.iter().filter(|byte| **byte == b'\n').count() + 1;
        format!("{shown}:{line}: not valid UTF-8 text")
    })?;
    parse(&text).map_err(|(pos, message)| format!("{shown}:{pos}: {message}"))
}

/// Parses JSON with `#` comments.
pub fn parse(text: &str) -> Result<Spanned, (Pos, String)> {
    let mut parser = Parser {
        chars: text.chars().collect(),
        at: 0,
        line: 1,
        col: 1,
    };
    let value = parser.value(0)?;
    parser.skip_blank();
    if parser.peek().is_some() {
        return Err((
            parser.pos(),
            "unexpected text after the end of the value".into(),
        ));
    }
    Ok(value)
}

struct Parser {
    chars: Vec<char>,
    at: usize,
    line: usize,
    col: usize,
}

type Parsed<T> = Result<T, (Pos, String)>;

impl Parser {
    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            col: self.col,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let next = self.peek()?;
        self.at += 1;
        if next == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(next)
    }

    fn fail<T>(&self, message: impl Into<String>) -> Parsed<T> {
        Err((self.pos(), message.into()))
    }

    /// Skips white space and `#` comments.
    fn skip_blank(&mut self) {
        while let Some(next) = self.peek() {
            if next == '#' {
                while self.peek().is_some_and(|c| c != '\n') {
                    self.bump();
                }
            } else if next.is_whitespace() {
                self.bump();
            } else {
                break;
            }
        }
    }

    fn expect(&mut self, wanted: char) -> Parsed<()> {
        self.skip_blank();
        match self.peek() {
            Some(found) if found == wanted => {
                self.bump();
                Ok(())
            }
            Some(found) => self.fail(format!("expected `{wanted}`, found `{found}`")),
            None => self.fail(format!("expected `{wanted}`, found the end of the file")),
        }
    }

    fn value(&mut self, depth: usize) -> Parsed<Spanned> {
        if depth > MAX_DEPTH {
            return self.fail(format!("nested deeper than {MAX_DEPTH} levels"));
        }
        self.skip_blank();
        let pos = self.pos();
        let node = match self.peek() {
            None => return self.fail("expected a value, found the end of the file"),
            Some('{') => self.object(depth)?,
            Some('[') => self.array(depth)?,
            Some('"') => Node::Str(self.string()?),
            Some(c) if c == '-' || c.is_ascii_digit() => Node::Number(self.number()?),
            Some(c) if c.is_ascii_alphabetic() => self.word()?,
            Some(found) => return self.fail(format!("expected a value, found `{found}`")),
        };
        Ok(Spanned { pos, node })
    }

    fn word(&mut self) -> Parsed<Node> {
        let pos = self.pos();
        let mut word = String::new();
        while let Some(c) = self.peek().filter(char::is_ascii_alphanumeric) {
            word.push(c);
            self.bump();
        }
        match word.as_str() {
            "null" => Ok(Node::Null),
            "true" => Ok(Node::Bool(true)),
            "false" => Ok(Node::Bool(false)),
            _ => Err((
                pos,
                format!("unexpected word `{word}`: strings need double quotes; JSON has only true, false and null"),
            )),
        }
    }

    fn number(&mut self) -> Parsed<Number> {
        let pos = self.pos();
        let mut text = String::new();
        while let Some(c) = self
            .peek()
            .filter(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
        {
            text.push(c);
            self.bump();
        }
        serde_json::from_str::<Number>(&text).map_err(|_| (pos, format!("bad number `{text}`")))
    }

    fn string(&mut self) -> Parsed<String> {
        let start = self.pos();
        self.bump();
        let mut text = String::new();
        loop {
            match self.bump() {
                None => return Err((start, "string is never closed".into())),
                Some('"') => return Ok(text),
                Some('\n') => return Err((start, "string runs past the end of its line".into())),
                Some('\\') => text.push(self.escape()?),
                Some(c) if (c as u32) < 0x20 => {
                    return self.fail("control character inside a string")
                }
                Some(c) => text.push(c),
            }
        }
    }

    fn escape(&mut self) -> Parsed<char> {
        let escaped = match self.bump() {
            Some('"') => '"',
            Some('\\') => '\\',
            Some('/') => '/',
            Some('b') => '\u{8}',
            Some('f') => '\u{c}',
            Some('n') => '\n',
            Some('r') => '\r',
            Some('t') => '\t',
            Some('u') => {
                let high = self.hex4()?;
                if (0xD800..0xDC00).contains(&high) {
                    if self.bump() != Some('\\') || self.bump() != Some('u') {
                        return self.fail("lone surrogate in a `\\u` escape");
                    }
                    let low = self.hex4()?;
                    let joined = 0x10000 + ((high - 0xD800) << 10) + (low.wrapping_sub(0xDC00));
                    return char::from_u32(joined)
                        .map_or_else(|| self.fail("bad surrogate pair in a `\\u` escape"), Ok);
                }
                return char::from_u32(high).map_or_else(|| self.fail("bad `\\u` escape"), Ok);
            }
            Some(other) => return self.fail(format!("unknown escape `\\{other}`")),
            None => return self.fail("string is never closed"),
        };
        Ok(escaped)
    }

    fn hex4(&mut self) -> Parsed<u32> {
        let mut code = 0;
        for _ in 0..4 {
            let digit = self.bump().and_then(|c| c.to_digit(16));
            match digit {
                Some(digit) => code = code * 16 + digit,
                None => return self.fail("a `\\u` escape needs four hex digits"),
            }
        }
        Ok(code)
    }

    fn array(&mut self, depth: usize) -> Parsed<Node> {
        self.bump();
        let mut items = Vec::new();
        self.skip_blank();
        if self.peek() == Some(']') {
            self.bump();
            return Ok(Node::Array(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            self.skip_blank();
            match self.bump() {
                Some(',') => continue,
                Some(']') => return Ok(Node::Array(items)),
                Some(found) => {
                    return self.fail(format!("expected `,` or `]` in a list, found `{found}`"))
                }
                None => return self.fail("list is never closed with `]`"),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Parsed<Node> {
        self.bump();
        let mut fields: Vec<(String, Pos, Spanned)> = Vec::new();
        self.skip_blank();
        if self.peek() == Some('}') {
            self.bump();
            return Ok(Node::Object(fields));
        }
        loop {
            self.skip_blank();
            let key_pos = self.pos();
            if self.peek() != Some('"') {
                return self.fail("expected a key in double quotes");
            }
            let key = self.string()?;
            if fields.iter().any(|(seen, _, _)| *seen == key) {
                return Err((key_pos, format!("key `{key}` appears twice")));
            }
            self.expect(':')?;
            let value = self.value(depth + 1)?;
            fields.push((key, key_pos, value));
            self.skip_blank();
            match self.bump() {
                Some(',') => continue,
                Some('}') => return Ok(Node::Object(fields)),
                Some(found) => {
                    return self.fail(format!(
                        "expected `,` or `}}` in an object, found `{found}`"
                    ))
                }
                None => return self.fail("object is never closed with `}`"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn comments_are_skipped_outside_strings() {
        let parsed = parse("[ # the list\n {\"a\": \"x # y\"} # end\n]").unwrap();
        assert_eq!(parsed.to_json(), json!([{"a": "x # y"}]));
    }

    #[test]
    fn values_of_every_kind() {
        let parsed = parse(r#"{"n": null, "t": true, "f": false, "i": -3, "x": 1.5e2, "s": "a\"\u00e9\n", "l": []}"#).unwrap();
        assert_eq!(
            parsed.to_json(),
            json!({"n": null, "t": true, "f": false, "i": -3, "x": 150.0, "s": "a\"é\n", "l": []})
        );
    }

    #[test]
    fn errors_have_line_and_column() {
        let (pos, message) = parse("[\n  {\"a\": 1,,}\n]").unwrap_err();
        assert_eq!((pos.line, pos.col), (2, 11));
        assert!(message.contains("expected a key"), "{message}");
        let (pos, _) = parse("[\n {\"a\": tru}\n]").unwrap_err();
        assert_eq!(pos.line, 2);
        let (_, message) = parse("{\"a\": 1").unwrap_err();
        assert!(message.contains("never closed"), "{message}");
    }

    #[test]
    fn deep_nesting_is_refused() {
        let deep = format!("{}{}", "[".repeat(500), "]".repeat(500));
        let (_, message) = parse(&deep).unwrap_err();
        assert!(message.contains("nested deeper"), "{message}");
    }

    #[test]
    fn duplicate_keys_and_trailing_text_are_refused() {
        assert!(parse("{\"a\": 1, \"a\": 2}")
            .unwrap_err()
            .1
            .contains("twice"));
        assert!(parse("[] []").unwrap_err().1.contains("after the end"));
        assert!(parse("[01x]").is_err());
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn json_value() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i64>().prop_map(|n| serde_json::json!(n)),
            ".{0,12}".prop_map(serde_json::Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
                prop::collection::btree_map("[a-z#\"]{1,6}", inner, 0..6)
                    .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn any_text_parses_or_fails_without_panic(text in ".{0,300}") {
            let _ = parse(&text);
        }

        #[test]
        fn json_written_by_serde_reads_back_the_same(value in json_value()) {
            let text = serde_json::to_string_pretty(&value).unwrap();
            prop_assert_eq!(parse(&text).unwrap().to_json(), value);
        }

        #[test]
        fn comments_change_nothing(value in json_value(), comment in "[^\n]{0,30}") {
            let text = serde_json::to_string_pretty(&value).unwrap();
            let commented: String = text.lines().map(|line| format!("{line} # {comment}\n")).collect();
            let plain = parse(&text).unwrap().to_json();
            // A `#` inside a string stays text, so only lines ending outside strings may take comments:
            // the pretty printer puts every string on a line that ends after it, so all do.
            prop_assert_eq!(parse(&commented).unwrap().to_json(), plain);
        }
    }
}
