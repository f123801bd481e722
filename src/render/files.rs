//! The `files` template object: read-only access to the chart's non-template files (Helm's `.Files`).

use minijinja::value::{Enumerator, Object, ObjectRepr, Value};
use minijinja::{Error, ErrorKind, State};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A set of chart files, keyed by chart-relative path. `glob` returns a subset of the same type.
#[derive(Debug, Clone, Default)]
pub struct Files {
    files: Arc<BTreeMap<String, Arc<Vec<u8>>>>,
}

impl Files {
    pub fn new(files: impl IntoIterator<Item = (String, Vec<u8>)>) -> Files {
        Files {
            files: Arc::new(files.into_iter().map(|(k, v)| (k, Arc::new(v))).collect()),
        }
    }

    fn text(&self, path: &str) -> Result<String, Error> {
        match self.files.get(path) {
            None => Ok(String::new()),
            Some(bytes) => String::from_utf8(bytes.to_vec()).map_err(|e| {
                Error::new(
                    ErrorKind::InvalidOperation,
                    format!(
                        "files.get: `{path}` is not UTF-8 (bad byte at offset {}); use files.get_bytes",
                        e.utf8_error().valid_up_to()
                    ),
                )
            }),
        }
    }

    fn glob(&self, pattern: &str) -> Result<Files, Error> {
        let glob = Glob::new(pattern)?;
        let mut steps = 0u64;
        let mut files = BTreeMap::new();
        for (k, v) in self.files.iter() {
            if glob.matches(k, &mut steps)? {
                files.insert(k.clone(), v.clone());
            }
        }
        Ok(Files {
            files: Arc::new(files),
        })
    }

    fn by_basename(&self, encode: impl Fn(&[u8]) -> Result<String, Error>) -> Result<Value, Error> {
        let mut map = BTreeMap::new();
        for (path, bytes) in self.files.iter() {
            let base = path.rsplit('/').next().unwrap_or(path).to_string();
            map.insert(base, Value::from(encode(bytes)?));
        }
        Ok(Value::from_pairs(map))
    }
}

fn one_str<'a>(method: &str, args: &'a [Value]) -> Result<&'a str, Error> {
    match args {
        [v] => v.as_str().ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidOperation,
                format!("files.{method}: expected a path string, got {}", v.kind()),
            )
        }),
        _ => Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("files.{method}: expected one argument, got {}", args.len()),
        )),
    }
}

impl Object for Files {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let k = key.as_str()?;
        self.files
            .get(k)
            .map(|b| Value::from(String::from_utf8_lossy(b).into_owned()))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        let keys: Vec<Value> = self.files.keys().map(|k| Value::from(k.clone())).collect();
        Enumerator::Values(keys)
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "get" => Ok(Value::from(self.text(one_str(method, args)?)?)),
            "get_bytes" => {
                let path = one_str(method, args)?;
                Ok(Value::from_bytes(
                    self.files.get(path).map(|b| b.to_vec()).unwrap_or_default(),
                ))
            }
            "lines" => {
                let text = self.text(one_str(method, args)?)?;
                Ok(Value::from_iter(
                    text.lines().map(|l| Value::from(l.to_string())),
                ))
            }
            "glob" => Ok(Value::from_object(self.glob(one_str(method, args)?)?)),
            "as_config" => {
                let map = self.by_basename(|b| {
                    String::from_utf8(b.to_vec()).map_err(|_| {
                        Error::new(
                            ErrorKind::InvalidOperation,
                            "files.as_config: a file is not UTF-8; use as_secrets",
                        )
                    })
                })?;
                Ok(Value::from(super::filters::to_yaml(&map)?))
            }
            "as_secrets" => {
                use base64::Engine;
                let map = self
                    .by_basename(|b| Ok(base64::engine::general_purpose::STANDARD.encode(b)))?;
                Ok(Value::from(super::filters::to_yaml(&map)?))
            }
            _ => Err(Error::new(
                ErrorKind::UnknownMethod,
                format!("files has no method `{method}` (try get, get_bytes, lines, glob, as_config, as_secrets)"),
            )),
        }
    }
}

/// Most alternatives a glob's `{a,b}` groups may expand to.
pub const MAX_GLOB_ALTERNATIVES: usize = 256;
/// Most matching steps (pattern positions × path bytes) one `files.glob` call may take.
pub const MAX_GLOB_STEPS: u64 = 20_000_000;

/// One element of a glob pattern.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok {
    Byte(u8),
    /// `?`: one byte other than `/`.
    One,
    /// `*`: any bytes other than `/`.
    Star,
    /// `**` (and `**/`): any bytes.
    Any,
}

/// A compiled glob: its `{a,b}` alternatives, each matched by a set-of-positions simulation (no
/// backtracking, so the cost is at most pattern length × path length per alternative).
struct Glob {
    alternatives: Vec<Vec<Tok>>,
}

impl Glob {
    fn new(pattern: &str) -> Result<Glob, Error> {
        let mut expanded = Vec::new();
        expand(pattern, &mut expanded)?;
        Ok(Glob {
            alternatives: expanded.iter().map(|p| compile(p.as_bytes())).collect(),
        })
    }

