//! Random values: `rand_alphanum(n)`, `rand_alpha(n)`, `rand_numeric(n)`, `rand_ascii(n)` and
//! `uuidv4()`. They draw from the operating system's generator, or from one seeded generator
//! shared by all calls when `FilterOptions::rng_seed` is set (repeatable test output).

use std::sync::{Arc, Mutex};

use minijinja::value::Value;
use minijinja::{Environment, Error};
use rand::rngs::{OsRng, StdRng};
use rand::{Rng, RngCore, SeedableRng, TryRngCore};

use super::{fail, int_arg, FilterOptions};

/// Longest string the `rand_*` functions produce (1 MiB).
const MAX_LEN: i64 = 1 << 20;

const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const NUMERIC: &[u8] = b"0123456789";
const ALPHANUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Where random bytes come from.
#[derive(Clone)]
pub(crate) enum Source {
    Os,
    Seeded(Arc<Mutex<StdRng>>),
}

impl Source {
    pub(crate) fn new(seed: Option<u64>) -> Source {
        match seed {
            Some(seed) => Source::Seeded(Arc::new(Mutex::new(StdRng::seed_from_u64(seed)))),
            None => Source::Os,
        }
    }

    /// Runs `f` with a generator; fails only if the operating system's generator is unavailable.
    pub(crate) fn with<T>(
        &self,
        name: &str,
        f: impl FnOnce(&mut dyn RngCore) -> T,
    ) -> Result<T, Error> {
        match self {
            Source::Os => {
                // Probe once so that a broken OS generator becomes an error, not a panic.
                let mut probe = [0u8; 1];
                OsRng.try_fill_bytes(&mut probe).map_err(|err| {
                    fail(
                        name,
                        format!("the system random number generator failed: {err}"),
                    )
                })?;
                let mut rng = OsRng.unwrap_err();
                Ok(f(&mut rng))
            }
            Source::Seeded(rng) => {
                let mut rng = rng.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                Ok(f(&mut *rng))
            }
        }
    }
}

pub(super) fn register(env: &mut Environment<'static>, opts: &FilterOptions) {
    let source = Source::new(opts.rng_seed);
    let charsets: [(&'static str, Option<&'static [u8]>); 4] = [
        ("rand_alphanum", Some(ALPHANUM)),
        ("rand_alpha", Some(ALPHA)),
        ("rand_numeric", Some(NUMERIC)),
        // Printable ASCII from space to `~`, as Sprig's randAscii.
        ("rand_ascii", None),
    ];
    for (name, charset) in charsets {
        let source = source.clone();
        env.add_function(name, move |n: Value| {
            let n = int_arg(name, "the length", &n)?;
            if !(0..=MAX_LEN).contains(&n) {
                return Err(fail(
                    name,
                    format!("the length must be between 0 and {MAX_LEN}, got {n}"),
                ));
            }
            source.with(name, |rng| random_string(rng, charset, n as usize))
        });
    }
    env.add_function("uuidv4", move || source.with("uuidv4", uuid_v4));
}

fn random_string(rng: &mut dyn RngCore, charset: Option<&[u8]>, n: usize) -> String {
    (0..n)
        .map(|_| match charset {
            Some(set) => set[rng.random_range(0..set.len())] as char,
            None => rng.random_range(b' '..=b'~') as char,
        })
        .collect()
}

/// A random (version 4, RFC 4122 variant) UUID in its hyphenated lowercase form.
fn uuid_v4(rng: &mut dyn RngCore) -> String {
    let mut b = [0u8; 16];
    rng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use crate::render::filters::testenv::{env_with, render, render_err};
    use crate::render::filters::FilterOptions;
    use minijinja::context;

    fn os_render(src: &str) -> String {
        env_with(FilterOptions {
            lenient: false,
            rng_seed: None,
        })
        .render_str(src, context! {})
        .unwrap()
    }

    #[test]
    fn charsets_and_lengths() {
        let out = os_render(
            "{{ rand_alphanum(64) }}\n{{ rand_alpha(64) }}\n{{ rand_numeric(64) }}\n{{ rand_ascii(64) }}",
        );
        let parts: Vec<&str> = out.split('\n').collect();
        assert_eq!(parts.len(), 4, "{out:?}");
        assert!(parts.iter().all(|p| p.chars().count() == 64), "{out:?}");
        assert!(parts[0].chars().all(|c| c.is_ascii_alphanumeric()));
        assert!(parts[1].chars().all(|c| c.is_ascii_alphabetic()));
        assert!(parts[2].chars().all(|c| c.is_ascii_digit()));
        assert!(parts[3].chars().all(|c| (' '..='~').contains(&c)));
        assert_eq!(os_render("[{{ rand_alpha(0) }}]"), "[]");
        assert_ne!(
            os_render("{{ rand_alphanum(32) }}"),
            os_render("{{ rand_alphanum(32) }}")
        );
    }

    #[test]
    fn seeded_output_repeats() {
        let src = "{{ rand_alphanum(16) }} {{ rand_alphanum(16) }} {{ uuidv4() }}";
        let a = render(src, context! {}).unwrap();
        let b = render(src, context! {}).unwrap();
        assert_eq!(a, b);
        let words: Vec<&str> = a.split(' ').collect();
        assert_ne!(words[0], words[1], "calls share one generator");
    }

    #[test]
    fn uuid_shape() {
        let u = os_render("{{ uuidv4() }}");
        assert_eq!(u.len(), 36);
        let dashes: Vec<usize> = u.match_indices('-').map(|(i, _)| i).collect();
        assert_eq!(dashes, [8, 13, 18, 23]);
        assert_eq!(&u[14..15], "4");
        assert!("89ab".contains(&u[19..20]), "{u}");
    }

    #[test]
    fn bad_lengths() {
        let err = render_err("{{ rand_alpha(-1) }}", context! {});
        assert!(
            err.contains("rand_alpha: the length must be between 0 and 1048576, got -1"),
            "{err}"
        );
        let err = render_err("{{ rand_numeric(99999999999) }}", context! {});
        assert!(
            err.contains("rand_numeric: the length must be between"),
            "{err}"
        );
        let err = render_err("{{ rand_ascii('8') }}", context! {});
        assert!(
            err.contains("rand_ascii: the length must be an integer"),
            "{err}"
        );
    }
}
