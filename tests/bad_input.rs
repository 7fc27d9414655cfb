//! Bad input of every kind: a corpus of broken and adversarial confs
//! (`tests/corpus/confs`), bad command lines and names, broken Dockerfile
//! annotations, path tricks. Every case must give one clear `reyns: error:`,
//! a non-zero exit, no panic, and no docker command that creates anything.

mod support;

use support::Test;

/// Runs `line` in a copy of the demo with `conf` as `broken.conf`.
fn with_conf(conf: &[u8], line: &str) -> support::Output {
    let test = Test::demo().args(line).env("EXAMPLE_ENV_VAR", "x");
    std::fs::write(test.dir.join("broken.conf"), conf).unwrap();
    test.run()
}

/// The files of `tests/corpus/<folder>`, sorted; at least `at_least` of them.
fn corpus(folder: &str, at_least: usize) -> Vec<std::path::PathBuf> {
    let mut names: Vec<_> = std::fs::read_dir(support::repo().join("tests/corpus").join(folder))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    assert!(names.len() >= at_least, "the corpus {folder} shrank");
    names
}

#[test]
fn every_corpus_conf_fails_cleanly() {
    for path in corpus("confs", 30) {
        let conf = std::fs::read(&path).unwrap();
        for line in ["run:all,conf=broken", "run:all,conf=broken,plan=True"] {
            let out = with_conf(&conf, line);
            let first_line = out.stderr.lines().next().unwrap_or_default().to_string();
            let case = format!("{} with {line}: {first_line}", path.display());
            // A conf is a file's fault, not the command line's: exit 1.
            assert_eq!(out.code, 1, "{case}");
            out.clean_error().created_nothing();
            assert_eq!(first_line.len(), first_line.trim().len(), "{case}");
            // One line, even where it lists the 28 keys an entry may have.
            assert!(first_line.len() < 500, "{case}: not one short line");
        }
    }
}

#[test]
fn conf_errors_name_the_file() {
    with_conf(
        b"[\n{\"service\": \"demo\",\n  \"bogus\": 1}]",
        "run:all,conf=broken",
    )
    .clean_error()
    .stderr_has("broken.conf:3:3: unknown key `bogus`");
    with_conf(b"[{\"service\": \"d\xffemo\"}]", "run:all,conf=broken")
        .clean_error()
        .stderr_has("broken.conf:1: not valid UTF-8");
}

#[test]
fn image_entries_name_the_place_and_the_key() {
    let cases: [(&[u8], &str); 5] = [
        (
            b"[{\"service\": \"demo\", \"instance\": \"one\",\n  \"image\": \"redis:7\"}]",
            "broken.conf:2:3: `image` of service `demo`: service `demo` has a folder",
        ),
        (
            b"[{\"service\": \"cache\", \"image\": \"Redis:7\"}]",
            "broken.conf:1:23: `image` of service `cache`: `Redis:7` is not an image reference",
        ),
        (
            b"[{\"service\": \"cache\", \"image\": \"redis:7\",\n \"ready\": \"port 1\"}]",
            "broken.conf:2:2: `ready` of service `cache`: `port 1` is not a check",
        ),
        (
            b"[{\"service\": \"cache\", \"image\": \"redis:7\"},\n{\"service\": \"cache\", \"instance\": \"b\", \"image\": \"redis:6\"}]",
            "broken.conf:2:39: `image` of service `cache`: `redis:6` here, but `redis:7` in entry 1",
        ),
        (
            b"[{\"service\": \"cache\", \"image\": \"redis:7\", \"tag\": 1}]",
            "broken.conf:1:43: unknown key `tag`",
        ),
    ];
    for (conf, said) in cases {
        for line in ["run:all,conf=broken", "run:cache,conf=broken,plan=True"] {
            with_conf(conf, line)
                .clean_error()
                .created_nothing()
                .stderr_has(said);
        }
    }
}

