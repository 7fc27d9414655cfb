//! Reading `docker inspect` output: one batched call for containers and
//! images together, parsed from docker's JSON into typed records (never from
//! a text template), so scripts get the same fields whatever the engine.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One object of `docker inspect`'s JSON array, container or image; only the
/// fields reyns reads (docker adds more, serde skips them).
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct Raw {
    id: String,
    name: Option<String>,
    image: Option<String>,
    state: Option<RawState>,
    config: Option<RawConfig>,
    network_settings: Option<RawNetworks>,
    host_config: Option<RawHostConfig>,
    repo_tags: Option<Vec<String>>,
    repo_digests: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawState {
    status: String,
    running: bool,
    exit_code: i64,
    health: Option<RawHealth>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawHealth {
    status: String,
    /// docker's last few runs of the check, oldest first.
    log: Option<Vec<RawHealthRun>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawHealthRun {
    output: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawConfig {
    env: Option<Vec<String>>,
    labels: Option<BTreeMap<String, String>>,
    healthcheck: Option<RawHealthcheck>,
    /// An image's `EXPOSE`d ports (`"6379/tcp": {}`).
    exposed_ports: Option<BTreeMap<String, serde_json::Value>>,
    /// An image's declared `VOLUME`s (`"/data": {}`).
    volumes: Option<BTreeMap<String, serde_json::Value>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawHealthcheck {
    /// `["CMD-SHELL", "line"]`, `["CMD", "program", "arg"...]` or `["NONE"]`.
    test: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawNetworks {
    #[serde(rename = "IPAddress")]
    ip_address: String,
    networks: Option<BTreeMap<String, RawNetwork>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawNetwork {
    #[serde(rename = "IPAddress")]
    ip_address: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawHostConfig {
    restart_policy: Option<RawRestart>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawRestart {
    name: String,
}

/// A container as scripts see it.
#[derive(Serialize, Debug, PartialEq)]
pub struct Container {
    pub kind: &'static str,
    pub name: String,
    pub id: String,
    /// The id of the image it runs.
    pub image: String,
    /// docker's state: `running`, `exited`, `created`, ...
    pub state: String,
    pub running: bool,
    /// The code it last exited with (0 while it runs or never ran).
    pub exit_code: i64,
    /// `healthy`, `starting`, `unhealthy`, or "" without a health check.
    pub health: String,
    /// What the health check printed the last time docker ran it ("" when
    /// it has not run, or there is none).
    pub health_output: String,
    pub labels: BTreeMap<String, String>,
    pub env: BTreeMap<String, String>,
    /// Its first IPv4 address on a docker network ("" when none).
    pub address: String,
    pub restart: String,
}

/// An image as scripts see it.
#[derive(Serialize, Debug, PartialEq, Clone)]
pub struct Image {
    pub kind: &'static str,
    pub id: String,
    pub tags: Vec<String>,
    /// `name@sha256:...`: the digests it was pulled or pushed by.
    pub digests: Vec<String>,
    /// Its `EXPOSE`d ports, `6379/tcp`, sorted.
    pub exposed: Vec<String>,
    /// Its declared `VOLUME`s, sorted.
    pub volumes: Vec<String>,
    /// Its `HEALTHCHECK` as a command to run in a container of it
    /// (`["/bin/sh", "-c", line]` for the shell form), empty without one.
    pub check: Vec<String>,
}

/// A `HEALTHCHECK`'s test as a command to run inside the container.
fn check_command(test: Vec<String>) -> Vec<String> {
    match test.split_first() {
        Some((form, rest)) if form == "CMD-SHELL" => {
            vec!["/bin/sh".into(), "-c".into(), rest.join(" ")]
        }
        Some((form, rest)) if form == "CMD" => rest.to_vec(),
        _ => Vec::new(),
    }
}

/// What one requested name turned out to be.
#[derive(Serialize, Debug, PartialEq)]
#[serde(untagged)]
pub enum Object {
    Container(Container),
    Image(Image),
}

fn container(raw: Raw) -> Container {
    let state = raw.state.unwrap_or_default();
    let config = raw.config.unwrap_or_default();
    let networks = raw.network_settings.unwrap_or_default();
    let address = networks
        .networks
        .unwrap_or_default()
        .into_values()
        .map(|network| network.ip_address)
        .find(|address| !address.is_empty())
        .unwrap_or(networks.ip_address);
    let env = config
        .env
        .unwrap_or_default()
        .into_iter()
        .filter_map(|pair| {
            let (name, value) = pair.split_once('=')?;
            Some((name.to_string(), value.to_string()))
        })
        .collect();
    Container {
        kind: "container",
        name: raw.name.unwrap_or_default().trim_start_matches('/').into(),
        id: raw.id,
        image: raw.image.unwrap_or_default(),
        state: state.status,
        running: state.running,
        exit_code: state.exit_code,
        health_output: state
            .health
            .as_ref()
            .and_then(|health| health.log.as_ref()?.last())
            .map(|run| run.output.trim().to_string())
            .unwrap_or_default(),
        health: state.health.map(|h| h.status).unwrap_or_default(),
        labels: config.labels.unwrap_or_default(),
        env,
        address,
        restart: raw
            .host_config
            .and_then(|h| h.restart_policy)
            .map(|r| r.name)
            .unwrap_or_default(),
    }
}

/// Whether `wanted` (as a user names an image) is one of an image's tags or its id.
fn names_image(image: &Image, wanted: &str) -> bool {
    let tagged = if wanted
        .rsplit('/')
        .next()
        .is_some_and(|last| last.contains(':'))
    {
        wanted.to_string()
    } else {
        format!("{wanted}:latest")
    };
    image.id == wanted
        || image.tags.iter().any(|tag| *tag == tagged || tag == wanted)
        || image.digests.iter().any(|digest| digest == wanted)
}

/// Parses `docker inspect`'s JSON array and files each object under the
/// name it was asked by. Names docker did not find are absent.
pub fn parse(json: &str, requested: &[String]) -> Result<BTreeMap<String, Object>, String> {
    let trimmed = json.trim();
    if trimmed.is_empty() {
        return Ok(BTreeMap::new());
    }
    let raws: Vec<Raw> = serde_json::from_str(trimmed)
        .map_err(|err| format!("`docker inspect` printed what is not its JSON: {err}"))?;
    let mut containers = Vec::new();
    let mut images = Vec::new();
    for raw in raws {
        if raw.state.is_some() {
            containers.push(container(raw));
        } else {
            let config = raw.config.unwrap_or_default();
            let test = config
                .healthcheck
                .map(|healthcheck| healthcheck.test)
                .unwrap_or_default();
            let keys = |map: Option<BTreeMap<String, serde_json::Value>>| {
                map.unwrap_or_default().into_keys().collect()
            };
            images.push(Image {
                kind: "image",
                id: raw.id,
                tags: raw.repo_tags.unwrap_or_default(),
                digests: raw.repo_digests.unwrap_or_default(),
                exposed: keys(config.exposed_ports),
                volumes: keys(config.volumes),
                check: check_command(test),
            });
        }
    }
    let mut found = BTreeMap::new();
    for wanted in requested {
        let wanted_name = wanted.trim_start_matches('/');
        if let Some(at) = containers
            .iter()
            .position(|c| c.name == wanted_name || c.id == *wanted)
        {
            found.insert(wanted.clone(), Object::Container(containers.remove(at)));
        } else if let Some(image) = images.iter().find(|image| names_image(image, wanted)) {
            found.insert(wanted.clone(), Object::Image(image.clone()));
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real output of `docker inspect` for a running reyns container and an
    /// image, captured from the engine (tests/fixtures/inspect/).
    const CAPTURED: &str = include_str!("../../tests/fixtures/inspect/container-and-image.json");

    #[test]
    fn captured_container_and_image_are_read() {
        let names = vec![
            "reyns-capture-demo-one".to_string(),
            "reyns/reyns-base".to_string(),
            "absent".to_string(),
        ];
        let found = parse(CAPTURED, &names).unwrap();
        let Some(Object::Container(container)) = found.get("reyns-capture-demo-one") else {
            panic!("no container in {found:?}");
        };
        assert_eq!(container.state, "running");
        assert!(container.running);
        assert!(container.image.starts_with("sha256:"));
        assert_eq!(container.labels["reyns.service"], "demo");
        assert_eq!(container.env["SERVICE"], "demo");
        assert!(container.address.starts_with("172."), "{container:?}");
        assert_eq!(container.restart, "no");
        let Some(Object::Image(image)) = found.get("reyns/reyns-base") else {
            panic!("no image in {found:?}");
        };
        assert!(image.id.starts_with("sha256:"));
        assert!(!found.contains_key("absent"));
    }

    #[test]
    fn a_health_checks_last_output_is_read() {
        // A DNS container after a few runs of its check, captured.
        let captured = include_str!("../../tests/fixtures/inspect/dns-with-health-log.json");
        let name = "wbench-reyns-dns-one".to_string();
        let found = parse(captured, std::slice::from_ref(&name)).unwrap();
        let Some(Object::Container(dns)) = found.get(&name) else {
            panic!("no container in {found:?}");
        };
        assert_eq!(dns.health, "healthy");
        assert!(dns.health_output.ends_with("local.zone has SOA record dns.local.zone. admin.local.zone. 1796452567 3600 600 86400 60"), "{}", dns.health_output);
        // The captured demo container has no health log yet.
        let demo = "reyns-capture-demo-one".to_string();
        let found = parse(CAPTURED, std::slice::from_ref(&demo)).unwrap();
        let Some(Object::Container(demo)) = found.get(&demo) else {
            panic!()
        };
        assert_eq!(demo.health_output, "");
    }

    #[test]
    fn a_stock_images_ports_volumes_and_check_are_read() {
        // `docker inspect` of an image built FROM debian with EXPOSE,
        // VOLUME and HEALTHCHECK, captured from the engine.
        let captured = include_str!("../../tests/fixtures/inspect/stock-image.json");
        let name = "registry.reyns.test:5000/capture/store:1".to_string();
        let found = parse(captured, std::slice::from_ref(&name)).unwrap();
        let Some(Object::Image(image)) = found.get(&name) else {
            panic!("no image in {found:?}");
        };
        assert_eq!(image.exposed, ["53/udp", "7000/tcp"]);
        assert_eq!(image.volumes, ["/var/lib/store"]);
        assert_eq!(image.check, ["/bin/sh", "-c", "test -e /tmp/ready"]);
        assert!(image.digests.is_empty(), "built here, never pushed");
    }

    #[test]
    fn image_names_match_tags() {
        let image = Image {
            kind: "image",
            id: "sha256:abc".into(),
            tags: vec!["demo/web:latest".into(), "localhost:5000/x:1".into()],
            digests: vec!["localhost:5000/x@sha256:0123".into()],
            exposed: Vec::new(),
            volumes: Vec::new(),
            check: Vec::new(),
        };
        assert!(names_image(&image, "demo/web"));
        assert!(names_image(&image, "demo/web:latest"));
        assert!(names_image(&image, "localhost:5000/x:1"));
        assert!(names_image(&image, "sha256:abc"));
        assert!(names_image(&image, "localhost:5000/x@sha256:0123"));
        assert!(!names_image(&image, "demo/other"));
    }

    #[test]
    fn empty_output_is_nothing_found() {
        assert!(parse("", &["x".into()]).unwrap().is_empty());
        assert!(parse("[]\n", &["x".into()]).unwrap().is_empty());
        assert!(parse("not json", &["x".into()]).is_err());
    }
}
