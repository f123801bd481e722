//! Input guards shared by everything that reads user files: size cap before reading, UTF-8 with
//! the offending byte offset, BOM removal, and `file:line:col` errors with a source excerpt.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use anyhow::{anyhow, Context, Result};

use super::MAX_FILE_BYTES;

/// Read a whole text file under [`MAX_FILE_BYTES`], as UTF-8 without a leading BOM.
pub(crate) fn read_text_file(path: &Path, what: &str) -> Result<String> {
    let shown = path.display();
    let meta =
        std::fs::metadata(path).with_context(|| format!("failed to read {what} `{shown}`"))?;
    if meta.is_dir() {
        return Err(anyhow!("{what} `{shown}` is a directory, not a file"));
    }
    let too_big = |size: String| {
        anyhow!(
            "{what} `{shown}` is {size}, over the {} MiB limit\n\nhint: values files this large are \
             almost certainly a mistake; split the data or load it another way",
            MAX_FILE_BYTES / (1024 * 1024)
        )
    };
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_big(format!(
            "{:.1} MiB",
            meta.len() as f64 / (1024.0 * 1024.0)
        )));
    }
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .with_context(|| format!("failed to read {what} `{shown}`"))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big("larger than that".into()));
    }
    decode_utf8(bytes, &format!("{what} `{shown}`"))
}

/// Decode UTF-8, naming the byte offset (and line, column) of the first bad byte; drop a BOM.
pub(crate) fn decode_utf8(mut bytes: Vec<u8>, what: &str) -> Result<String> {
    let bom = bytes.starts_with(&[0xEF, 0xBB, 0xBF]);
    if bom {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let raw = e.as_bytes();
        let before = &raw[..at];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&raw[line_start..at]).chars().count() + 1;
        let offset = at + if bom { 3 } else { 0 };
        anyhow!(
            "{what} is not valid UTF-8: byte 0x{:02x} at byte offset {offset} (line {line}, column {column})\
             \n\nhint: save the file as UTF-8",
            raw[at]
        )
    })
}

/// Format an error at `line:column` of `origin`, with the source line and a caret.
pub(crate) fn located(
    origin: &str,
    src: &str,
    line: usize,
    column: usize,
    msg: &str,
    hint: &str,
) -> anyhow::Error {
    let mut out = format!("{origin}:{line}:{column}: {msg}");
    if let Some(text) = src.lines().nth(line.saturating_sub(1)) {
        let text: String = mask_secret(text).chars().take(160).collect();
        let num = line.to_string();
        let pad = " ".repeat(num.len());
        let caret = " ".repeat(column.saturating_sub(1).min(text.chars().count()));
        out.push_str(&format!("\n{pad} |\n{num} | {text}\n{pad} | {caret}^"));
    }
    if !hint.is_empty() {
        out.push_str(&format!("\n\nhint: {hint}"));
    }
    anyhow!(out)
}

/// A source line with the value after a secret-looking key (`password: x`) replaced, so error
/// excerpts never show it.
fn mask_secret(line: &str) -> String {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(
            r#"(?i)^(\s*(?:-\s+)?["']?[^:"']*(?:password|passwd|secret|token|apikey|api_key|private_?key|credential)[^:"']*["']?\s*:)\s*\S.*$"#,
        )
        .expect("static regex")
    });
    match re.captures(line) {
        Some(c) => format!("{} <redacted>", &c[1]),
        None => line.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_mask_secret_values() {
        let cases = [
            ("  password: hunter2", "  password: <redacted>"),
            ("- apiToken: \"abc\"", "- apiToken: <redacted>"),
            ("  'db_secret' : x y", "  'db_secret' : <redacted>"),
            ("  password:", "  password:"),
            ("  name: password", "  name: password"),
            ("  image: nginx", "  image: nginx"),
        ];
        for (line, want) in cases {
            assert_eq!(mask_secret(line), want, "{line}");
        }
        let e = located("f.yaml", "a: 1\ntoken: [x\n", 2, 8, "bad", "").to_string();
        assert!(
            e.contains("2 | token: <redacted>") && !e.contains("[x"),
            "{e}"
        );
    }
}
