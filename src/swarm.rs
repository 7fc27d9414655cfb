//! Docker Swarm as the engine: an instance is a one-replica swarm service.
//! This module knows the shapes: a `docker run` argv made into a `docker
//! service create` argv, two of those made into the `docker service update`
//! that goes from one to the other, and swarm's JSON (services, tasks,
//! nodes) read into typed records, including how a rollout is going.
//!
//! Mechanism only, over [`crate::exec`] (it reads tasks for both the host
//! API and the readiness wait): no policy (which order, which node) is
//! decided here; `scripts/lib/swarm.rhai` decides.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What the script adds to a translated `docker run`: the project network
/// and the instance's names on it, where it may run, how it rolls out.
#[derive(Deserialize, Default, Debug)]
#[serde(default)]
pub struct Extras {
    /// The project's overlay network.
    pub network: String,
    /// The names the instance answers to on it (`demo-one`, ...).
    pub aliases: Vec<String>,
    /// Placement constraints (`node.labels.reyns.group==web`).
    pub constraints: Vec<String>,
    /// Service labels only (not on the containers): the pin, the create argv.
    pub labels: Vec<String>,
    /// `start-first` or `stop-first`.
    pub update_order: String,
    /// Seconds the engine watches a new task before calling an update done.
    pub monitor_seconds: i64,
    /// Seconds a health check may fail while the instance starts.
    pub start_period_seconds: i64,
    /// The labels (by name) the tasks' containers carry too.
    pub container_labels: Vec<String>,
}

/// `docker run` options that take a value, as `run_argv` and extra_args
/// spell them, with the service option each becomes ("" for dropped).
const RUN_VALUE_OPTIONS: [(&str, &str); 19] = [
    ("--name", "--name"),
    ("--hostname", "--hostname"),
    ("--label", "--label"),
    ("-l", "--label"),
    ("--env", "--env"),
    ("-e", "--env"),
    ("--health-cmd", "--health-cmd"),
    ("--health-interval", "--health-interval"),
    ("--health-timeout", "--health-timeout"),
    ("--health-retries", "--health-retries"),
    ("--cap-add", "--cap-add"),
    ("--user", "--user"),
    ("-u", "--user"),
    ("--workdir", "--workdir"),
    // A stock image's: its entrypoint as the entry says, its resolver.
    ("--entrypoint", "--entrypoint"),
    ("--dns", "--dns"),
    ("--dns-search", "--dns-search"),
    ("--memory", "--limit-memory"),
    ("--cpus", "--limit-cpu"),
];

/// Service options that may be given more than once; the key of one value
/// (what `--<option>-rm` names) is given by [`value_key`].
const LIST_OPTIONS: [&str; 9] = [
    "--env",
    "--label",
    "--container-label",
    "--mount",
    "--host",
    "--publish",
    "--constraint",
    "--network",
    "--cap-add",
];

/// Service options without a value.
const SWITCHES: [&str; 3] = ["--detach", "--init", "--no-resolve-image"];

