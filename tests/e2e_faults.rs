//! End to end on the real Docker engine: faults, and one `run:all` healing
//! them. What a reyns killed in mid-recreate leaves (`<name>_next`,
//! `<name>_old`, or no `<name>` at all) is removed by the next run whatever
//! it decides for the instance: made as such states by hand (every moment a
//! kill can land in), then by SIGKILLs at spread moments of a start-first
//! converge. The full counts, and the other faults, are `bench/faults`'.

mod support;

use support::engine::{docker, docker_may_fail, Project};

/// A reyns-base service whose entry takes `V` from the conf, so a changed
/// value recreates it start-first.
fn project_with(value: &str) -> Project {
    let project = Project::new();
    project.service("svc", "FROM reyns/reyns-base\n", &[]);
    write_conf(&project, value);
    project
}

fn write_conf(project: &Project, value: &str) {
    project.file(
        "default.conf",
        &format!(r#"[{{"service": "svc", "instance": "one", "env_vars": {{"V": "{value}"}}}}]"#),
    );
}

/// The names of the project's containers and whether each runs, sorted.
fn containers_of(project: &Project) -> Vec<(String, bool)> {
    let filter = format!("label=reyns.project={}", project.name);
    let mut rows: Vec<(String, bool)> = docker(&[
        "ps",
        "-a",
        "--filter",
        &filter,
        "--format",
        "{{.Names}} {{.State}}",
    ])
    .lines()
    .filter_map(|line| line.split_once(' '))
    .map(|(name, state)| (name.to_string(), state == "running"))
    .collect();
    rows.sort();
    rows
}

/// The `docker run` argv (without `docker`) the plan gives for the
/// instance (`recreate=always`, so there always is one), with its `--name`
/// changed to `name`.
fn planned_run(project: &Project, name: &str) -> Vec<String> {
    let plan = project
        .reyns("run:svc,one,plan=True,recreate=always")
        .run()
        .success()
        .stdout;
    let line = plan
        .lines()
        .find(|line| line.starts_with("docker run "))
        .unwrap_or_else(|| panic!("no docker run in the plan:\n{plan}"));
    let mut words = shell_words::split(line).expect("the plan's line splits");
    words.remove(0);
    let at = words
        .iter()
        .position(|word| word == "--name")
        .expect("--name")
        + 1;
    words[at] = name.to_string();
    words
}

/// SIGKILLs a reyns `after_ms` from now, then leaves the docker command it
/// was running time to end by itself, as after any kill.
fn kill_after(mut reyns: std::process::Child, after_ms: u64) {
    std::thread::sleep(std::time::Duration::from_millis(after_ms));
    reyns.kill().expect("SIGKILL reyns");
    reyns.wait().expect("reap reyns");
    std::thread::sleep(std::time::Duration::from_millis(1500));
}

/// One plain `run:all`, after a kill at `after_ms`: it succeeds and leaves
/// exactly the instance `one`, running.
fn heal_to_the_one_instance(project: &Project, one: &str, after_ms: u64) {
    let healed = project.reyns("run:all").run();
    assert_eq!(
        healed.code, 0,
        "after a kill at {after_ms} ms: {}",
        healed.stderr
    );
    assert_eq!(
        containers_of(project),
        [(one.to_string(), true)],
        "after a kill at {after_ms} ms and one run:all"
    );
}

/// The value of `V` in a container's env.
fn value_in(container: &str) -> String {
    docker(&[
        "inspect",
        "--format",
        "{{range .Config.Env}}{{println .}}{{end}}",
        container,
    ])
    .lines()
    .find_map(|line| line.strip_prefix("V=").map(str::to_string))
    .unwrap_or_default()
}

#[test]
fn what_an_interrupted_recreate_left_is_removed_whatever_the_next_run_decides() {
    let project = project_with("a");
    let one = project.container("svc", "one");
    let (next, old) = (format!("{one}_next"), format!("{one}_old"));
    project.reyns("build:all").run().success();
    project.reyns("run:all").run().success();

    // Killed between the renames: the old instance drains as `_old`, the
    // replacement still runs as `_next`, no container has the name.
    docker(&["rename", &one, &old]);
    let argv = planned_run(&project, &next);
    docker(&argv.iter().map(String::as_str).collect::<Vec<_>>());
    project
        .reyns("run:all,plan=True")
        .run()
        .success()
        .stdout_has(&format!(
            "create {one} (removes {next}, {old}, left by an interrupted recreate)"
        ));
    project.reyns("run:all").run().success();
    assert_eq!(containers_of(&project), [(one.clone(), true)]);

    // Killed after both renames: the instance is as the conf says (kept),
    // its predecessor still drains as `_old`.
    docker(&["rename", &one, &old]);
    let argv = planned_run(&project, &one);
    let kept = docker(&argv.iter().map(String::as_str).collect::<Vec<_>>());
    project
        .reyns("run:all,plan=True")
        .run()
        .success()
        .stdout_has(&format!(
            "keep {one} (removes {old}, left by an interrupted recreate)"
        ));
    project.reyns("run:all").run().success();
    assert_eq!(containers_of(&project), [(one.clone(), true)]);
    assert_eq!(docker(&["inspect", "--format", "{{.Id}}", &one]), kept);

    // Killed before its replacement ran: a stopped instance and a `_next`
    // made but not started; the next run starts the one and removes the other.
    docker(&["stop", "--time", "1", &one]);
    let mut argv = planned_run(&project, &next);
    argv.retain(|word| word != "--detach");
    argv[0] = "create".to_string();
    docker(&argv.iter().map(String::as_str).collect::<Vec<_>>());
    project.reyns("run:all").run().success();
    assert_eq!(containers_of(&project), [(one.clone(), true)]);
    assert!(docker_may_fail(&["inspect", &next]).is_none());
}

#[test]
fn sigkill_at_any_moment_of_a_start_first_converge_is_healed_by_one_run() {
    let project = project_with("v0");
    let one = project.container("svc", "one");
    project.reyns("build:all").run().success();
    project.reyns("run:all").run().success();
    // From the converge's first docker command to its old container's
    // removal (about a second here), the kill lands in each part of it.
    for (trial, kill_after_ms) in [150u64, 400, 650, 900, 1200].into_iter().enumerate() {
        let value = format!("v{}", trial + 1);
        write_conf(&project, &value);
        kill_after(project.reyns("run:all").spawn(), kill_after_ms);
        heal_to_the_one_instance(&project, &one, kill_after_ms);
        assert_eq!(value_in(&one), value, "after a kill at {kill_after_ms} ms");
        project
            .reyns("run:all,plan=True")
            .run()
            .success()
            .stdout_has(&format!("keep {one}"));
    }
}

#[test]
fn a_build_step_left_by_a_killed_build_is_removed_by_the_next_run() {
    let project = project_with("a");
    project.reyns("build:all").run().success();
    project.reyns("run:all").run().success();
    let one = project.container("svc", "one");
    // A step that takes a few seconds, killed while its container runs.
    project.service("svc", "FROM reyns/reyns-base\nRUN sleep 4\n", &[]);
    let mut build = project.reyns("build:all").spawn();
    let filter = format!("label=reyns.project={}", project.name);
    let step = || {
        docker(&["ps", "-a", "--filter", &filter, "--format", "{{.Names}}"])
            .lines()
            .find(|name| *name != one)
            .map(str::to_string)
    };
    assert!(
        support::engine::eventually(60, || step().is_some()),
        "no build step container showed"
    );
    build.kill().expect("SIGKILL reyns");
    build.wait().expect("reap reyns");
    let step_name = step().expect("the build step's container");
    // The engine runs the step to its end without its client, and keeps it.
    assert!(support::engine::eventually(40, || {
        docker_may_fail(&["inspect", "--format", "{{.State.Running}}", &step_name])
            .is_none_or(|running| running == "false")
    }));
    // The engine may also have removed it by itself once the step ended
    // (CI saw it gone once): then there is nothing left to name.
    let left = docker_may_fail(&["inspect", &step_name]).is_some();
    let healed = project.reyns("run:all").run().success();
    if left {
        healed.stderr_has("left by an interrupted build");
    }
    assert_eq!(containers_of(&project), [(one.clone(), true)]);
}

/// The address `name` resolves to from inside `container` ("" for none).
fn resolved_in(container: &str, name: &str) -> String {
    docker_may_fail(&["exec", container, "getent", "hosts", name])
        .and_then(|line| line.split_whitespace().next().map(str::to_string))
        .unwrap_or_default()
}

fn address_of(container: &str) -> String {
    docker(&[
        "inspect",
        "--format",
        "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
        container,
    ])
}

#[test]
fn one_run_heals_what_was_done_behind_reyns_back() {
    let project = Project::new();
    project.install_demo();
    let reyns = |line: &str| project.in_demo(line, "x");
    reyns("build:all").run().success();
    reyns("run:all").run().success();
    let dns = project.container("reyns-dns", "one");
    let (one, two, three) = (
        project.container("demo", "one"),
        project.container("demo", "two"),
        project.container("demo", "three"),
    );
    let whole = |after: &str| {
        let mut names: Vec<String> = containers_of(&project)
            .into_iter()
            .filter(|(_, running)| *running)
            .map(|(name, _)| name)
            .collect();
        names.sort();
        let mut wanted = vec![dns.clone(), one.clone(), two.clone(), three.clone()];
        wanted.sort();
        assert_eq!(names, wanted, "after {after}");
        assert_eq!(containers_of(&project).len(), 4, "after {after}");
        for (name, container) in [("demo-one", &one), ("demo-two", &two)] {
            assert_eq!(
                resolved_in(&three, name),
                address_of(container),
                "{name} after {after}"
            );
        }
    };

    // The DNS removed: made again, and every instance registers again.
    docker(&["rm", "--force", &dns]);
    reyns("run:all").run().success();
    whole("the DNS was removed");

    // An instance killed, another removed.
    docker(&["kill", &two]);
    docker(&["rm", "--force", &one]);
    reyns("run:all").run().success();
    whole("demo-two was killed and demo-one removed");

    // Three verbs that change the platform at once wait for each other.
    let verbs: Vec<_> = ["run:all", "rerun:demo,two", "run:all"]
        .into_iter()
        .map(|line| reyns(line).spawn())
        .collect();
    for verb in verbs {
        let output = verb.wait_with_output().expect("wait for reyns");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    whole("three verbs at once");
}

/// `reyns run:all,plan=True | head`: a reader that goes away before the
/// plan is printed is no panic and no hang (the plan's commands are
/// printed from the job graph's threads).
#[test]
fn a_plan_read_by_a_reader_that_goes_away_ends_quietly() {
    let project = Project::new();
    project.file(
        "default.conf",
        r#"[{"service": "a", "instance": "one", "image": "debian:bookworm-slim"},
            {"service": "b", "instance": "one", "image": "debian:bookworm-slim"}]"#,
    );
    let mut child = project.reyns("run:all,plan=True").spawn();
    drop(child.stdout.take());
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > std::time::Duration::from_secs(30) {
            let _ = child.kill();
            panic!("reyns hung after its reader went away");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(
        !stderr.contains("panicked") && !stderr.contains("internal error"),
        "{stderr}"
    );
    assert!(status.code().is_some(), "{status:?}");
    assert!(project.containers().is_empty(), "a plan made a container");
}

/// The Docker engine restarted under a running platform (a node's dockerd,
/// in a container of its own, driven through host.conf's `nodes`): the
/// `master` instances come back by themselves, one `run:all` starts the
/// rest (a stock image's instance among them, brought to the node with
/// `docker save | docker load`), names resolve to the addresses the
/// instances have now, and persistent data is intact.
#[test]
fn a_restarted_engine_is_healed_by_one_run() {
    let mut guard = support::engine::Nodes::new();
    let project = Project::new();
    support::copy_tree(&support::repo().join("demo"), &project.dir);
    let engine = format!("{}-engine", project.name);
    guard.start(&engine, "engine", "172.31.7.1/24");
    let endpoint = format!("tcp://{}:2375", guard.address(&engine));
    project.file(
        "host.conf",
        &format!("{{\"env_vars\": {{}}, \"nodes\": {{\"engine\": \"{endpoint}\"}}}}\n"),
    );
    project.file(
        "restart.conf",
        r#"[{"service": "reyns-dns", "instance": "one", "instance_type": "master", "group": "engine",
             "env_vars": {"SERVICE_IP": "from_eth0"}},
            {"service": "demo", "instance": "one", "instance_type": "master", "group": "engine",
             "links": ["reyns-dns-one:dns"], "env_vars": {"EXAMPLE_ENV_VAR": "x", "SERVICE_IP": "from_eth0"}},
            {"service": "demo", "instance": "two", "group": "engine",
             "links": ["reyns-dns-one:dns"], "env_vars": {"EXAMPLE_ENV_VAR": "x"}},
            {"service": "cache", "instance": "one", "image": "debian:bookworm-slim", "group": "engine",
             "command": "sleep infinity", "init": true, "links": ["reyns-dns-one:dns"]}]"#,
    );
    let on_engine = |args: &[&str]| {
        let mut argv = vec!["--host", endpoint.as_str()];
        argv.extend_from_slice(args);
        docker_may_fail(&argv)
    };
    let engine_answers = || on_engine(&["version", "--format", "{{.Server.Version}}"]).is_some();
    assert!(
        support::engine::eventually(120, engine_answers),
        "the node's engine did not come up"
    );
    project.reyns("init:node=engine").run().success();
    // A stock image reaches a node as the README says: docker save | load.
    let saved = std::process::Command::new("sh")
        .args([
            "-c",
            &format!("docker save debian:bookworm-slim | docker --host {endpoint} load"),
        ])
        .status()
        .unwrap();
    assert!(
        saved.success(),
        "debian:bookworm-slim did not reach the node"
    );
    project.reyns("build:all,node=engine").run().success();
    project.reyns("run:all,conf=restart").run().success();
    let (one, two) = (
        project.container("demo", "one"),
        project.container("demo", "two"),
    );
    on_engine(&[
        "exec",
        &one,
        "sh",
        "-c",
        "echo kept > /persistent/restart-marker",
    ])
    .expect("write in demo-one's persistent data");

    docker(&["restart", "--time", "5", &engine]);
    assert!(
        support::engine::eventually(120, engine_answers),
        "the engine did not come back"
    );
    let running = |name: &str| {
        on_engine(&["inspect", "--format", "{{.State.Running}}", name]).as_deref() == Some("true")
    };
    assert!(
        support::engine::eventually(60, || running(&one)
            && running(&project.container("reyns-dns", "one"))),
        "the master instances did not come back by themselves"
    );
    assert!(!running(&two), "demo-two has no restart policy");

    project.reyns("run:all,conf=restart").run().success();
    assert!(running(&two));
    let address = |name: &str| {
        on_engine(&[
            "inspect",
            "--format",
            "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
            name,
        ])
        .unwrap_or_default()
    };
    let resolved = |from: &str, name: &str| {
        on_engine(&["exec", from, "getent", "hosts", name])
            .and_then(|line| line.split_whitespace().next().map(str::to_string))
            .unwrap_or_default()
    };
    // demo-one, published, registers its SERVICE_IP: the node's address.
    let node_address = guard.address(&engine);
    let cache = project.container("cache", "one");
    assert!(
        support::engine::eventually(10, || resolved(&two, "demo-one") == node_address
            && resolved(&one, "demo-two") == address(&two)
            && resolved(&two, "cache") == address(&cache)),
        "names after the restart: demo-one {} (wanted {node_address}), demo-two {} (is {}), cache {} (is {})",
        resolved(&two, "demo-one"),
        resolved(&one, "demo-two"),
        address(&two),
        resolved(&two, "cache"),
        address(&cache)
    );
    assert_eq!(
        on_engine(&["exec", &one, "cat", "/persistent/restart-marker"]).as_deref(),
        Some("kept")
    );
}

