//! The command line and help: verbs, options and their types, usage errors, the host API's documentation.

use super::*;

#[test]
fn no_arguments_lists_the_verbs() {
    for line in ["", "help", "--help", "-h"] {
        Test::new()
            .args(line)
            .run()
            .success()
            .stdout_has("Verbs:")
            .stdout_has("run ")
            .stdout_has("install_demo");
    }
}

#[test]
fn version_flag_and_verb() {
    let version = format!("reyns {}", env!("CARGO_PKG_VERSION"));
    Test::new()
        .args("version")
        .run()
        .success()
        .stdout_has(&version);
    Test::new()
        .args("--version")
        .run()
        .success()
        .stdout_has(&version);
}

#[test]
fn help_of_a_verb_lists_its_options() {
    Test::new()
        .args("help:run")
        .run()
        .success()
        .stdout_has("persistent_data=")
        .stdout_has("instance_type=");
    Test::new()
        .args("help:build")
        .run()
        .success()
        .stdout_has("cache=...")
        .stdout_has("(default True)");
}

/// `help:api` shows `src/host/api.d.rhai`: the host API's definitions as
/// Rhai generates them from the functions' doc comments (the tests build
/// Rhai with `metadata`; the binary does not, to start faster).
#[test]
fn host_api_docs_are_current() {
    let engine = reyns::engine::engine(&support::repo());
    let mut text = String::new();
    for (file, body) in engine.definitions().modules() {
        let name = file.trim_end_matches(".d.rhai");
        text.push_str(&format!("// ---- {name}:: ----\n{}\n", script_types(&body)));
    }
    support::compare_with_file(
        &support::repo().join("src/host/api.d.rhai"),
        &text,
        "the host API's definitions",
    );
}

#[test]
fn help_api_documents_every_host_module() {
    let out = Test::new().args("help:api").run().success();
    let registered = registered_function_names();
    assert!(registered.len() > 10, "the registration table is read");
    for (module, names) in registered {
        let section = out
            .stdout
            .split(&format!("// ---- {module}:: ----\n"))
            .nth(1)
            .unwrap_or_else(|| panic!("no {module} in help:api"));
        let section = section.split("// ---- ").next().unwrap_or_default();
        assert!(!names.is_empty(), "{module} registers functions");
        for name in names {
            assert!(
                section.contains(&format!("fn {name}(")),
                "{module}::{name} is registered but not in help:api"
            );
        }
    }
    assert!(out.stdout.contains("fn json_lines(argv: array) -> array;"));
    assert!(out.stdout.contains("```rhai"), "examples are included");
}

#[test]
fn unknown_verb_is_a_usage_error() {
    Test::new()
        .args("frobnicate")
        .run()
        .code(2)
        .clean_error()
        .stderr_has("unknown verb `frobnicate`")
        .stderr_has("known verbs: ");
}

#[test]
fn unknown_option_is_refused_and_listed() {
    Test::demo()
        .args("run:demo,instance=one,persistent_dat=True")
        .run()
        .code(2)
        .clean_error()
        .stderr_has("unknown option `persistent_dat` for `run`")
        .stderr_has("persistent_data")
        .created_nothing();
}

#[test]
fn malformed_command_lines_exit_2() {
    for line in [
        "run:demo,instance=one,two",
        ":x",
        "run:a,,b",
        "run:a,=b",
        "help:a,b,c",
        "ps:x=1,x=2",
        "--bogus",
    ] {
        Test::new().args(line).run().code(2).clean_error();
    }
}

#[test]
fn option_types_are_checked() {
    Test::demo()
        .args("build:all,cache=maybe")
        .run()
        .code(2)
        .stderr_has("option `cache` of `build` takes True or False");
    Test::demo()
        .args("run:demo,publish_ssh_on=abc")
        .run()
        .code(2)
        .stderr_has("takes a whole number");
}

/// Every file or folder ARCHITECTURE.md names (a backticked path under
/// `src/`, `scripts/`, `tests/`, `bench/`, `images/`, `demo/` or `docs/`)
/// exists: the map stays true as files move.
#[test]
fn architecture_names_only_paths_that_exist() {
    let text = std::fs::read_to_string(support::repo().join("ARCHITECTURE.md")).unwrap();
    let roots = [
        "src/", "scripts/", "tests/", "bench/", "images/", "demo/", "docs/",
    ];
    let mut named = 0;
    let mut missing = Vec::new();
    for (at, quoted) in text.split('`').enumerate() {
        // Odd pieces are inside backticks.
        if at % 2 == 0 || !roots.iter().any(|root| quoted.starts_with(root)) {
            continue;
        }
        // `scripts/<verb>.rhai` names a pattern, not a file.
        if quoted.contains('<') || quoted.contains('*') || quoted.contains(' ') {
            continue;
        }
        named += 1;
        if !support::repo().join(quoted).exists() {
            missing.push(quoted.to_string());
        }
    }
    assert!(named > 50, "ARCHITECTURE.md names {named} paths");
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md names what is not there: {missing:?}"
    );
}