/// Makes a `docker run` argv (as `lib/argv` gives it) a `docker service
/// create` argv; `Err` names what a swarm service cannot take.
pub fn create_argv(run: &[String], extras: &Extras) -> Result<Vec<String>, String> {
    let mut words = run.iter();
    if words.next().map(String::as_str) != Some("run") {
        return Err("a swarm service is made from a `docker run` argv".into());
    }
    let mut argv: Vec<String> = vec!["service".into(), "create".into(), "--detach".into()];
    let push = |argv: &mut Vec<String>, option: &str, value: String| {
        argv.push(option.to_string());
        argv.push(value);
    };
    let mut image = None;
    while let Some(word) = words.next() {
        let mut value = |what: &str| {
            words
                .next()
                .cloned()
                .ok_or_else(|| format!("`{what}` needs a value"))
        };
        match word.as_str() {
            "--detach" | "-d" => {}
            "--init" => argv.push("--init".into()),
            "--rm" | "--interactive" | "--tty" | "-it" | "-i" | "-t" => {
                return Err("an interactive instance runs on one engine, not on a swarm".into())
            }
            "--privileged" => {
                return Err("a swarm service cannot be privileged (--privileged)".into())
            }
            "--label" | "-l" => {
                let label = value(word)?;
                let name = label.split('=').next().unwrap_or_default();
                let on_containers = extras.container_labels.iter().any(|wanted| wanted == name);
                push(&mut argv, "--label", label.clone());
                if on_containers {
                    push(&mut argv, "--container-label", label);
                }
            }
            "--env" | "-e" => push(&mut argv, "--env", value(word)?),
            "--add-host" => {
                let entry = value(word)?;
                let address = entry.split_once(':').map_or("", |(_, address)| address);
                // A link by name (Swarm's DNS resolves it) needs no entry.
                if address.parse::<std::net::IpAddr>().is_ok() {
                    push(&mut argv, "--host", entry);
                }
            }
            "--volume" | "-v" => push(&mut argv, "--mount", mount(&value(word)?)?),
            "--publish" | "-p" => push(&mut argv, "--publish", publish(&value(word)?)?),
            "--restart" => {
                let policy = value(word)?;
                let (name, attempts) = policy.split_once(':').unwrap_or((&policy, ""));
                let condition = match name {
                    "no" => "none",
                    "on-failure" => "on-failure",
                    _ => "any",
                };
                push(&mut argv, "--restart-condition", condition.to_string());
                if !attempts.is_empty() {
                    push(&mut argv, "--restart-max-attempts", attempts.to_string());
                }
            }
            "--network" | "--net" => {
                return Err(format!(
                    "--network {}: on a swarm every instance is on the project's network",
                    value(word)?
                ))
            }
            flag if flag.starts_with('-') => {
                let (flag, inline) = match flag.split_once('=') {
                    Some((flag, inline)) => (flag, Some(inline.to_string())),
                    None => (flag, None),
                };
                let Some((_, option)) = RUN_VALUE_OPTIONS.iter().find(|(run, _)| *run == flag)
                else {
                    return Err(format!(
                        "`{flag}` is a docker run option a swarm service does not take"
                    ));
                };
                let given = match inline {
                    Some(inline) => inline,
                    None => value(flag)?,
                };
                push(&mut argv, option, given);
            }
            _ => {
                image = Some(word.clone());
                break;
            }
        }
    }
    let Some(image) = image else {
        return Err("the docker run argv names no image".into());
    };
    let args: Vec<String> = words.cloned().collect();
    for label in &extras.labels {
        argv.extend(["--label".into(), label.clone()]);
    }
    let mut network = format!("name={}", extras.network);
    for alias in &extras.aliases {
        network.push_str(&format!(",alias={alias}"));
    }
    argv.extend(["--network".into(), network]);
    argv.extend(["--endpoint-mode".into(), "dnsrr".into()]);
    for constraint in &extras.constraints {
        argv.extend(["--constraint".into(), constraint.clone()]);
    }
    if argv.iter().any(|word| word == "--health-cmd") {
        argv.extend([
            "--health-start-period".into(),
            format!("{}s", extras.start_period_seconds.max(0)),
        ]);
    }
    let order = if extras.update_order.is_empty() {
        "stop-first"
    } else {
        &extras.update_order
    };
    // A rollback replaces tasks the same way: start-first where two may
    // run at once, so a failed update takes nothing down on its way back.
    argv.extend([
        "--update-order".into(),
        order.to_string(),
        "--rollback-order".into(),
        order.to_string(),
        "--update-failure-action".into(),
        "rollback".into(),
        "--update-monitor".into(),
        format!("{}s", extras.monitor_seconds.max(1)),
        "--no-resolve-image".into(),
        image,
    ]);
    argv.extend(args);
    Ok(argv)
}

