//! File-driven CLI cases: every folder under `tests/fixtures/cli/` holds an `args` file with one `tack`
//! command line; the real binary runs it and one insta snapshot records its exit code, stdout and stderr.
//! See `tests/fixtures/cli/README.md` for the conventions.

mod common;

use regex::Regex;
use std::path::Path;
use std::process::Command;
use std::sync::LazyLock;

/// Files of a case folder that describe the case rather than being its input.
const CASE_FILES: &[&str] = &["args", "env"];

#[test]
fn cli_cases() {
    insta::glob!("fixtures/cli", "*/args", |args_file| {
        let case = args_file.parent().expect("args sits in a case folder");
        let name = case.file_name().unwrap().to_str().unwrap().to_string();
        let snapshot = run_case(case);
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path("snapshots/cli");
        settings.set_prepend_module_to_snapshot(false);
        settings.remove_snapshot_suffix();
        settings.set_omit_expression(true);
        settings.bind(|| insta::assert_snapshot!(name, snapshot));
    });
}

/// Run one case and render what it did as the text of its snapshot.
fn run_case(case: &Path) -> String {
    let line = command_line(&std::fs::read_to_string(case.join("args")).expect("read args"));
    let words = split_words(&line).unwrap_or_else(|e| panic!("{}: {e}", case.display()));
    assert_eq!(
        words.first().map(String::as_str),
        Some("tack"),
        "{}: the command line starts with `tack`",
        case.display()
    );
    let in_case = runs_in_case_folder(case);
    let dir = if in_case {
        case.to_path_buf()
    } else {
        common::repo()
    };
    // an empty HOME: no ~/.kube/config of the machine running the tests is ever read
    let home = tempfile::tempdir().expect("temp HOME");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tack"));
    cmd.current_dir(&dir)
        .args(&words[1..])
        .env("NO_COLOR", "1")
        .env("HOME", home.path())
        .env_remove("KUBECONFIG")
        .env_remove("TACK_NAMESPACE")
        .env_remove("CLICOLOR_FORCE")
        .env("COLUMNS", "100");
    for (key, value) in env_file(case) {
        cmd.env(key, value);
    }
    let out = cmd.output().expect("run tack");
    let code = out
        .status
        .code()
        .map_or_else(|| "killed by a signal".to_string(), |c| c.to_string());
    let text = format!(
        "{prompt}$ {line}\nexit code: {code}\n----- stdout -----\n{stdout}----- stderr -----\n{stderr}",
        prompt = if in_case { "[CASE]" } else { "[REPO]" },
        stdout = ended(&String::from_utf8_lossy(&out.stdout)),
        stderr = ended(&String::from_utf8_lossy(&out.stderr)),
    );
    normalise(&text, case, home.path())
}

/// The command line of an `args` file: its first line that is neither blank nor a `#` comment.
fn command_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .expect("args holds a command line")
        .to_string()
}

/// A case runs in its own folder when that folder holds inputs (a chart, values, a stack file).
fn runs_in_case_folder(case: &Path) -> bool {
    std::fs::read_dir(case).expect("read case folder").any(|e| {
        let name = e.expect("case folder entry").file_name();
        !CASE_FILES.iter().any(|f| name == *f)
    })
}

/// `KEY=VALUE` lines of the case's optional `env` file (blank lines and `#` comments skipped).
fn env_file(case: &Path) -> Vec<(String, String)> {
    let Ok(text) = std::fs::read_to_string(case.join("env")) else {
        return Vec::new();
    };
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (k, v) = l
                .split_once('=')
                .unwrap_or_else(|| panic!("{}/env: `{l}` is not KEY=VALUE", case.display()));
            (k.trim().to_string(), v.trim().to_string())
        })
        .collect()
}

