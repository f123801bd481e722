//! Encodings and digests: `b64encode`/`b64decode` (aliases `b64enc`/`b64dec`), `sha256`
//! (alias `sha256sum`) and `sha1`. Unlike Sprig, decoding fails loudly on bad input.

use base64::engine::general_purpose::STANDARD;
use base64::{DecodeError, Engine as _};
use minijinja::value::{Value, ValueKind};
use minijinja::{Environment, Error};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::{fail, text_of, FilterOptions};

pub(super) fn register(env: &mut Environment<'static>, opts: &FilterOptions) {
    let lenient = opts.lenient;
    for name in ["b64encode", "b64enc"] {
        env.add_filter(name, move |value: &Value| {
            Ok::<_, Error>(STANDARD.encode(input_bytes(name, value, lenient)?))
        });
    }
    for name in ["b64decode", "b64dec"] {
        env.add_filter(name, move |value: &Value| {
            b64decode(name, &text_of(name, value, lenient)?)
        });
    }
    for name in ["sha256", "sha256sum"] {
        env.add_filter(name, move |value: &Value| {
            Ok::<_, Error>(hex::encode(Sha256::digest(input_bytes(
                name, value, lenient,
            )?)))
        });
    }
    env.add_filter("sha1", move |value: &Value| {
        Ok::<_, Error>(hex::encode(Sha1::digest(input_bytes(
            "sha1", value, lenient,
        )?)))
    });
}

/// The bytes of a byte value, or the UTF-8 bytes of any other value's text.
fn input_bytes(name: &str, value: &Value, lenient: bool) -> Result<Vec<u8>, Error> {
    if value.kind() == ValueKind::Bytes {
        return Ok(value.as_bytes().unwrap_or_default().to_vec());
    }
    Ok(text_of(name, value, lenient)?.into_bytes())
}

/// Standard alphabet with padding; line breaks are ignored, as Go's decoder does.
fn b64decode(name: &str, text: &str) -> Result<String, Error> {
    let cleaned: String = text.chars().filter(|c| *c != '\n' && *c != '\r').collect();
    let bytes = STANDARD.decode(cleaned.as_bytes()).map_err(|err| {
        let why = match err {
            DecodeError::InvalidByte(at, byte) => {
                format!(
                    "input is not valid base64: unexpected {:?} at byte {at}",
                    byte as char
                )
            }
            DecodeError::InvalidLength(len) => {
                format!("input is not valid base64: {len} symbols is not a valid length")
            }
            DecodeError::InvalidLastSymbol(at, _) => {
                format!("input is not valid base64: bad final symbol at byte {at}")
            }
            DecodeError::InvalidPadding => "input is not valid base64: bad padding".to_string(),
        };
        fail(name, why)
    })?;
    String::from_utf8(bytes).map_err(|err| {
        fail(
            name,
            format!(
                "the decoded bytes are not UTF-8 text (invalid at byte {})",
                err.utf8_error().valid_up_to()
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use crate::render::filters::testenv::{render, render_err};
    use minijinja::context;
    use minijinja::value::Value;

    #[test]
    fn base64_round_trip() {
        let out = render(
            "{{ s | b64encode }} {{ s | b64enc | b64dec }}",
            context! { s => "héllo:\n" },
        )
        .unwrap();
        assert_eq!(out, "aMOpbGxvOgo= héllo:\n");
        assert_eq!(
            render("{{ 'aGk=' | b64decode }}", context! {}).unwrap(),
            "hi"
        );
        assert_eq!(
            render("{{ 'aGVs\nbG8=' | b64decode }}", context! {}).unwrap(),
            "hello"
        );
        assert_eq!(render("{{ 42 | b64encode }}", context! {}).unwrap(), "NDI=");
        assert_eq!(
            render("{{ true | b64encode }}", context! {}).unwrap(),
            "dHJ1ZQ=="
        );
        let bytes = Value::from_bytes(vec![0xff, 0x00]);
        assert_eq!(
            render("{{ b | b64encode }}", context! { b => bytes }).unwrap(),
            "/wA="
        );
    }

    #[test]
    fn base64_errors_are_precise() {
        let err = render_err("{{ 'aGVsbG8*' | b64decode }}", context! {});
        assert!(
            err.contains("b64decode: input is not valid base64: unexpected '*' at byte 7"),
            "{err}"
        );
        let err = render_err("{{ 'aGk' | b64dec }}", context! {});
        assert!(err.contains("b64dec: input is not valid base64"), "{err}");
        let err = render_err("{{ '/w==' | b64decode }}", context! {});
        assert!(err.contains("not UTF-8"), "{err}");
        let err = render_err("{{ nope | b64encode }}", context! {});
        assert!(err.contains("b64encode: the value is undefined"), "{err}");
    }

    #[test]
    fn digests() {
        let out = render("{{ 'abc' | sha256 }}", context! {}).unwrap();
        assert_eq!(
            out,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let out = render("{{ 'abc' | sha256sum }}", context! {}).unwrap();
        assert_eq!(
            out,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let out = render("{{ 'abc' | sha1 }}", context! {}).unwrap();
        assert_eq!(out, "a9993e364706816aba3e25717850c26c9cd0d89d");
        let out = render("{% filter sha256 %}abc{% endfilter %}", context! {}).unwrap();
        assert_eq!(
            out,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        // Maps hash through their YAML text, which is stable because keys are sorted.
        let a = render(
            "{{ m | toyaml | sha256 }}",
            context! { m => context! { b => 1, a => 2 } },
        );
        let b = render("{{ 'a: 2\nb: 1' | sha256 }}", context! {});
        assert_eq!(a.unwrap(), b.unwrap());
    }
}
