//! End to end on the real Docker engine: stock images (a conf entry's
//! `image`) run as they are beside a reyns-base instance and the DNS. Two
//! stand-in images are built here under registry-like names (no registry
//! answers on this machine): a "store" with a VOLUME and an EXPOSEd port
//! and no HEALTHCHECK (a database's shape), and a "cache" with a
//! HEALTHCHECK. Checked: names on the DNS both ways, a request by name, the
//! health in `ps`, data kept across `clean` + `run`, `shell`, `ssh`'s
//! pointer, a retagged image recreating one instance for `image changed`,
//! and `clean` removing the records.

mod support;

use support::engine::{docker, docker_may_fail, eventually, Project};

/// A server on port 7000 answering each connection with what the file in
/// its VOLUME holds (perl-base is in every Debian image).
const STORE: &str = r#"FROM debian:bookworm-slim
VOLUME /var/lib/store
EXPOSE 7000
CMD ["perl", "-MIO::Socket::INET", "-e", "$SIG{TERM} = sub { exit 0 }; my $s = IO::Socket::INET->new(LocalPort => 7000, Listen => 5, ReuseAddr => 1) or die $!; while (my $c = $s->accept) { my $f = '/var/lib/store/greeting'; my $g = 'nothing'; if (open(my $h, '<', $f)) { $g = <$h>; chomp $g; } print $c \"store says: $g\\n\"; close $c; }"]
"#;

/// Healthy a second after it starts.
const CACHE: &str = r#"FROM debian:bookworm-slim
EXPOSE 6379
HEALTHCHECK --interval=1s --timeout=2s --retries=3 CMD test -e /tmp/ready
CMD ["sh", "-c", "trap 'exit 0' TERM; sleep 1; touch /tmp/ready; while :; do sleep 1; done"]
"#;

/// Images built for one test, removed when it ends, pass or fail.
struct Images(Vec<String>);

impl Images {
    fn build(&mut self, name: &str, dockerfile: &str) {
        let out = support::engine::docker_with_input(
            &["build", "--quiet", "--tag", name, "-"],
            dockerfile,
        );
        assert!(
            out.status.success(),
            "docker build {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if !self.0.iter().any(|known| known == name) {
            self.0.push(name.to_string());
        }
    }
}

impl Drop for Images {
    fn drop(&mut self) {
        for name in &self.0 {
            docker_may_fail(&["rmi", "--force", name]);
        }
    }
}

/// The container's address on docker's network.
fn address(container: &str) -> String {
    docker(&[
        "inspect",
        "--format",
        "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
        container,
    ])
    .trim()
    .to_string()
}

/// What `name` resolves to on the DNS container, sorted.
fn resolve(dns: &str, name: &str) -> Vec<String> {
    let out = docker(&[
        "exec",
        dns,
        "dig",
        "+short",
        &format!("{name}.local.zone"),
        "@127.0.0.1",
    ]);
    let mut found: Vec<String> = out
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    found.sort();
    found
}

