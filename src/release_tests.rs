//! Unit tests of the release record codec: round trips, chunking, corruption, revision and chunk-list checks.

use super::*;

pub(crate) fn sample(rev: u64, status: Status) -> Release {
    Release {
        name: "web".into(),
        namespace: "shop".into(),
        revision: rev,
        status,
        chart: ChartInfo {
            name: "webapp".into(),
            version: "1.4.0".into(),
            app_version: Some("2.8.1".into()),
            digest: "sha256:00".into(),
            source: Some("oci://registry.example/charts/webapp:1.4.0@sha256:00".into()),
        },
        manifest: "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n".into(),
        objects: vec![ObjectId {
            api_version: "v1".into(),
            kind: "ConfigMap".into(),
            namespace: Some("shop".into()),
            name: "a".into(),
        }],
        values: serde_json::json!({"a": 1}),
        layers: Layers::default(),
        notes: None,
        description: "install complete".into(),
        first_deployed: jiff::Timestamp::from_second(1_700_000_000).unwrap(),
        last_deployed: jiff::Timestamp::from_second(1_700_000_000).unwrap(),
        deleted: None,
        hooks: Vec::new(),
        labels: BTreeMap::from([("team".into(), "shop".into())]),
    }
}

#[test]
fn round_trips() {
    let r = sample(3, Status::Deployed);
    let enc = encode(&r).unwrap();
    assert_eq!(enc.chunks.len(), 1);
    assert_eq!(decode(&enc.chunks, Some(&enc.digest), "x").unwrap(), r);
}

#[test]
fn large_records_are_chunked_and_reassembled() {
    let mut r = sample(1, Status::Deployed);
    // incompressible content, ~2.5 MiB
    let mut x: u64 = 7;
    let noise: String = (0..2_500_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'a' + (x % 26) as u8)
        })
        .collect();
    r.manifest = noise;
    let enc = encode(&r).unwrap();
    assert!(enc.chunks.len() >= 2, "{}", enc.chunks.len());
    assert!(enc.chunks.iter().all(|c| c.len() <= CHUNK_BYTES));
    assert_eq!(decode(&enc.chunks, Some(&enc.digest), "x").unwrap(), r);
}

#[test]
fn corrupt_records_are_named() {
    let r = sample(1, Status::Deployed);
    let mut enc = encode(&r).unwrap();
    enc.chunks[0][12] ^= 0xff;
    let err = decode(&enc.chunks, Some(&enc.digest), "secret `x`").unwrap_err();
    assert!(
        format!("{err:#}").contains("secret `x` is corrupt"),
        "{err:#}"
    );
    let err = decode(&[b"not gzip".to_vec()], None, "secret `y`").unwrap_err();
    assert!(format!("{err:#}").contains("not gzip"), "{err:#}");
}

#[test]
fn revisions_never_wrap() {
    assert_eq!(next_revision("web", 41).unwrap(), 42);
    for last in [MAX_REVISION, u64::MAX] {
        let e = format!("{:#}", next_revision("web", last).unwrap_err());
        assert!(
            e.contains("past the highest revision") && e.contains("hint:"),
            "{e}"
        );
    }
    let enc = encode(&sample(u64::MAX, Status::Deployed)).unwrap();
    let e = format!("{:#}", decode(&enc.chunks, None, "secret `x`").unwrap_err());
    assert!(
        e.contains("is corrupt: revision 18446744073709551615"),
        "{e}"
    );
}

#[test]
fn chunk_lists_are_checked_before_reading() {
    let digest = format!("sha256:{}", "ab".repeat(32));
    let rec = "tack.release.v1.web.v3";
    let good: Vec<String> = (0..3).map(|i| format!("{rec}.abababababab.c{i}")).collect();
    assert!(check_chunk_names(&good, rec, &digest, "x").is_ok());
    let cases: Vec<(Vec<String>, &str)> = vec![
        (good[..1].to_vec(), "names 1 chunks"),
        (vec![good[0].clone(); MAX_CHUNKS + 1], "expected 2 to"),
        (vec![good[0].clone(), good[2].clone()], "chunk 1 is named"),
        (
            vec![good[0].clone(), "kube-system-token".into()],
            "chunk 1 is named",
        ),
        (vec![good[1].clone(), good[0].clone()], "chunk 0 is named"),
    ];
    for (names, want) in cases {
        let e = check_chunk_names(&names, rec, &digest, "x")
            .unwrap_err()
            .to_string();
        assert!(e.contains(want), "{names:?}: {e}");
    }
    assert!(check_chunk_names(&good, rec, "md5:00", "x").is_err());
    let too_many = vec![vec![0u8; 1]; MAX_CHUNKS + 1];
    assert!(decode(&too_many, None, "x")
        .unwrap_err()
        .to_string()
        .contains("more than"));
    let too_big = vec![vec![0u8; CHUNK_BYTES + 1]];
    assert!(decode(&too_big, None, "x")
        .unwrap_err()
        .to_string()
        .contains("larger than"));
}

#[test]
fn status_names_round_trip() {
    for s in Status::ALL {
        assert_eq!(s.as_str().parse::<Status>().unwrap(), s);
    }
    assert!("done".parse::<Status>().is_err());
}

#[test]
fn release_names_are_checked() {
    assert!(validate_name("web-1").is_ok());
    for bad in ["", "Web", "-web", "web-", "a.b", &"x".repeat(54)] {
        assert!(validate_name(bad).is_err(), "{bad}");
    }
}

#[test]
fn hook_records_round_trip_and_old_records_have_none() {
    use crate::manifest::hooks::{DeletePolicy, Event, HookSpec};
    let mut r = sample(2, Status::Deployed);
    r.hooks = vec![HookRecord {
        object: ObjectId {
            api_version: "batch/v1".into(),
            kind: "Job".into(),
            namespace: Some("shop".into()),
            name: "migrate".into(),
        },
        spec: HookSpec {
            events: vec![Event::PreUpgrade],
            weight: -5,
            delete_policies: vec![DeletePolicy::HookSucceeded],
        },
        last_run: Some(HookRun {
            event: Event::PreUpgrade,
            started: jiff::Timestamp::from_second(1_700_000_000).unwrap(),
            finished: jiff::Timestamp::from_second(1_700_000_003).unwrap(),
            succeeded: true,
            detail: None,
        }),
    }];
    let enc = encode(&r).unwrap();
    assert_eq!(decode(&enc.chunks, Some(&enc.digest), "x").unwrap(), r);
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["hooks"][0]["events"][0], "pre-upgrade");
    assert_eq!(json["hooks"][0]["deletePolicies"][0], "hook-succeeded");
    // a record written before hooks existed decodes with none
    let mut old = serde_json::to_value(sample(1, Status::Deployed)).unwrap();
    old.as_object_mut().unwrap().remove("hooks");
    let back: Release = serde_json::from_value(old).unwrap();
    assert!(back.hooks.is_empty());
}
