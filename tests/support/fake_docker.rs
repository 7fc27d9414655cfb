//! A stand-in for the `docker` CLI, compiled by the tests with rustc and put
//! first on the PATH of the reyns they run. It appends every argv, quoted
//! like a shell would, to `$FAKE_DOCKER_LOG`, and answers from the fixture
//! folder `$FAKE_DOCKER_DIR`:
//!
//! - `ps ...` prints `ps.jsonl` (one JSON object per container) if present;
//! - `image inspect IMAGES` fails when one of them is listed in `missing-images`,
//!   else prints each one's id (`sha256:fake-<image>`, as `inspect` gives it);
//! - `inspect NAMES` prints docker's JSON array, as docker does: a container
//!   container for each name in `ps.jsonl` (`inspect/<name>.json` verbatim
//!   when present, else its id and state, address 172.17.0.9 when running,
//!   no labels), an image for each other name with a `/` or `:` not in
//!   `missing-images`; any other name is "No such object" on stderr and
//!   exit 1 after the rest are printed;
//! - `logs ...` prints the entrypoint's success marker (or `logs.txt`);
//!   with `--follow` and a file `logs-follow-wait`, it then waits (60 s)
//!   as docker does for more;
//! - `volume ls` prints `volumes.txt`; `run` prints a fake container id;
//! - like an engine, it remembers the containers it ran (under
//!   `containers/` in the fixture folder, one file each: its state, then its
//!   `run` argv): `ps` lists them after `ps.jsonl`, `inspect` describes them
//!   (labels, env, image `sha256:fake-<image>`), `stop`/`start` change their
//!   state and `rm` forgets them;
//! - anything else succeeds silently. `fail-on` holds argv prefixes that fail;
//!   `run-delay-ms` makes every `run` take that long.

use std::io::Write;

fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:=,@%+-".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

