//! End to end on the real Docker engine: compose files written here,
//! imported with `reyns import:compose` and run with `run:all`. The
//! images they name are stand-ins built here from Debian (no registry
//! answers on this machine), under the names the files use. Checked: two
//! services with a command, found by name; `depends_on` order with
//! `init: true`; a service others wait for until its healthcheck passes
//! (`service_healthy`), with an interpolated label; a published
//! `127.0.0.1:<port>:8000` answering from the host; a one-shot job gating
//! a long-running service and not run again by a second `run:all`; a
//! profile's service left out of `run:all` and started by
//! `run:<service>` with its `env_file`; a failing job making `run:all`
//! fail naming it and its code while the others run; a missing
//! `env_file` refused by name before any container; after each import
//! and run, a plan that changes nothing.

mod support;

use support::engine::{docker, docker_both_streams, docker_may_fail, docker_with_input, Project};

/// Every stand-in's image: Debian with perl (in every Debian image), a
/// tiny TCP/HTTP server and client in `/usr/local/bin`.
const TOOLS: &str = r#"FROM debian:bookworm-slim
RUN printf '%s\n' '#!/usr/bin/perl' \
 'use IO::Socket::INET; $SIG{TERM} = sub { exit 0 }; my ($port, $say) = @ARGV;' \
 'my $s = IO::Socket::INET->new(LocalPort => $port, Listen => 5, ReuseAddr => 1) or die "listen: $!";' \
 'while (my $c = $s->accept) { print $c "HTTP/1.0 200 OK\r\n\r\n$say\n"; close $c; }' > /usr/local/bin/serve \
 && printf '%s\n' '#!/usr/bin/perl' \
 'use IO::Socket::INET; my ($host, $port) = @ARGV;' \
 'my $c = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port, Timeout => 3) or die "cannot reach $host:$port: $!\n";' \
 'print $c "GET / HTTP/1.0\r\n\r\n"; print while <$c>;' > /usr/local/bin/ask \
 && chmod +x /usr/local/bin/serve /usr/local/bin/ask
"#;

/// A free TCP port on 127.0.0.1 (the kernel's choice, released at once).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

/// What an HTTP GET of `127.0.0.1:port` answered ("" when nothing did).
fn get(port: u16) -> String {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return String::new();
    };
    let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(3)));
    let _ = stream.write_all(b"GET / HTTP/1.0\r\n\r\n");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}

/// When a container started, as docker says it (RFC 3339, sortable as text).
fn started_at(container: &str) -> String {
    docker(&["inspect", "--format", "{{.State.StartedAt}}", container])
        .trim()
        .to_string()
}

/// A stand-in image under `name`, removed when the test ends.
struct Image(String);

