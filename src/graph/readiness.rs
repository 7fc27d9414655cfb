//! Knowing when a started container is ready: following its log until the
//! entrypoint's success or failure marker shows, the log ends, time runs out
//! or Ctrl-C arrives (no polling: the log is read as it is written); then,
//! when the service has a readiness check (`# reyns: ready ...` or the
//! image's `HEALTHCHECK`), running it in the container until it passes,
//! 50 ms after the marker, then backing off to one try a second. A stock
//! image has no marker: its check runs at once, then at most 200 ms apart.
//! On a swarm, the wait is for a rollout (see [`super::rollout`]).

use crate::contract;
use crate::exec::{self, fail, HostResult, Mode};
use rhai::Map;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// What makes a started container ready, or failed.
#[derive(Clone, Debug)]
pub struct Readiness {
    /// docker's global options that reach the container's engine (`--host ...`).
    pub(super) flags: Vec<String>,
    container: String,
    /// Whether the entrypoint's markers say when it started (reyns-base);
    /// a stock image has none: it counts as started once running.
    marker: bool,
    /// A one-shot job: done when it exits, ready when with code 0.
    completes: bool,
    ready: String,
    failed: String,
    pub(super) timeout: Duration,
    /// How long to wait on after it is ready (a conf entry's `sleep`).
    settle: Duration,
    /// The readiness check, run with `docker exec` (empty: none), and how
    /// messages name it.
    check: Vec<String>,
    pub(super) check_shown: String,
    /// On a swarm: the service whose rollout is waited for, and the hash
    /// its new tasks carry (known once the job's turn comes).
    service: Option<String>,
    pub(super) hash: String,
    /// docker's options that reach each swarm node's engine, by node id
    /// (host.conf's nodes): where a failed task's check output is read.
    pub(super) node_flags: BTreeMap<String, Vec<String>>,
}

/// Seconds to wait for an instance to be ready when nothing says otherwise
/// (`run`'s `timeout=` defaults to it too: `docker::ready_timeout()`).
pub const DEFAULT_TIMEOUT_SECONDS: i64 = 300;

/// A wait as scripts describe it, its defaults in one place:
/// `#{container, ready, failed, timeout, settle, docker, check, check_shown}`,
/// or on a swarm `#{service, timeout, docker, nodes, check_shown}`. An
/// unknown key is an error (a misspelt key would otherwise be a default).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadinessSpec {
    container: Option<String>,
    /// Whether to wait for the entrypoint's marker (true by default).
    #[serde(default = "waits_for_marker")]
    marker: bool,
    /// A one-shot job: waited for until it exits (with 0: ready).
    #[serde(default)]
    completes: bool,
    /// The entrypoint's markers by default ([`crate::contract`]).
    ready: Option<String>,
    failed: Option<String>,
    #[serde(default = "default_timeout")]
    timeout: i64,
    /// Seconds to wait on once ready (a conf entry's `sleep`).
    settle: Option<Seconds>,
    /// docker's global options that reach the engine.
    #[serde(default)]
    docker: Vec<String>,
    /// The readiness check, run with `docker exec` (empty: none).
    #[serde(default)]
    check: Vec<String>,
    check_shown: Option<String>,
    service: Option<String>,
    /// Swarm node id -> docker's options that reach its engine.
    #[serde(default)]
    nodes: BTreeMap<String, Vec<String>>,
}

fn waits_for_marker() -> bool {
    true
}

fn default_timeout() -> i64 {
    DEFAULT_TIMEOUT_SECONDS
}

/// Seconds as scripts write them: whole or not.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Seconds {
    Whole(i64),
    Fraction(f64),
}

impl Seconds {
    fn value(self) -> f64 {
        match self {
            Seconds::Whole(n) => n as f64,
            Seconds::Fraction(f) => f,
        }
    }
}

/// A container's state, as a stock image's wait reads it.
struct State {
    /// docker's: `running`, `exited`, `restarting`, ...
    status: String,
    restarts: i64,
    exit_code: i64,
}

