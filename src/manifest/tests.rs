//! Unit tests of document splitting, parsing, ordering, duplicates and masking.

use super::*;

fn parse(text: &str) -> (Vec<Document>, Vec<Problem>) {
    let mut problems = Vec::new();
    let docs = parse_rendered(
        "templates/x.yaml.j2",
        "c/templates/x.yaml",
        text,
        &mut problems,
    );
    (docs, problems)
}

#[test]
fn splits_on_whole_separator_lines_only() {
    let docs = split_documents("a: 1\n---\nb: 2\n--- # note\nc: 3\n---apiVersion: x\n");
    assert_eq!(docs.len(), 3);
    assert_eq!(docs[0], (1, "a: 1\n".to_string()));
    assert_eq!(docs[1], (3, "b: 2\n".to_string()));
    assert_eq!(docs[2].0, 5);
    assert!(docs[2].1.contains("---apiVersion"));
}

#[test]
fn a_file_checked_in_pieces_gives_what_it_gives_checked_whole() {
    let mut text = String::from("# leading comment\n");
    for i in 0..60 {
        let sep = ["---\n", "--- # note\n", "---\r\n", "---   \n"][i % 4];
        text.push_str(sep);
        match i % 7 {
            // not separators: inside a literal block and a line that only starts with dashes
            3 => text.push_str(&format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\ndata:\n  k: |\n    ---x\n    ----\n"
            )),
            4 => text.push_str(&format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\n  bad: [\n")),
            5 => text.push_str("# only a comment\n\n"),
            6 => text.push_str(&format!("apiVersion: v1\nmetadata:\n  name: c{i}\n")),
            _ => text.push_str(&format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\ndata:\n  i: \"{i}\"\n"
            )),
        }
    }
    let file = Rendered {
        source: "templates/x.yaml.j2",
        display: "c/templates/x.yaml",
        text: &text,
    };
    let show = |docs: Vec<Document>, problems: Vec<Problem>| {
        let docs: Vec<_> = docs
            .iter()
            .map(|d| (d.index, d.start_line, d.text.clone(), d.id()))
            .collect();
        let problems: Vec<_> = problems.iter().map(|p| p.to_string()).collect();
        format!("{docs:#?}\n{problems:#?}")
    };
    let mut problems = Vec::new();
    let whole = show(parse_all(&[file], false, &mut problems), problems);
    assert!(whole.contains("name: c59"), "{whole}");
    for size in [1, 10, 60, 200, 1000, text.len(), text.len() + 1] {
        let cuts = cuts(&text, size);
        assert_eq!(cuts.is_empty(), size >= text.len(), "size {size}");
        let mut pieces = Vec::new();
        let starts = std::iter::once((0, 0)).chain(cuts.iter().copied());
        let ends = cuts.iter().map(|c| c.0).chain([text.len()]);
        for ((from, lines_before), to) in starts.zip(ends) {
            assert!(to - from >= size || to == text.len(), "size {size}");
            assert_eq!(lines_before, text[..from].matches('\n').count());
            pieces.push(check_piece(&text[from..to], lines_before));
        }
        let mut problems = Vec::new();
        let joined = CheckedFile::join(pieces);
        let apart = parse_checked(&[file], vec![Some(joined)], false, &mut problems);
        assert_eq!(show(apart, problems), whole, "size {size}");
    }
}

#[test]
fn drops_empty_and_comment_only_documents() {
    let docs = split_documents("---\n\n# only a comment\n---\n   \n---\nkind: A\n");
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].1, "kind: A\n");
}

#[test]
fn null_documents_are_dropped() {
    let (docs, problems) = parse("---\nnull\n---\n~\n");
    assert!(docs.is_empty());
    assert!(problems.is_empty());
}

#[test]
fn missing_identity_is_reported_with_line() {
    let (docs, problems) =
        parse("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nmetadata:\n  name: x\n");
    assert_eq!(docs.len(), 1);
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].line, Some(5));
    assert!(
        problems[0].message.contains("kind"),
        "{}",
        problems[0].message
    );
}

#[test]
fn invalid_yaml_names_the_rendered_line_with_excerpt() {
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n   bad: [\n";
    let (_, problems) = parse(text);
    assert_eq!(problems.len(), 1);
    let p = &problems[0];
    assert!(p.message.contains("not valid YAML"));
    assert!(p.line.unwrap() >= 8, "{:?}", p.line);
    assert!(p.excerpt.as_ref().unwrap().contains("bad: ["));
}

#[test]
fn duplicate_keys_are_an_error() {
    let (_, problems) =
        parse("apiVersion: v1\nkind: ConfigMap\nkind: Secret\nmetadata: {name: a}\n");
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].message.contains("duplicate"),
        "{}",
        problems[0].message
    );
}

