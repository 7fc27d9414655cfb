//! The daemon: following git, and rolling back a release that does not start.

use super::*;

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
