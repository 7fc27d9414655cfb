//! Swarm's JSON (`docker service inspect`, the tasks' `docker inspect`,
//! `docker node inspect`) read into the records scripts see.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct RawService {
    #[serde(rename = "ID")]
    pub(super) id: String,
    pub(super) created_at: String,
    pub(super) spec: RawServiceSpec,
    pub(super) update_status: Option<RawUpdateStatus>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct RawServiceSpec {
    pub(super) name: String,
    pub(super) labels: BTreeMap<String, String>,
    pub(super) task_template: RawTaskTemplate,
    pub(super) mode: serde_json::Value,
}

impl RawServiceSpec {
    /// Whether it was scaled to no replica (`_stop`).
    pub(super) fn scaled_to_zero(&self) -> bool {
        self.mode["Replicated"]["Replicas"].as_u64() == Some(0)
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct RawTaskTemplate {
    pub(super) container_spec: RawContainerSpec,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct RawContainerSpec {
    pub(super) image: String,
    pub(super) hostname: String,
    pub(super) labels: BTreeMap<String, String>,
    pub(super) env: Vec<String>,
    pub(super) healthcheck: Option<serde_json::Value>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct RawUpdateStatus {
    pub(super) state: String,
    pub(super) message: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct RawTask {
    #[serde(rename = "ID")]
    pub(super) id: String,
    #[serde(rename = "ServiceID")]
    pub(super) service_id: String,
    #[serde(rename = "NodeID")]
    pub(super) node_id: String,
    pub(super) desired_state: String,
    pub(super) status: RawTaskStatus,
    pub(super) spec: RawTaskTemplate,
    pub(super) networks_attachments: Vec<RawAttachment>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct RawTaskStatus {
    pub(super) timestamp: String,
    pub(super) state: String,
    pub(super) err: String,
    pub(super) container_status: Option<RawContainerStatus>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct RawContainerStatus {
    #[serde(rename = "ContainerID")]
    pub(super) container_id: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct RawAttachment {
    pub(super) network: RawAttachedNetwork,
    pub(super) addresses: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct RawAttachedNetwork {
    pub(super) spec: RawNetworkSpec,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct RawNetworkSpec {
    pub(super) name: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct RawNode {
    #[serde(rename = "ID")]
    pub(super) id: String,
    pub(super) spec: RawNodeSpec,
    pub(super) description: RawNodeDescription,
    pub(super) status: RawNodeStatus,
    pub(super) manager_status: Option<RawManagerStatus>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct RawNodeSpec {
    pub(super) labels: BTreeMap<String, String>,
    pub(super) role: String,
    pub(super) availability: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct RawNodeDescription {
    pub(super) hostname: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct RawNodeStatus {
    pub(super) state: String,
    pub(super) addr: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct RawManagerStatus {
    pub(super) leader: bool,
}

/// A swarm node as scripts see it.
#[derive(Serialize, Debug, PartialEq)]
pub struct Node {
    pub id: String,
    pub hostname: String,
    /// `manager` or `worker`.
    pub role: String,
    pub leader: bool,
    /// `active`, `pause` or `drain`.
    pub availability: String,
    /// `ready`, `down`, `unknown` or `disconnected`.
    pub state: String,
    pub address: String,
    pub labels: BTreeMap<String, String>,
}

/// Reads `docker node inspect`'s JSON array.
pub fn parse_nodes(json: &str) -> Result<Vec<Node>, String> {
    let raw: Vec<RawNode> =
        serde_json::from_str(json).map_err(|err| format!("docker node inspect: {err}"))?;
    let mut nodes: Vec<Node> = raw
        .into_iter()
        .map(|node| Node {
            id: node.id,
            hostname: node.description.hostname,
            role: node.spec.role,
            leader: node.manager_status.is_some_and(|status| status.leader),
            availability: node.spec.availability,
            state: node.status.state,
            address: node.status.addr,
            labels: node.spec.labels,
        })
        .collect();
    nodes.sort_by(|a, b| a.hostname.cmp(&b.hostname));
    Ok(nodes)
}

/// An instance on a swarm as scripts see it: the fields of a container row
/// (`instances::listing`) and of an inspected container, from its service
/// and its current task.
#[derive(Serialize, Debug, PartialEq, Default)]
pub struct Service {
    pub kind: &'static str,
    pub id: String,
    pub name: String,
    /// The host name its tasks get (what links to it name).
    pub hostname: String,
    pub image: String,
    pub created: String,
    pub project: String,
    pub service: String,
    pub instance: String,
    pub instance_type: String,
    pub conf: String,
    pub group: String,
    pub dns: String,
    /// The current task's state (`running`, `starting`, `pending`,
    /// `failed`, ...), `stopped` when scaled to no replica, `no task` when
    /// the service has none.
    pub state: String,
    pub status: String,
    pub running: bool,
    /// `healthy` once a task with a health check runs, `starting` before.
    pub health: String,
    /// The host name of the node running the current task ("" for none).
    pub node: String,
    pub node_id: String,
    /// The task's address on the project network.
    pub address: String,
    /// The task's container on its node.
    pub container: String,
    /// The latest error a task of it gave ("" for none).
    pub error: String,
    /// `updating`, `completed`, `rollback_completed`, ... ("" before any update).
    pub update: String,
    pub update_message: String,
    pub labels: BTreeMap<String, String>,
    pub env: BTreeMap<String, String>,
}

/// Reads `docker service inspect` and the `docker inspect` of their tasks
/// (`nodes`: `docker node inspect`) into one record per service, its
/// current task being the latest that should run.
pub fn parse_services(
    services_json: &str,
    tasks_json: &str,
    nodes_json: &str,
    network: &str,
) -> Result<Vec<Service>, String> {
    let services: Vec<RawService> = serde_json::from_str(services_json)
        .map_err(|err| format!("docker service inspect: {err}"))?;
    let tasks: Vec<RawTask> = if tasks_json.trim().is_empty() {
        Vec::new()
    } else {
        serde_json::from_str(tasks_json).map_err(|err| format!("docker inspect (tasks): {err}"))?
    };
    let hostnames: BTreeMap<String, String> = parse_nodes(nodes_json)?
        .into_iter()
        .map(|node| (node.id, node.hostname))
        .collect();
    let label = |labels: &BTreeMap<String, String>, name: &str| {
        labels
            .get(&format!("{}{name}", crate::contract::LABEL_PREFIX))
            .cloned()
            .unwrap_or_default()
    };
    let mut rows: Vec<Service> = services
        .into_iter()
        .map(|raw| {
            let mine: Vec<&RawTask> = tasks
                .iter()
                .filter(|task| task.service_id == raw.id)
                .collect();
            let current = mine
                .iter()
                .filter(|task| task.desired_state == "running")
                .max_by(|a, b| a.status.timestamp.cmp(&b.status.timestamp))
                .or_else(|| {
                    mine.iter()
                        .max_by(|a, b| a.status.timestamp.cmp(&b.status.timestamp))
                })
                .copied();
            let error = mine
                .iter()
                .filter(|task| !task.status.err.is_empty())
                .max_by(|a, b| a.status.timestamp.cmp(&b.status.timestamp))
                .map(|task| task.status.err.clone())
                .unwrap_or_default();
            let container = &raw.spec.task_template.container_spec;
            let mut labels = raw.spec.labels.clone();
            labels.extend(container.labels.clone());
            let checked = container
                .healthcheck
                .as_ref()
                .is_some_and(|check| check.get("Test").is_some());
            let (state, node_id, address, task_container) = match current {
                _ if raw.spec.scaled_to_zero() => (
                    "stopped".to_string(),
                    String::new(),
                    String::new(),
                    String::new(),
                ),
                Some(task) => (
                    task.status.state.clone(),
                    task.node_id.clone(),
                    task.networks_attachments
                        .iter()
                        .find(|attached| attached.network.spec.name == network)
                        .and_then(|attached| attached.addresses.first())
                        .map(|address| address.split('/').next().unwrap_or_default().to_string())
                        .unwrap_or_default(),
                    task.status
                        .container_status
                        .as_ref()
                        .map(|status| status.container_id.clone())
                        .unwrap_or_default(),
                ),
                None => (
                    "no task".to_string(),
                    String::new(),
                    String::new(),
                    String::new(),
                ),
            };
            let running = state == "running";
            let health = match (checked, state.as_str()) {
                (false, _) => "",
                (true, "running") => "healthy",
                (true, "starting") => "starting",
                (true, _) => "unhealthy",
            };
            let update = raw.update_status.clone().unwrap_or_default();
            Service {
                kind: "service",
                id: raw.id.clone(),
                name: raw.spec.name.clone(),
                hostname: container.hostname.clone(),
                image: container.image.clone(),
                created: raw.created_at.clone(),
                project: label(&labels, "project"),
                service: label(&labels, "service"),
                instance: label(&labels, "instance"),
                instance_type: label(&labels, "instance_type"),
                conf: label(&labels, "conf"),
                group: label(&labels, "group"),
                dns: String::new(),
                status: if error.is_empty() || running {
                    state.clone()
                } else {
                    format!("{state}: {error}")
                },
                state,
                running,
                health: health.to_string(),
                node: hostnames.get(&node_id).cloned().unwrap_or_default(),
                node_id,
                address,
                container: task_container,
                error,
                update: update.state,
                update_message: update.message,
                env: container
                    .env
                    .iter()
                    .filter_map(|pair| pair.split_once('='))
                    .map(|(name, value)| (name.to_string(), value.to_string()))
                    .collect(),
                labels,
            }
        })
        .collect();
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::super::fixture;
    use super::*;

    #[test]
    fn services_and_tasks_read_from_real_output() {
        let rows = parse_services(
            &fixture("service-inspect.json"),
            &fixture("task-inspect.json"),
            &fixture("node-inspect.json"),
            "t",
        )
        .unwrap();
        let one = rows.iter().find(|row| row.name == "t-demo-one").unwrap();
        assert_eq!(one.state, "running");
        assert!(one.running);
        assert_eq!(one.health, "healthy");
        assert_eq!(one.node, "sw1-w1");
        assert_eq!(one.project, "t");
        assert_eq!(one.hostname, "demo-one");
        assert_eq!(one.service, "demo");
        assert!(one.address.starts_with("10.0.1."), "{}", one.address);
        assert_eq!(one.env.get("A").map(String::as_str), Some("1"));
        assert_eq!(
            one.labels.get("reyns.hash").map(String::as_str),
            Some("abc")
        );
        let three = rows.iter().find(|row| row.name == "t-three").unwrap();
        assert_eq!(
            three.node, "sw1-w1",
            "the task that should run, not the one shut down"
        );
        assert_eq!(three.health, "healthy");
    }

    #[test]
    fn nodes_read_from_real_output() {
        let nodes = parse_nodes(&fixture("node-inspect.json")).unwrap();
        let names: Vec<&str> = nodes.iter().map(|node| node.hostname.as_str()).collect();
        assert_eq!(names, ["sw1-m", "sw1-w1", "sw1-w2"]);
        assert!(nodes[0].leader);
        assert_eq!(nodes[0].role, "manager");
        assert_eq!(
            nodes[1].labels.get("reyns.group").map(String::as_str),
            Some("work")
        );
        assert_eq!(nodes[2].state, "down");
    }
}
