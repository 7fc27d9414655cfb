//! Instances' output for `reyns logs`: several `docker logs --timestamps`
//! merged in time order, each line prefixed by its instance (coloured on a
//! terminal), either once or following as lines arrive; and for a verb that
//! does other things meanwhile (`watch`), a follower printing in the
//! background.

use super::{fail, strings, HostResult, Target};
use crate::exec::shown;
use rhai::plugin::*;
use rhai::Array;
use std::cell::RefCell;
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::rc::Rc;
use std::sync::{mpsc, Arc};

/// ANSI colours given to instances in turn.
const COLOURS: [&str; 6] = ["36", "33", "32", "35", "34", "31"];

/// Splits `2024-01-01T10:00:00.123456789Z text` into (timestamp, text).
fn split_timestamp(line: &str) -> (&str, &str) {
    match line.split_once(' ') {
        Some((stamp, text)) if stamp.len() >= 20 && stamp.as_bytes()[4] == b'-' => (stamp, text),
        _ => ("", line),
    }
}

/// Pads a timestamp's fraction so that text order is time order.
fn sortable(stamp: &str) -> String {
    let Some((seconds, rest)) = stamp.split_once('.') else {
        return stamp.to_string();
    };
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    format!("{seconds}.{digits:0<9}")
}

/// The prefix of an instance's lines.
fn prefix(label: &str, width: usize, index: usize, colour: bool) -> String {
    let padded = format!("{label:<width$} |");
    if colour {
        format!("\x1b[{}m{padded}\x1b[0m ", COLOURS[index % COLOURS.len()])
    } else {
        format!("{padded} ")
    }
}

/// Prints the logs of `targets` merged in time order.
fn print_merged(targets: &[Target], labels: &[String], colour: bool) -> HostResult<()> {
    let width = labels.iter().map(String::len).max().unwrap_or(0);
    let mut lines: Vec<(String, usize, String)> = Vec::new();
    for (index, target) in targets.iter().enumerate() {
        let argv = target.argv(&["logs", "--timestamps"]);
        let outcome = crate::exec::outcome(&argv, None)?;
        if outcome.code != 0 {
            return fail(format!(
                "`{}` failed: {}",
                shown(&argv),
                outcome.stderr.trim()
            ));
        }
        for line in outcome.stdout.lines().chain(outcome.stderr.lines()) {
            let (stamp, text) = split_timestamp(line);
            lines.push((sortable(stamp), index, text.to_string()));
        }
    }
    lines.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut stdout = std::io::stdout().lock();
    for (_, index, text) in lines {
        let _ = writeln!(
            stdout,
            "{}{text}",
            prefix(&labels[index], width, index, colour)
        );
    }
    Ok(())
}

