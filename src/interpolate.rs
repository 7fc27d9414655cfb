//! Compose's variable substitution and env files, as compose does them:
//! `$VAR`, `${VAR}`, `${VAR:-default}` (unset or empty), `${VAR-default}`
//! (unset), `${VAR:?message}` / `${VAR?message}` (an error), `${VAR:+other}`
//! / `${VAR+other}`, `$$` for a dollar; defaults may hold substitutions
//! themselves. Env files (`.env`, `env_file`): `NAME=value` lines, an
//! optional `export `, `#` comments, values in single quotes (as written)
//! or double quotes (`\n`, `\t`, `\"`, `\\` escapes).

use std::collections::BTreeMap;

/// What a text says with its variables filled in from `lookup`, and the
/// names used though unset (compose warns of them and reads them as "").
pub fn substitute(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(String, Vec<String>), String> {
    let mut out = String::new();
    let mut unset = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut at = 0;
    while at < chars.len() {
        let c = chars[at];
        if c != '$' {
            out.push(c);
            at += 1;
            continue;
        }
        match chars.get(at + 1) {
            Some('$') => {
                out.push('$');
                at += 2;
            }
            Some('{') => {
                let end = closing_brace(&chars, at + 2)
                    .ok_or_else(|| format!("`{}`: a `${{` without its `}}`", text))?;
                let inner: String = chars[at + 2..end].iter().collect();
                out.push_str(&braced(&inner, lookup, &mut unset)?);
                at = end + 1;
            }
            Some(first) if first.is_ascii_alphabetic() || *first == '_' => {
                let mut end = at + 1;
                while end < chars.len() && (chars[end].is_ascii_alphanumeric() || chars[end] == '_')
                {
                    end += 1;
                }
                let name: String = chars[at + 1..end].iter().collect();
                match lookup(&name) {
                    Some(value) => out.push_str(&value),
                    None => unset.push(name),
                }
                at = end;
            }
            _ => {
                return Err(format!(
                "`{text}`: a `$` must start a variable (`$NAME`, `${{NAME}}`) or be doubled (`$$`)"
            ))
            }
        }
    }
    Ok((out, unset))
}

/// The index of the `}` closing a `${` whose inside starts at `from`
/// (nested `${...}` in a default counted).
fn closing_brace(chars: &[char], from: usize) -> Option<usize> {
    let mut depth = 0;
    let mut at = from;
    while at < chars.len() {
        match chars[at] {
            '$' if chars.get(at + 1) == Some(&'{') => {
                depth += 1;
                at += 1;
            }
            '}' if depth == 0 => return Some(at),
            '}' => depth -= 1,
            _ => {}
        }
        at += 1;
    }
    None
}

/// The value of one `${...}` (its inside given).
fn braced(
    inner: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    unset: &mut Vec<String>,
) -> Result<String, String> {
    let name_end = inner
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(inner.len());
    let name = &inner[..name_end];
    let rest = &inner[name_end..];
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(format!("`${{{inner}}}`: not a variable name"));
    }
    let value = lookup(name);
    let empty = value.as_deref().is_none_or(str::is_empty);
    let mut nested = |text: &str| -> Result<String, String> {
        let (filled, mut missing) = substitute(text, lookup)?;
        unset.append(&mut missing);
        Ok(filled)
    };
    let (operator, word) = ["?:", ":-", ":?", ":+", "-", "?", "+"]
        .iter()
        .find_map(|op| rest.strip_prefix(op).map(|word| (*op, word)))
        .unwrap_or(("", rest));
    match operator {
        "" if word.is_empty() => match value {
            Some(value) => Ok(value),
            None => {
                unset.push(name.to_string());
                Ok(String::new())
            }
        },
        ":-" => if empty { nested(word) } else { Ok(value.unwrap_or_default()) },
        "-" => match value {
            Some(value) => Ok(value),
            None => nested(word),
        },
        ":?" | "?" => {
            let missing = if operator == ":?" { empty } else { value.is_none() };
            if missing {
                let said = nested(word)?;
                let said = if said.is_empty() { "required".to_string() } else { said };
                Err(format!("variable {name} is not set: {said}"))
            } else {
                Ok(value.unwrap_or_default())
            }
        }
        ":+" => if empty { Ok(String::new()) } else { nested(word) },
        "+" => if value.is_none() { Ok(String::new()) } else { nested(word) },
        _ => Err(format!("`${{{inner}}}`: use ${{NAME}}, ${{NAME:-default}}, ${{NAME-default}}, ${{NAME:?error}} or ${{NAME:+other}}")),
    }
}

