//! The README's quick start word for word, bad input that creates nothing, and a Ctrl-C that leaves nothing half made.

use super::*;

#[test]
fn demo_quick_start_word_for_word() {
    let project = Project::new();
    let here = project.dir.clone();
    let test = support::Test::in_dir(&here)
        .real_docker()
        .env("PROJECT_NAME", &project.name);
    test.args("install_demo").run().success();
    let demo = here.join("reyns-demo");
    let reyns = |line: &str| {
        support::Test::in_dir(&demo)
            .real_docker()
            .env("PROJECT_NAME", &project.name)
            .env("EXAMPLE_ENV_VAR", "from the test")
            .args(line)
    };
    reyns("build:all").run().success();
    reyns("run:all").run().success();

    // ps lists exactly the demo's instances, and its JSON matches docker inspect.
    let ps = reyns("ps").run().success();
    for instance in [
        "reyns-dns,instance=one",
        "demo,instance=one",
        "demo,instance=two",
        "demo,instance=three",
    ] {
        assert!(
            ps.stdout.contains(instance),
            "{instance} missing from ps:\n{}",
            ps.stdout
        );
    }
    assert_eq!(
        ps.stdout.lines().count(),
        5,
        "header and four instances:\n{}",
        ps.stdout
    );
    let listed: serde_json::Value =
        serde_json::from_str(&reyns("ps:format=json").run().success().stdout).unwrap();
    for row in listed.as_array().unwrap() {
        let container = row["container"].as_str().unwrap();
        assert_eq!(
            docker(&["inspect", "--format", "{{.Id}}", container]),
            row["id"].as_str().unwrap()
        );
        assert_eq!(row["state"], "running");
    }

    // status shows sshd RUNNING everywhere (supervisord says STARTING for
    // its first second); getip matches docker inspect.
    let mut status = reyns("status").run().success();
    assert!(eventually(15, || {
        status = reyns("status").run().success();
        status.stdout.matches("RUNNING").count() >= 5
    }));
    assert_eq!(
        status.stdout.matches("sshd").count(),
        4,
        "{}",
        status.stdout
    );
    assert!(
        !status.stdout.contains("FATAL") && status.stdout.contains("RUNNING"),
        "{}",
        status.stdout
    );
    let ip = reyns("getip:demo,one")
        .run()
        .success()
        .stdout
        .trim()
        .to_string();
    let inspected = docker(&[
        "inspect",
        "--format",
        "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
        &project.container("demo", "one"),
    ]);
    assert_eq!(ip, inspected);

    // Names resolve through the Reyns DNS.
    reyns("shell:demo,instance=two,command=ping -c1 demo-one")
        .run()
        .success()
        .stdout_has("1 received");
    reyns("shell:demo,instance=two,command=host dns.local.zone")
        .run()
        .success()
        .stdout_has("has address");
    reyns("shell:demo,instance=one,command=exit 3")
        .run()
        .code(3);
    reyns("shell:demo,one,command=echo $EXAMPLE_ENV_VAR")
        .run()
        .success()
        .stdout_has("from the test");

    // ssh with the installation key, without any ssh binary on PATH.
    let only_docker = support::temp_dir();
    std::os::unix::fs::symlink(
        which::which("docker").expect("docker on PATH"),
        only_docker.path().join("docker"),
    )
    .unwrap();
    let no_ssh = only_docker.path().display().to_string();
    reyns("ssh:demo,instance=two,command=echo $SERVICE $INSTANCE")
        .env("PATH", &no_ssh)
        .run()
        .success()
        .stdout_has("demo two\n");
    reyns("ssh:demo,instance=two,command=exit 7")
        .env("PATH", &no_ssh)
        .run()
        .code(7);
    let json = reyns("ssh:demo,instance=two,command=ping -c1 demo-one,jsonout=True")
        .env("PATH", &no_ssh)
        .run()
        .success();
    let parsed: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(parsed["exit_code"], 0);
    assert!(parsed["stdout"].as_str().unwrap().contains("demo-one"));
    assert!(parsed["stderr"].is_string());
    reyns("ssh:demo")
        .run()
        .code(1)
        .stderr_has("several instances of `demo`");

    // An interactive SSH session on a pseudo-terminal, terminal settings restored.
    let mut terminal = Terminal::start(
        &demo,
        &[("PROJECT_NAME", &project.name), ("PATH", &no_ssh)],
        "ssh:demo,instance=two",
    );
    let before = terminal.settings();
    terminal.send("hostname\n");
    assert!(
        terminal.expect("demo-two", 30),
        "no hostname in:\n{}",
        terminal.seen()
    );
    terminal.send("exit\n");
    assert_eq!(terminal.wait(30), Some(0), "{}", terminal.seen());
    assert_eq!(
        terminal.settings(),
        before,
        "terminal settings not restored"
    );

    // Another project's container is not touched by clean:all.
    let other = Project::new();
    other.service("keep", BASE_SERVICE, &[]);
    other.reyns("build:keep").run().success();
    other.reyns("run:keep,instance=one").run().success();

    reyns("clean:all,force=True").run().success();
    assert!(
        project.containers().is_empty(),
        "containers left: {:?}",
        project.containers()
    );
    let volumes = docker(&["volume", "ls", "-q"]);
    assert!(
        !volumes
            .lines()
            .any(|v| v.starts_with(&format!("{}-", project.name))),
        "volumes left:\n{volumes}"
    );
    assert_eq!(
        other.containers().len(),
        1,
        "the other project's container was touched"
    );
}

#[test]
fn bad_input_creates_no_container() {
    let project = Project::new();
    project.service("svc", "FROM reyns/reyns-base\n# reyns: exposes 80\n", &[]);
    project.file(
        "default.conf",
        "[{\"service\": \"svc\", \"instance\": \"a\", \"env_vars\": {\"NEEDED\": null}}]",
    );
    project.reyns("run:all").run().code(1).clean_error();
    project.file(
        "default.conf",
        "[{\"service\": \"svc\" \"instance\": \"a\"}]",
    );
    project
        .reyns("run:all")
        .run()
        .code(1)
        .stderr_has("default.conf:1:21: expected `,` or `}`");
    std::fs::remove_file(project.dir.join("default.conf")).unwrap();
    project
        .reyns("run:nosuch")
        .run()
        .code(1)
        .stderr_has("unknown service");
    assert!(project.containers().is_empty(), "a container was created");
}

#[test]
fn interrupted_run_all_leaves_nothing_half_made_and_completes_when_repeated() {
    let project = Project::new();
    project.service("svc", BASE_SERVICE, &[]);
    let entries: Vec<String> = (1..=4)
        .map(|n| format!("{{\"service\": \"svc\", \"instance\": \"i{n}\"}}"))
        .collect();
    project.file("default.conf", &format!("[{}]", entries.join(",")));
    project.reyns("build:svc").run().success();
    // Ctrl-C once the first instance exists: the rest must not start.
    let child = project.reyns("run:all").env("REYNS_PARALLEL", "1").spawn();
    assert!(eventually(60, || !project.containers().is_empty()));
    support::interrupt_after(child, 0);
    let filter = format!("label=reyns.project={}", project.name);
    let created = docker(&[
        "ps",
        "-a",
        "--filter",
        &filter,
        "--filter",
        "status=created",
        "-q",
    ]);
    assert!(created.is_empty(), "half-made containers: {created}");
    assert!(project.containers().len() < 4, "nothing was interrupted");
    project.reyns("run:all").run().success();
    let running = docker(&["ps", "--filter", &filter, "-q"]);
    assert_eq!(running.lines().count(), 4);
}
