//! Instances' output for `reyns logs`: several `docker logs --timestamps`
//! merged in time order, each line prefixed by its instance (coloured on a
//! terminal), either once or following as lines arrive.

use super::{fail, strings, HostResult, Target};
use crate::exec::shown;
use rhai::plugin::*;
use rhai::Array;
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::sync::mpsc;

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
        let argv = target.argv(&["logs", "--follow", "--tail", "20"]);
        let name = &target.name;
        let reader = crate::exec::command(&argv)?
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
    loop {
        match lines_rx.recv_timeout(std::time::Duration::from_millis(200)) {
            Ok((index, line)) => {
                let _ = writeln!(
                    stdout,
                    "{}{line}",
                    prefix(&labels[index], width, index, colour)
                );
                let _ = stdout.flush();
            }
            Err(mpsc::RecvTimeoutError::Timeout) if crate::exec::interrupted() => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    for reader in readers {
        let _ = reader.kill();
    }
    Ok(())
}

#[export_module]
pub mod api {
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
