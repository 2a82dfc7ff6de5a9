//! Helpers for tests that run real `synod` processes.
#![allow(dead_code, unreachable_pub)] // shared by several test binaries, each using a part

use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use synod_primitives::{Hash, Keypair};
use synod_rpc::SynodApiClient;
use synod_runtime::BankCall;
use synod_runtime::{Call, Genesis, SignedTransaction, Transaction};

pub fn free_port() -> u16 {
    // Ports below the kernel's ephemeral range (32768 and up) are never handed to outgoing
    // connections, so a port found free here stays free until the test binds it; asking the
    // kernel for port 0 and releasing it raced with the connections of parallel tests.
    static NEXT: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(0);
    let base = 20_000 + (std::process::id() % 600) as u16 * 20;
    let _ = NEXT.compare_exchange(
        0,
        base,
        std::sync::atomic::Ordering::SeqCst,
        std::sync::atomic::Ordering::SeqCst,
    );
    loop {
        let p = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let p = 20_000 + (p - 20_000) % 12_000;
        if std::net::TcpListener::bind(("127.0.0.1", p)).is_ok() {
            return p;
        }
    }
}

pub fn synod() -> Command {
    Command::new(env!("CARGO_BIN_EXE_synod"))
}

/// Runs `synod ARGS` (which should include `--json`), requires success, returns its output.
pub fn synod_json(args: &[&str]) -> serde_json::Value {
    let out = synod().args(args).output().expect("run synod");
    assert!(
        out.status.success(),
        "synod {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

/// A `synod dev` process on free loopback ports.
pub struct Devnet {
    pub child: Child,
    pub rpc: String,
    pub metrics: String,
    pub data_dir: PathBuf,
    ports: (u16, u16, u16),
    extra: Vec<String>,
}

impl Devnet {
    pub fn start(data_dir: &Path) -> Self {
        Self::start_on(data_dir, (free_port(), free_port(), free_port()))
    }

    pub fn start_on(data_dir: &Path, ports: (u16, u16, u16)) -> Self {
        Self::start_with(data_dir, ports, &[])
    }

    /// A devnet with extra `synod dev` arguments (e.g. `--token-timelock 10`).
    pub fn start_with(data_dir: &Path, ports: (u16, u16, u16), extra: &[&str]) -> Self {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(data_dir.with_extension("log"))
            .expect("log file");
        let child = synod()
            .args([
                "dev",
                "--data-dir",
                data_dir.to_str().expect("utf8"),
                "--rpc-addr",
                &format!("127.0.0.1:{}", ports.0),
                "--metrics-addr",
                &format!("127.0.0.1:{}", ports.1),
                "--p2p-addr",
                &format!("127.0.0.1:{}", ports.2),
                "--block-interval-ms",
                "100",
            ])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn synod dev");
        let net = Devnet {
            child,
            rpc: format!("http://127.0.0.1:{}", ports.0),
            metrics: format!("http://127.0.0.1:{}", ports.1),
            data_dir: data_dir.to_path_buf(),
            ports,
            extra: extra.iter().map(|a| a.to_string()).collect(),
        };
        net.wait_ready();
        net
    }

    /// Restarts on the same ports and data directory.
    pub fn restart(&mut self) {
        let ports = self.ports;
        let dir = self.data_dir.clone();
        let extra = std::mem::take(&mut self.extra);
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        *self = Self::start_with(&dir, ports, &extra);
    }

    pub fn client(&self) -> HttpClient {
        HttpClientBuilder::default()
            .request_timeout(Duration::from_secs(30))
            .build(&self.rpc)
            .expect("client")
    }

    fn wait_ready(&self) {
        let rt = runtime();
        let c = self.client();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(h) = rt.block_on(c.heads())
                && h.finalized_height >= 1
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "devnet did not start; see {}.log",
                self.data_dir.display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGKILL: no chance to flush or clean up.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGINT, as Ctrl-C would send; waits for a clean exit.
    pub fn interrupt(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-INT", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            assert!(Instant::now() < deadline, "node did not stop on SIGINT");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Devnet {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

pub fn dev_genesis() -> Genesis {
    Genesis::dev(vec![Keypair::dev("validator-0").account()])
}

pub fn transfer(from: &Keypair, nonce: u64, to: &Keypair, amount: u64) -> SignedTransaction {
    let g = dev_genesis();
    Transaction {
        chain_id: g.chain_id.clone(),
        sender: from.account(),
        nonce,
        fee: 1_000_000,
        call: Call::Bank(BankCall::Transfer {
            to: to.account(),
            amount,
        }),
    }
    .sign(from, &g.hash())
}

pub fn hex_tx(t: &SignedTransaction) -> String {
    hex::encode(t.encode())
}

/// Waits until `hash` is finalized; returns its block height.
pub fn wait_finalized(rt: &tokio::runtime::Runtime, c: &HttpClient, hash: Hash) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(Some(r)) = rt.block_on(c.get_receipt(hash)) {
            return r.height;
        }
        assert!(
            Instant::now() < deadline,
            "transaction {hash} not finalized"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A minimal HTTP/1.1 request over a plain socket (so tests can send malformed bodies).
pub fn http(method: &str, url: &str, body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("http url");
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let mut s = std::net::TcpStream::connect(host).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).expect("write");
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp);
    let status = resp
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = resp.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}
