//! The binary against a fake `docker`: the command-line grammar, help,
//! project verbs and script resolution, errors, and golden files pinning the
//! docker commands each verb produces.

mod support;

use support::Test;

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

/// Every host module's namespace with the names of its functions, as
/// registered: what `help:api` must document.
fn registered_function_names() -> Vec<(&'static str, Vec<String>)> {
    reyns::host::modules()
        .into_iter()
        .map(|(name, module)| {
            let mut functions: Vec<String> = module
                .gen_fn_signatures_with_mapper(std::borrow::Cow::Borrowed)
                .filter_map(|signature| {
                    let signature = signature.strip_prefix("fn ").unwrap_or(&signature);
                    signature.split('(').next().map(str::to_string)
                })
                .collect();
            functions.sort();
            functions.dedup();
            (name, functions)
        })
        .collect()
}

/// Writes Rust return types as a script sees them: `Result<T, Box<EvalAltResult>>`
/// becomes `T` (the error is a thrown exception), in Rhai's own type names.
fn script_types(definitions: &str) -> String {
    let result = regex::Regex::new(r"-> Result<(.*), Box<EvalAltResult>>;").expect("valid pattern");
    let unwrapped = result.replace_all(definitions, "-> $1;");
    unwrapped
        .replace(" -> ();", ";")
        .replace("-> String;", "-> string;")
        .replace("-> Map;", "-> map;")
        .replace("-> Array;", "-> array;")
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

#[test]
fn project_verb_gets_its_arguments_and_the_host_api() {
    Test::fixture("verbs")
        .args("hello:reyns,times=2,loud=True")
        .run()
        .success()
        .stdout_has("HELLO REYNS in proj\nHELLO REYNS in proj\n");
    Test::fixture("verbs").args("hello:nobody").run().code(3);
}

#[test]
fn project_verb_can_be_a_plain_script_with_args_in_scope() {
    Test::fixture("verbs")
        .args("plain")
        .run()
        .success()
        .stdout_has("hi from a plain script\n");
    Test::fixture("verbs")
        .args("greet:reyns,shout=True")
        .run()
        .success()
        .stdout_has("HELLO REYNS\n");
    Test::fixture("verbs")
        .args("greet")
        .run()
        .success()
        .stdout_has("hello world\n");
    Test::fixture("verbs").args("greet:nobody").run().code(4);
    // Its declarations are read without running it: a bad option prints nothing.
    let refused = Test::fixture("verbs").args("greet:loud=True").run().code(2);
    let refused = refused.stderr_has("unknown option `loud` for `greet`; it takes: who, shout");
    assert_eq!(refused.stdout, "");
    Test::fixture("verbs")
        .args("help:greet")
        .run()
        .success()
        .stdout_has("shout=");
}

#[test]
fn project_verbs_are_listed_and_overrides_marked() {
    let out = Test::fixture("verbs").args("help").run().success();
    let hello = out
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("hello "))
        .expect("hello listed");
    assert!(
        hello.contains("Say hello") && hello.contains("[project]"),
        "{hello}"
    );
    let version = out
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("version "))
        .expect("version listed");
    assert!(version.contains("[project override]"), "{version}");
    Test::fixture("verbs")
        .args("version")
        .run()
        .success()
        .stdout_has("project version 42");
}

#[test]
fn project_verb_errors_point_at_its_own_line() {
    Test::fixture("verbs")
        .args("broken")
        .run()
        .code(1)
        .clean_error()
        .stderr_has("undefined_variable")
        .stderr_has("reyns/broken.rhai:4:");
    Test::fixture("verbs")
        .args("thrower")
        .run()
        .code(1)
        .stderr_has("reyns: error: something the project verb did not like")
        .stderr_has("reyns/thrower.rhai:4:");
}

#[test]
fn install_demo_copies_the_project_and_refuses_to_overwrite() {
    let test = Test::new().args("install_demo");
    test.run()
        .success()
        .stdout_has("Demo installed.")
        .stdout_has("reyns build:all");
    let demo = test.dir.join("reyns-demo");
    assert!(demo.join("services/demo/Dockerfile").is_file());
    assert!(demo.join("default.conf").is_file() && demo.join("default-multinode.conf").is_file());
    test.run()
        .code(1)
        .clean_error()
        .stderr_has("already exists");
}

#[test]
fn the_binary_works_alone_from_another_folder() {
    let alone_dir = support::temp_dir();
    let alone = alone_dir.path();
    let copy = alone.join("reyns");
    std::fs::copy(support::reyns_bin(), &copy).unwrap();
    let out = std::process::Command::new(&copy)
        .arg("install_demo")
        .current_dir(alone)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(alone
        .join("reyns-demo/services/demo/prestartup_demo.sh")
        .is_file());
}

// ---- conf errors: one line naming the file, line and key; nothing created ----