#[test]
fn stock_images_run_as_instances_beside_reyns_base() {
    let project = Project::new();
    let mut images = Images(Vec::new());
    let store_image = format!("registry.reyns.test:5000/{}/store:1", project.name);
    let cache_image = format!("registry.reyns.test:5000/{}/cache:7", project.name);
    images.build(&store_image, STORE);
    images.build(&cache_image, CACHE);
    project.service("web", "FROM reyns/reyns-base\n# reyns: ready tcp 22\n", &[]);
    project.file(
        "default.conf",
        &format!(
            r#"[
    {{"service": "reyns-dns", "instance": "one"}},
    {{"service": "web", "instance": "one", "links": ["reyns-dns-one:dns"]}},
    {{"service": "store", "instance": "one", "image": "{store_image}", "persistent_data": true,
      "ready": "tcp 7000", "links": ["reyns-dns-one:dns"]}},
    {{"service": "cache", "instance": "one", "image": "{cache_image}", "links": ["reyns-dns-one:dns"]}}
]
"#
        ),
    );
    // build:all builds the one folder; an image service has nothing to build.
    project.reyns("build:all").run().success();
    project
        .reyns("build:cache")
        .run()
        .success()
        .stderr_has("is an image service");

    let started = std::time::Instant::now();
    project.reyns("run:all").run().success();
    let took = started.elapsed().as_secs_f64();
    assert!(took < 60.0, "run:all took {took} s");
    let dns = project.container("reyns-dns", "one");
    let store = project.container("store", "one");
    let cache = project.container("cache", "one");

    // The image ran as it is: its own CMD, no reyns env, its VOLUME kept
    // under the data folder, its resolver on the DNS.
    let mounts = docker(&[
        "inspect",
        "--format",
        "{{range .Mounts}}{{.Source}}:{{.Destination}} {{end}}",
        &store,
    ]);
    let data = project
        .dir
        .join(format!("data_{}", project.name))
        .join("store-one/var/lib/store");
    assert!(
        mounts.contains(&format!("{}:/var/lib/store", data.display())),
        "store's mounts: {mounts}"
    );
    let env = docker(&["inspect", "--format", "{{json .Config.Env}}", &store]);
    assert!(
        !env.contains("PERSISTENT_DATA"),
        "reyns-base's env in a stock image: {env}"
    );

    // Names on the DNS, from the reyns-base instance and from the stock one.
    for (name, container) in [
        ("store-one", &store),
        ("store", &store),
        ("cache-one", &cache),
        ("cache", &cache),
    ] {
        assert_eq!(resolve(&dns, name), vec![address(container)], "{name}");
    }
    project
        .reyns("shell:web,command=getent hosts cache-one")
        .run()
        .success()
        .stdout_has(&address(&cache));
    let from_cache = docker(&["exec", &cache, "getent", "hosts", "web-one"]);
    assert!(
        from_cache.contains(&address(&project.container("web", "one"))),
        "web-one from the cache: {from_cache}"
    );
    // A request by name is answered.
    let ask_store = "shell:web,command=bash -c 'exec 3<>/dev/tcp/store/7000; cat <&3'";
    project
        .reyns(ask_store)
        .run()
        .success()
        .stdout_has("store says: nothing");

    // ps shows the HEALTHCHECK's verdict.
    let healthy = || {
        let out = project.reyns("ps:format=json").run().success();
        let rows: serde_json::Value = serde_json::from_str(&out.stdout).expect("ps JSON");
        rows.as_array()
            .unwrap()
            .iter()
            .any(|row| row["service"] == "cache" && row["health"] == "healthy")
    };
    assert!(eventually(20, healthy), "cache never showed healthy in ps");
    project
        .reyns("status:cache")
        .run()
        .success()
        .stdout_has("(no supervisord)");

    // Data written before clean + run is still there; shell works.
    docker(&[
        "exec",
        &store,
        "sh",
        "-c",
        "echo kept > /var/lib/store/greeting",
    ]);
    project.reyns("clean:store,one,force=True").run().success();
    assert!(
        resolve(&dns, "store-one").is_empty(),
        "clean left store-one on the DNS"
    );
    project.reyns("run:all").run().success();
    project
        .reyns(ask_store)
        .run()
        .success()
        .stdout_has("store says: kept");
    project
        .reyns("shell:store,command=cat /var/lib/store/greeting")
        .run()
        .success()
        .stdout_has("kept");
    // ssh: one line pointing at shell.
    let refused = project.reyns("ssh:store,command=true").run();
    assert_ne!(refused.code, 0);
    let said: Vec<&str> = refused.stderr.lines().collect();
    assert_eq!(said.len(), 1, "{}", refused.stderr);
    assert!(
        said[0].contains("reyns shell:store,one"),
        "{}",
        refused.stderr
    );

    // The tag now names another image: one recreate, for that reason.
    images.build(&cache_image, &format!("{CACHE}LABEL version=2\n"));
    let plan = project.reyns("run:all,plan=True").run().success();
    let recreates: Vec<&str> = plan
        .stdout
        .lines()
        .filter(|l| l.starts_with("recreate "))
        .collect();
    assert_eq!(
        recreates,
        vec![format!("recreate {cache} (start-first): image changed").as_str()],
        "{}",
        plan.stdout
    );
    let old_address = address(&cache);
    project
        .reyns("run:all")
        .run()
        .success()
        .stderr_has("image changed");
    let new_address = address(&cache);
    assert_eq!(
        resolve(&dns, "cache"),
        vec![new_address.clone()],
        "the name moved (from {old_address})"
    );
    assert_eq!(resolve(&dns, "cache-one"), vec![new_address]);
    // Nothing left to do (a kept stock instance registers again, in case a
    // reyns was killed before it did), and clean removes the records.
    let again = project.reyns("run:all,plan=True").run().success();
    assert!(
        !again
            .stdout
            .lines()
            .any(|l| ["create ", "start ", "recreate "]
                .iter()
                .any(|decision| l.starts_with(decision))),
        "a second plan: {}",
        again.stdout
    );
    project.reyns("clean:cache,force=True").run().success();
    assert!(resolve(&dns, "cache").is_empty() && resolve(&dns, "cache-one").is_empty());
    project.reyns("clean:all,force=True").run().success();
    assert!(
        data.join("greeting").exists(),
        "clean:all deleted the persistent data"
    );
}