/// The disk under the data folder full (a small tmpfs, filled): `run` of a
/// persistent instance fails at once naming its data folder, and nothing
/// there is deleted. Needs to mount a tmpfs (root); says so otherwise.
#[test]
fn a_full_disk_under_the_data_folder_is_named_and_nothing_deleted() {
    let project = Project::new();
    let data = project.dir.join("full-data");
    std::fs::create_dir_all(&data).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=256k", "tmpfs"])
        .arg(&data)
        .status()
        .is_ok_and(|status| status.success());
    if !mounted {
        eprintln!("skipped: cannot mount a tmpfs here (not root)");
        return;
    }
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(data.clone());
    std::fs::write(data.join("fill"), vec![7u8; 256 * 1024]).unwrap_or_default();
    let kept = std::fs::read(data.join("fill")).unwrap();
    project.service("svc", "FROM reyns/reyns-base\n", &[]);
    project.file(
        "default.conf",
        r#"[{"service": "svc", "instance": "one", "instance_type": "persistent"}]"#,
    );
    project.reyns("build:all").run().success();
    let out = project
        .reyns("run:all,timeout=30")
        .env("DATA_DIR", data.to_str().unwrap())
        .run()
        .code(1)
        .stderr_has("No space left on device")
        .stderr_has(&format!(
            "its persistent data is in {}/svc-one: is that disk full? Nothing there was deleted",
            data.display()
        ));
    assert!(out.stderr.contains("could not start"), "{}", out.stderr);
    assert_eq!(std::fs::read(data.join("fill")).unwrap(), kept);
}