fn with_conf(text: &str) -> Test {
    let test = Test::demo();
    std::fs::write(test.dir.join("broken.conf"), text).unwrap();
    test.args("run:all,conf=broken").env("EXAMPLE_ENV_VAR", "x")
}

#[test]
fn conf_syntax_error_names_file_line_and_column() {
    with_conf("[\n  {\"service\": \"demo\",, }\n]\n")
        .run()
        .code(1)
        .clean_error()
        .stderr_has("broken.conf:2:")
        .created_nothing();
}

#[test]
fn conf_unknown_key_names_the_key_and_entry() {
    with_conf("[\n {\"service\": \"demo\", \"instance\": \"a\",\n  \"persistent_dat\": true}\n]")
        .run()
        .code(1)
        .clean_error()
        .stderr_has("broken.conf:3:3: unknown key `persistent_dat` in entry 1")
        .created_nothing();
}

#[test]
fn conf_wrong_types_are_named() {
    with_conf("[{\"service\": \"demo\", \"links\": \"dns\"}]")
        .run()
        .code(1)
        .stderr_has("`links` must be a list")
        .created_nothing();
    with_conf("[{\"service\": \"demo\", \"sleep\": \"5\"}]")
        .run()
        .code(1)
        .stderr_has("`sleep` must be a whole number")
        .created_nothing();
    // A bad name in a conf is the file's fault: exit 1, naming the entry.
    with_conf("[{\"service\": \"my_db\"}]")
        .run()
        .code(1)
        .stderr_has("broken.conf: entry 1 (service `my_db`): service name `my_db` has a `_`")
        .created_nothing();
}

#[test]
fn missing_env_var_without_terminal_stops_before_anything() {
    Test::demo()
        .args("run:all")
        .run()
        .code(1)
        .clean_error()
        .stderr_has("EXAMPLE_ENV_VAR (for proj-demo-one)")
        .created_nothing();
}

#[test]
fn env_var_from_host_conf() {
    let test = Test::demo().args("run:all");
    std::fs::write(
        test.dir.join("host.conf"),
        "{\"env_vars\": {\"EXAMPLE_ENV_VAR\": \"saved\"}}",
    )
    .unwrap();
    let out = test.run().success();
    assert!(
        out.docker.contains("--env EXAMPLE_ENV_VAR=saved"),
        "{}",
        out.docker
    );
    let saved = std::fs::read_to_string(test.dir.join("host.conf")).unwrap();
    assert!(saved.contains("\"last_conf\": \"default\""), "{saved}");
}

#[test]
fn unknown_service_fails_before_anything() {
    Test::demo()
        .args("run:nosuch")
        .run()
        .code(1)
        .clean_error()
        .stderr_has("unknown service `nosuch`")
        .created_nothing();
}

#[test]
fn bad_annotation_fails_before_anything() {
    let test = Test::demo().args("run:demo,instance=x");
    std::fs::write(
        test.dir.join("services/demo/Dockerfile"),
        "FROM reyns/reyns-base\n# reyns: expose eighty\n",
    )
    .unwrap();
    test.run()
        .code(1)
        .clean_error()
        .stderr_has("Dockerfile:2: bad port `eighty`")
        .created_nothing();
}

/// The demo's `demo-one` alone, with what it needs from the environment.
fn demo_one() -> Test {
    Test::demo()
        .env("EXAMPLE_ENV_VAR", "first")
        .env("DNS_SERVICE_IP", "10.0.0.53")
        .args("run:demo,instance=one")
}

#[test]
fn stopped_instance_is_started_again() {
    let test = demo_one();
    test.run().success();
    let test = test.args("_stop:demo,one");
    test.run().success();
    let test = test.args("run:demo,instance=one");
    let commands = test.run().success().stderr_has("started 1").docker;
    assert!(
        commands.contains("docker start proj-demo-one\n"),
        "{commands}"
    );
    assert!(!commands.contains("docker run"), "{commands}");
    assert!(
        commands.contains("docker logs --follow --since <time> proj-demo-one"),
        "{commands}"
    );
}

/// The docker subcommand of each line of a fake docker log, in order.
fn docker_verbs(commands: &str) -> Vec<&str> {
    commands
        .lines()
        .map(|line| line.split(' ').nth(1).unwrap_or_default())
        .collect()
}

#[test]
fn running_unchanged_instance_is_kept_with_one_ps_and_one_inspect() {
    let test = demo_one();
    test.run().success();
    let commands = test
        .run()
        .success()
        .stderr_has("already running, unchanged")
        .stderr_has("created 0, started 0, recreated 0, kept 1")
        .docker;
    assert_eq!(docker_verbs(&commands), ["ps", "inspect"], "{commands}");
}

