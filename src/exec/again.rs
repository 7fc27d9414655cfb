//! This reyns run again as a child (the dashboard runs each verb so) and
//! stopped gracefully.

use super::in_own_group;
use crate::log::{self, Level};

/// This reyns again, with `argv` (`["ps:all,format=json"]`), in a process
/// group of its own: how the dashboard runs verbs, each in a process of its
/// own, exactly as the command line does. Logged at DEBUG.
pub fn reyns_again(argv: &[String]) -> Result<duct::Expression, String> {
    let program =
        std::env::current_exe().map_err(|err| format!("cannot tell where this reyns is: {err}"))?;
    log::log(
        Level::Debug,
        &format!("$ reyns {}", shell_words::join(argv)),
    );
    Ok(in_own_group(duct::cmd(program, argv)))
}

/// Stops a command started with [`reyns_again`] or [`command`] and read
/// from: SIGTERM first, so that a reyns stops what it started itself (a
/// `reyns logs` its `docker logs`), then, after `grace`, SIGKILL.
pub fn stop_gracefully(child: &duct::ReaderHandle, grace: std::time::Duration) {
    for pid in child.pids() {
        // SAFETY: signalling a process this reyns started and still holds.
        unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    }
    let deadline = std::time::Instant::now() + grace;
    while std::time::Instant::now() < deadline {
        if !matches!(child.try_wait(), Ok(None)) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _ = child.kill();
}
