//! Signals: SIGINT and SIGTERM let running commands finish and start no
//! new ones; the verb then stops with an error.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// Set once SIGINT or SIGTERM arrives; `ACKNOWLEDGED` once the verb has
/// handled it itself.
static INTERRUPTED: OnceLock<Arc<AtomicBool>> = OnceLock::new();
static ACKNOWLEDGED: AtomicBool = AtomicBool::new(false);

fn interrupt_flag() -> &'static Arc<AtomicBool> {
    INTERRUPTED.get_or_init(|| Arc::new(AtomicBool::new(false)))
}

/// Whether SIGINT or SIGTERM arrived: long verbs stop scheduling new work.
pub fn interrupted() -> bool {
    interrupt_flag().load(Ordering::Relaxed)
}

/// Records that the verb handled the interrupt itself (it stopped cleanly).
pub fn acknowledge_interrupt() {
    ACKNOWLEDGED.store(true, Ordering::Relaxed);
}

/// Whether an interrupt arrived that the verb did not handle itself.
pub fn interrupted_unhandled() -> bool {
    interrupted() && !ACKNOWLEDGED.load(Ordering::Relaxed)
}

/// Catches SIGINT and SIGTERM so that running commands finish and no new
/// ones start (commands run in their own process group, so the terminal's
/// Ctrl-C reaches reyns only); the verb then stops with an error.
pub fn catch_signals() {
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // Registering can only fail for a signal that cannot be caught.
        let _ = signal_hook::flag::register(signal, Arc::clone(interrupt_flag()));
    }
}