#[test]
fn a_verbs_first_reads_start_ahead_on_its_next_run_unless_the_project_is_locked() {
    let test = Test::demo()
        .args("ps")
        .env("REYNS_READAHEAD", "1")
        .env("LOG_LEVEL", "DEBUG")
        .docker_answer("ps.jsonl", &ps_row("demo", "one", "running"));
    let first = test.run().success();
    assert!(!first.stderr.contains("(read ahead)"), "{}", first.stderr);
    let remembered = std::fs::read_dir(test.home.join("readahead"))
        .expect("a readahead folder")
        .count();
    assert_eq!(remembered, 1, "one file for the project");

    // The next `ps` gets its one docker ps from the read started ahead.
    let second = test.run().success().stderr_has("(read ahead)");
    assert_eq!(second.stdout, first.stdout);
    assert_eq!(docker_verbs(&second.docker), ["ps"], "{}", second.docker);

    // While another reyns holds the project's lock, nothing is read ahead.
    std::fs::create_dir_all(test.home.join("locks")).expect("locks folder");
    let lock = std::fs::File::create(test.home.join("locks").join("proj.lock")).expect("lock file");
    lock.lock().expect("hold the project lock");
    let locked = test.run().success();
    assert!(!locked.stderr.contains("(read ahead)"), "{}", locked.stderr);
    assert_eq!(locked.stdout, first.stdout);
    drop(lock);

    // A converge reads ps and inspect before it changes anything: both start ahead.
    let test = demo_one()
        .env("REYNS_READAHEAD", "1")
        .env("LOG_LEVEL", "DEBUG");
    test.run().success();
    test.run().success();
    let kept = test.run().success().stderr_has("kept 1");
    assert_eq!(
        kept.stderr.matches("(read ahead)").count(),
        2,
        "{}",
        kept.stderr
    );
    // Both started at once: the fake docker logs them in either order.
    let mut verbs = docker_verbs(&kept.docker);
    verbs.sort();
    assert_eq!(verbs, ["inspect", "ps"], "{}", kept.docker);
}

#[test]
fn env_order_does_not_change_the_hash_but_a_value_does() {
    let test = demo_one().env("AAA", "1");
    test.run().success();
    let hash = |log: &str| {
        let at = log.rfind("reyns.hash=").expect("a hash label") + 11;
        log[at..at + 64].to_string()
    };
    let raw = std::fs::read_to_string(test.docker_log_path()).unwrap();
    let first = hash(&raw);
    // The same inputs in another order of the environment: kept.
    let test = test.env("ZZZ", "2");
    let commands = test.run().success().stderr_has("kept 1").docker;
    assert!(!commands.contains("docker run"), "{commands}");
    // A changed value: recreated, with the reason in words.
    let test = test.env("EXAMPLE_ENV_VAR", "second");
    let commands = test
        .run()
        .success()
        .stderr_has("recreated 1 (proj-demo-one: env EXAMPLE_ENV_VAR changed)")
        .docker;
    // Start-first: the replacement runs and is ready under a temporary
    // name, takes the DNS name, then the old one drains, stops and goes.
    let replaced = "docker exec proj-demo-one_next /usr/local/bin/dns-register.sh 172.17.0.9\n\
        docker stop -t 10 proj-demo-one\ndocker rm --force proj-demo-one\n\
        docker rename proj-demo-one_next proj-demo-one";
    assert!(
        commands.contains(
            "docker run --detach --init --name proj-demo-one_next --env DNS_REGISTER=later "
        ) && commands.contains(replaced),
        "{commands}"
    );
    let raw = std::fs::read_to_string(test.docker_log_path()).unwrap();
    assert_ne!(first, hash(&raw));
}

#[test]
fn a_hash_that_differs_with_the_same_inputs_is_told_as_docker_arguments() {
    let test = demo_one();
    test.run().success();
    // The container as the engine remembers it, with another hash label
    // but the same inputs label: only the `docker run` argv (hashed, not
    // itemised in the inputs) can differ.
    let remembered = test.fake_container_path("proj-demo-one");
    let record = std::fs::read_to_string(&remembered).expect("the fake engine's container");
    let at = record.find("reyns.hash=").expect("a hash label") + "reyns.hash=".len();
    let altered = format!("{}{}{}", &record[..at], "0".repeat(64), &record[at + 64..]);
    std::fs::write(&remembered, altered).expect("alter the hash label");
    test.run()
        .success()
        .stderr_has("recreated 1 (proj-demo-one: docker arguments changed)");
}

