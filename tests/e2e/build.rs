//! Builds: each image's user and prestartup, FROM chains in parallel with the cache, clear build errors.

use super::*;

#[test]
fn build_keeps_each_images_user_registers_its_prestartup_and_labels_it() {
    let project = Project::new();
    let script = "#!/bin/bash\ntrue\n";
    project
        .service(
            "plain",
            "FROM reyns/reyns-base\nCOPY prestartup_plain.sh /prestartup/\n",
            &[("prestartup_plain.sh", script)],
        )
        .service(
            "app",
            "FROM reyns/reyns-base\nRUN useradd app\nCOPY prestartup_app.sh /prestartup/\nUSER app\n",
            &[("prestartup_app.sh", script)],
        )
        .service(
            "child",
            "FROM {project}/app\nCOPY prestartup_child.sh /prestartup/\n",
            &[("prestartup_child.sh", script)],
        );
    project.reyns("build:all").run().success();
    let image = |name: &str| format!("{}/{name}", project.name);
    let user = |name: &str| {
        docker(&[
            "image",
            "inspect",
            "--format",
            "{{.Config.User}}",
            &image(name),
        ])
    };
    let order = |name: &str| {
        docker(&[
            "run",
            "--rm",
            "--entrypoint",
            "cat",
            &image(name),
            "/prestartup/.order",
        ])
    };
    let user_steps = |name: &str| {
        docker(&[
            "history",
            "--no-trunc",
            "--format",
            "{{.CreatedBy}}",
            &image(name),
        ])
        .lines()
        .filter(|step| step.contains("USER root"))
        .count()
    };
    assert_eq!(user("plain"), "");
    assert_eq!(user_steps("plain"), 0, "a needless USER root step");
    let labels = |name: &str| {
        docker(&[
            "image",
            "inspect",
            "--format",
            "{{json .Config.Labels}}",
            &image(name),
        ])
    };
    let expected = |name: &str| {
        format!(
            r#"{{"reyns.project":"{}","reyns.service":"{name}"}}"#,
            project.name
        )
    };
    assert_eq!(labels("plain"), expected("plain"));
    assert_eq!(labels("child"), expected("child"), "the child's own labels");
    let label_steps = docker(&["history", "--format", "{{.CreatedBy}}", &image("plain")])
        .lines()
        .filter(|step| step.contains("LABEL"))
        .count();
    assert_eq!(label_steps, 1, "both labels in one step");
    assert!(
        order("plain").contains("prestartup_plain.sh"),
        "{}",
        order("plain")
    );
    assert_eq!(user("app"), "app");
    assert!(
        order("app").contains("prestartup_app.sh"),
        "{}",
        order("app")
    );
    assert_eq!(user("child"), "app", "the child lost the user it inherits");
    // Reyns' steps go right after FROM: app's registration runs as the
    // root its base starts as (no USER step), child's as app's user
    // switched to root and back.
    assert_eq!(
        user_steps("app"),
        0,
        "app's registration needs no USER root"
    );
    assert_eq!(user_steps("child"), 1, "child's registration step");
    let child = order("child");
    assert!(
        child.contains("prestartup_app.sh") && child.contains("prestartup_child.sh"),
        "{child}"
    );
}

#[test]
fn build_all_follows_from_chains_in_parallel_and_caches() {
    let project = Project::new();
    project
        .service("a", BASE_SERVICE, &[])
        .service("b", "FROM {project}/a\nRUN echo b > /b\n", &[])
        .service("c", "FROM {project}/b\nRUN echo c > /c\n", &[])
        .service("d", "FROM reyns/reyns-base\nRUN echo d > /d\n", &[])
        .service("e", "FROM reyns/reyns-base\nRUN echo e > /e\n", &[])
        .service(
            "f",
            "FROM reyns/reyns-base\nRUN echo f > /f\n",
            &[("no_autobuild", "")],
        );
    let out = project.reyns("build:all").run().success();
    let started: Vec<&str> = out.stderr.lines().filter(|l| l.ends_with(" ...")).collect();
    let position = |name: &str| {
        started
            .iter()
            .position(|l| l.contains(&format!("{}/{name} ", project.name)))
            .expect(name)
    };
    assert!(
        position("a") < position("b") && position("b") < position("c"),
        "{started:?}"
    );
    let image = |name: &str| {
        docker_may_fail(&[
            "image",
            "inspect",
            "--format",
            "{{.Id}}",
            &format!("{}/{name}", project.name),
        ])
    };
    let first: Vec<Option<String>> = ["a", "b", "c", "d", "e"].iter().map(|n| image(n)).collect();
    assert!(
        first
            .iter()
            .all(|id| id.as_ref().is_some_and(|id| !id.is_empty())),
        "{first:?}"
    );
    assert!(image("f").is_none(), "no_autobuild was built by build:all");
    project.reyns("build:all").run().success();
    let second: Vec<Option<String>> = ["a", "b", "c", "d", "e"].iter().map(|n| image(n)).collect();
    assert_eq!(first, second, "a second build:all changed images");
    project.reyns("build:f").run().success();
    assert!(image("f").is_some());
}

#[test]
fn build_errors_are_clear() {
    let project = Project::new();
    project
        .service("x", "FROM {project}/y\n", &[])
        .service("y", "FROM {project}/x\n", &[]);
    project
        .reyns("build:x")
        .run()
        .code(1)
        .clean_error()
        .stderr_has("cycle: x -> y -> x")
        .created_nothing();
    let project = Project::new();
    project.service("x", "FROM {project}/nosuch\n", &[]);
    project
        .reyns("build:x")
        .run()
        .code(1)
        .stderr_has("no service `nosuch`");
    let project = Project::new();
    std::fs::create_dir_all(project.dir.join("services/empty")).unwrap();
    project
        .reyns("build:empty")
        .run()
        .code(1)
        .stderr_has("has no Dockerfile");
    project.service(
        "two",
        BASE_SERVICE,
        &[("prestartup_a.sh", ""), ("prestartup_b.sh", "")],
    );
    project
        .reyns("build:two")
        .run()
        .code(1)
        .stderr_has("2 prestartup scripts");
    // A failing step is named with docker's own words, not a retry hint.
    project.service(
        "failing",
        &format!("{BASE_SERVICE}RUN echo building && false\n"),
        &[],
    );
    project
        .reyns("build:failing")
        .run()
        .code(1)
        .stderr_has("could not build failing (step 3/")
        .stderr_has("`RUN echo building && false` returned a non-zero code: 1)");
    project
        .reyns("build:Bad_Name")
        .run()
        .code(2)
        .stderr_has("has a `_`");
    std::fs::remove_dir_all(project.dir.join("services/failing")).unwrap();
    project.reyns("build:all").run().code(1);
    assert!(
        docker(&["images", "-q", &format!("{}/*", project.name)]).is_empty(),
        "an image was built"
    );
}
