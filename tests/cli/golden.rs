//! The docker commands of each verb, pinned in golden files (`tests/golden/`).

use super::*;

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
fn golden_init_plan() {
    Test::new()
        .args("init")
        .docker_answer("missing-images", "")
        .run()
        .success()
        .golden("init");
}

// ---- concurrency and interruption ----

/// A stock image (`"image"` in a conf entry) beside the demo's DNS: the
/// image's own command, its EXPOSEd port published where `ports` maps it,
/// its VOLUME under the data folder, its resolver on the DNS, a wait with
/// no marker, and the DNS registration sent through the DNS's container
/// with the address filled in once it runs.
#[test]
fn golden_stock_image() {
    stock_test("run:all,conf=stock")
        .run()
        .success()
        .golden("stock-run-all");
}

/// Planned from nothing, the DNS the stock instance links to has no address
/// yet: the plan still says everything it would run.
#[test]
fn golden_stock_image_planned_from_nothing() {
    stock_test("run:all,conf=stock,plan=True")
        .run()
        .success()
        .golden_stdout("stock-plan-from-nothing");
}

/// The demo with `stock.conf`: its DNS and a database's stock image linked
/// to it, the image's config answered by the fake docker.
fn stock_test(line: &str) -> Test {
    let test = Test::demo().args(line).docker_answer(
        "image-config",
        r#"{"ExposedPorts": {"5432/tcp": {}}, "Volumes": {"/var/lib/db": {}}}"#,
    );
    std::fs::write(
        test.dir.join("stock.conf"),
        r#"[{"service": "reyns-dns", "instance": "one"},
            {"service": "db", "instance": "one", "image": "registry.test:5000/team/db:16",
             "instance_type": "persistent", "publish_ports": true, "ports": {"5432": 15432}, "command": ["db-server", "--fast"],
             "ready": "cmd db-ready -q", "links": ["reyns-dns-one:dns"]}]"#,
    )
    .unwrap();
    test
}

/// An image the engine lacks is pulled once; when no registry answers, the
/// error names it and says how to bring it, and no container is made.
#[test]
fn a_stock_image_that_cannot_be_pulled_is_named() {
    let test = Test::demo()
        .args("run:all,conf=stock")
        .docker_answer("missing-images", "redis:7\n");
    std::fs::write(
        test.dir.join("stock.conf"),
        r#"[{"service": "cache", "instance": "one", "image": "redis:7"}]"#,
    )
    .unwrap();
    let out = test.run().created_nothing();
    assert_eq!(out.code, 1);
    assert_eq!(out.stderr.lines().count(), 2, "{}", out.stderr);
    out.stderr_has("pulling redis:7\nreyns: error: image redis:7 is not on this engine and `docker pull redis:7` failed")
        .stderr_has("`docker load -i <file>`");
}
