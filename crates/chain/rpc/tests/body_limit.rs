//! The request body limit is the largest legitimate request, a full `synod_submitTransactions`
//! batch, and nothing more.

use std::time::Duration;
use synod_primitives::Keypair;
use synod_rpc::server::MAX_SUBMIT_BATCH;
use synod_rpc::{MAX_REQUEST_BODY_BYTES, MAX_SUBMIT_BATCH_BYTES, RpcContext, RpcLimits, start_rpc};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `MAX_SUBMIT_BATCH` hex strings carrying `MAX_SUBMIT_BATCH_BYTES` bytes in all, as a client
/// would send them (with `0x`, a numeric id, no whitespace).
fn largest_batch_body() -> String {
    let per = MAX_SUBMIT_BATCH_BYTES / MAX_SUBMIT_BATCH;
    let extra = MAX_SUBMIT_BATCH_BYTES % MAX_SUBMIT_BATCH;
    let txs: Vec<String> = (0..MAX_SUBMIT_BATCH)
        .map(|i| format!("\"0x{}\"", "ab".repeat(per + usize::from(i < extra))))
        .collect();
    format!(
        r#"{{"jsonrpc":"2.0","id":18446744073709551615,"method":"synod_submitTransactions","params":[[{}]]}}"#,
        txs.join(",")
    )
}

async fn post(addr: std::net::SocketAddr, body: &str) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.expect("head");
    // The server may answer (413) before reading all of a too-large body.
    let _ = s.write_all(body.as_bytes()).await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(60), s.read_to_end(&mut out)).await;
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_largest_batch_fits_and_a_larger_body_is_refused() {
    let genesis = synod_runtime::Genesis::dev(vec![Keypair::dev("validator-0").account()]);
    let ctx = RpcContext::in_memory(genesis).expect("api");
    let (addr, _handle) = start_rpc(
        "127.0.0.1:0".parse().expect("addr"),
        ctx,
        &RpcLimits::default(),
    )
    .await
    .expect("server");

    // Far below the 64 MiB this limit used to be.
    const { assert!(MAX_REQUEST_BODY_BYTES < 17 << 20) };

    let body = largest_batch_body();
    assert!(body.len() <= MAX_REQUEST_BODY_BYTES, "{} bytes", body.len());
    let (status, text) = post(addr, &body).await;
    assert_eq!(status, 200, "{}", &text[..text.len().min(500)]);
    // Every transaction got its own verdict (garbage bytes: malformed), none was cut off.
    assert_eq!(
        text.matches("\"rejected\"").count(),
        MAX_SUBMIT_BATCH,
        "{}",
        &text[..500]
    );

    // The same call padded to one byte over the limit is refused, with the limit named.
    let pad = MAX_REQUEST_BODY_BYTES + 1 - body.len();
    let over = format!("{}{}}}", &body[..body.len() - 1], " ".repeat(pad));
    assert_eq!(over.len(), MAX_REQUEST_BODY_BYTES + 1);
    let (status, text) = post(addr, &over).await;
    assert_eq!(status, 413, "{text}");
    assert!(
        text.contains("too big") && text.contains(&MAX_REQUEST_BODY_BYTES.to_string()),
        "{text}"
    );

    // A batch of fewer, bigger transactions over one block of bytes fits the body limit but is
    // refused by the batch byte cap, with a clear error.
    let tx = format!("\"{}\"", "cd".repeat(MAX_SUBMIT_BATCH_BYTES / 8 + 1));
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"synod_submitTransactions","params":[[{}]]}}"#,
        vec![tx; 8].join(",")
    );
    assert!(body.len() <= MAX_REQUEST_BODY_BYTES);
    let (status, text) = post(addr, &body).await;
    assert_eq!(status, 200, "{text}");
    assert!(
        text.contains("transaction bytes in one call, over the limit"),
        "{text}"
    );
}
