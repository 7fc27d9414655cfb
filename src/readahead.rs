//! Read-ahead: the queries a verb made first, started before its scripts compile.
//!
//! A verb's first docker commands are usually reads (`ps` lists the
//! project's containers, a converge lists and inspects them), and reyns
//! spends a few milliseconds starting up and compiling scripts before it
//! gets to them. So each run remembers the reads it made before its first
//! change, per project and invocation, and the next run with the same
//! invocation starts those reads at once, side by side with the compiling.
//!
//! A read started ahead is only ever a stand-in for the same argv asked a
//! moment later: a script gets its result only when it asks for exactly
//! that command, before reyns has changed anything, and within
//! [`FRESH_FOR`] of its start. Anything else (another argv, a change first,
//! a slow prompt) runs the command afresh, and what was read ahead is
//! killed unread. `REYNS_READAHEAD=0` turns it off.
//!
//! Only docker commands that cannot change anything are remembered or
//! started ([`is_docker_read`]): a script that runs something else through
//! a read function, or a tampered file, never gets a command run ahead.
//!
//! This module keeps the remembered reads and the started handles; how a
//! command is built and run is [`crate::exec`]'s.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

/// How long a read started ahead stands in for the same read asked later.
pub const FRESH_FOR: Duration = Duration::from_secs(1);

/// How many reads one invocation remembers.
const MAX_READS: usize = 8;

/// How many invocations one project's file remembers; past that it starts over.
const MAX_INVOCATIONS: usize = 64;

/// One remembered file: invocation -> the argvs it read before its first change.
type Remembered = BTreeMap<String, Vec<Vec<String>>>;

/// A read started ahead.
struct Started {
    argv: Vec<String>,
    handle: duct::Handle,
    at: Instant,
}

/// What this run knows: where its reads are remembered, the reads started
/// ahead and not yet claimed, and the reads it made before its first change.
struct State {
    began: SystemTime,
    file: PathBuf,
    invocation: String,
    remembered: Vec<Vec<String>>,
    started: Vec<Started>,
    reads: Vec<Vec<String>>,
    changed: bool,
}

static STATE: Mutex<Option<State>> = Mutex::new(None);

fn state() -> MutexGuard<'static, Option<State>> {
    // A panic elsewhere cannot leave the state half-written: use it as is.
    STATE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether `REYNS_READAHEAD` leaves read-ahead on (anything but `0`, `false`, `no`).
pub fn enabled() -> bool {
    !matches!(
        std::env::var("REYNS_READAHEAD")
            .unwrap_or_default()
            .to_ascii_lowercase()
            .as_str(),
        "0" | "false" | "no"
    )
}

/// docker's global options that take a value (`--host tcp://...`).
const GLOBAL_OPTIONS_WITH_VALUE: [&str; 4] = ["--host", "-H", "--context", "-c"];

/// Whether `argv` (after docker's own `--host`/`--context`) only reads:
/// `ps`, `inspect`, `images`, `info`, `version`, or `ls`/`inspect` of a
/// management command (`image inspect`, `network ls`, ...).
pub fn is_docker_read(argv: &[String]) -> bool {
    let mut words = argv.iter().map(String::as_str);
    let command = loop {
        match words.next() {
            Some(option) if GLOBAL_OPTIONS_WITH_VALUE.contains(&option) => {
                words.next();
            }
            other => break other,
        }
    };
    match command {
        Some("ps" | "inspect" | "images" | "info" | "version") => true,
        Some("container" | "image" | "network" | "volume" | "context") => {
            matches!(words.next(), Some("inspect" | "ls" | "list"))
        }
        _ => false,
    }
}

