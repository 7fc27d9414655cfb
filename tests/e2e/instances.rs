//! Instances: persistent data across clean and run, the master type, dashed names, published ports, interactive runs, readiness.

use super::*;

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

/// `# reyns: ready cmd ...`: an instance is up once its check passes, those
/// linked to it with `"wait": "ready"` start only then, `ps` shows docker's health, and a check
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
        r#"[{"service": "slow", "instance": "a"}, {"service": "after", "instance": "b", "links": [{"name": "slow", "service": "slow", "instance": "a", "wait": "ready"}]}]"#,
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
