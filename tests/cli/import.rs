//! `import:compose`: what a compose file becomes (the conf it writes, the
//! notes with their lines), and the files it refuses: one line naming the
//! line at fault, exit 2, nothing written.

use super::*;

/// A project folder holding `compose.yaml` with `text` (kept while the
/// returned folder lives: a test's run drops its own), and a test in it.
fn with_compose(text: &str) -> (tempfile::TempDir, Test) {
    let root = support::temp_dir();
    std::fs::write(root.path().join("compose.yaml"), text).unwrap();
    let test = Test::in_dir(root.path());
    (root, test)
}

#[test]
fn a_compose_file_becomes_a_conf_with_notes_by_line() {
    let (_root, test) = with_compose(
        "services:\n  db:\n    image: postgres:16\n    environment:\n      - POSTGRES_PASSWORD=${PW:-dev}\n    volumes: [\"pgdata:/var/lib/postgresql/data\"]\n    healthcheck:\n      test: [\"CMD\", \"pg_isready\", \"-q\"]\n      interval: 2s\n  web:\n    build: ./web\n    ports: [\"127.0.0.1:8001:8000\"]\n    depends_on:\n      db: {condition: service_healthy}\n    network_mode: \"service:db\"\n    deploy: {replicas: 3}\nvolumes:\n  pgdata:\n",
    );
    let dir = test.dir.clone();
    test.args("import:compose")
        .run()
        .success()
        .stderr_has("compose.yaml:15: network_mode: service:db is not supported")
        .stderr_has("compose.yaml:16: deploy: replicas: 3 is not supported: this changes what runs")
        .created_nothing();
    let conf: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("default.conf"))
            .unwrap()
            .lines()
            .filter(|line| !line.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n"),
    )
    .unwrap();
    let db = &conf[1];
    assert_eq!(db["service"], "db");
    assert_eq!(db["env_vars"]["POSTGRES_PASSWORD"], "dev");
    assert_eq!(db["volumes"][0], "/var/lib/postgresql/data");
    assert_eq!(db["persistent_data"], true);
    assert_eq!(db["ready"], "cmd pg_isready -q");
    assert_eq!(db["health"]["interval"], "2s");
    let web = &conf[2];
    assert_eq!(web["build"]["context"], "./web");
    assert_eq!(web["ports"]["8000"], "127.0.0.1:8001");
    assert_eq!(web["depends_on"]["db"], "ready");
    assert_eq!(conf[0]["service"], "reyns-dns");
}

#[test]
fn a_plan_prints_the_conf_and_writes_nothing() {
    let (_root, test) = with_compose(
        "services:\n  serviceA:\n    image: redis:7\n    command: redis-server --save \"\"\n",
    );
    let dir = test.dir.clone();
    test.args("import:compose,plan=True")
        .run()
        .success()
        .stdout_has(r#""service": "serviceA""#)
        .stdout_has(r#""command": "redis-server --save \"\"""#);
    assert!(!dir.join("default.conf").exists());
}

#[test]
fn files_compose_refuses_are_named_by_line_and_nothing_is_written() {
    let cases = [
        ("services:\n  web:\n    image: [a\n", "compose.yaml:4:"),
        ("services:\n  web: {image: a}\nservice: {}\n", "compose.yaml:3: unknown top-level key `service`"),
        (
            "services:\n  web:\n    image: a\n    depends_on: [db]\n",
            "compose.yaml:4: service `web` depends on `db`, which is not a service of this file",
        ),
        (
            "services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [a]\n",
            "a dependency cycle: a -> b -> a",
        ),
        ("services:\n  web:\n    image: ${TAG:?set TAG}\n", "compose.yaml:3:12: variable TAG is not set: set TAG"),
    ];
    for (text, said) in cases {
        let (_root, test) = with_compose(text);
        let dir = test.dir.clone();
        test.args("import:compose")
            .run()
            .code(2)
            .clean_error()
            .stderr_has(said);
        assert!(!dir.join("default.conf").exists(), "{text}");
    }
    // An existing conf is kept unless force=True.
    let (_root, test) = with_compose("services:\n  web: {image: a}\n");
    std::fs::write(test.dir.join("default.conf"), "[]").unwrap();
    let dir = test.dir.clone();
    test.args("import:compose")
        .run()
        .code(2)
        .stderr_has("force=True");
    assert_eq!(
        std::fs::read_to_string(dir.join("default.conf")).unwrap(),
        "[]"
    );
}

#[test]
fn an_imported_conf_runs_with_its_compose_settings() {
    let (_root, test) = with_compose(
        "services:\n  db:\n    image: postgres:16\n    healthcheck:\n      test: pg_isready\n      interval: 5s\n      start_period: 1m\n    labels: {tier: gold}\n    stop_signal: SIGINT\n    stop_grace_period: 1m30s\n    cap_add: [NET_ADMIN]\n    restart: always\n  seed:\n    image: postgres:16\n    command: psql -c 'select 1'\n    restart: always\n  app:\n    image: app:1\n    depends_on:\n      seed: {condition: service_completed_successfully}\n",
    );
    let dir = test.dir.clone();
    test.args("import:compose").run().success();
    let plan = Test::in_dir(&dir).args("run:all,plan=True").run().success();
    let run_of = |service: &str| {
        plan.stdout
            .lines()
            .find(|line| {
                line.starts_with("docker run")
                    && line.contains(&format!("--name proj-{service}-1 "))
            })
            .unwrap_or_else(|| panic!("no run of {service}:\n{}", plan.stdout))
            .to_string()
    };
    let db = run_of("db");
    for flag in [
        "--label 'tier=gold'",
        "--stop-signal SIGINT",
        "--stop-timeout 90",
        "--cap-add NET_ADMIN",
        "--health-interval 5s",
        "--health-start-period 1m",
        "--restart always",
    ] {
        assert!(db.contains(flag), "{flag} not in {db}");
    }
    // The job others wait to complete: labelled, never restarted.
    let seed = run_of("seed");
    assert!(
        seed.contains("--label 'reyns.job=true'") && !seed.contains("--restart"),
        "{seed}"
    );
}

#[test]
fn nulls_tmpfs_extends_and_home_paths_as_compose_means_them() {
    let (_root, test) = with_compose(
        "services:\n  api:\n    image: a:1\n    command: null\n    extends: {file: base.yml, service: base}\n    volumes:\n      - type: tmpfs\n        target: /scratch\n      - ~/certs:/certs:ro\n",
    );
    let out = test
        .args("import:compose,plan=True")
        .run()
        .success()
        .stderr_has("compose.yaml:5: extends: is not supported: this changes what runs");
    assert!(!out.stdout.contains("\"command\""), "{}", out.stdout);
    assert!(out.stdout.contains("--tmpfs /scratch"), "{}", out.stdout);
    assert!(
        out.stdout.contains(":/certs:ro") && !out.stdout.contains("~/certs"),
        "{}",
        out.stdout
    );
}