/// Follows the logs of `targets`, printing lines as they come, until they all
/// end or Ctrl-C.
fn print_following(targets: &[Target], labels: &[String], colour: bool) -> HostResult<()> {
    let width = labels.iter().map(String::len).max().unwrap_or(0);
    let (lines_tx, lines_rx) = mpsc::channel::<(usize, String)>();
    let mut readers = Vec::new();
    for (index, target) in targets.iter().enumerate() {
        // Stopped while starting them: those started are stopped below.
        if crate::exec::interrupted() {
            break;
        }
        let argv = target.argv(&["logs", "--follow", "--tail", "20"]);
        let name = &target.name;
        let reader = crate::exec::follower_command(&argv)?
            .stderr_to_stdout()
            .stdin_null()
            .unchecked()
            .reader()
            .or_else(|err| fail(format!("cannot follow `{name}`: {err}")))?;
        let reader = std::sync::Arc::new(reader);
        readers.push(std::sync::Arc::clone(&reader));
        let lines_tx = lines_tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(&*reader).lines().map_while(Result::ok) {
                if lines_tx.send((index, line)).is_err() {
                    break;
                }
            }
        });
    }
    drop(lines_tx);
    let mut stdout = std::io::stdout();
    // Ctrl-C (or SIGTERM) is looked at between lines too: a chatty platform
    // never leaves the wait idle.
    while !crate::exec::interrupted() {
        match lines_rx.recv_timeout(std::time::Duration::from_millis(200)) {
            Ok((index, line)) => {
                let _ = writeln!(
                    stdout,
                    "{}{line}",
                    prefix(&labels[index], width, index, colour)
                );
                let _ = stdout.flush();
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    for reader in readers {
        let _ = reader.kill();
    }
    Ok(())
}

/// Containers whose output is printed in the background as it comes (a
/// value scripts hold: `logs::follower`).
#[derive(Clone)]
pub struct Follower {
    following: Rc<RefCell<Following>>,
}

/// What a [`Follower`] holds: the prefixes' width and colouring, and the
/// `docker logs --follow` it started.
struct Following {
    width: usize,
    colour: bool,
    started: usize,
    readers: Vec<Arc<duct::ReaderHandle>>,
}

impl Following {
    /// Starts `docker logs --follow` on `target` from its last `tail` lines,
    /// a thread printing each line with `label`'s prefix.
    fn follow(&mut self, target: &Target, label: &str, tail: i64) -> HostResult<()> {
        let tail = if tail < 0 {
            "all".to_string()
        } else {
            tail.to_string()
        };
        let argv = target.argv(&["logs", "--follow", "--tail", &tail]);
        let reader = crate::exec::follower_command(&argv)?
            .stderr_to_stdout()
            .stdin_null()
            .unchecked()
            .reader()
            .or_else(|err| fail(format!("cannot follow `{}`: {err}", target.name)))?;
        let reader = Arc::new(reader);
        self.readers
            .retain(|running| matches!(running.try_wait(), Ok(None)));
        self.readers.push(Arc::clone(&reader));
        let prefix = prefix(label, self.width, self.started, self.colour);
        self.started += 1;
        std::thread::spawn(move || {
            for line in BufReader::new(&*reader).lines().map_while(Result::ok) {
                let mut stdout = std::io::stdout().lock();
                let _ = writeln!(stdout, "{prefix}{line}");
                let _ = stdout.flush();
            }
        });
        Ok(())
    }
}

#[export_module]
pub mod api {
    /// A follower of containers' output, printing each line on stdout
    /// behind its instance's label padded to `width` (coloured on a
    /// terminal) while the script goes on.
    ///
    /// ```rhai
    /// let follower = logs::follower(12);
    /// ```
    pub fn follower(width: i64) -> Follower {
        Follower {
            following: Rc::new(RefCell::new(Following {
                width: width.max(0) as usize,
                colour: std::io::stdout().is_terminal(),
                started: 0,
                readers: Vec::new(),
            })),
        }
    }

    /// Starts printing the output of container `target` (a name or id, or
    /// `[docker options..., name]`) from its last `tail` lines (`-1`: all),
    /// prefixed by `label`, until the container is removed or `logs::stop`.
    ///
    /// ```rhai
    /// logs::follow(follower, "p-demo-one", "demo-one", 10);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn follow(
        follower: &mut Follower,
        target: Dynamic,
        label: &str,
        tail: i64,
    ) -> Result<(), Box<EvalAltResult>> {
        let target = Target::from_dynamic(&target, "logs::follow")?;
        follower.following.borrow_mut().follow(&target, label, tail)
    }

    /// Stops every `docker logs --follow` the follower started.
    ///
    /// ```rhai
    /// logs::stop(follower);
    /// ```
    pub fn stop(follower: &mut Follower) {
        for reader in follower.following.borrow_mut().readers.drain(..) {
            let _ = reader.kill();
        }
    }

    /// Prints the output of containers `targets` (names, or `[docker options...,
    /// name]` for a container on another engine), each line prefixed by the
    /// matching entry of `labels` (coloured on a terminal), merged in time
    /// order; with `follow`, keeps printing new lines until Ctrl-C.
    ///
    /// ```rhai
    /// logs::show(["p-demo-one", "p-demo-two"], ["demo-one", "demo-two"], false);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn show(targets: Array, labels: Array, follow: bool) -> Result<(), Box<EvalAltResult>> {
        let targets = targets
            .iter()
            .map(|target| Target::from_dynamic(target, "logs::show"))
            .collect::<HostResult<Vec<Target>>>()?;
        let labels = strings(&labels, "logs::show")?;
        if targets.len() != labels.len() {
            return fail("logs::show needs one label per container");
        }
        let colour = std::io::stdout().is_terminal();
        if follow {
            print_following(&targets, &labels, colour)
        } else {
            print_merged(&targets, &labels, colour)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_sort_as_time() {
        let (stamp, text) = split_timestamp("2024-01-02T03:04:05.5Z hello world");
        assert_eq!(text, "hello world");
        assert!(sortable(stamp) > sortable("2024-01-02T03:04:05.123456789Z"));
        assert_eq!(split_timestamp("no stamp here").1, "no stamp here");
    }

    #[test]
    fn prefixes_line_up() {
        assert_eq!(prefix("a", 3, 0, false), "a   | ");
        assert!(prefix("a", 1, 1, true).starts_with("\x1b[33m"));
    }
}