#[test]
fn golden_plan_of_a_changed_platform() {
    let test = Test::demo().env("EXAMPLE_ENV_VAR", "first").args("run:all");
    test.run().success();
    let test = test
        .env("EXAMPLE_ENV_VAR", "second")
        .args("run:all,plan=True");
    let commands = test
        .run()
        .success()
        .golden_stdout("plan-changed-env")
        .docker;
    // One ps, one batched inspect: the DNS removal of the recreated instance
    // uses the addresses that inspect already gave.
    assert_eq!(
        docker_verbs(&commands),
        ["ps", "inspect"],
        "plan mode ran more:\n{commands}"
    );
    // Up to date: only keep lines.
    let test = test.env("EXAMPLE_ENV_VAR", "first");
    let out = test.run().success();
    assert!(
        out.stdout.lines().all(|line| line.starts_with("keep ")) && out.stdout.lines().count() == 4,
        "{}",
        out.stdout
    );
}

#[test]
fn orphans_are_reported_and_removed_only_when_asked() {
    let test = Test::demo()
        .env("EXAMPLE_ENV_VAR", "x")
        .args("run:demo,instance=extra,linked=False");
    test.run().success();
    let test = test.args("run:all,plan=True");
    test.run().success().stdout_has("orphan proj-demo-extra");
    let test = test.args("run:all");
    test.run()
        .success()
        .stderr_has("remove_orphans=True removes it");
    assert!(!test
        .docker_log()
        .contains("docker rm --force proj-demo-extra"));
    let test = test.args("run:all,remove_orphans=True");
    test.run().success();
    assert!(test
        .docker_log()
        .contains("docker rm --force proj-demo-extra"));
}

#[test]
fn restart_policy_defaults_by_type_and_is_checked() {
    let test = Test::demo()
        .env("SERVICE_IP", "10.0.0.5")
        .env("EXAMPLE_ENV_VAR", "x")
        .args("run:demo,instance=master,linked=False");
    test.run().success();
    assert!(test.docker_log().contains("--restart unless-stopped"));
    let test = test.args("run:demo,instance=two,linked=False,restart=always");
    test.run().success();
    assert!(test.docker_log().contains("--restart always proj/demo"));
    test.args("run:demo,instance=three,restart=sometimes")
        .run()
        .code(2)
        .stderr_has("restart=sometimes");
}

#[test]
fn rerun_recreates_through_run() {
    let test = demo_one();
    test.run().success();
    let test = test.args("rerun:demo,one");
    let commands = test.run().success().stderr_has("recreate=always").docker;
    assert!(
        commands.contains(
            "docker rm --force proj-demo-one\ndocker rename proj-demo-one_next proj-demo-one"
        ),
        "{commands}"
    );
}

#[test]
fn missing_project_image_says_to_build() {
    Test::demo()
        .args("run:demo,instance=std")
        .docker_answer("missing-images", "proj/demo\n")
        .run()
        .code(1)
        .stderr_has("image proj/demo is not built: run `reyns build:demo`")
        .created_nothing();
}

/// `build` runs `init` again when Reyns' images are the very ones `init`
/// built, from definitions other than this reyns' (an upgrade), and only
/// then: not when they match, nor for images `init` did not record, nor
/// on an unreadable record. `doctor` names it as a problem.
#[test]
fn build_rebuilds_reyns_images_built_from_other_definitions() {
    let test = Test::demo().args("init");
    test.run().success();
    let record_path = test.home.join("images-debian12.json");
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&record_path).expect("init's record"))
            .expect("JSON");
    assert_eq!(
        record["ids"]["reyns/reyns-base"], "sha256:fake-reyns/reyns-base",
        "{record}"
    );
    let builds_reyns_images = |commands: &str| {
        commands.contains("docker build --force-rm --tag reyns/reyns-common-debian12")
    };
    let test = test.args("build:demo");
    let same = test.run().success();
    assert!(!builds_reyns_images(&same.docker), "{}", same.docker);

    let mut upgraded = record.clone();
    upgraded["definition"] = "the digest of another reyns' definitions".into();
    std::fs::write(&record_path, upgraded.to_string()).unwrap();
    let test = test.args("doctor");
    test.run().code(1).stdout_has(
        "problem: Reyns' images here were built from another reyns' definitions: run `reyns init`",
    );
    let test = test.args("build:demo");
    let rebuilt = test
        .run()
        .success()
        .stderr_has("Reyns' images were built from other definitions than this reyns'");
    assert!(builds_reyns_images(&rebuilt.docker), "{}", rebuilt.docker);
    assert!(
        rebuilt
            .docker
            .contains("docker build --force-rm --tag proj/demo"),
        "{}",
        rebuilt.docker
    );

    let mut not_recorded = upgraded.clone();
    not_recorded["ids"]["reyns/reyns-base"] = "sha256:built-by-hand".into();
    std::fs::write(&record_path, not_recorded.to_string()).unwrap();
    let unjudged = test.run().success();
    assert!(
        !builds_reyns_images(&unjudged.docker),
        "{}",
        unjudged.docker
    );

    std::fs::write(&record_path, "{ not json").unwrap();
    let unreadable = test.run().success();
    assert!(
        !builds_reyns_images(&unreadable.docker),
        "{}",
        unreadable.docker
    );
}