/// Starts remembering this run's reads in `file` under `invocation`, and
/// returns the reads the last run with that invocation made first: the
/// caller starts them and hands each to [`keep`]. `began` is when the caller
/// last saw the project's lock free: a lock taken since makes them stale.
pub fn begin(file: &Path, invocation: &str, began: SystemTime) -> Vec<Vec<String>> {
    let remembered: Vec<Vec<String>> = read_file(file)
        .remove(invocation)
        .unwrap_or_default()
        .into_iter()
        .filter(|argv| is_docker_read(argv))
        .collect();
    *state() = Some(State {
        began,
        file: file.to_path_buf(),
        invocation: invocation.to_string(),
        remembered: remembered.clone(),
        started: Vec::new(),
        reads: Vec::new(),
        changed: false,
    });
    remembered
}

/// Keeps a read started ahead until the script asks for it.
pub fn keep(argv: Vec<String>, handle: duct::Handle) {
    if let Some(state) = state().as_mut() {
        state.started.push(Started {
            argv,
            handle,
            at: Instant::now(),
        });
    }
}

/// The read of `argv` started ahead, if it may stand in for running it now;
/// otherwise records `argv` as one of this run's first reads (the caller
/// runs it).
pub fn take(argv: &[String]) -> Option<duct::Handle> {
    let mut guard = state();
    let state = guard.as_mut()?;
    if state.changed {
        return None;
    }
    if state.reads.len() < MAX_READS && is_docker_read(argv) {
        state.reads.push(argv.to_vec());
    }
    let found = state.started.iter().position(|s| s.argv == argv)?;
    let started = state.started.remove(found);
    if started.at.elapsed() > FRESH_FOR {
        let _ = started.handle.kill();
        return None;
    }
    Some(started.handle)
}

/// Records that reyns is about to change something: reads started ahead
/// can no longer stand in for later ones, and are killed.
pub fn changing() {
    let mut guard = state();
    let Some(state) = guard.as_mut() else { return };
    if !state.changed {
        state.changed = true;
        for unclaimed in state.started.drain(..) {
            let _ = unclaimed.handle.kill();
        }
    }
}

/// Whether a change another process began at `when` (as read off the
/// system clock: when it took the project's lock) may be missing from reads
/// started ahead: it came after read-ahead began.
pub fn changed_at(when: SystemTime) -> bool {
    let guard = state();
    guard.as_ref().is_some_and(|state| when >= state.began)
}

/// Kills the reads nobody claimed and remembers this run's first reads for
/// the next run (the file is written only when they differ). Never fails:
/// read-ahead is an optimisation, a file it cannot write is left alone.
pub fn finish() {
    let Some(state) = state().take() else { return };
    for unclaimed in state.started {
        let _ = unclaimed.handle.kill();
    }
    let file = state.file;
    let mut before = state.remembered;
    let mut now = state.reads.clone();
    before.sort();
    now.sort();
    if before == now {
        return;
    }
    let mut remembered = read_file(&file);
    if remembered.len() >= MAX_INVOCATIONS && !remembered.contains_key(&state.invocation) {
        remembered.clear();
    }
    if state.reads.is_empty() {
        remembered.remove(&state.invocation);
    } else {
        remembered.insert(state.invocation, state.reads);
    }
    let _ = write_file(&file, &remembered);
}

