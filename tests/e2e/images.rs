//! Reyns' images: supervisord, sshd and the environment in the base image, prestartup scripts in order, another installation's key refused.

use super::*;

#[test]
fn base_image_runs_supervisord_sshd_and_env() {
    let project = Project::new();
    project.service("svc", BASE_SERVICE, &[]);
    project.reyns("build:svc").run().success();
    project
        .reyns("run:svc,instance=a,extra_args=--env 'ODD=a b \"c\" $(d)'")
        .run()
        .success();
    let container = project.container("svc", "a");
    let supervisorctl = |words: &[&str]| {
        let conf = ["-c", "/etc/supervisor/supervisord.conf"];
        docker(&[&["exec", &container, "supervisorctl"], &conf[..], words].concat())
    };
    let sshd_running = || supervisorctl(&["status", "sshd"]).contains("RUNNING");
    assert!(
        eventually(20, sshd_running),
        "sshd is not RUNNING under supervisord"
    );
    // The default command (the image has no CMD): supervisord, exec'd by
    // the entrypoint, so that its parent is tini, which passes signals on.
    let parent = docker(&[
        "exec",
        &container,
        "sh",
        "-c",
        "ps -o comm= -p $(ps -o ppid= -C supervisord)",
    ]);
    assert_eq!(parent.trim(), "tini", "supervisord's parent");
    // Under docker's own init (`--init`) the image's tini is a subreaper,
    // so it starts without warning that it is not PID 1 and cannot reap.
    let logs = docker_both_streams(&["logs", &container]);
    assert!(
        logs.contains("[INFO] Reyns entrypoint for svc-a"),
        "the instance's log:\n{logs}"
    );
    assert!(
        !logs.contains("Tini is not running as PID 1"),
        "tini warned:\n{logs}"
    );
    // The image's wrapper (Debian's supervisord would run in its stead if
    // the wrapper were not executable; its stand-in for pkg_resources
    // resolves the rpcinterface factory, without which no page is served).
    let command_line = docker(&["exec", &container, "ps", "-o", "args=", "-C", "supervisord"]);
    assert!(
        command_line.contains("/usr/local/bin/supervisord"),
        "supervisord runs without the wrapper: {command_line}"
    );
    // The web interface serves its page on supervisord's socket.
    let get_page = "import socket\n\
        s = socket.socket(socket.AF_UNIX)\n\
        s.connect('/run/supervisor.sock')\n\
        s.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n')\n\
        print(b''.join(iter(lambda: s.recv(65536), b'')).decode())";
    let page = docker(&["exec", &container, "python3", "-c", get_page]);
    assert!(
        page.starts_with("HTTP/1.0 200") && page.contains("sshd"),
        "supervisord's web interface: {page}"
    );
    let env = docker(&["exec", &container, "cat", "/env.sh"]);
    assert!(
        env.contains("SERVICE=\"svc\"") && env.contains("INSTANCE=\"a\""),
        "{env}"
    );
    // SECURITY.md: the environment is readable by the reyns user only.
    let env_file = docker(&["exec", &container, "stat", "-c", "%a %U", "/env.sh"]);
    assert_eq!(env_file.trim(), "600 reyns", "/env.sh's mode and owner");
    project
        .reyns("ssh:svc,command=echo \"$ODD\"")
        .run()
        .success()
        .stdout_has("a b \"c\" $(d)");
    project
        .reyns("ssh:svc,command=id -u; sudo -n id -u")
        .run()
        .success()
        .stdout_has("65527\n0\n");
    // No private key in the images: host keys are made per container.
    // grep exits 1 when nothing matches; 2 is an error.
    let private = docker(&[
        "run",
        "--rm",
        "--entrypoint",
        "sh",
        "reyns/reyns-dns",
        "-c",
        "grep -rlI -e 'BEGIN [A-Z ]*PRIVATE KEY' / --exclude-dir=proc --exclude-dir=sys; [ $? -le 1 ]",
    ]);
    assert!(private.is_empty(), "private keys in the image: {private}");
    // No password login: sshd refuses the password method outright.
    let sshd = docker(&["exec", &container, "sshd", "-T"]);
    assert!(
        sshd.contains("passwordauthentication no") && sshd.contains("permitrootlogin no"),
        "{sshd}"
    );
    // supervisord runs under the image's wrapper (a poller woken by signals,
    // whose pipe a reload closes and remakes): after a reload it starts sshd
    // again, and docker's SIGTERM still stops it cleanly.
    supervisorctl(&["reload"]);
    assert!(
        eventually(20, sshd_running),
        "sshd is not RUNNING after supervisord reloaded"
    );
    docker(&["stop", &container]);
    let log = docker(&["logs", &container]);
    let exit_code = docker(&["inspect", "--format", "{{.State.ExitCode}}", &container]);
    assert_eq!(exit_code, "0", "supervisord did not stop on SIGTERM: {log}");
    assert!(!log.contains("Traceback"), "{log}");
}

