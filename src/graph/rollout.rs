//! Waiting for a swarm rollout: polling a service until a task of the new
//! spec runs (healthy, when it has a check), read with [`crate::swarm`]'s
//! parsers (which sit below the graph, over [`crate::exec`]).

use super::readiness::Readiness;
use crate::contract;
use crate::exec::{self, fail, HostResult};
use crate::swarm::{self, Rollout};
use std::time::{Duration, Instant};

impl Readiness {
    /// Polls a swarm service until a task of the new spec runs (healthy,
    /// when it has a check), the engine rolls the update back, a task cannot
    /// be placed, time runs out or Ctrl-C arrives. Returns whether it became
    /// ready, and what the engine said.
    pub(super) fn wait_rollout(&self, service: &str) -> HostResult<(bool, String)> {
        let hash_label = contract::label("hash").unwrap_or_default();
        let mut inspect = self.flags.clone();
        inspect.extend(["service".into(), "inspect".into(), service.to_string()]);
        let deadline = Instant::now() + self.timeout;
        // The check's output is read while the new task starts: once the
        // engine has rolled back, its container may be gone.
        let mut check_said = String::new();
        loop {
            let inspected = exec::read(&inspect)?;
            let tasks_json = swarm::read_tasks(&self.flags, &[service])?;
            let state = swarm::rollout(&inspected.stdout, &tasks_json, &hash_label, &self.hash)
                .or_else(fail)?;
            if state.rollout != Rollout::Ready {
                let said_now = self.check_said(&state.latest_task);
                if !said_now.is_empty() {
                    check_said = said_now;
                }
            }
            let said = |what: String| {
                let mut told = format!("{what}\n");
                if !state.last_error.is_empty() {
                    told.push_str(&format!("{}\n", state.last_error));
                }
                told.push_str(&check_said);
                told
            };
            match state.rollout {
                Rollout::Ready => return Ok((true, String::new())),
                Rollout::RolledBack(message) => {
                    return Ok((
                        false,
                        said(format!(
                        "the engine rolled the update back ({message}); the old task keeps running"
                    )),
                    ))
                }
                Rollout::Stuck(message) => return Ok((false, said(message))),
                Rollout::Going => {}
            }
            if exec::interrupted() {
                return Ok((
                    false,
                    said("(interrupted while waiting for it to be ready)".into()),
                ));
            }
            if Instant::now() >= deadline {
                return Ok((
                    false,
                    said(format!(
                        "(no task of the new spec running after {} s)",
                        self.timeout.as_secs()
                    )),
                ));
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// What the health check of a swarm task last said, read on its node
    /// when host.conf names that node's engine ("" otherwise).
    fn check_said(&self, task: &Option<(String, String)>) -> String {
        let Some((node, container)) = task else {
            return String::new();
        };
        let Some(flags) = self.node_flags.get(node) else {
            return String::new();
        };
        let mut argv = flags.clone();
        argv.extend([
            "inspect".into(),
            "--format".into(),
            "{{json .State.Health}}".into(),
            container.clone(),
        ]);
        let Ok(read) = exec::read(&argv) else {
            return String::new();
        };
        let health: serde_json::Value =
            serde_json::from_str(read.stdout.trim()).unwrap_or_default();
        let Some(last) = health["Log"].as_array().and_then(|log| log.last()) else {
            return String::new();
        };
        let output = last["Output"].as_str().unwrap_or_default().trim();
        format!(
            "(the readiness check `{}` last said: {})\n",
            self.check_shown,
            if output.is_empty() {
                format!("nothing, exit code {}", last["ExitCode"])
            } else {
                output.to_string()
            }
        )
    }
}
