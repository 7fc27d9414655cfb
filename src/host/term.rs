//! Talking to the user: logging by `LOG_LEVEL`, plain output, and questions
//! that fail clearly, naming what was asked, when there is no terminal.

use super::fail;
pub use crate::log::{debugging, level, log, Level};
use rhai::plugin::*;
use std::io::{BufRead, IsTerminal, Write};

/// Whether both standard input and standard error are terminals.
pub fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Asks `question` on the terminal and reads one line; fails when there is none.
pub fn ask(question: &str) -> Result<String, Box<EvalAltResult>> {
    if !interactive() {
        return fail(format!(
            "cannot ask \"{question}\": no terminal to answer on"
        ));
    }
    eprint!("{question} ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    match std::io::stdin().lock().read_line(&mut answer) {
        Ok(0) => fail(format!("no answer to \"{question}\": input closed")),
        Ok(_) => Ok(answer.trim_end_matches(['\n', '\r']).to_string()),
        Err(err) => fail(format!("cannot read the answer to \"{question}\": {err}")),
    }
}

#[export_module]
pub mod api {
    /// Prints a line on standard output (the verb's result, for pipes).
    ///
    /// ```rhai
    /// term::out("demo,instance=one");
    /// ```
    pub fn out(message: &str) {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{message}");
    }

    /// Writes text on standard output as it is (no newline added).
    ///
    /// ```rhai
    /// term::write(result.stdout);
    /// ```
    pub fn write(text: &str) {
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(text.as_bytes());
        let _ = stdout.flush();
    }

    /// Writes text on standard error as it is (no newline added).
    ///
    /// ```rhai
    /// term::write_err(result.stderr);
    /// ```
    pub fn write_err(text: &str) {
        let mut stderr = std::io::stderr().lock();
        let _ = stderr.write_all(text.as_bytes());
        let _ = stderr.flush();
    }

    /// Logs a progress message on standard error (hidden above `LOG_LEVEL=INFO`).
    ///
    /// ```rhai
    /// term::info("building demo");
    /// ```
    pub fn info(message: &str) {
        log(Level::Info, message);
    }

    /// Logs a message shown only with `LOG_LEVEL=DEBUG`.
    ///
    /// ```rhai
    /// term::verbose(`links: ${links}`);
    /// ```
    pub fn verbose(message: &str) {
        log(Level::Debug, message);
    }

    /// Logs a warning on standard error.
    ///
    /// ```rhai
    /// term::warn("several instances match, using the first");
    /// ```
    pub fn warn(message: &str) {
        log(Level::Warning, message);
    }

    /// Whether a person is at a terminal to answer questions.
    ///
    /// ```rhai
    /// if !term::is_interactive() { throw "use force=True"; }
    /// ```
    pub fn is_interactive() -> bool {
        interactive()
    }

    /// Asks a yes/no question; fails, naming the question, without a terminal.
    ///
    /// ```rhai
    /// if !term::confirm("Remove 3 containers?") { return; }
    /// ```
    #[rhai_fn(return_raw)]
    pub fn confirm(question: &str) -> Result<bool, Box<EvalAltResult>> {
        let answer = ask(&format!("{question} [y/N]"))?;
        Ok(matches!(
            answer.trim().to_ascii_lowercase().as_str(),
            "y" | "yes"
        ))
    }

    /// Asks before a change that cannot be undone: in plan mode, yes at
    /// once (nothing changes); without a terminal, fails saying how to go
    /// on without asking (`unasked`, e.g. "add force=True to remove without
    /// asking"); else as `confirm`.
    ///
    /// ```rhai
    /// if !term::confirm_change("Remove them?", "add force=True to remove without asking") { return 1; }
    /// ```
    #[rhai_fn(return_raw)]
    pub fn confirm_change(
        context: NativeCallContext,
        question: &str,
        unasked: &str,
    ) -> Result<bool, Box<EvalAltResult>> {
        if super::super::session::Session::of(&context)
            .mode()
            .is_plan()
        {
            return Ok(true);
        }
        if !interactive() {
            return fail(format!("no terminal to confirm on: {unasked}"));
        }
        confirm(question)
    }

    /// Asks for a value; fails, naming the question, without a terminal.
    ///
    /// ```rhai
    /// let ip = term::prompt("Value for DNS_SERVICE_IP:");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn prompt(question: &str) -> Result<String, Box<EvalAltResult>> {
        ask(question)
    }

    /// Fails with a usage error: the message is shown and reyns exits 2.
    ///
    /// ```rhai
    /// term::usage_error("build needs a service name or `all`");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn usage_error(message: &str) -> Result<(), Box<EvalAltResult>> {
        super::super::usage(message)
    }
}
