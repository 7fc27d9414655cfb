//! Jobs and answers as scripts write them (`docker::graph`): a job's id,
//! what it waits for and its commands (or the function that gives them),
//! and a deferred job's answer (its commands, readiness wait, steps and
//! undo), each read with serde into types whose unknown keys are errors.

use super::readiness::Readiness;
use crate::exec::{self, fail, HostResult};
use rhai::{Dynamic, FnPtr, Map};
use serde::Deserialize;
use std::time::Duration;

/// What a job runs: docker commands known up front, or a script function
/// that gives them once the jobs it waits for are done. It is handed their
/// results by id, and returns one argv, a list of argvs, `()` for nothing,
/// or a [`Answer`] map: `#{commands, note, wait, wait_alone, ready_on, ready_then, then, undo, rollout}`.
pub enum Commands {
    Fixed(Vec<Vec<String>>),
    Deferred(FnPtr),
}

/// One job of a graph (`docker::graph`): its commands, what it waits for,
/// and how to report it.
pub struct Job {
    pub id: String,
    pub commands: Commands,
    pub after: Vec<String>,
    /// Jobs whose commands must have run (their containers started), not
    /// waited for: compose's `service_started`.
    pub after_started: Vec<String>,
    /// Whether its failure only skips the jobs that wait for it (a one-shot
    /// job that exits non-zero), instead of starting no new job at all.
    pub contained: bool,
    pub label: String,
    pub wait: Option<Readiness>,
    /// Show docker's own output as the job runs (`build:...,verbose=True`)
    /// instead of capturing it.
    pub stream: bool,
}

/// What a job runs, as scripts write it: one argv (a list of strings), or
/// several (a list of lists, run in order); `()` or `[]` for nothing.
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum CommandsSpec {
    One(Vec<String>),
    Many(Vec<Vec<String>>),
}

impl CommandsSpec {
    fn into_list(spec: Option<CommandsSpec>) -> Vec<Vec<String>> {
        match spec {
            None => Vec::new(),
            Some(CommandsSpec::One(argv)) if argv.is_empty() => Vec::new(),
            Some(CommandsSpec::One(argv)) => vec![argv],
            Some(CommandsSpec::Many(argvs)) => argvs,
        }
    }
}

/// One step a job takes once its container is ready: a docker command, one
/// that needs a container's address known only now (see [`Addressed`]), or
/// a pause (connections to an old container draining).
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    Docker(Vec<String>),
    Addressed(Addressed),
    Pause(Duration),
}

/// A docker command with a container's address filled in when the step
/// runs (a container started by this job has one only once it runs): each
/// `placeholder` in its words becomes the address of `address_of`, read on
/// the engine `docker` reaches. An unknown key is an error.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Addressed {
    pub(super) argv: Vec<String>,
    address_of: String,
    #[serde(default)]
    docker: Vec<String>,
    placeholder: String,
}

impl Addressed {
    /// The command with the address filled in; fails when the container has
    /// no address.
    pub(super) fn argv(&self) -> HostResult<Vec<String>> {
        let mut inspect = self.docker.clone();
        inspect.extend([
            "inspect".to_string(),
            "--format".into(),
            "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}".into(),
            self.address_of.clone(),
        ]);
        let read = exec::read(&inspect)?;
        let Some(address) = read.stdout.split_whitespace().next().map(str::to_string) else {
            return fail(format!(
                "`{}` has no address: {}",
                self.address_of,
                read.stderr.trim()
            ));
        };
        Ok(self
            .argv
            .iter()
            .map(|word| word.replace(&self.placeholder, &address))
            .collect())
    }
}

/// A step as scripts write it: an argv, a map for an [`Addressed`] one, or
/// seconds to pause (whole or not).
#[derive(Deserialize)]
#[serde(untagged)]
enum StepSpec {
    Docker(Vec<String>),
    Addressed(Addressed),
    Whole(i64),
    Fraction(f64),
}

impl StepSpec {
    fn into_step(self, what: &str) -> HostResult<Step> {
        let seconds = match self {
            StepSpec::Docker(argv) => return Ok(Step::Docker(argv)),
            StepSpec::Addressed(step) => return Ok(Step::Addressed(step)),
            StepSpec::Whole(n) => n as f64,
            StepSpec::Fraction(f) => f,
        };
        if seconds < 0.0 {
            return fail(format!("{what}: a pause of {seconds} seconds"));
        }
        Ok(Step::Pause(Duration::from_secs_f64(seconds)))
    }
}