/// Parses an env file's text: its variables in file order, or `line: what`
/// for a line that is not `NAME=value`.
pub fn env_file(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut found = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").map_or(line, str::trim_start);
        let Some((name, value)) = line.split_once('=') else {
            return Err(format!("{number}: `{line}` is not NAME=value"));
        };
        let name = name.trim();
        let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if !valid {
            return Err(format!("{number}: `{name}` is not a variable name"));
        }
        found.push((
            name.to_string(),
            env_value(value.trim_start()).map_err(|what| format!("{number}: {what}"))?,
        ));
    }
    Ok(found)
}

/// A value as an env file writes it.
fn env_value(written: &str) -> Result<String, String> {
    if let Some(inside) = written.strip_prefix('\'') {
        let end = inside.find('\'').ok_or("a single quote without its end")?;
        return Ok(inside[..end].to_string());
    }
    if let Some(inside) = written.strip_prefix('"') {
        let mut value = String::new();
        let mut chars = inside.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => return Ok(value),
                '\\' => match chars.next() {
                    Some('n') => value.push('\n'),
                    Some('t') => value.push('\t'),
                    Some(other) => value.push(other),
                    None => break,
                },
                other => value.push(other),
            }
        }
        return Err("a double quote without its end".into());
    }
    let value = match written.find(" #") {
        Some(at) => &written[..at],
        None => written,
    };
    Ok(value.trim_end().to_string())
}

/// The variables of an env file as a map (a later line wins).
pub fn env_map(text: &str) -> Result<BTreeMap<String, String>, String> {
    Ok(env_file(text)?.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled(text: &str) -> Result<(String, Vec<String>), String> {
        let vars: BTreeMap<&str, &str> = [("SET", "yes"), ("EMPTY", "")].into_iter().collect();
        substitute(text, &|name| vars.get(name).map(|v| v.to_string()))
    }

    #[test]
    fn compose_forms_are_filled() {
        let cases = [
            ("$SET and ${SET}", "yes and yes"),
            ("${EMPTY:-d} ${EMPTY-d} ${GONE-d} ${GONE:-d}", "d  d d"),
            ("${SET:+on} ${EMPTY:+on} ${EMPTY+on} ${GONE+on}", "on  on "),
            ("cost $$5 ${GONE:-${SET}}", "cost $5 yes"),
            ("no vars", "no vars"),
        ];
        for (text, want) in cases {
            assert_eq!(filled(text).unwrap().0, want, "{text}");
        }
        assert_eq!(
            filled("a ${GONE} $ALSO").unwrap(),
            (
                "a  ".to_string(),
                vec!["GONE".to_string(), "ALSO".to_string()]
            )
        );
    }

    #[test]
    fn required_and_malformed_are_errors() {
        assert_eq!(
            filled("${GONE:?give it}").unwrap_err(),
            "variable GONE is not set: give it"
        );
        assert_eq!(filled("${EMPTY?x}").unwrap().0, "");
        assert!(filled("${SET").unwrap_err().contains("without its"));
        assert!(filled("a $ b").unwrap_err().contains("doubled"));
        assert!(filled("${1A}").unwrap_err().contains("not a variable name"));
    }

    #[test]
    fn env_files_read_as_compose_reads_them() {
        let text =
            "# comment\nA=1\nexport B = two words # note\nC='keep $x # all'\nD=\"a\\nb\"\nE=\n";
        let read = env_file(text).unwrap();
        let want = [
            ("A", "1"),
            ("B", "two words"),
            ("C", "keep $x # all"),
            ("D", "a\nb"),
            ("E", ""),
        ];
        assert_eq!(read, want.map(|(n, v)| (n.to_string(), v.to_string())));
        assert_eq!(
            env_file("A=1\nnot a line\n").unwrap_err(),
            "2: `not a line` is not NAME=value"
        );
    }
}
