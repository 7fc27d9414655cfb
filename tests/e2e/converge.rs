//! Converge: only what changed is recreated, persistent data kept, mounted files followed.

use super::*;

/// Converge on the demo: a changed env var recreates one instance, a rebuilt
/// image the three demo instances (not the DNS), a stopped instance is
/// started again, a stopped and started DNS gets its records back, and a
/// plan of an up-to-date platform is only `keep` lines.
#[test]
fn converge_recreates_only_what_changed() {
    let project = Project::new();
    let demo = project.install_demo();
    let reyns = |line: &str, example: &str| project.in_demo(line, example);
    let name = |service: &str, instance: &str| project.container(service, instance);
    let resolves_from_two = |target: &str| {
        reyns(
            &format!("shell:demo,two,command=getent hosts {target}"),
            "first",
        )
        .run()
        .code
            == 0
    };
    reyns("build:all", "first").run().success();
    reyns("run:all", "first").run().success();
    let before = container_ids(&project);
    assert_eq!(before.len(), 4, "{before:?}");

    // A changed env var: demo-one only. demo-three links to demo-one by
    // address: if demo-one comes back on another address (a test running
    // beside this one may have taken its old one), demo-three is recreated
    // too, and the summary says so.
    let changed = reyns("run:all", "second")
        .run()
        .success()
        .stderr_has("env EXAMPLE_ENV_VAR changed");
    let three_moved = changed
        .stderr
        .contains(&format!("{}: link", name("demo", "three")));
    let after = container_ids(&project);
    for (container, id) in &before {
        let recreated = *container == name("demo", "one")
            || (three_moved && *container == name("demo", "three"));
        assert_eq!(
            after[container] != *id,
            recreated,
            "{container}: {before:?} -> {after:?}"
        );
    }
    assert_eq!(
        docker(&["exec", &name("demo", "one"), "printenv", "EXAMPLE_ENV_VAR"]),
        "second"
    );

    // An edited prestartup, rebuilt: the three demo instances, not the DNS.
    let prestartup = demo.join("services/demo/prestartup_demo.sh");
    let mut script = std::fs::read_to_string(&prestartup).unwrap();
    script.push_str("echo 'converge test' > /tmp/converged\n");
    std::fs::write(&prestartup, script).unwrap();
    reyns("build:all", "second").run().success();
    let plan = reyns("run:all,plan=True", "second").run().success();
    assert!(
        plan.stdout
            .contains(&format!("keep {}", name("reyns-dns", "one"))),
        "{}",
        plan.stdout
    );
    let before = container_ids(&project);
    reyns("run:all", "second")
        .run()
        .success()
        .stderr_has("recreated 3")
        .stderr_has("image rebuilt");
    let after = container_ids(&project);
    for (container, id) in &before {
        let is_dns = *container == name("reyns-dns", "one");
        assert_eq!(
            after[container] == *id,
            is_dns,
            "{container}: {before:?} -> {after:?}"
        );
    }
    assert_eq!(
        docker(&["exec", &name("demo", "three"), "cat", "/tmp/converged"]),
        "converge test"
    );
    assert!(resolves_from_two("demo-one") && resolves_from_two("demo-three"));

    // Stopped: started again, exit 0.
    reyns("_stop:demo,three", "second").run().success();
    reyns("run:all", "second")
        .run()
        .success()
        .stderr_has("started 1");
    assert_eq!(
        docker(&[
            "inspect",
            "--format",
            "{{.State.Status}}",
            &name("demo", "three")
        ]),
        "running"
    );

    // The DNS stopped and started: the instances kept register again. Back
    // at its address, nothing else changes; when a container of a test
    // running beside this one took the address meanwhile, its links moved
    // and the three demo instances are recreated.
    let dns_address = || {
        docker(&[
            "inspect",
            "--format",
            "{{.NetworkSettings.IPAddress}}",
            &name("reyns-dns", "one"),
        ])
    };
    let address_before = dns_address();
    docker(&["stop", &name("reyns-dns", "one")]);
    let restarted = reyns("run:all", "second").run().success();
    if dns_address() == address_before {
        restarted.stderr_has("started 1, recreated 0, kept 3");
    } else {
        restarted
            .stderr_has("started 1, recreated 3")
            .stderr_has("link dns moved");
    }
    assert!(
        resolves_from_two("demo-three"),
        "records lost after the DNS restarted"
    );

    // Up to date: the plan is only `keep` lines, and nothing changes.
    let before = container_ids(&project);
    let plan = reyns("run:all,plan=True", "second").run().success();
    assert!(
        plan.stdout.lines().count() == 4 && plan.stdout.lines().all(|l| l.starts_with("keep ")),
        "{}",
        plan.stdout
    );
    assert_eq!(before, container_ids(&project));
    // A repeated run:all gets its docker ps and inspect from the reads
    // started ahead (remembered by the runs above), and keeps everything.
    let again = reyns("run:all", "second")
        .env("LOG_LEVEL", "DEBUG")
        .run()
        .success()
        .stderr_has("kept 4");
    assert_eq!(
        again.stderr.matches("(read ahead)").count(),
        2,
        "{}",
        again.stderr
    );
    assert_eq!(before, container_ids(&project));
}

