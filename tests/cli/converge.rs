//! Converge against the fake docker: what is started, kept or recreated and why, read-ahead, orphans, start-first replacements.

use super::*;

#[test]
fn stopped_instance_is_started_again() {
    let test = demo_one();
    test.run().success();
    let test = test.args("_stop:demo,one");
    test.run().success();
    let test = test.args("run:demo,instance=one");
    let commands = test.run().success().stderr_has("started 1").docker;
    assert!(
        commands.contains("docker start proj-demo-one\n"),
        "{commands}"
    );
    assert!(!commands.contains("docker run"), "{commands}");
    assert!(
        commands.contains("docker logs --follow --since <time> proj-demo-one"),
        "{commands}"
    );
}

#[test]
fn running_unchanged_instance_is_kept_with_one_ps_and_one_inspect() {
    let test = demo_one();
    test.run().success();
    let commands = test
        .run()
        .success()
        .stderr_has("already running, unchanged")
        .stderr_has("created 0, started 0, recreated 0, kept 1")
        .docker;
    assert_eq!(docker_verbs(&commands), ["ps", "inspect"], "{commands}");
}

#[test]
fn a_converge_that_changes_nothing_is_decided_from_docker_ps_alone() {
    let test = Test::demo().args("run:all,conf=solo");
    std::fs::write(
        test.dir.join("solo.conf"),
        r#"[{"service": "demo", "instance": "one", "env_vars": {"EXAMPLE_ENV_VAR": "a"}},
            {"service": "demo", "instance": "two", "env_vars": {"EXAMPLE_ENV_VAR": "a"}}]"#,
    )
    .unwrap();
    let made = test.run().success().stderr_has("created 2").docker;
    assert!(
        made.contains("--label reyns.image=sha256:fake-proj-demo "),
        "the image id is a label: {made}"
    );
    // Nothing changed: one docker ps, no inspect.
    let kept = test
        .run()
        .success()
        .stderr_has("created 0, started 0, recreated 0, kept 2")
        .docker;
    assert_eq!(docker_verbs(&kept), ["ps"], "{kept}");
    let test = test.args("run:all,conf=solo,plan=True");
    let planned = test.run().success();
    assert!(
        planned
            .stdout
            .contains("keep proj-demo-one\nkeep proj-demo-two\n"),
        "{}",
        planned.stdout
    );
    let test = test.args("run:all,conf=solo");
    // A value changed: the listing cannot decide, the inspect and the
    // converge run as before.
    std::fs::write(
        test.dir.join("solo.conf"),
        r#"[{"service": "demo", "instance": "one", "env_vars": {"EXAMPLE_ENV_VAR": "b"}},
            {"service": "demo", "instance": "two", "env_vars": {"EXAMPLE_ENV_VAR": "a"}}]"#,
    )
    .unwrap();
    let changed = test
        .run()
        .success()
        .stderr_has("recreated 1 (proj-demo-one: env EXAMPLE_ENV_VAR changed), kept 1")
        .docker;
    assert_eq!(docker_verbs(&changed)[..2], ["ps", "inspect"], "{changed}");
    // A stopped instance: started, through the inspect.
    let test = test.args("_stop:demo,two");
    test.run().success();
    let test = test.args("run:all,conf=solo");
    let started = test.run().success().stderr_has("started 1").docker;
    assert!(
        started.contains("docker start proj-demo-two\n"),
        "{started}"
    );
}

