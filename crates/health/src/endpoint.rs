//! `GET /metrics` on a local port, for a Prometheus that scrapes each kiosk
//! itself rather than through node_exporter's textfile.
//!
//! One path, one method, a page of text: a few dozen lines over a std
//! `TcpListener` on a thread of its own, rather than an HTTP server crate and
//! an async runtime in the kiosk's health path. The port is loopback unless
//! the admin opens it to the LAN, so it is written for whatever connects:
//! - one connection at a time: a scrape every few seconds needs no more, and
//!   nothing a client does makes the kiosk spawn anything;
//! - a request head of at most [`MAX_HEAD`] bytes, read within [`DEADLINE`]
//!   in all (a client trickling a byte at a time is cut off at the deadline,
//!   not at each read), the answer written within the same time;
//! - only `GET /metrics` (any query string) answers 200; another path is 404,
//!   another method 405, a head that is too long 431, one that is not HTTP 400;
//!   every answer closes the connection.
//!
//! Nothing a client sends reaches the kiosk: the page comes from the last
//! heartbeat ([`crate::prom::Exporter::page`]).

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The longest request head read.
pub const MAX_HEAD: usize = 8 * 1024;

/// How long a client has to send its request, and the answer to be written.
pub const DEADLINE: Duration = Duration::from_secs(5);

/// Serves `page` on `listener` on a thread named `metrics`, for ever.
pub fn spawn(listener: TcpListener, page: impl Fn() -> String + Send + 'static) -> io::Result<JoinHandle<()>> {
    std::thread::Builder::new().name("metrics".into()).spawn(move || serve(listener, DEADLINE, page))
}

/// Answers one connection after another; each gets `deadline`.
pub fn serve(listener: TcpListener, deadline: Duration, page: impl Fn() -> String) {
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                let _ = answer(stream, deadline, &page); // a client that went away needs no answer
            }
            // Out of file descriptors and the like: wait rather than spin.
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

fn answer(mut stream: TcpStream, deadline: Duration, page: &dyn Fn() -> String) -> io::Result<()> {
    let until = Instant::now() + deadline;
    stream.set_write_timeout(Some(deadline))?;
    let (status, body) = match read_head(&mut stream, until)? {
        Some(head) => route(&head, page),
        None => ("431 Request Header Fields Too Large", String::new()),
    };
    let allow = if status.starts_with("405") { "Allow: GET\r\n" } else { "" };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: {}\r\n{allow}Connection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes())?;
    stream.flush()?;
    stream.shutdown(std::net::Shutdown::Write)
}

/// The request head (up to the blank line), `None` when it passes [`MAX_HEAD`].
fn read_head(stream: &mut TcpStream, until: Instant) -> io::Result<Option<Vec<u8>>> {
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        stream.set_read_timeout(Some(left))?;
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        head.extend_from_slice(&buf[..n]);
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            head.truncate(end);
            return Ok(Some(head));
        }
        if head.len() > MAX_HEAD {
            return Ok(None);
        }
    }
}

fn route(head: &[u8], page: &dyn Fn() -> String) -> (&'static str, String) {
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let Ok(line) = std::str::from_utf8(line) else { return ("400 Bad Request", String::new()) };
    let mut words = line.trim_end_matches('\r').split(' ');
    let (Some(method), Some(target), Some(version), None) = (words.next(), words.next(), words.next(), words.next())
    else {
        return ("400 Bad Request", String::new());
    };
    if !version.starts_with("HTTP/1.") {
        return ("400 Bad Request", String::new());
    }
    let path = target.split_once('?').map_or(target, |(p, _)| p);
    match (path, method) {
        ("/metrics", "GET") => ("200 OK", page()),
        ("/metrics", _) => ("405 Method Not Allowed", "only GET\n".into()),
        _ => ("404 Not Found", "the metrics are at /metrics\n".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server on a free loopback port with a short deadline; its address.
    fn start(deadline: Duration) -> std::net::SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || serve(listener, deadline, || "embassy_kiosk_up 1\n".to_string()));
        addr
    }

    fn exchange(addr: std::net::SocketAddr, request: &[u8]) -> String {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let _ = s.write_all(request);
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out
    }

    #[test]
    fn only_get_metrics_is_answered_with_the_page() {
        let addr = start(Duration::from_secs(5));
        let cases: [(&[u8], &str); 7] = [
            (b"GET /metrics HTTP/1.1\r\nHost: k\r\n\r\n", "HTTP/1.1 200 OK"),
            (b"GET /metrics?x=1 HTTP/1.0\r\n\r\n", "HTTP/1.1 200 OK"),
            (b"GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 404"),
            (b"GET /metrics/../etc/passwd HTTP/1.1\r\n\r\n", "HTTP/1.1 404"),
            (b"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 405"),
            (b"GET /metrics\r\n\r\n", "HTTP/1.1 400"),
            (b"\xff\xfe /metrics HTTP/1.1\r\n\r\n", "HTTP/1.1 400"),
        ];
        for (request, status) in cases {
            let answer = exchange(addr, request);
            assert!(answer.starts_with(status), "{:?} → {answer:?}", String::from_utf8_lossy(request));
            assert_eq!(
                answer.contains("embassy_kiosk_up 1"),
                status.ends_with("200 OK"),
                "the page goes out only to GET /metrics: {answer:?}"
            );
        }
        let ok = exchange(addr, b"GET /metrics HTTP/1.1\r\n\r\n");
        assert!(ok.contains("Content-Type: text/plain; version=0.0.4"), "{ok}");
        assert!(ok.ends_with("\r\n\r\nembassy_kiosk_up 1\n"), "{ok}");
        assert!(exchange(addr, b"PUT /metrics HTTP/1.1\r\n\r\n").contains("Allow: GET"));
    }

    #[test]
    fn an_endless_head_is_refused_and_a_trickling_client_cut_off_at_the_deadline() {
        let addr = start(Duration::from_millis(500));
        let mut long = b"GET /metrics HTTP/1.1\r\nX: ".to_vec();
        long.extend(std::iter::repeat_n(b'a', MAX_HEAD + 10));
        assert!(exchange(addr, &long).starts_with("HTTP/1.1 431"), "a head past MAX_HEAD is refused");

        // One byte every 200 ms: each read is quick, the whole head never comes.
        let mut slow = TcpStream::connect(addr).unwrap();
        let started = Instant::now();
        let mut cut = false;
        for _ in 0..50 {
            if slow.write_all(b"G").is_err() {
                cut = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        assert!(cut, "a client that never finishes its head must be cut off");
        assert!(started.elapsed() < Duration::from_secs(3), "cut at the 0.5 s deadline: {:?}", started.elapsed());
        assert!(exchange(addr, b"GET /metrics HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 200"), "and the next is served");
    }
}
