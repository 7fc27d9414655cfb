//! Plan mode (`plan=True`), the one seam where a command that changes
//! something is either run or recorded: every layer that runs one asks
//! [`planned`] first and skips it when it was recorded instead. Queries
//! always run. What was recorded is the plan's raw material: each line
//! filed under the job it belongs to (the graph's job, or the one whose
//! decision is being taken), taken by the verb that prints the plan, or
//! printed when the verb ends ([`PlanLog::take`]).

use serde::Serialize;
use std::sync::{Arc, Mutex};

/// Whether commands that change something run or are recorded.
#[derive(Clone, Default)]
pub enum Mode {
    #[default]
    Run,
    /// `plan=True`: record them in the log, run only queries.
    Plan(PlanLog),
}

impl Mode {
    /// Whether commands are recorded instead of run.
    pub fn is_plan(&self) -> bool {
        matches!(self, Mode::Plan(_))
    }

    /// The same mode, the commands it records filed under `job`.
    pub fn for_job(&self, job: &str) -> Mode {
        match self {
            Mode::Run => Mode::Run,
            Mode::Plan(log) => Mode::Plan(PlanLog {
                job: Some(job.to_string()),
                ..log.clone()
            }),
        }
    }

    /// Files what is recorded from now on, by callers that name no job,
    /// under `job` (`None`: under none), until set again.
    pub fn set_current_job(&self, job: Option<&str>) {
        if let Mode::Plan(log) = self {
            *lock(&log.current) = job.map(str::to_string);
        }
    }
}

/// One command a plan would run, as a shell line.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Planned {
    /// The job (a container's name, for a converge) it belongs to, if any.
    pub job: Option<String>,
    /// The command, quoted for a shell (with its input as a here-document).
    pub line: String,
}

/// The commands recorded so far, shared by every clone (one per verb's run).
#[derive(Clone, Default)]
pub struct PlanLog {
    entries: Arc<Mutex<Vec<Planned>>>,
    current: Arc<Mutex<Option<String>>>,
    /// The job this clone files under (else `current`).
    job: Option<String>,
}

/// A lock that a panicked holder did not spoil (the data is plain lines).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl PlanLog {
    /// Records `line` under this clone's job, else the current one.
    pub fn record(&self, line: String) {
        let job = self.job.clone().or_else(|| lock(&self.current).clone());
        lock(&self.entries).push(Planned { job, line });
    }

    /// Takes everything recorded so far, in order.
    pub fn take(&self) -> Vec<Planned> {
        std::mem::take(&mut *lock(&self.entries))
    }
}

/// In plan mode, records `line` (and returns true): the caller skips what
/// it stands for.
pub fn planned_line(line: impl FnOnce() -> String, mode: &Mode) -> bool {
    match mode {
        Mode::Run => false,
        Mode::Plan(log) => {
            log.record(line());
            true
        }
    }
}

/// In plan mode, records `docker ARGV` (and returns true): the caller skips it.
pub fn planned(argv: &[String], mode: &Mode) -> bool {
    planned_line(|| super::shown(argv), mode)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planned_commands_are_filed_under_their_job() {
        let mode = Mode::Plan(PlanLog::default());
        let argv = |word: &str| vec![word.to_string()];
        assert!(planned(&argv("pull"), &mode));
        assert!(planned(&argv("run"), &mode.for_job("p-web-one")));
        mode.set_current_job(Some("p-db-one"));
        assert!(planned(&argv("stop"), &mode));
        mode.set_current_job(None);
        let Mode::Plan(log) = &mode else {
            unreachable!()
        };
        let taken = log.take();
        let shown: Vec<(Option<&str>, &str)> = taken
            .iter()
            .map(|planned| (planned.job.as_deref(), planned.line.as_str()))
            .collect();
        assert_eq!(
            shown,
            vec![
                (None, "docker pull"),
                (Some("p-web-one"), "docker run"),
                (Some("p-db-one"), "docker stop"),
            ]
        );
        assert!(log.take().is_empty());
        assert!(!planned(&argv("run"), &Mode::Run));
    }
}
