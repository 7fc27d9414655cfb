//! Running commands as a graph: jobs that wait for each other and for
//! containers to be ready. Imports only the [`crate::exec`] layer, with
//! [`crate::swarm`]'s parsers over it for a rollout (and logging and the
//! contract's markers); the host API's `docker::graph` is the thin wrapper
//! on top. `jobs` runs the graph, `spec` reads jobs as scripts write them,
//! `readiness` waits for a container, `rollout` for a swarm service.
//!
//! [`order`] is the one check that things waiting for each other have no
//! cycle: the job graph, and scripts through `docker::order` (the services a
//! build needs), both use it.

pub mod jobs;
pub mod readiness;
mod rollout;
pub mod spec;

use std::collections::{BTreeMap, BTreeSet};

/// Orders `needs` (each name with the names it waits for) so that every
/// name comes after what it waits for, ties by name. Fails naming what is
/// missing, or the cycle: `{what} in a cycle: a -> b -> a`.
pub fn order(needs: &BTreeMap<String, Vec<String>>, what: &str) -> Result<Vec<String>, String> {
    for (name, waits_for) in needs {
        if let Some(missing) = waits_for.iter().find(|id| !needs.contains_key(*id)) {
            return Err(format!("`{name}` waits for unknown `{missing}`"));
        }
    }
    let mut ordered: Vec<String> = Vec::new();
    let mut done: BTreeSet<&str> = BTreeSet::new();
    while done.len() < needs.len() {
        let next: Vec<&str> = needs
            .iter()
            .filter(|(name, waits_for)| {
                !done.contains(name.as_str())
                    && waits_for.iter().all(|id| done.contains(id.as_str()))
            })
            .map(|(name, _)| name.as_str())
            .collect();
        if next.is_empty() {
            return Err(format!(
                "{what} in a cycle: {}",
                cycle(needs, &done).join(" -> ")
            ));
        }
        ordered.extend(next.iter().map(|name| name.to_string()));
        done.extend(next);
    }
    Ok(ordered)
}

/// One cycle among the names not `done`, as a path that ends where it began:
/// every such name waits for another such name, so walking from the first
/// one must come back to a name already walked.
fn cycle(needs: &BTreeMap<String, Vec<String>>, done: &BTreeSet<&str>) -> Vec<String> {
    let stuck = |name: &str| !done.contains(name);
    let mut path: Vec<String> = Vec::new();
    let mut current = needs
        .keys()
        .find(|name| stuck(name))
        .cloned()
        .unwrap_or_default();
    while !path.contains(&current) {
        path.push(current.clone());
        match needs[&current].iter().find(|id| stuck(id)) {
            Some(next) => current = next.clone(),
            None => break,
        }
    }
    let start = path.iter().position(|name| *name == current).unwrap_or(0);
    let mut found = path.split_off(start);
    found.push(current);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        edges
            .iter()
            .map(|(name, after)| {
                (
                    name.to_string(),
                    after.iter().map(|s| s.to_string()).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn orders_parents_first() {
        let ordered = order(
            &graph(&[("c", &["b"]), ("b", &["a"]), ("a", &[]), ("d", &[])]),
            "x",
        )
        .unwrap();
        assert_eq!(ordered, ["a", "d", "b", "c"]);
    }

    #[test]
    fn names_the_cycle_and_the_missing() {
        let err = order(
            &graph(&[("x", &["y"]), ("y", &["x"]), ("z", &[])]),
            "services are built from each other",
        )
        .unwrap_err();
        assert_eq!(
            err,
            "services are built from each other in a cycle: x -> y -> x"
        );
        // A name that waits on a cycle is not part of it.
        let err = order(
            &graph(&[("a", &["b"]), ("b", &["c"]), ("c", &["b"])]),
            "jobs wait for each other",
        )
        .unwrap_err();
        assert_eq!(err, "jobs wait for each other in a cycle: b -> c -> b");
        let err = order(&graph(&[("a", &["zz"])]), "jobs").unwrap_err();
        assert_eq!(err, "`a` waits for unknown `zz`");
    }
}
