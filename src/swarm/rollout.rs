//! How a rollout (a create or an update of a service) stands, read from the
//! service and its tasks.

use super::json::{RawService, RawTask};

/// Where a rollout (a create or an update) stands.
#[derive(Debug, PartialEq)]
pub enum Rollout {
    /// Not there yet.
    Going,
    /// A task made from the wanted spec runs (healthy, when it has a check).
    Ready,
    /// The engine rolled the update back: the old spec runs again.
    RolledBack(String),
    /// A task cannot be placed or was refused; waiting will not help.
    Stuck(String),
}

/// What a rollout's wait reads: where it stands, the latest error a task of
/// the new spec gave, and where its latest task ran (node id, container id),
/// to read its health check's output there.
pub struct RolloutState {
    pub rollout: Rollout,
    pub last_error: String,
    pub latest_task: Option<(String, String)>,
}

/// Reads a rollout from the service and its tasks (`docker service
/// inspect` and the tasks' `docker inspect`): ready once a task whose
/// containers carry `hash` (under `hash_label`) should run and runs.
pub fn rollout(
    service_json: &str,
    tasks_json: &str,
    hash_label: &str,
    hash: &str,
) -> Result<RolloutState, String> {
    let (rollout, last_error, latest_task) =
        rollout_of(service_json, tasks_json, hash_label, hash)?;
    Ok(RolloutState {
        rollout,
        last_error,
        latest_task,
    })
}

type Read = (Rollout, String, Option<(String, String)>);

fn rollout_of(
    service_json: &str,
    tasks_json: &str,
    hash_label: &str,
    hash: &str,
) -> Result<Read, String> {
    let services: Vec<RawService> = serde_json::from_str(service_json)
        .map_err(|err| format!("docker service inspect: {err}"))?;
    let Some(service) = services.first() else {
        return Ok((
            Rollout::Stuck("the service is gone".into()),
            String::new(),
            None,
        ));
    };
    let tasks: Vec<RawTask> = if tasks_json.trim().is_empty() {
        Vec::new()
    } else {
        serde_json::from_str(tasks_json).map_err(|err| format!("docker inspect (tasks): {err}"))?
    };
    let wanted = |task: &&RawTask| {
        task.spec
            .container_spec
            .labels
            .get(hash_label)
            .map(String::as_str)
            == Some(hash)
    };
    let last_error = tasks
        .iter()
        .filter(wanted)
        .filter(|task| !task.status.err.is_empty())
        .max_by(|a, b| a.status.timestamp.cmp(&b.status.timestamp))
        .map(|task| {
            format!(
                "task {}: {} ({})",
                &task.id[..task.id.len().min(12)],
                task.status.err,
                task.status.state
            )
        })
        .unwrap_or_default();
    let latest_task = tasks
        .iter()
        .filter(wanted)
        .max_by(|a, b| a.status.timestamp.cmp(&b.status.timestamp))
        .and_then(|task| {
            let container = task.status.container_status.as_ref()?.container_id.clone();
            Some((task.node_id.clone(), container))
        });
    let update = service.update_status.clone().unwrap_or_default();
    let spec_hash = service
        .spec
        .task_template
        .container_spec
        .labels
        .get(hash_label);
    if spec_hash.map(String::as_str) != Some(hash) {
        return Ok(
            if update.state.starts_with("rollback") && update.state != "rollback_started" {
                (Rollout::RolledBack(update.message), last_error, latest_task)
            } else {
                (Rollout::Going, last_error, latest_task)
            },
        );
    }
    if update.state == "paused" {
        return Ok((
            Rollout::Stuck(format!("the update paused: {}", update.message)),
            last_error,
            latest_task,
        ));
    }
    let current: Vec<&RawTask> = tasks
        .iter()
        .filter(wanted)
        .filter(|task| task.desired_state == "running")
        .collect();
    if current.iter().any(|task| task.status.state == "running") {
        return Ok((Rollout::Ready, last_error, latest_task));
    }
    let refused = current.iter().find(|task| {
        (task.status.state == "pending" || task.status.state == "rejected")
            && !task.status.err.is_empty()
    });
    if let Some(task) = refused {
        return Ok((
            Rollout::Stuck(format!("{}: {}", task.status.state, task.status.err)),
            last_error,
            latest_task,
        ));
    }
    Ok((Rollout::Going, last_error, latest_task))
}

#[cfg(test)]
mod tests {
    use super::super::fixture;
    use super::*;

    #[test]
    fn a_rollout_is_ready_once_a_task_of_the_wanted_spec_runs() {
        let service = fixture("service-inspect.json");
        let tasks = fixture("task-inspect.json");
        let one: Vec<serde_json::Value> = serde_json::from_str(&service).unwrap();
        let only = serde_json::to_string(&vec![one[0].clone()]).unwrap();
        assert_eq!(
            rollout(&only, &tasks, "reyns.hash", "abc").unwrap().rollout,
            Rollout::Ready
        );
        assert_eq!(
            rollout(&only, &tasks, "reyns.hash", "zzz").unwrap().rollout,
            Rollout::Going
        );
    }
}