impl Image {
    fn build(name: &str) -> Image {
        let out = docker_with_input(&["build", "--quiet", "--tag", name, "-"], TOOLS);
        assert!(
            out.status.success(),
            "docker build {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Image(name.to_string())
    }
}

impl Drop for Image {
    fn drop(&mut self) {
        docker_may_fail(&["rmi", "--force", &self.0]);
    }
}

#[test]
fn a_compose_file_imports_and_runs() {
    let project = Project::new();
    let image = format!("{}-stand-in/tools:1", project.name);
    let _image = Image::build(&image);
    let port = free_port();
    std::fs::create_dir_all(project.dir.join("state")).unwrap();
    project.file(".env", &format!("WEB_PORT={port}\nTIER=gold\n"));
    project.file("debug.env", "GREETING=from-env-file\n");
    project.file(
        "compose.yaml",
        &format!(
            r#"x-tools: &tools
  image: {image}
  init: true
services:
  db:
    <<: *tools
    command: ["sh", "-c", "sleep 2; exec serve 7000 db-ok"]
    healthcheck:
      test: ["CMD-SHELL", "ask 127.0.0.1 7000"]
      interval: 1s
      retries: 3
    labels:
      tier: "${{TIER}}"
  migrate:
    <<: *tools
    command: ["sh", "-c", "ask db 7000 && echo migrated >> /state/migrations"]
    volumes:
      - ./state:/state
    depends_on:
      db:
        condition: service_healthy
  web:
    <<: *tools
    command: ["sh", "-c", "test -s /state/migrations && exec serve 8000 web-${{TIER:-none}}"]
    volumes:
      - ./state:/state:ro
    ports:
      - "127.0.0.1:${{WEB_PORT}}:8000"
    depends_on:
      migrate:
        condition: service_completed_successfully
  worker:
    <<: *tools
    command: sh -c 'for i in $$(seq 50); do ask web 8000 > /tmp/seen 2>/dev/null && break; sleep 0.2; done; exec sleep infinity'
    depends_on: [web]
  api:
    build:
      context: ./api
      args:
        ANSWER: built-here
    init: true
  debug:
    <<: *tools
    command: ["sh", "-c", "exec serve 9000 \"$$GREETING\""]
    env_file: debug.env
    profiles: [debug]
"#
        ),
    );
    std::fs::create_dir_all(project.dir.join("api")).unwrap();
    project.file(
        "api/Dockerfile",
        &format!("FROM {image}\nARG ANSWER\nENV ANSWER=$ANSWER\nCMD [\"sh\", \"-c\", \"exec serve 8100 $ANSWER\"]\n"),
    );
    project
        .reyns("import:compose")
        .run()
        .success()
        .stderr_has("wrote")
        .stderr_has("reyns build:all (builds api)");
    // The build: service is built from its own context and Dockerfile.
    project
        .reyns("build:all")
        .run()
        .success()
        .stderr_has("built: api");
    let conf = std::fs::read_to_string(project.dir.join("default.conf")).unwrap();
    assert!(
        conf.contains(r#""tier": "gold""#) || conf.contains(r#""tier":"gold""#),
        "{conf}"
    );
    // A second import does not overwrite the conf.
    project
        .reyns("import:compose")
        .run()
        .code(2)
        .stderr_has("force=True");

    project.reyns("run:all").run().success();
    let db = project.container("db", "1");
    let web = project.container("web", "1");
    let worker = project.container("worker", "1");
    let migrate = project.container("migrate", "1");
    // The dependants started once what they wait for was up: db healthy
    // before the job, the job completed before web, web started before
    // the worker (which reached it by name).
    assert!(started_at(&migrate) > started_at(&db));
    assert!(started_at(&web) > started_at(&migrate));
    assert!(started_at(&worker) >= started_at(&web));
    assert_eq!(
        docker(&["exec", &worker, "cat", "/tmp/seen"])
            .lines()
            .last(),
        Some("web-gold")
    );
    assert_eq!(
        docker(&[
            "inspect",
            "--format",
            "{{.HostConfig.Init}} {{index .Config.Labels \"tier\"}}",
            &db
        ])
        .trim(),
        "true gold"
    );
    assert!(get(port).ends_with("web-gold\n"), "{}", get(port));
    let ask_api = || docker_may_fail(&["exec", &worker, "ask", "api", "8100"]).unwrap_or_default();
    let asked = support::engine::eventually(10, || ask_api().trim_end().ends_with("built-here"));
    assert!(
        asked,
        "{:?} {}",
        ask_api(),
        docker_both_streams(&["logs", &project.container("api", "1")])
    );
    assert_eq!(
        docker(&[
            "inspect",
            "--format",
            "{{.State.Status}} {{.State.ExitCode}}",
            &migrate
        ])
        .trim(),
        "exited 0"
    );
    project
        .reyns("ps:all")
        .run()
        .success()
        .stdout_has("completed (job)");
    // The profile's service is not run by run:all.
    assert!(docker_may_fail(&["inspect", &project.container("debug", "1")]).is_none());

    // Unchanged: a second run:all keeps everything and runs the job no
    // more; the plan changes nothing.
    project
        .reyns("run:all")
        .run()
        .success()
        .stderr_has("recreated 0");
    let migrations = std::fs::read_to_string(project.dir.join("state/migrations")).unwrap();
    assert_eq!(migrations, "migrated\n");
    let plan = project.reyns("run:all,plan=True").run().success();
    assert!(
        !plan.stdout.lines().any(|line| [
            "create ",
            "start ",
            "recreate ",
            "orphan ",
            "docker run",
            "docker rm",
            "docker stop"
        ]
        .iter()
        .any(|changing| line.starts_with(changing))),
        "a plan of an unchanged import changes something:\n{}",
        plan.stdout
    );
    // run:<job> runs it again on demand.
    project.reyns("run:migrate").run().success();
    assert_eq!(
        std::fs::read_to_string(project.dir.join("state/migrations")).unwrap(),
        "migrated\nmigrated\n"
    );

    // run:<service> starts a profile's service, with its env_file.
    project.reyns("run:debug").run().success();
    let debug = project.container("debug", "1");
    assert_eq!(
        docker(&["exec", &worker, "ask", "debug", "9000"])
            .lines()
            .last(),
        Some("from-env-file")
    );
    assert!(docker(&["inspect", "--format", "{{.State.Running}}", &debug]).trim() == "true");

    // A failing job: run fails naming it and its code; what does not wait
    // for it runs; what does is not started.
    project.file(
        "failing.yaml",
        &format!(
            r#"services:
  broken:
    image: {image}
    command: ["sh", "-c", "echo half done; return 111"]
  needs-broken:
    image: {image}
    command: ["sleep", "infinity"]
    depends_on:
      broken:
        condition: service_completed_successfully
  alone:
    image: {image}
    command: ["sleep", "infinity"]
"#
        ),
    );
    project
        .reyns("import:compose,file=failing.yaml,conf=failing")
        .run()
        .success();
    let failed = project
        .reyns("run:all,conf=failing")
        .run()
        .code(1)
        .stderr_has(&format!(
            "job {} failed (exit code 111): half done",
            project.container("broken", "1")
        ))
        .stderr_has(&project.container("needs-broken", "1"));
    let last = failed.stderr.lines().last().unwrap_or_default();
    assert!(last.starts_with("reyns: error: job "), "{}", failed.stderr);
    assert_eq!(
        docker(&[
            "inspect",
            "--format",
            "{{.State.Running}}",
            &project.container("alone", "1")
        ])
        .trim(),
        "true"
    );
    assert!(docker_may_fail(&["inspect", &project.container("needs-broken", "1")]).is_none());

    // reyns killed while a job runs: the next run:all waits for the job it
    // finds running before it starts what needs it completed.
    project.file(
        "slow.yaml",
        &format!(
            "services:\n  slowjob:\n    image: {image}\n    command: [\"sh\", \"-c\", \"sleep 4; echo done > /state/slow\"]\n    volumes: [\"./state:/state\"]\n  after-slow:\n    image: {image}\n    command: [\"sh\", \"-c\", \"test -s /state/slow && exec sleep infinity\"]\n    volumes: [\"./state:/state:ro\"]\n    depends_on:\n      slowjob: {{condition: service_completed_successfully}}\n"
        ),
    );
    project
        .reyns("import:compose,file=slow.yaml,conf=slow")
        .run()
        .success();
    let mut killed = std::process::Command::new(support::reyns_bin())
        .args(["run:all,conf=slow"])
        .current_dir(&project.dir)
        .env("PROJECT_NAME", &project.name)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let slowjob = project.container("slowjob", "1");
    assert!(support::engine::eventually(20, || docker_may_fail(&[
        "inspect",
        "--format",
        "{{.State.Running}}",
        &slowjob
    ])
    .as_deref()
        == Some("true")));
    killed.kill().unwrap();
    killed.wait().unwrap();
    project
        .reyns("run:all,conf=slow")
        .run()
        .success()
        .stderr_has("a job an earlier run left running, completed");
    assert_eq!(
        docker(&[
            "inspect",
            "--format",
            "{{.State.Running}}",
            &project.container("after-slow", "1")
        ])
        .trim(),
        "true"
    );

    // A missing env_file: refused by name before any container.
    project.file(
        "missing.yaml",
        &format!("services:\n  lonely:\n    image: {image}\n    env_file: nowhere.env\n"),
    );
    project
        .reyns("import:compose,file=missing.yaml,conf=missing")
        .run()
        .success();
    project
        .reyns("run:all,conf=missing")
        .run()
        .clean_error()
        .stderr_has("nowhere.env");
    assert!(docker_may_fail(&["inspect", &project.container("lonely", "1")]).is_none());
}
