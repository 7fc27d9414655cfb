//! End to end on a real Docker Swarm: three nodes, each a container running
//! its own Docker engine on the test's network, made a swarm by the test
//! (`swarm init`, `swarm join`, node labels), driven from this host's reyns
//! through host.conf's `swarm` and `nodes`. Checks what the engine does:
//! placement by group label, names across nodes, a lost node's instance
//! rescheduled and answering by name, a start-first update with no refused
//! connection, an update that never gets ready rolled back by the engine,
//! and `clean` leaving the persistent data on its node.

mod support;

use support::engine::{eventually, ok, Nodes, Project};

/// `docker --host <node> ARGS`: its trimmed stdout, failing the test when
/// docker fails.
fn on(endpoint: &str, args: &[&str]) -> String {
    ok(
        std::process::Command::new("docker")
            .args(["--host", endpoint])
            .args(args)
            .output()
            .unwrap(),
        &format!("docker --host {endpoint} {}", args.join(" ")),
    )
    .trim()
    .to_string()
}

/// The node each instance runs on, from `ps:format=json`.
fn placed(project: &Project) -> std::collections::BTreeMap<String, (String, String)> {
    let listed: serde_json::Value =
        serde_json::from_str(&project.reyns("ps:all,format=json").run().success().stdout).unwrap();
    listed
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["instance"].as_str().unwrap().to_string(),
                (
                    row["node"].as_str().unwrap().to_string(),
                    row["state"].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect()
}

/// A prober container on the project network, opening TCP to `demo-one:22`
/// by name every 100 ms; its log's `ok` and `refused` counts.
struct Prober {
    manager: String,
}

impl Prober {
    fn start(manager: &str, network: &str) -> Prober {
        let script = "while true; do if (exec 3<>/dev/tcp/demo-one/22) 2>/dev/null; \
                      then echo ok; else echo refused; fi >> /tmp/probe.log; sleep 0.1; done";
        on(
            manager,
            &[
                "run",
                "-d",
                "--name",
                "prober",
                "--network",
                network,
                "--entrypoint",
                "bash",
                "reyns/reyns-base",
                "-c",
                script,
            ],
        );
        let prober = Prober {
            manager: manager.to_string(),
        };
        assert!(
            eventually(20, || prober.counts().0 >= 5),
            "the prober never reached demo-one"
        );
        prober
    }

    fn counts(&self) -> (usize, usize) {
        let log = std::process::Command::new("docker")
            .args([
                "--host",
                &self.manager,
                "exec",
                "prober",
                "cat",
                "/tmp/probe.log",
            ])
            .output()
            .unwrap();
        let log = String::from_utf8_lossy(&log.stdout).to_string();
        let count = |word: &str| log.lines().filter(|line| *line == word).count();
        (count("ok"), count("refused"))
    }

    /// Tries since the last reset, then a fresh log.
    fn take(&self) -> (usize, usize) {
        let counts = self.counts();
        on(
            &self.manager,
            &["exec", "prober", "truncate", "-s", "0", "/tmp/probe.log"],
        );
        counts
    }
}

#[test]
fn the_demo_on_a_three_node_swarm() {
    let project = Project::new();
    support::copy_tree(&support::repo().join("demo"), &project.dir);
    let mut nodes = Nodes::new();
    let names = ["manager", "worker1", "worker2"];
    let container = |n: &str| format!("{}-{n}", project.name);
    for (index, n) in names.iter().enumerate() {
        nodes.start(&container(n), n, &format!("172.31.{}.1/24", index + 1));
    }
    let endpoint = |n: &str| format!("tcp://{}:2375", nodes.address(&container(n)));
    for n in names {
        assert!(
            eventually(60, || std::process::Command::new("docker")
                .args(["--host", &endpoint(n), "info"])
                .output()
                .is_ok_and(|out| out.status.success())),
            "the engine of {n} did not come up"
        );
    }
    let manager = endpoint("manager");
    on(
        &manager,
        &[
            "swarm",
            "init",
            "--advertise-addr",
            &nodes.address(&container("manager")),
        ],
    );
    let token = on(&manager, &["swarm", "join-token", "--quiet", "worker"]);
    for n in ["worker1", "worker2"] {
        let joined = format!("{}:2377", nodes.address(&container("manager")));
        on(&endpoint(n), &["swarm", "join", "--token", &token, &joined]);
    }
    on(
        &manager,
        &[
            "node",
            "update",
            "--label-add",
            "reyns.group=master",
            "manager",
        ],
    );
    for n in ["worker1", "worker2"] {
        on(
            &manager,
            &["node", "update", "--label-add", "reyns.group=work", n],
        );
    }
    project.file(
        "host.conf",
        &format!(
            "{{\"swarm\": \"{manager}\", \"nodes\": {{\"manager\": \"{manager}\", \"worker1\": \"{}\", \"worker2\": \"{}\"}}}}\n",
            endpoint("worker1"),
            endpoint("worker2")
        ),
    );
    let conf = "conf=default-swarm";

    // Faults named before anything changes: a worker as the manager, a
    // group no node is labelled with.
    let host_conf = std::fs::read_to_string(project.dir.join("host.conf")).unwrap();
    project.file(
        "host.conf",
        &host_conf.replacen(&manager, &endpoint("worker1"), 1),
    );
    project
        .reyns("ps")
        .run()
        .code(1)
        .stderr_has("is not a swarm manager");
    project.file("host.conf", &host_conf);
    project.file(
        "nowhere.conf",
        "[{\"service\": \"demo\", \"instance\": \"lost\", \"group\": \"nowhere\"}]\n",
    );
    project
        .reyns("run:all,conf=nowhere")
        .run()
        .code(1)
        .stderr_has("no swarm node is labelled reyns.group=nowhere");
    let run_all = format!("run:all,{conf}");

    // Images on every node before anything runs: a node without them is
    // named, and no service is made.
    project.reyns("init:node=all").run().success();
    project
        .reyns(&run_all)
        .run()
        .code(1)
        .stderr_has("has no image")
        .stderr_has("reyns build:");
    assert_eq!(
        on(&manager, &["service", "ls", "--quiet"]),
        "",
        "nothing is deployed half"
    );
    project.reyns("build:all,node=all").run().success();
    // A stock image among them, on every node by docker save | load.
    let conf_path = project.dir.join("default-swarm.conf");
    let text = std::fs::read_to_string(&conf_path).unwrap();
    let stock_entry = r#",
    {"service": "cache", "instance": "one", "group": "work", "image": "debian:bookworm-slim",
     "command": "sleep infinity", "init": true}
]"#;
    std::fs::write(
        &conf_path,
        text.trim_end().trim_end_matches(']').to_string() + stock_entry,
    )
    .unwrap();
    for n in names {
        let loaded = std::process::Command::new("sh")
            .args([
                "-c",
                &format!(
                    "docker save debian:bookworm-slim | docker --host {} load",
                    endpoint(n)
                ),
            ])
            .status()
            .unwrap();
        assert!(loaded.success(), "debian:bookworm-slim did not reach {n}");
    }

    // Placed by group label; names resolve across nodes.
    project.reyns(&run_all).run().success();
    let where_ = placed(&project);
    assert_eq!(
        where_["main"],
        ("manager".to_string(), "running".to_string())
    );
    for instance in ["one", "two", "data"] {
        assert!(
            where_[instance].0.starts_with("worker") && where_[instance].1 == "running",
            "{instance}: {where_:?}"
        );
    }
    project
        .reyns("shell:demo,main,command=ping -c1 demo-one")
        .run()
        .success()
        .stdout_has("1 received");
    // The stock image's service runs and is found by name.
    project
        .reyns("shell:demo,main,command=ping -c1 cache-one")
        .run()
        .success()
        .stdout_has("1 received");
    let doctor = project.reyns(&format!("doctor:{conf}")).run().success();
    assert!(
        doctor
            .stdout
            .contains("group work runs on worker1, worker2"),
        "{}",
        doctor.stdout
    );

    // An env change updates demo-one only, start-first, with no refusal.
    let prober = Prober::start(&manager, &project.name);
    let versions = || {
        ["main", "one", "two", "data"].map(|i| {
            on(
                &manager,
                &[
                    "service",
                    "inspect",
                    "--format",
                    "{{.Version.Index}}",
                    &project.container("demo", i),
                ],
            )
        })
    };
    let before = versions();
    let conf_path = project.dir.join("default-swarm.conf");
    let text = std::fs::read_to_string(&conf_path).unwrap();
    std::fs::write(
        &conf_path,
        text.replacen(
            "\"instance\": \"one\",",
            "\"instance\": \"one\", \"env_vars\": {\"GREETING\": \"hi\"},",
            1,
        ),
    )
    .unwrap();
    project
        .reyns(&run_all)
        .run()
        .success()
        .stderr_has("recreated 1 (");
    let after = versions();
    assert_ne!(before[1], after[1], "demo-one was updated");
    assert_eq!(
        (before[0].clone(), before[2].clone(), before[3].clone()),
        (after[0].clone(), after[2].clone(), after[3].clone())
    );
    let one = project.container("demo", "one");
    assert_eq!(
        on(
            &manager,
            &[
                "service",
                "inspect",
                "--format",
                "{{.Spec.UpdateConfig.Order}}",
                &one
            ]
        ),
        "start-first"
    );
    assert!(on(
        &manager,
        &[
            "service",
            "inspect",
            "--format",
            "{{json .Spec.TaskTemplate.ContainerSpec.Env}}",
            &one
        ]
    )
    .contains("GREETING=hi"));
    let (answered, refused) = prober.take();
    assert!(
        answered > 10 && refused == 0,
        "during the update: {answered} ok, {refused} refused"
    );

    // An update whose check never passes is rolled back by the engine.
    let dockerfile = project.dir.join("services/demo/Dockerfile");
    let good = std::fs::read_to_string(&dockerfile).unwrap();
    std::fs::write(&dockerfile, good.replace("ready tcp 22", "ready tcp 2222")).unwrap();
    project.reyns("build:all,node=all").run().success();
    project
        .reyns(&format!("run:demo,instance=one,{conf},timeout=5"))
        .run()
        .code(1)
        .stderr_has("rolled the update back")
        .stderr_has("tcp 2222");
    let (answered, refused) = prober.take();
    assert!(
        answered > 10 && refused == 0,
        "during the rollback: {answered} ok, {refused} refused"
    );
    std::fs::write(&dockerfile, good).unwrap();
    project.reyns("build:all,node=all").run().success();

    // A lost node: its unpinned instance runs again on the other worker
    // within 90 s, reachable by name.
    let lost = placed(&project)["one"].0.clone();
    let kept = if lost == "worker1" {
        "worker2"
    } else {
        "worker1"
    };
    ok(
        std::process::Command::new("docker")
            .args(["stop", &container(&lost)])
            .output()
            .unwrap(),
        "stopping a node",
    );
    assert!(
        eventually(90, || placed(&project)["one"]
            == (kept.to_string(), "running".to_string())),
        "demo-one did not move to {kept}: {:?}",
        placed(&project)
    );
    project
        .reyns("shell:demo,main,command=ping -c1 demo-one")
        .run()
        .success()
        .stdout_has("1 received");
    // The stock image's service runs and is found by name.
    project
        .reyns("shell:demo,main,command=ping -c1 cache-one")
        .run()
        .success()
        .stdout_has("1 received");
    ok(
        std::process::Command::new("docker")
            .args(["start", &container(&lost)])
            .output()
            .unwrap(),
        "starting the node again",
    );
    assert!(
        eventually(60, || on(
            &manager,
            &["node", "inspect", "--format", "{{.Status.State}}", &lost]
        ) == "ready"),
        "{lost} did not come back"
    );

    // clean: no service, no project network; the data stays on its node.
    on(&manager, &["rm", "--force", "prober"]);
    let data_node = placed(&project)["data"].0.clone();
    let cleaned = project
        .reyns(&format!("clean:all,{conf},force=True"))
        .run()
        .success();
    assert_eq!(on(&manager, &["service", "ls", "--quiet"]), "");
    assert!(
        !on(&manager, &["network", "ls", "--format", "{{.Name}}"])
            .lines()
            .any(|name| name == project.name),
        "the project network is gone: {}",
        cleaned.stderr
    );
    let volumes = on(
        &endpoint(&data_node),
        &["volume", "ls", "--format", "{{.Name}}"],
    );
    assert!(
        volumes
            .lines()
            .any(|name| name == format!("{}-demo-data-persistent", project.name)),
        "the persistent data stays on {data_node}: {volumes}"
    );
}