#[test]
fn a_verbs_first_reads_start_ahead_on_its_next_run_unless_the_project_is_locked() {
    let test = Test::demo()
        .args("ps")
        .env("REYNS_READAHEAD", "1")
        .env("LOG_LEVEL", "DEBUG")
        .docker_answer("ps.jsonl", &ps_row("demo", "one", "running"));
    let first = test.run().success();
    assert!(!first.stderr.contains("(read ahead)"), "{}", first.stderr);
    let remembered = std::fs::read_dir(test.home.join("readahead"))
        .expect("a readahead folder")
        .count();
    assert_eq!(remembered, 1, "one file for the project");

    // The next `ps` gets its one docker ps from the read started ahead.
    let second = test.run().success().stderr_has("(read ahead)");
    assert_eq!(second.stdout, first.stdout);
    assert_eq!(docker_verbs(&second.docker), ["ps"], "{}", second.docker);

    // While another reyns holds the project's lock, nothing is read ahead.
    std::fs::create_dir_all(test.home.join("locks")).expect("locks folder");
    let lock = std::fs::File::create(test.home.join("locks").join("proj.lock")).expect("lock file");
    lock.lock().expect("hold the project lock");
    let locked = test.run().success();
    assert!(!locked.stderr.contains("(read ahead)"), "{}", locked.stderr);
    assert_eq!(locked.stdout, first.stdout);
    drop(lock);

    // A converge reads ps and inspect before it changes anything: both start ahead.
    let test = demo_one()
        .env("REYNS_READAHEAD", "1")
        .env("LOG_LEVEL", "DEBUG");
    test.run().success();
    test.run().success();
    let kept = test.run().success().stderr_has("kept 1");
    assert_eq!(
        kept.stderr.matches("(read ahead)").count(),
        2,
        "{}",
        kept.stderr
    );
    // Both started at once: the fake docker logs them in either order.
    let mut verbs = docker_verbs(&kept.docker);
    verbs.sort();
    assert_eq!(verbs, ["inspect", "ps"], "{}", kept.docker);
}

#[test]
fn env_order_does_not_change_the_hash_but_a_value_does() {
    let test = demo_one().env("AAA", "1");
    test.run().success();
    let hash = |log: &str| {
        let at = log.rfind("reyns.hash=").expect("a hash label") + 11;
        log[at..at + 64].to_string()
    };
    let raw = std::fs::read_to_string(test.docker_log_path()).unwrap();
    let first = hash(&raw);
    // The same inputs in another order of the environment: kept.
    let test = test.env("ZZZ", "2");
    let commands = test.run().success().stderr_has("kept 1").docker;
    assert!(!commands.contains("docker run"), "{commands}");
    // A changed value: recreated, with the reason in words.
    let test = test.env("EXAMPLE_ENV_VAR", "second");
    let commands = test
        .run()
        .success()
        .stderr_has("recreated 1 (proj-demo-one: env EXAMPLE_ENV_VAR changed)")
        .docker;
    // Start-first: the replacement runs under a temporary name, takes the
    // DNS name in its readiness check's own exec, then the container's
    // name; the old one drains, stops and goes.
    let replaced =
        "docker exec proj-demo-one_next /bin/sh -c '{ bash -c '\\''</dev/tcp/127.0.0.1/22'\\''\n\
        } && /usr/local/bin/dns-register.sh 172.17.0.9'\n\
        docker rename proj-demo-one proj-demo-one_old\n\
        docker rename proj-demo-one_next proj-demo-one\n\
        docker stop -t 10 proj-demo-one_old\ndocker rm --force proj-demo-one_old";
    assert!(
        commands.contains(
            "docker run --detach --init --name proj-demo-one_next --env DNS_REGISTER=later "
        ) && commands.contains(replaced),
        "{commands}"
    );
    let raw = std::fs::read_to_string(test.docker_log_path()).unwrap();
    assert_ne!(first, hash(&raw));
}

#[test]
fn a_hash_that_differs_with_the_same_inputs_is_told_as_docker_arguments() {
    let test = demo_one();
    test.run().success();
    // The container as the engine remembers it, with another hash label
    // but the same inputs label: only the `docker run` argv (hashed, not
    // itemised in the inputs) can differ.
    let remembered = test.fake_container_path("proj-demo-one");
    let record = std::fs::read_to_string(&remembered).expect("the fake engine's container");
    let at = record.find("reyns.hash=").expect("a hash label") + "reyns.hash=".len();
    let altered = format!("{}{}{}", &record[..at], "0".repeat(64), &record[at + 64..]);
    std::fs::write(&remembered, altered).expect("alter the hash label");
    test.run()
        .success()
        .stderr_has("recreated 1 (proj-demo-one: docker arguments changed)");
}

