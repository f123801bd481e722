//! Constraint tables for `semver_compare`, checked against Masterminds/semver v3 behaviour.

use super::Constraints;
use crate::render::filters::semver_version::Version;
use crate::render::filters::testenv::{render, render_err};
use minijinja::context;

fn check(constraint: &str, version: &str) -> bool {
    let c = Constraints::parse(constraint).unwrap_or_else(|e| panic!("{constraint:?}: {e}"));
    let v = Version::parse(version).unwrap_or_else(|e| panic!("{version:?}: {e}"));
    c.matches(&v)
}

#[test]
fn kubernetes_version_checks() {
    let table = [
        (">=1.19-0", "v1.29.3-eks-1", true),
        (">=1.19-0", "1.18.20", false),
        (">=1.19-0", "v1.19.0", true),
        (">=1.19", "v1.29.3-eks-1", false),
        (">=1.19", "v1.29.3", true),
        (">=1.19.0-0", "1.25.4+k3s1", true),
        ("<1.22-0", "v1.21.14-gke.700", true),
        ("<1.22-0", "v1.22.0", false),
        (">=1.16-0 <1.22-0", "1.20.1-rc.1", true),
        (">= 1.14-0, < 1.19-0", "1.19.0", false),
        ("^1.21-0", "1.28.2-gke.1", true),
        ("~1.28-0", "1.29.0", false),
    ];
    for (c, v, want) in table {
        assert_eq!(check(c, v), want, "{c:?} vs {v:?}");
    }
}

#[test]
fn operators_and_wildcards() {
    let table = [
        ("=2.0.0", "2.0.0", true),
        ("2.0.0", "2.0.1", false),
        ("=2.0", "2.0.7", true),
        ("2", "2.9.1", true),
        ("2", "3.0.0", false),
        ("!=4.1.0", "4.1.1", true),
        ("!=4.1", "4.1.9", false),
        ("!=4.x", "5.0.0", true),
        ("!=4.2.x", "4.2.3", false),
        (">1.1", "1.1.9", false),
        (">1.1", "1.2.0", true),
        (">11", "11.9.9", false),
        (">1.2.3", "1.2.4", true),
        ("<1.1", "1.0.9", true),
        ("<1.x", "1.1.1", false),
        ("<1.x", "0.9.0", true),
        (">=1.1", "1.1.0", true),
        ("=>1.1", "1.0.0", false),
        ("<=1.1", "1.1.9", true),
        ("=<1.1", "1.2.0", false),
        ("<=2.x", "2.9.0", true),
        ("<=2.x", "3.0.0", false),
        ("<=1.2.3", "1.2.4", false),
        ("*", "4.5.6", true),
        ("x", "0.0.1", true),
        ("*", "1.2.3-alpha", false),
        ("*-0", "1.2.3-alpha", true),
        ("1.x", "1.4", true),
        ("1.2.X", "1.2.9", true),
        ("1.2.*", "1.3.0", false),
    ];
    for (c, v, want) in table {
        assert_eq!(check(c, v), want, "{c:?} vs {v:?}");
    }
}

#[test]
fn tilde_and_caret() {
    let table = [
        ("~1.2.3", "1.2.9", true),
        ("~1.2.3", "1.3.0", false),
        ("~1.2.3", "1.2.2", false),
        ("~1.2", "1.2.0", true),
        ("~1", "1.9.9", true),
        ("~1", "2.0.0", false),
        ("~>1.2", "1.2.5", true),
        ("~0.0.0", "3.1.4", true),
        ("~1.2.3-beta.2", "1.2.4-beta.2", true),
        ("~1.2.3-beta.2", "1.3.0-beta.2", false),
        ("^1.2.3", "1.9.0", true),
        ("^1.2.3", "2.0.0", false),
        ("^1.2.3", "1.2.2", false),
        ("^1.x", "1.0.0", true),
        ("^0.2.3", "0.2.9", true),
        ("^0.2.3", "0.3.0", false),
        ("^0.2", "0.2.0", true),
        ("^0.0.3", "0.0.3", true),
        ("^0.0.3", "0.0.4", false),
        ("^0.0", "0.0.9", true),
        ("^0.0", "0.1.0", false),
        ("^0", "0.9.0", true),
        ("^0", "1.0.0", false),
        ("^0.0.0", "1.2.3", false),
        ("^1.2.0", "1.2.1-alpha.1", false),
        ("^1.2.0-alpha.0", "1.2.1-alpha.1", true),
        ("^1.2.0-alpha.2", "1.2.0-alpha.1", false),
    ];
    for (c, v, want) in table {
        assert_eq!(check(c, v), want, "{c:?} vs {v:?}");
    }
}

