//! Bad confs and settings: one line naming the file, line and key, and nothing created.

use super::*;

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
        .stderr_has("broken.conf:3:3: unknown key `persistent_dat` in entry 1; did you mean persistent_data or persistent_opt?")
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