/// Split a command line into words as a POSIX shell would for plain words, '…', "…" and `\`
/// (no expansion of any kind).
fn split_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err("unclosed '".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err("unclosed \"".into()),
                        },
                        Some(c) => word.push(c),
                        None => return Err("unclosed \"".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.push(chars.next().ok_or("trailing \\")?);
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// Text that ends with a newline unless it is empty, so the snapshot's section markers stay on their own
/// line (a missing final newline is marked).
fn ended(text: &str) -> String {
    if text.is_empty() || text.ends_with('\n') {
        text.to_string()
    } else {
        format!("{text}\n[no newline at end]\n")
    }
}

static DURATION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b\d+(\.\d+)?(ms|µs|s)\b").expect("duration regex"));
static OS_ERROR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\(os error \d+\)").expect("os error regex"));

/// Replace what differs between machines and runs: the case folder, the repository and HOME paths, the
/// crate version, measured durations, and OS error numbers (they differ between systems).
fn normalise(text: &str, case: &Path, home: &Path) -> String {
    let mut out = text.to_string();
    for (path, marker) in [
        (case, "[CASE]"),
        (&common::repo(), "[REPO]"),
        (home, "[HOME]"),
    ] {
        for p in spellings(path) {
            out = out.replace(&p, marker);
        }
    }
    // the crate's own version only (charts have versions too)
    out = out.replace(
        concat!("tack ", env!("CARGO_PKG_VERSION")),
        "tack [VERSION]",
    );
    out = OS_ERROR.replace_all(&out, "(os error [N])").into_owned();
    // durations are measured, so only the table column and `in …` mentions are touched, not e.g. `90s`
    // in help texts or error messages: they are replaced where a decimal point shows they were measured
    DURATION
        .replace_all(&out, |c: &regex::Captures| {
            if c.get(1).is_some() {
                "[DURATION]".to_string()
            } else {
                c[0].to_string()
            }
        })
        .into_owned()
}

/// A path as given and canonicalised (e.g. /tmp may be a symlink), longest first.
fn spellings(path: &Path) -> Vec<String> {
    let mut all: Vec<String> = vec![path.display().to_string()];
    if let Ok(c) = std::fs::canonicalize(path) {
        all.push(c.display().to_string());
    }
    all.sort_by_key(|p| std::cmp::Reverse(p.len()));
    all.dedup();
    all
}

#[test]
fn every_snapshot_has_its_case() {
    let cases = common::repo().join("tests/fixtures/cli");
    let snapshots = common::repo().join("tests/snapshots/cli");
    let mut orphans = Vec::new();
    for entry in std::fs::read_dir(&snapshots).expect("read snapshots/cli") {
        let name = entry.expect("snapshot entry").file_name();
        let name = name.to_str().expect("UTF-8 name");
        let case = name
            .strip_suffix(".snap")
            .or_else(|| name.strip_suffix(".snap.new"))
            .unwrap_or(name);
        if !cases.join(case).join("args").is_file() {
            orphans.push(name.to_string());
        }
    }
    assert!(
        orphans.is_empty(),
        "snapshots without a case folder (delete them with the case): {orphans:?}"
    );
}

#[test]
fn command_lines_split_like_a_shell() {
    let words =
        split_words(r#"tack values -l 'tier in (a,b)' --set-json "x={\"a\":1}" a\ b"#).unwrap();
    assert_eq!(
        words,
        [
            "tack",
            "values",
            "-l",
            "tier in (a,b)",
            "--set-json",
            r#"x={"a":1}"#,
            "a b"
        ]
    );
    assert!(split_words("tack 'open").is_err());
}

#[test]
fn measured_durations_are_normalised_but_written_ones_stay() {
    let text = "public  9 objects  0.1s\ndone in 12.25s\nuse `90s` or 5m\n";
    let out = normalise(text, Path::new("/nowhere/case"), Path::new("/nowhere/home"));
    assert_eq!(
        out,
        "public  9 objects  [DURATION]\ndone in [DURATION]\nuse `90s` or 5m\n"
    );
}
