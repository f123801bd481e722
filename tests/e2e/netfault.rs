//! A real fault-injecting proxy (toxiproxy, built by `tests/netfault/netfault.sh`) between tack and the test
//! API server: each test starts its own proxy server on loopback, routes one kubeconfig through it, and cuts
//! connections or adds latency while tack runs. Without the proxy binary the tests fail, never skip.

use crate::harness::*;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The toxiproxy-server binary: `$TACK_TOXIPROXY` (set by tests/run-all.sh), else built or found by the script.
fn binary() -> PathBuf {
    if let Some(p) = std::env::var_os("TACK_TOXIPROXY") {
        return PathBuf::from(p);
    }
    let out = Command::new("bash")
        .arg(repo().join("tests/netfault/netfault.sh"))
        .arg("path")
        .output()
        .expect("failed to run tests/netfault/netfault.sh");
    assert!(
        out.status.success(),
        "the fault-injecting proxy could not be built (tests/netfault/netfault.sh path):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One toxiproxy server on loopback with one proxy in front of the API server; stopped when dropped.
pub struct Faults {
    server: Child,
    api: String,
    /// A kubeconfig like the test one, but talking to the API server through the proxy.
    pub kubeconfig: PathBuf,
    _dir: tempfile::TempDir,
}

impl Faults {
    pub fn start() -> Faults {
        let bin = binary();
        assert!(bin.is_file(), "no toxiproxy-server at {}", bin.display());
        let port = free_port();
        let server = Command::new(&bin)
            .args(["-host", "127.0.0.1", "-port", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("failed to start toxiproxy-server");
        let api = format!("127.0.0.1:{port}");
        let start = Instant::now();
        while TcpStream::connect(&api).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "toxiproxy-server did not listen on {api}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let text = std::fs::read_to_string(kubeconfig()).unwrap();
        let server_line = text
            .lines()
            .find(|l| l.trim_start().starts_with("server: https://127.0.0.1:"))
            .expect("the test kubeconfig names its server on loopback");
        let upstream = server_line.trim().trim_start_matches("server: https://");
        let listen = format!("127.0.0.1:{}", free_port());
        let mut f = Faults {
            server,
            api,
            kubeconfig: PathBuf::new(),
            _dir: tempfile::tempdir().unwrap(),
        };
        f.call(
            "POST",
            "/proxies",
            &serde_json::json!({"name": "apiserver", "listen": listen, "upstream": upstream}),
        );
        let proxied = text.replace(server_line, &format!("    server: https://{listen}"));
        f.kubeconfig = f._dir.path().join("kubeconfig");
        std::fs::write(&f.kubeconfig, proxied).unwrap();
        f
    }

    /// A request to the proxy's HTTP API; panics unless it answers 2xx.
    fn call(&self, method: &str, path: &str, body: &serde_json::Value) -> String {
        let body = body.to_string();
        let mut s = TcpStream::connect(&self.api).unwrap();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.api,
            body.len()
        )
        .unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        let status = resp.split_whitespace().nth(1).unwrap_or("");
        assert!(status.starts_with('2'), "toxiproxy {method} {path}: {resp}");
        resp
    }

    /// Cut every connection and refuse new ones.
    pub fn cut(&self) {
        self.call(
            "POST",
            "/proxies/apiserver",
            &serde_json::json!({"enabled": false}),
        );
    }

    /// Let connections through again, without toxics.
    pub fn heal(&self) {
        self.call(
            "POST",
            "/proxies/apiserver",
            &serde_json::json!({"enabled": true}),
        );
        let _ = self.try_call("DELETE", "/proxies/apiserver/toxics/slow");
    }

    /// Delay every answer of the API server by `ms` milliseconds.
    pub fn slow(&self, ms: u64) {
        self.call(
            "POST",
            "/proxies/apiserver/toxics",
            &serde_json::json!({"name": "slow", "type": "latency", "stream": "downstream",
                                "attributes": {"latency": ms, "jitter": 0}}),
        );
    }

    fn try_call(&self, method: &str, path: &str) -> Option<String> {
        let mut s = TcpStream::connect(&self.api).ok()?;
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.api
        )
        .ok()?;
        let mut resp = String::new();
        s.read_to_string(&mut resp).ok()?;
        Some(resp)
    }
}

impl Drop for Faults {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

/// `webapp(cmd, ns, extra)` through the proxy.
pub fn webapp_via(f: &Faults, cmd: &str, ns: &str, extra: &[&str]) -> Command {
    let mut c = webapp(cmd, ns, extra);
    c.env("KUBECONFIG", &f.kubeconfig);
    c
}