#[test]
fn prestartup_scripts_run_parents_first_even_after_rebuilding_the_parent() {
    let project = Project::new();
    let script = |name: &str| format!("#!/bin/bash\necho \"[ORDER] {name}\"\n");
    project
        .service(
            "parent",
            "FROM reyns/reyns-base\nCOPY prestartup_parent.sh /prestartup/\n",
            &[("prestartup_parent.sh", &script("parent"))],
        )
        .service(
            "child",
            "FROM {project}/parent\nCOPY prestartup_child.sh /prestartup/\n",
            &[("prestartup_child.sh", &script("child"))],
        );
    project.reyns("build:child").run().success();
    let order = |instance: &str| -> Vec<String> {
        project
            .reyns(&format!("run:child,instance={instance}"))
            .run()
            .success();
        let logs = docker(&["logs", &project.container("child", instance)]);
        logs.lines()
            .filter(|l| l.starts_with("[INFO] Executing prestartup script"))
            .map(|l| l.rsplit(' ').next().unwrap().to_string())
            .collect()
    };
    let expected = vec![
        "prestartup_reyns-common.sh",
        "prestartup_reyns-base.sh",
        "prestartup_parent.sh",
        "prestartup_child.sh",
    ];
    assert_eq!(order("first"), expected);
    // Rebuild only the parent (new layers, newer files), then the child on it.
    std::fs::write(
        project.dir.join("services/parent/prestartup_parent.sh"),
        script("parent v2"),
    )
    .unwrap();
    project.reyns("build:parent,cache=False").run().success();
    assert_eq!(order("second"), expected, "old child image");
    project.reyns("build:child").run().success();
    assert_eq!(order("third"), expected, "child rebuilt on the new parent");

    // A failing script: the failure marker, reyns exits non-zero, the container stops non-zero.
    project.service(
        "broken",
        "FROM reyns/reyns-base\nCOPY prestartup_broken.sh /prestartup/\n",
        &[(
            "prestartup_broken.sh",
            "#!/bin/bash\necho about to fail\nexit 4\n",
        )],
    );
    project.reyns("build:broken").run().success();
    project
        .reyns("run:broken,instance=x")
        .run()
        .code(1)
        .stderr_has("[ERROR] Exit code 4 for prestartup_broken.sh");
    let container = project.container("broken", "x");
    assert!(eventually(20, || docker(&[
        "inspect",
        "--format",
        "{{.State.Status}}",
        &container
    ]) == "exited"));
    assert_eq!(
        docker(&["inspect", "--format", "{{.State.ExitCode}}", &container]),
        "4"
    );
    // safemode skips the service scripts.
    project
        .reyns("run:broken,instance=safe,safemode=True")
        .run()
        .success();
}

#[test]
fn images_with_another_installations_key_refuse_this_one() {
    // A second installation: its own REYNS_HOME, hence its own keys.
    let other_home_dir = support::temp_dir();
    let other_home = other_home_dir.path().join("other-home");
    let made = std::process::Command::new(support::reyns_bin())
        .arg("init:plan=True")
        .env("REYNS_HOME", &other_home)
        .output()
        .unwrap();
    assert!(made.status.success());
    let other_public = std::fs::read_to_string(other_home.join("keys/id_ed25519.pub")).unwrap();
    assert_ne!(
        other_public,
        std::fs::read_to_string(support::default_home().join("keys/id_ed25519.pub")).unwrap()
    );
    // A service whose image carries only the other installation's public key.
    let project = Project::new();
    project.service(
        "svc",
        "FROM reyns/reyns-base\nCOPY other.pub /home/reyns/.ssh/authorized_keys\n",
        &[("other.pub", &other_public)],
    );
    project.reyns("build:svc").run().success();
    project.reyns("run:svc,instance=a").run().success();
    project
        .reyns("ssh:svc,command=true,wait=5")
        .run()
        .code(1)
        .stderr_has("refused");
    project
        .reyns("ssh:svc,command=echo welcome")
        .env("REYNS_HOME", &other_home.display().to_string())
        .run()
        .success()
        .stdout_has("welcome");
}

/// A common service builds on reyns/reyns-base: a JDK's post-install links
/// its man pages (update-alternatives), so the slim base keeps the folders
/// (issue 37). Debian's mirror is reachable from the build, as `init` needs.
#[test]
fn a_jdk_installs_on_the_base_image() {
    let project = Project::new();
    project.service(
        "java",
        "FROM reyns/reyns-base\n\
         RUN apt-get update && apt-get install -y --no-install-recommends openjdk-17-jre-headless \
         && rm -rf /var/lib/apt/lists/*\n",
        &[],
    );
    project.reyns("build:java").run().success();
    let image = format!("{}/java", project.name);
    let version = docker_both_streams(&["run", "--rm", "--entrypoint", "java", &image, "-version"]);
    assert!(version.contains("openjdk version \"17"), "{version}");
}