/// A persistent instance recreated after a conf change keeps its /data; an
/// edited file mounted through `volumes` recreates its instance, and the
/// plan names the file.
#[test]
fn converge_keeps_persistent_data_and_follows_mounted_files() {
    let project = Project::new();
    project.service("db", BASE_SERVICE, &[]);
    std::fs::create_dir_all(project.dir.join("config")).unwrap();
    std::fs::write(project.dir.join("config/app.ini"), "level=1\n").unwrap();
    let conf = |publish: bool| {
        format!(
            r#"[{{"service": "db", "instance": "persistent", {}
                 "volumes": "$PROJECT_DIR/config/app.ini:/etc/app.ini"}}]"#,
            if publish {
                r#""publish_ssh_on": 22022,"#
            } else {
                ""
            }
        )
    };
    project.file("default.conf", &conf(false));
    project.reyns("build:all").run().success();
    project.reyns("run:all").run().success();
    project
        .reyns("shell:db,command=echo kept > /data/file")
        .run()
        .success();
    let id = |p: &Project| container_ids(p)[&p.container("db", "persistent")].clone();
    let first = id(&project);

    // A conf change: recreated, the data kept.
    project.file("default.conf", &conf(true));
    project
        .reyns("run:all")
        .run()
        .success()
        .stderr_has("conf key publish_ssh_on changed");
    assert_ne!(first, id(&project));
    project
        .reyns("shell:db,command=cat /data/file")
        .run()
        .success()
        .stdout_has("kept");

    // The mounted file edited: the plan names it, the run recreates.
    std::fs::write(project.dir.join("config/app.ini"), "level=2\n").unwrap();
    project
        .reyns("run:all,plan=True")
        .run()
        .success()
        .stdout_has("volume file config/app.ini changed");
    let second = id(&project);
    project
        .reyns("run:all")
        .run()
        .success()
        .stderr_has("recreated 1");
    assert_ne!(second, id(&project));
    project
        .reyns("shell:db,command=cat /etc/app.ini /data/file")
        .run()
        .success()
        .stdout_has("level=2")
        .stdout_has("kept");
}

/// A converge that changes nothing is decided from `docker ps` alone, with
/// no `docker inspect`; and what ps cannot show plainly is still seen: a
/// rebuilt image (ps then names the old image by its id) recreates its
/// instances, a changed env var its own (inspecting it alone).
#[test]
fn a_converge_that_changes_nothing_reads_only_docker_ps() {
    let project = Project::new();
    project.service("svc", BASE_SERVICE, &[]);
    project.file(
        "solo.conf",
        r#"[{"service": "svc", "instance": "one", "sleep": 0, "env_vars": {"COLOUR": "red"}},
            {"service": "svc", "instance": "two", "sleep": 0}]"#,
    );
    let docker_commands = |output: &crate::support::Output| -> Vec<String> {
        output
            .stderr
            .lines()
            .filter_map(|line| {
                line.split_once("$ docker ")
                    .map(|(_, command)| command.to_string())
            })
            .collect()
    };
    let converge = || project.reyns("run:all,conf=solo").env("LOG_LEVEL", "DEBUG");
    project.reyns("build:svc").run().success();
    converge().run().success().stderr_has("created 2");

    let kept = converge().run().success().stderr_has("recreated 0, kept 2");
    let commands = docker_commands(&kept);
    assert_eq!(commands.len(), 1, "{commands:?}");
    assert!(commands[0].starts_with("ps "), "{commands:?}");

    project.service("svc", &format!("{BASE_SERVICE}LABEL rebuilt=yes\n"), &[]);
    project.reyns("build:svc").run().success();
    let before = container_ids(&project);
    converge()
        .run()
        .success()
        .stderr_has("recreated 2")
        .stderr_has("image rebuilt");
    let after = container_ids(&project);
    assert!(
        before.iter().all(|(name, id)| after[name] != *id),
        "{before:?} -> {after:?}"
    );

    std::fs::write(
        project.dir.join("solo.conf"),
        r#"[{"service": "svc", "instance": "one", "sleep": 0, "env_vars": {"COLOUR": "blue"}},
            {"service": "svc", "instance": "two", "sleep": 0}]"#,
    )
    .unwrap();
    // Only the changed instance is inspected: the listing keeps the other.
    let one_changed = converge()
        .run()
        .success()
        .stderr_has("recreated 1")
        .stderr_has("env COLOUR changed")
        .stderr_has("kept 1");
    let inspects: Vec<String> = docker_commands(&one_changed)
        .into_iter()
        .filter(|command| command.starts_with("inspect "))
        .collect();
    assert!(!inspects.is_empty(), "{}", one_changed.stderr);
    assert!(
        inspects
            .iter()
            .all(|command| !command.contains(&project.container("svc", "two"))),
        "{inspects:?}"
    );
    let kept = converge().run().success().stderr_has("recreated 0, kept 2");
    assert_eq!(docker_commands(&kept).len(), 1, "{}", kept.stderr);
    assert_eq!(
        docker(&[
            "exec",
            &project.container("svc", "one"),
            "printenv",
            "COLOUR"
        ]),
        "blue"
    );
}
