//! YAML (a compose file) read into the same placed tree as Reyns' own
//! confs ([`crate::conf::Spanned`]), so every message about a value can name
//! its line. saphyr-parser does the scanning and hands events with their
//! spans; this file builds the tree: scalars typed by YAML 1.2's core schema
//! (quoted ones stay strings), anchors and aliases, merge keys (`<<: *base`,
//! which compose files use for shared settings), duplicate keys refused.

use crate::conf::{Node, Pos, Spanned};
use saphyr_parser::{Event, Parser, ScalarStyle, Span, SpannedEventReceiver};
use serde_json::Number;
use std::collections::HashMap;

/// An open collection while its events arrive.
enum Open {
    Seq {
        pos: Pos,
        anchor: usize,
        items: Vec<Spanned>,
    },
    Map {
        pos: Pos,
        anchor: usize,
        fields: Vec<(String, Pos, Spanned)>,
        /// The key read, waiting for its value.
        key: Option<(String, Pos)>,
        /// What `<<` keys merge in, applied when the map ends.
        merged: Vec<Spanned>,
    },
}

/// Builds the first document's tree from the parser's events.
#[derive(Default)]
struct Builder {
    open: Vec<Open>,
    anchors: HashMap<usize, Spanned>,
    root: Option<Spanned>,
    error: Option<(Pos, String)>,
}

/// Where a span starts, lines and columns counted from 1.
fn pos_of(span: &Span) -> Pos {
    Pos {
        line: span.start.line(),
        col: span.start.col() + 1,
    }
}

/// A plain scalar's value by the core schema: null, booleans, integers
/// (decimal, 0o octal, 0x hex), floats; anything else a string.
fn typed(text: &str) -> Node {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Node::Null,
        "true" | "True" | "TRUE" => return Node::Bool(true),
        "false" | "False" | "FALSE" => return Node::Bool(false),
        _ => {}
    }
    let unsigned = text.trim_start_matches(['+', '-']);
    let negative = text.starts_with('-');
    let radix = |digits: &str, base: u32| {
        i64::from_str_radix(digits, base)
            .ok()
            .map(|value| if negative { -value } else { value })
    };
    let integer = if unsigned.chars().all(|c| c.is_ascii_digit()) && !unsigned.is_empty() {
        text.parse::<i64>().ok()
    } else if let Some(digits) = text.strip_prefix("0o") {
        radix(digits, 8)
    } else if let Some(digits) = text.strip_prefix("0x") {
        radix(digits, 16)
    } else {
        None
    };
    if let Some(value) = integer {
        return Node::Number(value.into());
    }
    let looks_float = unsigned
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit() || c == '.')
        && unsigned
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
    if looks_float {
        if let Some(number) = text.parse::<f64>().ok().and_then(Number::from_f64) {
            return Node::Number(number);
        }
    }
    Node::Str(text.to_string())
}

impl Builder {
    fn fail(&mut self, pos: Pos, message: String) {
        if self.error.is_none() {
            self.error = Some((pos, message));
        }
    }

    /// Files a finished value in the collection around it (or as the root).
    fn place(&mut self, value: Spanned, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, value.clone());
        }
        let failure = match self.open.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(value);
                }
                None
            }
            Some(Open::Seq { items, .. }) => {
                items.push(value);
                None
            }
            Some(Open::Map {
                fields,
                key,
                merged,
                ..
            }) => match key.take() {
                None => match &value.node {
                    Node::Str(text) => {
                        *key = Some((text.clone(), value.pos));
                        None
                    }
                    Node::Null => {
                        *key = Some((String::new(), value.pos));
                        None
                    }
                    Node::Bool(flag) => {
                        *key = Some((flag.to_string(), value.pos));
                        None
                    }
                    Node::Number(number) => {
                        *key = Some((number.to_string(), value.pos));
                        None
                    }
                    _ => Some((
                        value.pos,
                        "a key must be a plain value, not a list or a map".to_string(),
                    )),
                },
                Some((name, pos)) if name == "<<" => match value.node {
                    Node::Object(_) => {
                        merged.push(value);
                        let _ = pos;
                        None
                    }
                    Node::Array(list)
                        if list.iter().all(|item| matches!(item.node, Node::Object(_))) =>
                    {
                        merged.extend(list);
                        None
                    }
                    _ => Some((pos, "`<<` merges a map or a list of maps".to_string())),
                },
                Some((name, pos)) => {
                    if fields.iter().any(|(known, _, _)| *known == name) {
                        Some((pos, format!("the key `{name}` is given twice in this map")))
                    } else {
                        fields.push((name, pos, value));
                        None
                    }
                }
            },
        };
        if let Some((pos, message)) = failure {
            self.fail(pos, message);
        }
    }
}