fn fixture(name: &str) -> Option<String> {
    let dir = std::env::var("FAKE_DOCKER_DIR").ok()?;
    std::fs::read_to_string(std::path::Path::new(&dir).join(name)).ok()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let line: Vec<String> = std::iter::once("docker".to_string())
        .chain(args.iter().map(|a| quote(a)))
        .collect();
    let line = line.join(" ");
    if let Ok(log) = std::env::var("FAKE_DOCKER_LOG") {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("fake docker log");
        // One write per line: two fake dockers started at once (reads
        // started ahead) append to the same log, and `writeln!` writes the
        // line and its newline apart, so their lines could interleave.
        file.write_all(format!("{line}\n").as_bytes())
            .expect("write fake docker log");
    }
    if let Some(prefixes) = fixture("fail-on") {
        if prefixes.lines().any(|p| !p.is_empty() && line.starts_with(p)) {
            eprintln!("fake docker: failing `{line}` as asked");
            std::process::exit(1);
        }
    }
    let mut words: Vec<&str> = args.iter().map(String::as_str).collect();
    // docker's global options that pick an engine (`--host`, `--context`):
    // this fake is every engine at once.
    while matches!(words.first(), Some(&"--host" | &"-H" | &"--context" | &"-c")) && words.len() > 1 {
        words.drain(..2);
    }
    match words.as_slice() {
        ["ps", ..] => {
            print!("{}", fixture("ps.jsonl").unwrap_or_default());
            for (name, state, argv) in remembered() {
                let labels = options(&argv, "--label");
                let label = |key: &str| {
                    labels
                        .iter()
                        .find_map(|l| l.strip_prefix(&format!("reyns.{key}=")))
                        .unwrap_or_default()
                        .to_string()
                };
                println!(
                    r#"{{"id":"{name}-id","name":"{name}","image":"{}","status":"{state}","state":"{state}","created":"now","project":"{}","service":"{}","instance":"{}","instance_type":"{}","conf":"{}","group":"{}","dns":"{}","hash":"{}","stock":"{}","job":"{}","door":"{}","door_ports":"{}","image_id":"{}"}}"#,
                    image_of(&argv),
                    label("project"),
                    label("service"),
                    label("instance"),
                    label("instance_type"),
                    label("conf"),
                    label("group"),
                    label("dns"),
                    label("hash"),
                    label("stock"),
                    label("job"),
                    label("door"),
                    label("door_ports"),
                    label("image")
                );
            }
        }
        ["stop", args @ ..] => positionals(args, STOP_OPTIONS_WITH_VALUES).into_iter().for_each(|name| set_state(name, "exited")),
        ["start", names @ ..] => names.iter().for_each(|name| set_state(name, "running")),
        // `docker rename OLD NEW`: fails, as docker does, when OLD is unknown
        // or NEW is taken.
        ["rename", from, to] => {
            if !containers_dir().join(from).exists() || containers_dir().join(to).exists() {
                eprintln!("Error response from daemon: cannot rename {from} to {to}");
                std::process::exit(1);
            }
            std::fs::rename(containers_dir().join(from), containers_dir().join(to)).expect("rename a container");
        }
        ["rm", names @ ..] => names.iter().for_each(|name| {
            let _ = std::fs::remove_file(containers_dir().join(name));
        }),
        ["image", "inspect", images @ ..] => {
            let missing = fixture("missing-images").unwrap_or_default();
            if let Some(image) = images.iter().find(|image| missing.lines().any(|m| m == **image)) {
                eprintln!("Error: No such image: {image}");
                std::process::exit(1);
            }
            // `--format {{.Id}}`: one line per image named, in that order,
            // the id `inspect` gives the image.
            positionals(images, &["-f", "--format"]).into_iter().for_each(|image| println!("sha256:fake-{image}"));
        }
        ["inspect", names @ ..] if !names.iter().any(|n| n.starts_with('-')) => inspect(names),
        // The templates reyns reads one container with: its state (a stock
        // image's wait) and its address (a step that needs it).
        ["inspect", "--format", template, names @ ..] => {
            for name in names {
                let state = remembered().into_iter().find(|(n, _, _)| n == name).map(|(_, state, _)| state);
                match (*template, state) {
                    ("{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}", Some(state)) => println!("{state} 0 0"),
                    ("{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", Some(_)) => println!("172.17.0.9 "),
                    (_, None) => {
                        eprintln!("Error: No such object: {name}");
                        std::process::exit(1);
                    }
                    _ => {}
                }
            }
        }
        ["logs", rest @ ..] => {
            print!(
                "{}",
                fixture("logs.txt").unwrap_or_else(|| "[INFO] Executing Docker entrypoint command: supervisord\n".into())
            );
            // `--follow` waits for more, as docker does, until it is stopped.
            if rest.contains(&"--follow") && fixture("logs-follow-wait").is_some() {
                let _ = std::io::stdout().flush();
                std::thread::sleep(std::time::Duration::from_secs(60));
            }
        }
        ["volume", "ls", ..] => print!("{}", fixture("volumes.txt").unwrap_or_default()),
        // What `ip -4 -o addr show dev IFACE` prints in a host-network container.
        ["run", rest @ ..] if options(rest, "--entrypoint").first() == Some(&"ip") => {
            let iface = rest.last().copied().unwrap_or_default();
            println!("2: {iface}    inet 10.9.0.5/24 brd 10.9.0.255 scope global {iface}\\       valid_lft forever preferred_lft forever");
        }
        ["run", rest @ ..] => {
            if let Some(name) = options(rest, "--name").first() {
                if !rest.contains(&"--rm") {
                    let _ = std::fs::create_dir_all(containers_dir());
                    let record = std::iter::once("running").chain(rest.iter().copied()).collect::<Vec<_>>().join("\n");
                    std::fs::write(containers_dir().join(name), record).expect("remember a container");
                }
            }
            if let Some(delay) = fixture("run-delay-ms").and_then(|d| d.trim().parse().ok()) {
                std::thread::sleep(std::time::Duration::from_millis(delay));
            }
            println!("0123456789abcdef");
        }
        ["pull", ..] => {
            eprintln!("fake docker: no registry");
            std::process::exit(1);
        }
        _ => {}
    }
}

/// The string value of `"key":"..."` in a one-line JSON object (fixtures only).
fn field(line: &str, key: &str) -> Option<String> {
    let start = line.find(&format!("\"{key}\":\""))? + key.len() + 4;
    Some(line[start..].split('"').next()?.to_string())
}