#[test]
fn golden_plan_of_a_changed_platform() {
    let test = Test::demo().env("EXAMPLE_ENV_VAR", "first").args("run:all");
    test.run().success();
    let test = test
        .env("EXAMPLE_ENV_VAR", "second")
        .args("run:all,plan=True");
    let commands = test
        .run()
        .success()
        .golden_stdout("plan-changed-env")
        .docker;
    // One ps, one batched inspect: the DNS removal of the recreated instance
    // uses the addresses that inspect already gave.
    assert_eq!(
        docker_verbs(&commands),
        ["ps", "inspect"],
        "plan mode ran more:\n{commands}"
    );
    // The same plan as data, from the same records: one object per
    // instance, the commands filed under the instance that runs them.
    let text = test.run().success().stdout;
    let (test, told, records) = plan_records(test, "run:all,plan=True,format=json");
    assert_eq!(
        told,
        [
            "proj-reyns-dns-one keep  () [] ",
            "proj-demo-one recreate start-first () [env EXAMPLE_ENV_VAR changed] ready",
            "proj-demo-two keep  () [] ",
            "proj-demo-three keep  () [] ",
        ]
    );
    let recreated = &records[1];
    assert_eq!(
        recreated["after"],
        serde_json::json!(["proj-reyns-dns-one"])
    );
    let commands: Vec<&str> = recreated["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line.as_str().unwrap())
        .collect();
    assert!(commands[0].starts_with("docker run --detach --init --name proj-demo-one_next "));
    assert_eq!(
        commands.last(),
        Some(&"docker rm --force proj-demo-one_old")
    );
    // The text is those records told: each command line is one of theirs.
    for record in &records {
        for line in record["commands"].as_array().unwrap() {
            assert!(
                text.contains(line.as_str().unwrap()),
                "{line} not in\n{text}"
            );
        }
    }
    assert_eq!(
        records[3]["notes"],
        serde_json::json!(["recreated too if the address of proj-demo-one changes"])
    );
    // Up to date: only keep lines.
    let test = test
        .env("EXAMPLE_ENV_VAR", "first")
        .args("run:all,plan=True");
    let out = test.run().success();
    assert!(
        out.stdout.lines().all(|line| line.starts_with("keep ")) && out.stdout.lines().count() == 4,
        "{}",
        out.stdout
    );
}

#[test]
fn orphans_are_reported_and_removed_only_when_asked() {
    let test = Test::demo()
        .env("EXAMPLE_ENV_VAR", "x")
        .args("run:demo,instance=extra,linked=False");
    test.run().success();
    let test = test.args("run:all,plan=True");
    test.run().success().stdout_has("orphan proj-demo-extra");
    let test = test.args("run:all");
    test.run()
        .success()
        .stderr_has("remove_orphans=True removes it");
    assert!(!test
        .docker_log()
        .contains("docker rm --force proj-demo-extra"));
    let test = test.args("run:all,remove_orphans=True");
    test.run().success();
    assert!(test
        .docker_log()
        .contains("docker rm --force proj-demo-extra"));
}

#[test]
fn restart_policy_defaults_by_type_and_is_checked() {
    let test = Test::demo()
        .env("SERVICE_IP", "10.0.0.5")
        .env("EXAMPLE_ENV_VAR", "x")
        .args("run:demo,instance=master,linked=False");
    test.run().success();
    assert!(test.docker_log().contains("--restart unless-stopped"));
    let test = test.args("run:demo,instance=two,linked=False,restart=always");
    test.run().success();
    assert!(test.docker_log().contains("--restart always proj/demo"));
    test.args("run:demo,instance=three,restart=sometimes")
        .run()
        .code(2)
        .stderr_has("restart=sometimes");
}

#[test]
fn rerun_recreates_through_run() {
    let test = demo_one();
    test.run().success();
    let test = test.args("rerun:demo,one");
    let commands = test.run().success().stderr_has("recreate=always").docker;
    assert!(
        commands.contains(
            "docker rename proj-demo-one_next proj-demo-one\ndocker stop -t 10 proj-demo-one_old\ndocker rm --force proj-demo-one_old"
        ),
        "{commands}"
    );
}

/// `build` runs `init` again when Reyns' images are the very ones `init`
/// built, from definitions other than this reyns' (an upgrade), and only
/// then: not when they match, nor for images `init` did not record, nor
/// on an unreadable record. `doctor` names it as a problem.
#[test]
fn build_rebuilds_reyns_images_built_from_other_definitions() {
    let test = Test::demo().args("init");
    test.run().success();
    let record_path = test.home.join("images-debian12.json");
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&record_path).expect("init's record"))
            .expect("JSON");
    assert_eq!(
        record["ids"]["reyns/reyns-base"], "sha256:fake-reyns/reyns-base",
        "{record}"
    );
    let builds_reyns_images = |commands: &str| {
        commands.contains("docker build --force-rm --tag reyns/reyns-common-debian12")
    };
    let test = test.args("build:demo");
    let same = test.run().success();
    assert!(!builds_reyns_images(&same.docker), "{}", same.docker);

    let mut upgraded = record.clone();
    upgraded["definition"] = "the digest of another reyns' definitions".into();
    std::fs::write(&record_path, upgraded.to_string()).unwrap();
    let test = test.args("doctor");
    test.run().code(1).stdout_has(
        "problem: Reyns' images here were built from another reyns' definitions: run `reyns init`",
    );
    let test = test.args("build:demo");
    let rebuilt = test
        .run()
        .success()
        .stderr_has("Reyns' images were built from other definitions than this reyns'");
    assert!(builds_reyns_images(&rebuilt.docker), "{}", rebuilt.docker);
    assert!(
        rebuilt
            .docker
            .contains("docker build --force-rm --tag proj/demo"),
        "{}",
        rebuilt.docker
    );

    let mut not_recorded = upgraded.clone();
    not_recorded["ids"]["reyns/reyns-base"] = "sha256:built-by-hand".into();
    std::fs::write(&record_path, not_recorded.to_string()).unwrap();
    let unjudged = test.run().success();
    assert!(
        !builds_reyns_images(&unjudged.docker),
        "{}",
        unjudged.docker
    );

    std::fs::write(&record_path, "{ not json").unwrap();
    let unreadable = test.run().success();
    assert!(
        !builds_reyns_images(&unreadable.docker),
        "{}",
        unreadable.docker
    );
}