impl<'input> SpannedEventReceiver<'input> for Builder {
    fn on_event(&mut self, event: Event<'input>, span: Span) {
        if self.error.is_some() || (self.root.is_some() && self.open.is_empty()) {
            return;
        }
        let pos = pos_of(&span);
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                let node = if style != ScalarStyle::Plain || tag.is_some() {
                    Node::Str(text.to_string())
                } else {
                    typed(&text)
                };
                self.place(Spanned { pos, node }, anchor);
            }
            Event::SequenceStart(anchor, _) => self.open.push(Open::Seq {
                pos,
                anchor,
                items: Vec::new(),
            }),
            Event::MappingStart(anchor, _) => self.open.push(Open::Map {
                pos,
                anchor,
                fields: Vec::new(),
                key: None,
                merged: Vec::new(),
            }),
            Event::SequenceEnd | Event::MappingEnd => match self.open.pop() {
                Some(Open::Seq { pos, anchor, items }) => self.place(
                    Spanned {
                        pos,
                        node: Node::Array(items),
                    },
                    anchor,
                ),
                Some(Open::Map {
                    pos,
                    anchor,
                    mut fields,
                    merged,
                    ..
                }) => {
                    for base in merged {
                        if let Node::Object(inherited) = base.node {
                            for field in inherited {
                                if !fields.iter().any(|(known, _, _)| *known == field.0) {
                                    fields.push(field);
                                }
                            }
                        }
                    }
                    self.place(
                        Spanned {
                            pos,
                            node: Node::Object(fields),
                        },
                        anchor,
                    )
                }
                None => {}
            },
            Event::Alias(anchor) => match self.anchors.get(&anchor).cloned() {
                Some(value) => self.place(Spanned { pos, ..value }, 0),
                None => self.fail(pos, "an alias to an unknown anchor".into()),
            },
            _ => {}
        }
    }
}

/// Parses YAML text: the first document (`Null` for an empty text), or
/// the place and words of what is wrong.
pub fn parse(text: &str) -> Result<Spanned, (Pos, String)> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    if let Err(err) = parser.load(&mut builder, false) {
        let mark = err.marker();
        let pos = Pos {
            line: mark.line(),
            col: mark.col() + 1,
        };
        return Err((pos, err.info().to_string()));
    }
    if let Some(error) = builder.error {
        return Err(error);
    }
    Ok(builder.root.unwrap_or(Spanned {
        pos: Pos { line: 1, col: 1 },
        node: Node::Null,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn value(text: &str) -> serde_json::Value {
        parse(text).unwrap().to_json()
    }

    #[test]
    fn scalars_follow_the_core_schema_and_quotes_keep_strings() {
        let read =
            value("a: 1\nb: '1'\nc: true\nd: ~\ne: 1.5\nf: 8001:8000\ng: 0o17\nh: yes\ni: \"\"\n");
        assert_eq!(
            read,
            json!({"a": 1, "b": "1", "c": true, "d": null, "e": 1.5, "f": "8001:8000", "g": 15, "h": "yes", "i": ""})
        );
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let text = "x-base: &base\n  restart: always\n  init: true\nservices:\n  web:\n    <<: *base\n    init: false\n    ports: &p [\"80\"]\n  api:\n    ports: *p\n";
        assert_eq!(
            value(text),
            json!({"x-base": {"restart": "always", "init": true},
                   "services": {"web": {"init": false, "ports": ["80"], "restart": "always"},
                                "api": {"ports": ["80"]}}})
        );
    }

    #[test]
    fn places_count_from_one_and_name_nested_keys() {
        let parsed = parse("services:\n  db:\n    image: postgres\n").unwrap();
        let places: Vec<(String, String)> = parsed
            .key_places()
            .into_iter()
            .map(|(key, pos)| (key, pos.to_string()))
            .collect();
        assert_eq!(
            places,
            vec![
                ("services".to_string(), "1:1".to_string()),
                ("services.db".into(), "2:3".into()),
                ("services.db.image".into(), "3:5".into()),
            ]
        );
    }

    #[test]
    fn broken_yaml_and_twice_given_keys_name_their_line() {
        let (pos, message) = parse("services:\n  web:\n    image: [a\n").unwrap_err();
        assert!(pos.line >= 3, "{pos} {message}");
        let (pos, message) = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(
            (pos.line, message.as_str()),
            (3, "the key `a` is given twice in this map")
        );
        assert_eq!(value(""), json!(null));
    }
}
