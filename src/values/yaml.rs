//! The values-file loader: reads a file under the input guards and turns its one YAML document
//! into a values tree with a position for every key (the tree itself is built in `yaml_tree`).

use std::path::Path;

use anyhow::Result;
use serde_json::Map;
use yaml_rust2::parser::{Event, Parser};

use super::path::Positions;
use super::source::{located, read_text_file};
use super::yaml_tree::Builder;
use super::{Values, Warning};

/// Read a values file: size cap first, then UTF-8 (BOM allowed), then [`parse_yaml`].
pub fn load_yaml_file(path: &Path) -> Result<(Values, Positions, Vec<Warning>)> {
    let text = read_text_file(path, "values file")?;
    parse_yaml(&text, &path.display().to_string())
}

/// Parse one values document. `origin` names the file in errors and warnings.
pub fn parse_yaml(src: &str, origin: &str) -> Result<(Values, Positions, Vec<Warning>)> {
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    let mut b = Builder::new(origin, src);
    let mut parser = Parser::new_from_str(src);
    let mut documents = 0;
    loop {
        let (event, mark) = parser.next_token().map_err(|e| {
            let m = e.marker();
            let info = e.info();
            let (msg, hint) = if info == "recursion limit exceeded" {
                (
                    "flow collections (`[` `{`) nested too deeply".to_string(),
                    "values files may nest flow collections at most 255 levels",
                )
            } else if info.contains("unknown anchor") {
                (
                    "alias to an unknown anchor".to_string(),
                    "define the `&anchor` before using `*alias`",
                )
            } else {
                (
                    format!("invalid YAML: {info}"),
                    "check the indentation (spaces, not tabs) and the quoting around this spot",
                )
            };
            located(origin, src, m.line(), m.col() + 1, &msg, hint)
        })?;
        match event {
            Event::StreamEnd => break,
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    return Err(b.error(
                        mark,
                        "a values file must hold one YAML document, this is the start of a second",
                        "remove the `---` separator, or split the documents into files passed with `-f`",
                    ));
                }
            }
            Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
            other => b.event(other, mark)?,
        }
    }
    let (root, root_start, positions, warnings) = b.finish();
    let root = match root {
        Values::Null => Values::Object(Map::new()),
        Values::Object(_) => root,
        other => {
            let found = if other.is_array() {
                "a list"
            } else {
                "a single value"
            };
            let (line, col) = root_start.unwrap_or((1, 1));
            return Err(located(
                origin,
                src,
                line,
                col,
                &format!("the top level of a values file must be a map of keys, found {found}"),
                "write `key: value` lines at the top level",
            ));
        }
    };
    Ok((root, positions, warnings))
}

#[cfg(test)]
#[path = "yaml_tests.rs"]
mod tests;
