//! End to end on the real Docker engine: `reyns watch` keeping the demo in
//! step with its files. A file saved under a `sync` path is in the running
//! instance within 3 s, same container; an edited prestartup script gets
//! the three demo instances on a new image within 30 s, the DNS kept, and
//! the new demo-one gets the synced files; a Dockerfile whose `RUN` fails is
//! reported and changes nothing, and watching goes on; a sync that fails is
//! reported and done again; Ctrl-C exits 0 with the platform up.

mod support;

use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::engine::{docker, docker_may_fail, eventually, Project};

/// What a child process printed so far, on both streams, read by threads.
#[derive(Clone, Default)]
struct Printed(Arc<Mutex<String>>);

impl Printed {
    fn collect(&self, mut stream: impl Read + Send + 'static) {
        let printed = self.clone();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(read) = stream.read(&mut buffer) {
                if read == 0 {
                    break;
                }
                let text = String::from_utf8_lossy(&buffer[..read]).to_string();
                printed.0.lock().unwrap().push_str(&text);
            }
        });
    }

    fn text(&self) -> String {
        self.0.lock().unwrap().clone()
    }

    /// Waits up to `seconds` for `text` to be printed `times` times.
    fn wait_for(&self, text: &str, times: usize, seconds: u64) -> bool {
        eventually(seconds, || self.text().matches(text).count() >= times)
    }
}

/// The id and image id of a container.
fn id_and_image(container: &str) -> (String, String) {
    let out = docker(&["inspect", "--format", "{{.Id}} {{.Image}}", container]);
    let (id, image) = out.split_once(' ').expect("id and image");
    (id.to_string(), image.to_string())
}

/// A file's contents in a container, or "" when it cannot be read.
fn file_in(container: &str, path: &str) -> String {
    docker_may_fail(&["exec", container, "cat", path]).unwrap_or_default()
}

