//! End to end on the real Docker engine: each test drives the real binary in
//! a project of its own (`reyns-test-<pid>-<n>`) and checks real effects with
//! `docker inspect`, files on disk, names that resolve and commands over SSH.
//! Every project is removed when its test ends, pass or fail.

#[path = "../support/mod.rs"]
mod support;

use support::engine::{
    docker, docker_both_streams, docker_may_fail, docker_with_input, eventually, ok, Nodes,
    Project, Terminal,
};

mod build;
mod converge;
mod daemon;
mod dns;
mod images;
mod instances;
mod nodes;
mod quick_start;

const BASE_SERVICE: &str = "FROM reyns/reyns-base\n";

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
