//! Reading a service's Dockerfile: its parents (`FROM`), build arguments
//! (`ARG`), what its final stage starts from and runs as (`FROM`, `USER`),
//! and Reyns annotations (`# reyns: expose 53/udp`,
//! `# reyns: expose 8080 as 80`, `# reyns: privileged`,
//! `# reyns: ready tcp 8080`, `# reyns: ready cmd pg_isready`).

use super::{fail, to_map};
use rhai::plugin::*;
use rhai::Map;
use serde::Serialize;

/// What a Dockerfile tells Reyns; scripts get it as a map of the same shape.
#[derive(Debug, Default, PartialEq, Serialize)]
pub struct Facts {
    pub parents: Vec<String>,
    pub build_args: Vec<String>,
    pub exposed: Vec<Exposed>,
    pub privileged: bool,
    pub ready: Option<Ready>,
    /// The image the final stage descends from (through earlier stages).
    pub base: String,
    /// The user the final stage ends as, when the Dockerfile says: its own
    /// last `USER`, else that of the earlier stage it starts from.
    pub user: Option<String>,
}

/// A build stage so far: its name (lowercased, as docker compares them),
/// the image it descends from, its user.
struct Stage {
    name: Option<String>,
    base: String,
    user: Option<String>,
}

/// A port `# reyns: expose` publishes.
#[derive(Debug, PartialEq, Serialize)]
pub struct Exposed {
    pub port: u16,
    pub host_port: u16,
    pub protocol: String,
}

/// `# reyns: ready ...`: the check as written (`tcp 8080`) and the shell
/// line that passes once the service answers.
#[derive(Debug, PartialEq, Serialize)]
pub struct Ready {
    pub shown: String,
    pub line: String,
}

impl Exposed {
    fn new(port: u16, host_port: u16, protocol: String) -> Exposed {
        Exposed {
            port,
            host_port,
            protocol,
        }
    }
}

impl Ready {
    fn new(shown: String, line: String) -> Ready {
        Ready { shown, line }
    }
}

/// Parses a Dockerfile's text; errors read `file:line: what`.
pub fn parse(shown: &str, text: &str) -> Result<Facts, String> {
    let mut facts = Facts::default();
    let mut stages: Vec<Stage> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let trimmed = line.trim();
        if let Some(comment) = trimmed.strip_prefix('#') {
            let comment = comment.trim();
            let Some(annotation) = comment
                .get(..6)
                .filter(|head| head.eq_ignore_ascii_case("reyns:"))
                .map(|_| comment[6..].trim())
            else {
                continue;
            };
            annotate(&mut facts, annotation).map_err(|err| format!("{shown}:{number}: {err}"))?;
            continue;
        }
        let mut words = trimmed.split_whitespace();
        let instruction = words.next().unwrap_or_default().to_ascii_uppercase();
        match instruction.as_str() {
            "FROM" => {
                let image = words
                    .find(|word| !word.starts_with("--"))
                    .unwrap_or_default();
                if image.is_empty() {
                    return Err(format!("{shown}:{number}: `FROM` without an image"));
                }
                let name = match (words.next(), words.next()) {
                    (Some(as_word), Some(name)) if as_word.eq_ignore_ascii_case("AS") => {
                        Some(name.to_lowercase())
                    }
                    _ => None,
                };
                // From an earlier stage, the new one inherits its base and
                // user; otherwise `image` is a parent.
                let stage = match earlier_stage(&stages, image) {
                    Some(earlier) => Stage {
                        name,
                        base: earlier.base.clone(),
                        user: earlier.user.clone(),
                    },
                    None => {
                        facts.parents.push(image.to_string());
                        Stage {
                            name,
                            base: image.to_string(),
                            user: None,
                        }
                    }
                };
                stages.push(stage);
            }
            "USER" => {
                if let (Some(stage), Some(user)) = (stages.last_mut(), words.next()) {
                    stage.user = Some(user.to_string());
                }
            }
            "ARG" => {
                if let Some(name) = words.next() {
                    let name = name.split('=').next().unwrap_or_default();
                    facts.build_args.push(name.to_string());
                }
            }
            _ => {}
        }
    }
    if let Some(last) = stages.pop() {
        facts.base = last.base;
        facts.user = last.user;
    }
    Ok(facts)
}

