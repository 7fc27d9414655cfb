//! Which changed files `watch` leaves alone: what editors and version control
//! write beside the files a person edits, and what a build context's
//! `.dockerignore` keeps out of the build (docker's rules: `*` and `?` within
//! one path segment, `**` across segments, `!` for an exception, the last
//! matching line wins, and a pattern that matches a folder covers what it
//! holds).

use regex::Regex;
use std::path::Path;

/// One line of a `.dockerignore`: its pattern as a regex, and whether it is
/// an exception (`!pattern`).
struct Rule {
    pattern: Regex,
    exception: bool,
}

/// The rules of one `.dockerignore`, in file order.
pub struct DockerIgnore {
    rules: Vec<Rule>,
}

impl DockerIgnore {
    /// The rules of `text` (blank lines and `#` comments skipped; a pattern
    /// that does not translate is skipped too, as docker skips no line, but
    /// a build would then fail on it and say so).
    pub fn parse(text: &str) -> DockerIgnore {
        let rules = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .filter_map(|line| {
                let (exception, pattern) = match line.strip_prefix('!') {
                    Some(rest) => (true, rest.trim()),
                    None => (false, line),
                };
                let pattern = Regex::new(&regex_of(pattern)).ok()?;
                Some(Rule { pattern, exception })
            })
            .collect();
        DockerIgnore { rules }
    }

    /// The rules of `<context>/.dockerignore`; none when it does not exist.
    pub fn of_context(context: &Path) -> DockerIgnore {
        let text = std::fs::read_to_string(context.join(".dockerignore")).unwrap_or_default();
        DockerIgnore::parse(&text)
    }

    /// Whether `relative` (a path inside the context, `/`-separated) is kept
    /// out of the build: the last rule that matches it or one of its folders
    /// decides.
    pub fn excludes(&self, relative: &str) -> bool {
        let relative = relative.trim_start_matches("./").trim_start_matches('/');
        let mut excluded = false;
        for rule in &self.rules {
            if matches_or_parent(&rule.pattern, relative) {
                excluded = !rule.exception;
            }
        }
        excluded
    }
}

/// Whether `pattern` matches `relative` or one of the folders it is in.
fn matches_or_parent(pattern: &Regex, relative: &str) -> bool {
    if pattern.is_match(relative) {
        return true;
    }
    relative
        .match_indices('/')
        .any(|(at, _)| pattern.is_match(&relative[..at]))
}

/// A `.dockerignore` pattern as an anchored regex over `/`-separated paths.
fn regex_of(pattern: &str) -> String {
    let cleaned = pattern.trim_start_matches('/').trim_end_matches('/');
    let cleaned = cleaned.strip_prefix("./").unwrap_or(cleaned);
    let mut regex = String::from("^");
    let mut chars = cleaned.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                if chars.peek() == Some(&'/') {
                    chars.next();
                    regex.push_str("(.*/)?");
                } else {
                    regex.push_str(".*");
                }
            }
            '*' => regex.push_str("[^/]*"),
            '?' => regex.push_str("[^/]"),
            '[' => {
                regex.push('[');
                if chars.peek() == Some(&'^') || chars.peek() == Some(&'!') {
                    chars.next();
                    regex.push('^');
                }
                for inner in chars.by_ref() {
                    if inner == ']' {
                        break;
                    }
                    if inner == '\\' || inner == '[' {
                        regex.push('\\');
                    }
                    regex.push(inner);
                }
                regex.push(']');
            }
            '\\' => {
                if let Some(escaped) = chars.next() {
                    regex.push_str(&regex::escape(&escaped.to_string()));
                }
            }
            other => regex.push_str(&regex::escape(&other.to_string())),
        }
    }
    regex.push('$');
    regex
}

/// Whether a file is one an editor or a tool writes beside the ones a
/// person edits: vim's swap and backup files (and its `4913` write test),
/// emacs' lock and autosave files, `~` backups, and macOS' `.DS_Store`.
pub fn is_editor_noise(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
        return false;
    };
    name.ends_with('~')
        || name == "4913"
        || name == ".DS_Store"
        || name.starts_with(".#")
        || (name.starts_with('#') && name.ends_with('#'))
        || [".swp", ".swo", ".swx", ".swpx"]
            .iter()
            .any(|suffix| name.starts_with('.') && name.ends_with(suffix))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ignore(text: &str) -> DockerIgnore {
        DockerIgnore::parse(text)
    }

    #[test]
    fn a_pattern_covers_a_folder_and_what_it_holds() {
        let rules = ignore("node_modules\n# a comment\n\n/build/\n");
        assert!(rules.excludes("node_modules"));
        assert!(rules.excludes("node_modules/left-pad/index.js"));
        assert!(rules.excludes("build/out.o"));
        assert!(!rules.excludes("src/node_modules.txt"));
        assert!(!rules.excludes("app.py"));
    }

    #[test]
    fn stars_stay_in_a_segment_and_double_stars_cross_them() {
        let rules = ignore("*.log\n**/*.tmp\ndocs/**/draft.md\n");
        assert!(rules.excludes("server.log"));
        assert!(!rules.excludes("logs/server.log"));
        assert!(rules.excludes("a/b/c.tmp"));
        assert!(rules.excludes("c.tmp"));
        assert!(rules.excludes("docs/draft.md"));
        assert!(rules.excludes("docs/x/y/draft.md"));
        assert!(!rules.excludes("draft.md"));
    }

    #[test]
    fn the_last_matching_line_wins_and_exceptions_bring_files_back() {
        let rules = ignore("*.md\n!README.md\n");
        assert!(rules.excludes("NOTES.md"));
        assert!(!rules.excludes("README.md"));
        let rules = ignore("!README.md\n*.md\n");
        assert!(rules.excludes("README.md"));
    }

    #[test]
    fn question_marks_classes_and_escapes() {
        let rules = ignore("file?.txt\n[ab].c\nliteral\\*\n");
        assert!(rules.excludes("file1.txt"));
        assert!(!rules.excludes("file10.txt"));
        assert!(rules.excludes("a.c"));
        assert!(!rules.excludes("c.c"));
        assert!(rules.excludes("literal*"));
        assert!(!rules.excludes("literalx"));
    }

    #[test]
    fn editors_files_are_noise_and_sources_are_not() {
        for noisy in [
            ".app.py.swp",
            "app.py~",
            "4913",
            ".#app.py",
            "#app.py#",
            ".DS_Store",
        ] {
            assert!(is_editor_noise(Path::new(noisy)), "{noisy}");
        }
        for source in ["app.py", "Dockerfile", "swp.txt", ".dockerignore"] {
            assert!(!is_editor_noise(Path::new(source)), "{source}");
        }
    }
}
