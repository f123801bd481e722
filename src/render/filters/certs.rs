//! Key and certificate generation for charts that bootstrap their own TLS: `gen_private_key`,
//! `gen_ca`, `gen_self_signed_cert` and `gen_signed_cert`, built on rcgen.
//!
//! Deviation from Sprig: rcgen's `ring` backend cannot generate RSA keys, so keys are ECDSA P-256
//! by default (`"ed25519"` is also available) and `gen_private_key("rsa")` is an error that says
//! so. CA keys loaded from existing secrets may still be RSA: signing with them works.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use minijinja::value::{Kwargs, Rest, Value, ValueKind};
use minijinja::{Environment, Error};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType, SerialNumber, SignatureAlgorithm,
};

use super::random::Source;
use super::{describe, fail, int_arg, text_of, FilterOptions};

/// Longest validity accepted, in days (100 years).
const MAX_DAYS: i64 = 36_500;

pub(super) fn register(env: &mut Environment<'static>, opts: &FilterOptions) {
    let source = Source::new(opts.rng_seed);
    env.add_function("gen_private_key", |alg: Option<Value>| {
        let alg = match alg {
            Some(alg) => text_of("gen_private_key", &alg, false)?,
            None => "ecdsa".to_string(),
        };
        Ok::<_, Error>(new_key("gen_private_key", &alg)?.serialize_pem())
    });
    let src = source.clone();
    env.add_function(
        "gen_ca",
        move |cn: Value, days: Option<Value>, kwargs: Kwargs| {
            let name = "gen_ca";
            let days = days_arg(name, days.or(kwargs.get("days")?))?;
            kwargs.assert_all_used()?;
            let mut params = base_params(name, &cn, days, &src)?;
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            params.key_usages = vec![
                KeyUsagePurpose::KeyCertSign,
                KeyUsagePurpose::CrlSign,
                KeyUsagePurpose::DigitalSignature,
            ];
            let key = new_key(name, "ecdsa")?;
            let cert = params
                .self_signed(&key)
                .map_err(|err| rcgen_err(name, err))?;
            Ok::<_, Error>(pair(cert.pem(), key.serialize_pem()))
        },
    );
    let src = source.clone();
    env.add_function(
        "gen_self_signed_cert",
        move |cn: Value,
              ips: Option<Value>,
              sans: Option<Value>,
              days: Option<Value>,
              kwargs: Kwargs| {
            let name = "gen_self_signed_cert";
            let params = leaf_params(name, &cn, ips, sans, days, &kwargs, &src)?;
            kwargs.assert_all_used()?;
            let key = new_key(name, "ecdsa")?;
            let cert = params
                .self_signed(&key)
                .map_err(|err| rcgen_err(name, err))?;
            Ok::<_, Error>(pair(cert.pem(), key.serialize_pem()))
        },
    );
    env.add_function(
        "gen_signed_cert",
        move |cn: Value, args: Rest<Value>, kwargs: Kwargs| {
            let name = "gen_signed_cert";
            if args.len() > 4 {
                return Err(fail(
                    name,
                    "expected at most 5 arguments: cn, ips, sans, days, ca",
                ));
            }
            let arg = |i: usize| {
                args.get(i)
                    .cloned()
                    .filter(|v| !v.is_none() && !v.is_undefined())
            };
            let params = leaf_params(name, &cn, arg(0), arg(1), arg(2), &kwargs, &source)?;
            let ca = arg(3).or(kwargs.get("ca")?).ok_or_else(|| {
                fail(
                    name,
                    "missing the `ca` argument (a map with `cert` and `key`)",
                )
            })?;
            kwargs.assert_all_used()?;
            let ca_cert = pem_field(name, &ca, "cert")?;
            let ca_key = KeyPair::from_pem(&pem_field(name, &ca, "key")?)
                .map_err(|err| fail(name, format!("ca.key is not a usable private key: {err}")))?;
            let issuer = Issuer::from_ca_cert_pem(&ca_cert, ca_key)
                .map_err(|err| fail(name, format!("ca.cert is not a usable certificate: {err}")))?;
            let key = new_key(name, "ecdsa")?;
            let cert = params
                .signed_by(&key, &issuer)
                .map_err(|err| rcgen_err(name, err))?;
            Ok(pair(cert.pem(), key.serialize_pem()))
        },
    );
}

fn rcgen_err(name: &str, err: rcgen::Error) -> Error {
    fail(name, format!("certificate generation failed: {err}"))
}

fn pair(cert: String, key: String) -> Value {
    Value::from(BTreeMap::from([
        (Value::from("cert"), Value::from(cert)),
        (Value::from("key"), Value::from(key)),
    ]))
}

