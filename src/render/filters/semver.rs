//! `semver_compare(constraint, version)` and the test `semver(c)`, with the constraint rules of
//! Masterminds/semver v3 (what Helm's `semverCompare` uses), which differ from Cargo's.
//!
//! Versions may start with `v` and may omit minor and patch. Constraints are `||`-separated groups
//! of constraints joined by spaces or commas (AND); operators are `= != > < >= <= => =< ~ ~> ^`,
//! parts may be `x`, `X` or `*`, and `a - b` is a range. A prerelease version only matches a
//! group in which some constraint names a prerelease (hence `>=1.19-0` in charts).

use std::cmp::Ordering;

use minijinja::value::Value;
use minijinja::{Environment, Error};

use super::semver_version::{compare_prerelease, Part, Version, VersionSpec};
use super::{fail, text_of, FilterOptions};

pub(super) fn register(env: &mut Environment<'static>, opts: &FilterOptions) {
    let lenient = opts.lenient;
    env.add_function(
        "semver_compare",
        move |constraint: Value, version: Value| {
            let constraint = text_of("semver_compare", &constraint, lenient)?;
            let version = text_of("semver_compare", &version, lenient)?;
            check("semver_compare", &constraint, &version)
        },
    );
    env.add_test("semver", move |version: &Value, constraint: Value| {
        let constraint = text_of("semver", &constraint, lenient)?;
        check("semver", &constraint, &text_of("semver", version, lenient)?)
    });
}

/// Whether `version` satisfies `constraint` (Masterminds rules), for Rust callers such as the chart's
/// `kubeVersion` check.
pub fn semver_matches(constraint: &str, version: &str) -> Result<bool, Error> {
    check("kubeVersion", constraint, version)
}

/// Whether `constraint` parses (Masterminds rules); the error says why not, without the constraint.
pub fn validate_constraint(constraint: &str) -> Result<(), String> {
    Constraints::parse(constraint).map(|_| ())
}

/// A version as Masterminds reads it: `(major, minor, patch, prerelease)`, missing parts as 0 and an
/// empty prerelease for a release; the error says why it is not a version.
pub fn version_parts(version: &str) -> Result<(u64, u64, u64, String), String> {
    let v = Version::parse(version.trim())?;
    Ok((v.major, v.minor, v.patch, v.pre))
}

fn check(name: &str, constraint: &str, version: &str) -> Result<bool, Error> {
    let constraints = Constraints::parse(constraint)
        .map_err(|why| fail(name, format!("invalid constraint {constraint:?}: {why}")))?;
    let version = Version::parse(version.trim())
        .map_err(|why| fail(name, format!("invalid version {version:?}: {why}")))?;
    Ok(constraints.matches(&version))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    Tilde,
    Caret,
}

/// Operators, longest spellings first so that `>=` is not read as `>`.
const OPS: &[(&str, Op)] = &[
    ("!=", Op::Ne),
    (">=", Op::Ge),
    ("=>", Op::Ge),
    ("<=", Op::Le),
    ("=<", Op::Le),
    ("~>", Op::Tilde),
    ("=", Op::Eq),
    (">", Op::Gt),
    ("<", Op::Lt),
    ("~", Op::Tilde),
    ("^", Op::Caret),
];

#[derive(Debug)]
struct Constraint {
    op: Op,
    con: Version,
    dirty: bool,
    minor_dirty: bool,
    patch_dirty: bool,
}

impl Constraint {
    fn new(op: Op, spec: &VersionSpec<'_>) -> Constraint {
        let num = |p: Option<Part>| match p {
            Some(Part::Num(n)) => Some(n),
            _ => None,
        };
        let version = |major, minor, patch| Version {
            major,
            minor,
            patch,
            pre: spec.pre.clone(),
        };
        let (con, dirty, minor_dirty, patch_dirty) =
            match (num(Some(spec.major)), num(spec.minor), num(spec.patch)) {
                (None, _, _) => (version(0, 0, 0), true, false, false),
                (Some(major), None, _) => (version(major, 0, 0), true, true, false),
                (Some(major), Some(minor), None) => (version(major, minor, 0), true, false, true),
                (Some(major), Some(minor), Some(patch)) => {
                    (version(major, minor, patch), false, false, false)
                }
            };
        Constraint {
            op,
            con,
            dirty,
            minor_dirty,
            patch_dirty,
        }
    }

