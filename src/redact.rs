//! Mask the values of YAML text (and of template text) shown in error excerpts, keeping what helps find
//! the problem: indentation, keys, list dashes, flow punctuation, line numbers and the caret position.
//!
//! Any scalar can be a secret (a password in a ConfigMap, a token in a values file), so excerpts mask every
//! value, not only those under secret-looking keys. `--show-secrets` is the only way to see them.

/// What replaces each run of value characters.
pub const MASK: &str = "<redacted>";

/// Keys whose values are shown: they name the object type and are never secret.
const STRUCTURAL_KEYS: [&str; 2] = ["apiVersion", "kind"];

/// One masked line and, for every char column of the original line (plus one past its end), the char
/// column it maps to in the masked line, so a caret can be placed on the masked text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaskedLine {
    pub text: String,
    cols: Vec<usize>,
}

impl MaskedLine {
    /// The masked column (0-based, in chars) of original column `col` (0-based, in chars).
    pub fn column(&self, col: usize) -> usize {
        match self.cols.get(col) {
            Some(c) => *c,
            None => self.cols.last().copied().unwrap_or(0),
        }
    }
}

/// Builds a masked line and its column map.
struct Out {
    text: String,
    cols: Vec<usize>,
    len: usize,
}

impl Out {
    fn new() -> Self {
        Out {
            text: String::new(),
            cols: Vec::new(),
            len: 0,
        }
    }
    /// Copy `c` from the original line.
    fn keep(&mut self, c: char) {
        self.cols.push(self.len);
        self.text.push(c);
        self.len += 1;
    }
    /// Replace `n` original chars with [`MASK`].
    fn mask(&mut self, n: usize) {
        for _ in 0..n {
            self.cols.push(self.len);
        }
        self.text.push_str(MASK);
        self.len += MASK.chars().count();
    }
    fn finish(mut self) -> MaskedLine {
        self.cols.push(self.len);
        MaskedLine {
            text: self.text,
            cols: self.cols,
        }
    }
}

/// Mask every line of a YAML text: keys, indentation, `- ` markers, `---`, flow punctuation and block scalar
/// indicators stay; each run of other characters becomes [`MASK`]. Lines inside a block scalar (`|`, `>`)
/// are masked whole.
pub fn mask_yaml(text: &str) -> Vec<MaskedLine> {
    let mut out = Vec::new();
    // Indentation of the line that opened a block scalar; deeper lines (and blank ones) are its content.
    let mut block: Option<usize> = None;
    for line in text.lines() {
        let chars: Vec<char> = line.chars().collect();
        let indent = chars.iter().take_while(|c| **c == ' ').count();
        let blank = chars.iter().all(|c| c.is_whitespace());
        if let Some(parent) = block {
            if blank || indent > parent {
                out.push(mask_from(&chars, indent));
                continue;
            }
            block = None;
        }
        let (masked, opens_block) = mask_yaml_line(&chars);
        if opens_block {
            block = Some(indent);
        }
        out.push(masked);
    }
    out
}

/// Keep `chars[..from]`, mask the rest as one value.
fn mask_from(chars: &[char], from: usize) -> MaskedLine {
    let mut o = Out::new();
    for c in &chars[..from.min(chars.len())] {
        o.keep(*c);
    }
    if chars.len() > from {
        o.mask(chars.len() - from);
    }
    o.finish()
}

/// Mask one line; also says whether it opens a block scalar.
fn mask_yaml_line(chars: &[char]) -> (MaskedLine, bool) {
    let mut o = Out::new();
    let mut i = 0;
    while i < chars.len() && chars[i].is_whitespace() {
        o.keep(chars[i]);
        i += 1;
    }
    let rest: String = chars[i..].iter().collect();
    if rest == "---" || rest == "..." || rest.starts_with("--- ") || rest.starts_with('%') {
        for c in &chars[i..] {
            o.keep(*c);
        }
        return (o.finish(), false);
    }
    // list item markers
    while i < chars.len() && chars[i] == '-' && chars.get(i + 1).is_none_or(|c| *c == ' ') {
        o.keep('-');
        i += 1;
        while i < chars.len() && chars[i] == ' ' {
            o.keep(' ');
            i += 1;
        }
    }
    let mut structural = false;
    if let Some(end) = key_end(chars, i) {
        // keep the key and its colon
        let key: String = chars[i..end].iter().collect();
        structural = STRUCTURAL_KEYS.contains(&key.trim_end());
        for c in &chars[i..=end] {
            o.keep(*c);
        }
        i = end + 1;
        while i < chars.len() && chars[i] == ' ' {
            o.keep(' ');
            i += 1;
        }
    }
    if structural {
        // `kind: Secret` tells which object the excerpt is in and is never a secret
        for c in &chars[i..] {
            o.keep(*c);
        }
        return (o.finish(), false);
    }
    let value: String = chars[i..].iter().collect();
    let indicator = value.split(" #").next().unwrap_or("").trim_end();
    let opens_block = !indicator.is_empty()
        && (indicator.starts_with('|') || indicator.starts_with('>'))
        && indicator[1..]
            .chars()
            .all(|c| c == '-' || c == '+' || c.is_ascii_digit());
    if opens_block {
        for c in indicator.chars() {
            o.keep(c);
        }
        i += indicator.chars().count();
    }
    mask_value(chars, i, &mut o);
    (o.finish(), opens_block)
}

