//! The project: its name and folders, with the environment overrides of the
//! original Reyns (`PROJECT_NAME`, `PROJECT_DIR`, `SERVICES_IMAGES_DIR`,
//! `DATA_DIR`) and the installation folder `$REYNS_HOME`.

use super::fail;
use rhai::plugin::*;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The project lock this process holds, kept open until it exits.
static HELD_LOCK: Mutex<Option<std::fs::File>> = Mutex::new(None);

/// Takes the project's lock (`$REYNS_HOME/locks/<name>.lock`), waiting up to
/// `timeout`; a second call in the same process is a no-op.
pub fn lock(timeout: Duration) -> Result<(), String> {
    let mut held = HELD_LOCK
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if held.is_some() {
        return Ok(());
    }
    let path = lock_path();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|err| format!("cannot create `{}`: {err}", dir.display()))?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|err| format!("cannot open `{}`: {err}", path.display()))?;
    let deadline = Instant::now() + timeout;
    let mut told = false;
    loop {
        if file.try_lock().is_ok() {
            // Another reyns that took the lock after this one started may
            // have changed the project: reads started ahead are stale.
            let last_taken = taken_at(&read_lock_record(&file));
            if told || last_taken.is_some_and(crate::readahead::changed_at) {
                crate::readahead::changing();
            }
            let _ = file.set_len(0);
            let _ = std::os::unix::fs::FileExt::write_all_at(&file, lock_record().as_bytes(), 0);
            *held = Some(file);
            return Ok(());
        }
        if Instant::now() >= deadline || crate::exec::interrupted() {
            let owner = std::fs::read_to_string(&path).unwrap_or_default();
            return Err(format!(
                "another reyns (pid {}) is changing project `{}`: gave up waiting after {} s",
                holder(&owner),
                name(),
                timeout.as_secs()
            ));
        }
        if !told {
            super::term::log(
                super::term::Level::Info,
                &format!(
                    "waiting for another reyns working on project `{}` ...",
                    name()
                ),
            );
            told = true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// What the lock's holder writes into the lock file: its pid, then when it
/// took the lock (nanoseconds since the epoch). The next holder compares
/// that time with when its reads started ahead, to the nanosecond: a file's
/// own modification time is stamped by a coarse clock.
fn lock_record() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    format!("{}\n{}\n", std::process::id(), now.as_nanos())
}

/// The lock file's text as its last holder left it (empty when none has).
fn read_lock_record(file: &std::fs::File) -> String {
    let mut text = String::new();
    let _ = std::io::Read::read_to_string(&mut &*file, &mut text);
    text
}

/// The pid of the lock's holder, from its record.
fn holder(record: &str) -> &str {
    record.lines().next().unwrap_or_default().trim()
}

/// When the last holder took the lock, from its record; `None` when no
/// holder has written one.
fn taken_at(record: &str) -> Option<SystemTime> {
    let nanos: u64 = record.lines().nth(1)?.trim().parse().ok()?;
    Some(UNIX_EPOCH + Duration::from_nanos(nanos))
}

/// The project's lock file: `$REYNS_HOME/locks/<name>.lock`.
fn lock_path() -> PathBuf {
    reyns_home().join("locks").join(format!("{}.lock", name()))
}

/// Lets go of the project's lock when this process holds it.
pub fn unlock() {
    let mut held = HELD_LOCK
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    *held = None;
}

/// Whether no other reyns holds the project's lock right now (a missing
/// lock file is free). Checked with a shared lock taken and dropped at once.
pub fn lock_is_free() -> bool {
    match std::fs::File::open(lock_path()) {
        Ok(file) => file.try_lock_shared().is_ok(),
        Err(_) => true,
    }
}

/// Why a project name is unusable in container names and image tags.
pub fn name_problem(name: &str) -> Option<String> {
    let fine = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c))
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric());
    (!fine).then(|| {
        format!(
            "project name `{name}` cannot name containers and images: use lower-case letters, digits, `-`, `_` and `.` (set PROJECT_NAME, or rename the folder)"
        )
    })
}

/// The project folder: `$PROJECT_DIR`, else the current folder.
pub fn dir() -> PathBuf {
    match std::env::var_os("PROJECT_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
    }
}

/// The project name: `$PROJECT_NAME`, else the folder's base name, lower-cased.
pub fn name() -> String {
    if let Ok(name) = std::env::var("PROJECT_NAME") {
        if !name.is_empty() {
            return name;
        }
    }
    let dir = dir();
    let dir = dir.canonicalize().unwrap_or(dir);
    dir.file_name()
        .map(|base| base.to_string_lossy().to_lowercase())
        .unwrap_or_else(|| "reyns".into())
}

