//! Semantic versions as Masterminds/semver v3 parses them: an optional `v`, missing minor and
//! patch parts counting as 0, leading zeros accepted, and SemVer 2 prerelease ordering. Used by
//! the constraint checks in `semver.rs`; constraints may also write parts as `x`, `X` or `*`.

use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Version {
    pub(crate) major: u64,
    pub(crate) minor: u64,
    pub(crate) patch: u64,
    /// Prerelease identifiers joined by `.`; empty for a release.
    pub(crate) pre: String,
}

impl Version {
    /// Parses `v?MAJOR[.MINOR[.PATCH]][-PRE][+META]`; missing parts are 0, leading zeros are
    /// accepted in the numeric parts (as Masterminds' `NewVersion` does).
    pub(crate) fn parse(s: &str) -> Result<Version, String> {
        let mut spec = VersionSpec::parse(s)?;
        if !spec.rest.is_empty() {
            return Err(format!("unexpected {:?}", spec.rest));
        }
        let number = |part: Option<Part>| match part {
            None => Ok(0),
            Some(Part::Num(n)) => Ok(n),
            Some(Part::Wild) => Err("wildcards are only allowed in constraints".to_string()),
        };
        Ok(Version {
            major: number(Some(spec.major))?,
            minor: number(spec.minor.take())?,
            patch: number(spec.patch.take())?,
            pre: spec.pre,
        })
    }

    pub(crate) fn cmp(&self, other: &Version) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_prerelease(&self.pre, &other.pre),
            })
    }
}

/// Identifier by identifier: numbers numerically and below words, words by bytes, and a shorter
/// list below a longer one that starts the same.
pub(crate) fn compare_prerelease(a: &str, b: &str) -> Ordering {
    let mut left = a.split('.');
    let mut right = b.split('.');
    loop {
        match (left.next(), right.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x == y => continue,
            (Some(x), Some(y)) => {
                return match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(x), Ok(y)) => x.cmp(&y),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    (Err(_), Err(_)) => x.cmp(y),
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    Num(u64),
    Wild,
}

/// A version as written in a constraint, possibly with wildcards, followed by unparsed text.
pub(crate) struct VersionSpec<'a> {
    pub(crate) major: Part,
    pub(crate) minor: Option<Part>,
    pub(crate) patch: Option<Part>,
    pub(crate) pre: String,
    pub(crate) rest: &'a str,
}

impl<'a> VersionSpec<'a> {
    pub(crate) fn parse(s: &'a str) -> Result<VersionSpec<'a>, String> {
        let mut rest = s.strip_prefix('v').unwrap_or(s);
        let major = take_part(&mut rest).ok_or_else(|| format!("expected a version at {s:?}"))?;
        let mut dotted = || {
            let after = rest.strip_prefix('.')?;
            let mut probe = after;
            let part = take_part(&mut probe)?;
            rest = probe;
            Some(part)
        };
        let minor = dotted();
        let patch = if minor.is_some() { dotted() } else { None };
        let mut pre = String::new();
        if let Some(after) = rest.strip_prefix('-') {
            let (ids, tail) = take_identifiers(after);
            validate_identifiers(ids, true)?;
            pre = ids.to_string();
            rest = tail;
        }
        if let Some(after) = rest.strip_prefix('+') {
            let (ids, tail) = take_identifiers(after);
            validate_identifiers(ids, false)?;
            rest = tail;
        }
        Ok(VersionSpec {
            major,
            minor,
            patch,
            pre,
            rest,
        })
    }
}

fn take_part(rest: &mut &str) -> Option<Part> {
    if let Some(tail) = rest.strip_prefix(['x', 'X', '*']) {
        *rest = tail;
        return Some(Part::Wild);
    }
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let n = rest[..digits].parse::<u64>().ok()?;
    *rest = &rest[digits..];
    Some(Part::Num(n))
}

fn take_identifiers(s: &str) -> (&str, &str) {
    let len = s
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'.')
        .count();
    s.split_at(len)
}

fn validate_identifiers(ids: &str, prerelease: bool) -> Result<(), String> {
    let what = if prerelease {
        "prerelease"
    } else {
        "build metadata"
    };
    for id in ids.split('.') {
        if id.is_empty() {
            return Err(format!("empty {what} identifier in {ids:?}"));
        }
        if prerelease
            && id.len() > 1
            && id.starts_with('0')
            && id.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(format!(
                "numeric prerelease identifier {id:?} has a leading zero"
            ));
        }
    }
    Ok(())
}