/// `src:dst[:ro]` as a service mount: an absolute source is a folder of
/// the node (bind), anything else a named volume (made on the node).
fn mount(item: &str) -> Result<String, String> {
    let parts: Vec<&str> = item.split(':').collect();
    let (source, target, mode) = match parts.as_slice() {
        [source, target] => (*source, *target, ""),
        [source, target, mode] => (*source, *target, *mode),
        _ => return Err(format!("volume `{item}` must read src:dst or src:dst:ro")),
    };
    let kind = if source.starts_with('/') {
        "bind"
    } else {
        "volume"
    };
    let mut spec = format!("type={kind},source={source},target={target}");
    if mode.split(',').any(|flag| flag == "ro") {
        spec.push_str(",readonly");
    }
    Ok(spec)
}

/// `[ip:]host:container[/proto]` as a port published on the node that runs
/// the task (mode=host: the routing mesh is not relied on).
fn publish(item: &str) -> Result<String, String> {
    let (ports, protocol) = item.split_once('/').unwrap_or((item, "tcp"));
    let parts: Vec<&str> = ports.split(':').collect();
    let (published, target) = match parts.as_slice() {
        [published, target] | [_, published, target] => (*published, *target),
        [target] => ("", *target),
        _ => {
            return Err(format!(
                "port `{item}` must read [ip:]host:container[/protocol]"
            ))
        }
    };
    let mut spec = format!("target={target},protocol={protocol},mode=host");
    if !published.is_empty() {
        spec = format!("published={published},{spec}");
    }
    Ok(spec)
}

/// A `service create` argv read back: list options, single options,
/// switches, the image and its arguments.
#[derive(Default, Debug, PartialEq)]
struct Spec {
    lists: BTreeMap<String, Vec<String>>,
    single: BTreeMap<String, String>,
    switches: Vec<String>,
    image: String,
    args: Vec<String>,
}

fn read_spec(argv: &[String]) -> Spec {
    let mut spec = Spec::default();
    let mut words = argv
        .iter()
        .skip_while(|word| word.as_str() != "create")
        .skip(1);
    while let Some(word) = words.next() {
        if SWITCHES.contains(&word.as_str()) {
            spec.switches.push(word.clone());
        } else if word.starts_with("--") {
            let value = words.next().cloned().unwrap_or_default();
            if LIST_OPTIONS.contains(&word.as_str()) {
                spec.lists.entry(word.clone()).or_default().push(value);
            } else {
                spec.single.insert(word.clone(), value);
            }
        } else {
            spec.image = word.clone();
            spec.args = words.cloned().collect();
            break;
        }
    }
    spec
}

/// What `--<option>-rm` names of one value: an env var's or a label's
/// name, a mount's target, a network's name; the value itself otherwise.
fn value_key(option: &str, value: &str) -> String {
    let field = |name: &str| {
        value
            .split(',')
            .find_map(|part| part.strip_prefix(name))
            .unwrap_or(value)
            .to_string()
    };
    match option {
        "--env" | "--label" | "--container-label" => {
            value.split('=').next().unwrap_or(value).to_string()
        }
        "--mount" => field("target="),
        "--network" => field("name="),
        _ => value.to_string(),
    }
}

