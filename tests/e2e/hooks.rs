//! Hooks and chart tests against the real control plane (kwok completes the pods of Jobs; a Job whose pod
//! cannot be scheduled fails at its `activeDeadlineSeconds`): order, delete policies, failures, `--atomic`,
//! rollback after a failed upgrade, `tack test`, and a Job removed by its TTL.

use crate::harness::*;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::Api;

const CHART: &str = "tests/fixtures/charts/hooked";

fn hooked(cmd: &str, ns: &str, extra: &[&str]) -> std::process::Command {
    let mut c = tack();
    c.args([cmd, "h", CHART, "-n", ns]);
    if cmd != "diff" {
        c.args(["--timeout", "60s"]);
    }
    c.args(extra);
    c
}

/// When each hook of release `h` last finished, by name, from `tack status -o json`.
fn finished(ns: &str) -> Vec<(String, String)> {
    let json: serde_json::Value =
        serde_json::from_str(&ok(tack().args(["status", "h", "-n", ns, "-o", "json"]))).unwrap();
    json["hooks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| {
            let l = l.as_str().unwrap();
            let name = l.split(" Job ").nth(1)?.split(' ').next()?.to_string();
            let at = l
                .split(" succeeded at ")
                .nth(1)?
                .split(' ')
                .next()?
                .to_string();
            Some((name, at))
        })
        .collect()
}

fn at(runs: &[(String, String)], name: &str) -> jiff::Timestamp {
    runs.iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("{name} did not run: {runs:?}"))
        .1
        .parse()
        .unwrap()
}

