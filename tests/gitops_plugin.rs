//! The Argo CD Config Management Plugin of examples/argocd/plugin.yaml, run the way Argo CD runs it: its
//! `generate` command and args, in the Application's source directory, with the plugin parameters as
//! `PARAM_*` and the plugin env as `ARGOCD_ENV_*`, `tack` found on PATH. Checked: the output is the right
//! objects in the right namespace, byte-for-byte the same on every run, nothing contacts a cluster, and a
//! problem is an error on stderr with a non-zero exit and nothing on stdout.

mod common;

use common::repo;
use serde::Deserialize;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The plugin's generate command line.
fn generate_command() -> Vec<String> {
    let text = std::fs::read_to_string(repo().join("examples/argocd/plugin.yaml")).unwrap();
    let plugin: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    assert_eq!(plugin["kind"], "ConfigManagementPlugin");
    let gen = &plugin["spec"]["generate"];
    let words = |v: &serde_yaml::Value| -> Vec<String> {
        v.as_sequence()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap().to_string())
            .collect()
    };
    let mut cmd = words(&gen["command"]);
    cmd.extend(words(&gen["args"]));
    cmd
}

/// A kubeconfig whose server is a listener of this test: any connection to it is seen.
struct Watched {
    listener: TcpListener,
    kubeconfig: tempfile::NamedTempFile,
}

impl Watched {
    fn new() -> Watched {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let kubeconfig = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(
            kubeconfig.path(),
            format!("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {{server: 'https://127.0.0.1:{port}'}}\ncontexts:\n- name: c\n  context: {{cluster: c, user: u, namespace: from-kubeconfig}}\ncurrent-context: c\nusers:\n- name: u\n  user: {{token: t}}\n"),
        )
        .unwrap();
        Watched {
            listener,
            kubeconfig,
        }
    }

    fn contacted(&self) -> bool {
        self.listener.accept().is_ok()
    }
}

/// Run the plugin in `dir` with `env` (and nothing else of this process's environment but a PATH that
/// finds the built `tack`): (exit code, stdout, stderr).
fn run_plugin(dir: &Path, env: &[(&str, &str)], watched: &Watched) -> (i32, String, String) {
    let cmd = generate_command();
    let bin_dir = PathBuf::from(env!("CARGO_BIN_EXE_tack"))
        .parent()
        .unwrap()
        .to_path_buf();
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(&cmd[0])
        .args(&cmd[1..])
        .current_dir(dir)
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", bin_dir.display()))
        .env("HOME", home.path())
        .env("KUBECONFIG", watched.kubeconfig.path())
        .env("ARGOCD_APP_REVISION", "0123abcd")
        .env("ARGOCD_APP_SOURCE_PATH", ".")
        .envs(env.iter().copied())
        .output()
        .expect("run the plugin's generate command");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The objects of a YAML stream.
fn objects(stream: &str) -> Vec<serde_yaml::Value> {
    serde_yaml::Deserializer::from_str(stream)
        .map(|d| serde_yaml::Value::deserialize(d).unwrap())
        .filter(|v| !v.is_null())
        .collect()
}

#[test]
fn a_stack_instance_renders_into_its_own_namespace_deterministically_and_offline() {
    let watched = Watched::new();
    let env = [
        ("ARGOCD_APP_NAME", "webapp-public"),
        ("ARGOCD_APP_NAMESPACE", "argocd-default"),
        ("PARAM_INSTANCE", "public"),
    ];
    let (code, out, err) = run_plugin(&repo(), &env, &watched);
    assert_eq!(code, 0, "{err}");
    let objs = objects(&out);
    assert!(objs.len() > 3, "{out}");
    for o in &objs {
        assert_eq!(o["metadata"]["namespace"], "webapp-public", "{o:?}");
        assert_eq!(o["metadata"]["labels"]["tack.dev/tier"], "public", "{o:?}");
    }
    assert!(objs.iter().any(|o| o["kind"] == "Ingress"));
    for _ in 0..2 {
        let (code, again, err) = run_plugin(&repo(), &env, &watched);
        assert_eq!(code, 0, "{err}");
        assert_eq!(again, out, "the same source renders the same bytes");
    }
    // the Application's plugin env works as well as a parameter
    let (code, via_env, err) = run_plugin(
        &repo(),
        &[
            ("ARGOCD_APP_NAME", "webapp-public"),
            ("ARGOCD_ENV_TACK_INSTANCE", "public"),
        ],
        &watched,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(via_env, out);
    assert!(!watched.contacted(), "rendering contacted the cluster");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

#[test]
fn a_single_chart_takes_env_and_tier_from_parameters_and_the_app_namespace() {
    let watched = Watched::new();
    let src = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("charts/webapp"), src.path());
    copy_dir(&repo().join("values"), &src.path().join("values"));
    let (code, out, err) = run_plugin(
        src.path(),
        &[
            ("ARGOCD_APP_NAME", "shop"),
            ("ARGOCD_APP_NAMESPACE", "shop-prod"),
            ("PARAM_ENV", "prod"),
            ("PARAM_TIER", "work"),
        ],
        &watched,
    );
    assert_eq!(code, 0, "{err}");
    let objs = objects(&out);
    assert!(!objs.is_empty());
    for o in &objs {
        assert_eq!(o["metadata"]["namespace"], "shop-prod", "{o:?}");
        assert_eq!(
            o["metadata"]["labels"]["app.kubernetes.io/instance"],
            "shop"
        );
        assert_eq!(o["metadata"]["labels"]["tack.dev/environment"], "prod");
        assert_eq!(o["metadata"]["labels"]["tack.dev/tier"], "work");
    }
    assert!(!watched.contacted(), "rendering contacted the cluster");
}

#[test]
fn problems_go_to_stderr_with_a_non_zero_exit_and_nothing_on_stdout() {
    let watched = Watched::new();
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[("ARGOCD_APP_NAME", "x"), ("PARAM_INSTANCE", "publik")],
            "has no instance `publik`",
        ),
        (&[("ARGOCD_APP_NAME", "x")], "no instances selected"),
        (
            &[
                ("ARGOCD_APP_NAME", "x"),
                ("PARAM_INSTANCE", "public"),
                ("PARAM_TIER", "work"),
            ],
            "PARAM_TIER set an env or tier, but PARAM_INSTANCE select stack instances",
        ),
        (
            &[
                ("ARGOCD_APP_NAME", "x"),
                ("PARAM_INSTANCE", "public"),
                ("ARGOCD_ENV_TACK_SELECTOR", "tier in (public"),
            ],
            "selector",
        ),
    ];
    for (env, wanted) in cases {
        let (code, out, err) = run_plugin(&repo(), env, &watched);
        assert_ne!(code, 0, "{env:?}: {out}");
        assert!(out.is_empty(), "{env:?}: nothing on stdout, got {out}");
        assert!(err.contains(wanted), "{env:?}: {err}");
        assert!(err.contains("error"), "{err}");
    }
    assert!(!watched.contacted());
}