/// The `docker service update` that takes a service made by `old` (a
/// `service create` argv) to what `new` makes: values removed and added
/// per list option, single options that changed, the image and its
/// arguments. A single option that disappears keeps its value on the
/// service, but for the health check (`--no-healthcheck`).
pub fn update_argv(old: &[String], new: &[String]) -> Vec<String> {
    let old = read_spec(old);
    let new = read_spec(new);
    let mut argv: Vec<String> = vec!["service".into(), "update".into(), "--detach".into()];
    let none = Vec::new();
    for option in LIST_OPTIONS {
        let before = old.lists.get(option).unwrap_or(&none);
        let after = new.lists.get(option).unwrap_or(&none);
        let option_name = option.trim_start_matches("--");
        let came: Vec<&String> = after
            .iter()
            .filter(|value| !before.contains(value))
            .collect();
        for value in before.iter().filter(|value| !after.contains(value)) {
            let key = value_key(option, value);
            // Env vars and labels whose name comes back are replaced by the
            // add; a capability once added stays (swarm has no --cap-add-rm).
            let replaced = came.iter().any(|other| value_key(option, other) == key);
            if option == "--cap-add"
                || (replaced && matches!(option, "--env" | "--label" | "--container-label"))
            {
                continue;
            }
            argv.extend([format!("--{option_name}-rm"), key]);
        }
        for value in came {
            let added = if option == "--cap-add" {
                option.to_string()
            } else {
                format!("--{option_name}-add")
            };
            argv.extend([added, value.clone()]);
        }
    }
    for (option, value) in &new.single {
        if option == "--name" || old.single.get(option) == Some(value) {
            continue;
        }
        argv.extend([option.clone(), value.clone()]);
    }
    if old.single.contains_key("--health-cmd") && !new.single.contains_key("--health-cmd") {
        argv.push("--no-healthcheck".into());
    }
    let init = new.switches.iter().any(|s| s == "--init");
    if init != old.switches.iter().any(|s| s == "--init") {
        argv.push(format!("--init={init}"));
    }
    if new.image != old.image {
        argv.extend(["--image".into(), new.image.clone()]);
    }
    if new.args != old.args {
        argv.extend(["--args".into(), shell_words::join(&new.args)]);
    }
    argv.push("--no-resolve-image".into());
    argv.push(new.single.get("--name").cloned().unwrap_or_default());
    argv
}

/// The `docker inspect` of the tasks of `services` (names or ids) on the
/// swarm whose manager `flags` reach ("" when they have none): their ids from
/// `docker service ps`, then one inspect. What a listing and a rollout read.
pub fn read_tasks(flags: &[String], services: &[&str]) -> crate::exec::HostResult<String> {
    let mut ps: Vec<String> = flags.to_vec();
    ps.extend(["service", "ps", "--quiet", "--no-trunc"].map(String::from));
    ps.extend(services.iter().map(|service| service.to_string()));
    let ids = crate::exec::read_docker(&ps)?;
    if ids.trim().is_empty() {
        return Ok(String::new());
    }
    let mut inspect: Vec<String> = flags.to_vec();
    inspect.push("inspect".into());
    inspect.extend(ids.split_whitespace().map(String::from));
    crate::exec::read_docker(&inspect)
}