/// Answers `docker inspect NAMES` with docker's JSON shape (the fields reyns reads).
fn inspect(names: &[&str]) {
    let rows = fixture("ps.jsonl").unwrap_or_default();
    let missing = fixture("missing-images").unwrap_or_default();
    let mut found = Vec::new();
    let mut unknown = Vec::new();
    for name in names {
        let row = rows
            .lines()
            .find(|row| field(row, "name").as_deref() == Some(*name));
        if let Some((_, state, argv)) = remembered().into_iter().find(|(n, _, _)| n == name) {
            let running = state == "running";
            let quoted = |values: Vec<&str>| {
                values
                    .iter()
                    .map(|v| format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"")))
                    .collect::<Vec<_>>()
            };
            let labels = quoted(options(&argv, "--label"))
                .into_iter()
                .map(|pair| pair.replacen('=', "\": \"", 1))
                .collect::<Vec<_>>()
                .join(", ");
            let env = quoted(options(&argv, "--env")).join(", ");
            let address = if running { "172.17.0.9" } else { "" };
            found.push(format!(
                r#"{{"Id": "{name}-id", "Name": "/{name}", "Image": "sha256:fake-{}", "State": {{"Status": "{state}", "Running": {running}}}, "Config": {{"Env": [{env}], "Labels": {{{labels}}}}}, "HostConfig": {{"RestartPolicy": {{"Name": "no"}}}}, "NetworkSettings": {{"IPAddress": "", "Networks": {{"bridge": {{"IPAddress": "{address}"}}}}}}}}"#,
                image_of(&argv).replace([':', '/'], "-")
            ));
        } else if let Some(row) = row {
            if let Some(object) = fixture(&format!("inspect/{name}.json")) {
                found.push(object.trim().to_string());
                continue;
            }
            let state = field(row, "state").unwrap_or_else(|| "running".into());
            let running = state == "running";
            let address = if running { "172.17.0.9" } else { "" };
            let id = field(row, "id").unwrap_or_default();
            found.push(format!(
                r#"{{"Id": "{id}", "Name": "/{name}", "Image": "sha256:fake", "State": {{"Status": "{state}", "Running": {running}}}, "Config": {{"Env": [], "Labels": {{}}}}, "HostConfig": {{"RestartPolicy": {{"Name": "no"}}}}, "NetworkSettings": {{"IPAddress": "", "Networks": {{"bridge": {{"IPAddress": "{address}"}}}}}}}}"#
            ));
        } else if (name.contains('/') || name.contains(':')) && !missing.lines().any(|m| m == *name) {
            let tag = if name.rsplit('/').next().is_some_and(|last| last.contains(':')) {
                name.to_string()
            } else {
                format!("{name}:latest")
            };
            // A stock image's config (EXPOSE, VOLUME, HEALTHCHECK), as the
            // fixture `image-config` says, for images not built by reyns.
            let built = name.starts_with("reyns/") || name.starts_with("proj/");
            let config = fixture("image-config").filter(|_| !built).unwrap_or_else(|| "{}".into());
            found.push(format!(
                r#"{{"Id": "sha256:fake-{}", "RepoTags": ["{tag}"], "Config": {}}}"#,
                name.replace([':', '/'], "-"),
                config.trim()
            ));
        } else {
            unknown.push(*name);
        }
    }
    println!("[\n{}\n]", found.join(",\n"));
    for name in &unknown {
        eprintln!("Error: No such object: {name}");
    }
    if !unknown.is_empty() {
        std::process::exit(1);
    }
}

/// Where the fake keeps the containers it ran.
fn containers_dir() -> std::path::PathBuf {
    std::path::Path::new(&std::env::var("FAKE_DOCKER_DIR").unwrap_or_else(|_| ".".into())).join("containers")
}

/// The containers it ran: name, state, `run` argv.
fn remembered() -> Vec<(String, String, Vec<String>)> {
    let mut found: Vec<_> = std::fs::read_dir(containers_dir())
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let text = std::fs::read_to_string(entry.path()).ok()?;
            let mut lines = text.lines().map(str::to_string);
            let state = lines.next()?;
            Some((entry.file_name().to_string_lossy().to_string(), state, lines.collect()))
        })
        .collect();
    found.sort();
    found
}

/// Changes a remembered container's state.
fn set_state(name: &str, state: &str) {
    let path = containers_dir().join(name);
    if let Ok(text) = std::fs::read_to_string(&path) {
        let rest = text.split_once('\n').map(|(_, rest)| rest).unwrap_or_default();
        let _ = std::fs::write(&path, format!("{state}\n{rest}"));
    }
}

/// `docker stop`'s options that take a value (`-t 10`, `-s KILL`).
const STOP_OPTIONS_WITH_VALUES: &[&str] = &["-t", "--time", "--timeout", "-s", "--signal"];

/// The words of an argv that are neither options nor the values of those
/// of `with_values` (`stop -t 10 a b` names `a` and `b`), as docker reads them.
fn positionals<'a, S: AsRef<str>>(args: &'a [S], with_values: &[&str]) -> Vec<&'a str> {
    let mut names = Vec::new();
    let mut args = args.iter().map(AsRef::as_ref);
    while let Some(arg) = args.next() {
        if with_values.contains(&arg) {
            args.next();
        } else if !arg.starts_with('-') {
            names.push(arg);
        }
    }
    names
}

/// The values of an option (`--label a=b`) in a `run` argv.
fn options<'a, S: AsRef<str>>(argv: &'a [S], option: &str) -> Vec<&'a str> {
    argv.windows(2)
        .filter(|pair| pair[0].as_ref() == option)
        .map(|pair| pair[1].as_ref())
        .collect()
}

/// The image of a `run` argv: the first word that is neither an option nor an option's value.
fn image_of<S: AsRef<str>>(argv: &[S]) -> String {
    let flags = ["--detach", "--init", "--privileged", "--rm", "--interactive", "--tty"];
    let mut words = argv.iter().map(AsRef::as_ref);
    while let Some(word) = words.next() {
        if flags.contains(&word) {
            continue;
        }
        if word.starts_with('-') {
            if !word.contains('=') {
                words.next();
            }
            continue;
        }
        return word.to_string();
    }
    String::new()
}
