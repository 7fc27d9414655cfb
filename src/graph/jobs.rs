//! Running a set of docker commands as a graph: each job once the jobs it
//! waits for succeeded, at most N at once, one progress line per job (or,
//! for streamed jobs, docker's own output), and no new job after a failure
//! or Ctrl-C. `build` and `run` both run on it: it is the one scheduler.
//! How scripts write jobs and answers is [`super::spec`]'s.

use super::readiness::Readiness;
use super::spec::Answer;
pub use super::spec::{Commands, Job, Step};
use crate::exec::{self, fail, to_map, HostResult, Mode};
use crate::log::{self, Level};
use rhai::{Dynamic, FnPtr, Map};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::mpsc;
use std::time::{Instant, SystemTime};

/// What one job of a graph came to; plain data, so threads can hand it
/// back; scripts get it as a map of the same shape.
#[derive(Default, Serialize)]
pub struct JobResult {
    ok: bool,
    #[serde(rename = "exit_code")]
    code: i64,
    stdout: String,
    stderr: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<String>,
    seconds: f64,
    skipped: bool,
    /// Whether any command ran (a deferred job may find nothing to do).
    ran: bool,
    /// Whether its commands were only recorded (plan mode): what they would
    /// make (a container, its address) is not there.
    planned: bool,
    /// Whether the job's undo commands ran (its commands or its readiness
    /// wait failed), so what they undo is gone; a failed step after the
    /// wait leaves this false.
    undone: bool,
}

impl JobResult {
    /// `#{ok, exit_code, stdout, stderr, output, seconds, skipped, ran, planned, undone}`.
    pub fn to_map(&self) -> Map {
        to_map(self).unwrap_or_default()
    }
}

/// The part of a job a worker thread runs: its commands in order, then the
/// readiness wait (from the moment the commands began), then its steps; the
/// undo commands when the commands or the wait failed.
struct Work {
    folders: Vec<String>,
    commands: Vec<Vec<String>>,
    wait: Option<Readiness>,
    then: Vec<Step>,
    undo: Vec<Vec<String>>,
    stream: bool,
    mode: Mode,
    /// Whether its commands' end is the start of what waits for it
    /// (`after_started`): not for a replacement started beside the old
    /// one, whose container takes the name (and so the address others are
    /// given) only at the end, nor for a swarm rollout.
    starts_in_place: bool,
    /// Whether the wait runs though there is no command (a one-shot job
    /// found running, waited for to complete within the wait's timeout).
    waits_alone: bool,
}

impl Work {
    /// Runs one command: captured, or streamed to the terminal (its outcome
    /// then has no output).
    fn run(&self, argv: &[String]) -> HostResult<exec::Outcome> {
        if self.stream {
            let code = exec::inherited(argv, false)?;
            return Ok(exec::Outcome {
                code,
                ..exec::Outcome::default()
            });
        }
        exec::outcome(argv, None)
    }

    /// Runs `commands` in order until one fails, keeping the last outcome in
    /// `result` (recorded instead, in plan mode).
    fn run_all<'a>(
        &self,
        commands: impl IntoIterator<Item = &'a Vec<String>>,
        result: &mut JobResult,
    ) {
        for argv in commands {
            if exec::planned(argv, &self.mode) {
                continue;
            }
            match self.run(argv) {
                Ok(done) => {
                    result.ok = done.code == 0;
                    result.code = done.code;
                    result.stdout = done.stdout;
                    result.stderr = done.stderr;
                }
                Err(err) => {
                    result.ok = false;
                    result.code = -1;
                    result.stderr = exec::said(&err);
                }
            }
            if !result.ok {
                break;
            }
        }
    }

    /// Makes the folders the commands need (recorded instead, in plan mode).
    fn make_folders(&self, result: &mut JobResult) {
        for folder in &self.folders {
            let line = || shell_words::join(["mkdir", "-p", folder]);
            if exec::planned_line(line, &self.mode) {
                continue;
            }
            if let Err(err) = std::fs::create_dir_all(folder) {
                result.ok = false;
                result.code = -1;
                result.stderr = format!("cannot make {folder}: {err}");
                return;
            }
        }
    }

    /// Takes the steps after the wait in order, until a command fails.
    fn take_steps(&self, result: &mut JobResult) {
        for step in &self.then {
            match step {
                Step::Docker(argv) => self.run_all([argv], result),
                Step::Addressed(step) if self.mode.is_plan() => self.run_all([&step.argv], result),
                Step::Addressed(step) => match step.argv() {
                    Ok(argv) => self.run_all([&argv], result),
                    Err(err) => {
                        result.ok = false;
                        result.code = -1;
                        result.stderr = err.to_string();
                    }
                },
                Step::Pause(pause) => {
                    if !exec::planned_line(|| format!("sleep {}", pause.as_secs_f64()), &self.mode)
                    {
                        std::thread::sleep(*pause)
                    }
                }
            }
            if !result.ok {
                break;
            }
        }
    }

    /// Never fails: a command that cannot start is a failed result.
    /// `on_started` is called once its commands ran (before the wait).
    fn execute(self, on_started: &dyn Fn()) -> JobResult {
        let started = Instant::now();
        let since = SystemTime::now();
        let mut result = JobResult {
            ok: true,
            ran: !self.commands.is_empty(),
            planned: self.mode.is_plan() && !self.commands.is_empty(),
            ..JobResult::default()
        };
        self.make_folders(&mut result);
        if result.ok {
            self.run_all(&self.commands, &mut result);
        }
        if result.ok && result.ran && self.starts_in_place {
            on_started();
        }
        if let (true, true, Some(wait)) = (result.ok, result.ran || self.waits_alone, &self.wait) {
            match wait.wait(Some(since), &self.mode) {
                Ok((ready, output)) => {
                    result.ok = ready;
                    result.output = Some(output);
                }
                Err(err) => {
                    result.ok = false;
                    result.output = Some(err.to_string());
                }
            }
        }
        if result.ok && result.ran {
            self.take_steps(&mut result);
        } else if result.ran && !self.undo.is_empty() {
            // What failed is reported, not how the undo went.
            self.run_all(&self.undo, &mut JobResult::default());
            result.undone = true;
        }
        result.seconds = started.elapsed().as_secs_f64();
        result
    }
}

