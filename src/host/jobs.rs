//! Running a set of docker commands as a graph: each job once the jobs it
//! waits for succeeded, at most N at once, one progress line per job, and
//! no new job after a failure or Ctrl-C. `build:all` and `run:all` both run
//! on it.

use super::docker::{outcome, planned, planning};
use super::readiness::Readiness;
use super::term::{self, Level};
use super::{fail, strings, HostResult};
use rhai::{Array, Dynamic, Map};
use std::collections::{BTreeMap, HashSet};
use std::sync::{mpsc, Arc};
use std::time::Instant;

/// What one job of a graph came to; plain data, so threads can hand it back.
#[derive(Default)]
pub struct JobResult {
    ok: bool,
    code: i64,
    stdout: String,
    stderr: String,
    output: Option<String>,
    seconds: f64,
    skipped: bool,
}

impl JobResult {
    pub fn to_map(&self) -> Map {
        let mut map = Map::new();
        map.insert("ok".into(), self.ok.into());
        map.insert("exit_code".into(), self.code.into());
        map.insert("stdout".into(), self.stdout.clone().into());
        map.insert("stderr".into(), self.stderr.clone().into());
        map.insert("seconds".into(), self.seconds.into());
        map.insert("skipped".into(), self.skipped.into());
        if let Some(output) = &self.output {
            map.insert("output".into(), output.clone().into());
        }
        map
    }
}

/// One job of a graph (`docker::graph`): a command, what it waits for, and how to report it.
pub struct Job {
    pub id: String,
    pub argv: Vec<String>,
    pub after: Vec<String>,
    pub label: String,
    pub wait: Option<Readiness>,
}

impl Job {
    pub fn from_dynamic(value: &Dynamic) -> HostResult<Job> {
        let Some(map) = value.read_lock::<Map>() else {
            return fail("a graph job is a map #{id, argv, after, label, wait}");
        };
        let id = map.get("id").map(|v| v.to_string()).unwrap_or_default();
        if id.is_empty() {
            return fail("a graph job needs an `id`");
        }
        let list = |key: &str| -> HostResult<Vec<String>> {
            match map.get(key) {
                None => Ok(Vec::new()),
                Some(value) => match value.read_lock::<Array>() {
                    Some(array) => strings(&array, key),
                    None => fail(format!("`{key}` of job `{id}` must be a list")),
                },
            }
        };
        let wait = match map.get("wait") {
            Some(value) if value.is_map() => {
                Some(Readiness::from_map(&value.clone().cast::<Map>())?)
            }
            _ => None,
        };
        Ok(Job {
            argv: list("argv")?,
            after: list("after")?,
            label: map
                .get("label")
                .map(|v| v.to_string())
                .unwrap_or_else(|| id.clone()),
            id,
            wait,
        })
    }