/// The first and the longest pause between two tries of a readiness check.
const FIRST_PAUSE: Duration = Duration::from_millis(50);
const LONGEST_PAUSE: Duration = Duration::from_secs(1);
/// A stock image has no marker: its check is the only sign that it is up,
/// so it is tried steadily (a database ready at 1.1 s is seen by 1.3 s,
/// not at 1.55 s) for about five `docker exec`s a second.
const LONGEST_PAUSE_WITHOUT_MARKER: Duration = Duration::from_millis(200);

/// How long a container without a marker or a check must run, not
/// restarting, to count as up.
const STEADY_FOR: Duration = Duration::from_secs(1);

/// How many lines of a container's log a failure shows.
const LOG_TAIL_LINES: &str = "20";

impl Readiness {
    /// Reads a wait as scripts describe it (see [`ReadinessSpec`]).
    pub fn from_map(map: &Map) -> HostResult<Readiness> {
        let spec: ReadinessSpec = rhai::serde::from_dynamic(&map.clone().into())
            .or_else(|err| fail(format!("a readiness wait: {err}")))?;
        let container = match (&spec.service, spec.container) {
            (Some(_), _) => String::new(),
            (None, Some(container)) => container,
            (None, None) => return fail("a readiness wait needs a `container` (or a `service`)"),
        };
        Ok(Readiness {
            flags: spec.docker,
            container,
            marker: spec.marker,
            completes: spec.completes,
            ready: spec.ready.unwrap_or_else(|| contract::READY_MARKER.into()),
            failed: spec
                .failed
                .unwrap_or_else(|| contract::FAILED_MARKER.into()),
            timeout: Duration::from_secs(spec.timeout.max(1) as u64),
            settle: Duration::from_secs_f64(spec.settle.map_or(0.0, Seconds::value).max(0.0)),
            check_shown: spec.check_shown.unwrap_or_else(|| spec.check.join(" ")),
            check: spec.check,
            service: spec.service,
            hash: String::new(),
            node_flags: spec.nodes,
        })
    }

    /// The same wait on a service's rollout to tasks carrying `hash`.
    pub fn of_rollout(&self, hash: &str) -> Readiness {
        Readiness {
            hash: hash.to_string(),
            ..self.clone()
        }
    }

    /// The same wait on another container (a replacement started beside the
    /// job's own under a temporary name).
    pub fn on(&self, container: &str) -> Readiness {
        Readiness {
            container: container.to_string(),
            ..self.clone()
        }
    }

    /// The same wait with `command` run in the container once its check
    /// passes, in the check's own `docker exec` (one exec less, e.g. the DNS
    /// register of a start-first replacement); a check that passes with
    /// `command` failing is tried again. `None` when there is no check to
    /// fold it into.
    pub fn with_check_then(&self, command: &[String]) -> Option<Readiness> {
        if self.check.is_empty() || self.service.is_some() {
            return None;
        }
        // A check that is already a shell script is grouped as it is (the
        // newline ends a trailing comment), else quoted.
        let check = match self.check.as_slice() {
            [shell, dash_c, script] if shell == "/bin/sh" && dash_c == "-c" => script.clone(),
            argv => shell_words::join(argv),
        };
        let both = format!("{{ {check}\n}} && {}", shell_words::join(command));
        Some(Readiness {
            check: vec!["/bin/sh".into(), "-c".into(), both],
            check_shown: format!("{}, then {}", self.check_shown, shell_words::join(command)),
            ..self.clone()
        })
    }

    /// `docker exec` of `command` in the waited-for container.
    pub fn exec_argv(&self, command: &[String]) -> Vec<String> {
        let mut argv = self.flags.clone();
        argv.extend(["exec".to_string(), self.container.clone()]);
        argv.extend(command.iter().cloned());
        argv
    }

