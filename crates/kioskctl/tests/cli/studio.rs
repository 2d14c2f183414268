//! `kioskctl studio` as a process: it keeps serving when nobody reads what
//! it prints (a launcher that closed its output, a terminal gone).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

#[test]
fn the_studio_keeps_serving_when_its_output_is_closed() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader); // every line it prints now fails with a broken pipe
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kioskctl"))
        .args(["studio", super::content().to_str().unwrap(), "--port", &port.to_string(), "--no-open"])
        .stdout(writer)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let answer = loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the studio stopped ({status}) when its output was closed");
        }
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            let mut text = String::new();
            let asked = write!(s, "GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
            if asked.is_ok() && s.read_to_string(&mut text).is_ok() && !text.is_empty() {
                break text;
            }
        }
        assert!(Instant::now() < deadline, "the studio never listened");
        std::thread::sleep(Duration::from_millis(100));
    };
    // Without the printed link there is no way in, but the studio is there to say so.
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    std::thread::sleep(Duration::from_millis(300));
    assert!(child.try_wait().unwrap().is_none(), "the studio is still running");
    child.kill().unwrap();
    child.wait().unwrap();
}
