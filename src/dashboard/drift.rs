//! Drift: what `run` would do to each instance now, read from the converge
//! plan as data (`run:all,plan=True,format=json`: one record per line, see
//! `scripts/lib/decisions.rhai` `record`), and told in a few words.

use serde::Deserialize;
use std::collections::BTreeMap;

/// The fields of a plan record the drift tells.
#[derive(Deserialize)]
struct Record {
    container: Option<String>,
    decision: String,
    #[serde(default)]
    order: String,
    #[serde(default)]
    order_why: String,
    #[serde(default)]
    reasons: Vec<String>,
}

impl Record {
    /// `keep`, `start`, `recreate (start-first): image rebuilt`, `orphan: ...`.
    fn told(&self) -> String {
        let mut told = self.decision.clone();
        match (self.order.as_str(), self.order_why.as_str()) {
            ("", _) => {}
            (order, "") => told.push_str(&format!(" ({order})")),
            (order, why) => told.push_str(&format!(" ({order}, {why})")),
        }
        if !self.reasons.is_empty() {
            told.push_str(&format!(": {}", self.reasons.join(", ")));
        }
        told
    }
}

/// Each container's decision, by container name, told in words; a line
/// that is not a record is an error naming it.
pub fn parse(plan: &str) -> Result<BTreeMap<String, String>, String> {
    let mut drift = BTreeMap::new();
    for (number, line) in plan.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let record: Record = serde_json::from_str(line)
            .map_err(|err| format!("line {} of the plan is not a record: {err}", number + 1))?;
        if let Some(container) = &record.container {
            drift.insert(container.clone(), record.told());
        }
    }
    Ok(drift)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_are_read_from_a_real_plan() {
        // `run:all,plan=True,format=json` on the engine after the demo image
        // was rebuilt, demo-two stopped, an env var changed and demo-four
        // started outside the conf.
        let plan = include_str!("../../tests/fixtures/plan/recreate-three.jsonl");
        let drift = parse(plan).unwrap();
        assert_eq!(drift["pdemo-reyns-dns-one"], "keep");
        assert_eq!(
            drift["pdemo-demo-one"],
            "recreate (start-first): env EXAMPLE_ENV_VAR changed, image rebuilt"
        );
        assert_eq!(
            drift["pdemo-demo-two"],
            "recreate (stop-first): image rebuilt"
        );
        assert_eq!(
            drift["pdemo-demo-four"],
            "orphan: no entry of default.conf names it"
        );
        assert_eq!(drift.len(), 5, "{drift:?}");
    }

    #[test]
    fn the_commands_of_no_instance_are_no_drift() {
        // With remove_orphans=True: the orphan's removal is `prepare`'s.
        let plan = include_str!("../../tests/fixtures/plan/stopped-one.jsonl");
        let drift = parse(plan).unwrap();
        assert_eq!(drift.len(), 5, "{drift:?}");
        assert!(plan.lines().next().unwrap().contains("\"prepare\""));
        assert!(parse("keep p-one\n").unwrap_err().contains("line 1"));
    }
}
