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

/// Format an error at `line:column` of `origin`, with the source line and a caret. Every value on the line
/// is masked (keys, indentation and punctuation stay), so an excerpt never shows a value.
pub(crate) fn located(
    origin: &str,
    src: &str,
    line: usize,
    column: usize,
    msg: &str,
    hint: &str,
) -> anyhow::Error {
    let mut out = format!("{origin}:{line}:{column}: {msg}");
    if line >= 1 && src.lines().nth(line - 1).is_some() {
        let masked = crate::redact::mask_yaml(src);
        if let Some(l) = masked.get(line - 1) {
            let text: String = l.text.chars().take(160).collect();
            let num = line.to_string();
            let pad = " ".repeat(num.len());
            let col = l.column(column.saturating_sub(1)).min(text.chars().count());
            let caret = " ".repeat(col);
            out.push_str(&format!("\n{pad} |\n{num} | {text}\n{pad} | {caret}^"));
        }
    }
    if !hint.is_empty() {
        out.push_str(&format!("\n\nhint: {hint}"));
    }
    anyhow!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_mask_every_value_and_keep_the_caret() {
        // a key that does not look secret: the value was printed before
        let src = "a: 1\nname: hunter2 [x\n";
        let e = located("f.yaml", src, 2, 15, "bad", "").to_string();
        assert!(!e.contains("hunter2"), "{e}");
        assert!(e.contains("2 | name: <redacted> [<redacted>"), "{e}");
        // the caret sits under the bracket it pointed at
        let caret_line = e.lines().last().unwrap();
        let text_line = e.lines().find(|l| l.starts_with("2 | ")).unwrap();
        let caret = caret_line.find('^').unwrap();
        assert_eq!(&text_line[caret..caret + 1], "[", "{e}");
        let e = located("f.yaml", "a: 1\ntoken: [x\n", 2, 8, "bad", "").to_string();
        assert!(
            e.contains("2 | token: [<redacted>") && !e.contains("[x"),
            "{e}"
        );
    }
}
