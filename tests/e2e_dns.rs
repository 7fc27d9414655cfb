//! End to end on the real Docker engine: what Reyns' DNS answers to whom.
//! Names outside `local.zone` (recursion) only for the platform: refused to
//! an address outside its networks, given to instances and to addresses in
//! `DNS_RECURSION_FROM`; the zone itself to anyone. And an APPEND instance
//! replaced start-first leaves its service name with the new address and
//! without the old one, forward and reverse.

mod support;

use support::engine::{docker, Project};

/// This host's IPv4 address on a network that is not Docker's: an address
/// outside the platform, from which a host-network container can query.
fn outside_address() -> String {
    let out = std::process::Command::new("ip")
        .args(["-4", "-o", "addr", "show", "scope", "global"])
        .output()
        .expect("run ip");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let iface = *words.get(1)?;
            let docker_made = ["docker", "br-", "veth"]
                .iter()
                .any(|p| iface.starts_with(p));
            let address = words.get(3)?.split('/').next()?;
            (!docker_made).then(|| address.to_string())
        })
        .next()
        .expect("this host has an address outside Docker's networks")
}

/// What `dig` says when asked from `source` (bound to it, from the host's
/// network) for `name` at the DNS at `server`.
fn dig_from(source: &str, server: &str, name: &str) -> String {
    docker(&[
        "run",
        "--rm",
        "--network",
        "host",
        "--entrypoint",
        "dig",
        "reyns/reyns-base",
        "-b",
        source,
        &format!("@{server}"),
        name,
        "+tries=1",
        "+time=3",
    ])
}

fn address(container: &str) -> String {
    docker(&[
        "inspect",
        "--format",
        "{{.NetworkSettings.IPAddress}}",
        container,
    ])
}

#[test]
fn recursion_is_for_the_platform_only() {
    let project = Project::new();
    project.install_demo();
    std::fs::write(
        project.dir.join("reyns-demo/recursion.conf"),
        format!(
            r#"[
  {{"service": "reyns-dns", "instance": "one"}},
  {{"service": "reyns-dns", "instance": "two", "env_vars": {{"DNS_RECURSION_FROM": "{}/32"}}}},
  {{"service": "demo", "instance": "one", "links": ["reyns-dns-one:dns"]}}
]"#,
            outside_address()
        ),
    )
    .unwrap();
    project.in_demo("build:all", "x").run().success();
    project
        .in_demo("run:all,conf=recursion", "x")
        .run()
        .success();
    let outside = outside_address();
    let one = address(&project.container("reyns-dns", "one"));
    let two = address(&project.container("reyns-dns", "two"));
    // Outside the platform: the zone, but no recursion.
    let refused = dig_from(&outside, &one, "deb.debian.org");
    assert!(refused.contains("status: REFUSED"), "{refused}");
    let zone = dig_from(&outside, &one, "demo-one.local.zone");
    assert!(zone.contains("status: NOERROR"), "{zone}");
    // An instance of the platform, and an address named in DNS_RECURSION_FROM.
    let from_instance = docker(&[
        "exec",
        &project.container("demo", "one"),
        "dig",
        "deb.debian.org",
        "+tries=1",
        "+time=3",
    ]);
    assert!(
        from_instance.contains("status:") && !from_instance.contains("status: REFUSED"),
        "{from_instance}"
    );
    let listed = dig_from(&outside, &two, "deb.debian.org");
    assert!(
        listed.contains("status:") && !listed.contains("status: REFUSED"),
        "{listed}"
    );
}

#[test]
fn an_append_instance_replaced_start_first_leaves_no_stale_address() {
    let project = Project::new();
    project.install_demo();
    std::fs::write(
        project.dir.join("reyns-demo/append.conf"),
        r#"[
  {"service": "reyns-dns", "instance": "one"},
  {"service": "demo", "instance": "a", "links": ["reyns-dns-one:dns"], "env_vars": {"DNS_UPDATE_POLICY": "APPEND", "CHANGE": null}},
  {"service": "demo", "instance": "b", "links": ["reyns-dns-one:dns"], "env_vars": {"DNS_UPDATE_POLICY": "APPEND"}}
]"#,
    )
    .unwrap();
    let reyns = |line: &str, change: &str| project.in_demo(line, "x").env("CHANGE", change);
    reyns("build:all", "1").run().success();
    reyns("run:all,conf=append", "1").run().success();
    let dns = project.container("reyns-dns", "one");
    let ask = |args: &[&str]| {
        let mut argv = vec!["exec", dns.as_str(), "dig", "+short", "@127.0.0.1"];
        argv.extend(args);
        let mut found: Vec<String> = docker(&argv).lines().map(str::to_string).collect();
        found.sort();
        found
    };
    let a = project.container("demo", "a");
    let b = project.container("demo", "b");
    let old_a = address(&a);
    let mut both = vec![old_a.clone(), address(&b)];
    both.sort();
    assert_eq!(ask(&["demo.local.zone"]), both);

    reyns("run:all,conf=append", "2")
        .run()
        .success()
        .stderr_has("env CHANGE changed");
    let new_a = address(&a);
    assert_ne!(new_a, old_a, "demo-a has a new container");
    let mut both = vec![new_a.clone(), address(&b)];
    both.sort();
    assert_eq!(
        ask(&["demo.local.zone"]),
        both,
        "the old address left the service name"
    );
    assert_eq!(ask(&["demo-a.local.zone"]), [new_a.clone()]);
    assert!(
        ask(&["-x", &old_a]).is_empty(),
        "the old reverse record is gone"
    );
    assert_eq!(ask(&["-x", &new_a]), ["demo-a.local.zone."]);
}
