//! End to end on the real Docker engine: each test drives the real binary in
//! a project of its own (`reyns-test-<pid>-<n>`) and checks real effects with
//! `docker inspect`, files on disk, names that resolve and commands over SSH.
//! Every project is removed when its test ends, pass or fail.

mod support;

use support::engine::{
    docker, docker_both_streams, docker_may_fail, docker_with_input, eventually, ok, Nodes,
    Project, Terminal,
};

const BASE_SERVICE: &str = "FROM reyns/reyns-base\n";

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
fn base_image_runs_supervisord_sshd_and_env() {
    let project = Project::new();
    project.service("svc", BASE_SERVICE, &[]);
    project.reyns("build:svc").run().success();
    project
        .reyns("run:svc,instance=a,extra_args=--env 'ODD=a b \"c\" $(d)'")
        .run()
        .success();
    let container = project.container("svc", "a");
    let supervisorctl = |words: &[&str]| {
        let conf = ["-c", "/etc/supervisor/supervisord.conf"];
        docker(&[&["exec", &container, "supervisorctl"], &conf[..], words].concat())
    };
    let sshd_running = || supervisorctl(&["status", "sshd"]).contains("RUNNING");
    assert!(
        eventually(20, sshd_running),
        "sshd is not RUNNING under supervisord"
    );
    // The default command (the image has no CMD): supervisord, exec'd by
    // the entrypoint, so that its parent is tini, which passes signals on.
    let parent = docker(&[
        "exec",
        &container,
        "sh",
        "-c",
        "ps -o comm= -p $(ps -o ppid= -C supervisord)",
    ]);
    assert_eq!(parent.trim(), "tini", "supervisord's parent");
    // Under docker's own init (`--init`) the image's tini is a subreaper,
    // so it starts without warning that it is not PID 1 and cannot reap.
    let logs = docker_both_streams(&["logs", &container]);
    assert!(
        logs.contains("[INFO] Reyns entrypoint for svc-a"),
        "the instance's log:\n{logs}"
    );
    assert!(
        !logs.contains("Tini is not running as PID 1"),
        "tini warned:\n{logs}"
    );
    // The image's wrapper (Debian's supervisord would run in its stead if
    // the wrapper were not executable), which defers the modules supervisord
    // does not use as it starts: OpenSSL's libraries are not loaded.
    let command_line = docker(&["exec", &container, "ps", "-o", "args=", "-C", "supervisord"]);
    let openssl_maps = docker(&[
        "exec",
        &container,
        "sh",
        "-c",
        "grep -c -e libssl -e libcrypto /proc/$(pgrep -o supervisord)/maps || true",
    ]);
    assert!(
        command_line.contains("/usr/local/bin/supervisord"),
        "supervisord runs without the wrapper: {command_line}"
    );
    assert_eq!(openssl_maps.trim(), "0", "OpenSSL mapped into supervisord");
    // The web interface, which the wrapper loads at its first page, serves
    // it on supervisord's socket.
    let get_page = "import socket\n\
        s = socket.socket(socket.AF_UNIX)\n\
        s.connect('/run/supervisor.sock')\n\
        s.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n')\n\
        print(b''.join(iter(lambda: s.recv(65536), b'')).decode())";
    let page = docker(&["exec", &container, "python3", "-c", get_page]);
    assert!(
        page.starts_with("HTTP/1.0 200") && page.contains("sshd"),
        "supervisord's web interface: {page}"
    );
    let env = docker(&["exec", &container, "cat", "/env.sh"]);
    assert!(
        env.contains("SERVICE=\"svc\"") && env.contains("INSTANCE=\"a\""),
        "{env}"
    );
    // SECURITY.md: the environment is readable by the reyns user only.
    let env_file = docker(&["exec", &container, "stat", "-c", "%a %U", "/env.sh"]);
    assert_eq!(env_file.trim(), "600 reyns", "/env.sh's mode and owner");
    project
        .reyns("ssh:svc,command=echo \"$ODD\"")
        .run()
        .success()
        .stdout_has("a b \"c\" $(d)");
    project
        .reyns("ssh:svc,command=id -u; sudo -n id -u")
        .run()
        .success()
        .stdout_has("65527\n0\n");
    // No private key in the images: host keys are made per container.
    // grep exits 1 when nothing matches; 2 is an error.
    let private = docker(&[
        "run",
        "--rm",
        "--entrypoint",
        "sh",
        "reyns/reyns-dns",
        "-c",
        "grep -rlI -e 'BEGIN [A-Z ]*PRIVATE KEY' / --exclude-dir=proc --exclude-dir=sys; [ $? -le 1 ]",
    ]);
    assert!(private.is_empty(), "private keys in the image: {private}");
    // No password login: sshd refuses the password method outright.
    let sshd = docker(&["exec", &container, "sshd", "-T"]);
    assert!(
        sshd.contains("passwordauthentication no") && sshd.contains("permitrootlogin no"),
        "{sshd}"
    );
    // supervisord runs under the image's wrapper (a poller woken by signals,
    // whose pipe a reload closes and remakes): after a reload it starts sshd
    // again, and docker's SIGTERM still stops it cleanly.
    supervisorctl(&["reload"]);
    assert!(
        eventually(20, sshd_running),
        "sshd is not RUNNING after supervisord reloaded"
    );
    docker(&["stop", &container]);
    let log = docker(&["logs", &container]);
    let exit_code = docker(&["inspect", "--format", "{{.State.ExitCode}}", &container]);
    assert_eq!(exit_code, "0", "supervisord did not stop on SIGTERM: {log}");
    assert!(!log.contains("Traceback"), "{log}");
}