// ---- golden docker commands ----

/// One `docker ps` JSON row as the fake docker answers it.
fn ps_row(service: &str, instance: &str, state: &str) -> String {
    format!(
        "{{\"id\":\"{service}{instance}0123456789\",\"name\":\"proj-{service}-{instance}\",\"image\":\"proj/{service}\",\"status\":\"{state}\",\"state\":\"{state}\",\"created\":\"now\",\"project\":\"proj\",\"service\":\"{service}\",\"instance\":\"{instance}\",\"instance_type\":\"standard\",\"conf\":\"default\",\"group\":\"\",\"dns\":\"\"}}\n"
    )
}

/// The fake docker's `ps` rows have the keys the engine's have, for reyns'
/// template (`tests/fixtures/ps/demo.jsonl` was captured from the engine).
#[test]
fn fake_ps_rows_have_the_keys_the_engine_prints() {
    let keys = |line: &str| -> Vec<String> {
        let row: serde_json::Map<String, serde_json::Value> = serde_json::from_str(line).unwrap();
        row.keys().cloned().collect()
    };
    let captured =
        std::fs::read_to_string(support::repo().join("tests/fixtures/ps/demo.jsonl")).unwrap();
    let engine = keys(captured.lines().next().unwrap());
    assert_eq!(keys(ps_row("demo", "one", "running").trim()), engine);
}

#[test]
fn golden_demo_build_all() {
    Test::demo()
        .args("build:all")
        .run()
        .success()
        .golden("demo-build-all");
}

#[test]
fn golden_build_without_cache() {
    Test::demo()
        .args("build:demo,cache=False")
        .run()
        .success()
        .golden("demo-build-no-cache");
}

#[test]
fn golden_demo_run_all() {
    Test::demo()
        .args("run:all")
        .env("EXAMPLE_ENV_VAR", "hello world")
        .run()
        .success()
        .golden("demo-run-all");
}

#[test]
fn golden_instance_types() {
    Test::demo()
        .args("run:demo,instance=std")
        .run()
        .success()
        .golden("type-standard");
    Test::demo()
        .args("run:demo,instance=published")
        .run()
        .success()
        .golden("type-published");
    Test::demo()
        .args("run:demo,instance=persistent")
        .run()
        .success()
        .golden("type-persistent");
    Test::demo()
        .args("run:demo,instance=master")
        .env("SERVICE_IP", "10.1.2.3")
        .run()
        .success()
        .golden("type-master");
    Test::demo()
        .args("run:demo,instance=debug")
        .run()
        .success()
        .golden("type-debug");
    Test::demo()
        .args("run:demo,instance=x,instance_type=persistent,persistent_data=False,persistent_opt=True")
        .run()
        .success()
        .golden("type-persistent-overridden");
}

#[test]
fn master_needs_service_ip() {
    Test::demo()
        .args("run:demo,instance=master")
        .run()
        .code(1)
        .stderr_has("needs SERVICE_IP")
        .created_nothing();
}

#[test]
fn golden_every_option() {
    Test::fixture("options")
        .args("run:all")
        .env("WEB_TOKEN", "t0k3n")
        .env("PUBLISH_ON_IP", "127.0.0.1")
        .run()
        .success()
        .golden("options-run-all");
    Test::fixture("options")
        .args("run:web,instance=one,publish_ports=True,safemode=True,hostname=custom,seed_command=sleep infinity")
        .env("WEB_TOKEN", "x")
        .run()
        .success()
        .golden("options-run-web");
    Test::fixture("options")
        .args("run:plain,instance=n,nethost=True,safe_persistency=True,linked=False")
        .run()
        .success()
        .golden("options-run-nethost");
    Test::fixture("options")
        .args("run:group=g2")
        .env("WEB_SERVICE_IP", "10.9.8.7")
        .run()
        .success()
        .golden("options-run-group");
    Test::fixture("options")
        .args("run:group=g2")
        .run()
        .code(1)
        .stderr_has("WEB_SERVICE_IP (for proj-plain-two)")
        .created_nothing();
}

