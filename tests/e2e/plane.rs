//! A control plane of one test's own: `tests/testenv/testenv.sh up` with a state dir (and so ports) no other
//! test uses, stopped and removed when dropped. For faults that would break every other test running against
//! the shared control plane at the same time, such as restarting its API server.

use crate::harness::*;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

pub struct Plane {
    dir: PathBuf,
    /// Its kubeconfig.
    pub kubeconfig: PathBuf,
}

fn testenv(dir: &PathBuf, args: &[&str]) -> (bool, String) {
    let out = Command::new("bash")
        .arg(repo().join("tests/testenv/testenv.sh"))
        .args(args)
        .env("TACK_TESTENV_DIR", dir)
        .output()
        .expect("failed to run tests/testenv/testenv.sh");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

impl Plane {
    /// Start a control plane named after `name` (and this process); fails the test when it does not come up.
    pub fn start(name: &str) -> Plane {
        let dir = std::env::temp_dir().join(format!("tack-e2e-{name}-{}", std::process::id()));
        let (up, log) = testenv(&dir, &["up"]);
        let plane = Plane {
            kubeconfig: dir.join("kubeconfig"),
            dir,
        };
        assert!(
            up,
            "a control plane of the test's own did not start:\n{log}"
        );
        plane
    }

    /// A handle that restarts this plane's API server from another thread (it does not stop the plane).
    pub fn clone_handle(&self) -> Restarter {
        Restarter {
            dir: self.dir.clone(),
        }
    }

    /// A `tack` command against this control plane.
    pub fn tack(&self) -> Command {
        let mut c = tack();
        c.env("KUBECONFIG", &self.kubeconfig);
        c
    }

    /// Stop kube-apiserver (SIGKILL: etcd keeps its data), keep it down `down` long, start it again and wait
    /// for /readyz. Returns how long it was unavailable in all.
    pub fn restart_apiserver(&self, down: Duration) -> Duration {
        self.clone_handle().restart_apiserver(down)
    }
}

/// Restarts the API server of a [`Plane`].
pub struct Restarter {
    dir: PathBuf,
}

impl Restarter {
    /// See [`Plane::restart_apiserver`].
    pub fn restart_apiserver(&self, down: Duration) -> Duration {
        let start = Instant::now();
        let secs = format!("{:.1}", down.as_secs_f64());
        let (ok, log) = testenv(&self.dir, &["restart-apiserver", "--kill", &secs]);
        assert!(ok, "restart-apiserver failed:\n{log}");
        start.elapsed()
    }
}

impl Drop for Plane {
    fn drop(&mut self) {
        let (ok, log) = testenv(&self.dir, &["down"]);
        if !ok {
            eprintln!("warning: stopping the test's own control plane failed:\n{log}");
        }
    }
}
