//! ps, clean, the project lock, Ctrl-C, the daemon's refusals, releases, and nodes.

use super::*;

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
        out.docker.matches(" run --detach --init ").count(),
        6,
        "{}",
        out.docker
    );
    // The published DNS's tcp/53 is held by a front door on its node (the
    // demo's instances publish no port: no door).
    let door = "docker --host tcp://10.9.0.5:2375 run --detach --name proj-reyns-dns-main_door --network host ";
    assert!(out.docker.contains(door), "{door}:\n{}", out.docker);
    assert_eq!(
        out.docker.matches("_door --network host ").count(),
        1,
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

/// A node that does not answer holds back its own instances only: the
/// others are made on their nodes, and the run fails naming the node and
/// what it did not run.
#[test]
fn run_all_converges_the_nodes_that_answer_and_names_the_one_that_does_not() {
    let test = Test::demo()
        .args("run:all,conf=default-multinode")
        .docker_answer("fail-on", "docker --context lab2 ps\n");
    std::fs::write(test.dir.join("host.conf"), THREE_NODES).unwrap();
    let out = test
        .run()
        .code(1)
        .stderr_has("\nreyns: error: node node2 does not answer")
        .stderr_has("proj-demo-onenode2, proj-demo-twonode2 not run")
        .stderr_has("the others converged: created 4");
    assert_eq!(
        out.docker.matches(" run --detach --init ").count(),
        4,
        "{}",
        out.docker
    );
    assert!(!out.docker.contains("--context lab2 run"), "{}", out.docker);
}

/// A Docker engine that stops answering does not hang reyns: the command
/// is given up after `REYNS_DOCKER_TIMEOUT` seconds, named in one line.
#[test]
fn a_docker_that_hangs_is_given_up_on_and_named() {
    let test = Test::demo();
    let hanging = test.dir.join("hanging-docker");
    std::fs::write(&hanging, "#!/bin/sh\nexec sleep 60\n").unwrap();
    std::fs::set_permissions(
        &hanging,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let started = std::time::Instant::now();
    test.args("ps")
        .env("REYNS_DOCKER", hanging.to_str().unwrap())
        .env("REYNS_DOCKER_TIMEOUT", "1")
        .run()
        .code(1)
        .clean_error()
        .stderr_has("`docker ps --no-trunc --format")
        .stderr_has("did not end within 1 s: is the Docker engine stuck?");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "reyns waited for the hanging docker"
    );
}