    /// Follows the container's log (from `since`, when given: a restarted
    /// container's earlier markers do not count) until a marker shows, the
    /// log ends, or time runs out. Returns whether it became ready, and its
    /// output so far.
    pub fn wait(&self, since: Option<SystemTime>, mode: &Mode) -> HostResult<(bool, String)> {
        if mode.is_plan() {
            return Ok((true, String::new()));
        }
        if let Some(service) = &self.service {
            return self.wait_rollout(service);
        }
        if self.completes {
            return self.wait_completion();
        }
        if !self.marker {
            return self.wait_without_marker();
        }
        let mut argv = self.flags.clone();
        argv.extend(["logs".to_string(), "--follow".into()]);
        if let Some(since) = since.and_then(|at| at.duration_since(UNIX_EPOCH).ok()) {
            argv.push("--since".into());
            argv.push(format!("{}.{:09}", since.as_secs(), since.subsec_nanos()));
        }
        argv.push(self.container.clone());
        let reader = exec::command(&argv)?
            .stderr_to_stdout()
            .stdin_null()
            .unchecked()
            .reader()
            .or_else(|err| {
                fail(format!(
                    "cannot follow the log of `{}`: {err}",
                    self.container
                ))
            })?;
        let reader = Arc::new(reader);
        let (lines_tx, lines_rx) = mpsc::channel::<String>();
        let follower = Arc::clone(&reader);
        std::thread::spawn(move || {
            for line in BufReader::new(&*follower).lines() {
                match line {
                    Ok(line) => {
                        if lines_tx.send(line).is_err() {
                            break;
                        }
                    }
                    Err(_) => break,
                }
            }
        });
        let deadline = Instant::now() + self.timeout;
        let mut output = String::new();
        let verdict = loop {
            if exec::interrupted() {
                output.push_str("(interrupted while waiting for it to be ready)\n");
                break false;
            }
            let left = deadline
                .saturating_duration_since(Instant::now())
                .min(Duration::from_millis(200));
            match lines_rx.recv_timeout(left) {
                Ok(line) => {
                    output.push_str(&line);
                    output.push('\n');
                    if line.contains(&self.failed) {
                        break false;
                    }
                    if line.contains(&self.ready) {
                        break true;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) if Instant::now() < deadline => {}
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    output.push_str(&format!(
                        "(no readiness marker after {} s)\n",
                        self.timeout.as_secs()
                    ));
                    break false;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break false,
            }
        };
        let _ = reader.kill();
        let verdict =
            verdict && (self.check.is_empty() || self.passes_check(deadline, &mut output)?);
        if verdict && !self.settle.is_zero() {
            std::thread::sleep(self.settle);
        }
        Ok((verdict, output))
    }
}

impl Readiness {
    /// A container with no entrypoint marker (a stock image): up once its
    /// check passes, or, without one, once it has run for [`STEADY_FOR`]
    /// without exiting or restarting. A container that exits fails at once,
    /// with the end of its log.
    fn wait_without_marker(&self) -> HostResult<(bool, String)> {
        let deadline = Instant::now() + self.timeout;
        let mut output = String::new();
        let verdict = if self.check.is_empty() {
            self.runs_steadily(deadline, &mut output)?
        } else {
            self.passes_check(deadline, &mut output)?
        };
        if verdict && !self.settle.is_zero() {
            std::thread::sleep(self.settle);
        }
        Ok((verdict, output))
    }

