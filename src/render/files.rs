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

    fn glob(&self, pattern: &str) -> Files {
        Files {
            files: Arc::new(
                self.files
                    .iter()
                    .filter(|(k, _)| glob_match(pattern, k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
        }
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
            "glob" => Ok(Value::from_object(self.glob(one_str(method, args)?))),
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

/// Match a chart-relative path against a glob: `*` and `?` stay within one path segment, `**` crosses
/// segments, `{a,b}` picks alternatives.
pub fn glob_match(pattern: &str, path: &str) -> bool {
    if let Some(open) = pattern.find('{') {
        if let Some(close_rel) = pattern[open..].find('}') {
            let close = open + close_rel;
            let (pre, post) = (&pattern[..open], &pattern[close + 1..]);
            return pattern[open + 1..close]
                .split(',')
                .any(|alt| glob_match(&format!("{pre}{alt}{post}"), path));
        }
    }
    match_from(pattern.as_bytes(), path.as_bytes())
}

fn match_from(p: &[u8], s: &[u8]) -> bool {
    match p.first() {
        None => s.is_empty(),
        Some(b'*') if p.get(1) == Some(&b'*') => {
            let rest = &p[2..];
            let rest = rest.strip_prefix(b"/").unwrap_or(rest);
            (0..=s.len()).any(|i| match_from(rest, &s[i..]))
        }
        Some(b'*') => {
            let rest = &p[1..];
            for i in 0..=s.len() {
                if match_from(rest, &s[i..]) {
                    return true;
                }
                if i < s.len() && s[i] == b'/' {
                    break;
                }
            }
            false
        }
        Some(b'?') => !s.is_empty() && s[0] != b'/' && match_from(&p[1..], &s[1..]),
        Some(c) => s.first() == Some(c) && match_from(&p[1..], &s[1..]),
    }
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
    }
}