#[test]
fn duplicates_name_both_templates() {
    let mut p = Vec::new();
    let mut docs = parse_rendered(
        "templates/a.yaml.j2",
        "a",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
        &mut p,
    );
    docs.extend(parse_rendered(
        "templates/b.yaml.j2",
        "b",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: ns}\n",
        &mut p,
    ));
    let dups = find_duplicates(&docs, "ns");
    assert_eq!(dups.len(), 1);
    assert!(dups[0].message.contains("templates/a.yaml.j2"));
    assert_eq!(dups[0].source, "templates/b.yaml.j2");
    assert!(find_duplicates(&docs, "other").is_empty());
}

#[test]
fn install_order_puts_namespaces_and_crds_first_and_unknown_last() {
    let mut p = Vec::new();
    let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n---\napiVersion: x/v1\nkind: Widget\nmetadata: {name: w}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: n}\n---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: c}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\n";
    let mut docs = parse_rendered("templates/a.yaml.j2", "a", text, &mut p);
    sort_install_order(&mut docs);
    let kinds: Vec<_> = docs.iter().map(|d| d.kind().to_string()).collect();
    assert_eq!(
        kinds,
        [
            "Namespace",
            "CustomResourceDefinition",
            "ConfigMap",
            "Deployment",
            "Widget"
        ]
    );
}

#[test]
fn install_order_is_by_rank_then_unknown_kind_then_template_path_and_position() {
    // documents of a template come together, templates in no particular order, one template in two runs
    let kinds = [
        "Widget",
        "Deployment",
        "Gadget",
        "ConfigMap",
        "Service",
        "Namespace",
        "Apple",
    ];
    let sources = [
        "templates/b.yaml.j2",
        "templates/a-b.yaml.j2",
        "templates/a/x.yaml.j2",
    ];
    let mut next = super::picker(0x9e37_79b9_7f4a_7c15);
    let mut docs = Vec::new();
    let mut p = Vec::new();
    for (run, source) in sources.iter().chain(&sources[..1]).enumerate() {
        let text: Vec<String> = (0..12)
            .map(|i| {
                let kind = kinds[next(kinds.len())];
                format!("apiVersion: x/v1\nkind: {kind}\nmetadata: {{name: r{run}-{i}}}\n")
            })
            .collect();
        docs.extend(parse_rendered(source, source, &text.join("---\n"), &mut p));
    }
    assert!(p.is_empty(), "{p:?}");
    let mut want: Vec<(usize, String, String, usize, String)> = docs
        .iter()
        .map(|d| {
            let rank = install_rank(d.kind());
            let kind = if rank == INSTALL_ORDER.len() {
                d.kind().to_string()
            } else {
                String::new()
            };
            (rank, kind, d.source.clone(), d.index, d.name().to_string())
        })
        .collect();
    want.sort();
    sort_install_order(&mut docs);
    let got: Vec<&str> = docs.iter().map(|d| d.name()).collect();
    let want: Vec<&str> = want.iter().map(|w| w.4.as_str()).collect();
    assert_eq!(got, want);
    assert_eq!(docs[0].kind(), "Namespace");
    assert!(["Apple", "Gadget", "Widget"].contains(&docs[docs.len() - 1].kind()));
}

#[test]
fn secrets_are_masked_with_size_and_digest() {
    let mut p = Vec::new();
    let docs = parse_rendered(
        "templates/s.yaml.j2",
        "c/templates/s.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {password: aHVudGVyMg==}\nstringData: {token: abc123}\n",
        &mut p,
    );
    let out = to_stream_masked(&docs);
    assert!(!out.contains("aHVudGVyMg=="), "{out}");
    assert!(!out.contains("abc123"), "{out}");
    assert!(out.contains("<redacted: 7 bytes, sha256:"), "{out}");
    assert!(out.contains("<redacted: 6 bytes, sha256:"), "{out}");
}

#[test]
fn stream_has_source_headers() {
    let mut p = Vec::new();
    let docs = parse_rendered(
        "templates/a.yaml.j2",
        "c/templates/a.yaml",
        "# comment kept\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n\n\n",
        &mut p,
    );
    assert_eq!(
        to_stream(&docs),
        "---\n# Source: c/templates/a.yaml\n# comment kept\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"
    );
}

#[test]
fn excerpts_mask_values_unless_asked() {
    let text = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  pw: hunter2\n   bad: x\n";
    let (_, problems) = parse(text);
    let shown = problems[0].to_string();
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(
        shown.contains("  > 7 |    bad: <redacted>") && shown.contains("stringData:"),
        "{shown}"
    );
    let mut problems = Vec::new();
    parse_rendered_with("t", "t", text, true, &mut problems);
    assert!(problems[0].to_string().contains("pw: hunter2"));
}