/// What a job runs, now that the jobs it waits for are done: its fixed
/// commands, or what its function gives when handed their results (with
/// their notes), as an [`Answer`]; its note is filed under the job's id.
fn work_for(
    job: &Job,
    results: &BTreeMap<String, JobResult>,
    launched: &BTreeSet<String>,
    notes: &mut BTreeMap<String, Dynamic>,
    resolve: &mut dyn FnMut(&FnPtr, Map) -> HostResult<Dynamic>,
    mode: &Mode,
) -> HostResult<Work> {
    let function = match &job.commands {
        Commands::Fixed(commands) => {
            return Ok(Work {
                folders: Vec::new(),
                commands: commands.clone(),
                wait: job.wait.clone(),
                then: Vec::new(),
                undo: Vec::new(),
                stream: job.stream,
                mode: mode.clone(),
                starts_in_place: true,
                waits_alone: false,
            })
        }
        Commands::Deferred(function) => function,
    };
    // Those it waits for, done; those it waits to have started, done or
    // started (ran, ok, not done yet).
    let before: Map = job
        .after
        .iter()
        .chain(&job.after_started)
        .filter_map(|id| {
            let mut result = match results.get(id) {
                Some(result) => result.to_map(),
                None if launched.contains(id) => JobResult {
                    ok: true,
                    ran: true,
                    ..JobResult::default()
                }
                .to_map(),
                None => return None,
            };
            if let Some(note) = notes.get(id) {
                result.insert("note".into(), note.clone());
            }
            Some((id.into(), result.into()))
        })
        .collect();
    // What the function plans (a DNS record forgotten) is filed under the job.
    mode.set_current_job(Some(&job.id));
    let answered = resolve(function, before);
    mode.set_current_job(None);
    let answer = Answer::from_dynamic(answered?, &job.id)?;
    if let Some(note) = answer.note {
        notes.insert(job.id.clone(), note);
    }
    let starts_in_place = answer.ready_on.is_none() && answer.rollout.is_none();
    let waits_alone = answer.wait_alone;
    let wait = match (answer.wait, &job.wait, answer.ready_on, answer.rollout) {
        (false, _, _, _) | (_, None, _, _) => None,
        (true, Some(wait), _, Some(hash)) => Some(wait.of_rollout(&hash)),
        (true, Some(wait), Some(container), None) => Some(wait.on(&container)),
        (true, Some(wait), None, None) => Some(wait.clone()),
    };
    let mut then = answer.then;
    let wait = match (wait, answer.ready_then.is_empty()) {
        (wait, true) => wait,
        (None, false) => {
            return fail(format!(
                "`ready_then` of job `{}` needs a readiness wait",
                job.id
            ))
        }
        (Some(wait), false) => match wait.with_check_then(&answer.ready_then) {
            Some(folded) if !mode.is_plan() => Some(folded),
            _ => {
                then.insert(0, Step::Docker(wait.exec_argv(&answer.ready_then)));
                Some(wait)
            }
        },
    };
    Ok(Work {
        folders: answer.folders,
        commands: answer.commands,
        wait,
        then,
        undo: answer.undo,
        stream: job.stream,
        mode: mode.for_job(&job.id),
        starts_in_place,
        waits_alone,
    })
}

