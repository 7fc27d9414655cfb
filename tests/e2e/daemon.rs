//! The daemon: following git, and rolling back a release that does not start.

use super::*;

/// A bare repository as `origin`, a developer's repository pushing to it
/// with nothing yet (`dev`), and where the daemon's clone goes (`host`).
fn repositories(project: &Project) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let origin = project.dir.join("origin.git");
    let dev = project.dir.join("dev");
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
    (origin, dev, project.dir.join("host"))
}

/// The daemon's clone of `origin`, at `host`.
fn clone_to(project: &Project, origin: &std::path::Path, host: &std::path::Path) {
    let (origin, host) = (origin.to_str().unwrap(), host.to_str().unwrap());
    git(&project.dir, &["clone", "-q", origin, host]);
}

/// One round of the daemon in the clone at `host`.
fn daemon_round(project: &Project, host: &std::path::Path) -> support::Test {
    support::Test::in_dir(host)
        .real_docker()
        .env("PROJECT_NAME", &project.name)
        .args("daemon:once=True")
}

/// The daemon on a bare repository as `origin`: the first round builds and
/// runs, a round with no commit is `unchanged` and changes nothing, a commit
/// to one service recreates its instance only, a commit that does not build
/// leaves the platform untouched, one that does not start is rolled back
/// and not retried, and a branch with its own conf uses it.
#[test]
fn daemon_follows_git_and_rolls_back() {
    let project = Project::new();
    let (origin, dev, host) = repositories(&project);
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
    clone_to(&project, &origin, &host);
    let daemon = || {
        daemon_round(&project, &host)
            .env("LOG_LEVEL", "DEBUG")
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

/// A daemon killed (SIGKILL) at spread moments of a deploy, then one more
/// round: the commit is deployed (the killed attempt recorded as
/// `interrupted`), its instance runs the new image and nothing else is
/// left, and every line of the release log is JSON.
#[test]
fn a_daemon_killed_mid_deploy_is_finished_by_its_next_round() {
    let project = Project::new();
    let (origin, dev, host) = repositories(&project);
    let prestartup = "services/web/prestartup_web.sh";
    push(
        &dev,
        "v0",
        &[
            (
                "services/web/Dockerfile",
                "FROM reyns/reyns-base\nCOPY prestartup_web.sh /prestartup/\n",
            ),
            (prestartup, "echo web v0\n"),
            ("default.conf", r#"[{"service": "web", "instance": "one"}]"#),
            (".gitignore", ".reyns/\nhost.conf\n"),
        ],
    );
    clone_to(&project, &origin, &host);
    let daemon = || daemon_round(&project, &host);
    daemon().run().success();
    let web = project.container("web", "one");
    for (round, kill_after_ms) in [300u64, 900, 1600, 2600].into_iter().enumerate() {
        let greeting = format!("web v{}", round + 1);
        let commit = push(
            &dev,
            &greeting,
            &[(prestartup, &format!("echo {greeting}\n"))],
        );
        let mut killed = daemon().spawn();
        std::thread::sleep(std::time::Duration::from_millis(kill_after_ms));
        killed.kill().expect("SIGKILL the daemon");
        killed.wait().expect("reap the daemon");
        std::thread::sleep(std::time::Duration::from_millis(1500));
        let next = daemon().run();
        assert_eq!(
            next.code, 0,
            "after a kill at {kill_after_ms} ms: {}",
            next.stderr
        );
        let log = std::fs::read_to_string(host.join(".reyns/releases.jsonl")).unwrap();
        let entries: Vec<serde_json::Value> = log
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|err| panic!("{err}: {line}")))
            .collect();
        // Deployed by the next round, or already by the killed one (a late
        // kill: the next round then finds it unchanged).
        let last = entries.last().unwrap();
        assert_eq!(
            last["commit"].as_str(),
            Some(commit.as_str()),
            "after a kill at {kill_after_ms} ms: {log}"
        );
        assert!(
            ["deployed", "unchanged"].contains(&last["result"].as_str().unwrap_or_default())
                && entries.iter().any(
                    |entry| entry["commit"] == commit.as_str() && entry["result"] == "deployed"
                ),
            "after a kill at {kill_after_ms} ms: {log}"
        );
        assert_eq!(
            container_ids(&project).len(),
            1,
            "after a kill at {kill_after_ms} ms"
        );
        assert!(
            docker(&["logs", &web]).contains(&greeting),
            "web does not run {greeting} after a kill at {kill_after_ms} ms"
        );
    }
}

/// Two daemon releases change a service's image; `rollback` puts the first
/// release's image id back with no `docker build`, and `releases` shows it;
/// the next daemon round does not deploy the commit rolled away from; a
/// release that does not exist, and one whose image was pruned, are one
/// line each, nothing changed.
#[test]
fn rollback_puts_an_earlier_release_back_without_a_build() {
    let project = Project::new();
    let (origin, dev, host) = repositories(&project);
    let dockerfile = "FROM reyns/reyns-base\nCOPY prestartup_web.sh /prestartup/\n";
    push(
        &dev,
        "v1",
        &[
            ("services/web/Dockerfile", dockerfile),
            ("services/web/prestartup_web.sh", "echo web v1\n"),
            ("default.conf", r#"[{"service": "web", "instance": "one"}]"#),
            (".gitignore", ".reyns/\nhost.conf\n"),
        ],
    );
    clone_to(&project, &origin, &host);
    let web = project.container("web", "one");
    let image_of = || docker(&["inspect", "--format", "{{.Image}}", &web]);
    let reyns = |line: &str| {
        support::Test::in_dir(&host)
            .real_docker()
            .env("PROJECT_NAME", &project.name)
            .env("LOG_LEVEL", "DEBUG")
            .args(line)
            .run()
    };
    reyns("daemon:once=True").success();
    let first = image_of();
    push(
        &dev,
        "v2",
        &[("services/web/prestartup_web.sh", "echo web v2\n")],
    );
    reyns("daemon:once=True").success();
    let second = image_of();
    assert_ne!(first, second, "v2 is another image");

    let rolled = reyns("rollback").success();
    assert!(
        !rolled.stderr.contains("$ docker build"),
        "{}",
        rolled.stderr
    );
    assert!(
        rolled.stderr.contains("rolled back to release 1"),
        "{}",
        rolled.stderr
    );
    assert_eq!(image_of(), first, "release 1's image runs again");
    reyns("releases")
        .success()
        .stdout_has("rolled back   rolled back to 1");

    // The daemon leaves the commit rolled away from alone.
    let round = reyns("daemon:once=True").success();
    assert!(!round.stderr.contains("$ docker build"), "{}", round.stderr);
    assert_eq!(image_of(), first);

    reyns("rollback:release=99")
        .code(1)
        .stderr_has("release=99: no release of that number or commit");
    // The release that deployed the second image, its image pruned.
    let log = std::fs::read_to_string(host.join(".reyns/releases.jsonl")).unwrap();
    let number = log
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .find(|entry| {
            entry["result"] == "deployed" && entry["images"].to_string().contains(&second)
        })
        .map(|entry| entry["number"].as_i64().unwrap())
        .expect("the release of the second image");
    docker(&[
        "rmi",
        &format!("{}/reyns_releases:{number}-0", project.name),
    ]);
    reyns(&format!("rollback:release={number}"))
        .code(1)
        .stderr_has(&format!("release {number}'s image of"))
        .stderr_has("is no longer on this engine")
        .stderr_has("nothing changed");
    assert_eq!(image_of(), first, "nothing changed");
}
