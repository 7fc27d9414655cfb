//! The DNS: APPEND, REPLACE and HIDE, records removed with their instance, a DNS that does not answer.

use super::*;

#[test]
fn dns_policies_append_replace_hide_and_removal() {
    let project = Project::new();
    project
        .service("app", BASE_SERVICE, &[])
        .service("rep", BASE_SERVICE, &[])
        .service("obs", BASE_SERVICE, &[]);
    let entry = |service: &str, instance: &str, policy: &str| {
        format!("{{\"service\": \"{service}\", \"instance\": \"{instance}\", \"links\": [\"reyns-dns-one:dns\"], \"env_vars\": {{\"DNS_UPDATE_POLICY\": \"{policy}\"}}}}")
    };
    let conf = format!(
        "[\n{{\"service\": \"reyns-dns\", \"instance\": \"one\"}},\n{},\n{},\n{},\n{},\n{}\n]\n",
        entry("app", "a", "APPEND"),
        entry("app", "b", "APPEND"),
        entry("app", "c", "APPEND"),
        entry("rep", "x", "REPLACE"),
        entry("obs", "h", "HIDE")
    );
    project.file("default.conf", &conf);
    project.reyns("build:all").run().success();
    project.reyns("run:all").run().success();
    let dns = project.container("reyns-dns", "one");
    let addresses = |names: &[&str]| {
        let mut found: Vec<String> = names
            .iter()
            .map(|i| address(&project.container("app", i)))
            .collect();
        found.sort();
        found
    };
    assert!(
        eventually(20, || resolve(&dns, "app") == addresses(&["a", "b", "c"])),
        "APPEND: {:?}",
        resolve(&dns, "app")
    );
    assert_eq!(
        resolve(&dns, "app-b"),
        vec![address(&project.container("app", "b"))]
    );

    // Scaling down under APPEND: only b's address leaves the service name.
    project.reyns("clean:app,b").run().success();
    assert_eq!(resolve(&dns, "app"), addresses(&["a", "c"]));
    assert!(resolve(&dns, "app-b").is_empty(), "app-b still registered");

    // REPLACE: the newest instance only.
    assert_eq!(
        resolve(&dns, "rep"),
        vec![address(&project.container("rep", "x"))]
    );
    for newest in ["y", "z"] {
        project
            .reyns(&format!("run:rep,instance={newest}"))
            .env("DNS_SERVICE_IP", &address(&dns))
            .run()
            .success();
        assert_eq!(
            resolve(&dns, "rep"),
            vec![address(&project.container("rep", newest))]
        );
    }

    // HIDE: not registered, but resolves the others through the DNS.
    assert!(
        resolve(&dns, "obs-h").is_empty() && resolve(&dns, "obs").is_empty(),
        "HIDE registered"
    );
    project
        .reyns("shell:obs,h,command=host app-a")
        .run()
        .success()
        .stdout_has("has address");

    // An update signed with another key is refused.
    let forged = "key \"reyns\" { algorithm hmac-sha256; secret \"bm90IHRoZSByaWdodCBrZXkgYXQgYWxsIDAxMjM0NTY3\"; };";
    let app = project.container("app", "a");
    let wrote_key = docker_with_input(
        &["exec", "-i", &app, "tee", "/tmp/forged.key"],
        &format!("{forged}\n"),
    );
    assert!(wrote_key.status.success(), "could not write the forged key");
    let update = format!(
        "server {}\nzone local.zone\nupdate add evil.local.zone 60 A 10.6.6.6\nsend\n",
        address(&dns)
    );
    let forged_run = docker_with_input(
        &["exec", "-i", &app, "nsupdate", "-k", "/tmp/forged.key"],
        &update,
    );
    assert!(!forged_run.status.success(), "a forged update was taken");
    assert!(
        String::from_utf8_lossy(&forged_run.stderr).contains("tsig"),
        "nsupdate failed for another reason: {}",
        String::from_utf8_lossy(&forged_run.stderr)
    );
    assert!(resolve(&dns, "evil").is_empty(), "evil.local.zone exists");
}

/// A DNS that never answers (a container of the test's own with nothing on
/// port 53) fails the instance that registers on it within seconds, and the
/// message names its address.
#[test]
fn a_dns_that_does_not_answer_fails_fast_naming_it() {
    let project = Project::new();
    project.service("app", BASE_SERVICE, &[]);
    project.reyns("build:app").run().success();
    project.reyns("run:app,instance=silent").run().success();
    let silent = address(&project.container("app", "silent"));
    assert!(!silent.is_empty());
    let started = std::time::Instant::now();
    project
        .reyns("run:app,instance=two")
        .env("DNS_SERVICE_IP", &silent)
        .run()
        .code(1)
        .stderr_has(&format!("The DNS at {silent} did not take the update"));
    let took = started.elapsed();
    assert!(took.as_secs() < 15, "failing took {took:?}");
}