/// How many commands may run at once: `requested`, unless `REYNS_PARALLEL`
/// sets another bound (1 runs everything in order, as plan mode and
/// streamed output do).
fn parallel_limit(requested: usize, mode: &Mode, streamed: bool) -> usize {
    if mode.is_plan() || streamed {
        return 1;
    }
    std::env::var("REYNS_PARALLEL")
        .ok()
        .and_then(|value| value.parse::<usize>().ok())
        .unwrap_or(requested)
        .max(1)
}

/// Checks that job ids are unique, that every `after` names a job and that
/// the jobs have no cycle.
fn check_graph(jobs: &[Job]) -> HostResult<()> {
    let mut needs = BTreeMap::new();
    for job in jobs {
        let waits_for = job
            .after
            .iter()
            .chain(&job.after_started)
            .cloned()
            .collect();
        if needs.insert(job.id.clone(), waits_for).is_some() {
            return fail(format!("two jobs have the id `{}`", job.id));
        }
    }
    super::order(&needs, "jobs wait for each other")
        .map(|_| ())
        .or_else(fail)
}

/// Runs jobs in dependency order, at most `limit` at once. After a failure no
/// new job starts; running ones finish. Returns each job's result by id.
/// `resolve` turns a deferred job's function into its commands, on the
/// calling thread, once the jobs it waits for are done; it is handed their
/// results by id.
pub fn run_graph(
    jobs: Vec<Job>,
    limit: usize,
    progress: bool,
    mode: &Mode,
    resolve: &mut dyn FnMut(&FnPtr, Map) -> HostResult<Dynamic>,
) -> HostResult<BTreeMap<String, Map>> {
    check_graph(&jobs)?;
    let limit = parallel_limit(limit, mode, jobs.iter().any(|job| job.stream));
    let progress = progress && !mode.is_plan();
    let (done_tx, done_rx) = mpsc::channel::<(usize, Option<JobResult>)>();
    let mut results: BTreeMap<String, JobResult> = BTreeMap::new();
    let mut notes: BTreeMap<String, Dynamic> = BTreeMap::new();
    let mut started = vec![false; jobs.len()];
    // Jobs whose commands ran (for `after_started`), though not done yet.
    let mut launched = BTreeSet::new();
    let mut running = 0;
    let mut stopping = false;
    loop {
        if !stopping && !exec::interrupted() {
            for index in 0..jobs.len() {
                if running >= limit {
                    break;
                }
                let job = &jobs[index];
                let ready = !started[index]
                    && job
                        .after
                        .iter()
                        .all(|id| results.get(id).is_some_and(|r| r.ok))
                    && job.after_started.iter().all(|id| {
                        results.get(id).is_some_and(|r| r.ok)
                            || (!results.contains_key(id) && launched.contains(id))
                    });
                if !ready {
                    continue;
                }
                started[index] = true;
                let work = match work_for(job, &results, &launched, &mut notes, resolve, mode) {
                    Ok(work) => work,
                    Err(err) => {
                        stopping = true;
                        results.insert(
                            job.id.clone(),
                            JobResult {
                                code: -1,
                                stderr: err.to_string(),
                                ..JobResult::default()
                            },
                        );
                        break;
                    }
                };
                running += 1;
                if progress && !work.commands.is_empty() {
                    log::log(Level::Info, &format!("{} ...", job.label));
                }
                let done_tx = done_tx.clone();
                std::thread::spawn(move || {
                    let started_tx = done_tx.clone();
                    let started = move || {
                        let _ = started_tx.send((index, None));
                    };
                    // A bug that panics fails this job, not the wait for it.
                    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        work.execute(&started)
                    }))
                    .unwrap_or_else(|_| JobResult {
                        code: -1,
                        stderr: "reyns failed inside this job (see the internal error above)"
                            .into(),
                        ..JobResult::default()
                    });
                    let _ = done_tx.send((index, Some(result)));
                });
            }
        }
        if running == 0 {
            break;
        }
        let Ok((index, message)) = done_rx.recv() else {
            break;
        };
        let Some(result) = message else {
            launched.insert(jobs[index].id.clone());
            continue;
        };
        running -= 1;
        let job = &jobs[index];
        if progress && result.ran {
            let verdict = if result.ok { "done" } else { "FAILED" };
            log::log(
                Level::Info,
                &format!("{} {verdict} in {:.1} s", job.label, result.seconds),
            );
        }
        stopping |= !result.ok && !job.contained;
        results.insert(job.id.clone(), result);
    }
    for job in jobs.iter() {
        results.entry(job.id.clone()).or_insert_with(|| JobResult {
            skipped: true,
            ..JobResult::default()
        });
    }
    Ok(results
        .into_iter()
        .map(|(id, result)| {
            let mut map = result.to_map();
            if let Some(note) = notes.remove(&id) {
                map.insert("note".into(), note);
            }
            (id, map)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: &str, after: &[&str]) -> Job {
        Job {
            id: id.into(),
            commands: Commands::Fixed(Vec::new()),
            after: after.iter().map(|s| s.to_string()).collect(),
            after_started: Vec::new(),
            contained: false,
            label: id.into(),
            wait: None,
            stream: false,
        }
    }

    #[test]
    fn graph_cycles_are_named() {
        let err = check_graph(&[job("a", &["b"]), job("b", &["a"]), job("c", &[])]).unwrap_err();
        assert!(err.to_string().contains("cycle: a -> b -> a"), "{err}");
        assert!(check_graph(&[job("a", &[]), job("b", &["a"])]).is_ok());
        let err = check_graph(&[job("a", &[]), job("a", &[])]).unwrap_err();
        assert!(
            err.to_string().contains("two jobs have the id `a`"),
            "{err}"
        );
        let err = check_graph(&[job("a", &["zz"])]).unwrap_err();
        assert!(err.to_string().contains("unknown `zz`"), "{err}");
    }

    /// A job running `sh -c SCRIPT` (the graph's "docker" is /bin/sh here).
    fn shell_job(id: &str, after: &[&str], script: &str) -> Job {
        Job {
            commands: Commands::Fixed(vec![vec!["-c".into(), script.into()]]),
            ..job(id, after)
        }
    }

    fn field(results: &BTreeMap<String, Map>, id: &str, key: &str) -> String {
        results[id]
            .get(key)
            .map(|v| v.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn run_graph_orders_jobs_and_starts_nothing_after_a_failure() {
        // The only test here that runs commands: /bin/sh stands in for docker.
        std::env::set_var("REYNS_DOCKER", "/bin/sh");
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        let append = |word: &str| format!("echo {word} >> '{}'", log.display());
        let mut no_deferred = |_: &FnPtr, _: Map| -> HostResult<Dynamic> { unreachable!() };

        // b waits for a, c for b: they run in that order whatever the limit.
        let jobs = vec![
            shell_job("c", &["b"], &append("c")),
            shell_job("b", &["a"], &append("b")),
            shell_job("a", &[], &format!("sleep 0.2; {}", append("a"))),
        ];
        let results = run_graph(jobs, 4, false, &Mode::Run, &mut no_deferred).unwrap();
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "a\nb\nc\n");
        assert!(["a", "b", "c"]
            .iter()
            .all(|id| field(&results, id, "ok") == "true"));

        // A failure: what waits for it is skipped, and (one at a time) no
        // job starts after it, though it waits for nothing.
        std::fs::remove_file(&log).unwrap();
        let jobs = vec![
            shell_job("fails", &[], "echo broken >&2; exit 3"),
            shell_job("after", &["fails"], &append("after")),
            shell_job("free", &[], &append("free")),
        ];
        let results = run_graph(jobs, 1, false, &Mode::Run, &mut no_deferred).unwrap();
        assert_eq!(field(&results, "fails", "ok"), "false");
        assert_eq!(field(&results, "fails", "exit_code"), "3");
        assert!(field(&results, "fails", "stderr").contains("broken"));
        assert_eq!(field(&results, "after", "skipped"), "true");
        assert_eq!(field(&results, "free", "skipped"), "true");
        assert!(!log.exists(), "a job ran after the failure");

        // A contained failure (a one-shot job's) skips only what waits for
        // it, directly or not: the rest goes on.
        let jobs = vec![
            Job {
                contained: true,
                ..shell_job("fails", &[], "exit 111")
            },
            shell_job("after", &["fails"], &append("after")),
            Job {
                after_started: vec!["after".into()],
                ..shell_job("later", &[], &append("later"))
            },
            shell_job("free", &[], &append("free")),
        ];
        let results = run_graph(jobs, 1, false, &Mode::Run, &mut no_deferred).unwrap();
        assert_eq!(field(&results, "fails", "exit_code"), "111");
        assert_eq!(field(&results, "after", "skipped"), "true");
        assert_eq!(field(&results, "later", "skipped"), "true");
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "free\n");
        std::fs::remove_file(&log).unwrap();

        // In plan mode nothing runs: the commands are recorded.
        let jobs = vec![shell_job("planned", &[], &append("planned"))];
        let plan = exec::PlanLog::default();
        let results =
            run_graph(jobs, 4, false, &Mode::Plan(plan.clone()), &mut no_deferred).unwrap();
        assert_eq!(field(&results, "planned", "ok"), "true");
        assert_eq!(field(&results, "planned", "planned"), "true");
        assert!(!log.exists(), "plan mode ran a command");
        let recorded = plan.take();
        assert_eq!(recorded.len(), 1, "{recorded:?}");
        assert!(recorded[0].line.contains("planned"), "{recorded:?}");
    }
}