#[test]
fn prestartup_scripts_run_parents_first_even_after_rebuilding_the_parent() {
    let project = Project::new();
    let script = |name: &str| format!("#!/bin/bash\necho \"[ORDER] {name}\"\n");
    project
        .service(
            "parent",
            "FROM reyns/reyns-base\nCOPY prestartup_parent.sh /prestartup/\n",
            &[("prestartup_parent.sh", &script("parent"))],
        )
        .service(
            "child",
            "FROM {project}/parent\nCOPY prestartup_child.sh /prestartup/\n",
            &[("prestartup_child.sh", &script("child"))],
        );
    project.reyns("build:child").run().success();
    let order = |instance: &str| -> Vec<String> {
        project
            .reyns(&format!("run:child,instance={instance}"))
            .run()
            .success();
        let logs = docker(&["logs", &project.container("child", instance)]);
        logs.lines()
            .filter(|l| l.starts_with("[INFO] Executing prestartup script"))
            .map(|l| l.rsplit(' ').next().unwrap().to_string())
            .collect()
    };
    let expected = vec![
        "prestartup_reyns-common.sh",
        "prestartup_reyns-base.sh",
        "prestartup_parent.sh",
        "prestartup_child.sh",
    ];
    assert_eq!(order("first"), expected);
    // Rebuild only the parent (new layers, newer files), then the child on it.
    std::fs::write(
        project.dir.join("services/parent/prestartup_parent.sh"),
        script("parent v2"),
    )
    .unwrap();
    project.reyns("build:parent,cache=False").run().success();
    assert_eq!(order("second"), expected, "old child image");
    project.reyns("build:child").run().success();
    assert_eq!(order("third"), expected, "child rebuilt on the new parent");

    // A failing script: the failure marker, reyns exits non-zero, the container stops non-zero.
    project.service(
        "broken",
        "FROM reyns/reyns-base\nCOPY prestartup_broken.sh /prestartup/\n",
        &[(
            "prestartup_broken.sh",
            "#!/bin/bash\necho about to fail\nexit 4\n",
        )],
    );
    project.reyns("build:broken").run().success();
    project
        .reyns("run:broken,instance=x")
        .run()
        .code(1)
        .stderr_has("[ERROR] Exit code 4 for prestartup_broken.sh");
    let container = project.container("broken", "x");
    assert!(eventually(20, || docker(&[
        "inspect",
        "--format",
        "{{.State.Status}}",
        &container
    ]) == "exited"));
    assert_eq!(
        docker(&["inspect", "--format", "{{.State.ExitCode}}", &container]),
        "4"
    );
    // safemode skips the service scripts.
    project
        .reyns("run:broken,instance=safe,safemode=True")
        .run()
        .success();
}

#[test]
fn persistent_data_survives_clean_and_run() {
    let project = Project::new();
    project.service("db", BASE_SERVICE, &[]);
    project.reyns("build:db").run().success();
    project.reyns("run:db,instance=persistent").run().success();
    project
        .reyns("shell:db,command=echo kept > /data/file && ls -la /data")
        .run()
        .success();
    project.reyns("clean:db,persistent").run().success();
    assert!(project.containers().is_empty());
    let on_host = project
        .dir
        .join(format!("data_{}/db-persistent/data/file", project.name));
    assert_eq!(
        std::fs::read_to_string(&on_host).unwrap(),
        "kept\n",
        "data under DATA_DIR after clean"
    );
    project.reyns("run:db,instance=persistent").run().success();
    project
        .reyns("shell:db,command=cat /data/file")
        .run()
        .success()
        .stdout_has("kept");
    project.reyns("clean:all,force=True").run().success();
    assert!(on_host.exists(), "clean:all deleted persistent data");
}

#[test]
fn master_instance_keeps_data_under_data_dir() {
    let project = Project::new();
    project.service("demo", BASE_SERVICE, &[]);
    project.reyns("build:demo").run().success();
    project
        .reyns("run:demo,instance=master")
        .env("SERVICE_IP", "127.0.0.1")
        .run()
        .success();
    let container = project.container("demo", "master");
    assert_eq!(
        docker(&[
            "inspect",
            "--format",
            "{{index .Config.Labels \"reyns.instance_type\"}}",
            &container
        ]),
        "master"
    );
    assert!(project
        .dir
        .join(format!("data_{}/demo-master/data", project.name))
        .is_dir());
}

#[test]
fn dashed_names_are_listed_cleaned_and_rerun() {
    let project = Project::new();
    project.service("my-db", BASE_SERVICE, &[]);
    project.reyns("build:my-db").run().success();
    project.reyns("run:my-db,instance=a-b").run().success();
    project
        .reyns("ps")
        .run()
        .success()
        .stdout_has("my-db,instance=a-b");
    let before = docker(&[
        "inspect",
        "--format",
        "{{.Id}}",
        &project.container("my-db", "a-b"),
    ]);
    project.reyns("rerun:my-db,a-b").run().success();
    let after = docker(&[
        "inspect",
        "--format",
        "{{.Id}}",
        &project.container("my-db", "a-b"),
    ]);
    assert!(
        !after.is_empty() && before != after,
        "rerun made a new container"
    );
    project.reyns("clean:my-db,a-b").run().success();
    assert!(project.containers().is_empty());
    project
        .reyns("clean:my-db,a-b")
        .run()
        .code(1)
        .stderr_has("no instance `a-b` of `my-db`");
}