/// `watch` killed (SIGKILL) at spread moments after a save that rebuilds
/// and recreates the instance: one `run:all` leaves exactly the instance,
/// running, nothing half-made; a build and a run then bring the change.
#[test]
fn a_watch_killed_mid_rebuild_is_healed_by_one_run() {
    let project = project_with("a");
    let prestartup = |greeting: &str| {
        project.service(
            "svc",
            "FROM reyns/reyns-base\nCOPY prestartup_svc.sh /prestartup/\n",
            &[("prestartup_svc.sh", &format!("echo {greeting}\n"))],
        );
    };
    prestartup("hello 0");
    project.reyns("build:all").run().success();
    project.reyns("run:all").run().success();
    let one = project.container("svc", "one");
    for (trial, kill_after_ms) in [300u64, 1200, 2500, 4000].into_iter().enumerate() {
        let watch = project.reyns("watch").spawn();
        // Watching once it has converged (nothing to do) and settled.
        std::thread::sleep(std::time::Duration::from_millis(1500));
        let greeting = format!("hello {}", trial + 1);
        prestartup(&greeting);
        kill_after(watch, kill_after_ms);
        heal_to_the_one_instance(&project, &one, kill_after_ms);
        project.reyns("build:all").run().success();
        project.reyns("run:all").run().success();
        assert!(
            docker(&["logs", &one]).contains(&greeting),
            "{greeting} is not in {one} after a kill at {kill_after_ms} ms"
        );
    }
}