// ---- swarm's JSON, as reyns reads it ------------------------------------

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawService {
    #[serde(rename = "ID")]
    id: String,
    created_at: String,
    spec: RawServiceSpec,
    update_status: Option<RawUpdateStatus>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawServiceSpec {
    name: String,
    labels: BTreeMap<String, String>,
    task_template: RawTaskTemplate,
    mode: serde_json::Value,
}

impl RawServiceSpec {
    /// Whether it was scaled to no replica (`_stop`).
    fn scaled_to_zero(&self) -> bool {
        self.mode["Replicated"]["Replicas"].as_u64() == Some(0)
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawTaskTemplate {
    container_spec: RawContainerSpec,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawContainerSpec {
    image: String,
    hostname: String,
    labels: BTreeMap<String, String>,
    env: Vec<String>,
    healthcheck: Option<serde_json::Value>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(rename_all = "PascalCase", default)]
struct RawUpdateStatus {
    state: String,
    message: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawTask {
    #[serde(rename = "ID")]
    id: String,
    #[serde(rename = "ServiceID")]
    service_id: String,
    #[serde(rename = "NodeID")]
    node_id: String,
    desired_state: String,
    status: RawTaskStatus,
    spec: RawTaskTemplate,
    networks_attachments: Vec<RawAttachment>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawTaskStatus {
    timestamp: String,
    state: String,
    err: String,
    container_status: Option<RawContainerStatus>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawContainerStatus {
    #[serde(rename = "ContainerID")]
    container_id: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawAttachment {
    network: RawAttachedNetwork,
    addresses: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawAttachedNetwork {
    spec: RawNetworkSpec,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawNetworkSpec {
    name: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawNode {
    #[serde(rename = "ID")]
    id: String,
    spec: RawNodeSpec,
    description: RawNodeDescription,
    status: RawNodeStatus,
    manager_status: Option<RawManagerStatus>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawNodeSpec {
    labels: BTreeMap<String, String>,
    role: String,
    availability: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawNodeDescription {
    hostname: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawNodeStatus {
    state: String,
    addr: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawManagerStatus {
    leader: bool,
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
    use super::*;

    fn words(line: &str) -> Vec<String> {
        shell_words::split(line).unwrap()
    }

    fn fixture(name: &str) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/swarm")
            .join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
    }

    fn extras() -> Extras {
        Extras {
            network: "p".into(),
            aliases: vec!["demo-one".into(), "demo-one.local.zone".into()],
            constraints: vec!["node.labels.reyns.group==work".into()],
            labels: vec![],
            container_labels: vec!["reyns.project".into()],
            update_order: "start-first".into(),
            monitor_seconds: 20,
            start_period_seconds: 30,
        }
    }

    #[test]
    fn a_run_argv_becomes_a_service_create() {
        let run = words("run --detach --init --name p-demo-one --hostname demo-one --label reyns.project=p --env A=1 --add-host db:10.0.0.3 --add-host one:demo-one --volume p-shared:/shared --volume /srv/x:/x:ro --publish 10.0.0.1:2222:22/tcp --health-cmd 'nc -z localhost 22' --health-interval 10s --restart unless-stopped p/demo sleep 5");
        let made = create_argv(&run, &extras()).unwrap();
        assert_eq!(
            made,
            words("service create --detach --init --name p-demo-one --hostname demo-one --label reyns.project=p --container-label reyns.project=p --env A=1 --host db:10.0.0.3 --mount type=volume,source=p-shared,target=/shared --mount type=bind,source=/srv/x,target=/x,readonly --publish published=2222,target=22,protocol=tcp,mode=host --health-cmd 'nc -z localhost 22' --health-interval 10s --restart-condition any --network name=p,alias=demo-one,alias=demo-one.local.zone --endpoint-mode dnsrr --constraint node.labels.reyns.group==work --health-start-period 30s --update-order start-first --rollback-order start-first --update-failure-action rollback --update-monitor 20s --no-resolve-image p/demo sleep 5")
        );
    }

    #[test]
    fn what_a_service_cannot_take_is_named() {
        for (run, said) in [
            ("run --privileged p/x", "privileged"),
            ("run --network host p/x", "project's network"),
            ("run --device /dev/fuse p/x", "`--device`"),
            ("run --rm --interactive --tty p/x", "interactive"),
        ] {
            let err = create_argv(&words(run), &extras()).unwrap_err();
            assert!(err.contains(said), "{run}: {err}");
        }
    }

    #[test]
    fn an_update_carries_only_what_changed() {
        let before = words("service create --detach --init --name p-one --label reyns.hash=aaa --container-label reyns.hash=aaa --env A=1 --env B=2 --mount type=volume,source=v,target=/v --health-cmd true --update-order start-first --no-resolve-image p/demo");
        let after = words("service create --detach --init --name p-one --label reyns.hash=bbb --container-label reyns.hash=bbb --env A=3 --mount type=volume,source=w,target=/v --health-cmd true --update-order start-first --no-resolve-image p/demo2 run");
        assert_eq!(
            update_argv(&before, &after),
            words("service update --detach --env-rm B --env-add A=3 --label-add reyns.hash=bbb --container-label-add reyns.hash=bbb --mount-rm /v --mount-add type=volume,source=w,target=/v --image p/demo2 --args run --no-resolve-image p-one")
        );
        assert_eq!(
            update_argv(&before, &before),
            words("service update --detach --no-resolve-image p-one")
        );
    }

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