#[test]
fn env_values_reach_docker_unchanged() {
    let out = Test::fixture("options")
        .args("run:web,instance=one")
        .env("WEB_TOKEN", "a'b \"c\" $(d) ;e")
        .run()
        .success();
    assert!(
        out.docker
            .contains(r#"--env 'WEB_TOKEN=a'\''b "c" $(d) ;e'"#),
        "{}",
        out.docker
    );
    assert!(
        out.docker
            .contains(r#"--env 'DOLLAR=$(rm -rf /); echo `id`'"#),
        "{}",
        out.docker
    );
}

#[test]
fn golden_plan_prints_and_runs_nothing() {
    let out = Test::demo()
        .args("run:all,plan=True")
        .env("EXAMPLE_ENV_VAR", "x")
        .run()
        .success();
    assert!(
        out.stdout
            .contains("docker run --detach --init --name proj-reyns-dns-one"),
        "{}",
        out.stdout
    );
    assert!(
        !out.docker.contains("docker run"),
        "plan mode ran:\n{}",
        out.docker
    );
}

#[test]
fn golden_clean_all() {
    let rows = ps_row("demo", "one", "running")
        + ps_row("demo", "two", "exited").as_str()
        + ps_row("other", "x", "running").as_str();
    Test::demo()
        .args("clean:all,force=True")
        .docker_answer("ps.jsonl", &rows)
        .docker_answer("volumes.txt", "proj-shared\nunrelated\n")
        .run()
        .success()
        .golden("demo-clean-all");
}

#[test]
fn clean_all_without_terminal_needs_force() {
    Test::demo()
        .args("clean:all")
        .docker_answer("ps.jsonl", &ps_row("demo", "one", "running"))
        .run()
        .code(1)
        .stderr_has("force=True");
}

#[test]
fn clean_of_nothing_says_so() {
    Test::demo()
        .args("clean:demo,zzz")
        .run()
        .code(1)
        .clean_error()
        .stderr_has("no instance `zzz` of `demo`");
}

#[test]
fn ps_prints_a_table_and_json() {
    let rows = ps_row("my-db", "a-b", "running") + ps_row("demo", "one", "running").as_str();
    let out = Test::demo()
        .args("ps")
        .docker_answer("ps.jsonl", &rows)
        .run()
        .success();
    assert!(out.stdout.contains("my-db,instance=a-b"), "{}", out.stdout);
    assert_eq!(
        out.docker.lines().count(),
        1,
        "one docker ps per verb:\n{}",
        out.docker
    );
    let out = Test::demo()
        .args("ps:format=json")
        .docker_answer("ps.jsonl", &rows)
        .run()
        .success();
    let parsed: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(parsed[1]["service"], "my-db");
    assert_eq!(parsed[1]["instance"], "a-b");
}

#[test]
fn golden_init_plan() {
    Test::new()
        .args("init")
        .docker_answer("missing-images", "")
        .run()
        .success()
        .golden("init");
}

// ---- concurrency and interruption ----

#[test]
fn a_second_reyns_on_the_same_project_waits_for_the_first() {
    let first = Test::demo()
        .args("run:demo,instance=a")
        .docker_answer("run-delay-ms", "1500");
    let second = Test::in_dir(&first.dir).args("run:demo,instance=b");
    let second = second.env("REYNS_HOME", &first.home.display().to_string());
    let running = first.spawn();
    std::thread::sleep(std::time::Duration::from_millis(400));
    let waited = second.spawn().wait_with_output().unwrap();
    let first_out = running.wait_with_output().unwrap();
    assert!(
        first_out.status.success(),
        "{}",
        String::from_utf8_lossy(&first_out.stderr)
    );
    assert!(
        waited.status.success(),
        "{}",
        String::from_utf8_lossy(&waited.stderr)
    );
    assert!(
        String::from_utf8_lossy(&waited.stderr)
            .contains("waiting for another reyns working on project `proj`"),
        "{}",
        String::from_utf8_lossy(&waited.stderr)
    );
}

#[test]
fn a_reyns_that_gives_up_on_the_lock_names_its_holder() {
    let test = Test::fixture("verbs").args("holdon");
    // The holder's record, as `project::lock` writes it: its pid, then when
    // it took the lock.
    std::fs::create_dir_all(test.home.join("locks")).unwrap();
    let path = test.home.join("locks").join("proj.lock");
    std::fs::write(&path, "4242\n1700000000000000000\n").unwrap();
    let lock = std::fs::File::open(&path).expect("lock file");
    lock.lock().expect("hold the project lock");
    test.run().code(1).stderr_has(
        "another reyns (pid 4242) is changing project `proj`: gave up waiting after 1 s",
    );
    drop(lock);
}

#[test]
fn ctrl_c_during_run_all_starts_nothing_new() {
    let test = Test::demo()
        .args("run:all")
        .env("EXAMPLE_ENV_VAR", "x")
        .docker_answer("run-delay-ms", "1500");
    support::interrupt_after(test.spawn(), 800);
    let log = test.docker_log();
    let started = log.lines().filter(|l| l.starts_with("docker run ")).count();
    assert_eq!(
        started, 1,
        "only the command already running finishes:\n{log}"
    );
}

#[test]
fn clean_reallyall_lists_first_and_needs_force_without_terminal() {
    let rows = ps_row("demo", "one", "running") + ps_row("other", "x", "exited").as_str();
    Test::demo()
        .args("clean:reallyall")
        .docker_answer("ps.jsonl", &rows)
        .run()
        .code(1)
        .stderr_has("removes EVERY container on this host (2)")
        .stderr_has("proj-other-x")
        .stderr_has("force=True")
        .created_nothing();
    let out = Test::demo()
        .args("clean:reallyall,force=True")
        .docker_answer("ps.jsonl", &rows)
        .run()
        .success();
    assert!(
        out.docker
            .contains("docker rm --force proj-demo-one proj-other-x"),
        "{}",
        out.docker
    );
    assert!(
        !out.docker.contains("volume rm"),
        "reallyall removes containers only:\n{}",
        out.docker
    );
}

#[test]
fn daemon_refuses_clearly_without_a_repository_or_an_origin() {
    let test = Test::new().args("daemon:once=True");
    test.run()
        .code(1)
        .stderr_has("is not in a git working tree")
        .created_nothing();
    let init = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(&test.dir)
        .status()
        .expect("git init");
    assert!(init.success());
    test.run()
        .code(1)
        .stderr_has("no remote `origin`")
        .created_nothing();
}

#[test]
fn releases_lists_the_log_or_says_there_is_none() {
    let test = Test::new().args("releases");
    test.run().success().stderr_has("no release yet");
    std::fs::create_dir_all(test.dir.join(".reyns")).unwrap();
    std::fs::write(
        test.dir.join(".reyns/releases.jsonl"),
        r#"{"commit":"0123456789abcdef","branch":"main","conf":"default","started":"2026-11-25T06:00:00Z","ended":"2026-11-25T06:01:00Z","result":"build failed","error":"could not build: web"}"#.to_string() + "\n",
    )
    .unwrap();
    test.run()
        .success()
        .stdout_has("0123456789  main")
        .stdout_has("build failed  could not build: web");
    let listed: serde_json::Value =
        serde_json::from_str(&test.args("releases:format=json").run().success().stdout).unwrap();
    assert_eq!(listed[0]["result"], "build failed");
}

#[test]
fn a_bad_volume_on_a_later_instance_fails_before_anything_starts() {
    let test = Test::new().args("run:all");
    std::fs::create_dir_all(test.dir.join("services/app")).unwrap();
    std::fs::write(
        test.dir.join("services/app/Dockerfile"),
        "FROM reyns/reyns-base\n",
    )
    .unwrap();
    std::fs::write(
        test.dir.join("default.conf"),
        r#"[{"service": "reyns-dns", "instance": "one"},
            {"service": "app", "instance": "one", "links": ["reyns-dns-one:dns"], "volumes": "no-colon-here"}]"#,
    )
    .unwrap();
    test.run()
        .code(1)
        .stderr_has("proj-app-one: volume `no-colon-here` must read src:dst")
        .created_nothing();
}

/// host.conf naming the demo's three groups as nodes, one of each kind of endpoint.
const THREE_NODES: &str = r#"{"env_vars": {}, "nodes": {"master": "tcp://10.9.0.5:2375", "node1": "ssh://ops@10.9.0.6", "node2": "context:lab2"}}"#;

#[test]
fn nodes_get_their_instances_through_docker_global_options() {
    let test = Test::demo().args("run:all,conf=default-multinode");
    std::fs::write(test.dir.join("host.conf"), THREE_NODES).unwrap();
    let out = test.run().success();
    // Each instance made, and waited for, on its node (the nodes run side
    // by side, so the order of lines across nodes varies).
    for (node, instance) in [
        ("--host tcp://10.9.0.5:2375", "reyns-dns-main"),
        ("--host tcp://10.9.0.5:2375", "demo-main"),
        ("--host ssh://ops@10.9.0.6", "demo-onenode1"),
        ("--host ssh://ops@10.9.0.6", "demo-twonode1"),
        ("--context lab2", "demo-onenode2"),
        ("--context lab2", "demo-twonode2"),
    ] {
        for command in [
            format!("docker {node} run --detach --init --name proj-{instance} "),
            format!("docker {node} logs --follow --since "),
        ] {
            assert!(out.docker.contains(&command), "{command}:\n{}", out.docker);
        }
    }
    assert_eq!(
        out.docker.matches(" run --detach ").count(),
        6,
        "{}",
        out.docker
    );
    // from_eth0 read on each node, in a host-network container there.
    for node in [
        "--host tcp://10.9.0.5:2375",
        "--host ssh://ops@10.9.0.6",
        "--context lab2",
    ] {
        assert!(
            out.docker.contains(&format!("docker {node} run --rm --pull never --network host --entrypoint ip reyns/reyns-base -4 -o addr show dev eth0")),
            "{node}:\n{}",
            out.docker
        );
    }
    // Every instance on a node registers on the master's DNS, unasked.
    assert_eq!(
        out.docker.matches("DNS_SERVICE_IP=10.9.0.5").count(),
        5,
        "{}",
        out.docker
    );
}

#[test]
fn ps_lists_every_node_and_names_one_that_does_not_answer() {
    let test = Test::demo()
        .args("ps:format=json")
        .docker_answer("fail-on", "docker --context lab2 ps\n")
        .docker_answer("ps.jsonl", &ps_row("demo", "one", "running"));
    std::fs::write(test.dir.join("host.conf"), THREE_NODES).unwrap();
    let out = test.run().code(1).stderr_has("node node2 does not answer");
    let rows: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let nodes: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["node"].as_str().unwrap())
        .collect();
    assert_eq!(nodes, ["local", "master", "node1"], "{}", out.stdout);
}

