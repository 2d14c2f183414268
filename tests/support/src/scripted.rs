//! A server that answers every request the same way and remembers each one:
//! the central list's URL answering a redirect, or a proxy's login page
//! answering 200 to anything — the ends of the wire the kiosk must not trust.

use std::sync::{Arc, Mutex};

use tokio::net::TcpListener;

use crate::http::{read_request, respond_as};

/// The one answer a [`ScriptedServer`] gives.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: String,
    /// Other headers (e.g. `Location`).
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: String,
}

impl Reply {
    /// A redirect to `location`, with the small HTML page servers send along.
    pub fn redirect(status: u16, location: &str) -> Reply {
        Reply {
            status,
            content_type: "text/html; charset=utf-8".into(),
            headers: vec![("Location".into(), location.into())],
            body: format!("<html><body><a href=\"{location}\">moved</a></body></html>"),
        }
    }

    /// A login page, answered with `status` (a captive portal or an SSO proxy).
    pub fn login_page(status: u16) -> Reply {
        Reply {
            status,
            content_type: "text/html; charset=utf-8".into(),
            headers: vec![],
            body: "<html><body><form action=\"/login\">Sign in</form></body></html>".into(),
        }
    }

    /// A JSON answer.
    pub fn json(status: u16, body: &str) -> Reply {
        Reply { status, content_type: "application/json".into(), headers: vec![], body: body.into() }
    }
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The request line, e.g. `POST /hook HTTP/1.1`.
    pub line: String,
    /// Request line and headers.
    pub head: String,
    /// The body.
    pub body: Vec<u8>,
}

impl Seen {
    /// The method (`POST`, `GET`, …).
    pub fn method(&self) -> &str {
        self.line.split_whitespace().next().unwrap_or_default()
    }
}

/// A running server; it stops with the test's runtime.
pub struct ScriptedServer {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl ScriptedServer {
    /// Listens on a free loopback port and answers every request with `reply`.
    pub async fn start(reply: Reply) -> ScriptedServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind scripted server");
        let port = listener.local_addr().expect("addr").port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else { return };
                let (seen, reply) = (s.clone(), reply.clone());
                tokio::spawn(async move {
                    let Some(req) = read_request(&mut stream).await else { return };
                    seen.lock().expect("lock").push(Seen {
                        line: req.line().to_string(),
                        head: req.head.clone(),
                        body: req.body.clone(),
                    });
                    let headers: Vec<(&str, &str)> =
                        reply.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
                    respond_as(&mut stream, reply.status, &reply.content_type, &headers, &reply.body).await;
                });
            }
        });
        ScriptedServer { port, seen }
    }

    /// A URL on this server.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }
}

/// A web server in front of a real upstream (nginx before Mailman, say) on
/// which the central list has moved: requests under `moved_prefix` are
/// answered with a redirect to the same path without the prefix, on the same
/// origin — so a client that follows it keeps its credentials — and every
/// other request is passed to the upstream and remembered.
pub struct RedirectingFront {
    port: u16,
    forwarded: Arc<Mutex<Vec<Seen>>>,
}

impl RedirectingFront {
    /// Listens on a free loopback port, in front of `127.0.0.1:upstream_port`.
    pub async fn start(upstream_port: u16, moved_prefix: &str, status: u16) -> RedirectingFront {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind front");
        let port = listener.local_addr().expect("addr").port();
        let forwarded = Arc::new(Mutex::new(Vec::new()));
        let (f, prefix) = (forwarded.clone(), moved_prefix.to_string());
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else { return };
                let (forwarded, prefix) = (f.clone(), prefix.clone());
                tokio::spawn(async move {
                    let Some(req) = read_request(&mut client).await else { return };
                    let path = req.line().split_whitespace().nth(1).unwrap_or("/").to_string();
                    if let Some(rest) = path.strip_prefix(&prefix) {
                        let reply = Reply::redirect(status, &format!("/{}", rest.trim_start_matches('/')));
                        let headers: Vec<(&str, &str)> =
                            reply.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
                        return respond_as(&mut client, status, &reply.content_type, &headers, &reply.body).await;
                    }
                    forwarded.lock().expect("lock").push(Seen {
                        line: req.line().to_string(),
                        head: req.head.clone(),
                        body: req.body.clone(),
                    });
                    let Ok(mut upstream) = tokio::net::TcpStream::connect(("127.0.0.1", upstream_port)).await else {
                        return;
                    };
                    let mut answer = Vec::new();
                    if upstream.write_all(&req.to_upstream()).await.is_err()
                        || upstream.read_to_end(&mut answer).await.is_err()
                    {
                        return;
                    }
                    let _ = client.write_all(&answer).await;
                    let _ = client.shutdown().await;
                });
            }
        });
        RedirectingFront { port, forwarded }
    }

    /// A URL on the front.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The requests passed to the upstream so far.
    pub fn forwarded(&self) -> Vec<Seen> {
        self.forwarded.lock().expect("lock").clone()
    }
}