/// A reyns killed after a stock image's container started and before it
/// registered it on the DNS (its `docker exec` in the DNS held back by a
/// docker that never answers `exec`): one plain `run:all` registers it.
#[test]
fn a_stock_instance_left_unregistered_is_registered_by_the_next_run() {
    let project = Project::new();
    project.file(
        "default.conf",
        r#"[{"service": "reyns-dns", "instance": "one"},
            {"service": "cache", "instance": "one", "image": "debian:bookworm-slim",
             "command": "sleep infinity", "init": true, "links": ["reyns-dns-one:dns"]}]"#,
    );
    project.reyns("run:reyns-dns,one").run().success();
    let held = project.dir.join("docker-holding-exec");
    std::fs::write(
        &held,
        "#!/bin/sh\nfor word in \"$@\"; do case $word in -*) continue ;; esac; \
         [ \"$word\" = exec ] && exec sleep 60; break; done\nexec docker \"$@\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&held, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let cache = project.container("cache", "one");
    let converge = project
        .reyns("run:all")
        .env("REYNS_DOCKER", held.to_str().unwrap())
        .spawn();
    assert!(support::engine::eventually(30, || docker_may_fail(&[
        "inspect",
        "--format",
        "{{.State.Running}}",
        &cache
    ])
    .as_deref()
        == Some("true")));
    kill_after(converge, 1500);
    let resolves = || resolved_in(&cache, "cache") == address_of(&cache);
    assert!(
        !resolves(),
        "registered though its registration was held back"
    );
    project.reyns("run:all").run().success();
    assert!(resolves(), "the next run did not register it");
}
