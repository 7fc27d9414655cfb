//! `contract::` for scripts: the names reyns and its containers agree on
//! (markers, labels, the zone, Reyns' images), from [`crate::contract`],
//! their one home.

use super::{fail, to_map};
use crate::contract;
use rhai::plugin::*;
use rhai::Array;

/// An address's reverse zone and record name.
#[derive(serde::Serialize)]
struct Reverse {
    zone: String,
    name: String,
}

#[export_module]
pub mod api {
    /// What the entrypoint prints once the instance is ready.
    ///
    /// ```rhai
    /// let wait = #{ ready: contract::ready_marker(), failed: contract::failed_marker() };
    /// ```
    pub fn ready_marker() -> String {
        contract::READY_MARKER.into()
    }

    /// What the entrypoint (or a prestartup script) prints when it fails.
    ///
    /// ```rhai
    /// let failed = contract::failed_marker();
    /// ```
    pub fn failed_marker() -> String {
        contract::FAILED_MARKER.into()
    }

    /// The label `reyns.<name>`; throws for a label reyns does not know.
    ///
    /// ```rhai
    /// let filter = `label=${contract::label("project")}=${project::name()}`;
    /// ```
    #[rhai_fn(return_raw)]
    pub fn label(name: &str) -> Result<String, Box<EvalAltResult>> {
        match contract::label(name) {
            Some(label) => Ok(label),
            None => fail(format!(
                "no label `{name}`: reyns knows {}",
                contract::LABELS.join(", ")
            )),
        }
    }

    /// What every label of reyns' own starts with (`reyns.`): a conf's own
    /// labels may not.
    ///
    /// ```rhai
    /// if name.starts_with(contract::label_prefix()) { throw "reyns' own"; }
    /// ```
    pub fn label_prefix() -> String {
        contract::LABEL_PREFIX.into()
    }

    /// The DNS zone instances register in.
    ///
    /// ```rhai
    /// let fqdn = `demo-one.${contract::zone()}`;
    /// ```
    pub fn zone() -> String {
        contract::ZONE.into()
    }

    /// Reyns' own image layers, base first (`reyns-common`, ...); each is
    /// built from `images/<layer>-<os>`.
    ///
    /// ```rhai
    /// for layer in contract::image_layers() { term::out(layer); }
    /// ```
    pub fn image_layers() -> Array {
        contract::IMAGE_LAYERS
            .iter()
            .map(|layer| Dynamic::from(*layer))
            .collect()
    }

    /// The tag of one of Reyns' own images: `reyns/<name>`.
    ///
    /// ```rhai
    /// let base = contract::image_name("reyns-base-debian12");
    /// ```
    pub fn image_name(name: &str) -> String {
        format!("{}/{name}", contract::IMAGE_NAMESPACE)
    }

    /// The `docker stop` of every stop reyns makes, without the names: SIGTERM,
    /// then [`contract::STOP_GRACE_SECONDS`] for the service to flush before
    /// docker kills it. `-t` is the spelling every docker client takes
    /// (`--time` prints a deprecation notice since docker 28).
    ///
    /// ```rhai
    /// docker::run(contract::graceful_stop() + ["demo-one"]);
    /// ```
    pub fn graceful_stop() -> Array {
        let seconds = contract::STOP_GRACE_SECONDS.to_string();
        ["stop", "-t", seconds.as_str()]
            .iter()
            .map(|word| Dynamic::from(word.to_string()))
            .collect()
    }

    /// The service of Reyns' DNS (`reyns-dns`), also its image's name.
    pub fn dns_service() -> String {
        contract::DNS_SERVICE.to_string()
    }

    /// What registers an instance on the DNS inside Reyns' images, run again
    /// by `docker exec` (optionally with the address it replaces, removed in
    /// the same update).
    ///
    /// ```rhai
    /// docker::run(["exec", "demo-demo-one", contract::dns_register_script()]);
    /// ```
    pub fn dns_register_script() -> String {
        contract::DNS_REGISTER_SCRIPT.to_string()
    }

    /// The program that runs a front door in `reyns/reyns-proxy` and drives
    /// its HAProxy by `docker exec` (`switch <address> <drain>`, `target`,
    /// `ready`).
    ///
    /// ```rhai
    /// docker::run(["exec", "demo-web-one_door", contract::door_program(), "target"]);
    /// ```
    pub fn door_program() -> String {
        contract::DOOR_PROGRAM.to_string()
    }

    /// Where Reyns' images (the DNS's too) keep the installation's TSIG key:
    /// what nsupdate signs with when reyns registers a stock image's
    /// instance through the DNS container.
    ///
    /// ```rhai
    /// let key = contract::tsig_key_in_images(); // "/etc/reyns/tsig.key"
    /// ```
    pub fn tsig_key_in_images() -> String {
        contract::TSIG_KEY_IN_IMAGES.to_string()
    }

    /// The `NAME=value` env var that makes a start-first replacement's first
    /// start leave the DNS to reyns.
    pub fn dns_register_later() -> String {
        contract::DNS_REGISTER_LATER.to_string()
    }

    /// How long instance records live in caches unless `DNS_TTL` says
    /// otherwise (seconds).
    pub fn dns_ttl() -> i64 {
        i64::from(contract::DNS_TTL_SECONDS)
    }

    /// The reverse zone and record of an IPv4 address, `#{zone, name}`, or
    /// `()` for anything else.
    ///
    /// ```rhai
    /// let reverse = contract::reverse("10.1.2.3"); // #{zone: "2.1.10.in-addr.arpa", name: "3.2.1.10.in-addr.arpa"}
    /// ```
    #[rhai_fn(return_raw)]
    pub fn reverse(address: &str) -> Result<Dynamic, Box<EvalAltResult>> {
        match contract::reverse(address) {
            Some((zone, name)) => Ok(to_map(&super::Reverse { zone, name })?.into()),
            None => Ok(Dynamic::UNIT),
        }
    }
}