    /// A job: polls its state until it exits (true with code 0; else
    /// false, with the end of its log and its code), time runs out or
    /// Ctrl-C arrives.
    fn wait_completion(&self) -> HostResult<(bool, String)> {
        let deadline = Instant::now() + self.timeout;
        let mut pause = FIRST_PAUSE;
        loop {
            let state = self.state()?;
            if matches!(state.status.as_str(), "exited" | "dead" | "gone") {
                if state.exit_code == 0 {
                    return Ok((true, String::new()));
                }
                return Ok((false, self.stopped(Some(state))?));
            }
            if exec::interrupted() {
                return Ok((
                    false,
                    "(interrupted while waiting for it to complete)\n".into(),
                ));
            }
            if Instant::now() >= deadline {
                return Ok((
                    false,
                    format!(
                        "{}(still running after {} s: a job must complete within run's timeout=)\n",
                        self.stopped(Some(state))?,
                        self.timeout.as_secs()
                    ),
                ));
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(LONGEST_PAUSE_WITHOUT_MARKER);
        }
    }

    /// Polls the container's state until it has run, not restarting, for
    /// [`STEADY_FOR`] (true); false when it stops, restarts, time runs out or
    /// Ctrl-C arrives, with why added to `output`.
    fn runs_steadily(&self, deadline: Instant, output: &mut String) -> HostResult<bool> {
        let since = Instant::now();
        loop {
            let state = self.state()?;
            if state.status != "running" || state.restarts > 0 {
                output.push_str(&self.stopped(Some(state))?);
                return Ok(false);
            }
            if since.elapsed() >= STEADY_FOR {
                return Ok(true);
            }
            if exec::interrupted() || Instant::now() >= deadline {
                output.push_str("(interrupted while waiting for it to be ready)\n");
                return Ok(false);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The container's state as docker tells it.
    fn state(&self) -> HostResult<State> {
        let mut argv = self.flags.clone();
        argv.extend([
            "inspect".into(),
            "--format".into(),
            "{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}".into(),
            self.container.clone(),
        ]);
        let read = exec::read(&argv)?;
        let mut words = read.stdout.split_whitespace();
        let status = words.next().unwrap_or("gone").to_string();
        let number = |word: Option<&str>| word.and_then(|w| w.parse().ok()).unwrap_or(0);
        Ok(State {
            status,
            restarts: number(words.next()),
            exit_code: number(words.next()),
        })
    }

    /// What to say of a container that stopped or restarts while reyns
    /// waits for it: the end of its log and how it stopped (`state`, read
    /// now when not given).
    fn stopped(&self, state: Option<State>) -> HostResult<String> {
        let state = match state {
            Some(state) => state,
            None => self.state()?,
        };
        let mut logs = self.flags.clone();
        logs.extend([
            "logs".into(),
            "--tail".into(),
            LOG_TAIL_LINES.into(),
            self.container.clone(),
        ]);
        let tail = exec::read(&logs)
            .map(|read| format!("{}{}", read.stdout, read.stderr))
            .unwrap_or_default();
        let how = match state.status.as_str() {
            "exited" => format!("it exited with code {}", state.exit_code),
            "running" | "restarting" => format!(
                "it is restarting (restarted {} times, last exit code {})",
                state.restarts, state.exit_code
            ),
            other => format!("it is {other}"),
        };
        let gap = if tail.is_empty() || tail.ends_with('\n') {
            ""
        } else {
            "\n"
        };
        Ok(format!("{tail}{gap}({how})\n"))
    }

    /// Runs the readiness check in the container until it passes (true),
    /// time runs out or Ctrl-C arrives (false, with the check and its last
    /// output added to `output`).
    fn passes_check(&self, deadline: Instant, output: &mut String) -> HostResult<bool> {
        let argv = self.exec_argv(&self.check);
        // After a marker the service is still starting: the first try waits
        // a little. Without one, the container may have been up a while.
        let mut pause = if self.marker {
            FIRST_PAUSE
        } else {
            Duration::ZERO
        };
        loop {
            std::thread::sleep(pause.min(deadline.saturating_duration_since(Instant::now())));
            let tried = exec::outcome(&argv, None)?;
            if tried.code == 0 {
                return Ok(true);
            }
            // A container that stopped fails now, not when time runs out.
            if !self.marker && tried.stderr.contains("is not running") {
                output.push_str(&self.stopped(None)?);
                return Ok(false);
            }
            if exec::interrupted() || Instant::now() >= deadline {
                let said = format!("{}{}", tried.stdout, tried.stderr);
                output.push_str(&format!(
                    "(the readiness check `{}` did not pass within {} s; it last said: {})\n",
                    self.check_shown,
                    self.timeout.as_secs(),
                    if said.trim().is_empty() {
                        format!("nothing, exit code {}", tried.code)
                    } else {
                        said.trim().to_string()
                    }
                ));
                return Ok(false);
            }
            pause = (pause * 2).max(FIRST_PAUSE).min(if self.marker {
                LONGEST_PAUSE
            } else {
                LONGEST_PAUSE_WITHOUT_MARKER
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait_of(pairs: &[(&str, rhai::Dynamic)]) -> HostResult<Readiness> {
        let map: Map = pairs
            .iter()
            .map(|(key, value)| ((*key).into(), value.clone()))
            .collect();
        Readiness::from_map(&map)
    }

    #[test]
    fn a_command_rides_in_the_check_and_runs_only_when_it_passes() {
        let strings = |words: &[&str]| -> rhai::Dynamic {
            words
                .iter()
                .map(|w| rhai::Dynamic::from(w.to_string()))
                .collect::<rhai::Array>()
                .into()
        };
        let register = [
            "/usr/local/bin/dns-register.sh".to_string(),
            "10.0.0.9".into(),
        ];
        let none = wait_of(&[("container", "c".into())]).unwrap();
        assert!(
            none.with_check_then(&register).is_none(),
            "no check to fold into"
        );
        for (check, script) in [
            (
                vec!["/bin/sh", "-c", "test -e /ok # comment"],
                "test -e /ok # comment",
            ),
            (vec!["test", "-e", "/a b"], "test -e '/a b'"),
        ] {
            let wait = wait_of(&[("container", "c".into()), ("check", strings(&check))]).unwrap();
            let folded = wait.with_check_then(&register).unwrap();
            let both = format!("{{ {script}\n}} && /usr/local/bin/dns-register.sh 10.0.0.9");
            assert_eq!(folded.check, ["/bin/sh", "-c", &both]);
            assert_eq!(
                folded.exec_argv(&folded.check)[..2],
                ["exec".to_string(), "c".into()]
            );
        }
        // The grouping as /bin/sh runs it: the command after a passing check
        // only, and a trailing comment does not swallow it.
        let run = |check: &str| {
            let wait = wait_of(&[
                ("container", "c".into()),
                ("check", strings(&["/bin/sh", "-c", check])),
            ])
            .unwrap();
            let folded = wait
                .with_check_then(&["echo".to_string(), "then".into()])
                .unwrap();
            let out = std::process::Command::new("/bin/sh")
                .args(&folded.check[1..])
                .output()
                .unwrap();
            (
                out.status.success(),
                String::from_utf8_lossy(&out.stdout).trim().to_string(),
            )
        };
        assert_eq!(run("true # passes"), (true, "then".to_string()));
        assert_eq!(run("false"), (false, String::new()));
    }

    #[test]
    fn a_wait_has_one_set_of_defaults() {
        let wait = wait_of(&[("container", "p-demo-one".into())]).unwrap();
        assert_eq!(
            wait.timeout,
            Duration::from_secs(DEFAULT_TIMEOUT_SECONDS as u64)
        );
        assert_eq!(wait.ready, contract::READY_MARKER);
        assert!(wait.settle.is_zero() && wait.check.is_empty());
    }

    #[test]
    fn seconds_are_whole_or_not_and_unknown_keys_are_named() {
        let whole = wait_of(&[("container", "c".into()), ("settle", 2_i64.into())]).unwrap();
        assert_eq!(whole.settle, Duration::from_secs(2));
        let fraction = wait_of(&[("container", "c".into()), ("settle", 0.5_f64.into())]).unwrap();
        assert_eq!(fraction.settle, Duration::from_millis(500));
        let unset = wait_of(&[("container", "c".into()), ("settle", rhai::Dynamic::UNIT)]).unwrap();
        assert!(unset.settle.is_zero());
        let err = wait_of(&[("container", "c".into()), ("timout", 5_i64.into())]).unwrap_err();
        assert!(err.to_string().contains("timout"), "{err}");
        let err = wait_of(&[("timeout", 5_i64.into())]).unwrap_err();
        assert!(err.to_string().contains("container"), "{err}");
    }
}
