//! Nodes: the multi-node demo on one host, and on three engines driven from one workstation.

use super::*;

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
    // The master's DNS and demo-main, node1's two, and the DNS's front door
    // (its tcp/53; udp/53 is published by the DNS itself).
    let left = project.containers().len();
    assert_eq!(left, 5, "clean:group=node2 removes its two instances only");
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
    // The DNS's tcp/53 is held by its front door, on the master node too.
    assert_eq!(
        names_on(&node("master")),
        vec![
            project.container("demo", "main"),
            project.container("reyns-dns", "main"),
            format!("{}_door", project.container("reyns-dns", "main"))
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
        .stdout_has(&format!(
            "node master: front door {}_door forwards 1 port(s)",
            project.container("reyns-dns", "main")
        ))
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
    assert_eq!(
        names_on(&node("master")).len(),
        3,
        "two instances and a front door"
    );
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
    project
        .reyns("clean:group=node1,conf=default-multinode,force=True")
        .run()
        .success();
    assert!(names_on(&node("node1")).is_empty());
    iptables("-I", "blocking node2's engine");
    // run:all makes node1's group again and names node2, whose instances
    // are left as they are.
    project
        .reyns("run:all,conf=default-multinode")
        .run()
        .code(1)
        .stderr_has("node node2 does not answer")
        .stderr_has("not run; the others converged: created 2, started 0, recreated 0, kept 2");
    assert_eq!(names_on(&node("node1")).len(), 2);
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
