//! Tests for the shared helpers in `mod.rs` and one end-to-end pass through the module.

use super::*;
use serde_json::json;
use std::path::Path;

#[test]
fn secret_key_names() {
    let secret = [
        "password",
        "dbPassword",
        "PASSWD",
        "clientSecret",
        "token",
        "githubToken",
        "apiKey",
        "api_key",
        "privateKey",
        "private_key",
        "PrivateKey",
        "credentials",
        "aws_credential",
    ];
    let plain = [
        "name",
        "image",
        "key",
        "keys",
        "monkey",
        "tag",
        "pass",
        "publicKeyId",
    ];
    for k in secret {
        assert!(is_secret_key(k), "{k} should be secret");
    }
    for k in plain {
        assert!(!is_secret_key(k), "{k} should not be secret");
    }
    assert!(path_is_secret(&parse_path("db.password").unwrap()));
    assert!(path_is_secret(&parse_path("secrets[0].value").unwrap()));
    assert!(!path_is_secret(&parse_path("image.tag").unwrap()));
}

#[test]
fn rendering_redacts_and_truncates() {
    let v = json!({"user": "u", "auth": {"token": "t0k3n", "ttl": 5}, "list": [{"password": "p"}]});
    let shown = render_value(&v, 200);
    assert_eq!(
        shown,
        r#"{"auth":{"token":"<redacted>","ttl":5},"list":[{"password":"<redacted>"}],"user":"u"}"#
    );
    let long = json!("x".repeat(100));
    let t = render_value(&long, 10);
    assert_eq!(t.chars().count(), 10);
    assert!(t.ends_with('…'));
}

#[test]
fn displays() {
    let w = Warning {
        file: "values/prod.yaml".into(),
        line: 3,
        column: 10,
        message: "bare `no` read as boolean false; quote it (\"no\") if you meant the string"
            .into(),
    };
    assert_eq!(
        w.to_string(),
        "values/prod.yaml:3:10: bare `no` read as boolean false; quote it (\"no\") if you meant the string"
    );
    assert_eq!(
        SetArg::new(SetKind::Json, "a=1").to_string(),
        "--set-json a=1"
    );
    assert_eq!(Origin::Flag("--set a=1".into()).to_string(), "--set a=1");
    assert_eq!(
        Origin::File("values/prod.yaml".into()).to_string(),
        "values/prod.yaml"
    );
}

#[test]
fn end_to_end_resolve_explain_validate() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("values")).unwrap();
    std::fs::write(d.join("values.yaml"), "image:\n  tag: \"1.0\"\nport: 80\n").unwrap();
    std::fs::write(d.join("values/prod.yaml"), "port: \"8080\"\n").unwrap();
    std::fs::write(d.join("values/public.yaml"), "tls: on\n").unwrap();
    let req = LayerRequest {
        previous: None,
        chart_values: Some(d.join("values.yaml")),
        values_dir: d.join("values"),
        env: Some("prod".into()),
        tier: Some("public".into()),
        sets: vec![SetArg::new(SetKind::Set, "image.tag=1.2")],
        base_dir: d.to_path_buf(),
        ..Default::default()
    };
    let r = resolve(&req).unwrap();
    assert_eq!(
        r.values,
        json!({"image": {"tag": "1.2"}, "port": "8080", "tls": true})
    );
    assert_eq!(r.warnings.len(), 1);
    assert_eq!((r.warnings[0].line, r.warnings[0].column), (1, 6));

    let e = explain(&r, "port").unwrap();
    assert_eq!(e.entries[e.winner.unwrap()].layer, "env `prod`");

    let schema = json!({"properties": {"port": {"type": "integer"}}});
    let v = validate_schema(&schema, Path::new("values.schema.json"), &r).unwrap_err();
    assert_eq!(v.len(), 1);
    let text = v[0].to_string();
    assert!(
        text.starts_with("`port` = \"8080\": expected type integer, found a string"),
        "{text}"
    );
    assert!(
        text.contains("set by env `prod` at ") && text.contains("prod.yaml:1:1"),
        "{text}"
    );
}

#[test]
fn secret_keys_in_ascii_are_found_as_the_case_folding_expression_finds_them() {
    let words = SECRET_WORDS.iter().flat_map(|w| {
        [
            w.to_string(),
            w.to_uppercase(),
            format!("db{}Ref", w.to_uppercase()),
            format!("x_{w}_1"),
            w[1..].to_string(),
            w[..w.len() - 1].to_string(),
        ]
    });
    let others = [
        "",
        "name",
        "passwor",
        "pass_word",
        "api-key",
        "private-key",
        "tok3n",
        "ApIkEy",
    ];
    for key in words.chain(others.iter().map(|k| k.to_string())) {
        assert_eq!(
            is_secret_key(&key),
            secret_key_pattern().is_match(&key),
            "{key:?}"
        );
    }
    // beyond ASCII the expression decides, with Unicode case folding
    assert!(is_secret_key("ſecret"));
    assert!(is_secret_key("Пароль_password"));
    assert!(!is_secret_key("Пароль"));
}