/// Reads `value` as `T`, or fails naming `what` and serde's complaint.
pub(super) fn read_spec<T: serde::de::DeserializeOwned>(
    value: &Dynamic,
    what: &str,
) -> HostResult<T> {
    rhai::serde::from_dynamic(value).or_else(|err| fail(format!("{what}: {err}")))
}

/// What a deferred job's function answers, read once: the commands to run,
/// and how the job goes on around them.
#[derive(Default)]
pub(super) struct Answer {
    pub(super) commands: Vec<Vec<String>>,
    /// Host folders made before the commands (a persistent instance's data
    /// folder, so that docker does not make it as root).
    pub(super) folders: Vec<String>,
    /// Any value, added to the job's result as `note`, for the jobs after it
    /// and for the caller.
    pub(super) note: Option<Dynamic>,
    /// `false` skips the readiness wait (the commands restart nothing).
    pub(super) wait: bool,
    /// The wait runs though there are no commands: a one-shot job found
    /// running (a killed run left it), waited for to complete.
    pub(super) wait_alone: bool,
    /// The container whose readiness is waited for, when not the job's own
    /// (a replacement started beside it under another name).
    pub(super) ready_on: Option<String>,
    /// A command run inside the waited-for container as it becomes ready:
    /// in its readiness check's `docker exec` when it has a check (one exec
    /// less), else as the first step (and so in plan mode).
    pub(super) ready_then: Vec<String>,
    /// Steps once it is ready (move the name, drain, stop the old one).
    pub(super) then: Vec<Step>,
    /// Commands run when the commands or the wait fail (remove the
    /// replacement); the job fails all the same.
    pub(super) undo: Vec<Vec<String>>,
    /// On a swarm: the hash of the spec whose rollout is waited for.
    pub(super) rollout: Option<String>,
}

/// An answer as scripts write it (a map; see [`Answer`] for each key), its
/// defaults in one place; `note` is read apart (it is any value). An
/// unknown key is an error: a misspelt one would otherwise be a default.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerSpec {
    commands: Option<CommandsSpec>,
    #[serde(default)]
    folders: Vec<String>,
    #[serde(default = "waits")]
    wait: bool,
    #[serde(default)]
    wait_alone: bool,
    ready_on: Option<String>,
    #[serde(default)]
    ready_then: Vec<String>,
    #[serde(default)]
    then: Vec<StepSpec>,
    undo: Option<CommandsSpec>,
    rollout: Option<String>,
}

fn waits() -> bool {
    true
}

impl Answer {
    /// Reads a deferred job's answer: a map (see [`AnswerSpec`]), or its
    /// commands alone (an argv or a list of them, waited for).
    pub(super) fn from_dynamic(answer: Dynamic, id: &str) -> HostResult<Answer> {
        let Some(mut fields) = answer.clone().try_cast::<Map>() else {
            let commands: Option<CommandsSpec> =
                read_spec(&answer, &format!("the commands of job `{id}`"))?;
            return Ok(Answer {
                commands: CommandsSpec::into_list(commands),
                wait: true,
                ..Answer::default()
            });
        };
        let note = fields.remove("note");
        let spec: AnswerSpec = read_spec(&fields.into(), &format!("the answer of job `{id}`"))?;
        let then_what = format!("`then` of job `{id}`");
        Ok(Answer {
            commands: CommandsSpec::into_list(spec.commands),
            folders: spec.folders,
            note,
            wait: spec.wait,
            wait_alone: spec.wait_alone,
            ready_on: spec.ready_on,
            ready_then: spec.ready_then,
            then: spec
                .then
                .into_iter()
                .map(|step| step.into_step(&then_what))
                .collect::<HostResult<_>>()?,
            undo: CommandsSpec::into_list(spec.undo),
            rollout: spec.rollout,
        })
    }
}

/// A job as scripts write it (`docker::graph`), its defaults in one place;
/// `argv` (it may be a function) and `wait` (a readiness wait,
/// [`Readiness::from_map`], or `()`) are read apart. An unknown key is an
/// error.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JobSpec {
    id: String,
    #[serde(default)]
    after: Vec<String>,
    #[serde(default)]
    after_started: Vec<String>,
    #[serde(default)]
    contained: bool,
    /// How progress lines name it (its id by default).
    label: Option<String>,
    #[serde(default)]
    stream: bool,
}