    fn matches(&self, v: &Version, include_pre: bool) -> bool {
        if !v.pre.is_empty() && !include_pre {
            return false;
        }
        let c = &self.con;
        let ord = v.cmp(c);
        match self.op {
            Op::Eq if self.dirty => self.tilde(v),
            Op::Eq => ord == Ordering::Equal,
            Op::Ne => self.not_equal(v),
            Op::Gt if !self.dirty => ord == Ordering::Greater,
            Op::Gt => match v.major.cmp(&c.major) {
                Ordering::Greater => true,
                Ordering::Less => false,
                Ordering::Equal if self.minor_dirty => false,
                Ordering::Equal if self.patch_dirty => v.minor > c.minor,
                Ordering::Equal => ord == Ordering::Greater,
            },
            Op::Lt => ord == Ordering::Less,
            Op::Ge => ord != Ordering::Less,
            Op::Le if !self.dirty => ord != Ordering::Greater,
            Op::Le => {
                !(v.major > c.major
                    || (v.major == c.major && v.minor > c.minor && !self.minor_dirty))
            }
            Op::Tilde => self.tilde(v),
            Op::Caret => self.caret(v),
        }
    }

    fn tilde(&self, v: &Version) -> bool {
        let c = &self.con;
        if v.cmp(c) == Ordering::Less {
            return false;
        }
        if (c.major, c.minor, c.patch) == (0, 0, 0) && !self.minor_dirty && !self.patch_dirty {
            return true;
        }
        v.major == c.major && (v.minor == c.minor || self.minor_dirty)
    }

    fn caret(&self, v: &Version) -> bool {
        let c = &self.con;
        if v.cmp(c) == Ordering::Less {
            return false;
        }
        if c.major > 0 || self.minor_dirty {
            return v.major == c.major;
        }
        if v.major > 0 {
            return false;
        }
        if c.minor > 0 || self.patch_dirty {
            return v.minor == c.minor;
        }
        v.minor == 0 && v.patch == c.patch
    }

    fn not_equal(&self, v: &Version) -> bool {
        let c = &self.con;
        if self.dirty {
            if c.major != v.major {
                return true;
            }
            if self.minor_dirty {
                return false;
            }
            if c.minor != v.minor {
                return true;
            }
            if self.patch_dirty {
                return (!v.pre.is_empty() || !c.pre.is_empty())
                    && compare_prerelease(&v.pre, &c.pre) != Ordering::Equal;
            }
            if c.patch != v.patch {
                return true;
            }
        }
        v.cmp(c) != Ordering::Equal
    }
}

/// OR-groups of AND-ed constraints, each group noting whether it names a prerelease.
#[derive(Debug)]
pub(crate) struct Constraints {
    groups: Vec<(Vec<Constraint>, bool)>,
}

impl Constraints {
    pub(crate) fn parse(text: &str) -> Result<Constraints, String> {
        let mut groups = Vec::new();
        for group in text.split("||") {
            let parsed = parse_group(group)?;
            let has_pre = parsed.iter().any(|c| !c.con.pre.is_empty());
            groups.push((parsed, has_pre));
        }
        Ok(Constraints { groups })
    }

    pub(crate) fn matches(&self, v: &Version) -> bool {
        self.groups
            .iter()
            .any(|(group, has_pre)| group.iter().all(|c| c.matches(v, *has_pre)))
    }
}

fn parse_group(group: &str) -> Result<Vec<Constraint>, String> {
    let mut out = Vec::new();
    let mut rest = group.trim_start();
    if rest.trim().is_empty() {
        return Err("empty constraint".to_string());
    }
    while !rest.is_empty() {
        let (op, after_op) = match OPS.iter().find(|(spelling, _)| rest.starts_with(spelling)) {
            Some((spelling, op)) => (Some(*op), rest[spelling.len()..].trim_start()),
            None => (None, rest),
        };
        let spec = VersionSpec::parse(after_op)?;
        rest = spec.rest;
        // `a - b` (no operator, spaces around the dash) is `>= a, <= b`.
        if op.is_none() {
            let trimmed = rest.trim_start();
            if trimmed.len() < rest.len() {
                if let Some(after_dash) = trimmed.strip_prefix('-') {
                    let upper_text = after_dash.trim_start();
                    if upper_text.len() < after_dash.len() {
                        let upper = VersionSpec::parse(upper_text)?;
                        out.push(Constraint::new(Op::Ge, &spec));
                        out.push(Constraint::new(Op::Le, &upper));
                        rest = upper.rest;
                        rest = separator(rest)?;
                        continue;
                    }
                }
            }
        }
        out.push(Constraint::new(op.unwrap_or(Op::Eq), &spec));
        rest = separator(rest)?;
    }
    Ok(out)
}

/// Skips the spaces and/or comma between two constraints; something must separate them.
fn separator(rest: &str) -> Result<&str, String> {
    let trimmed = rest.trim_start();
    let (trimmed, comma) = match trimmed.strip_prefix(',') {
        Some(after) => (after.trim_start(), true),
        None => (trimmed, false),
    };
    if !trimmed.is_empty() && !comma && trimmed.len() == rest.len() {
        return Err(format!("expected a space or comma before {trimmed:?}"));
    }
    if comma && trimmed.is_empty() {
        return Err("a comma must be followed by another constraint".to_string());
    }
    Ok(trimmed)
}

#[cfg(test)]
#[path = "semver_tests.rs"]
mod tests;
