//! `docker::` for scripts: thin wrappers over [`crate::exec`] (running a
//! command) and [`crate::graph`] (jobs and readiness).
//!
//! The verb's plan mode (`plan=True`, set by `docker::set_plan`) is the
//! session's ([`super::session`]), and handed to the layers below as a
//! value: commands that change something are printed, quoted for a shell,
//! instead of run. Queries always run.

use super::session::Session;
use super::{fail, strings, to_map, HostResult, Target};
use crate::exec::{
    failed, inherited, pipeline, program, read, read_docker, run_docker, shown, Mode,
};
use crate::graph::jobs::{run_graph, Commands, Job};
use crate::graph::readiness::Readiness;
use rhai::plugin::*;
use rhai::{Array, Map};

/// What `docker::wait_ready` came to.
#[derive(serde::Serialize)]
struct Waited {
    ok: bool,
    output: String,
}

/// In plan mode, records the command (and returns true): the caller skips it.
fn recorded_instead(context: &NativeCallContext, argv: &[String]) -> bool {
    crate::exec::planned(argv, &Session::of(context).mode())
}

/// A script's list of argv lists (`[["ps"], ["--host", "...", "ps"]]`).
fn argv_lists(batch: &Array, what: &str) -> HostResult<Vec<Vec<String>>> {
    batch
        .iter()
        .map(|argv| match argv.read_lock::<Array>() {
            Some(array) => strings(&array, what),
            None => fail(format!("{what} takes a list of argv lists")),
        })
        .collect()
}

/// Runs a docker command with stdout/stderr (and, `with_stdin`, the
/// terminal) handed over; in plan mode records it and gives 0.
fn handed_over(
    context: &NativeCallContext,
    argv: Array,
    with_stdin: bool,
    what: &str,
) -> HostResult<i64> {
    let argv = strings(&argv, what)?;
    if recorded_instead(context, &argv) {
        return Ok(0);
    }
    inherited(&argv, with_stdin)
}

/// One batched `docker FLAGS inspect NAMES`, parsed: names docker does not
/// know are absent, any other failure is an error.
fn inspected(flags: &[String], names: &[String]) -> HostResult<Map> {
    if names.is_empty() {
        return Ok(Map::new());
    }
    let mut argv = flags.to_vec();
    argv.push("inspect".to_string());
    argv.extend(names.iter().cloned());
    let done = read(&argv)?;
    let missing_only = done
        .stderr
        .lines()
        .all(|line| line.trim().is_empty() || line.contains("No such object"));
    if done.code != 0 && !missing_only {
        return Err(failed(&argv, &done));
    }
    let found = crate::host::inspect::parse(&done.stdout, names).or_else(fail)?;
    found
        .into_iter()
        .map(|(name, object)| Ok((name.into(), rhai::serde::to_dynamic(object)?)))
        .collect()
}

/// A tar of host files and folders (`(host path, path in the container)`),
/// named by their container paths relative to `/`.
fn tar_of(pairs: &[(String, String)]) -> HostResult<Vec<u8>> {
    let mut archive = tar::Builder::new(Vec::new());
    for (host, inside) in pairs {
        let name = inside.trim_start_matches('/');
        let added = if std::path::Path::new(host).is_dir() {
            archive.append_dir_all(name, host)
        } else {
            archive.append_path_with_name(host, name)
        };
        added.or_else(|err| fail(format!("cannot read {host}: {err}")))?;
    }
    archive
        .into_inner()
        .or_else(|err| fail(format!("cannot make a tar of {} files: {err}", pairs.len())))
}