    fn matches(&self, path: &str, steps: &mut u64) -> Result<bool, Error> {
        for toks in &self.alternatives {
            *steps += (toks.len() as u64 + 1) * (path.len() as u64 + 1);
            if *steps > MAX_GLOB_STEPS {
                return Err(Error::new(
                    ErrorKind::InvalidOperation,
                    format!(
                        "files.glob: the pattern takes more than {MAX_GLOB_STEPS} matching steps over the chart's files; use a simpler pattern"
                    ),
                ));
            }
            if run(toks, path.as_bytes()) {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// Expand the first `{a,b}` group, recursively, refusing more than [`MAX_GLOB_ALTERNATIVES`] results.
fn expand(pattern: &str, out: &mut Vec<String>) -> Result<(), Error> {
    if let Some(open) = pattern.find('{') {
        if let Some(close_rel) = pattern[open..].find('}') {
            let close = open + close_rel;
            let (pre, post) = (&pattern[..open], &pattern[close + 1..]);
            for alt in pattern[open + 1..close].split(',') {
                expand(&format!("{pre}{alt}{post}"), out)?;
            }
            return Ok(());
        }
    }
    if out.len() >= MAX_GLOB_ALTERNATIVES {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("files.glob: the pattern's `{{a,b}}` groups expand to more than {MAX_GLOB_ALTERNATIVES} alternatives"),
        ));
    }
    out.push(pattern.to_string());
    Ok(())
}

fn compile(p: &[u8]) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            b'*' if p.get(i + 1) == Some(&b'*') => {
                i += 2;
                if p.get(i) == Some(&b'/') {
                    i += 1;
                }
                if toks.last() != Some(&Tok::Any) {
                    toks.push(Tok::Any);
                }
                continue;
            }
            b'*' => {
                if !matches!(toks.last(), Some(Tok::Star) | Some(Tok::Any)) {
                    toks.push(Tok::Star);
                }
            }
            b'?' => toks.push(Tok::One),
            c => toks.push(Tok::Byte(c)),
        }
        i += 1;
    }
    toks
}

/// Simulate the pattern over `s` with the set of reachable pattern positions.
fn run(toks: &[Tok], s: &[u8]) -> bool {
    let n = toks.len();
    let mut cur = vec![false; n + 1];
    let mut next = vec![false; n + 1];
    cur[0] = true;
    close(toks, &mut cur);
    for &b in s {
        next.iter_mut().for_each(|x| *x = false);
        let mut any = false;
        for k in 0..n {
            if !cur[k] {
                continue;
            }
            match toks[k] {
                Tok::Byte(c) if c == b => next[k + 1] = true,
                Tok::One if b != b'/' => next[k + 1] = true,
                Tok::Star if b != b'/' => next[k] = true,
                Tok::Any => next[k] = true,
                _ => {}
            }
        }
        close(toks, &mut next);
        std::mem::swap(&mut cur, &mut next);
        for x in &cur {
            any |= *x;
        }
        if !any {
            return false;
        }
    }
    cur[n]
}

/// Add the positions reachable without input: `*` and `**` may match nothing.
fn close(toks: &[Tok], set: &mut [bool]) {
    for k in 0..toks.len() {
        if set[k] && matches!(toks[k], Tok::Star | Tok::Any) {
            set[k + 1] = true;
        }
    }
}

/// Match a chart-relative path against a glob: `*` and `?` stay within one path segment, `**` crosses
/// segments, `{a,b}` picks alternatives. A pattern over the limits matches nothing.
pub fn glob_match(pattern: &str, path: &str) -> bool {
    Glob::new(pattern)
        .and_then(|g| g.matches(path, &mut 0))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn globs() {
        assert!(glob_match("files/*.conf", "files/a.conf"));
        assert!(!glob_match("files/*.conf", "files/sub/a.conf"));
        assert!(glob_match("files/**.conf", "files/sub/a.conf"));
        assert!(glob_match("files/**/*.conf", "files/sub/a.conf"));
        assert!(glob_match("config/?.{yaml,json}", "config/a.json"));
        assert!(!glob_match("config/?.{yaml,json}", "config/ab.json"));
        assert!(glob_match("**", "a/b/c"));
        assert!(glob_match("a/**", "a/b/c"));
        assert!(glob_match("**/c", "a/b/c"));
        assert!(!glob_match("a/*", "a/b/c"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("?", ""));
    }

    #[test]
    fn backtracking_patterns_finish_fast() {
        let path = format!("files/{}", "a".repeat(200));
        let pattern = format!("files/{}b", "*a".repeat(60));
        let started = std::time::Instant::now();
        assert!(!glob_match(&pattern, &path));
        let pattern = format!("{}x", "**".repeat(40));
        assert!(!glob_match(&pattern, &path));
        assert!(started.elapsed().as_millis() < 2000);
    }

    #[test]
    fn brace_bombs_and_step_floods_are_errors() {
        use super::{Files, MAX_GLOB_ALTERNATIVES};
        let files = Files::new((0..10).map(|i| (format!("f/{i}"), vec![])));
        let bomb = "{a,b}".repeat(20);
        let e = files.glob(&bomb).unwrap_err().to_string();
        assert!(
            e.contains(&format!("more than {MAX_GLOB_ALTERNATIVES} alternatives")),
            "{e}"
        );
        let long = Files::new((0..2000).map(|i| (format!("f/{i}/{}", "a".repeat(5000)), vec![])));
        let e = long
            .glob(&format!("{}b", "*a".repeat(1000)))
            .unwrap_err()
            .to_string();
        assert!(e.contains("matching steps"), "{e}");
    }
}
