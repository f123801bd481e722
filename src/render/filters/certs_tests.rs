//! Tests for key and certificate generation.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use minijinja::context;
use rcgen::{Issuer, KeyPair, KeyUsagePurpose};

use crate::render::filters::testenv::{render, render_err};

/// The DER bytes inside a single PEM block.
fn der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(body).unwrap()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Renders `src` and splits the output into the PEM blocks it printed (separated by `|`).
fn pems(src: &str) -> Vec<String> {
    render(src, context! {})
        .unwrap()
        .split('|')
        .map(str::to_string)
        .collect()
}

#[test]
fn private_keys() {
    let key = render("{{ gen_private_key() }}", context! {}).unwrap();
    assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"), "{key}");
    assert_eq!(
        KeyPair::from_pem(&key).unwrap().algorithm(),
        &rcgen::PKCS_ECDSA_P256_SHA256
    );
    let key = render("{{ gen_private_key('ed25519') }}", context! {}).unwrap();
    assert_eq!(
        KeyPair::from_pem(&key).unwrap().algorithm(),
        &rcgen::PKCS_ED25519
    );
    let key = render("{{ gen_private_key('ecdsa-p384') }}", context! {}).unwrap();
    assert_eq!(
        KeyPair::from_pem(&key).unwrap().algorithm(),
        &rcgen::PKCS_ECDSA_P384_SHA384
    );
    let err = render_err("{{ gen_private_key('rsa') }}", context! {});
    assert!(
        err.contains("gen_private_key: RSA key generation is not available"),
        "{err}"
    );
    let err = render_err("{{ gen_private_key('dsa') }}", context! {});
    assert!(err.contains("unknown key algorithm \"dsa\""), "{err}");
}

#[test]
fn ca_is_a_usable_issuer() {
    let p = pems("{% set ca = gen_ca('tack-test-root', 30) %}{{ ca.cert }}|{{ ca.key }}");
    assert!(p[0].starts_with("-----BEGIN CERTIFICATE-----"), "{}", p[0]);
    let issuer = Issuer::from_ca_cert_pem(&p[0], KeyPair::from_pem(&p[1]).unwrap()).unwrap();
    assert!(issuer.key_usages().contains(&KeyUsagePurpose::KeyCertSign));
    assert!(contains(&der(&p[0]), b"tack-test-root"));
}

#[test]
fn self_signed_cert_carries_sans() {
    let p = pems("{% set c = gen_self_signed_cert('web', ['10.1.2.3'], ['web.ns.svc', 'web'], 10) %}{{ c.cert }}|{{ c.key }}");
    let cert = der(&p[0]);
    assert!(contains(&cert, &[10, 1, 2, 3]));
    assert!(contains(&cert, b"web.ns.svc"));
    KeyPair::from_pem(&p[1]).unwrap();
    // Keyword arguments and missing lists work too.
    let p = pems("{% set c = gen_self_signed_cert('api', sans=['api.local']) %}{{ c.cert }}");
    assert!(contains(&der(&p[0]), b"api.local"));
}

#[test]
fn signed_cert_is_issued_by_the_ca() {
    let src = "{% set ca = gen_ca('tack-issuing-ca', 30) %}\
               {% set c = gen_signed_cert('leaf', none, ['leaf.example'], 10, ca) %}\
               {% set k = gen_signed_cert('kw', sans=['kw.example'], ca=ca) %}\
               {{ c.cert }}|{{ c.key }}|{{ ca.key }}|{{ k.cert }}";
    let p = pems(src);
    let leaf = der(&p[0]);
    assert!(
        contains(&leaf, b"tack-issuing-ca"),
        "issuer name is in the leaf"
    );
    assert!(contains(&leaf, b"leaf.example"));
    assert_ne!(p[1], p[2], "the leaf has its own key");
    assert!(contains(&der(&p[3]), b"kw.example"));
}

#[test]
fn argument_errors() {
    let err = render_err("{{ gen_ca('x', 0) }}", context! {});
    assert!(
        err.contains("gen_ca: days must be between 1 and 36500, got 0"),
        "{err}"
    );
    let err = render_err("{{ gen_ca('', 10) }}", context! {});
    assert!(
        err.contains("gen_ca: the common name must not be empty"),
        "{err}"
    );
    let err = render_err(
        "{{ gen_self_signed_cert('x', ['not-an-ip']) }}",
        context! {},
    );
    assert!(
        err.contains("\"not-an-ip\" in ips is not an IP address"),
        "{err}"
    );
    let err = render_err("{{ gen_self_signed_cert('x', none, 'host') }}", context! {});
    assert!(err.contains("sans must be a list of strings"), "{err}");
    let err = render_err("{{ gen_signed_cert('x', none, none, 10) }}", context! {});
    assert!(
        err.contains("gen_signed_cert: missing the `ca` argument"),
        "{err}"
    );
    let err = render_err(
        "{{ gen_signed_cert('x', none, none, 10, {'cert': 'junk', 'key': 'junk'}) }}",
        context! {},
    );
    assert!(err.contains("ca.key is not a usable private key"), "{err}");
    let err = render_err("{{ gen_signed_cert('x', ca='nope') }}", context! {});
    assert!(err.contains("ca must be a map"), "{err}");
}