/// A project's remembered reads; a missing or unreadable file is none.
fn read_file(file: &Path) -> Remembered {
    std::fs::read(file)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// Writes `remembered` through a temporary file, so that a concurrent run
/// reads either the old file or the new one.
fn write_file(file: &Path, remembered: &Remembered) -> std::io::Result<()> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let temporary = file.with_extension(format!("{}.tmp", std::process::id()));
    std::fs::write(&temporary, serde_json::to_vec(remembered)?)?;
    std::fs::rename(&temporary, file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &str) -> Vec<String> {
        words.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn only_docker_reads_are_read_ahead() {
        for read in [
            "ps --all",
            "inspect a b",
            "--host tcp://10.0.0.6:2375 ps",
            "--context lab2 inspect a",
            "image inspect reyns/reyns-base",
            "network ls",
            "images",
        ] {
            assert!(is_docker_read(&argv(read)), "{read}");
        }
        for change in [
            "run -d x",
            "rm -f x",
            "--host tcp://h:1 run x",
            "image rm x",
            "network create n",
            "exec x true",
            "--host",
            "",
        ] {
            assert!(!is_docker_read(&argv(change)), "{change}");
        }
    }

    /// A command that stands in for a docker read: it prints its argument.
    fn started(words: &str) -> duct::Handle {
        duct::cmd("echo", [words])
            .stdout_capture()
            .start()
            .expect("start echo")
    }

    fn run_once(file: &Path, invocation: &str, script: impl FnOnce()) -> Vec<Vec<String>> {
        let ahead = begin(file, invocation, SystemTime::now());
        for read in &ahead {
            keep(read.clone(), started(&read.join(" ")));
        }
        script();
        finish();
        ahead
    }

    // One test, so that runs never share the process-wide state at once.
    #[test]
    fn reads_made_first_are_started_ahead_next_time_and_only_stand_in_for_the_same_read() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("readahead").join("project.json");

        // The first run starts nothing and remembers its two reads, not
        // the one after its change.
        let ahead = run_once(&file, "ps", || {
            assert!(take(&argv("ps --filter a")).is_none());
            assert!(take(&argv("inspect x")).is_none());
            changing();
            assert!(take(&argv("inspect y")).is_none());
        });
        assert!(ahead.is_empty());

        // The next run starts both; the same argv gets its output.
        let ahead = run_once(&file, "ps", || {
            let handle = take(&argv("ps --filter a")).expect("read ahead");
            let output = handle.into_output().expect("output");
            assert_eq!(String::from_utf8_lossy(&output.stdout), "ps --filter a\n");
            // Another argv is not stood in for.
            assert!(take(&argv("ps --filter b")).is_none());
            // After a change, not even the same one.
            changing();
            assert!(take(&argv("inspect x")).is_none());
        });
        assert_eq!(ahead, vec![argv("ps --filter a"), argv("inspect x")]);

        // That run read other things first: the next one starts those.
        let ahead = run_once(&file, "ps", || {});
        assert_eq!(ahead, vec![argv("ps --filter a"), argv("ps --filter b")]);
        // ...and, having read nothing, it leaves nothing for the one after.
        assert!(run_once(&file, "ps", || {}).is_empty());

        // Invocations are remembered apart.
        run_once(&file, "ps:all", || {
            assert!(take(&argv("ps --all")).is_none());
        });
        assert!(run_once(&file, "ps", || {}).is_empty());
        assert_eq!(run_once(&file, "ps:all", || {}), vec![argv("ps --all")]);

        // A read started ahead too long ago is not stood in for.
        begin(&file, "stale", SystemTime::now());
        state().as_mut().expect("begun").started.push(Started {
            argv: argv("ps"),
            handle: started("ps"),
            at: Instant::now() - FRESH_FOR - Duration::from_millis(1),
        });
        assert!(take(&argv("ps")).is_none());
        finish();

        // A change another process began after read-ahead began counts;
        // one just before it does not.
        let before = SystemTime::now();
        begin(&file, "ps", SystemTime::now());
        assert!(changed_at(SystemTime::now()));
        assert!(!changed_at(before));
        assert!(!changed_at(SystemTime::now() - Duration::from_secs(1)));
        finish();
        assert!(!changed_at(SystemTime::now()), "nothing to go stale");

        // A file that asks for anything but a read gets only its reads started.
        std::fs::write(&file, r#"{"ps": [["run", "-d", "x"], ["ps"]]}"#).expect("write");
        assert_eq!(run_once(&file, "ps", || {}), vec![argv("ps")]);

        // A file that is not JSON counts as nothing remembered.
        std::fs::write(&file, "not json").expect("write");
        assert!(run_once(&file, "ps", || {}).is_empty());
    }
}
