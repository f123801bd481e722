//! Charts of many templates render on several threads: the output, the errors and the limits are those
//! of rendering one template at a time (seeded `rand_*` functions keep a render on one thread, so a
//! seed gives the one-at-a-time result to compare with).

use super::*;
use crate::chart::Chart;

fn chart(templates: usize, body: impl Fn(usize) -> String) -> (tempfile::TempDir, Chart) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Chart.yaml"),
        "apiVersion: v2\nname: c\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("templates")).unwrap();
    std::fs::write(
        dir.path().join("templates/_helpers.j2"),
        "{% macro label(n) %}app-{{ n }}{% endmacro %}",
    )
    .unwrap();
    for i in 0..templates {
        std::fs::write(
            dir.path().join(format!("templates/t{i:03}.yaml.j2")),
            body(i),
        )
        .unwrap();
    }
    let chart = Chart::load(dir.path()).unwrap();
    (dir, chart)
}

fn values() -> Values {
    serde_json::from_value(serde_json::json!({
        "names": ["a", "b", "c"],
        "extra": "{{ release.name }}-x",
    }))
    .unwrap()
}

/// One template at a time: a seed for `rand_*` keeps the render on the calling thread.
fn one_at_a_time(opts: &RenderOptions) -> RenderOptions {
    RenderOptions {
        rng_seed: Some(1),
        ..opts.clone()
    }
}

/// The errors of rendering `c`, which must be those of rendering it one template at a time.
fn same_errors_both_ways(c: &Chart, opts: &RenderOptions) -> String {
    let e = render_chart(c, &values(), opts).unwrap_err().to_string();
    let alone = render_chart(c, &values(), &one_at_a_time(opts))
        .unwrap_err()
        .to_string();
    assert_eq!(e, alone);
    e
}

fn side_by_side() -> bool {
    std::thread::available_parallelism().map_or(1, |n| n.get()) > 1
}

const BODY: &str = "{% import '_helpers.j2' as h %}\
apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ release.name }}-N\n  labels:\n    app: {{ h.label(N) }}\ndata:\n  template: {{ template.name }}\n  tpl: {{ values.extra | tpl }}\n{% for n in values.names %}\n  k{{ loop.index }}: {{ n | quote }}\n{% endfor %}\n";

#[test]
fn many_templates_render_side_by_side_as_they_would_one_at_a_time() {
    let (_d, c) = chart(40, |i| BODY.replace('N', &i.to_string()));
    let opts = RenderOptions::default();
    // each output is cut before its `data:` line: both pieces come back, in order, with their lines
    let cut_at_data = |t: &str| {
        t.find("data:")
            .map(|at| vec![(at, t[..at].matches('\n').count())])
            .unwrap_or_default()
    };
    let on = OnRendered {
        each: &|t: &str, before: usize| (t.to_string(), before),
        cut: &cut_at_data,
    };
    let (rendered, each) = render_chart_with(&c, &values(), &opts, &on).unwrap();
    let alone = render_chart(&c, &values(), &one_at_a_time(&opts)).unwrap();
    assert_eq!(rendered.files.len(), 40);
    assert_eq!(each.len(), rendered.files.len());
    for (i, (a, b)) in rendered.files.iter().zip(&alone.files).enumerate() {
        assert_eq!(
            (&a.source, &a.display, &a.text),
            (&b.source, &b.display, &b.text)
        );
        assert!(
            a.text.contains(&format!("name: release-name-{i}\n")),
            "{}",
            a.text
        );
        assert!(a.text.contains("tpl: release-name-x\n"), "{}", a.text);
        // `each` ran on the rendering threads, on each piece of the template's text
        if side_by_side() {
            let pieces = each[i].as_ref().expect("checked where rendered");
            let at = a.text.find("data:").unwrap();
            let expected = [
                (a.text[..at].to_string(), 0),
                (a.text[at..].to_string(), a.text[..at].matches('\n').count()),
            ];
            assert_eq!(pieces.as_slice(), expected.as_slice());
        }
    }
    let (_, each) = render_chart_with(&c, &values(), &one_at_a_time(&opts), &on).unwrap();
    assert!(each.iter().all(Option::is_none));
}

#[test]
fn a_failing_template_among_many_reports_what_one_at_a_time_reports() {
    let (_d, c) = chart(30, |i| match i {
        7 => "a: {{ values.names | nosuchfilter }}\n".to_string(),
        19 => "b: {{ 1 / 0 }}\n".to_string(),
        _ => BODY.replace('N', &i.to_string()),
    });
    let opts = RenderOptions::default();
    let e = same_errors_both_ways(&c, &opts);
    assert!(
        e.contains("t007.yaml.j2") && e.contains("t019.yaml.j2"),
        "{e}"
    );
}

#[test]
fn fuel_shared_by_many_templates_runs_out_where_it_would_one_at_a_time() {
    // each template fits in the fuel on its own; together they do not, and the one that runs out is the
    // one that would one at a time
    let (_d, c) = chart(24, |i| {
        format!("v: |\n{{% for n in range(300) %}}\n  {i}-{{{{ n }}}}\n{{% endfor %}}\n")
    });
    let opts = RenderOptions {
        fuel: Some(20_000),
        ..RenderOptions::default()
    };
    let e = same_errors_both_ways(&c, &opts);
    assert!(e.contains("used up its fuel of 20000"), "{e}");
    assert_eq!(e.matches("used up its fuel").count(), 1, "{e}");
}

#[test]
fn output_shared_by_many_templates_stops_where_it_would_one_at_a_time() {
    let (_d, c) = chart(20, |i| format!("k: {}\n", "x".repeat(90 + i)));
    let opts = RenderOptions {
        max_output: 1_000,
        ..RenderOptions::default()
    };
    let e = same_errors_both_ways(&c, &opts);
    assert!(e.contains("exceeds the limit"), "{e}");
    let roomy = RenderOptions {
        max_output: 100_000,
        ..RenderOptions::default()
    };
    assert_eq!(render_chart(&c, &values(), &roomy).unwrap().files.len(), 20);
}