async fn uid(jobs: &Api<Job>, name: &str) -> Option<String> {
    jobs.get_opt(name)
        .await
        .unwrap()
        .and_then(|j| j.metadata.uid)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hooks_run_in_order_with_their_delete_policies_and_are_never_pruned() {
    let client = client().await;
    let ns = namespace(&client, "e2e-hooks").await;
    let jobs: Api<Job> = Api::namespaced(client.clone(), &ns);
    let configs: Api<ConfigMap> = Api::namespaced(client.clone(), &ns);

    let (out, _, stderr) = run(&mut hooked("install", &ns, &["--wait"]));
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("pre-install hooks: 2 ran"), "{stderr}");
    let runs = finished(&ns);
    assert!(
        at(&runs, "seed") < at(&runs, "migrate"),
        "weight -10 before 0: {runs:?}"
    );
    assert!(
        at(&runs, "migrate") < at(&runs, "notify"),
        "pre before post: {runs:?}"
    );
    // the server agrees: the post-install Job was created after the pre-install one completed
    let migrate = jobs.get("migrate").await.unwrap();
    let notify = jobs.get("notify").await.unwrap();
    let completed = migrate.status.unwrap().completion_time.unwrap().0;
    assert!(completed <= notify.metadata.creation_timestamp.unwrap().0);
    // hook-succeeded removed `seed`; before-hook-creation keeps the others until their next run
    assert!(uid(&jobs, "seed").await.is_none(), "seed was deleted");
    assert!(
        uid(&jobs, "smoke").await.is_none(),
        "tests do not run on install"
    );
    // hooks are not objects of the release
    let status: serde_json::Value =
        serde_json::from_str(&ok(tack().args(["status", "h", "-n", &ns, "-o", "json"]))).unwrap();
    let objects = status["objects"].to_string();
    assert!(!objects.contains("Job"), "{objects}");

    // diff shows hooks apart, as what will run
    let (_, diff, _) = run(&mut hooked("diff", &ns, &["--set", "version=2"]));
    assert!(
        diff.contains("will run: pre-upgrade Job cache-warm (weight -5)"),
        "{diff}"
    );
    assert!(
        diff.contains("will run: post-upgrade Job notify (weight 0)"),
        "{diff}"
    );
    assert!(!diff.contains("Job migrate: changed"), "{diff}");

    // an upgrade re-runs its hooks as new objects, in weight order
    let (old_migrate, old_notify) = (uid(&jobs, "migrate").await, uid(&jobs, "notify").await);
    ok(&mut hooked("upgrade", &ns, &["--set", "version=2"]));
    let runs = finished(&ns);
    assert!(at(&runs, "cache-warm") < at(&runs, "migrate"), "{runs:?}");
    assert!(at(&runs, "migrate") < at(&runs, "notify"), "{runs:?}");
    assert_ne!(
        uid(&jobs, "migrate").await,
        old_migrate,
        "migrate re-created"
    );
    assert_ne!(uid(&jobs, "notify").await, old_notify, "notify re-created");
    assert!(uid(&jobs, "seed").await.is_none(), "seed is install-only");
    assert_eq!(
        configs.get("app-0").await.unwrap().data.unwrap()["version"],
        "2"
    );

    // a revision without some hooks does not prune their objects; drift never mentions them
    ok(&mut hooked(
        "upgrade",
        &ns,
        &["--set", "version=2", "--set", "upgradeHooks=false"],
    ));
    assert!(
        uid(&jobs, "cache-warm").await.is_some(),
        "hooks are not pruned"
    );
    assert!(uid(&jobs, "notify").await.is_some(), "hooks are not pruned");
    let (_, diff, _) = run(&mut hooked(
        "diff",
        &ns,
        &["--set", "version=2", "--set", "upgradeHooks=false"],
    ));
    assert!(diff.contains("No changes"), "{diff}");
    let job_lines: Vec<&str> = diff.lines().filter(|l| l.contains("Job")).collect();
    assert!(
        job_lines.iter().all(|l| l.contains("will run:")),
        "hooks show only as what will run, never as drift: {diff}"
    );

    // --no-hooks: nothing runs, the Job stays the one of the previous run
    let before = uid(&jobs, "migrate").await;
    ok(&mut hooked(
        "upgrade",
        &ns,
        &["--set", "version=3", "--no-hooks"],
    ));
    assert_eq!(uid(&jobs, "migrate").await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_pre_upgrade_hook_fails_the_revision_and_rollback_recovers() {
    let client = client().await;
    let ns = namespace(&client, "e2e-hookfail").await;
    let jobs: Api<Job> = Api::namespaced(client.clone(), &ns);
    let configs: Api<ConfigMap> = Api::namespaced(client.clone(), &ns);
    ok(&mut hooked("install", &ns, &[]));

    let (out, _, stderr) = run(&mut hooked(
        "upgrade",
        &ns,
        &["--set", "failMigrate=true", "--set", "version=2"],
    ));
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("pre-upgrade hook Job migrate failed"),
        "{stderr}"
    );
    assert!(
        stderr.contains("DeadlineExceeded"),
        "the Job's events are shown: {stderr}"
    );
    assert!(
        stderr.contains("FailedScheduling"),
        "its pods' events are shown: {stderr}"
    );
    assert_eq!(
        history_of(&ns),
        [(1, "deployed".to_string()), (2, "failed".to_string())]
    );
    // the pre-upgrade hook failed before any object changed, and hook-failed removed the Job
    assert_eq!(
        configs.get("app-0").await.unwrap().data.unwrap()["version"],
        "1"
    );
    assert!(
        uid(&jobs, "migrate").await.is_none(),
        "hook-failed deleted it"
    );

    // status warns that live state may be mixed; rollback re-applies the deployed revision
    let status = ok(tack().args(["status", "h", "-n", &ns]));
    assert!(
        status.contains("may be a mix of revision 1 (deployed) and revision 2"),
        "{status}"
    );
    let out = ok(tack().args(["rollback", "h", "-n", &ns]));
    assert!(out.contains("rolled back to revision 1"), "{out}");
    assert_eq!(
        history_of(&ns).last().unwrap(),
        &(3, "deployed".to_string())
    );

    // --atomic: the failed revision is recorded and the previous one restored
    let (out, _, stderr) = run(&mut hooked(
        "upgrade",
        &ns,
        &[
            "--set",
            "failMigrate=true",
            "--set",
            "version=4",
            "--atomic",
        ],
    ));
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("rolled back to revision 3"), "{stderr}");
    let h = history_of(&ns);
    assert!(
        h.contains(&(3, "deployed".to_string())) && h.contains(&(4, "failed".to_string())),
        "{h:?}"
    );
    assert_eq!(
        configs.get("app-0").await.unwrap().data.unwrap()["version"],
        "1"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tack_test_reports_each_test_and_fails_when_one_fails() {
    let client = client().await;
    let ns = namespace(&client, "e2e-chart-test").await;
    let jobs: Api<Job> = Api::namespaced(client.clone(), &ns);
    ok(&mut hooked("install", &ns, &[]));

    let (out, stdout, stderr) = run(tack().args(["test", "h", "-n", &ns, "--timeout", "60s"]));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("PASS  Job smoke"), "{stdout}");
    assert!(stdout.contains("PASS  Job deep-check"), "{stdout}");
    assert!(stdout.contains("container main exited 0"), "{stdout}");
    assert!(stdout.contains("RESULT: 2 passed, 0 failed"), "{stdout}");
    assert!(
        uid(&jobs, "smoke").await.is_none(),
        "hook-succeeded removed it"
    );
    assert!(
        uid(&jobs, "deep-check").await.is_some(),
        "kept until its next run"
    );

    ok(&mut hooked("upgrade", &ns, &["--set", "failTest=true"]));
    let (out, stdout, stderr) = run(tack().args(["test", "h", "-n", &ns, "--timeout", "60s"]));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("PASS  Job smoke"),
        "the other test still ran: {stdout}"
    );
    assert!(stdout.contains("FAIL  Job deep-check"), "{stdout}");
    assert!(stdout.contains("DeadlineExceeded"), "{stdout}");
    assert!(stdout.contains("RESULT: 1 passed, 1 failed"), "{stdout}");
    let status = ok(tack().args(["status", "h", "-n", &ns]));
    assert!(
        status.contains("test Job deep-check (weight 1, before-hook-creation): test failed"),
        "{status}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_removed_by_its_ttl_counts_as_complete() {
    let client = client().await;
    let ns = namespace(&client, "e2e-ttl").await;
    let jobs: Api<Job> = Api::namespaced(client.clone(), &ns);
    let out = ok(&mut hooked(
        "install",
        &ns,
        &[
            "--set",
            "ttlJob=true",
            "--set",
            "upgradeHooks=false",
            "--wait",
        ],
    ));
    assert!(out.contains("revision 1 deployed"), "{out}");
    assert!(
        uid(&jobs, "short-lived").await.is_none(),
        "its TTL removed it"
    );
    assert_eq!(history_of(&ns), [(1, "deployed".to_string())]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uninstall_runs_pre_delete_hooks_before_deleting_and_post_delete_hooks_after() {
    let client = client().await;
    let ns = namespace(&client, "e2e-delhooks").await;
    let jobs: Api<Job> = Api::namespaced(client.clone(), &ns);
    let configs: Api<ConfigMap> = Api::namespaced(client.clone(), &ns);
    let uninstall = |ns: &str| {
        let mut c = tack();
        c.args(["uninstall", "h", "-n", ns, "--timeout", "60s"]);
        c
    };
    let set = ["--set", "deleteHooks=true"];
    ok(&mut hooked(
        "install",
        &ns,
        &[set[0], set[1], "--set", "failDelete=true"],
    ));
    assert!(
        uid(&jobs, "cleanup").await.is_none(),
        "delete hooks do not run on install"
    );

    // a failing pre-delete hook stops the uninstall before anything is deleted
    let (out, _, stderr) = run(&mut uninstall(&ns));
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("pre-delete hook Job cleanup failed"),
        "{stderr}"
    );
    assert!(
        configs.get_opt("app-0").await.unwrap().is_some(),
        "nothing deleted"
    );
    assert!(
        uid(&jobs, "farewell").await.is_none(),
        "post-delete did not run"
    );
    assert_eq!(history_of(&ns), [(1, "deployed".to_string())]);

    // fixed: pre-delete runs while the objects exist, post-delete after they are gone
    ok(&mut hooked("upgrade", &ns, &set));
    let (out, stdout, stderr) = run(&mut uninstall(&ns));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stderr.contains("pre-delete hooks: 1 ran"), "{stderr}");
    assert!(stderr.contains("post-delete hooks: 1 ran"), "{stderr}");
    assert!(
        stdout.contains(&format!("deleted      ConfigMap {ns}/app-0")),
        "{stdout}"
    );
    assert!(configs.get_opt("app-0").await.unwrap().is_none());
    let cleanup = jobs.get("cleanup").await.unwrap();
    let farewell = jobs.get("farewell").await.unwrap();
    let cleaned = cleanup.status.unwrap().completion_time.unwrap().0;
    assert!(
        cleaned <= farewell.metadata.creation_timestamp.unwrap().0,
        "post-delete was created after pre-delete completed"
    );
    assert!(
        farewell.status.unwrap().completion_time.is_some(),
        "post-delete completed"
    );
    let (out, _, _) = run(tack().args(["history", "h", "-n", &ns]));
    assert!(!out.status.success(), "the records are gone");
}

fn history_of(ns: &str) -> Vec<(u64, String)> {
    let json: serde_json::Value =
        serde_json::from_str(&ok(tack().args(["history", "h", "-n", ns, "-o", "json"]))).unwrap();
    json.as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["revision"].as_u64().unwrap(),
                s["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}