    /// Runs the job's command (unless planned), then waits for readiness.
    /// Never fails: a command that cannot start is a failed result.
    fn execute(&self) -> JobResult {
        let started = Instant::now();
        let mut result = JobResult::default();
        if planned(&self.argv) {
            result.ok = true;
        } else {
            match outcome(&self.argv, None) {
                Ok(done) => {
                    result.ok = done.code == 0;
                    result.code = done.code;
                    result.stdout = done.stdout;
                    result.stderr = done.stderr;
                }
                Err(err) => {
                    result.code = -1;
                    result.stderr = err.to_string();
                }
            }
        }
        if let (true, Some(wait)) = (result.ok, &self.wait) {
            match wait.wait() {
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
        result.seconds = started.elapsed().as_secs_f64();
        result
    }
}

/// How many commands may run at once: `requested`, unless `REYNS_PARALLEL`
/// sets another bound (1 runs everything in order, as plan mode does).
fn parallel_limit(requested: usize) -> usize {
    if planning() {
        return 1;
    }
    std::env::var("REYNS_PARALLEL")
        .ok()
        .and_then(|value| value.parse::<usize>().ok())
        .unwrap_or(requested)
        .max(1)
}

/// Checks that every `after` names a job and that the jobs have no cycle.
fn check_graph(jobs: &[Job]) -> HostResult<()> {
    let ids: HashSet<&str> = jobs.iter().map(|job| job.id.as_str()).collect();
    for job in jobs {
        if let Some(missing) = job.after.iter().find(|id| !ids.contains(id.as_str())) {
            return fail(format!(
                "job `{}` waits for unknown job `{missing}`",
                job.id
            ));
        }
    }
    let mut done: HashSet<&str> = HashSet::new();
    while done.len() < jobs.len() {
        let next: Vec<&str> = jobs
            .iter()
            .filter(|job| !done.contains(job.id.as_str()))
            .filter(|job| job.after.iter().all(|id| done.contains(id.as_str())))
            .map(|job| job.id.as_str())
            .collect();
        if next.is_empty() {
            let stuck: Vec<&str> = jobs
                .iter()
                .map(|job| job.id.as_str())
                .filter(|id| !done.contains(id))
                .collect();
            return fail(format!(
                "jobs wait for each other in a cycle: {}",
                stuck.join(", ")
            ));
        }
        done.extend(next);
    }
    Ok(())
}

/// Runs jobs in dependency order, at most `limit` at once. After a failure no
/// new job starts; running ones finish. Returns each job's result by id.
pub fn run_graph(
    jobs: Vec<Job>,
    limit: usize,
    progress: bool,
) -> HostResult<BTreeMap<String, JobResult>> {
    check_graph(&jobs)?;
    let limit = parallel_limit(limit);
    let progress = progress && !planning();
    let (done_tx, done_rx) = mpsc::channel::<(usize, JobResult)>();
    let mut results: BTreeMap<String, JobResult> = BTreeMap::new();
    let mut started = vec![false; jobs.len()];
    let mut running = 0;
    let mut stopping = false;
    let jobs = Arc::new(jobs);
    loop {
        if !stopping && !super::interrupted() {
            for index in 0..jobs.len() {
                if running >= limit {
                    break;
                }
                let job = &jobs[index];
                let ready = !started[index]
                    && job
                        .after
                        .iter()
                        .all(|id| results.get(id).is_some_and(|r| r.ok));
                if ready {
                    started[index] = true;
                    running += 1;
                    if progress {
                        term::log(Level::Info, &format!("{} ...", job.label));
                    }
                    let jobs = Arc::clone(&jobs);
                    let done_tx = done_tx.clone();
                    std::thread::spawn(move || {
                        let _ = done_tx.send((index, jobs[index].execute()));
                    });
                }
            }
        }
        if running == 0 {
            break;
        }
        let Ok((index, result)) = done_rx.recv() else {
            break;
        };
        running -= 1;
        let job = &jobs[index];
        if progress {
            let verdict = if result.ok { "done" } else { "FAILED" };
            term::log(
                Level::Info,
                &format!("{} {verdict} in {:.1} s", job.label, result.seconds),
            );
        }
        stopping |= !result.ok;
        results.insert(job.id.clone(), result);
    }
    for job in jobs.iter() {
        results.entry(job.id.clone()).or_insert_with(|| JobResult {
            skipped: true,
            ..JobResult::default()
        });
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: &str, after: &[&str]) -> Job {
        Job {
            id: id.into(),
            argv: vec![],
            after: after.iter().map(|s| s.to_string()).collect(),
            label: id.into(),
            wait: None,
        }
    }

    #[test]
    fn graph_cycles_are_named() {
        let err = check_graph(&[job("a", &["b"]), job("b", &["a"]), job("c", &[])]).unwrap_err();
        assert!(err.to_string().contains("cycle: a, b"), "{err}");
        assert!(check_graph(&[job("a", &[]), job("b", &["a"])]).is_ok());
        let err = check_graph(&[job("a", &["zz"])]).unwrap_err();
        assert!(err.to_string().contains("unknown job `zz`"), "{err}");
    }
}
