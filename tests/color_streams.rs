//! Colour is decided per stream: with stderr on a terminal and stdout redirected to a file, the file gets no
//! escape codes while the terminal does. Runs the real binary under a pseudo-terminal (`script`, util-linux).

mod common;

use std::process::Command;

#[test]
fn a_redirected_stdout_stays_plain_while_the_terminal_is_coloured() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("matrix.txt");
    let repo = common::repo();
    let inner = format!(
        "{} lint {} --matrix --values-dir {} > {}",
        env!("CARGO_BIN_EXE_tack"),
        repo.join("charts/webapp").display(),
        repo.join("values").display(),
        out.display()
    );
    let tty = Command::new("script")
        .args(["-qec", &inner, "/dev/null"])
        .env_remove("NO_COLOR")
        .env("TERM", "xterm")
        .output()
        .expect("run `script` (util-linux) to get a pseudo-terminal");
    assert!(tty.status.success(), "{tty:?}");
    let terminal = String::from_utf8_lossy(&tty.stdout);
    assert!(
        terminal.contains("\x1b[32m9 combinations linted"),
        "stderr on the terminal is coloured: {terminal:?}"
    );
    let file = std::fs::read_to_string(&out).unwrap();
    assert!(file.starts_with("ENV "), "{file}");
    assert!(!file.contains('\x1b'), "escape codes in the file: {file:?}");
}
