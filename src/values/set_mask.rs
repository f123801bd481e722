//! How a `--set*` parse error shows the flag: its keys and the position of the problem, with every value
//! replaced by `…`, because a value may be a secret (`--set db.password=...`).

use anyhow::anyhow;

/// What the parser was reading when it failed, so an error shows keys but never a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum State {
    /// A key, which may be shown up to its `=`.
    Key,
    /// A value that started at this character.
    Value(usize),
    /// Past a value: what follows is not known to be a key.
    After,
}

/// A flag's text as the parser saw it, enough to print it safely.
pub(super) struct FlagView<'a> {
    pub chars: &'a [char],
    /// Character ranges of the values read so far.
    pub values: &'a [(usize, usize)],
    /// Where the assignment being read starts.
    pub entry: usize,
    pub state: State,
}

impl FlagView<'_> {
    /// An error at character `at`: the message with the column, then the flag with every value masked
    /// and a caret under the spot (under the start of the value when the error is inside one).
    pub fn error(&self, flag: &str, at: usize, msg: &str, hint: &str) -> anyhow::Error {
        let at = match self.state {
            State::Value(start) => start.min(at),
            _ => at,
        }
        .min(self.chars.len());
        let (shown, caret_at) = self.masked(at);
        let caret = " ".repeat(flag.len() + 1 + caret_at);
        let mut out = format!(
            "invalid {flag} at column {}: {msg}\n  {flag} {shown}\n  {caret}^",
            at + 1
        );
        if !hint.is_empty() {
            out.push_str(&format!("\n\nhint: {hint}"));
        }
        anyhow!(out)
    }

    /// The text up to `at` with values masked, then the rest of the key being read (if the error is in
    /// a key that may be shown), then `…` for anything else; and where `at` falls in it, in characters.
    fn masked(&self, at: usize) -> (String, usize) {
        let mut shown = String::new();
        let mut i = 0;
        let mut spans = self.values.iter().peekable();
        let mut entry_at = 0;
        while i < at {
            if i == self.entry {
                entry_at = shown.chars().count();
            }
            if let Some(&&(start, end)) = spans.peek() {
                if i >= start {
                    shown.push('…');
                    i = end.max(i + 1);
                    spans.next();
                    continue;
                }
            }
            shown.push(self.chars[i]);
            i += 1;
        }
        if at <= self.entry {
            entry_at = shown.chars().count();
        }
        if self.state == State::Key && !key_visible(self.chars, self.entry) {
            // the entry may be the tail of a value that held a `,`: show none of it
            shown = shown.chars().take(entry_at).collect();
            shown.push('…');
            return (shown, entry_at);
        }
        let caret_at = shown.chars().count();
        let mut rest = at;
        if self.state == State::Key {
            while rest < self.chars.len() && !matches!(self.chars[rest], '=' | ',') {
                shown.push(self.chars[rest]);
                rest += 1;
            }
            if let Some(&c @ (',' | '=')) = self.chars.get(rest) {
                shown.push(c);
                rest += 1;
            }
        }
        if rest < self.chars.len() {
            shown.push('…');
        }
        (shown, caret_at)
    }
}

/// Whether the key of the entry starting at `entry` may be shown: it is the flag's first entry, or an
/// `=` follows it. Otherwise it may be the rest of a value that contained an unescaped `,`.
pub(super) fn key_visible(chars: &[char], entry: usize) -> bool {
    entry == 0
        || chars[entry.min(chars.len())..]
            .iter()
            .take_while(|&&c| c != ',')
            .any(|&c| c == '=')
}

#[cfg(test)]
#[path = "set_mask_tests.rs"]
mod tests;