/// The stage named `image` declared so far, if any: docker only looks back,
/// so a stage declared later does not count.
fn earlier_stage<'a>(stages: &'a [Stage], image: &str) -> Option<&'a Stage> {
    let wanted = image.to_lowercase();
    stages
        .iter()
        .rev()
        .find(|stage| stage.name.as_deref() == Some(wanted.as_str()))
}

/// Applies one `# reyns:` annotation.
fn annotate(facts: &mut Facts, annotation: &str) -> Result<(), String> {
    let words: Vec<&str> = annotation.split_whitespace().collect();
    match words.as_slice() {
        ["privileged"] => facts.privileged = true,
        ["expose", port] => {
            let (number, protocol) = port_and_protocol(port)?;
            facts.exposed.push(Exposed::new(number, number, protocol));
        }
        ["ready", "tcp", port] => {
            let (number, protocol) = port_and_protocol(port)?;
            if protocol != "tcp" {
                return Err(format!("`ready tcp {port}`: a tcp check needs a tcp port"));
            }
            if facts.ready.is_some() {
                return Err("a second `ready` annotation: keep one".into());
            }
            facts.ready = Some(Ready::new(
                format!("tcp {number}"),
                format!("bash -c '</dev/tcp/127.0.0.1/{number}'"),
            ));
        }
        ["ready", "cmd", _, ..] => {
            if facts.ready.is_some() {
                return Err("a second `ready` annotation: keep one".into());
            }
            let line = annotation
                .trim_start()
                .strip_prefix("ready")
                .map(str::trim_start)
                .and_then(|rest| rest.strip_prefix("cmd"))
                .unwrap_or_default()
                .trim();
            facts.ready = Some(Ready::new(format!("cmd {line}"), line.to_string()));
        }
        ["expose", port, "as", host] => {
            let (number, protocol) = port_and_protocol(port)?;
            let (host, host_protocol) = port_and_protocol(host)?;
            if words[3].contains('/') && host_protocol != protocol {
                return Err(format!("`{}` and `{port}` name different protocols", words[3]));
            }
            facts.exposed.push(Exposed::new(number, host, protocol));
        }
        _ => {
            return Err(format!(
                "unknown reyns annotation `{annotation}`: expected `expose PORT[/tcp|/udp] [as HOSTPORT]`, `privileged`, `ready tcp PORT` or `ready cmd COMMAND`"
            ))
        }
    }
    Ok(())
}

/// Parses `53`, `53/udp` or `8080/tcp`.
fn port_and_protocol(text: &str) -> Result<(u16, String), String> {
    let (port, protocol) = text.split_once('/').unwrap_or((text, "tcp"));
    let port: u16 = port
        .parse()
        .ok()
        .filter(|port| *port > 0)
        .ok_or_else(|| format!("bad port `{text}` in a reyns annotation: expected 1-65535"))?;
    match protocol {
        "tcp" | "udp" => Ok((port, protocol.to_string())),
        _ => Err(format!(
            "bad protocol `{protocol}` in `{text}`: expected tcp or udp"
        )),
    }
}

