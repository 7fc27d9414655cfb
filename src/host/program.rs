//! Running host programs other than docker (`git` for the daemon, a
//! project's `setup.sh`), always as an argument vector through duct, in the
//! project folder. The program is found on PATH; a missing one is a clear
//! error naming it.

use super::{fail, strings, HostResult};
use rhai::plugin::*;
use rhai::{Array, Map};

/// Runs `argv` in the project folder to completion, capturing both outputs.
fn capture_in_project(argv: &[String]) -> HostResult<crate::exec::Outcome> {
    let output = crate::exec::host_program(argv, None)?
        .dir(super::project::dir())
        .stdin_null()
        .stdout_capture()
        .stderr_capture()
        .unchecked()
        .run()
        .or_else(|err| fail(format!("cannot run `{}`: {err}", shell_words::join(argv))))?;
    Ok(crate::exec::Outcome::of(&output))
}

#[export_module]
pub mod api {
    /// Runs a host program (found on PATH) in the project folder and returns
    /// `#{ok, exit_code, stdout, stderr}`; fails only when it cannot start.
    ///
    /// ```rhai
    /// let head = program::capture(["git", "rev-parse", "HEAD"]).stdout;
    /// ```
    #[rhai_fn(return_raw)]
    pub fn capture(argv: Array) -> Result<Map, Box<EvalAltResult>> {
        let argv = strings(&argv, "program::capture")?;
        Ok(capture_in_project(&argv)?.to_map())
    }

    /// Like `capture`, but fails on a non-zero exit with the command, its
    /// exit code and the tail of its error output; returns trimmed stdout.
    ///
    /// ```rhai
    /// program::run(["git", "fetch", "--quiet", "origin"]);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn run(argv: Array) -> Result<String, Box<EvalAltResult>> {
        let argv = strings(&argv, "program::run")?;
        let done = capture_in_project(&argv)?;
        if done.code != 0 {
            let detail = if done.stderr.trim().is_empty() {
                &done.stdout
            } else {
                &done.stderr
            };
            return fail(format!(
                "`{}` failed with exit code {}:\n{}",
                shell_words::join(&argv),
                done.code,
                crate::exec::tail(detail)
            ));
        }
        Ok(done.stdout.trim_end().to_string())
    }
}
