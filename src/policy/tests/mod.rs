//! Unit tests of the policy module: the Pod Security Standards corpus, each production check with
//! passing and failing objects, tier configuration, exemptions, line lookup and renderers.

mod config;
mod corpus;
mod findings;
mod production;
mod render;

use crate::manifest::{parse_rendered, Document};

/// Parse rendered YAML as if `templates/t.yaml.j2` of chart `app` produced it.
pub(super) fn docs(text: &str) -> Vec<Document> {
    let mut problems = Vec::new();
    let docs = parse_rendered(
        "templates/t.yaml.j2",
        "app/templates/t.yaml",
        text,
        &mut problems,
    );
    assert!(problems.is_empty(), "{problems:?}");
    docs
}