#[test]
fn a_replacement_that_never_gets_ready_is_removed_and_the_old_one_kept() {
    let test = demo_one();
    test.run().success();
    let old = std::fs::read_to_string(test.fake_container_path("proj-demo-one")).unwrap();
    // The replacement's readiness check (`# reyns: ready tcp 22`) fails.
    let test = test
        .env("EXAMPLE_ENV_VAR", "second")
        .args("run:demo,instance=one,timeout=1")
        .docker_answer("fail-on", "docker exec proj-demo-one_next /bin/sh\n");
    let out = test
        .run()
        .code(1)
        .stderr_has("its replacement did not become ready and was removed; the old proj-demo-one keeps running unchanged")
        .stderr_has("the readiness check `tcp 22` did not pass within 1 s");
    let after_ready = ["dns-register.sh", "docker stop", "docker rename"];
    assert!(
        after_ready.iter().all(|step| !out.docker.contains(step)),
        "{}",
        out.docker
    );
    assert!(
        out.docker
            .ends_with("docker rm --force proj-demo-one_next\n"),
        "{}",
        out.docker
    );
    assert!(!test.fake_container_path("proj-demo-one_next").exists());
    assert_eq!(
        std::fs::read_to_string(test.fake_container_path("proj-demo-one")).unwrap(),
        old
    );
}

