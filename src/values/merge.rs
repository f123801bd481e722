//! Deep merge of one values layer over another: the single rule set every file layer goes through.

use super::Values;

/// Merge `over` into `base`: maps merge key by key (recursively), scalars and lists in `over`
/// replace what `base` had, and a `null` in `over` deletes the key from `base`.
///
/// Nulls inside a map that `over` brings in fresh are dropped too (deleting a key that does not
/// exist leaves nothing behind); nulls inside lists are list items and stay.
pub fn merge(base: &mut Values, over: &Values) {
    match (base, over) {
        (Values::Object(b), Values::Object(o)) => {
            for (key, value) in o {
                if value.is_null() {
                    b.remove(key);
                    continue;
                }
                match b.get_mut(key) {
                    Some(existing) if existing.is_object() && value.is_object() => {
                        merge(existing, value)
                    }
                    _ => {
                        b.insert(key.clone(), without_nulls(value));
                    }
                }
            }
        }
        (base, over) => *base = without_nulls(over),
    }
}

/// A copy of `value` with null map entries removed at every map level (lists are left alone).
fn without_nulls(value: &Values) -> Values {
    match value {
        Values::Object(map) => Values::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_rules() {
        let cases = [
            (
                "maps merge deeply",
                json!({"image": {"repo": "nginx", "tag": "1.0"}, "replicas": 1}),
                json!({"image": {"tag": "1.1"}}),
                json!({"image": {"repo": "nginx", "tag": "1.1"}, "replicas": 1}),
            ),
            (
                "scalars are replaced",
                json!({"a": 1, "b": "x"}),
                json!({"a": "one"}),
                json!({"a": "one", "b": "x"}),
            ),
            (
                "lists are replaced, not appended",
                json!({"hosts": ["a", "b", "c"]}),
                json!({"hosts": ["z"]}),
                json!({"hosts": ["z"]}),
            ),
            (
                "null deletes a key",
                json!({"a": 1, "b": {"c": 2, "d": 3}}),
                json!({"a": null, "b": {"c": null}}),
                json!({"b": {"d": 3}}),
            ),
            (
                "null deletes a whole map",
                json!({"resources": {"limits": {"cpu": 1}}}),
                json!({"resources": null}),
                json!({}),
            ),
            (
                "deleting a missing key is a no-op",
                json!({"a": 1}),
                json!({"zzz": null}),
                json!({"a": 1}),
            ),
            (
                "a fresh map drops its nulls",
                json!({}),
                json!({"r": {"limits": null, "requests": {"cpu": 1, "mem": null}}}),
                json!({"r": {"requests": {"cpu": 1}}}),
            ),
            (
                "nulls inside lists stay",
                json!({}),
                json!({"l": [null, 1, {"k": null}]}),
                json!({"l": [null, 1, {"k": null}]}),
            ),
            (
                "a map replaces a scalar",
                json!({"a": "flat"}),
                json!({"a": {"b": 1}}),
                json!({"a": {"b": 1}}),
            ),
            (
                "a scalar replaces a map",
                json!({"a": {"b": 1}}),
                json!({"a": false}),
                json!({"a": false}),
            ),
            (
                "a list replaces a map",
                json!({"a": {"b": 1}}),
                json!({"a": [1]}),
                json!({"a": [1]}),
            ),
            (
                "empty map over a map keeps it",
                json!({"a": {"b": 1}}),
                json!({"a": {}}),
                json!({"a": {"b": 1}}),
            ),
            (
                "integers stay exact",
                json!({}),
                json!({"big": 9007199254740993_i64, "u": u64::MAX}),
                json!({"big": 9007199254740993_i64, "u": u64::MAX}),
            ),
        ];
        for (name, mut base, over, want) in cases {
            merge(&mut base, &over);
            assert_eq!(base, want, "{name}");
        }
    }
}
