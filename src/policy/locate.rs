//! Find the rendered line of a field path (`spec.template.spec.containers[0].image`) in a
//! document's text, so a finding points at the line a user can open.

use std::collections::HashMap;
use yaml_rust2::parser::{Event, Parser};

enum Frame {
    Map { expect_key: bool },
    Seq { index: usize },
}

/// Map every path in the document to the 1-based line (within the document text) where its key or
/// list item starts. Unparseable text gives what was indexed before the error.
pub fn line_index(text: &str) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    // one segment per frame: the current key of a mapping ("" between keys), `[i]` of a sequence
    let mut path: Vec<String> = Vec::new();
    loop {
        let Ok((event, mark)) = parser.next_token() else {
            return out;
        };
        let line = mark.line();
        if let Some(Frame::Map { expect_key: true }) = stack.last() {
            match &event {
                Event::Scalar(k, ..) => {
                    if let Some(last) = path.last_mut() {
                        *last = k.clone();
                    }
                    out.entry(render(&path)).or_insert(line);
                    stack.pop();
                    stack.push(Frame::Map { expect_key: false });
                    continue;
                }
                Event::MappingEnd => {
                    stack.pop();
                    path.pop();
                    finish_value(&mut stack, &mut path);
                    continue;
                }
                _ => {}
            }
        }
        match event {
            Event::StreamEnd => return out,
            Event::SequenceStart(..) => {
                if matches!(stack.last(), Some(Frame::Seq { .. })) {
                    out.entry(render(&path)).or_insert(line);
                }
                stack.push(Frame::Seq { index: 0 });
                path.push("[0]".into());
            }
            Event::MappingStart(..) => {
                if matches!(stack.last(), Some(Frame::Seq { .. })) {
                    out.entry(render(&path)).or_insert(line);
                }
                stack.push(Frame::Map { expect_key: true });
                path.push(String::new());
            }
            Event::SequenceEnd => {
                stack.pop();
                path.pop();
                finish_value(&mut stack, &mut path);
            }
            Event::Scalar(..) | Event::Alias(..) => {
                if matches!(stack.last(), Some(Frame::Seq { .. })) {
                    out.entry(render(&path)).or_insert(line);
                }
                finish_value(&mut stack, &mut path);
            }
            _ => {}
        }
    }
}

/// After a value completes: in a mapping wait for the next key, in a sequence move to the next index.
fn finish_value(stack: &mut [Frame], path: &mut [String]) {
    match stack.last_mut() {
        Some(Frame::Map { expect_key }) => {
            *expect_key = true;
            if let Some(last) = path.last_mut() {
                last.clear();
            }
        }
        Some(Frame::Seq { index }) => {
            *index += 1;
            if let Some(last) = path.last_mut() {
                *last = format!("[{index}]");
            }
        }
        None => {}
    }
}

fn render(path: &[String]) -> String {
    let mut s = String::new();
    for seg in path.iter().filter(|s| !s.is_empty()) {
        if seg.starts_with('[') {
            s.push_str(seg);
        } else {
            if !s.is_empty() {
                s.push('.');
            }
            if seg.contains('.') || seg.contains('/') {
                s.push('"');
                s.push_str(seg);
                s.push('"');
            } else {
                s.push_str(seg);
            }
        }
    }
    s
}

/// The line of `path`, or of its nearest ancestor present in the text.
pub fn find(index: &HashMap<String, usize>, path: &str) -> Option<usize> {
    let mut p = path.to_string();
    loop {
        if let Some(l) = index.get(&p) {
            return Some(*l);
        }
        let cut = p.rfind(['.', '['])?;
        p.truncate(cut);
        if p.is_empty() {
            return None;
        }
    }
}