fn new_key(name: &str, alg: &str) -> Result<KeyPair, Error> {
    let alg: &'static SignatureAlgorithm = match alg.to_ascii_lowercase().as_str() {
        "ecdsa" | "ecdsa-p256" | "ec" => &rcgen::PKCS_ECDSA_P256_SHA256,
        "ecdsa-p384" => &rcgen::PKCS_ECDSA_P384_SHA384,
        "ed25519" => &rcgen::PKCS_ED25519,
        "rsa" => {
            return Err(fail(
                name,
                "RSA key generation is not available in this build; use \"ecdsa\" (the default) or \"ed25519\"",
            ))
        }
        other => {
            return Err(fail(
                name,
                format!("unknown key algorithm {other:?} (expected \"ecdsa\", \"ecdsa-p384\" or \"ed25519\")"),
            ))
        }
    };
    KeyPair::generate_for(alg).map_err(|err| fail(name, format!("key generation failed: {err}")))
}

fn days_arg(name: &str, days: Option<Value>) -> Result<u64, Error> {
    let days = match days {
        Some(days) if !days.is_none() => int_arg(name, "days", &days)?,
        _ => 365,
    };
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(fail(
            name,
            format!("days must be between 1 and {MAX_DAYS}, got {days}"),
        ));
    }
    Ok(days as u64)
}

/// Subject, validity window (from now) and a random serial number.
fn base_params(
    name: &str,
    cn: &Value,
    days: u64,
    source: &Source,
) -> Result<CertificateParams, Error> {
    let cn = text_of(name, cn, false)?;
    if cn.is_empty() {
        return Err(fail(name, "the common name must not be empty"));
    }
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    params.distinguished_name = dn;
    let now = SystemTime::now();
    params.not_before = now.into();
    params.not_after = (now + Duration::from_secs(days * 86_400)).into();
    let mut serial = [0u8; 16];
    source.with(name, |rng| rng.fill_bytes(&mut serial))?;
    serial[0] &= 0x7f;
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    Ok(params)
}

/// Parameters for a server/client leaf certificate with IP and DNS subject alternative names.
fn leaf_params(
    name: &str,
    cn: &Value,
    ips: Option<Value>,
    sans: Option<Value>,
    days: Option<Value>,
    kwargs: &Kwargs,
    source: &Source,
) -> Result<CertificateParams, Error> {
    let days = days_arg(name, days.or(kwargs.get("days")?))?;
    let mut params = base_params(name, cn, days, source)?;
    for ip in string_list(name, "ips", ips.or(kwargs.get("ips")?))? {
        let addr: IpAddr = ip
            .parse()
            .map_err(|_| fail(name, format!("{ip:?} in ips is not an IP address")))?;
        params.subject_alt_names.push(SanType::IpAddress(addr));
    }
    for dns in string_list(name, "sans", sans.or(kwargs.get("sans")?))? {
        let dns_name = dns.clone().try_into().map_err(|_| {
            fail(
                name,
                format!("{dns:?} in sans is not a valid DNS name (ASCII only)"),
            )
        })?;
        params.subject_alt_names.push(SanType::DnsName(dns_name));
    }
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    Ok(params)
}

/// A list of strings; none or undefined is empty.
fn string_list(name: &str, what: &str, value: Option<Value>) -> Result<Vec<String>, Error> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    match value.kind() {
        ValueKind::None | ValueKind::Undefined => Ok(Vec::new()),
        ValueKind::Seq | ValueKind::Iterable => value
            .try_iter()?
            .map(|item| match item.as_str() {
                Some(s) => Ok(s.to_string()),
                None => Err(fail(
                    name,
                    format!(
                        "{what} must be a list of strings, found {}",
                        describe(&item)
                    ),
                )),
            })
            .collect(),
        _ => Err(fail(
            name,
            format!("{what} must be a list of strings, got {}", describe(&value)),
        )),
    }
}

fn pem_field(name: &str, ca: &Value, field: &str) -> Result<String, Error> {
    if ca.kind() != ValueKind::Map {
        return Err(fail(
            name,
            format!(
                "ca must be a map with `cert` and `key`, got {}",
                describe(ca)
            ),
        ));
    }
    match ca.get_attr(field)?.as_str() {
        Some(s) if !s.is_empty() => Ok(s.to_string()),
        _ => Err(fail(
            name,
            format!("ca.{field} must be a non-empty PEM string"),
        )),
    }
}

#[cfg(test)]
#[path = "certs_tests.rs"]
mod tests;
