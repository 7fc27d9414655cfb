//! The contract between reyns and what runs in its containers: the
//! entrypoint's markers, the labels on containers and images, the DNS zone,
//! where the TSIG key lives inside the images, and the names of Reyns' own
//! images. This is their one home; scripts read them through `contract::`,
//! and a test fails when `images/`, the fake docker or `bench/` spell them
//! differently.

/// What the entrypoint prints once the instance is ready.
pub const READY_MARKER: &str = "[INFO] Executing Docker entrypoint command";

/// What the entrypoint (or a prestartup script) prints when it fails.
pub const FAILED_MARKER: &str = "[ERROR] Exit code";

/// Every label reyns puts on a container or image is `reyns.<name>`.
pub const LABEL_PREFIX: &str = "reyns.";

/// The labels reyns knows: on containers (all of them) and on the images
/// it builds from a project (`project`, `service`). Reyns' own images carry
/// none: on the classic builder a `--label` is one more step (a container
/// made and committed, ~2.5 s on fuse-overlayfs), and nothing read it.
pub const LABELS: [&str; 16] = [
    "project",
    "service",
    "instance",
    "instance_type",
    "conf",
    "group",
    "dns",
    "hash",
    "inputs",
    // The id of the image an instance was made from: with `hash`, what lets
    // a converge that changes nothing decide from `docker ps` alone.
    "image",
    // On a swarm: the node an instance with persistent data is pinned to,
    // and the `service create` argv it was made with (what an update diffs).
    "pinned",
    "create",
    // The image a conf entry names (`"image": "redis:7"`): a stock image
    // run as it is, with no reyns entrypoint, sshd or supervisord in it.
    "stock",
    // A one-shot job (`"job": true`): exited 0 is completed, not stopped.
    "job",
    // A front door (`reyns-proxy`): the container name of the instance it
    // holds the published ports of, and what it forwards (`ip|port|port`).
    "door",
    "door_ports",
];

/// The env vars reyns sets on every instance that the entrypoint reads
/// (`${NAME:-}`): `lib/argv.rhai` passes each (its list of fixed vars), and
/// a test holds both to this list.
pub const ENTRYPOINT_ENV: [&str; 8] = [
    "SERVICE",
    "INSTANCE",
    "PERSISTENT_DATA",
    "PERSISTENT_LOG",
    "PERSISTENT_OPT",
    "PERSISTENT_HOME",
    "SAFEMODE",
    "SAFE_PERSISTENCY",
];

/// The DNS zone instances register in (`demo-one.local.zone`).
pub const ZONE: &str = "local.zone";

/// Where Reyns' images keep the installation's TSIG key (bind and nsupdate
/// read it there).
pub const TSIG_KEY_IN_IMAGES: &str = "/etc/reyns/tsig.key";

/// The file that marks the DNS image: its prestartup does not register the
/// DNS on itself.
pub const DNS_SERVER_FLAG: &str = "/etc/reyns/dns-server";

/// Reyns' own images, base first, each `reyns/<layer>-<os>` built from
/// `images/<layer>-<os>`.
pub const IMAGE_LAYERS: [&str; 4] = ["reyns-common", "reyns-base", "reyns-dns", "reyns-proxy"];

/// The program in `reyns/reyns-proxy` that runs a front door and drives its
/// HAProxy (`switch`, `target`, `ready`), by `docker exec`.
pub const DOOR_PROGRAM: &str = "/usr/local/bin/reyns-door";

/// What registers an instance on the DNS (from reyns-base): its prestartup
/// runs it, and reyns runs it again by `docker exec` (a DNS that was remade,
/// a start-first replacement taking its name).
pub const DNS_REGISTER_SCRIPT: &str = "/usr/local/bin/dns-register.sh";

/// The env var that makes a start-first replacement's first start leave the
/// DNS alone: reyns moves the name to it once it is ready.
pub const DNS_REGISTER_LATER: &str = "DNS_REGISTER=later";

/// How long instances' DNS records live in caches unless their `DNS_TTL`
/// says otherwise: a start-first recreate drains the old container at least
/// this long after the name moved.
pub const DNS_TTL_SECONDS: u32 = 2;

/// The service of Reyns' DNS (and its image, `reyns/reyns-dns`): its
/// instances are the DNS others register on, recreated stop-first.
pub const DNS_SERVICE: &str = "reyns-dns";

/// The namespace of Reyns' own images.
pub const IMAGE_NAMESPACE: &str = "reyns";

/// How long a service gets to stop after SIGTERM before docker kills it
/// (docker's own default, as `docker-compose down` gives): every stop reyns
/// makes, by `clean`, `_stop` or a recreate, is this graceful one.
pub const STOP_GRACE_SECONDS: u32 = 10;

/// The label `name` (`reyns.<name>`), when reyns knows it.
pub fn label(name: &str) -> Option<String> {
    LABELS
        .contains(&name)
        .then(|| format!("{LABEL_PREFIX}{name}"))
}

