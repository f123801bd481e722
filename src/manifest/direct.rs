//! Read one rendered YAML document straight into a JSON value, without building a `serde_yaml::Value`
//! first. Charts render thousands of documents, and the intermediate tree (built, converted, dropped) was
//! most of the time spent checking them.
//!
//! Only the common case is taken here: every mapping key a plain string, no tags, no duplicate keys.
//! Anything else makes [`read`] return `None`, and the caller goes the long way (`serde_yaml::Value`, then
//! JSON), so results and error messages stay exactly those of the long way. The visitor below receives
//! the same calls the `serde_yaml::Value` visitor receives, and builds what converting that value to JSON
//! builds.

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::fmt;

/// The document as JSON, or `None` when it needs the long way (invalid YAML included).
pub(super) fn read(text: &str) -> Option<Value> {
    let de = serde_yaml::Deserializer::from_str(text);
    Node.deserialize(de).ok()
}

/// Why the short way gave up; never shown (the long way reports its own error).
#[derive(Debug)]
struct GiveUp;

/// Any value.
#[derive(Clone, Copy)]
struct Node;

impl<'de> DeserializeSeed<'de> for Node {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a YAML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        // as serializing a float to JSON: NaN and the infinities become null
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(v) = seq.next_element_seed(self)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key_seed(Key)? {
            let value = map.next_value_seed(self)?;
            if out.insert(key, value).is_some() {
                // a duplicate key: the long way names it
                return Err(de::Error::custom(GiveUp.to_string()));
            }
        }
        Ok(Value::Object(out))
    }
    // tagged values (`!foo x`) arrive as enums: the long way keeps them as they were
}

impl fmt::Display for GiveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not in the common case")
    }
}

/// A mapping key that YAML reads as a string. Numbers, booleans, null and nested keys give up: converting
/// them to JSON keys has rules of its own, which the long way applies.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = String;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string key")
    }
    fn visit_str<E>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }
    fn visit_string<E>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::read;
    use serde_json::json;

    /// The long way, as `parse_document` takes it.
    fn long(text: &str) -> serde_json::Value {
        let y: serde_yaml::Value = serde_yaml::from_str(text).unwrap();
        serde_json::to_value(&y).unwrap()
    }

    #[test]
    fn common_documents_read_as_the_long_way_reads_them() {
        for text in [
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  x: \"1\"\n  y: |\n    multi\n    line\n",
            "a: 1\nb: -2\nc: 1.5\nd: true\ne: ~\nf: null\ng: .inf\nh: .nan\ni: 0x1F\nj: 0o17\nk: 1e3\n",
            "list:\n  - 1\n  - two\n  - [3, 4]\n  - {x: y}\nempty: []\nnone: {}\n",
            "max: 18446744073709551615\nmin: -9223372036854775808\nstr: !!str 12\nyes: yes\n",
            "'quoted key': v\n\"1\": quoted number key\n<<: {a: b}\n",
            "anchors:\n  a: &x {k: v}\n  b: *x\n",
            "~\n",
            "just a string\n",
        ] {
            assert_eq!(read(text), Some(long(text)), "{text}");
        }
    }

    #[test]
    fn uncommon_documents_go_the_long_way() {
        for text in [
            "a: 1\na: 2\n",              // duplicate key
            "1: a\n",                    // number key
            "true: a\n",                 // boolean key
            "~: a\n",                    // null key
            "[a, b]: c\n",               // sequence key
            "a: !custom x\n",            // tag
            "a: b: c\n",                 // invalid YAML
            "a: [1, 2\n",                // invalid YAML
            "a: 18446744073709551616\n", // past u64: the long way refuses it
        ] {
            assert_eq!(read(text), None, "{text}");
        }
        assert_eq!(read("a: {b: 1}\n"), Some(json!({"a": {"b": 1}})));
    }
}
