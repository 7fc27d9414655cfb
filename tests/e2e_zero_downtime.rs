//! End to end on the real Docker engine: zero-downtime recreates. While a
//! prober in demo-two opens TCP to `demo-one:22` by name every 50 ms (a
//! fresh lookup each time), a changed demo-one is replaced start-first with
//! no refusal; a replacement that never gets ready is removed and the old
//! demo-one keeps serving; an instance with persistent data is replaced
//! stop-first, and the plan says so.

mod support;

use support::engine::{docker, docker_may_fail, Project};

/// A prober in `container`: every 50 ms, a TCP connection to `target` (a
/// name, looked up afresh each time), one line per try in /tmp/probe.log
/// (`ok`, or `refused`), until /tmp/probe.stop exists (at most 3 minutes).
struct Prober {
    container: String,
}

impl Prober {
    fn start(container: &str, target: &str) -> Prober {
        let script = format!(
            "rm -f /tmp/probe.log /tmp/probe.stop; end=$((SECONDS+180)); \
             while [ ! -e /tmp/probe.stop ] && [ $SECONDS -lt $end ]; do \
             if (exec 3<>/dev/tcp/{target}) 2>/dev/null; then echo ok; else echo refused; fi >> /tmp/probe.log; \
             sleep 0.05; done; echo done >> /tmp/probe.log"
        );
        let out = std::process::Command::new("docker")
            .args(["exec", "-d", container, "bash", "-c", &script])
            .output()
            .expect("run docker");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Its first answers before anything changes.
        assert!(support::engine::eventually(10, || docker_may_fail(&[
            "exec",
            container,
            "cat",
            "/tmp/probe.log"
        ])
        .unwrap_or_default()
        .lines()
        .count()
            >= 3));
        Prober {
            container: container.to_string(),
        }
    }

    /// Stops it and returns how many tries were answered and refused.
    fn finish(self) -> (usize, usize) {
        docker(&["exec", &self.container, "touch", "/tmp/probe.stop"]);
        let mut log = String::new();
        assert!(
            support::engine::eventually(10, || {
                log = docker_may_fail(&["exec", &self.container, "cat", "/tmp/probe.log"])
                    .unwrap_or_default();
                log.ends_with("done")
            }),
            "the prober did not stop: {log}"
        );
        let count = |word: &str| log.lines().filter(|line| *line == word).count();
        (count("ok"), count("refused"))
    }
}

#[test]
fn a_recreate_keeps_answering_by_name_and_a_failed_replacement_takes_nothing_down() {
    let project = Project::new();
    let demo = project.install_demo();
    let reyns = |line: &str, example: &str| project.in_demo(line, example);
    let one = project.container("demo", "one");
    let two = project.container("demo", "two");
    let id_of = |name: &str| docker(&["inspect", "--format", "{{.Id}}", name]);
    reyns("build:all", "first").run().success();
    reyns("run:all", "first").run().success();

    // The plan says how demo-one would be replaced.
    reyns("run:all,plan=True", "new")
        .run()
        .success()
        .stdout_has(&format!(
            "recreate {one} (start-first): env EXAMPLE_ENV_VAR changed"
        ));

    // A changed env var: replaced start-first, never refused by name.
    let before = id_of(&one);
    let prober = Prober::start(&two, "demo-one/22");
    reyns("run:all", "new")
        .run()
        .success()
        .stderr_has("env EXAMPLE_ENV_VAR changed");
    let (answered, refused) = prober.finish();
    assert_eq!(
        refused,
        0,
        "demo-one refused {refused} of {} tries",
        answered + refused
    );
    assert!(
        answered >= 20,
        "the prober ran through the recreate ({answered} tries)"
    );
    assert_ne!(id_of(&one), before, "demo-one was recreated");
    assert_eq!(
        docker(&["exec", &one, "printenv", "EXAMPLE_ENV_VAR"]),
        "new"
    );
    // The name points at the new container.
    let address = docker(&[
        "inspect",
        "--format",
        "{{.NetworkSettings.IPAddress}}",
        &one,
    ]);
    let resolved = docker(&["exec", &two, "getent", "hosts", "demo-one"]);
    assert!(
        resolved.starts_with(&format!("{address} ")),
        "{resolved} vs {address}"
    );

    // Persistent data: replaced stop-first, as the plan says.
    let kept = project.container("demo", "kept");
    reyns("run:demo,instance=kept,persistent_data=True", "new")
        .run()
        .success();
    reyns(
        "run:demo,instance=kept,persistent_data=True,recreate=always,plan=True",
        "new",
    )
    .run()
    .success()
    .stdout_has(&format!(
        "recreate {kept} (stop-first, persistent data): recreate=always"
    ));
    let rerun = reyns(
        "run:demo,instance=kept,persistent_data=True,recreate=always",
        "new",
    )
    .env("LOG_LEVEL", "DEBUG")
    .run()
    .success();
    let stop = rerun
        .stderr
        .find(&format!("docker stop -t 10 {kept}"))
        .expect("a stop");
    let run = rerun
        .stderr
        .find(&format!("--name {kept} "))
        .expect("a run");
    assert!(
        stop < run,
        "stopped before the new one ran:\n{}",
        rerun.stderr
    );
    assert!(
        !rerun.stderr.contains(&format!("{kept}_next")),
        "{}",
        rerun.stderr
    );
    reyns(&format!("clean:demo,kept,force=True"), "new")
        .run()
        .success();

    // A replacement that never gets ready: removed, the old demo-one
    // untouched and answering, exit 1 naming the check.
    let dockerfile = demo.join("services/demo/Dockerfile");
    let text = std::fs::read_to_string(&dockerfile).unwrap();
    assert!(text.contains("# reyns: ready tcp 22\n"), "{text}");
    std::fs::write(
        &dockerfile,
        text.replace("# reyns: ready tcp 22\n", "# reyns: ready tcp 2222\n"),
    )
    .unwrap();
    reyns("build:demo", "new").run().success();
    let before = id_of(&one);
    let prober = Prober::start(&two, "demo-one/22");
    reyns("run:all,timeout=5", "new")
        .run()
        .code(1)
        .stderr_has(&format!(
            "{one}: its replacement did not become ready and was removed"
        ))
        // The DNS register rides in the check's exec (after `&&`).
        .stderr_has("the readiness check `tcp 2222, then /usr/local/bin/dns-register.sh ")
        .stderr_has("did not pass within 5 s");
    let (answered, refused) = prober.finish();
    assert_eq!(
        refused,
        0,
        "demo-one refused {refused} of {} tries",
        answered + refused
    );
    assert_eq!(id_of(&one), before, "the old demo-one is still there");
    let filter = format!("label=reyns.project={}", project.name);
    let names = docker(&["ps", "-a", "--filter", &filter, "--format", "{{.Names}}"]);
    assert!(
        !names.contains("_next"),
        "a replacement was left behind: {names}"
    );
    assert_eq!(names.lines().count(), 4, "{names}");
}