impl Job {
    /// Reads a job as scripts write it (see [`JobSpec`]); `argv` is its
    /// commands or a function giving them once its turn comes.
    pub fn from_dynamic(value: &Dynamic) -> HostResult<Job> {
        let Some(mut map) = value.clone().try_cast::<Map>() else {
            return fail("a graph job is a map #{id, argv, after, label, stream, wait}");
        };
        let argv = map.remove("argv");
        let wait = map.remove("wait").filter(|wait| !wait.is_unit());
        let named = map
            .get("id")
            .map(|id| format!("job `{id}`"))
            .unwrap_or_else(|| "a graph job".into());
        let spec: JobSpec = read_spec(&map.into(), &named)?;
        if spec.id.is_empty() {
            return fail("a graph job needs an `id`");
        }
        let commands = match argv {
            Some(value) if value.is_fnptr() => Commands::Deferred(value.cast::<FnPtr>()),
            Some(value) => Commands::Fixed(CommandsSpec::into_list(read_spec(
                &value,
                &format!("`argv` of job `{}`", spec.id),
            )?)),
            None => Commands::Fixed(Vec::new()),
        };
        Ok(Job {
            commands,
            after: spec.after,
            after_started: spec.after_started,
            contained: spec.contained,
            label: spec.label.unwrap_or_else(|| spec.id.clone()),
            stream: spec.stream,
            wait: match wait.map(|wait| wait.try_cast::<Map>()) {
                None => None,
                Some(Some(wait)) => Some(Readiness::from_map(&wait)?),
                Some(None) => {
                    return fail(format!("`wait` of job `{}` must be a map or ()", spec.id))
                }
            },
            id: spec.id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rhai::Array;

    fn argv(words: &[&str]) -> Dynamic {
        words
            .iter()
            .map(|w| Dynamic::from(w.to_string()))
            .collect::<Array>()
            .into()
    }

    #[test]
    fn an_answer_reads_its_steps_and_undo() {
        let mut map = Map::new();
        map.insert("commands".into(), argv(&["run", "x_next"]));
        map.insert("ready_on".into(), "x_next".into());
        let then: Array = vec![
            argv(&["exec", "x_next", "register"]),
            Dynamic::from_float(2.0),
            Dynamic::from_int(1),
        ];
        map.insert("then".into(), then.into());
        map.insert(
            "undo".into(),
            vec![argv(&["rm", "--force", "x_next"])]
                .into_iter()
                .collect::<Array>()
                .into(),
        );
        let answer = Answer::from_dynamic(map.into(), "x").unwrap();
        assert_eq!(answer.commands, [["run", "x_next"]]);
        assert!(answer.wait, "a map without `wait: false` waits");
        assert_eq!(answer.ready_on.as_deref(), Some("x_next"));
        assert_eq!(
            answer.then,
            [
                Step::Docker(vec!["exec".into(), "x_next".into(), "register".into()]),
                Step::Pause(Duration::from_secs(2)),
                Step::Pause(Duration::from_secs(1)),
            ]
        );
        assert_eq!(answer.undo, [["rm", "--force", "x_next"]]);
        // A bare argv is the commands, waited for, with nothing after.
        let plain = Answer::from_dynamic(argv(&["start", "x"]), "x").unwrap();
        assert!(plain.wait && plain.then.is_empty() && plain.undo.is_empty());
        let bad: Array = vec![Dynamic::from_int(-1)];
        let mut map = Map::new();
        map.insert("then".into(), bad.into());
        let err = Answer::from_dynamic(map.into(), "x").err().unwrap();
        assert!(err.to_string().contains("`then` of job `x`"), "{err}");
    }

    #[test]
    fn a_misspelt_key_of_a_job_or_an_answer_is_an_error() {
        let mut map = Map::new();
        map.insert("id".into(), "a".into());
        map.insert("aftre".into(), Array::new().into());
        let err = Job::from_dynamic(&map.into()).err().unwrap().to_string();
        assert!(err.contains("job `a`") && err.contains("aftre"), "{err}");
        let mut map = Map::new();
        map.insert("comands".into(), argv(&["start", "x"]));
        let err = Answer::from_dynamic(map.into(), "x")
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("the answer of job `x`") && err.contains("comands"),
            "{err}"
        );
        // `wait` and `label` default: waited for, labelled by its id.
        let mut map = Map::new();
        map.insert("id".into(), "b".into());
        map.insert("argv".into(), argv(&["start", "b"]));
        map.insert("wait".into(), Dynamic::UNIT);
        let job = Job::from_dynamic(&map.into()).unwrap();
        assert_eq!(job.label, "b");
        assert!(job.wait.is_none());
        assert!(
            matches!(job.commands, Commands::Fixed(ref argvs) if argvs == &[vec!["start".to_string(), "b".into()]])
        );
    }
}
