//! The binary against a fake `docker`: the command-line grammar, help,
//! project verbs and script resolution, errors, and golden files pinning the
//! docker commands each verb produces.

#[path = "../support/mod.rs"]
mod support;

use support::Test;

mod confs;
mod converge;
mod golden;
mod help;
mod import;
mod lifecycle;
mod project_verbs;
mod ui;

/// Every host module's namespace with the names of its functions, as
/// registered: what `help:api` must document.
fn registered_function_names() -> Vec<(&'static str, Vec<String>)> {
    reyns::host::modules()
        .into_iter()
        .map(|(name, module)| {
            let mut functions: Vec<String> = module
                .gen_fn_signatures_with_mapper(std::borrow::Cow::Borrowed)
                .filter_map(|signature| {
                    let signature = signature.strip_prefix("fn ").unwrap_or(&signature);
                    signature.split('(').next().map(str::to_string)
                })
                .collect();
            functions.sort();
            functions.dedup();
            (name, functions)
        })
        .collect()
}

/// Writes Rust return types as a script sees them: `Result<T, Box<EvalAltResult>>`
/// becomes `T` (the error is a thrown exception), in Rhai's own type names.
fn script_types(definitions: &str) -> String {
    let result = regex::Regex::new(r"-> Result<(.*), Box<EvalAltResult>>;").expect("valid pattern");
    let unwrapped = result.replace_all(definitions, "-> $1;");
    unwrapped
        .replace(" -> ();", ";")
        .replace("-> String;", "-> string;")
        .replace("-> Map;", "-> map;")
        .replace("-> Array;", "-> array;")
}

fn with_conf(text: &str) -> Test {
    let test = Test::demo();
    std::fs::write(test.dir.join("broken.conf"), text).unwrap();
    test.args("run:all,conf=broken").env("EXAMPLE_ENV_VAR", "x")
}

/// The demo's `demo-one` alone, with what it needs from the environment.
fn demo_one() -> Test {
    Test::demo()
        .env("EXAMPLE_ENV_VAR", "first")
        .env("DNS_SERVICE_IP", "10.0.0.53")
        .args("run:demo,instance=one")
}

/// The docker subcommand of each line of a fake docker log, in order.
fn docker_verbs(commands: &str) -> Vec<&str> {
    commands
        .lines()
        .map(|line| line.split(' ').nth(1).unwrap_or_default())
        .collect()
}

/// One `docker ps` JSON row as the fake docker answers it.
fn ps_row(service: &str, instance: &str, state: &str) -> String {
    format!(
        "{{\"id\":\"{service}{instance}0123456789\",\"name\":\"proj-{service}-{instance}\",\"image\":\"proj/{service}\",\"status\":\"{state}\",\"state\":\"{state}\",\"created\":\"now\",\"project\":\"proj\",\"service\":\"{service}\",\"instance\":\"{instance}\",\"instance_type\":\"standard\",\"conf\":\"default\",\"group\":\"\",\"dns\":\"\"}}\n"
    )
}

/// host.conf naming the demo's three groups as nodes, one of each kind of endpoint.
const THREE_NODES: &str = r#"{"env_vars": {}, "nodes": {"master": "tcp://10.9.0.5:2375", "node1": "ssh://ops@10.9.0.6", "node2": "context:lab2"}}"#;
