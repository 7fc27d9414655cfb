//! `swarm::` for scripts: a project's instances as swarm services, the
//! swarm's nodes, and the service commands made from a `docker run` argv
//! (the shapes live in [`crate::swarm`]).

use super::{fail, strings, to_map, HostResult};
use crate::exec::{self, failed, Outcome};
use crate::swarm::{self, Extras};
use rhai::plugin::*;
use rhai::{Array, Dynamic, Map};

/// Runs read-only docker commands side by side, in order of `argvs`.
fn read_each(argvs: Vec<Vec<String>>) -> HostResult<Vec<Outcome>> {
    exec::read_side_by_side(&argvs)
        .into_iter()
        .map(|done| done.or_else(fail))
        .collect()
}

/// `docker FLAGS WORDS...` as an argv.
fn on(flags: &[String], words: &[&str]) -> Vec<String> {
    let mut argv = flags.to_vec();
    argv.extend(words.iter().map(|word| word.to_string()));
    argv
}

/// The stdout of a read that must succeed (one of `read_each`'s).
fn checked(argv: &[String], outcome: Outcome) -> HostResult<String> {
    if outcome.code != 0 {
        return Err(failed(argv, &outcome));
    }
    Ok(outcome.stdout)
}

/// `docker node inspect` of the nodes `ids` (from `docker node ls --quiet`).
fn node_inspect(flags: &[String], ids: &str) -> Vec<String> {
    let mut words = vec!["node", "inspect"];
    words.extend(ids.split_whitespace());
    on(flags, &words)
}

#[export_module]
pub mod api {
    /// The services of a project (label `reyns.project=<project>`) on the
    /// swarm whose manager `flags` reach, one map each with the fields of a
    /// container row (`name`, `service`, `instance`, `state`, `node`: the
    /// host name running its task, `health`, `address` on `network`, ...)
    /// and `labels`, `env`, `error`, `update`; sorted by name.
    ///
    /// ```rhai
    /// for row in swarm::services(["--host", "tcp://10.0.0.2:2375"], "demo", "demo") { print(row.node); }
    /// ```
    #[rhai_fn(return_raw)]
    pub fn services(flags: Array, project: &str, network: &str) -> HostResult<Array> {
        let flags = strings(&flags, "swarm::services")?;
        let label = format!(
            "label={}={project}",
            crate::contract::label("project").unwrap_or_default()
        );
        // Side by side: the services and the nodes, then the services'
        // specs and the nodes' details, then their tasks.
        let lists = vec![
            on(&flags, &["service", "ls", "--quiet", "--filter", &label]),
            on(&flags, &["node", "ls", "--quiet"]),
        ];
        let mut listed = read_each(lists.clone())?.into_iter();
        let ids = checked(&lists[0], listed.next().unwrap_or_default())?;
        let node_ids = checked(&lists[1], listed.next().unwrap_or_default())?;
        let ids: Vec<&str> = ids.split_whitespace().collect();
        if ids.is_empty() {
            return Ok(Array::new());
        }
        let mut inspect = vec!["service", "inspect"];
        inspect.extend(&ids);
        let details = vec![on(&flags, &inspect), node_inspect(&flags, &node_ids)];
        let mut read = read_each(details.clone())?.into_iter();
        let services_json = checked(&details[0], read.next().unwrap_or_default())?;
        let nodes_json = checked(&details[1], read.next().unwrap_or_default())?;
        let tasks_json = swarm::read_tasks(&flags, &ids)?;
        let rows = swarm::parse_services(&services_json, &tasks_json, &nodes_json, network)
            .or_else(fail)?;
        rows.iter()
            .map(|row| Ok(Dynamic::from(to_map(row)?)))
            .collect()
    }

    /// The swarm's nodes, sorted by host name: `#{id, hostname, role,
    /// leader, availability, state, address, labels}`.
    ///
    /// ```rhai
    /// let ready = swarm::nodes(flags).filter(|node| node.state == "ready");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn nodes(flags: Array) -> HostResult<Array> {
        let flags = strings(&flags, "swarm::nodes")?;
        let ids = exec::read_docker(&on(&flags, &["node", "ls", "--quiet"]))?;
        let json = exec::read_docker(&node_inspect(&flags, &ids))?;
        swarm::parse_nodes(&json)
            .or_else(fail)?
            .iter()
            .map(|node| Ok(Dynamic::from(to_map(node)?)))
            .collect()
    }

    /// The `docker service create` argv of a `docker run` argv, with
    /// `extras`: `#{network, aliases, constraints, labels, update_order,
    /// monitor_seconds, start_period_seconds, drop_env, drop_hosts}`.
    /// Throws naming what a swarm service cannot take (`--privileged`, ...).
    ///
    /// ```rhai
    /// let argv = swarm::create_argv(run, #{ network: "demo", aliases: ["demo-one"], update_order: "start-first" });
    /// ```
    #[rhai_fn(return_raw)]
    pub fn create_argv(run: Array, extras: Map) -> HostResult<Array> {
        let run = strings(&run, "swarm::create_argv")?;
        let extras: Extras = rhai::serde::from_dynamic(&extras.into())?;
        let argv = swarm::create_argv(&run, &extras).or_else(fail)?;
        Ok(argv.into_iter().map(Dynamic::from).collect())
    }

    /// The `docker service update` that takes a service made with `before`
    /// (a `service create` argv) to what `after` makes: only what changed.
    ///
    /// ```rhai
    /// let update = swarm::update_argv(text::parse_json(row.labels["reyns.create"]), argv);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn update_argv(before: Array, after: Array) -> HostResult<Array> {
        let before = strings(&before, "swarm::update_argv")?;
        let after = strings(&after, "swarm::update_argv")?;
        Ok(swarm::update_argv(&before, &after)
            .into_iter()
            .map(Dynamic::from)
            .collect())
    }
}
