//! Benchmark (not a test): the API server's own throughput for server-side apply of small ConfigMaps,
//! measured with a plain client (kube's HTTP client, request bodies built before the clock starts, answers
//! not parsed) at fixed concurrencies. It sends the same objects as `tack install` of the benchmark's chart
//! (perf_cluster.py): ConfigMaps of two data keys with tack's two ownership annotations. It is the
//! yardstick for `tack install`: what the server can take when the client costs next to nothing.
//!
//! cargo run --release --example apply_throughput -- [--objects N] [--runs R] [--concurrency 1,4,8]
//!
//! Needs KUBECONFIG (the test control plane, see docs/testenv.md). Each run creates its ConfigMaps in a
//! namespace of its own, deleted (and waited for) before the next run; the concurrencies take turns, so
//! a busy moment of the machine spreads over all of them.

use futures::{stream, StreamExt};
use http::Request;
use std::time::{Duration, Instant};

struct Args {
    objects: usize,
    runs: usize,
    concurrency: Vec<usize>,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        objects: 2000,
        runs: 5,
        concurrency: vec![1, 4, 8, 16, 32, 64],
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let bad = |_| format!("invalid value `{value}` for {flag}");
        match flag.as_str() {
            "--objects" => a.objects = value.parse().map_err(bad)?,
            "--runs" => a.runs = value.parse().map_err(bad)?,
            "--concurrency" => {
                a.concurrency = value
                    .split(',')
                    .map(|c| c.trim().parse().map_err(bad))
                    .collect::<Result<_, _>>()?
            }
            _ => return Err(format!("unknown argument `{flag}`")),
        }
    }
    Ok(a)
}

fn request(method: &str, path: &str, content_type: &str, body: Vec<u8>) -> Request<Vec<u8>> {
    Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", content_type)
        .body(body)
        .expect("a valid request")
}

/// Create namespace `ns`; delete it and wait until it is gone.
async fn namespace(client: &kube::Client, ns: &str, create: bool) -> Result<(), kube::Error> {
    if create {
        let body =
            serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
        let req = request(
            "POST",
            "/api/v1/namespaces",
            "application/json",
            body.to_string().into_bytes(),
        );
        return client.request_text(req).await.map(drop);
    }
    let path = format!("/api/v1/namespaces/{ns}");
    client
        .request_text(request("DELETE", &path, "application/json", vec![]))
        .await?;
    loop {
        match client
            .request_text(request("GET", &path, "application/json", vec![]))
            .await
        {
            Err(kube::Error::Api(s)) if s.code == 404 => return Ok(()),
            Err(e) => return Err(e),
            Ok(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// Apply `objects` ConfigMaps into `ns`, `concurrency` at once: (wall time, median request latency).
async fn one_run(
    client: &kube::Client,
    ns: &str,
    objects: usize,
    concurrency: usize,
) -> Result<(Duration, Duration), kube::Error> {
    let requests: Vec<Request<Vec<u8>>> = (0..objects)
        .map(|i| {
            let name = format!("plain-cm-{i}");
            // the very objects `tack install` sends for the benchmark's chart: its two ownership
            // annotations are fields the server tracks too
            let body = serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": name, "namespace": ns, "annotations": {
                    "tack.dev/release-name": "many", "tack.dev/release-namespace": ns}},
                "data": {"index": i.to_string(), "rev": "0"}});
            request(
                "PATCH",
                &format!("/api/v1/namespaces/{ns}/configmaps/{name}?fieldManager=plain-bench"),
                "application/apply-patch+yaml",
                body.to_string().into_bytes(),
            )
        })
        .collect();
    let start = Instant::now();
    let latencies: Vec<Result<Duration, kube::Error>> = stream::iter(requests)
        .map(|req| async move {
            let sent = Instant::now();
            client.request_text(req).await.map(|_| sent.elapsed())
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let wall = start.elapsed();
    let mut latencies = latencies.into_iter().collect::<Result<Vec<_>, _>>()?;
    latencies.sort();
    Ok((wall, latencies[latencies.len() / 2]))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a = args().map_err(|e| format!("error: {e}"))?;
    let client = kube::Client::try_default().await?;
    let stamp = std::process::id();
    let mut walls: Vec<Vec<Duration>> = vec![Vec::new(); a.concurrency.len()];
    let mut lats: Vec<Vec<Duration>> = vec![Vec::new(); a.concurrency.len()];
    for run in 0..a.runs {
        for (k, &c) in a.concurrency.iter().enumerate() {
            let ns = format!("bench-plain-{stamp}-{c}-{run}");
            namespace(&client, &ns, true).await?;
            let got = one_run(&client, &ns, a.objects, c).await;
            namespace(&client, &ns, false).await?;
            let (wall, latency) = got?;
            walls[k].push(wall);
            lats[k].push(latency);
        }
    }
    println!(
        "server-side apply of {} new ConfigMaps by a plain client, medians of {} runs:",
        a.objects, a.runs
    );
    println!("concurrency  wall      objects/s  request latency (median)");
    let mut best = (0.0, 0);
    for (k, &c) in a.concurrency.iter().enumerate() {
        let wall = median(walls[k].clone());
        let rate = a.objects as f64 / wall.as_secs_f64();
        if rate > best.0 {
            best = (rate, c);
        }
        println!(
            "{c:>11}  {:>6.2} s  {rate:>9.0}  {:>6.1} ms",
            wall.as_secs_f64(),
            median(lats[k].clone()).as_secs_f64() * 1000.0
        );
    }
    println!(
        "best: {:.0} objects/s at concurrency {} ({:.2} s for {} objects)",
        best.0,
        best.1,
        a.objects as f64 / best.0,
        a.objects
    );
    Ok(())
}
