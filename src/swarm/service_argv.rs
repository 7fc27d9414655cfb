//! A `docker run` argv (as `lib/argv` gives it) made into a `docker
//! service create` argv, and the `docker service update` between two of them.

use serde::Deserialize;
use std::collections::BTreeMap;

/// What the script adds to a translated `docker run`: the project network
/// and the instance's names on it, where it may run, how it rolls out.
/// Every field is the script's to give (absent: empty); an unknown one is
/// an error naming it.
#[derive(Deserialize, Default, Debug)]
#[serde(default, deny_unknown_fields)]
pub struct Extras {
    /// The project's overlay network.
    pub network: String,
    /// The names the instance answers to on it (`demo-one`, ...).
    pub aliases: Vec<String>,
    /// Placement constraints (`node.labels.reyns.group==web`).
    pub constraints: Vec<String>,
    /// Service labels only (not on the containers): the node it is pinned to.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        shell_words::split(line).unwrap()
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
}
