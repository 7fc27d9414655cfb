//! Project verbs (`reyns/*.rhai`): arguments, the host API, overrides, errors on their own lines; install_demo; the binary alone.

use super::*;

#[test]
fn project_verb_gets_its_arguments_and_the_host_api() {
    Test::fixture("verbs")
        .args("hello:reyns,times=2,loud=True")
        .run()
        .success()
        .stdout_has("HELLO REYNS in proj\nHELLO REYNS in proj\n");
    Test::fixture("verbs").args("hello:nobody").run().code(3);
}

#[test]
fn project_verb_can_be_a_plain_script_with_args_in_scope() {
    Test::fixture("verbs")
        .args("plain")
        .run()
        .success()
        .stdout_has("hi from a plain script\n");
    Test::fixture("verbs")
        .args("greet:reyns,shout=True")
        .run()
        .success()
        .stdout_has("HELLO REYNS\n");
    Test::fixture("verbs")
        .args("greet")
        .run()
        .success()
        .stdout_has("hello world\n");
    Test::fixture("verbs").args("greet:nobody").run().code(4);
    // Its declarations are read without running it: a bad option prints nothing.
    let refused = Test::fixture("verbs").args("greet:loud=True").run().code(2);
    let refused = refused.stderr_has("unknown option `loud` for `greet`; it takes: who, shout");
    assert_eq!(refused.stdout, "");
    Test::fixture("verbs")
        .args("help:greet")
        .run()
        .success()
        .stdout_has("shout=");
}

#[test]
fn project_verbs_are_listed_and_overrides_marked() {
    let out = Test::fixture("verbs").args("help").run().success();
    let hello = out
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("hello "))
        .expect("hello listed");
    assert!(
        hello.contains("Say hello") && hello.contains("[project]"),
        "{hello}"
    );
    let version = out
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("version "))
        .expect("version listed");
    assert!(version.contains("[project override]"), "{version}");
    Test::fixture("verbs")
        .args("version")
        .run()
        .success()
        .stdout_has("project version 42");
}

#[test]
fn project_verb_errors_point_at_its_own_line() {
    Test::fixture("verbs")
        .args("broken")
        .run()
        .code(1)
        .clean_error()
        .stderr_has("undefined_variable")
        .stderr_has("reyns/broken.rhai:4:");
    Test::fixture("verbs")
        .args("thrower")
        .run()
        .code(1)
        .stderr_has("reyns: error: something the project verb did not like")
        .stderr_has("reyns/thrower.rhai:4:");
}

#[test]
fn install_demo_copies_the_project_and_refuses_to_overwrite() {
    let test = Test::new().args("install_demo");
    test.run()
        .success()
        .stdout_has("Demo installed.")
        .stdout_has("reyns build:all");
    let demo = test.dir.join("reyns-demo");
    assert!(demo.join("services/demo/Dockerfile").is_file());
    assert!(demo.join("default.conf").is_file() && demo.join("default-multinode.conf").is_file());
    test.run()
        .code(1)
        .clean_error()
        .stderr_has("already exists");
}

#[test]
fn the_binary_works_alone_from_another_folder() {
    let alone_dir = support::temp_dir();
    let alone = alone_dir.path();
    let copy = alone.join("reyns");
    std::fs::copy(support::reyns_bin(), &copy).unwrap();
    let out = std::process::Command::new(&copy)
        .arg("install_demo")
        .current_dir(alone)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(alone
        .join("reyns-demo/services/demo/prestartup_demo.sh")
        .is_file());
}

// ---- conf errors: one line naming the file, line and key; nothing created ----