/// Index of the `:` ending a mapping key that starts at `start`, if the text there is `key:` followed by a
/// space or the end of the line. Quoted keys are allowed; a value that only looks like it (`a:b`) is not.
fn key_end(chars: &[char], start: usize) -> Option<usize> {
    let first = *chars.get(start)?;
    let mut i = start;
    if first == '"' || first == '\'' {
        i += 1;
        while i < chars.len() {
            if chars[i] == first {
                if first == '\'' && chars.get(i + 1) == Some(&'\'') {
                    i += 2;
                    continue;
                }
                break;
            }
            if first == '"' && chars[i] == '\\' {
                i += 1;
            }
            i += 1;
        }
        i += 1;
        while i < chars.len() && chars[i] == ' ' {
            i += 1;
        }
        return (chars.get(i) == Some(&':') && chars.get(i + 1).is_none_or(|c| *c == ' '))
            .then_some(i);
    }
    if "[]{},#&*!|>%@`".contains(first) {
        return None;
    }
    while i < chars.len() {
        if chars[i] == ':' && chars.get(i + 1).is_none_or(|c| *c == ' ' || *c == '\t') {
            return Some(i);
        }
        if chars[i] == '#' && i > start && chars[i - 1] == ' ' {
            return None;
        }
        i += 1;
    }
    None
}

/// Mask the value part of a line from `i`: whitespace and flow punctuation stay, quoted strings keep their
/// quotes, every other run of characters becomes one [`MASK`].
fn mask_value(chars: &[char], mut i: usize, o: &mut Out) {
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() || "[]{},".contains(c) {
            o.keep(c);
            i += 1;
        } else if c == '"' || c == '\'' {
            o.keep(c);
            let start = i + 1;
            let mut j = start;
            while j < chars.len() && chars[j] != c {
                if c == '"' && chars[j] == '\\' {
                    j += 1;
                }
                j += 1;
            }
            let j = j.min(chars.len());
            if j > start {
                o.mask(j - start);
            }
            if j < chars.len() {
                o.keep(c);
                i = j + 1;
            } else {
                i = j;
            }
        } else {
            let start = i;
            while i < chars.len() && !chars[i].is_whitespace() && !"[]{},".contains(chars[i]) {
                i += 1;
            }
            o.mask(i - start);
        }
    }
}

/// Mask template text that came from a value (`tpl` input): template delimiters and whitespace stay, every
/// other run of characters becomes [`MASK`].
pub fn mask_template(text: &str) -> Vec<MaskedLine> {
    const DELIMS: [&str; 6] = ["{{", "}}", "{%", "%}", "{#", "#}"];
    text.lines()
        .map(|line| {
            let chars: Vec<char> = line.chars().collect();
            let mut o = Out::new();
            let mut i = 0;
            let mut run = 0;
            while i < chars.len() {
                let pair: String = chars[i..(i + 2).min(chars.len())].iter().collect();
                let c = chars[i];
                if DELIMS.contains(&pair.as_str()) || c.is_whitespace() {
                    if run > 0 {
                        o.mask(run);
                        run = 0;
                    }
                    if c.is_whitespace() {
                        o.keep(c);
                        i += 1;
                    } else {
                        for d in pair.chars() {
                            o.keep(d);
                        }
                        i += 2;
                    }
                } else {
                    run += 1;
                    i += 1;
                }
            }
            if run > 0 {
                o.mask(run);
            }
            o.finish()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Vec<String> {
        mask_yaml(text).into_iter().map(|l| l.text).collect()
    }

    #[test]
    fn keys_and_structure_stay_values_go() {
        let got = yaml(
            "apiVersion: v1\nkind: Secret\nstringData:\n  DB_PASSWORD: hunter2\n  \"quoted key\": 'x y'\n\
             list:\n  - s3cr3t\n  - name: a b c # note\nflow: [tok1, {k: tok2}]\n---\nbad: \"unterminated\n",
        );
        assert_eq!(
            got,
            [
                "apiVersion: v1",
                "kind: Secret",
                "stringData:",
                "  DB_PASSWORD: <redacted>",
                "  \"quoted key\": '<redacted>'",
                "list:",
                "  - <redacted>",
                "  - name: <redacted> <redacted> <redacted> <redacted> <redacted>",
                "flow: [<redacted>, {<redacted> <redacted>}]",
                "---",
                "bad: \"<redacted>",
            ]
        );
    }

    #[test]
    fn block_scalar_content_is_masked_whole() {
        let got = yaml("data:\n  conf: |-\n    user: admin\n    password=hunter2\n\n  next: 1\n");
        assert_eq!(
            got,
            [
                "data:",
                "  conf: |-",
                "    <redacted>",
                "    <redacted>",
                "",
                "  next: <redacted>",
            ]
        );
    }

    #[test]
    fn values_that_look_like_keys_are_not_kept() {
        // `a:b` is a plain scalar, not a key; a URL value is masked whole
        assert_eq!(
            yaml("a:b\nurl: postgres://u:pw@h"),
            ["<redacted>", "url: <redacted>"]
        );
    }

    #[test]
    fn columns_map_onto_the_masked_line() {
        let l = &mask_yaml("  password: hunter2 [x")[0];
        assert_eq!(l.text, "  password: <redacted> [<redacted>");
        assert_eq!(l.column(2), 2, "inside the key");
        assert_eq!(l.column(12), 12, "start of the value");
        assert_eq!(l.column(15), 12, "inside the value: its mask");
        assert_eq!(l.column(20), 23, "the bracket");
        assert_eq!(l.column(99), l.text.chars().count());
    }

    #[test]
    fn template_text_keeps_only_delimiters() {
        let got: Vec<String> = mask_template("pa{#ss {{ x }}\nplain")
            .into_iter()
            .map(|l| l.text)
            .collect();
        assert_eq!(
            got,
            ["<redacted>{#<redacted> {{ <redacted> }}", "<redacted>"]
        );
    }
}
