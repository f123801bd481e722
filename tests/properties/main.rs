//! Property tests: random and hostile inputs for the `--set` parser, the YAML values loader, the release
//! record codec and the diff's Secret masking. Case counts are bounded so the whole set stays fast in a
//! debug build; `PROPTEST_CASES` overrides them for a longer run.

mod diff_mask;
mod release_codec;
mod set_parser;
mod yaml_loader;

use proptest::test_runner::Config;

/// `cases` random cases (or `PROPTEST_CASES`), without writing regression files into the tree.
pub fn config(cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}