#[test]
fn build_keeps_each_images_user_registers_its_prestartup_and_labels_it() {
    let project = Project::new();
    let script = "#!/bin/bash\ntrue\n";
    project
        .service(
            "plain",
            "FROM reyns/reyns-base\nCOPY prestartup_plain.sh /prestartup/\n",
            &[("prestartup_plain.sh", script)],
        )
        .service(
            "app",
            "FROM reyns/reyns-base\nRUN useradd app\nCOPY prestartup_app.sh /prestartup/\nUSER app\n",
            &[("prestartup_app.sh", script)],
        )
        .service(
            "child",
            "FROM {project}/app\nCOPY prestartup_child.sh /prestartup/\n",
            &[("prestartup_child.sh", script)],
        );
    project.reyns("build:all").run().success();
    let image = |name: &str| format!("{}/{name}", project.name);
    let user = |name: &str| {
        docker(&[
            "image",
            "inspect",
            "--format",
            "{{.Config.User}}",
            &image(name),
        ])
    };
    let order = |name: &str| {
        docker(&[
            "run",
            "--rm",
            "--entrypoint",
            "cat",
            &image(name),
            "/prestartup/.order",
        ])
    };
    let user_steps = |name: &str| {
        docker(&[
            "history",
            "--no-trunc",
            "--format",
            "{{.CreatedBy}}",
            &image(name),
        ])
        .lines()
        .filter(|step| step.contains("USER root"))
        .count()
    };
    assert_eq!(user("plain"), "");
    assert_eq!(user_steps("plain"), 0, "a needless USER root step");
    let labels = |name: &str| {
        docker(&[
            "image",
            "inspect",
            "--format",
            "{{json .Config.Labels}}",
            &image(name),
        ])
    };
    let expected = |name: &str| {
        format!(
            r#"{{"reyns.project":"{}","reyns.service":"{name}"}}"#,
            project.name
        )
    };
    assert_eq!(labels("plain"), expected("plain"));
    assert_eq!(labels("child"), expected("child"), "the child's own labels");
    let label_steps = docker(&["history", "--format", "{{.CreatedBy}}", &image("plain")])
        .lines()
        .filter(|step| step.contains("LABEL"))
        .count();
    assert_eq!(label_steps, 1, "both labels in one step");
    assert!(
        order("plain").contains("prestartup_plain.sh"),
        "{}",
        order("plain")
    );
    assert_eq!(user("app"), "app");
    assert!(
        order("app").contains("prestartup_app.sh"),
        "{}",
        order("app")
    );
    assert_eq!(user("child"), "app", "the child lost the user it inherits");
    assert_eq!(
        user_steps("child"),
        2,
        "app's and child's registration steps"
    );
    let child = order("child");
    assert!(
        child.contains("prestartup_app.sh") && child.contains("prestartup_child.sh"),
        "{child}"
    );
}

#[test]
fn build_all_follows_from_chains_in_parallel_and_caches() {
    let project = Project::new();
    project
        .service("a", BASE_SERVICE, &[])
        .service("b", "FROM {project}/a\nRUN echo b > /b\n", &[])
        .service("c", "FROM {project}/b\nRUN echo c > /c\n", &[])
        .service("d", "FROM reyns/reyns-base\nRUN echo d > /d\n", &[])
        .service("e", "FROM reyns/reyns-base\nRUN echo e > /e\n", &[])
        .service(
            "f",
            "FROM reyns/reyns-base\nRUN echo f > /f\n",
            &[("no_autobuild", "")],
        );
    let out = project.reyns("build:all").run().success();
    let started: Vec<&str> = out.stderr.lines().filter(|l| l.ends_with(" ...")).collect();
    let position = |name: &str| {
        started
            .iter()
            .position(|l| l.contains(&format!("{}/{name} ", project.name)))
            .expect(name)
    };
    assert!(
        position("a") < position("b") && position("b") < position("c"),
        "{started:?}"
    );
    let image = |name: &str| {
        docker_may_fail(&[
            "image",
            "inspect",
            "--format",
            "{{.Id}}",
            &format!("{}/{name}", project.name),
        ])
    };
    let first: Vec<Option<String>> = ["a", "b", "c", "d", "e"].iter().map(|n| image(n)).collect();
    assert!(
        first
            .iter()
            .all(|id| id.as_ref().is_some_and(|id| !id.is_empty())),
        "{first:?}"
    );
    assert!(image("f").is_none(), "no_autobuild was built by build:all");
    project.reyns("build:all").run().success();
    let second: Vec<Option<String>> = ["a", "b", "c", "d", "e"].iter().map(|n| image(n)).collect();
    assert_eq!(first, second, "a second build:all changed images");
    project.reyns("build:f").run().success();
    assert!(image("f").is_some());
}

#[test]
fn build_errors_are_clear() {
    let project = Project::new();
    project
        .service("x", "FROM {project}/y\n", &[])
        .service("y", "FROM {project}/x\n", &[]);
    project
        .reyns("build:x")
        .run()
        .code(1)
        .clean_error()
        .stderr_has("cycle: x -> y -> x")
        .created_nothing();
    let project = Project::new();
    project.service("x", "FROM {project}/nosuch\n", &[]);
    project
        .reyns("build:x")
        .run()
        .code(1)
        .stderr_has("no service `nosuch`");
    let project = Project::new();
    std::fs::create_dir_all(project.dir.join("services/empty")).unwrap();
    project
        .reyns("build:empty")
        .run()
        .code(1)
        .stderr_has("has no Dockerfile");
    project.service(
        "two",
        BASE_SERVICE,
        &[("prestartup_a.sh", ""), ("prestartup_b.sh", "")],
    );
    project
        .reyns("build:two")
        .run()
        .code(1)
        .stderr_has("2 prestartup scripts");
    project
        .reyns("build:Bad_Name")
        .run()
        .code(2)
        .stderr_has("has a `_`");
    project.reyns("build:all").run().code(1);
    assert!(
        docker(&["images", "-q", &format!("{}/*", project.name)]).is_empty(),
        "an image was built"
    );
}

