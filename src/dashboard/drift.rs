//! Drift: what `run` would do to each instance now, read from the converge
//! plan (`run:all,plan=True`), whose decision lines are `keep <container>`,
//! `create <container>`, `start <container>`, `recreate <container>
//! (start-first): <reasons>` and `orphan <container>: <why>`, among the
//! docker commands each decision would run.

use std::collections::BTreeMap;

/// The words a decision line starts with.
const DECISIONS: [&str; 5] = ["keep", "create", "start", "recreate", "orphan"];

/// Each container's decision, by container name: `keep`, or the decision
/// with its order and reasons (`recreate (start-first): image rebuilt`).
pub fn parse(plan: &str) -> BTreeMap<String, String> {
    let mut drift = BTreeMap::new();
    for line in plan.lines() {
        let mut words = line.splitn(3, ' ');
        let (Some(decision), Some(container)) = (words.next(), words.next()) else {
            continue;
        };
        if !DECISIONS.contains(&decision) {
            continue;
        }
        let container = container.trim_end_matches(':');
        let rest = words.next().unwrap_or_default().trim();
        let shown = if rest.is_empty() {
            decision.to_string()
        } else {
            format!("{decision} {rest}")
        };
        drift.insert(container.to_string(), shown);
    }
    drift
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_are_read_from_a_real_plan() {
        // `run:all,plan=True` on the engine after the demo image was rebuilt
        // and an env var changed.
        let plan = include_str!("../../tests/fixtures/plan/recreate-three.txt");
        let drift = parse(plan);
        assert_eq!(drift["wbench-reyns-dns-one"], "keep");
        assert_eq!(
            drift["wbench-demo-one"],
            "recreate (start-first): env EXAMPLE_ENV_VAR changed, image rebuilt"
        );
        assert_eq!(
            drift["wbench-demo-three"],
            "recreate (start-first): image rebuilt"
        );
        assert_eq!(drift.len(), 4, "{drift:?}");
    }

    #[test]
    fn a_stopped_instance_and_the_dns_records_of_a_stop_first_are_read() {
        // With demo-two stopped: its stop-first recreate runs nsupdate, whose
        // input lines (`update delete ...`) are no decisions.
        let plan = include_str!("../../tests/fixtures/plan/stopped-one.txt");
        let drift = parse(plan);
        assert_eq!(
            drift["wbench-demo-two"],
            "recreate (stop-first): image rebuilt"
        );
        assert_eq!(drift.len(), 4, "{drift:?}");
        let orphan = parse("orphan p-old-one: no entry of default.conf names it\n");
        assert_eq!(
            orphan["p-old-one"],
            "orphan no entry of default.conf names it"
        );
    }
}