#[test]
fn watch_syncs_rebuilds_survives_a_bad_build_and_stops_on_ctrl_c() {
    let project = Project::new();
    let demo = project.install_demo();
    let conf_path = demo.join("default.conf");
    let conf = std::fs::read_to_string(&conf_path).expect("demo conf");
    let marker = r#""env_vars": {"EXAMPLE_ENV_VAR": null}"#;
    assert!(conf.contains(marker), "the demo conf changed: {conf}");
    let synced =
        format!(r#"{marker}, "sync": {{"site": "/srv/site"}}, "sync_then": "date > /tmp/synced""#);
    std::fs::write(&conf_path, conf.replace(marker, &synced)).expect("conf");
    std::fs::create_dir_all(demo.join("site")).expect("site folder");
    std::fs::write(demo.join("site/index.html"), "first").expect("site file");
    project.in_demo("build:all", "hello").run().success();
    project.in_demo("run:all", "hello").run().success();

    let one = project.container("demo", "one");
    let dns = project.container("reyns-dns", "one");
    let demos = ["one", "two", "three"].map(|instance| project.container("demo", instance));
    let (one_id, old_image) = id_and_image(&one);
    let (dns_id, _) = id_and_image(&dns);

    let mut child = project.in_demo("watch:logs=True", "hello").spawn();
    let guard = support::KillOnDrop(child.id());
    let printed = Printed::default();
    printed.collect(child.stdout.take().expect("stdout"));
    printed.collect(child.stderr.take().expect("stderr"));
    let running = |child: &mut std::process::Child| matches!(child.try_wait(), Ok(None));

    // Watching starts with a converge (nothing to change) and a sync of
    // what the entry syncs, then shows the instances' output.
    assert!(
        printed.wait_for("synced site into demo-one", 1, 60),
        "{}",
        printed.text()
    );
    assert_eq!(file_in(&one, "/srv/site/index.html"), "first");
    assert!(
        printed.wait_for("demo-one", 3, 10),
        "no log line: {}",
        printed.text()
    );

    // A saved file is in the instance within 3 s, with no recreate.
    let saved = Instant::now();
    std::fs::write(demo.join("site/index.html"), "second").expect("site file");
    assert!(
        eventually(3, || file_in(&one, "/srv/site/index.html") == "second"),
        "not synced within 3 s: {}",
        printed.text()
    );
    let sync_took = saved.elapsed();
    assert_eq!(id_and_image(&one).0, one_id, "the sync recreated demo-one");
    assert!(
        !file_in(&one, "/tmp/synced").is_empty(),
        "sync_then did not run"
    );
    eprintln!("sync took {sync_took:?}");

    // An edited prestartup script: a new image, the three demo instances
    // on it within 30 s, the DNS kept, the synced files in the new demo-one.
    let script = demo.join("services/demo/prestartup_demo.sh");
    let mut text = std::fs::read_to_string(&script).expect("prestartup");
    text.push_str("echo \"[INFO] edited while watching\"\n");
    let edited = Instant::now();
    std::fs::write(&script, text).expect("prestartup");
    let on_new_image = || {
        demos.iter().all(|name| {
            let out =
                docker_may_fail(&["inspect", "--format", "{{.State.Running}} {{.Image}}", name]);
            out.is_some_and(|out| out.starts_with("true ") && !out.ends_with(&old_image))
        })
    };
    assert!(
        eventually(30, on_new_image),
        "not recreated within 30 s: {}",
        printed.text()
    );
    eprintln!("rebuild and recreate took {:?}", edited.elapsed());
    let new_image = docker(&[
        "image",
        "inspect",
        "--format",
        "{{.Id}}",
        &format!("{}/demo", project.name),
    ]);
    for name in &demos {
        assert_eq!(
            id_and_image(name).1,
            new_image,
            "{name} is not on the new image"
        );
    }
    assert_eq!(id_and_image(&dns).0, dns_id, "the DNS was recreated");
    assert!(
        eventually(10, || file_in(&one, "/srv/site/index.html") == "second"),
        "the new demo-one did not get the synced files: {}",
        printed.text()
    );
    assert!(
        printed.wait_for("edited while watching", 1, 10),
        "logs=True did not follow the new instances: {}",
        printed.text()
    );

    // A Dockerfile whose RUN fails: an error naming the step, no instance
    // changed, and watching goes on (a later sync still works).
    let before: Vec<String> = demos.iter().map(|name| id_and_image(name).0).collect();
    let dockerfile = demo.join("services/demo/Dockerfile");
    let mut broken = std::fs::read_to_string(&dockerfile).expect("Dockerfile");
    broken.push_str("RUN echo breaking && false\n");
    std::fs::write(&dockerfile, broken).expect("Dockerfile");
    assert!(
        printed.wait_for("could not build demo", 1, 60),
        "{}",
        printed.text()
    );
    assert!(
        printed.text().contains("RUN echo breaking && false"),
        "{}",
        printed.text()
    );
    std::thread::sleep(Duration::from_secs(2));
    let after: Vec<String> = demos.iter().map(|name| id_and_image(name).0).collect();
    assert_eq!(before, after, "a failed build changed instances");
    assert!(
        running(&mut child),
        "watch stopped after a failed build: {}",
        printed.text()
    );
    std::fs::write(demo.join("site/index.html"), "third").expect("site file");
    assert!(
        eventually(3, || file_in(&one, "/srv/site/index.html") == "third"),
        "{}",
        printed.text()
    );

    // A sync that fails (its target a file, not a folder) says so and is
    // tried again; once the conf is mended, the files are there.
    let synced_conf = std::fs::read_to_string(&conf_path).expect("conf");
    std::fs::write(
        &conf_path,
        synced_conf.replace("/srv/site", "/etc/hostname"),
    )
    .expect("conf");
    std::fs::write(demo.join("site/index.html"), "fourth").expect("site file");
    assert!(
        printed.wait_for("failed (tried again on the next change)", 1, 10),
        "{}",
        printed.text()
    );
    std::fs::write(&conf_path, synced_conf).expect("conf");
    assert!(
        eventually(10, || file_in(&one, "/srv/site/index.html") == "fourth"),
        "the failed sync was not done again: {}",
        printed.text()
    );

    // Ctrl-C: exit status 0, the platform left running.
    // SAFETY: signalling the child this test started.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().expect("wait for watch");
    guard.disarm();
    assert!(
        printed.wait_for("stopped watching", 1, 5),
        "{}",
        printed.text()
    );
    assert_eq!(status.code(), Some(0), "{}", printed.text());
    for name in demos.iter().chain([&dns]) {
        let state = docker(&["inspect", "--format", "{{.State.Running}}", name]);
        assert_eq!(state, "true", "{name} is not running after Ctrl-C");
    }
}
