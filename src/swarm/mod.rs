//! Docker Swarm as the engine: an instance is a one-replica swarm service.
//! This module knows the shapes, one concern per file:
//! - `service_argv`: a `docker run` argv made into a `docker service
//!   create` argv, and two of those into the `docker service update` that
//!   goes from one to the other;
//! - `json`: swarm's JSON (services, tasks, nodes) read into typed records;
//! - `rollout`: how a rollout is going, read from a service and its tasks.
//!
//! Mechanism only, over [`crate::exec`] (it reads tasks for both the host
//! API and the readiness wait, so it sits below [`crate::graph`]): no
//! policy (which order, which node) is decided here;
//! `scripts/lib/swarm.rhai` decides.

mod json;
mod rollout;
mod service_argv;

pub use json::{parse_nodes, parse_services, Node, Service};
pub use rollout::{rollout, Rollout, RolloutState};
pub use service_argv::{create_argv, update_argv, Extras};

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

/// A file of `tests/fixtures/swarm` (real output captured from the engine).
#[cfg(test)]
fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/swarm")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}