#[test]
fn and_or_and_ranges() {
    let table = [
        (">1.1, <2", "1.2.1", true),
        (">1.1 <2", "1.1.1", false),
        (">=1.1,<2,!=1.2.3", "1.2.3", false),
        (">= 1.1 <2 != 1.2.3 || >= 3", "3.0.0", true),
        (">=1.1 <2 !=1.2.3 || > 3", "3.0.0", false),
        ("<1 || >=2.5", "2.6.0", true),
        ("<1 || >=2.5", "1.5.0", false),
        ("1.1 - 2", "1.1.1", true),
        ("1.1 - 2", "2.9.9", true),
        ("1.1 - 2", "3.0.0", false),
        ("1.5.0 - 4.5", "3.7.0", true),
        ("1.0.0 - 2.0.0, <=1.5.0", "1.6.0", false),
        ("1.1-3", "4.3.2", false),
        // A prerelease in one constraint lets the whole AND group consider prereleases.
        (">= 1.0.0 <= 2.0.0-beta", "1.0.1-beta", true),
        (
            ">= 1.0.0 <= 2.0.0-beta != 1.0.1-beta || > 3",
            "1.0.1-beta",
            false,
        ),
        (">= 1.0.0 <= 2.0.0-beta || > 3", "3.0.1-beta", false),
    ];
    for (c, v, want) in table {
        assert_eq!(check(c, v), want, "{c:?} vs {v:?}");
    }
}

#[test]
fn prerelease_ordering() {
    let table = [
        (">1.0.0-alpha", "1.0.0-alpha.1", true),
        (">1.0.0-alpha.1", "1.0.0-alpha.beta", true),
        (">1.0.0-alpha.beta", "1.0.0-beta", true),
        (">1.0.0-beta.2", "1.0.0-beta.11", true),
        (">1.0.0-beta.11", "1.0.0-rc.1", true),
        (">1.0.0-rc.1", "1.0.0", true),
        ("<1.0.0-rc.1", "1.0.0", false),
        (">=1.0.0-rc.1", "1.0.0", true),
        ("<1.0.0-2", "1.0.0-10", false),
        ("=1.2.3-a", "1.2.3-a+build.5", true),
    ];
    for (c, v, want) in table {
        assert_eq!(check(c, v), want, "{c:?} vs {v:?}");
    }
}

#[test]
fn parse_errors() {
    for bad in [
        "",
        "   ",
        ">= bar",
        "BAR >= 1.2.3",
        "12.3.4.1234",
        "12.3.34~ 1.2.3",
        "1.2.3,",
        ">=1.2 ||",
        "v1.2.3-beta.01",
    ] {
        assert!(Constraints::parse(bad).is_err(), "{bad:?} should not parse");
    }
    for bad in [
        "", "x", "1.x", "1.2.3.4", "a.b.c", "1.2.3-", "1.2.3-01", "1.2.3+",
    ] {
        assert!(Version::parse(bad).is_err(), "{bad:?} should not parse");
    }
    assert!(Version::parse("v1").is_ok());
    assert!(Version::parse("01.002.0003").is_ok());
}

#[test]
fn function_and_test_in_templates() {
    let ctx = context! { capabilities => context! { kubeVersion => context! { version => "v1.29.3-eks-1" } } };
    let src = "{{ semver_compare('>=1.19-0', capabilities.kubeVersion.version) }} \
               {{ capabilities.kubeVersion.version is semver('<1.19-0') }} \
               {% if capabilities.kubeVersion.version is semver('>=1.21-0') %}policy/v1{% endif %}";
    assert_eq!(render(src, ctx).unwrap(), "true false policy/v1");
    let err = render_err("{{ semver_compare('>= nope', '1.0.0') }}", context! {});
    assert!(
        err.contains("semver_compare: invalid constraint \">= nope\""),
        "{err}"
    );
    let err = render_err("{{ '1.2.3.4' is semver('>1') }}", context! {});
    assert!(err.contains("semver: invalid version \"1.2.3.4\""), "{err}");
}