#[test]
fn published_annotated_port_answers_on_the_host() {
    let project = Project::new();
    let port = 20000 + (std::process::id() % 20000) as u16;
    let dockerfile = format!(
        "# reyns: expose 8080 as {port}\nFROM reyns/reyns-base\nRUN mkdir -p /srv && echo served-by-reyns > /srv/index.html\nCOPY web.conf /etc/supervisor/conf.d/\n"
    );
    let program = "[program:web]\ncommand=python3 -m http.server 8080 --bind 0.0.0.0 --directory /srv\nautostart=true\n";
    project.service("web", &dockerfile, &[("web.conf", program)]);
    project.reyns("build:web").run().success();
    project
        .reyns("run:web,instance=published")
        .env("PUBLISH_ON_IP", "127.0.0.1")
        .run()
        .success();
    let mut body = String::new();
    let answered = eventually(30, || {
        use std::io::{Read, Write};
        let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
            return false;
        };
        let _ = stream.write_all(b"GET / HTTP/1.0\r\n\r\n");
        body.clear();
        let _ = stream.read_to_string(&mut body);
        body.contains("served-by-reyns")
    });
    assert!(answered, "no answer on 127.0.0.1:{port}: {body}");
}

#[test]
fn interactive_safemode_run_gives_a_shell() {
    let project = Project::new();
    project.service(
        "dbg",
        "FROM reyns/reyns-base\nCOPY prestartup_dbg.sh /prestartup/\n",
        &[("prestartup_dbg.sh", "#!/bin/bash\nexit 9\n")],
    );
    project.reyns("build:dbg").run().success();
    let mut terminal = Terminal::start(
        &project.dir,
        &[("PROJECT_NAME", &project.name)],
        "run:dbg,instance=one,safemode=True,interactive=True,linked=False",
    );
    terminal.send("echo READY$((40+2))\n");
    assert!(
        terminal.expect("READY42", 60),
        "no shell:\n{}",
        terminal.seen()
    );
    terminal.send("exit 5\n");
    assert_eq!(terminal.wait(30), Some(5), "{}", terminal.seen());
    assert!(
        project.containers().is_empty(),
        "the throw-away container stayed"
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

/// The addresses `name` resolves to on the project's DNS, sorted.
fn resolve(dns_container: &str, name: &str) -> Vec<String> {
    let out = docker(&[
        "exec",
        dns_container,
        "dig",
        "+short",
        &format!("{name}.local.zone"),
        "@127.0.0.1",
    ]);
    let mut found: Vec<String> = out
        .lines()
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .collect();
    found.sort();
    found
}

fn address(container: &str) -> String {
    docker(&[
        "inspect",
        "--format",
        "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
        container,
    ])
}

#[test]
fn dns_policies_append_replace_hide_and_removal() {
    let project = Project::new();
    project
        .service("app", BASE_SERVICE, &[])
        .service("rep", BASE_SERVICE, &[])
        .service("obs", BASE_SERVICE, &[]);
    let entry = |service: &str, instance: &str, policy: &str| {
        format!("{{\"service\": \"{service}\", \"instance\": \"{instance}\", \"links\": [\"reyns-dns-one:dns\"], \"env_vars\": {{\"DNS_UPDATE_POLICY\": \"{policy}\"}}}}")
    };
    let conf = format!(
        "[\n{{\"service\": \"reyns-dns\", \"instance\": \"one\"}},\n{},\n{},\n{},\n{},\n{}\n]\n",
        entry("app", "a", "APPEND"),
        entry("app", "b", "APPEND"),
        entry("app", "c", "APPEND"),
        entry("rep", "x", "REPLACE"),
        entry("obs", "h", "HIDE")
    );
    project.file("default.conf", &conf);
    project.reyns("build:all").run().success();
    project.reyns("run:all").run().success();
    let dns = project.container("reyns-dns", "one");
    let addresses = |names: &[&str]| {
        let mut found: Vec<String> = names
            .iter()
            .map(|i| address(&project.container("app", i)))
            .collect();
        found.sort();
        found
    };
    assert!(
        eventually(20, || resolve(&dns, "app") == addresses(&["a", "b", "c"])),
        "APPEND: {:?}",
        resolve(&dns, "app")
    );
    assert_eq!(
        resolve(&dns, "app-b"),
        vec![address(&project.container("app", "b"))]
    );

    // Scaling down under APPEND: only b's address leaves the service name.
    project.reyns("clean:app,b").run().success();
    assert_eq!(resolve(&dns, "app"), addresses(&["a", "c"]));
    assert!(resolve(&dns, "app-b").is_empty(), "app-b still registered");

    // REPLACE: the newest instance only.
    assert_eq!(
        resolve(&dns, "rep"),
        vec![address(&project.container("rep", "x"))]
    );
    for newest in ["y", "z"] {
        project
            .reyns(&format!("run:rep,instance={newest}"))
            .env("DNS_SERVICE_IP", &address(&dns))
            .run()
            .success();
        assert_eq!(
            resolve(&dns, "rep"),
            vec![address(&project.container("rep", newest))]
        );
    }

    // HIDE: not registered, but resolves the others through the DNS.
    assert!(
        resolve(&dns, "obs-h").is_empty() && resolve(&dns, "obs").is_empty(),
        "HIDE registered"
    );
    project
        .reyns("shell:obs,h,command=host app-a")
        .run()
        .success()
        .stdout_has("has address");

    // An update signed with another key is refused.
    let forged = "key \"reyns\" { algorithm hmac-sha256; secret \"bm90IHRoZSByaWdodCBrZXkgYXQgYWxsIDAxMjM0NTY3\"; };";
    let app = project.container("app", "a");
    let wrote_key = docker_with_input(
        &["exec", "-i", &app, "tee", "/tmp/forged.key"],
        &format!("{forged}\n"),
    );
    assert!(wrote_key.status.success(), "could not write the forged key");
    let update = format!(
        "server {}\nzone local.zone\nupdate add evil.local.zone 60 A 10.6.6.6\nsend\n",
        address(&dns)
    );
    let forged_run = docker_with_input(
        &["exec", "-i", &app, "nsupdate", "-k", "/tmp/forged.key"],
        &update,
    );
    assert!(!forged_run.status.success(), "a forged update was taken");
    assert!(
        String::from_utf8_lossy(&forged_run.stderr).contains("tsig"),
        "nsupdate failed for another reason: {}",
        String::from_utf8_lossy(&forged_run.stderr)
    );
    assert!(resolve(&dns, "evil").is_empty(), "evil.local.zone exists");
}

#[test]
fn images_with_another_installations_key_refuse_this_one() {
    // A second installation: its own REYNS_HOME, hence its own keys.
    let other_home_dir = support::temp_dir();
    let other_home = other_home_dir.path().join("other-home");
    let made = std::process::Command::new(support::reyns_bin())
        .arg("init:plan=True")
        .env("REYNS_HOME", &other_home)
        .output()
        .unwrap();
    assert!(made.status.success());
    let other_public = std::fs::read_to_string(other_home.join("keys/id_ed25519.pub")).unwrap();
    assert_ne!(
        other_public,
        std::fs::read_to_string(support::default_home().join("keys/id_ed25519.pub")).unwrap()
    );
    // A service whose image carries only the other installation's public key.
    let project = Project::new();
    project.service(
        "svc",
        "FROM reyns/reyns-base\nCOPY other.pub /home/reyns/.ssh/authorized_keys\n",
        &[("other.pub", &other_public)],
    );
    project.reyns("build:svc").run().success();
    project.reyns("run:svc,instance=a").run().success();
    project
        .reyns("ssh:svc,command=true,wait=5")
        .run()
        .code(1)
        .stderr_has("refused");
    project
        .reyns("ssh:svc,command=echo welcome")
        .env("REYNS_HOME", &other_home.display().to_string())
        .run()
        .success()
        .stdout_has("welcome");
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

/// The demo's multi-node conf on one host, as the original guide describes:
/// the master's DNS published on the Docker bridge's address (this host's own
/// interface `docker0`, made by the engine; no traffic leaves the machine).
#[test]
fn multinode_demo_on_one_host() {
    let project = Project::new();
    support::copy_tree(&support::repo().join("demo"), &project.dir);
    let conf = std::fs::read_to_string(project.dir.join("default-multinode.conf")).unwrap();
    std::fs::write(
        project.dir.join("default-multinode.conf"),
        conf.replace("from_eth0", "from_docker0"),
    )
    .unwrap();
    let bridge =
        reyns::host::net::iface_ipv4("docker0").expect("the Docker bridge docker0 has an address");
    project.reyns("build:all").run().success();
    // DNS_SERVICE_IP exported, as the guide's single-host test invites: the
    // DNS must not wait on itself.
    let started = std::time::Instant::now();
    project
        .reyns("run:group=master,conf=default-multinode")
        .env("DNS_SERVICE_IP", &bridge)
        .run()
        .success();
    assert!(
        started.elapsed().as_secs() < 60,
        "the master group took {:?}",
        started.elapsed()
    );
    project
        .reyns(&format!("doctor:conf=default-multinode,dns={bridge}"))
        .run()
        .success()
        .stdout_has("answers on tcp/53");
    // The nodes are asked for DNS_SERVICE_IP: without a terminal it must come from the environment.
    project
        .reyns("run:group=node1,conf=default-multinode")
        .run()
        .code(1)
        .stderr_has("DNS_SERVICE_IP");
    project
        .reyns("run:group=node1,conf=default-multinode")
        .env("DNS_SERVICE_IP", &bridge)
        .run()
        .success();
    project
        .reyns("run:group=node2,conf=default-multinode")
        .env("DNS_SERVICE_IP", &bridge)
        .run()
        .success();
    project
        .reyns("ssh:demo,onenode2,command=ping -c1 demo-onenode1")
        .run()
        .success()
        .stdout_has("1 received");
    project
        .reyns("ssh:demo,onenode2,command=host demo-main")
        .run()
        .success()
        .stdout_has(&bridge);
    project
        .reyns("clean:group=node2,conf=default-multinode,force=True")
        .run()
        .success();
    let left = project.containers().len();
    assert_eq!(left, 4, "clean:group=node2 removes its two instances only");
}

/// The container names a node's engine holds, sorted.
fn names_on(node_container: &str) -> Vec<String> {
    let mut names: Vec<String> = docker(&[
        "exec",
        node_container,
        "docker",
        "ps",
        "-a",
        "--format",
        "{{.Names}}",
    ])
    .lines()
    .map(str::to_string)
    .collect();
    names.sort();
    names
}

/// Three nodes, each a container running its own Docker engine, reached
/// from this host's reyns over tcp://<node>:2375 on the test's own network:
/// one `run:all` places every group on its node, the DNS on the master's
/// address; names resolve across nodes; `ps` lists every node; `clean:all`
/// cleans the nodes that answer and names the one that does not.
#[test]
fn multinode_demo_driven_from_one_workstation() {
    let mut guard = Nodes::new();
    let project = Project::new();
    support::copy_tree(&support::repo().join("demo"), &project.dir);
    let nodes = ["master", "node1", "node2"];
    let node = |n: &str| format!("{}-{n}", project.name);
    let node2 = node("node2");
    for (index, n) in nodes.iter().enumerate() {
        guard.start(&node(n), n, &format!("172.30.{}.1/24", index + 1));
    }
    let address = |n: &str| guard.address(&node(n));
    let endpoints: Vec<String> = nodes
        .iter()
        .map(|n| format!("\"{n}\": \"tcp://{}:2375\"", address(n)))
        .collect();
    project.file(
        "host.conf",
        &format!(
            "{{\"env_vars\": {{}}, \"nodes\": {{{}}}}}\n",
            endpoints.join(", ")
        ),
    );
    for n in nodes {
        assert!(
            eventually(120, || project
                .reyns(&format!("doctor:node={n}"))
                .run()
                .stdout
                .contains("answers")),
            "the engine of node {n} did not come up"
        );
    }

    // Reyns' images copied through this host, the demo built on each node.
    project.reyns("init:node=all").run().success();
    project
        .reyns("init:node=node1")
        .run()
        .success()
        .stderr_has("has Reyns' images already");
    project.reyns("build:all,node=all").run().success();

    project
        .reyns("run:all,conf=default-multinode")
        .run()
        .success();
    let master = address("master");
    assert_eq!(
        names_on(&node("master")),
        vec![
            project.container("demo", "main"),
            project.container("reyns-dns", "main")
        ]
    );
    for n in ["node1", "node2"] {
        assert_eq!(
            names_on(&node(n)),
            vec![
                project.container("demo", &format!("one{n}")),
                project.container("demo", &format!("two{n}"))
            ]
        );
    }
    // DNS_SERVICE_IP filled in from the master's DNS, SERVICE_IP read on the node.
    let onenode1 = docker(&[
        "exec",
        &node("node1"),
        "docker",
        "inspect",
        "--format",
        "{{join .Config.Env \" \"}}",
        &project.container("demo", "onenode1"),
    ]);
    assert!(
        onenode1.contains(&format!("DNS_SERVICE_IP={master}")),
        "{onenode1}"
    );
    assert!(
        onenode1.contains(&format!("SERVICE_IP={}", address("node1"))),
        "{onenode1}"
    );

    project
        .reyns("doctor:conf=default-multinode")
        .run()
        .success()
        .stdout_has("node node2: ok: the DNS at")
        .stdout_has("answers queries on udp/53 from there")
        .stdout_has("carry this installation's key");
    project
        .reyns("shell:demo,onenode2,command=ping -c1 demo-onenode1")
        .run()
        .success()
        .stdout_has(&address("node1"))
        .stdout_has("1 received");
    project
        .reyns("ssh:demo,onenode2,command=true")
        .run()
        .code(1)
        .stderr_has("publish_ssh_on");
    let table = project.reyns("ps").run().success();
    assert!(table.stdout.contains("NODE"), "{}", table.stdout);
    for (instance, n) in [
        ("main", "master"),
        ("onenode1", "node1"),
        ("twonode2", "node2"),
    ] {
        assert!(
            table.stdout.lines().any(|line| line
                .starts_with(&format!("demo,instance={instance} "))
                && line.trim_end().ends_with(n)),
            "{instance} on {n}:\n{}",
            table.stdout
        );
    }
    let listed: serde_json::Value =
        serde_json::from_str(&project.reyns("ps:format=json").run().success().stdout).unwrap();
    let placed: Vec<(String, String)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["container"].as_str().unwrap().to_string(),
                row["node"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(placed.len(), 6, "{placed:?}");
    assert!(placed.contains(&(project.container("reyns-dns", "main"), "master".into())));
    assert!(placed.contains(&(project.container("demo", "twonode2"), "node2".into())));
    project
        .reyns("logs:demo,onenode1")
        .run()
        .success()
        .stdout_has("demo-onenode1 |");

    // Converge per node: nothing changed, nothing touched; a group cleaned
    // on its node only, and made again.
    project
        .reyns("run:all,conf=default-multinode")
        .run()
        .success()
        .stderr_has("created 0, started 0, recreated 0, kept 6");
    project
        .reyns("clean:group=node1,conf=default-multinode,force=True")
        .run()
        .success();
    assert!(names_on(&node("node1")).is_empty());
    assert_eq!(names_on(&node("node2")).len(), 2);
    assert_eq!(names_on(&node("master")).len(), 2);
    project
        .reyns("run:all,conf=default-multinode")
        .run()
        .success()
        .stderr_has("created 2, started 0, recreated 0, kept 4");

    // A node whose engine does not answer (its port refuses connections):
    // named, the others still cleaned.
    let refuse = [
        "-p",
        "tcp",
        "--dport",
        "2375",
        "-j",
        "REJECT",
        "--reject-with",
        "tcp-reset",
    ];
    let iptables = |action: &str, what: &str| {
        let mut argv = vec!["exec", node2.as_str(), "iptables", action, "INPUT"];
        argv.extend(refuse);
        ok(
            std::process::Command::new("docker")
                .args(&argv)
                .output()
                .unwrap(),
            what,
        );
    };
    iptables("-I", "blocking node2's engine");
    project
        .reyns("clean:all,conf=default-multinode,force=True")
        .run()
        .code(1)
        .stderr_has("node node2 does not answer");
    assert!(names_on(&node("master")).is_empty());
    assert!(names_on(&node("node1")).is_empty());
    assert_eq!(
        names_on(&node2).len(),
        2,
        "node2's instances are left to a later clean"
    );
    iptables("-D", "unblocking node2's engine");
    project
        .reyns("clean:all,conf=default-multinode,force=True")
        .run()
        .success();
    assert!(names_on(&node("node2")).is_empty());
}

/// The container id of each of the project's instances, by container name.
fn container_ids(project: &Project) -> std::collections::BTreeMap<String, String> {
    let filter = format!("label=reyns.project={}", project.name);
    docker(&[
        "ps",
        "-a",
        "--no-trunc",
        "--filter",
        &filter,
        "--format",
        "{{.Names}} {{.ID}}",
    ])
    .lines()
    .filter_map(|line| line.split_once(' '))
    .map(|(name, id)| (name.to_string(), id.to_string()))
    .collect()
}

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

/// Runs git with a fixed identity in `dir`; its stdout.
fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args(["-c", "user.email=test@reyns", "-c", "user.name=reyns test"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Writes `files` in the developer's clone, commits and pushes them.
fn push(dir: &std::path::Path, message: &str, files: &[(&str, &str)]) -> String {
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-qm", message]);
    git(dir, &["push", "-q", "origin", "HEAD"]);
    git(dir, &["rev-parse", "HEAD"])
}

/// The daemon on a bare repository as `origin`: the first round builds and
/// runs, a round with no commit is `unchanged` and changes nothing, a commit
/// to one service recreates its instance only, a commit that does not build
/// leaves the platform untouched, one that does not start is rolled back
/// and not retried, and a branch with its own conf uses it.
#[test]
fn daemon_follows_git_and_rolls_back() {
    let project = Project::new();
    let origin = project.dir.join("origin.git");
    let dev = project.dir.join("dev");
    let host = project.dir.join("host");
    std::fs::create_dir_all(&dev).unwrap();
    git(
        &project.dir,
        &[
            "init",
            "-q",
            "--bare",
            "-b",
            "main",
            origin.to_str().unwrap(),
        ],
    );
    git(&dev, &["init", "-q", "-b", "main"]);
    git(&dev, &["remote", "add", "origin", origin.to_str().unwrap()]);
    let service = |name: &str, greeting: &str| {
        (
            format!("services/{name}/Dockerfile"),
            format!("FROM reyns/reyns-base\nCOPY prestartup_{name}.sh /prestartup/\n"),
            format!("services/{name}/prestartup_{name}.sh"),
            format!("echo {greeting}\n"),
        )
    };
    let (web_df, web_docker, web_pre, _) = service("web", "web v1");
    let (worker_df, worker_docker, worker_pre, worker_text) = service("worker", "worker v1");
    push(
        &dev,
        "v1",
        &[
            (&web_df, &web_docker),
            (&web_pre, "echo web v1\n"),
            (&worker_df, &worker_docker),
            (&worker_pre, &worker_text),
            (
                "default.conf",
                r#"[{"service": "web", "instance": "one"}, {"service": "worker", "instance": "one"}]"#,
            ),
            (".gitignore", ".reyns/\nhost.conf\n"),
        ],
    );
    git(
        &project.dir,
        &[
            "clone",
            "-q",
            origin.to_str().unwrap(),
            host.to_str().unwrap(),
        ],
    );
    let daemon = || {
        support::Test::in_dir(&host)
            .real_docker()
            .env("PROJECT_NAME", &project.name)
            .env("LOG_LEVEL", "DEBUG")
            .args("daemon:once=True")
            .run()
    };
    let releases = || -> Vec<serde_json::Value> {
        std::fs::read_to_string(host.join(".reyns/releases.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    };
    let last = || releases().last().cloned().unwrap();
    let web = project.container("web", "one");
    let worker = project.container("worker", "one");

    // First round: built and running.
    daemon().success();
    assert_eq!(last()["result"], "deployed");
    let ids = container_ids(&project);
    assert_eq!(ids.len(), 2, "{ids:?}");

    // No new commit: unchanged, and no docker command that changes anything.
    let out = daemon().success();
    assert_eq!(last()["result"], "unchanged");
    let verbs: Vec<&str> = out
        .stderr
        .lines()
        .filter_map(|line| line.split("$ docker ").nth(1))
        .map(|command| command.split(' ').next().unwrap_or_default())
        .collect();
    assert!(
        verbs.contains(&"ps") && verbs.contains(&"inspect"),
        "no docker command logged:\n{}",
        out.stderr
    );
    assert!(
        verbs.iter().all(|verb| ["ps", "inspect"].contains(verb)),
        "a change on an unchanged round: {verbs:?}"
    );
    assert_eq!(ids, container_ids(&project));

    // One service's prestartup changed: that instance only.
    let v2 = push(&dev, "web v2", &[(&web_pre, "echo web v2\n")]);
    daemon().success();
    let entry = last();
    assert_eq!(
        (entry["commit"].as_str(), entry["result"].as_str()),
        (Some(v2.as_str()), Some("deployed"))
    );
    let after = container_ids(&project);
    assert_ne!(after[&web], ids[&web]);
    assert_eq!(after[&worker], ids[&worker]);
    assert!(docker(&["logs", &web]).contains("web v2"));

    // A Dockerfile that does not build: the platform untouched.
    let broken = push(
        &dev,
        "broken build",
        &[(&worker_df, &format!("{worker_docker}RUN false\n"))],
    );
    daemon().code(1);
    let entry = last();
    assert_eq!(
        (entry["commit"].as_str(), entry["result"].as_str()),
        (Some(broken.as_str()), Some("build failed"))
    );
    assert_eq!(after, container_ids(&project));
    daemon().success();
    assert_eq!(
        after,
        container_ids(&project),
        "the next round recreated something"
    );

    // A later good commit deploys.
    let fixed = push(
        &dev,
        "fixed",
        &[
            (&worker_df, &worker_docker),
            (&worker_pre, "echo worker v3\n"),
        ],
    );
    daemon().success();
    assert_eq!(last()["commit"].as_str(), Some(fixed.as_str()));
    assert_eq!(last()["result"], "deployed");
    let good = container_ids(&project);

    // A prestartup that exits 1: rolled back to the previous commit.
    let bad = push(&dev, "bad start", &[(&web_pre, "echo web v4\nexit 1\n")]);
    daemon().code(1);
    let entry = last();
    assert_eq!(
        (entry["commit"].as_str(), entry["result"].as_str()),
        (Some(bad.as_str()), Some("rolled back"))
    );
    assert_eq!(
        git(&host, &["rev-parse", "HEAD"]),
        fixed,
        "the working tree is back at the good commit"
    );
    assert_eq!(
        docker(&["inspect", "--format", "{{.State.Status}}", &web]),
        "running"
    );
    assert!(
        docker(&["logs", &web]).contains("web v2"),
        "web runs the previous image again"
    );
    assert_eq!(good[&worker], container_ids(&project)[&worker]);
    // Not retried.
    let count = releases().len();
    daemon().success();
    assert!(
        releases()[count..]
            .iter()
            .all(|e| e["commit"] != bad.as_str()),
        "the bad commit was retried"
    );

    // A branch with its own conf.
    git(&dev, &["checkout", "-q", "-b", "feature"]);
    push(
        &dev,
        "feature conf",
        &[(
            "feature.conf",
            r#"[{"service": "web", "instance": "feature"}]"#,
        )],
    );
    git(&host, &["fetch", "-q", "origin"]);
    git(
        &host,
        &["checkout", "-q", "-b", "feature", "origin/feature"],
    );
    daemon().success();
    assert_eq!(last()["conf"], "feature");
    assert!(container_ids(&project).contains_key(&project.container("web", "feature")));
}

/// A DNS that never answers (a container of the test's own with nothing on
/// port 53) fails the instance that registers on it within seconds, and the
/// message names its address.
#[test]
fn a_dns_that_does_not_answer_fails_fast_naming_it() {
    let project = Project::new();
    project.service("app", BASE_SERVICE, &[]);
    project.reyns("build:app").run().success();
    project.reyns("run:app,instance=silent").run().success();
    let silent = address(&project.container("app", "silent"));
    assert!(!silent.is_empty());
    let started = std::time::Instant::now();
    project
        .reyns("run:app,instance=two")
        .env("DNS_SERVICE_IP", &silent)
        .run()
        .code(1)
        .stderr_has(&format!("The DNS at {silent} did not take the update"));
    let took = started.elapsed();
    assert!(took.as_secs() < 15, "failing took {took:?}");
}

/// `# reyns: ready cmd ...`: an instance is up once its check passes, those
/// linked to it start only then, `ps` shows docker's health, and a check
/// that never passes fails the run naming it and what it last said.
#[test]
fn readiness_checks_hold_back_dependants_and_show_in_ps() {
    let project = Project::new();
    project.service(
        "slow",
        "FROM reyns/reyns-base\n# reyns: ready cmd test -f /tmp/ready\nCOPY prestartup_slow.sh /prestartup/\n",
        &[(
            "prestartup_slow.sh",
            "#!/bin/bash\n(sleep 2; date +%s.%N > /tmp/ready) >/dev/null 2>&1 &\n",
        )],
    );
    project.service(
        "after",
        "FROM reyns/reyns-base\nCOPY prestartup_after.sh /prestartup/\n",
        &[(
            "prestartup_after.sh",
            "#!/bin/bash\ndate +%s.%N > /tmp/started\n",
        )],
    );
    project.service(
        "never",
        "FROM reyns/reyns-base\n# reyns: ready cmd echo not listening yet; false\n",
        &[],
    );
    project.file(
        "default.conf",
        r#"[{"service": "slow", "instance": "a"}, {"service": "after", "instance": "b", "links": ["slow-a:slow"]}]"#,
    );
    project.reyns("build:all").run().success();
    project.reyns("run:all").run().success();
    let read = |service: &str, instance: &str, file: &str| -> f64 {
        let text = docker(&["exec", &project.container(service, instance), "cat", file]);
        text.parse()
            .unwrap_or_else(|_| panic!("{file} in {service}-{instance}: {text:?}"))
    };
    let ready = read("slow", "a", "/tmp/ready");
    let started = read("after", "b", "/tmp/started");
    assert!(
        started > ready,
        "after-b started at {started}, before slow-a was ready at {ready}"
    );
    assert!(
        eventually(30, || project
            .reyns("ps:format=json")
            .run()
            .stdout
            .contains("\"health\": \"healthy\"")),
        "docker never saw slow-a healthy: {}",
        project.reyns("ps").run().stdout
    );
    let table = project.reyns("ps").run().success().stdout;
    assert!(table.contains("(healthy)"), "{table}");

    let started = std::time::Instant::now();
    project
        .reyns("run:never,instance=c,timeout=3")
        .run()
        .code(1)
        .stderr_has(
            "the readiness check `cmd echo not listening yet; false` did not pass within 3 s",
        )
        .stderr_has("not listening yet");
    assert!(
        started.elapsed().as_secs() < 30,
        "took {:?}",
        started.elapsed()
    );
}
