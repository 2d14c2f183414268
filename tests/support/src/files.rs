//! A static file server on loopback, as an embassy's web server would serve
//! content updates: `ETag` with `If-None-Match` → 304, `Range` → 206, and a
//! fault that cuts off the first download of a bundle part-way.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

use crate::http::{read_request, respond};

/// What the server did.
#[derive(Debug, Default)]
pub struct Served {
    /// Requests answered.
    pub requests: AtomicU64,
    /// 304 Not Modified answers.
    pub not_modified: AtomicU64,
    /// 206 Partial Content answers.
    pub partial: AtomicU64,
    /// Body bytes sent for `.kbundle` files.
    pub large_bytes: AtomicU64,
}

/// A running server.
pub struct FileServer {
    port: u16,
    /// Counters.
    pub served: Arc<Served>,
}

impl FileServer {
    /// Serves the files in `root`. With `cut_at`, the first response for a
    /// `.kbundle` file stops after that many body bytes and the connection closes.
    pub async fn start(root: PathBuf, cut_at: Option<u64>) -> FileServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind file server");
        let port = listener.local_addr().expect("addr").port();
        let served = Arc::new(Served::default());
        let s = served.clone();
        let cut_pending = Arc::new(AtomicBool::new(cut_at.is_some()));
        tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else { return };
                let (root, served, cut_pending) = (root.clone(), s.clone(), cut_pending.clone());
                tokio::spawn(async move {
                    let Some(req) = read_request(&mut stream).await else { return };
                    served.requests.fetch_add(1, Ordering::Relaxed);
                    let path = req.line().split_whitespace().nth(1).unwrap_or("/").trim_start_matches('/').to_string();
                    let Ok(bytes) = std::fs::read(root.join(&path)) else {
                        return respond(&mut stream, 404, &[], "{}").await;
                    };
                    let digest = <sha2::Sha256 as sha2::Digest>::digest(&bytes);
                    let etag =
                        format!("\"{}\"", digest.iter().take(12).map(|b| format!("{b:02x}")).collect::<String>());
                    if req.header("if-none-match") == Some(etag.as_str()) {
                        served.not_modified.fetch_add(1, Ordering::Relaxed);
                        let head = format!("HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nConnection: close\r\n\r\n");
                        let _ = stream.write_all(head.as_bytes()).await;
                        return;
                    }
                    let start: usize = req
                        .header("range")
                        .and_then(|r| r.strip_prefix("bytes="))
                        .and_then(|r| r.trim_end_matches('-').parse().ok())
                        .filter(|&s: &usize| s < bytes.len())
                        .unwrap_or(0);
                    let body = &bytes[start..];
                    let status = if start > 0 { "206 Partial Content" } else { "200 OK" };
                    if start > 0 {
                        served.partial.fetch_add(1, Ordering::Relaxed);
                    }
                    let mut head = format!(
                        "HTTP/1.1 {status}\r\nETag: {etag}\r\nContent-Length: {}\r\nAccept-Ranges: bytes\r\nConnection: close\r\n",
                        body.len()
                    );
                    if start > 0 {
                        head += &format!("Content-Range: bytes {start}-{}/{}\r\n", bytes.len() - 1, bytes.len());
                    }
                    head += "\r\n";
                    let _ = stream.write_all(head.as_bytes()).await;
                    let large = path.ends_with(".kbundle");
                    let limit = match cut_at {
                        Some(n) if large && cut_pending.swap(false, Ordering::Relaxed) => (n as usize).min(body.len()),
                        _ => body.len(),
                    };
                    if large {
                        served.large_bytes.fetch_add(limit as u64, Ordering::Relaxed);
                    }
                    let _ = stream.write_all(&body[..limit]).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        FileServer { port, served }
    }

    /// The URL of a file in the served folder.
    pub fn url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/{name}", self.port)
    }
}
