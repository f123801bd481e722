//! The YAML values loader on arbitrary text: an error or a value, never a panic or an abort.

use proptest::prelude::*;
use tack::values::parse_yaml;

/// YAML-looking text: indicators, anchors, aliases, tags, quotes, block scalars and line breaks.
fn yamlish() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("a: ".to_string()),
            Just("- ".to_string()),
            Just("\n".to_string()),
            Just("\n  ".to_string()),
            Just("&x ".to_string()),
            Just("*x".to_string()),
            Just("!!str ".to_string()),
            Just("!!binary ".to_string()),
            Just("{".to_string()),
            Just("}".to_string()),
            Just("[".to_string()),
            Just("]".to_string()),
            Just(", ".to_string()),
            Just("? ".to_string()),
            Just("|\n  ".to_string()),
            Just(">-\n  ".to_string()),
            Just("'".to_string()),
            Just("\"\\u".to_string()),
            Just("<<: *x".to_string()),
            Just("---\n".to_string()),
            Just("# c".to_string()),
            Just("0x1F".to_string()),
            Just(".inf".to_string()),
            Just("~".to_string()),
            Just("\t".to_string()),
            "[a-z0-9]{1,4}",
            any::<char>().prop_map(String::from),
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(crate::config(256))]

    #[test]
    fn loading_never_panics(src in prop_oneof![yamlish(), any::<String>()]) {
        if let Err(e) = parse_yaml(&src, "values.yaml") {
            let text = format!("{e:#}");
            prop_assert!(!text.is_empty());
        }
    }

    #[test]
    fn loaded_mappings_keep_their_scalars(
        entries in proptest::collection::btree_map("[a-z][a-z0-9]{0,6}", "[a-z][a-z ]{0,10}[a-z]", 1..8)
    ) {
        let src: String = entries.iter().map(|(k, v)| format!("{k}: \"{v}\"\n")).collect();
        let (values, _, _) = parse_yaml(&src, "values.yaml").unwrap();
        for (k, v) in &entries {
            prop_assert_eq!(values[k.as_str()].as_str(), Some(v.as_str()));
        }
    }
}