#[test]
fn a_failed_step_after_the_name_moved_is_not_called_an_undone_replacement() {
    let test = demo_one();
    test.run().success();
    let test = test
        .env("EXAMPLE_ENV_VAR", "second")
        .docker_answer("fail-on", "docker rename proj-demo-one_next\n");
    let out = test
        .run()
        .code(1)
        .stderr_has("proj-demo-one did not start:");
    assert!(!out.stderr.contains("was removed"), "{}", out.stderr);
    assert!(
        !out.docker.contains("docker rm --force proj-demo-one_next"),
        "{}",
        out.docker
    );
}

#[test]
fn a_bad_dns_ttl_is_named_before_anything_changes() {
    let test = Test::demo().args("run:all,conf=ttl");
    std::fs::write(
        test.dir.join("ttl.conf"),
        r#"[{"service": "demo", "instance": "one", "env_vars": {"DNS_TTL": "2s"}}]"#,
    )
    .unwrap();
    test.run()
        .code(1)
        .stderr_has("proj-demo-one: DNS_TTL must be whole seconds, not `2s`")
        .created_nothing();
}

#[test]
fn the_plan_says_how_each_recreate_replaces() {
    let test = demo_one();
    test.run().success();
    let test = test.env("EXAMPLE_ENV_VAR", "second");
    let test = test.args("run:demo,instance=one,plan=True");
    test.run()
        .success()
        .stdout_has("recreate proj-demo-one (start-first): env EXAMPLE_ENV_VAR changed");
    let test = test.args("run:demo,instance=one,plan=True,update_order=stop-first");
    test.run().success().stdout_has(
        "recreate proj-demo-one (stop-first, update_order=stop-first): env EXAMPLE_ENV_VAR changed",
    );
    let test = test.args("run:demo,instance=one,plan=True,extra_args=--publish 8080:80");
    test.run()
        .success()
        .stdout_has("recreate proj-demo-one (stop-first, extra_args publishes ports): ");
    let test =
        test.args("run:demo,instance=one,plan=True,extra_args=--cap-add NET_ADMIN --network host");
    test.run()
        .success()
        .stdout_has("recreate proj-demo-one (stop-first, extra_args uses the host network): ");
    let test = test.args("run:demo,instance=one,plan=True,persistent_data=True");
    test.run()
        .success()
        .stdout_has("recreate proj-demo-one (stop-first, persistent data): ")
        .stdout_has(
            "docker stop -t 10 proj-demo-one\ndocker rm --force proj-demo-one\ndocker run ",
        );
    test.args("run:demo,instance=one,update_order=sideways")
        .run()
        .code(2)
        .stderr_has("update_order=sideways: use start-first or stop-first");
}