/// The reverse zone and record name of an IPv4 address:
/// `10.1.2.3` -> (`2.1.10.in-addr.arpa`, `3.2.1.10.in-addr.arpa`).
pub fn reverse(address: &str) -> Option<(String, String)> {
    let octets: Vec<&str> = address.split('.').collect();
    if octets.len() != 4 || octets.iter().any(|o| o.parse::<u8>().is_err()) {
        return None;
    }
    let zone = format!("{}.{}.{}.in-addr.arpa", octets[2], octets[1], octets[0]);
    Some((zone.clone(), format!("{}.{zone}", octets[3])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn read(path: &str) -> String {
        let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
        std::fs::read_to_string(&full).unwrap_or_else(|err| panic!("{}: {err}", full.display()))
    }

    fn spells(path: &str, expected: &str) {
        assert!(
            read(path).contains(expected),
            "{path} does not spell `{expected}` as src/contract.rs does"
        );
    }

    #[test]
    fn images_fake_docker_and_bench_spell_the_contract_the_same() {
        let entrypoint = "images/reyns-common-debian12/entrypoint.sh";
        spells(entrypoint, &format!("echo \"{READY_MARKER}"));
        spells(entrypoint, &format!("echo \"{FAILED_MARKER}"));
        spells(
            "images/reyns-common-debian12/run-prestartup.sh",
            &format!("echo \"{FAILED_MARKER}"),
        );
        spells("tests/support/fake_docker.rs", READY_MARKER);
        spells(
            "tests/support/fake_docker.rs",
            &format!("\"{LABEL_PREFIX}{{key}}=\""),
        );
        for script in ["bench/run", "bench/scenario"] {
            spells(script, &format!("marker='{READY_MARKER}'"));
        }
        for name in ENTRYPOINT_ENV {
            spells(entrypoint, &format!("${{{name}:-"));
            spells("scripts/lib/argv.rhai", &format!("\"{name}\""));
        }
        let zone_helper = "images/reyns-base-debian12/zone.sh";
        spells(zone_helper, &format!("zone={ZONE}\n"));
        spells(zone_helper, &format!("key={TSIG_KEY_IN_IMAGES}\n"));
        spells(
            "images/reyns-dns-debian12/Dockerfile",
            &format!("SOA {ZONE} 127.0.0.1"),
        );
        spells(
            "images/reyns-dns-debian12/named.conf",
            &format!("include \"{TSIG_KEY_IN_IMAGES}\";"),
        );
        spells(
            "images/reyns-base-debian12/Dockerfile",
            &format!("keys/tsig.key {TSIG_KEY_IN_IMAGES}"),
        );
        spells(
            "images/reyns-dns-debian12/Dockerfile",
            &format!("touch {DNS_SERVER_FLAG}"),
        );
        let base_prestartup = "images/reyns-base-debian12/prestartup_reyns-base.sh";
        spells(base_prestartup, &format!("[ -e {DNS_SERVER_FLAG} ]"));
        spells(base_prestartup, &format!("exec {DNS_REGISTER_SCRIPT}\n"));
        let (variable, value) = DNS_REGISTER_LATER.split_once('=').unwrap();
        spells(
            base_prestartup,
            &format!("\"${{{variable}:-}}\" = {value} "),
        );
        spells(
            "images/reyns-base-debian12/dns-register.sh",
            &format!("ttl=${{DNS_TTL:-{DNS_TTL_SECONDS}}}\n"),
        );
        spells(
            "images/reyns-base-debian12/Dockerfile",
            &format!(
                "dns-register.sh {}",
                DNS_REGISTER_SCRIPT.rsplit_once('/').unwrap().0
            ),
        );
        spells(
            "images/reyns-proxy-debian12/Dockerfile",
            &format!("reyns-door {}", DOOR_PROGRAM),
        );
        for layer in IMAGE_LAYERS {
            assert!(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join(format!("images/{layer}-debian12/Dockerfile"))
                    .exists(),
                "no images/{layer}-debian12"
            );
        }
    }

    #[test]
    fn scripts_take_the_contract_from_here() {
        let spelled = [
            READY_MARKER,
            FAILED_MARKER,
            "\"local.zone\"",
            "\"reyns-dns\"",
            "`reyns.",
            "\"reyns.",
        ];
        let mut folders = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts")];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    folders.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                // Comments may name them; code takes them from contract::.
                let code: Vec<&str> = text
                    .lines()
                    .filter(|line| !line.trim_start().starts_with("//"))
                    .collect();
                for literal in spelled {
                    assert!(
                        !code.iter().any(|line| line.contains(literal)),
                        "{} spells `{literal}`: use contract:: instead",
                        path.display()
                    );
                }
            }
        }
    }

    #[test]
    fn shell_and_host_agree_on_reverse_zones() {
        let helper =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("images/reyns-base-debian12/zone.sh");
        let out = std::process::Command::new(&helper)
            .arg("10.1.2.3")
            .output()
            .expect("zone.sh runs as a program");
        let (zone, name) = reverse("10.1.2.3").unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("{zone}\n{name}\n")
        );
        assert_eq!(zone, "2.1.10.in-addr.arpa");
        assert_eq!(reverse("10.1.2"), None);
        assert_eq!(label("hash").as_deref(), Some("reyns.hash"));
        assert_eq!(label("nosuch"), None);
    }
}