#[test]
fn huge_and_deep_confs_are_refused() {
    let huge = format!("[{}]", "{\"service\": \"demo\"},".repeat(300_000));
    with_conf(huge.as_bytes(), "run:all,conf=broken")
        .clean_error()
        .stderr_has("limited to")
        .created_nothing();
    let deep = format!(
        "[{{\"service\": \"demo\", \"env_vars\": {{\"A\": {}1{}}}}}]",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    with_conf(deep.as_bytes(), "run:all,conf=broken")
        .clean_error()
        .stderr_has("nested deeper")
        .created_nothing();
}

#[test]
fn bad_command_lines() {
    for line in [
        "run:demo,instance=a,b",
        "run:demo,,x",
        "run:=x",
        "run:demo,instance=a,instance=b",
        "run:demo,demo2,demo3",
        "ps:format=yaml",
        "build",
        "run",
        "clean:all,force=maybe",
        "run:demo,timeout=soon",
        "ssh:demo,capture=1,jsonout=2",
        "no/such:verb",
    ] {
        let out = Test::demo().args(line).run();
        assert_eq!(out.code, 2, "`{line}` is a usage error");
        out.clean_error().created_nothing();
    }
}

#[test]
fn bad_names_are_refused_before_anything() {
    let long = "a".repeat(300);
    for name in [
        "my_db",
        "a/b",
        "..",
        "../etc",
        "up.per",
        "has space",
        long.as_str(),
        "-dash",
        "dash-",
        "all",
        "reallyall",
    ] {
        for line in [
            format!("run:{name}"),
            format!("run:demo,instance={name}"),
            format!("build:{name}"),
        ] {
            if line == "build:all" || line == "run:all" {
                continue;
            }
            let out = Test::demo().args(&line).env("EXAMPLE_ENV_VAR", "x").run();
            assert_eq!(out.code, 2, "`{line}` is a usage error");
            out.clean_error().created_nothing();
        }
    }
}

#[test]
fn path_tricks_are_refused() {
    let test = Test::demo();
    let outside = test.dir.parent().unwrap().join("outside.conf");
    std::fs::write(&outside, "[{\"service\": \"demo\", \"instance\": \"x\"}]").unwrap();
    test.args("run:all,conf=../outside")
        .run()
        .code(2)
        .clean_error()
        .stderr_has("must be the name of a .conf file");
    Test::demo()
        .args("run:all,conf=/etc/passwd")
        .run()
        .code(2)
        .clean_error();
    Test::demo()
        .args("help:../../etc/passwd")
        .run()
        .code(2)
        .clean_error();
    let out = Test::demo()
        .env("PROJECT_NAME", "../evil")
        .args("run:demo,instance=x")
        .run();
    out.clean_error()
        .stderr_has("project name `../evil`")
        .created_nothing();
}

#[test]
fn broken_annotations_are_refused() {
    for annotation in [
        "# reyns: expose",
        "# reyns: expose 0",
        "# reyns: expose 70000",
        "# reyns: expose 80/icmp",
        "# reyns: expose 80 to 90",
        "# reyns: privileged please",
        "# reyns: publish 80",
    ] {
        let test = Test::demo().args("run:demo,instance=x,publish_ports=True");
        std::fs::write(
            test.dir.join("services/demo/Dockerfile"),
            format!("FROM reyns/reyns-base\n{annotation}\n"),
        )
        .unwrap();
        test.run()
            .code(1)
            .clean_error()
            .stderr_has("Dockerfile:2:")
            .created_nothing();
    }
}

#[test]
fn odd_env_values_reach_docker_as_one_argument() {
    let value = "line one\nline 'two' \"three\" $(id) `id` ; rm -rf / && echo";
    let out = Test::demo()
        .args("run:demo,instance=x")
        .env("SERVICE_IP", value)
        .run()
        .success();
    let expected = shell_words::quote(&format!("SERVICE_IP={value}")).to_string();
    assert!(
        out.docker.contains(&format!("--env {expected}")),
        "{}",
        out.docker
    );
}

#[test]
fn docker_missing_from_path_says_so() {
    let empty = support::temp_dir();
    let out = Test::demo()
        .real_docker()
        .args("ps")
        .run_with_path(&empty.path().display().to_string());
    out.code(1)
        .clean_error()
        .stderr_has("`docker` was not found on PATH");
}

#[test]
fn unreachable_engine_is_one_clear_message() {
    let out = Test::demo()
        .real_docker()
        .args("ps")
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .run();
    out.code(1)
        .clean_error()
        .stderr_has("the Docker engine is not reachable");
}

#[test]
fn no_private_key_in_the_repository() {
    let marker = ["PRIVATE", "KEY-----"].join(" ");
    let listing = std::process::Command::new("git")
        .args(["ls-files"])
        .current_dir(support::repo())
        .output()
        .unwrap();
    for file in String::from_utf8_lossy(&listing.stdout).lines() {
        let Ok(text) = std::fs::read_to_string(support::repo().join(file)) else {
            continue;
        };
        assert!(!text.contains(&marker), "{file} holds a private key");
    }
}

#[test]
fn debug_logging_prints_no_key_material() {
    let test = Test::new().args("init:plan=True").env("LOG_LEVEL", "DEBUG");
    let out = test.run().success();
    let secret = std::fs::read_to_string(test.home.join("keys/tsig.secret")).unwrap();
    let private = std::fs::read_to_string(test.home.join("keys/id_ed25519")).unwrap();
    let body: String = private.lines().nth(1).unwrap().to_string();
    for shown in [&out.stdout, &out.stderr] {
        assert!(
            !shown.contains(secret.trim()) && !shown.contains(&body),
            "key material printed"
        );
    }
    use std::os::unix::fs::PermissionsExt;
    for name in ["id_ed25519", "tsig.secret", "tsig.key"] {
        let mode = std::fs::metadata(test.home.join("keys").join(name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name} is not 0600");
    }
}

#[test]
fn bad_nodes_are_named_before_anything() {
    for (host_conf, conf, line, says) in [
        (
            r#"{"nodes": {"node1": "ftp://10.0.0.6"}}"#,
            "",
            "run:all,conf=default-multinode",
            "host.conf:1:12: `ftp://10.0.0.6` is not a docker endpoint",
        ),
        (
            r#"{"nodes": ["tcp://10.0.0.6:2375"]}"#,
            "",
            "ps",
            "host.conf:1:2: `nodes` must be an object {...}: node name -> docker endpoint",
        ),
        (
            r#"{"nodes": {"local": "tcp://10.0.0.6:2375"}}"#,
            "",
            "ps",
            "host.conf:1:12: `local` is the local engine's name",
        ),
        (
            r#"{"nodes": {"node1": "tcp://10.0.0.6:2375"}}"#,
            r#"[{"service": "demo", "instance": "a", "node": "node9"}]"#,
            "run:all,conf=broken",
            "node `node9` is not in host.conf's \"nodes\" (node1)",
        ),
        (
            r#"{"nodes": {"node1": "tcp://10.0.0.6:2375"}}"#,
            r#"[{"service": "demo", "instance": "a", "node": 1}]"#,
            "run:all,conf=broken",
            "`node` must be a string, not 1",
        ),
        (
            r#"{"nodes": {"node1": "tcp://10.0.0.6:2375"}}"#,
            "",
            "build:all,node=node7",
            "node=node7: not in host.conf's \"nodes\" (node1)",
        ),
    ] {
        let test = Test::demo().args(line).env("EXAMPLE_ENV_VAR", "x");
        std::fs::write(test.dir.join("host.conf"), host_conf).unwrap();
        if !conf.is_empty() {
            std::fs::write(test.dir.join("broken.conf"), conf).unwrap();
        }
        test.run().clean_error().created_nothing().stderr_has(says);
    }
}

/// Every host.conf of `tests/corpus/host-confs` is refused before any docker
/// command changes anything: one line naming `host.conf:line:col` and what
/// is wrong there, exit 2 (a syntax error names its place the same way).
#[test]
fn every_corpus_host_conf_fails_cleanly() {
    for path in corpus("host-confs", 10) {
        for line in ["run:all", "run:all,plan=True", "ps"] {
            let test = Test::demo().args(line).env("EXAMPLE_ENV_VAR", "x");
            std::fs::copy(&path, test.dir.join("host.conf")).unwrap();
            let out = test.run();
            let first_line = out.stderr.lines().next().unwrap_or_default().to_string();
            let case = format!("{} with {line}: {first_line}", path.display());
            // A syntax error names the file by its path, as for a run conf.
            assert!(
                first_line.starts_with("reyns: error: ") && first_line.contains("host.conf:"),
                "{case}"
            );
            assert_eq!(out.stderr.lines().count(), 1, "{case}");
            assert!(
                out.code == 2 || (out.code == 1 && first_line.contains("expected")),
                "{case}"
            );
            out.clean_error().created_nothing();
        }
    }
}

#[test]
fn a_misspelled_host_conf_key_is_named_with_its_line() {
    let test = Test::demo().args("run:all,conf=default-multinode,plan=True");
    std::fs::write(
        test.dir.join("host.conf"),
        "{\n  \"env_vars\": {},\n  \"ndoes\": {\"master\": \"tcp://10.9.9.9:2375\"}\n}\n",
    )
    .unwrap();
    test.run()
        .code(2)
        .stderr_has("reyns: error: host.conf:3:3: unknown key `ndoes`; allowed keys: env_vars, keep_releases, last_conf, nodes, swarm\n")
        .created_nothing();
}
