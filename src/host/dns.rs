//! Dynamic DNS updates with `nsupdate`, the update script always on standard
//! input: the host's `nsupdate` when there is one, else the one inside Reyns'
//! images (`docker exec` into an instance, or a throw-away `reyns/reyns-base`
//! container), so a host with only the docker CLI works.

use super::session::Session;
use super::{fail, HostResult, Target};
use crate::exec::{self, Outcome};
use rhai::plugin::*;
use rhai::Map;

/// Sends an update script; returns what nsupdate said (in plan mode,
/// records it instead).
fn send(script: &str, container: Option<Target>, mode: &exec::Mode) -> HostResult<Outcome> {
    if which::which("nsupdate").is_ok() {
        let keys = super::keys::ensure().or_else(fail)?;
        let key = keys.join("tsig.key").display().to_string();
        let argv: Vec<String> = ["nsupdate", "-t", "5", "-k", &key]
            .map(String::from)
            .to_vec();
        let heredoc = || format!("{} <<'EOF'\n{script}EOF", shell_words::join(&argv));
        if exec::planned_line(heredoc, mode) {
            return Ok(Outcome::default());
        }
        let logged = format!("{} <<< update", shell_words::join(&argv));
        let output = exec::host_program(&argv, Some(&logged))?
            .stdin_bytes(script.as_bytes().to_vec())
            .stdout_capture()
            .stderr_capture()
            .unchecked()
            .run()
            .or_else(|err| fail(format!("cannot run nsupdate: {err}")))?;
        return Ok(Outcome::of(&output));
    }
    let mut argv: Vec<String> = match container {
        Some(target) => target.argv(&["exec", "--interactive"]),
        None => vec![
            "run".into(),
            "--rm".into(),
            "--interactive".into(),
            format!("{}/reyns-base", crate::contract::IMAGE_NAMESPACE),
        ],
    };
    argv.extend(
        [
            "nsupdate",
            "-t",
            "5",
            "-k",
            crate::contract::TSIG_KEY_IN_IMAGES,
        ]
        .map(String::from),
    );
    if exec::planned_line(
        || format!("{} <<'EOF'\n{script}EOF", exec::shown(&argv)),
        mode,
    ) {
        return Ok(Outcome::default());
    }
    exec::outcome(&argv, Some(script.as_bytes()))
}

#[export_module]
pub mod api {
    /// Sends an nsupdate script (`server ...`, `update ...`, `send`) signed with
    /// the installation's TSIG key, through the host's nsupdate or, without
    /// one, through `container` (`docker exec`; a container on another engine
    /// is that engine's docker options followed by its name, e.g.
    /// `["--host", "tcp://10.0.0.6:2375", "demo-demo-one"]`) or a throw-away
    /// container when `container` is `()`. Returns `#{ok, exit_code, stdout, stderr}`.
    ///
    /// ```rhai
    /// let result = dns::update("server 172.17.0.2\nupdate delete demo-one.local.zone A\nsend\n", ());
    /// ```
    #[rhai_fn(return_raw)]
    pub fn update(
        context: NativeCallContext,
        script: &str,
        container: Dynamic,
    ) -> Result<Map, Box<EvalAltResult>> {
        let container = if container.is_unit() {
            None
        } else {
            Some(Target::from_dynamic(&container, "dns::update")?)
        };
        Ok(send(script, container, &super::Session::of(&context).mode())?.to_map())
    }
}
