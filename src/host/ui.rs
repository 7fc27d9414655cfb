//! `ui::` for scripts: serving the local dashboard ([`crate::dashboard`])
//! until Ctrl-C, with a new random token each start.

use super::fail;
use crate::dashboard::{self, Config};
use rhai::plugin::*;
use serde::Deserialize;
use std::io::Write;
use std::time::Duration;

/// What a script says the dashboard serves (`ui::serve`'s map).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    bind: String,
    port: i64,
    project: String,
    instances: String,
    plan: String,
    converge_args: String,
    releases: String,
    logs: String,
    verbs: Vec<String>,
    refresh: f64,
    plan_refresh: f64,
}

/// 32 random bytes as hex: the page's token.
fn new_token() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes)
        .map_err(|err| format!("no randomness for the token: {err}"))?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

#[export_module]
pub mod api {
    /// Serves the dashboard until Ctrl-C, printing its URL once it listens.
    /// `options`: `bind` and `port` (0: any free port), the `project` it
    /// shows, the reyns command lines that feed it (`instances`: JSON from
    /// `ps`, `plan`: a converge plan, `releases`: JSON, `logs`: following,
    /// with `{target}` for `all` or `service,instance`), `converge_args`
    /// (what the converge button runs after `run:`), the `verbs` a POST may
    /// run, and the seconds between reads (`refresh`, `plan_refresh`).
    ///
    /// ```rhai
    /// ui::serve(#{ bind: "127.0.0.1", port: 8700, project: "demo", instances: "ps:all,format=json",
    ///     plan: "run:all,plan=True,format=json", converge_args: "all", releases: "releases:format=json",
    ///     logs: "logs:{target},follow=True", verbs: ["_start", "_stop"], refresh: 2.0, plan_refresh: 10.0 });
    /// ```
    #[rhai_fn(return_raw)]
    pub fn serve(options: rhai::Map) -> Result<(), Box<EvalAltResult>> {
        let options: Options = rhai::serde::from_dynamic(&options.into())
            .or_else(|err| fail(format!("ui::serve: {err}")))?;
        let Ok(port) = u16::try_from(options.port) else {
            return fail(format!("port={} is not a TCP port (0-65535)", options.port));
        };
        let config = Config {
            bind: options.bind,
            port,
            project: options.project,
            instances: options.instances,
            plan: options.plan,
            converge_args: options.converge_args,
            releases: options.releases,
            logs: options.logs,
            verbs: options.verbs,
            refresh: Duration::from_secs_f64(options.refresh.max(0.2)),
            plan_refresh: Duration::from_secs_f64(options.plan_refresh.max(1.0)),
            token: new_token().or_else(fail)?,
        };
        let listening = |url: &str| {
            let mut stdout = std::io::stdout().lock();
            let _ = writeln!(stdout, "reyns ui: {url} (Ctrl-C stops it)");
            let _ = stdout.flush();
        };
        dashboard::serve(config, listening, crate::exec::interrupted).or_else(fail)
    }
}
