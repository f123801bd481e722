//! Unit tests of reading record labels.

use super::*;

fn meta(revision: &str) -> ObjectMeta {
    ObjectMeta {
        labels: Some(BTreeMap::from([
            (LABEL_RELEASE.to_string(), "web".to_string()),
            (LABEL_REVISION.to_string(), revision.to_string()),
            (LABEL_STATUS.to_string(), "deployed".to_string()),
        ])),
        ..Default::default()
    }
}

#[test]
fn crafted_revision_labels_are_unreadable_records() {
    assert_eq!(summary_of(&meta("7")).unwrap().revision, 7);
    let e = format!(
        "{:#}",
        summary_of(&meta(&u64::MAX.to_string())).unwrap_err()
    );
    assert!(e.contains("past the highest revision"), "{e}");
}
