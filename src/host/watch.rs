//! File events for `watch`: the project folder watched recursively (inotify
//! through `notify`), events debounced (a burst of saves is one change), the
//! paths editors and version control write beside sources left out, and a
//! build context's `.dockerignore` rules for the script to ask.

use super::{fail, strings, HostResult};
use crate::ignore::{is_editor_noise, DockerIgnore};
use notify_debouncer_full::notify::event::{AccessKind, AccessMode, EventKind};
use notify_debouncer_full::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{new_debouncer, DebounceEventResult, Debouncer, RecommendedCache};
use rhai::plugin::*;
use rhai::Array;
use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::Duration;

/// How often a wait for changes looks at Ctrl-C.
const INTERRUPT_CHECK: Duration = Duration::from_millis(100);

/// A folder watched for changes (a value scripts hold: `watch::start`).
#[derive(Clone)]
pub struct Watcher {
    root: PathBuf,
    /// Folders under `root` whose changes are not the project's sources
    /// (persistent data, reyns' own state).
    ignored: Vec<PathBuf>,
    batches: Rc<Receiver<DebounceEventResult>>,
    /// Kept alive as long as the watcher: dropping it stops the events.
    _debouncer: Rc<Debouncer<RecommendedWatcher, RecommendedCache>>,
}

impl Watcher {
    /// `path` relative to the root, `/`-separated, when it is a source:
    /// under the root, not in an ignored folder, not in a `.git` folder,
    /// not an editor's file.
    fn source_path(&self, path: &Path) -> Option<String> {
        let relative = path.strip_prefix(&self.root).ok()?;
        if relative.as_os_str().is_empty()
            || self.ignored.iter().any(|folder| path.starts_with(folder))
            || relative
                .components()
                .any(|part| part == Component::Normal(".git".as_ref()))
            || is_editor_noise(path)
        {
            return None;
        }
        Some(relative.to_string_lossy().into_owned())
    }

    /// The source paths of one debounced batch.
    fn sources_of(
        &self,
        batch: DebounceEventResult,
        found: &mut BTreeSet<String>,
    ) -> HostResult<()> {
        match batch {
            Ok(events) => {
                let changes = events.iter().filter(|event| is_change(&event.kind));
                found.extend(
                    changes
                        .flat_map(|event| event.paths.iter())
                        .filter_map(|path| self.source_path(path)),
                );
                Ok(())
            }
            Err(errors) => fail(format!(
                "watching {} failed: {}",
                self.root.display(),
                errors.first().map(ToString::to_string).unwrap_or_default()
            )),
        }
    }
}

/// Whether an event changed the file: not a read (opening a file to read
/// it, as a build does, is one; closing a file written is a change).
fn is_change(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    }
}

#[export_module]
pub mod api {
    /// Starts watching folder `root` and everything under it, except the
    /// folders `ignored` (absolute paths); events closer than `quiet_ms`
    /// milliseconds make one change.
    ///
    /// ```rhai
    /// let watcher = watch::start(project::dir(), [project::data_dir()], 150);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn start(root: &str, ignored: Array, quiet_ms: i64) -> Result<Watcher, Box<EvalAltResult>> {
        let root = std::fs::canonicalize(root)
            .or_else(|err| fail(format!("cannot watch {root}: {err}")))?;
        let ignored = strings(&ignored, "watch::start")?
            .into_iter()
            .map(|folder| std::fs::canonicalize(&folder).unwrap_or_else(|_| PathBuf::from(folder)))
            .collect();
        let (sender, batches) = channel();
        let quiet = Duration::from_millis(quiet_ms.max(10) as u64);
        let mut debouncer = new_debouncer(quiet, None, sender)
            .or_else(|err| fail(format!("cannot watch {}: {err}", root.display())))?;
        debouncer
            .watch(&root, RecursiveMode::Recursive)
            .or_else(|err| fail(format!("cannot watch {}: {err}", root.display())))?;
        Ok(Watcher {
            root,
            ignored,
            batches: Rc::new(batches),
            _debouncer: Rc::new(debouncer),
        })
    }

    /// Waits for the next change under the watcher's folder: the paths that
    /// changed (created, written, removed or renamed), relative to it and
    /// sorted; `[]` when Ctrl-C came first. Changes made while the script
    /// was busy are not lost: they are the next call's.
    ///
    /// ```rhai
    /// let changed = watch::changes(watcher);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn changes(watcher: &mut Watcher) -> Result<Array, Box<EvalAltResult>> {
        let mut found = BTreeSet::new();
        while found.is_empty() {
            if crate::exec::interrupted() {
                return Ok(Array::new());
            }
            match watcher.batches.recv_timeout(INTERRUPT_CHECK) {
                Ok(batch) => watcher.sources_of(batch, &mut found)?,
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    return fail(format!("watching {} stopped", watcher.root.display()))
                }
            }
        }
        while let Ok(batch) = watcher.batches.try_recv() {
            watcher.sources_of(batch, &mut found)?;
        }
        Ok(found.into_iter().map(Dynamic::from).collect())
    }

    /// Whether the `.dockerignore` of build context `context` keeps `path`
    /// (relative to the context) out of the build.
    ///
    /// ```rhai
    /// if watch::dockerignored(service.dir, "node_modules/x.js") { return; }
    /// ```
    pub fn dockerignored(context: &str, path: &str) -> bool {
        DockerIgnore::of_context(Path::new(context)).excludes(path)
    }
}