#[export_module]
pub mod api {
    /// Reads a Dockerfile: `#{parents, build_args, exposed: [#{port, host_port, protocol}], privileged, ready, base, user}`
    /// (`ready`: `#{shown, line}`, the `# reyns: ready` check as written and as a shell line, or `()`;
    /// `base`: the image the final stage descends from; `user`: the user it ends as, or `()` when it inherits one).
    /// An unknown or malformed `# reyns:` annotation is an error naming the line.
    ///
    /// ```rhai
    /// let facts = dockerfile::read("services/demo/Dockerfile");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn read(path: &str) -> Result<Map, Box<EvalAltResult>> {
        let text = std::fs::read_to_string(path)
            .or_else(|err| fail(format!("cannot read `{path}`: {err}")))?;
        to_map(&super::parse(path, &text).or_else(fail)?)
    }

    /// Like `read`, for a Dockerfile's text; `shown` names it in errors.
    ///
    /// ```rhai
    /// let facts = dockerfile::parse(assets::read("images/reyns-dns-debian12/Dockerfile"), "reyns-dns");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn parse(text: &str, shown: &str) -> Result<Map, Box<EvalAltResult>> {
        to_map(&super::parse(shown, text).or_else(fail)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_args_and_annotations() {
        let text = "FROM --platform=x reyns/reyns-base AS base\nFROM base\n# reyns: expose 53/udp\n#reyns: expose 8080 as 80\n# reyns: privileged\nARG BUILDING_UID=1\nARG OTHER\n";
        let facts = parse("D", text).unwrap();
        assert_eq!(facts.parents, vec!["reyns/reyns-base"]);
        assert_eq!(facts.build_args, vec!["BUILDING_UID", "OTHER"]);
        assert_eq!(
            facts.exposed,
            vec![
                Exposed::new(53, 53, "udp".into()),
                Exposed::new(8080, 80, "tcp".into())
            ]
        );
        assert!(facts.privileged);
    }

    #[test]
    fn bad_annotations_name_the_line() {
        let err = parse("D", "FROM x\n# reyns: expos 53").unwrap_err();
        assert!(
            err.starts_with("D:2: unknown reyns annotation `expos 53`"),
            "{err}"
        );
        assert!(parse("D", "# reyns: expose 99999")
            .unwrap_err()
            .contains("bad port"));
        assert!(parse("D", "# reyns: expose 53/sctp")
            .unwrap_err()
            .contains("bad protocol"));
        assert!(parse("D", "FROM\n")
            .unwrap_err()
            .contains("without an image"));
    }

    #[test]
    fn readiness_annotations_become_shell_checks() {
        let facts = parse("D", "FROM a\n# reyns: ready tcp 8080\n").unwrap();
        assert_eq!(
            facts.ready,
            Some(Ready::new(
                "tcp 8080".into(),
                "bash -c '</dev/tcp/127.0.0.1/8080'".into()
            ))
        );
        let facts = parse("D", "# reyns: ready cmd  pg_isready -h 127.0.0.1 'x y'\n").unwrap();
        assert_eq!(
            facts.ready,
            Some(Ready::new(
                "cmd pg_isready -h 127.0.0.1 'x y'".into(),
                "pg_isready -h 127.0.0.1 'x y'".into()
            ))
        );
        for (text, says) in [
            ("# reyns: ready tcp http", "bad port"),
            ("# reyns: ready tcp 53/udp", "needs a tcp port"),
            ("# reyns: ready cmd", "unknown reyns annotation"),
            (
                "# reyns: ready tcp 1\n# reyns: ready tcp 2",
                "D:2: a second `ready`",
            ),
        ] {
            let err = parse("D", text).unwrap_err();
            assert!(err.contains(says), "{text}: {err}");
        }
    }

    #[test]
    fn the_final_stage_base_and_user() {
        let facts = parse("D", "FROM reyns/reyns-base\nCOPY a /a\n").unwrap();
        assert_eq!(
            (facts.base.as_str(), facts.user),
            ("reyns/reyns-base", None)
        );
        let text = "FROM reyns/reyns-base AS build\nUSER app\nRUN make\nFROM debian:12\nCOPY --from=build /x /x\n";
        let facts = parse("D", text).unwrap();
        assert_eq!((facts.base.as_str(), facts.user), ("debian:12", None));
        let text = "FROM reyns/reyns-base AS Build\nUSER app:app\nFROM build AS final\nRUN x\nfrom final\n";
        let facts = parse("D", text).unwrap();
        assert_eq!(
            (facts.base.as_str(), facts.user.as_deref()),
            ("reyns/reyns-base", Some("app:app"))
        );
        // Docker only looks back for stages: a name declared later is an image.
        let facts = parse("D", "FROM base\nFROM x AS base\nFROM base\n").unwrap();
        assert_eq!(facts.parents, vec!["base", "x"]);
        assert_eq!(facts.base, "x");
        let facts = parse("D", "FROM p/web\nUSER web\nUSER root\n").unwrap();
        assert_eq!(facts.user.as_deref(), Some("root"));
    }

    #[test]
    fn plain_comments_are_ignored() {
        let facts = parse("D", "# a comment\n# reynsish: no\nFROM a\n").unwrap();
        assert_eq!(facts.parents, vec!["a"]);
    }
}