// ---- golden docker commands ----

#[test]
fn a_replacement_that_never_gets_ready_is_removed_and_the_old_one_kept() {
    let test = demo_one();
    test.run().success();
    let old = std::fs::read_to_string(test.fake_container_path("proj-demo-one")).unwrap();
    // The replacement's readiness check (`# reyns: ready tcp 22`) fails.
    let test = test
        .env("EXAMPLE_ENV_VAR", "second")
        .args("run:demo,instance=one,timeout=1")
        .docker_answer("fail-on", "docker exec proj-demo-one_next /bin/sh\n");
    let out = test
        .run()
        .code(1)
        .stderr_has("its replacement did not become ready and was removed; the old proj-demo-one keeps running unchanged")
        .stderr_has("the readiness check `tcp 22, then /usr/local/bin/dns-register.sh 172.17.0.9` did not pass within 1 s");
    // The DNS register rides in the check's exec, after `&&`: never on its own.
    let after_ready = [
        "docker exec proj-demo-one_next /usr/local/bin/dns-register.sh",
        "docker stop",
        "docker rename",
    ];
    assert!(
        after_ready.iter().all(|step| !out.docker.contains(step)),
        "{}",
        out.docker
    );
    assert!(
        out.docker
            .ends_with("docker rm --force proj-demo-one_next\n"),
        "{}",
        out.docker
    );
    assert!(!test.fake_container_path("proj-demo-one_next").exists());
    assert_eq!(
        std::fs::read_to_string(test.fake_container_path("proj-demo-one")).unwrap(),
        old
    );
}

