//! The release record codec: encode then decode gives the record back however the payload is split into
//! chunks, large records are chunked within the limits, and a damaged chunk is an error, not a panic.

use proptest::prelude::*;
use serde_json::{json, Value};
use tack::release::{
    decode, encode, ChartInfo, Layers, ObjectId, Release, Status, CHUNK_BYTES, MAX_CHUNKS,
};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(any::<String>(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn release() -> impl Strategy<Value = Release> {
    (
        "[a-z][a-z0-9-]{0,20}",
        1u64..=tack::release::MAX_REVISION,
        0..Status::ALL.len(),
        any::<String>(),
        json_value(),
        proptest::collection::vec(("[a-z]{1,8}", "[a-z0-9.-]{1,12}"), 0..5),
        (any::<String>(), proptest::option::of(any::<String>())),
        0i64..4_000_000_000,
    )
        .prop_map(
            |(name, revision, status, manifest, values, objects, (description, notes), secs)| {
                let at = jiff::Timestamp::from_second(secs).unwrap();
                Release {
                    name: name.clone(),
                    namespace: "ns".into(),
                    revision,
                    status: Status::ALL[status],
                    chart: ChartInfo {
                        name: "chart".into(),
                        version: "1.0.0".into(),
                        app_version: notes.clone(),
                        digest: "sha256:00".into(),
                        source: notes.clone(),
                    },
                    manifest,
                    objects: objects
                        .into_iter()
                        .map(|(kind, n)| ObjectId {
                            api_version: "v1".into(),
                            kind,
                            namespace: Some("ns".into()),
                            name: n,
                        })
                        .collect(),
                    values: json!({ "values": values }),
                    layers: Layers {
                        set_keys: vec![name],
                        ..Layers::default()
                    },
                    notes,
                    description,
                    first_deployed: at,
                    last_deployed: at,
                    deleted: None,
                    hooks: Vec::new(),
                    labels: Default::default(),
                }
            },
        )
}

/// Incompressible text of `len` bytes from `seed` (xorshift), cheap to make.
fn noise(mut seed: u64, len: usize) -> String {
    seed |= 1;
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            char::from(b'!' + (seed % 90) as u8)
        })
        .collect()
}

proptest! {
    #![proptest_config(crate::config(128))]

    #[test]
    fn records_round_trip_however_the_payload_is_split(
        r in release(),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
    ) {
        let enc = encode(&r).unwrap();
        prop_assert!(enc.chunks.iter().all(|c| c.len() <= CHUNK_BYTES));
        prop_assert_eq!(&decode(&enc.chunks, Some(&enc.digest), "x").unwrap(), &r);
        // the same payload cut anywhere into more chunks still decodes to the same record
        let payload: Vec<u8> = enc.chunks.concat();
        let mut at: Vec<usize> = cuts.iter().map(|i| i.index(payload.len() + 1)).collect();
        at.sort_unstable();
        let mut pieces = Vec::new();
        let mut start = 0;
        for cut in at.into_iter().chain([payload.len()]) {
            pieces.push(payload[start..cut].to_vec());
            start = cut;
        }
        prop_assert_eq!(&decode(&pieces, Some(&enc.digest), "x").unwrap(), &r);
    }

    #[test]
    fn a_damaged_or_truncated_payload_is_an_error(
        r in release(),
        at in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let enc = encode(&r).unwrap();
        let mut payload: Vec<u8> = enc.chunks.concat();
        let i = at.index(payload.len());
        payload[i] ^= flip;
        let e = decode(&[payload.clone()], Some(&enc.digest), "secret `x`").unwrap_err();
        let text = format!("{e:#}");
        prop_assert!(text.contains("secret `x` is corrupt"), "{}", text);
        // without a digest the damage is still caught (gzip CRC or JSON), or decodes to something
        let _ = decode(&[payload[..i].to_vec()], None, "secret `x`");
    }
}

proptest! {
    #![proptest_config(crate::config(4))]

    #[test]
    fn large_records_are_chunked_within_the_limits(
        r in release(),
        seed in any::<u64>(),
        // the noise compresses to about 0.82 of its size: this needs two or three chunks
        len in (CHUNK_BYTES * 7 / 5)..(2 * CHUNK_BYTES),
    ) {
        let mut r = r;
        r.manifest = noise(seed, len);
        let enc = encode(&r).unwrap();
        prop_assert!(enc.chunks.len() >= 2 && enc.chunks.len() <= MAX_CHUNKS);
        prop_assert!(enc.chunks.iter().all(|c| !c.is_empty() && c.len() <= CHUNK_BYTES));
        prop_assert_eq!(&decode(&enc.chunks, Some(&enc.digest), "x").unwrap(), &r);
        // chunks out of order are refused by the digest
        let mut swapped = enc.chunks.clone();
        swapped.swap(0, 1);
        prop_assert!(decode(&swapped, Some(&enc.digest), "x").is_err());
    }
}