#[export_module]
pub mod api {
    /// Runs a docker command that changes something and returns its trimmed
    /// stdout; fails with the command, its exit code and the tail of stderr.
    /// In plan mode it records the command instead (see `set_plan`) and returns "".
    ///
    /// ```rhai
    /// docker::run(["rm", "-f", "demo-demo-one"]);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn run(context: NativeCallContext, argv: Array) -> Result<String, Box<EvalAltResult>> {
        let argv = strings(&argv, "docker::run")?;
        if recorded_instead(&context, &argv) {
            return Ok(String::new());
        }
        run_docker(&argv, None)
    }

    /// Like `run`, with `input` written to the command's standard input.
    ///
    /// ```rhai
    /// docker::run_with_input(["exec", "-i", "c", "nsupdate"], "send\n");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn run_with_input(
        context: NativeCallContext,
        argv: Array,
        input: &str,
    ) -> Result<String, Box<EvalAltResult>> {
        let argv = strings(&argv, "docker::run_with_input")?;
        if recorded_instead(&context, &argv) {
            return Ok(String::new());
        }
        run_docker(&argv, Some(input.as_bytes()))
    }

    /// Runs a read-only docker command (always, even in plan mode) and returns
    /// its trimmed stdout; fails like `run`.
    ///
    /// ```rhai
    /// let id = docker::query(["image", "inspect", "--format", "{{.Id}}", "reyns/reyns-base"]);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn query(argv: Array) -> Result<String, Box<EvalAltResult>> {
        read_docker(&strings(&argv, "docker::query")?)
    }

    /// Runs a read-only docker command and returns `#{ok, exit_code, stdout, stderr}`
    /// without failing on a non-zero exit.
    ///
    /// ```rhai
    /// let found = docker::capture(["image", "inspect", "reyns/reyns-base"]).ok;
    /// ```
    #[rhai_fn(return_raw)]
    pub fn capture(argv: Array) -> Result<Map, Box<EvalAltResult>> {
        Ok(read(&strings(&argv, "docker::capture")?)?.to_map())
    }

    /// Runs a read-only docker command whose output is one JSON object per line
    /// (`--format '{{json .}}'`) and returns them as maps.
    ///
    /// ```rhai
    /// let rows = docker::json_lines(["images", "--format", "{{json .}}"]);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn json_lines(argv: Array) -> Result<Array, Box<EvalAltResult>> {
        let argv = strings(&argv, "docker::json_lines")?;
        let stdout = read_docker(&argv)?;
        crate::host::text::json_lines(&stdout)
            .or_else(|err| fail(format!("`{}` printed {err}", shown(&argv))))
    }

    /// Inspects containers and images in one batched `docker inspect` and
    /// returns a map from each name found to its record: a container
    /// `#{kind: "container", name, id, image, state, running, health, labels, env, address, restart}`
    /// or an image `#{kind: "image", id, tags}`. Names docker does not know
    /// are absent (not an error).
    ///
    /// ```rhai
    /// let found = docker::inspect(["demo-demo-one", "demo/demo"]);
    /// if "demo/demo" in found { print(found["demo/demo"].id); }
    /// ```
    #[rhai_fn(return_raw)]
    pub fn inspect(names: Array) -> Result<Map, Box<EvalAltResult>> {
        inspected(&[], &strings(&names, "docker::inspect")?)
    }

    /// Like `inspect`, on the engine that `flags` (docker's global options,
    /// e.g. `["--host", "tcp://10.0.0.6:2375"]`, `[]` for the local one) reach.
    ///
    /// ```rhai
    /// let found = docker::inspect_on(["--context", "lab2"], ["demo-demo-one"]);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn inspect_on(flags: Array, names: Array) -> Result<Map, Box<EvalAltResult>> {
        inspected(
            &strings(&flags, "docker::inspect_on")?,
            &strings(&names, "docker::inspect_on")?,
        )
    }

    /// Runs read-only docker commands side by side (always, even in plan
    /// mode) and returns one `#{ok, exit_code, stdout, stderr}` per command,
    /// in order, never failing on a non-zero exit: e.g. one `docker ps` per
    /// node, so a node that does not answer leaves the others listed.
    ///
    /// ```rhai
    /// let answers = docker::query_each([["--host", "tcp://10.0.0.6:2375", "ps"], ["ps"]]);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn query_each(batch: Array) -> Result<Array, Box<EvalAltResult>> {
        let argvs = argv_lists(&batch, "docker::query_each")?;
        let outcomes = crate::exec::read_side_by_side(&argvs);
        outcomes
            .into_iter()
            .map(|done| Ok(done.or_else(fail)?.to_map().into()))
            .collect()
    }

    /// Copies images from the local engine to the one `flags` reach, as
    /// `docker save IMAGES | docker FLAGS load` (through this host, no
    /// registry). In plan mode the pipeline is recorded instead.
    ///
    /// ```rhai
    /// docker::copy_images(["reyns/reyns-base"], ["--host", "tcp://10.0.0.6:2375"]);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn copy_images(
        context: NativeCallContext,
        images: Array,
        flags: Array,
    ) -> Result<(), Box<EvalAltResult>> {
        let mut save = vec!["save".to_string()];
        save.extend(strings(&images, "docker::copy_images")?);
        let mut load = strings(&flags, "docker::copy_images")?;
        load.extend(["load".to_string(), "--quiet".into()]);
        pipeline(
            || Ok(duct::cmd(program()?, &save)),
            &shown(&save),
            &load,
            &Session::of(&context).mode(),
        )
    }

    /// Copies host files and folders into a container (`target`: its name,
    /// or `[docker options..., name]`): `files` maps each host path to its
    /// absolute path in the container. One `docker cp` for them all, a tar
    /// on its standard input, so folders missing in the container are made.
    ///
    /// ```rhai
    /// docker::copy_in("demo-demo-one", #{ "/work/app/index.html": "/srv/app/index.html" });
    /// ```
    #[rhai_fn(return_raw)]
    pub fn copy_in(
        context: NativeCallContext,
        target: Dynamic,
        files: Map,
    ) -> Result<(), Box<EvalAltResult>> {
        let target = super::Target::from_dynamic(&target, "docker::copy_in")?;
        let mut pairs = Vec::new();
        for (host, inside) in &files {
            pairs.push((host.to_string(), inside.to_string()));
        }
        let archive = tar_of(&pairs)?;
        let mut argv = target.flags.clone();
        argv.extend([
            "cp".to_string(),
            "-".to_string(),
            format!("{}:/", target.name),
        ]);
        if recorded_instead(&context, &argv) {
            return Ok(());
        }
        run_docker(&argv, Some(&archive)).map(drop)
    }

    /// Runs a docker command with its output shown live; returns its exit code.
    /// In plan mode it records the command and returns 0.
    ///
    /// ```rhai
    /// let code = docker::stream(["build", "-t", "demo/web", "services/web"]);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn stream(context: NativeCallContext, argv: Array) -> Result<i64, Box<EvalAltResult>> {
        handed_over(&context, argv, false, "docker::stream")
    }

    /// Hands the terminal to a docker command (`run -it`, `exec -it`) and
    /// returns its exit code. In plan mode it records the command and returns 0.
    ///
    /// ```rhai
    /// let code = docker::attach(["exec", "-it", "demo-demo-one", "bash"]);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn attach(context: NativeCallContext, argv: Array) -> Result<i64, Box<EvalAltResult>> {
        handed_over(&context, argv, true, "docker::attach")
    }

    /// Runs docker commands that change something, at most `limit` at once, and
    /// returns one `#{ok, exit_code, stdout, stderr, planned}` per command, in
    /// order (`planned`: recorded in plan mode, not run). After a failure no
    /// new command starts (the rest come back `skipped`).
    ///
    /// ```rhai
    /// let results = docker::parallel([["rm", "-f", "a"], ["rm", "-f", "b"]], 8);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn parallel(
        context: NativeCallContext,
        batch: Array,
        limit: i64,
    ) -> Result<Array, Box<EvalAltResult>> {
        let jobs: Vec<Job> = argv_lists(&batch, "docker::parallel")?
            .into_iter()
            .enumerate()
            .map(|(index, argv)| Job {
                id: index.to_string(),
                label: String::new(),
                commands: Commands::Fixed(vec![argv]),
                after: Vec::new(),
                after_started: Vec::new(),
                contained: false,
                wait: None,
                stream: false,
            })
            .collect();
        let count = jobs.len();
        let results = run_graph(
            jobs,
            limit.max(1) as usize,
            false,
            &Session::of(&context).mode(),
            &mut |_, _| fail("docker::parallel runs fixed commands only"),
        )?;
        Ok((0..count)
            .map(|index| {
                results
                    .get(&index.to_string())
                    .cloned()
                    .unwrap_or_default()
                    .into()
            })
            .collect())
    }

    /// Runs jobs `#{id, argv, after: [ids], label, stream, wait: #{container, ready, failed, timeout, settle, docker}}`
    /// (`docker`: the global options that reach the container's engine)
    /// in dependency order, at most `limit` at once, printing one progress line
    /// per job start and end. `stream: true` shows docker's own output instead
    /// of capturing it, one job at a time. After a failure no new job starts. Returns a map
    /// id -> `#{ok, ran, planned, exit_code, stdout, stderr, seconds, output, skipped, undone, note}`.
    ///
    /// `argv` is one docker argv, a list of them (run in order), or a
    /// function called when the job's turn comes, with the results of the
    /// jobs it waits for (by id), that returns either, `()` for nothing to
    /// do, or `#{commands, note, wait, ready_on, ready_then, then, undo}`: the note is
    /// handed on in the results (so a job can use what the jobs before it
    /// made, their addresses); `wait: false` skips the readiness wait;
    /// `ready_on` waits on another container than `wait.container` (a
    /// replacement under a temporary name); `ready_then` is an argv run in
    /// that container as it becomes ready (in its readiness check's own
    /// `docker exec` when it has one); `then` are steps once it is
    /// ready, each an argv or seconds to pause (draining); `undo` are argvs
    /// run when the commands or the wait fail (the job fails all the same).
    /// The readiness wait reads the log from the moment the job started.
    ///
    /// ```rhai
    /// let results = docker::graph([
    ///     #{id: "a", argv: ["build", "."]},
    ///     #{id: "b", after: ["a"], argv: |done| if done.a.ok { ["tag", "x", "y"] } else { () }},
    /// ], 2);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn graph(
        context: NativeCallContext,
        jobs: Array,
        limit: i64,
    ) -> Result<Map, Box<EvalAltResult>> {
        let jobs = jobs
            .iter()
            .map(Job::from_dynamic)
            .collect::<HostResult<Vec<Job>>>()?;
        let mut resolve =
            |function: &rhai::FnPtr, before: Map| function.call_within_context(&context, (before,));
        let results = run_graph(
            jobs,
            limit.max(1) as usize,
            true,
            &Session::of(&context).mode(),
            &mut resolve,
        )?;
        Ok(results
            .into_iter()
            .map(|(id, result)| (id.into(), result.into()))
            .collect())
    }

    /// Orders names so that each comes after those it waits for (`needs`:
    /// name -> [names]), ties by name; throws naming the cycle
    /// (`"<what> in a cycle: a -> b -> a"`) or a name waited for that is
    /// not in `needs`. The same check `docker::graph` makes of its jobs.
    ///
    /// ```rhai
    /// let ordered = docker::order(#{web: ["base"], base: []}, "services are built from each other");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn order(needs: Map, what: &str) -> Result<Array, Box<EvalAltResult>> {
        let needs = needs
            .iter()
            .map(|(name, waits_for)| {
                let waits_for = match waits_for.read_lock::<Array>() {
                    Some(names) => strings(&names, "docker::order")?,
                    None => {
                        return fail(format!(
                            "docker::order: `{name}` must map to a list of names"
                        ))
                    }
                };
                Ok((name.to_string(), waits_for))
            })
            .collect::<HostResult<_>>()?;
        let ordered = crate::graph::order(&needs, what).or_else(fail)?;
        Ok(ordered.into_iter().map(Dynamic::from).collect())
    }

    /// Seconds to wait for an instance to be ready when nothing says
    /// otherwise: the default of a wait's `timeout` and of `run`'s `timeout=`.
    ///
    /// ```rhai
    /// const OPTIONS = #{ timeout: [docker::ready_timeout(), "seconds to wait for an instance to be ready"] };
    /// ```
    pub fn ready_timeout() -> i64 {
        crate::graph::readiness::DEFAULT_TIMEOUT_SECONDS
    }

    /// Follows a container's log until `ready` or `failed` appears (or the log
    /// ends, or `timeout` seconds pass); both default to the entrypoint's
    /// markers (`contract::ready_marker()`). Returns `#{ok, output}`.
    ///
    /// ```rhai
    /// let r = docker::wait_ready(#{container: "p-demo-one", timeout: 60});
    /// ```
    #[rhai_fn(return_raw)]
    pub fn wait_ready(
        context: NativeCallContext,
        readiness: Map,
    ) -> Result<Map, Box<EvalAltResult>> {
        let (ok, output) =
            Readiness::from_map(&readiness)?.wait(None, &Session::of(&context).mode())?;
        to_map(&Waited { ok, output })
    }

    /// Pipes a host program's output into a docker command, e.g. a root file
    /// system from `mmdebstrap` into `docker import`. Fails with the failing
    /// side's error output. In plan mode the pipeline is recorded instead.
    ///
    /// ```rhai
    /// docker::import_pipe(["mmdebstrap", "--variant=minbase", "bookworm", "-"], ["import", "-", "debian:bookworm-slim"]);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn import_pipe(
        context: NativeCallContext,
        source: Array,
        argv: Array,
    ) -> Result<(), Box<EvalAltResult>> {
        let source = strings(&source, "docker::import_pipe")?;
        let argv = strings(&argv, "docker::import_pipe")?;
        let Some((program, source_args)) = source.split_first() else {
            return fail("docker::import_pipe needs a program to read from");
        };
        let reader = || {
            let program = which::which(program)
                .or_else(|_| fail(format!("`{program}` was not found on PATH")))?;
            Ok(duct::cmd(program, source_args))
        };
        pipeline(
            reader,
            &shell_words::join(&source),
            &argv,
            &Session::of(&context).mode(),
        )
    }

    /// Turns plan mode on or off: while on, commands that change something are
    /// recorded (quoted for a shell) instead of run; `docker::planned` takes
    /// them, and what no one took is printed when the verb ends.
    ///
    /// ```rhai
    /// docker::set_plan(true);
    /// ```
    pub fn set_plan(context: NativeCallContext, on: bool) {
        Session::of(&context).set_plan(on);
    }

    /// Whether plan mode is on.
    ///
    /// ```rhai
    /// if docker::is_planning() { return; }
    /// ```
    pub fn is_planning(context: NativeCallContext) -> bool {
        Session::of(&context).mode().is_plan()
    }

    /// Takes the commands plan mode recorded so far, in order: one
    /// `#{job, line}` each, `job` the job (a converge's container name) it
    /// belongs to, or `()`, and `line` the command quoted for a shell.
    /// They are then no longer printed when the verb ends.
    ///
    /// ```rhai
    /// for planned in docker::planned() { print(planned.line); }
    /// ```
    #[rhai_fn(return_raw)]
    pub fn planned(context: NativeCallContext) -> Result<Array, Box<EvalAltResult>> {
        let Mode::Plan(log) = Session::of(&context).mode() else {
            return Ok(Array::new());
        };
        log.take()
            .iter()
            .map(|planned| Ok(to_map(planned)?.into()))
            .collect()
    }

    /// A docker command line quoted for a shell, for messages.
    ///
    /// ```rhai
    /// term::info(docker::quoted(["run", "-e", "A=b c", "img"]));
    /// ```
    #[rhai_fn(return_raw)]
    pub fn quoted(argv: Array) -> Result<String, Box<EvalAltResult>> {
        Ok(shown(&strings(&argv, "docker::quoted")?))
    }
}