#[test]
fn a_failed_step_after_the_name_moved_is_not_called_an_undone_replacement() {
    let test = demo_one();
    test.run().success();
    let test = test
        .env("EXAMPLE_ENV_VAR", "second")
        .docker_answer("fail-on", "docker rename proj-demo-one_next\n");
    let out = test
        .run()
        .code(1)
        .stderr_has("proj-demo-one did not start:");
    // The step that failed is named, after what the wait saw.
    assert!(
        out.stderr.contains("rename proj-demo-one_next"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("was removed"), "{}", out.stderr);
    assert!(
        !out.docker.contains("docker rm --force proj-demo-one_next"),
        "{}",
        out.docker
    );
}

#[test]
fn the_plan_says_how_each_recreate_replaces() {
    let test = demo_one();
    test.run().success();
    let test = test.env("EXAMPLE_ENV_VAR", "second");
    let test = test.args("run:demo,instance=one,plan=True");
    test.run()
        .success()
        .stdout_has("recreate proj-demo-one (start-first): env EXAMPLE_ENV_VAR changed");
    let test = test.args("run:demo,instance=one,plan=True,update_order=stop-first");
    test.run().success().stdout_has(
        "recreate proj-demo-one (stop-first, update_order=stop-first): env EXAMPLE_ENV_VAR changed",
    );
    let test = test.args("run:demo,instance=one,plan=True,extra_args=--publish 8080:80");
    test.run()
        .success()
        .stdout_has("recreate proj-demo-one (stop-first, extra_args publishes ports): ");
    let test =
        test.args("run:demo,instance=one,plan=True,extra_args=--cap-add NET_ADMIN --network host");
    test.run()
        .success()
        .stdout_has("recreate proj-demo-one (stop-first, extra_args uses the host network): ");
    let test = test.args("run:demo,instance=one,plan=True,persistent_data=True");
    test.run()
        .success()
        .stdout_has("recreate proj-demo-one (stop-first, persistent data): ")
        .stdout_has(
            "docker stop -t 10 proj-demo-one\ndocker rm --force proj-demo-one\ndocker run ",
        );
    let test = test.args("run:demo,instance=one,update_order=sideways");
    test.run()
        .code(2)
        .stderr_has("update_order=sideways: use start-first or stop-first");
    let test = test.args("run:all,plan=True,format=yaml");
    test.run()
        .code(2)
        .stderr_has("format=yaml: use text or json (with plan=True)");
    test.args("run:all,format=json")
        .run()
        .code(2)
        .stderr_has("format=json prints the plan as data: use it with plan=True");
}

/// The converge decision's rules, tested in Rhai (`tests/rhai/converge_rules.rhai`,
/// run as a project verb): a case that does not hold fails naming it.
#[test]
fn converge_rules_hold_in_their_own_language() {
    let test = Test::new().args("converge_rules");
    std::fs::create_dir_all(test.dir.join("reyns")).unwrap();
    std::fs::copy(
        support::repo().join("tests/rhai/converge_rules.rhai"),
        test.dir.join("reyns/converge_rules.rhai"),
    )
    .unwrap();
    test.run().success().stdout_has("converge rules hold");
}

/// The plan as data (`format=json`) for one command line: the records, by
/// container, as `decision order (order_why) [reasons] waits`, with the
/// records themselves.
fn plan_records(test: Test, line: &str) -> (Test, Vec<String>, Vec<serde_json::Value>) {
    let test = test.args(line);
    let records: Vec<serde_json::Value> = test
        .run()
        .success()
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON record per line"))
        .collect();
    let told = records
        .iter()
        .map(|record| {
            let text = |key: &str| record[key].as_str().unwrap_or_default().to_string();
            let reasons: Vec<&str> = record["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .map(|reason| reason.as_str().unwrap())
                .collect();
            format!(
                "{} {} {} ({}) [{}] {}",
                text("container"),
                text("decision"),
                text("order"),
                text("order_why"),
                reasons.join("; "),
                text("waits")
            )
        })
        .collect();
    (test, told, records)
}

/// The converge's decision as data, state by state: (conf and what runs)
/// -> the typed plan: create, keep, recreate start-first and stop-first with
/// their reasons, start, orphan.
#[test]
fn the_plan_as_data_decides_each_state() {
    let mut test = Test::demo();
    // (what, a command run before, EXAMPLE_ENV_VAR, the plan's command, the records)
    let cases: [(&str, Option<&str>, &str, &str, &[&str]); 6] = [
        (
            "nothing runs: each is created and waited for",
            None,
            "first",
            "run:all,plan=True,format=json",
            &[
                "proj-reyns-dns-one create  () [] ready",
                "proj-demo-one create  () [] ready",
                "proj-demo-two create  () [] ready",
                "proj-demo-three create  () [] ready",
            ],
        ),
        (
            "all up to date: all kept",
            Some("run:all"),
            "first",
            "run:all,plan=True,format=json",
            &[
                "proj-reyns-dns-one keep  () [] ",
                "proj-demo-one keep  () [] ",
                "proj-demo-two keep  () [] ",
                "proj-demo-three keep  () [] ",
            ],
        ),
        (
            "an env var changed: recreated start-first",
            None,
            "other",
            "run:demo,instance=one,plan=True,format=json",
            &["proj-demo-one recreate start-first () [env EXAMPLE_ENV_VAR changed] ready"],
        ),
        (
            "persistent data: recreated stop-first, saying why",
            None,
            "first",
            "run:demo,instance=one,plan=True,format=json,persistent_data=True",
            &["proj-demo-one recreate stop-first (persistent data) [conf key persistent_data changed] ready"],
        ),
        (
            "a stopped instance: started",
            Some("_stop:demo,two"),
            "first",
            "run:demo,instance=two,plan=True,format=json",
            &["proj-demo-two start  () [] ready"],
        ),
        (
            "an instance no entry names: an orphan",
            Some("run:demo,instance=extra,linked=False"),
            "first",
            "run:all,plan=True,format=json",
            &[
                "proj-demo-extra orphan  () [no entry of default.conf names it] ",
                "proj-reyns-dns-one keep  () [] ",
                "proj-demo-one keep  () [] ",
                "proj-demo-two start  () [] ready",
                "proj-demo-three keep  () [] ",
            ],
        ),
    ];
    for (what, before, env_value, line, wanted) in cases {
        test = test.env("EXAMPLE_ENV_VAR", "first");
        if let Some(before) = before {
            test = test.args(before);
            test.run().success();
        }
        let (after, told, records) = plan_records(test.env("EXAMPLE_ENV_VAR", env_value), line);
        test = after;
        assert_eq!(told, wanted, "{what}");
        for record in &records {
            let commands = record["commands"].as_array().unwrap();
            let acts = record["decision"] != "keep" && record["decision"] != "orphan";
            assert_eq!(!commands.is_empty(), acts, "{what}: {record}");
        }
    }
}

/// A published instance's front door: made once the instance is ready,
/// holding the port on the host's network; a changed instance replaced
/// start-first through it, the door switched before the replacement takes
/// the name; a replacement door a killed reyns left, removed.
#[test]
fn a_published_instance_is_replaced_through_its_front_door() {
    let test = demo_one().args("run:demo,instance=one,publish_ssh_on=2222");
    let made = test.run().success();
    let run_of = |name: &str| {
        made.docker
            .lines()
            .find(|line| {
                line.contains(&format!(" run --detach "))
                    && line.contains(&format!("--name {name} "))
            })
            .unwrap_or_else(|| panic!("no docker run of {name}:\n{}", made.docker))
            .to_string()
    };
    assert!(
        !run_of("proj-demo-one").contains("--publish"),
        "the instance publishes nothing itself"
    );
    let door = run_of("proj-demo-one_door");
    for word in [
        "--network host",
        "DOOR_PORTS=|2222|22",
        "DOOR_TARGET=172.17.0.9",
        "--stop-signal SIGUSR1",
    ] {
        assert!(door.contains(word), "{word}: {door}");
    }
    let after_door = &made.docker[made.docker.find(&door).unwrap()..];
    assert!(after_door.contains("docker exec proj-demo-one_door /usr/local/bin/reyns-door ready\ndocker update --restart unless-stopped proj-demo-one_door"), "{}", made.docker);

    let test = test
        .env("EXAMPLE_ENV_VAR", "second")
        .args("run:demo,instance=one,publish_ssh_on=2222,plan=True");
    test.run()
        .success()
        .stdout_has("recreate proj-demo-one (start-first, through the front door): env EXAMPLE_ENV_VAR changed")
        .stdout_has("docker exec proj-demo-one_door /usr/local/bin/reyns-door switch @ADDRESS@ 30\ndocker rename proj-demo-one proj-demo-one_old");
    let test = test.args("run:demo,instance=one,publish_ssh_on=2222");
    let recreated = test.run().success();
    let switch = recreated
        .docker
        .find("docker exec proj-demo-one_door /usr/local/bin/reyns-door switch 172.17.0.9 30")
        .expect("the door switched");
    let rename = recreated
        .docker
        .find("docker rename proj-demo-one_next proj-demo-one")
        .expect("the name taken");
    assert!(switch < rename, "{}", recreated.docker);
    assert!(
        !recreated
            .docker
            .contains("run --detach --name proj-demo-one_door "),
        "the door stays"
    );

    // Another port: a new door beside the old one; one whose making stopped
    // half-way is removed by the next run.
    let test = test
        .env("EXAMPLE_ENV_VAR", "third")
        .args("run:demo,instance=one,publish_ssh_on=2223")
        .docker_answer("fail-on", "docker update --restart\n");
    let left = test.run().code(1);
    assert!(
        left.docker
            .contains("run --detach --name proj-demo-one_door_next "),
        "{}",
        left.docker
    );
    let test = test
        .docker_answer("fail-on", "")
        .args("run:demo,instance=one,publish_ssh_on=2223,plan=True");
    test.run()
        .success()
        .stdout_has("docker rm --force proj-demo-one_door_next\n");
}