/// The installation folder for keys and caches: `$REYNS_HOME`, else `~/.reyns`.
pub fn reyns_home() -> PathBuf {
    if let Some(home) = std::env::var_os("REYNS_HOME").filter(|h| !h.is_empty()) {
        return PathBuf::from(home);
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
    home.join(".reyns")
}

/// Where this project's first reads are remembered for read-ahead (see
/// [`crate::readahead`]): one file per project folder and name, under
/// `$REYNS_HOME/readahead`.
pub fn readahead_file() -> PathBuf {
    let dir = dir();
    let dir = dir.canonicalize().unwrap_or(dir);
    let key = format!("{}\0{}", dir.display(), name());
    let digest = super::text::sha256_hex(key.as_bytes());
    reyns_home()
        .join("readahead")
        .join(format!("{}.json", &digest[..16]))
}

fn shown(path: PathBuf) -> String {
    path.to_string_lossy().to_string()
}

#[export_module]
pub mod api {
    /// The project name (`$PROJECT_NAME`, else the folder name, lower-cased).
    ///
    /// ```rhai
    /// let tag = `${project::name()}/${service}`;
    /// ```
    pub fn name() -> String {
        super::name()
    }

    /// Fails, naming the problem, when the project name cannot be used in
    /// container names and image tags.
    ///
    /// ```rhai
    /// project::check_name();
    /// ```
    #[rhai_fn(return_raw)]
    pub fn check_name() -> Result<(), Box<EvalAltResult>> {
        match super::name_problem(&super::name()) {
            Some(problem) => fail(problem),
            None => Ok(()),
        }
    }

    /// Takes the project's lock so that two reyns never change one project at
    /// once; waits up to `timeout` seconds for another one to finish, then
    /// fails naming it. Held until reyns exits, or until `project::unlock`.
    ///
    /// ```rhai
    /// project::lock(60);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn lock(context: NativeCallContext, timeout: i64) -> Result<(), Box<EvalAltResult>> {
        if super::super::session::Session::of(&context)
            .mode()
            .is_plan()
        {
            return Ok(());
        }
        super::lock(Duration::from_secs(timeout.max(0) as u64)).or_else(fail)
    }

    /// Lets go of the project's lock, for a verb that runs long but changes
    /// the project only now and then (`watch`): another reyns may take it.
    ///
    /// ```rhai
    /// project::unlock();
    /// ```
    pub fn unlock() {
        super::unlock();
    }

    /// The project folder (`$PROJECT_DIR`, else the current folder).
    ///
    /// ```rhai
    /// let conf = `${project::dir()}/default.conf`;
    /// ```
    pub fn dir() -> String {
        shown(super::dir())
    }

    /// The folder of service definitions (`$SERVICES_IMAGES_DIR`, else `<project>/services`).
    ///
    /// ```rhai
    /// let services = fs::list(project::services_dir());
    /// ```
    pub fn services_dir() -> String {
        match std::env::var("SERVICES_IMAGES_DIR") {
            Ok(dir) if !dir.is_empty() => dir,
            _ => shown(super::dir().join("services")),
        }
    }

    /// The persistent data folder (`$DATA_DIR`, else `<project>/data_<name>`).
    ///
    /// ```rhai
    /// let data = `${project::data_dir()}/demo-one`;
    /// ```
    pub fn data_dir() -> String {
        match std::env::var("DATA_DIR") {
            Ok(dir) if !dir.is_empty() => dir,
            _ => shown(super::dir().join(format!("data_{}", super::name()))),
        }
    }

    /// The installation folder (`$REYNS_HOME`, else `~/.reyns`).
    ///
    /// ```rhai
    /// let home = project::reyns_home();
    /// ```
    pub fn reyns_home() -> String {
        shown(super::reyns_home())
    }

    /// The version of this reyns.
    ///
    /// ```rhai
    /// term::out(project::version());
    /// ```
    pub fn version() -> String {
        env!("CARGO_PKG_VERSION").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_record_names_its_holder_and_when_it_took_the_lock() {
        let before = SystemTime::now();
        let record = lock_record();
        assert_eq!(holder(&record), std::process::id().to_string());
        let taken = taken_at(&record).expect("a time");
        assert!(taken >= before && taken <= SystemTime::now(), "{record}");
        // A file nobody has written, or a record from before the time was kept.
        assert_eq!(taken_at(""), None);
        assert_eq!(taken_at("4242"), None);
    }
}
