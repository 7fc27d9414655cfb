//! A stand-in for the `docker` CLI, compiled by the tests with rustc and put
//! first on the PATH of the reyns they run. It appends every argv, quoted
//! like a shell would, to `$FAKE_DOCKER_LOG`, and answers from the fixture
//! folder `$FAKE_DOCKER_DIR`:
//!
//! - `ps ...` prints `ps.jsonl` (one JSON object per container) if present;
//! - `image inspect IMAGES` fails when one of them is listed in `missing-images`;
//! - `inspect ...` prints `/NAME 172.17.0.9` for each name;
//! - `logs ...` prints the entrypoint's success marker (or `logs.txt`);
//! - `volume ls` prints `volumes.txt`; `run` prints a fake container id;
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
        writeln!(file, "{line}").expect("write fake docker log");
    }
    if let Some(prefixes) = fixture("fail-on") {
        if prefixes.lines().any(|p| !p.is_empty() && line.starts_with(p)) {
            eprintln!("fake docker: failing `{line}` as asked");
            std::process::exit(1);
        }
    }
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["ps", ..] => print!("{}", fixture("ps.jsonl").unwrap_or_default()),
        ["image", "inspect", images @ ..] => {
            let missing = fixture("missing-images").unwrap_or_default();
            if let Some(image) = images.iter().find(|image| missing.lines().any(|m| m == **image)) {
                eprintln!("Error: No such image: {image}");
                std::process::exit(1);
            }
            println!("sha256:fake");
        }
        ["inspect", "--format", _, names @ ..] => {
            for name in names {
                println!("/{name} 172.17.0.9 ");
            }
        }
        ["logs", ..] => print!(
            "{}",
            fixture("logs.txt").unwrap_or_else(|| "[INFO] Executing Docker entrypoint command: supervisord\n".into())
        ),
        ["volume", "ls", ..] => print!("{}", fixture("volumes.txt").unwrap_or_default()),
        ["run", ..] => {
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
