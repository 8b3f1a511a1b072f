//! `beian gate` end to end: the real binary on loopback in front of a tiny upstream, spoken to
//! over raw TCP so that malformed requests and ClientHellos can be sent as they are.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use beian_gate::sni::build_client_hello;

struct Gate {
    child: Child,
    addr: String,
    metrics: Option<String>,
}

impl Drop for Gate {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn beian() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_beian"));
    // Uploaded documents of these servers go to the temporary directory, not the crate.
    c.env(
        "BEIAN_DOCUMENTS_DIR",
        std::env::temp_dir().join("beian-test-documents"),
    );
    c.env("BEIAN_LOG", "warn");
    c
}

fn spawn_gate(args: &[&str]) -> Gate {
    let child = beian()
        .arg("gate")
        .args(args)
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut gate = Gate {
        child,
        addr: String::new(),
        metrics: None,
    };
    let mut out = BufReader::new(gate.child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    gate.addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    if args.contains(&"--metrics") {
        let mut m = String::new();
        out.read_line(&mut m).unwrap();
        gate.metrics = m
            .trim()
            .strip_prefix("metrics on http://")
            .and_then(|s| s.strip_suffix("/metrics"))
            .map(str::to_owned);
    }
    gate
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("beian-gate-e2e-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn domains_file(dir: &std::path::Path) -> String {
    let p = dir.join("domains.txt");
    std::fs::write(
        &p,
        "# filed here\nexample.cn\n例子.中国\nagency.gov.cn\nexample.zj.cn\nmoved.cn filed_elsewhere\nold.com.cn access_cancelled\nbad.cn revoked\nexample.unknowntld\n",
    )
    .unwrap();
    p.to_str().unwrap().to_owned()
}

/// An HTTP upstream answering `host=<Host header>` and closing; counts requests.
fn http_upstream() -> (String, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let tx = tx.clone();
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut b = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && s.read(&mut b).unwrap_or(0) == 1 {
                    head.push(b[0]);
                }
                let head = String::from_utf8_lossy(&head).to_string();
                let host = head
                    .lines()
                    .find_map(|l| {
                        l.strip_prefix("host: ")
                            .or_else(|| l.strip_prefix("Host: "))
                    })
                    .unwrap_or("")
                    .to_owned();
                let path = head.split(' ').nth(1).unwrap_or("").to_owned();
                let flag = if head.to_ascii_lowercase().contains("unfiled") {
                    " UNFILED"
                } else {
                    ""
                };
                let _ = tx.send(format!("{host} {path}{flag}"));
                let body = format!("host={host}");
                let _ = write!(
                    s,
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    (addr, rx)
}

struct Answer {
    status: u16,
    head: String,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }
}

/// Send raw request bytes; read the answer until the connection closes.
fn raw(addr: &str, request: &[u8]) -> Answer {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Answer {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    }
}

fn get(addr: &str, host: &str, path: &str) -> Answer {
    raw(
        addr,
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
}

#[test]
fn check_prints_one_line_per_host_and_exits_by_outcome() {
    let dir = temp_dir("check");
    let domains = domains_file(&dir);
    let out = beian()
        .args(["gate", "check", "--domains", &domains])
        .args([
            "WWW.Example.CN:8080",
            "例子.中国.",
            "a.b.agency.gov.cn",
            "gov.cn",
            "www.shop.example.zj.cn",
            "x.moved.cn",
            "old.com.cn",
            "bad.cn",
            "www.example.unknowntld",
            "unknown.tld",
            "192.0.2.1",
            "[2001:db8::1]:443",
            "bad_host.cn",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "WWW.Example.CN:8080 allow\n例子.中国. allow\na.b.agency.gov.cn allow\ngov.cn deny not_filed\n\
www.shop.example.zj.cn allow\nx.moved.cn deny filed_elsewhere\nold.com.cn deny access_cancelled\n\
bad.cn deny revoked\nwww.example.unknowntld allow\nunknown.tld deny not_filed\n192.0.2.1 deny ip_address\n\
[2001:db8::1]:443 deny ip_address\nbad_host.cn deny invalid_host\n"
    );
    let ok = beian()
        .args(["gate", "check", "--domains", &domains, "example.cn"])
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0));
    // A list of hosts from a file or standard input (an audit), decided in batches: more
    // hosts than one batch's group, in order, with comments and blank lines skipped; the
    // arguments come first.
    let mut list = String::from("# hosts we serve\n\n");
    let mut expected = String::from("x.moved.cn deny filed_elsewhere\n");
    for i in 0..40 {
        let (host, verdict) = match i % 4 {
            0 => (format!("h{i}.example.cn"), "allow"),
            1 => (format!("h{i}.unfiled.cn"), "deny not_filed"),
            2 => (format!("h{i}.bad.cn:443"), "deny revoked"),
            _ => (format!("  h{i}.例子.中国  "), "allow"),
        };
        list.push_str(&host);
        list.push('\n');
        expected.push_str(&format!("{} {verdict}\n", host.trim()));
    }
    let file = dir.join("hosts.txt");
    std::fs::write(&file, &list).unwrap();
    let out = beian()
        .args(["gate", "check", "--domains", &domains, "x.moved.cn"])
        .args(["--hosts-from", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), expected);
    let mut child = beian()
        .args(["gate", "check", "--domains", &domains, "--hosts-from", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(b"www.example.cn\nshop.example.zj.cn\n")
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "www.example.cn allow\nshop.example.zj.cn allow\n"
    );
    // A list longer than one chunk (streamed in 4,096-line batches), in order; a line that is
    // not text is refused, naming it.
    let long: String = (0..10_000)
        .map(|i| {
            if i % 2 == 0 {
                format!("h{i}.example.cn\n")
            } else {
                format!("h{i}.unfiled.cn\n")
            }
        })
        .collect();
    std::fs::write(&file, &long).unwrap();
    let out = beian()
        .args([
            "gate",
            "check",
            "--domains",
            &domains,
            "--hosts-from",
            file.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 10_000);
    assert_eq!(lines[4095], "h4095.unfiled.cn deny not_filed");
    assert_eq!(lines[4096], "h4096.example.cn allow");
    assert_eq!(
        lines.iter().filter(|l| l.ends_with(" allow")).count(),
        5_000
    );
    std::fs::write(&file, b"a.example.cn\n\xff\xfe.cn\n").unwrap();
    let out = beian()
        .args([
            "gate",
            "check",
            "--domains",
            &domains,
            "--hosts-from",
            file.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 2: not text"));
    // Neither hosts nor a list: a usage error.
    let none = beian()
        .args(["gate", "check", "--domains", &domains])
        .output()
        .unwrap();
    assert_eq!(none.status.code(), Some(2));
    // A list with a non-registrable line is refused, naming the line.
    let bad = dir.join("bad.txt");
    std::fs::write(&bad, "example.cn\nwww.example.cn\n").unwrap();
    let out = beian()
        .args(["gate", "check", "--domains", bad.to_str().unwrap(), "a.cn"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 2"));
    // A snapshot file works the same.
    let snap = dir.join("s.snap");
    std::fs::write(
        &snap,
        beian_gate::snapshot::encode(
            3,
            [("example.cn", beian_gate::DomainState::Allow)].into_iter(),
        ),
    )
    .unwrap();
    let out = beian()
        .args([
            "gate",
            "check",
            "--snapshot",
            snap.to_str().unwrap(),
            "www.example.cn",
            "b.cn",
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "www.example.cn allow\nb.cn deny not_filed\n"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn proxy_forwards_allowed_blocks_denied_and_survives_malformed_hosts() {
    let dir = temp_dir("proxy");
    let domains = domains_file(&dir);
    let acme = dir.join("acme.txt");
    std::fs::write(&acme, "pending.cn\n").unwrap();
    let (upstream, seen) = http_upstream();
    let gate = spawn_gate(&[
        "proxy",
        "--upstream",
        &upstream,
        "--domains",
        &domains,
        "--contact",
        "客服 95187 <help@provider.example>",
        "--acme-in-progress",
        acme.to_str().unwrap(),
        "--metrics",
        "127.0.0.1:0",
    ]);
    let a = get(&gate.addr, "www.Example.CN:80", "/a/b?c=d");
    assert_eq!(a.status, 200, "{}", a.head);
    assert_eq!(a.body, "host=www.Example.CN:80");
    assert_eq!(
        seen.recv_timeout(Duration::from_secs(5)).unwrap(),
        "www.Example.CN:80 /a/b?c=d"
    );
    assert_eq!(get(&gate.addr, "xn--fsqu00a.xn--fiqs8s.", "/").status, 200);
    // A client's own X-Forwarded-Host does not reach the upstream: the decided host does.
    let a = raw(
        &gate.addr,
        b"GET /xfh HTTP/1.1\r\nHost: example.cn\r\nX-Forwarded-Host: unfiled.cn\r\nForwarded: host=unfiled.cn\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(a.status, 200);
    while let Ok(seen_line) = seen.recv_timeout(Duration::from_millis(200)) {
        assert!(!seen_line.contains("UNFILED"), "{seen_line}");
    }
    // An absolute-form target (RFC 9112 §3.2.2) is decided on its authority, which the
    // upstream then receives as `Host`, with the path and query in origin form.
    let a = raw(
        &gate.addr,
        b"GET http://shop.example.cn:8080/p?q=1 HTTP/1.1\r\nHost: ignored.example.cn\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(a.status, 200, "{}", a.head);
    assert_eq!(a.body, "host=shop.example.cn:8080");
    assert_eq!(
        seen.recv_timeout(Duration::from_secs(5)).unwrap(),
        "shop.example.cn:8080 /p?q=1"
    );

    for (host, reason) in [
        ("unfiled.cn", "not_filed"),
        ("www.moved.cn", "filed_elsewhere"),
        ("old.com.cn", "access_cancelled"),
        ("bad.cn", "revoked"),
        ("com.cn", "not_filed"),
        ("127.0.0.1:8080", "ip_address"),
        ("[::1]", "ip_address"),
        ("localhost", "invalid_host"),
    ] {
        let d = get(&gate.addr, host, "/secret/path");
        assert_eq!(d.status, 403, "{host}");
        assert_eq!(d.header("x-beian-deny").as_deref(), Some(reason), "{host}");
        assert!(d.body.contains("网站暂时无法访问") && d.body.contains("Website not available"));
        assert!(d.body.contains("客服 95187 &lt;help@provider.example&gt;"));
        assert!(!d.body.contains("secret"));
    }
    // ACME challenges of a filing in progress pass; nothing else of it does.
    assert_eq!(
        get(
            &gate.addr,
            "www.pending.cn",
            "/.well-known/acme-challenge/tok3n"
        )
        .status,
        200
    );
    assert_eq!(get(&gate.addr, "www.pending.cn", "/").status, 403);
    assert_eq!(
        get(
            &gate.addr,
            "unfiled.cn",
            "/.well-known/acme-challenge/tok3n"
        )
        .status,
        403
    );

    // Malformed requests: a 4xx from the gate, never the upstream, never a crash.
    while seen.try_recv().is_ok() {}
    let malformed: Vec<Vec<u8>> = vec![
        b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n".to_vec(),
        b"GET / HTTP/1.0\r\n\r\n".to_vec(),
        b"GET / HTTP/1.1\r\nHost: example.cn\r\nHost: unfiled.cn\r\nConnection: close\r\n\r\n"
            .to_vec(),
        b"GET / HTTP/1.1\r\nHost: \xff\xfe.cn\r\nConnection: close\r\n\r\n".to_vec(),
        b"GET / HTTP/1.1\r\nHost: exa mple.cn\r\nConnection: close\r\n\r\n".to_vec(),
        b"GET / HTTP/1.1\r\nHost: example.cn:99999\r\nConnection: close\r\n\r\n".to_vec(),
        b"GET / HTTP/1.1\r\nHost: example.cn@evil.cn\r\nConnection: close\r\n\r\n".to_vec(),
        format!(
            "GET / HTTP/1.1\r\nHost: {}.cn\r\nConnection: close\r\n\r\n",
            "a".repeat(5000)
        )
        .into_bytes(),
        format!(
            "GET / HTTP/1.1\r\nHost: example.cn\r\nX-Big: {}\r\n\r\n",
            "a".repeat(40_000)
        )
        .into_bytes(),
        b"\x16\x03\x01\x00\x05hello".to_vec(),
        b"GET http://unfiled.cn/ HTTP/1.1\r\nHost: example.cn\r\nConnection: close\r\n\r\n"
            .to_vec(),
    ];
    for m in &malformed {
        let a = raw(&gate.addr, m);
        assert!(
            a.status == 0 || (400..500).contains(&a.status),
            "{:?} -> {}",
            String::from_utf8_lossy(&m[..m.len().min(60)]),
            a.head
        );
    }
    assert!(
        seen.try_recv().is_err(),
        "a malformed request reached the upstream"
    );
    assert_eq!(get(&gate.addr, "example.cn", "/").status, 200);

    // Metrics: decisions by reason, no paths.
    let m = get(gate.metrics.as_deref().unwrap(), "x", "/metrics");
    assert!(
        m.body
            .contains("beian_gate_decisions_total{decision=\"deny\",reason=\"revoked\"} 1"),
        "{}",
        m.body
    );
    assert!(
        m.body.contains(
            "beian_gate_decisions_total{decision=\"allow\",reason=\"acme_in_progress\"} 1"
        )
    );
    assert!(m.body.contains("beian_gate_domains 8"));
    assert!(!m.body.contains("secret"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn authz_answers_204_or_403_with_the_reason() {
    let dir = temp_dir("authz");
    let domains = domains_file(&dir);
    let acme = dir.join("acme.txt");
    std::fs::write(&acme, "pending.cn\n").unwrap();
    let acme = acme.to_str().unwrap().to_owned();
    let gate = spawn_gate(&["authz", "--domains", &domains, "--acme-in-progress", &acme]);
    assert_eq!(get(&gate.addr, "www.example.cn", "/auth").status, 204);
    let d = get(&gate.addr, "x.moved.cn", "/auth");
    assert_eq!(
        (d.status, d.header("x-beian-deny").as_deref()),
        (403, Some("filed_elsewhere"))
    );
    // X-Forwarded-Host is not trusted unless asked for.
    let spoof = raw(
        &gate.addr,
        b"GET /auth HTTP/1.1\r\nHost: unfiled.cn\r\nX-Forwarded-Host: example.cn\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(spoof.status, 403);
    // nginx passes the original URI in X-Original-URI (ACME exception).
    let a = raw(
        &gate.addr,
        b"GET /auth HTTP/1.1\r\nHost: pending.cn\r\nX-Original-URI: /.well-known/acme-challenge/x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(a.status, 204);
    // Envoy ext_authz appends the original path to the check request's.
    assert_eq!(
        get(&gate.addr, "pending.cn", "/.well-known/acme-challenge/x").status,
        204
    );
    assert_eq!(get(&gate.addr, "pending.cn", "/index.html").status, 403);
    drop(gate);

    let trusting = spawn_gate(&["authz", "--domains", &domains, "--trust-forwarded-host"]);
    let fwd = raw(
        &trusting.addr,
        b"GET /auth HTTP/1.1\r\nHost: gate.internal\r\nX-Forwarded-Host: www.example.cn\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(fwd.status, 204);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A TLS "upstream" that reports the first `n` bytes it receives and answers `server-bytes`.
fn tls_upstream(n: usize) -> (String, mpsc::Receiver<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = vec![0u8; n];
            if s.read_exact(&mut buf).is_ok() {
                let _ = s.write_all(b"server-bytes");
                let _ = tx.send(buf);
            }
        }
    });
    (addr, rx)
}

fn tls_exchange(addr: &str, pieces: &[&[u8]]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    for p in pieces {
        s.write_all(p).unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut out = Vec::new();
    let mut buf = [0u8; 64];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                out.extend_from_slice(&buf[..n]);
                if out.len() >= 12 {
                    break;
                }
            }
        }
    }
    out
}

#[test]
fn tls_splices_allowed_hellos_unchanged_and_alerts_denied_ones() {
    let dir = temp_dir("tls");
    let domains = domains_file(&dir);
    let config = dir.join("gate.toml");
    std::fs::write(&config, "hello_timeout_secs = 1\ncontact = \"x\"\n").unwrap();
    // A ClientHello split into 7-byte records, sent in three pieces across the record bounds.
    let hello = build_client_hello(Some(b"www.Example.CN"), 7);
    let (upstream, got) = tls_upstream(hello.len() + 5);
    let gate = spawn_gate(&[
        "tls",
        "--upstream",
        &upstream,
        "--domains",
        &domains,
        "--config",
        config.to_str().unwrap(),
    ]);
    let (a, rest) = hello.split_at(3);
    let (b, c) = rest.split_at(40);
    let answer = tls_exchange(&gate.addr, &[a, b, c, b"after"]);
    assert_eq!(answer, b"server-bytes");
    let mut expected = hello.clone();
    expected.extend_from_slice(b"after");
    assert_eq!(got.recv_timeout(Duration::from_secs(5)).unwrap(), expected);

    let unrecognized_name = [21u8, 3, 3, 0, 2, 2, 112];
    let decode_error = [21u8, 3, 3, 0, 2, 2, 50];
    for name in [
        &b"unfiled.cn"[..],
        b"bad.cn",
        b"127.0.0.1",
        b"a..cn",
        b"\xff\x00",
    ] {
        let h = build_client_hello(Some(name), 16384);
        assert_eq!(
            tls_exchange(&gate.addr, &[&h]),
            unrecognized_name,
            "{name:?}"
        );
    }
    assert_eq!(
        tls_exchange(&gate.addr, &[&build_client_hello(None, 100)]),
        unrecognized_name
    );
    for garbage in [
        &b"GET / HTTP/1.1\r\nHost: example.cn\r\n\r\n"[..],
        &[22, 3, 1, 0, 4, 2, 0, 0, 0],
        &[22, 3, 1, 0xff, 0xff],
        &[22, 3, 1, 0, 10, 1, 0x7f, 0xff, 0xff, 0, 0, 0, 0, 0, 0],
    ] {
        assert_eq!(
            tls_exchange(&gate.addr, &[garbage]),
            decode_error,
            "{garbage:?}"
        );
    }
    // A client that stops mid-hello is closed at the hello timeout (1 s from the config file).
    let start = std::time::Instant::now();
    assert_eq!(tls_exchange(&gate.addr, &[&hello[..20]]), b"");
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(
        got.try_recv().is_err(),
        "a denied connection reached the upstream"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Against the real filing server (`beian serve --gate-token`): the gate fetches its snapshot
/// and reads its change feed with the token, and is refused without it. (An approval reaching a
/// running gate end to end is the filing service's test.)
#[test]
fn feed_from_the_real_filing_server() {
    let dir = temp_dir("feed");
    let db = format!("sqlite://{}", dir.join("beian.db").display());
    let mut server = beian()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database",
            &db,
            "--gate-token",
            "s3cret-gate",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or("")
        .to_owned();
    let out = beian()
        .args([
            "gate",
            "check",
            "--feed",
            &base,
            "--token",
            "s3cret-gate",
            "example.cn",
            "1.2.3.4",
        ])
        .output()
        .unwrap();
    let wrong = beian()
        .args([
            "gate",
            "check",
            "--feed",
            &base,
            "--token",
            "wrong",
            "example.cn",
        ])
        .output()
        .unwrap();
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "example.cn deny not_filed\n1.2.3.4 deny ip_address\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("401"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A WebSocket-style upstream: answers an upgrade with 101, then echoes.
fn upgrade_upstream() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut b = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && s.read(&mut b).unwrap_or(0) == 1 {
                    head.push(b[0]);
                }
                let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
                if !head.contains("upgrade: websocket") || !head.contains("connection: upgrade") {
                    let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
                    return;
                }
                let _ = s.write_all(
                    b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n",
                );
                let mut buf = [0u8; 64];
                while let Ok(n) = s.read(&mut buf) {
                    if n == 0 || s.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}

#[test]
fn proxy_passes_websocket_upgrades_of_allowed_hosts() {
    let dir = temp_dir("ws");
    let domains = domains_file(&dir);
    let upstream = upgrade_upstream();
    let gate = spawn_gate(&["proxy", "--upstream", &upstream, "--domains", &domains]);
    let mut s = TcpStream::connect(&gate.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(
        b"GET /chat HTTP/1.1\r\nHost: www.example.cn\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
    )
    .unwrap();
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && s.read(&mut b).unwrap() == 1 {
        head.push(b[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    s.write_all(b"ping").unwrap();
    let mut echo = [0u8; 4];
    s.read_exact(&mut echo).unwrap();
    assert_eq!(&echo, b"ping");
    // A denied host does not get to upgrade.
    let d = raw(
        &gate.addr,
        b"GET /chat HTTP/1.1\r\nHost: unfiled.cn\r\nUpgrade: websocket\r\nConnection: Upgrade, close\r\n\r\n",
    );
    assert_eq!(d.status, 403);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A stand-in filing server over raw HTTP/1.1 (one request per connection): the snapshot of
/// `snapshot`, and the changes in `changes` after `after`, long-polled by checking every 10 ms.
#[allow(clippy::type_complexity)]
fn fake_feed(
    snapshot: Vec<u8>,
) -> (
    String,
    std::sync::Arc<std::sync::Mutex<Vec<(u64, String, String)>>>,
    std::sync::Arc<std::sync::atomic::AtomicBool>,
) {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let changes: Arc<Mutex<Vec<(u64, String, String)>>> = Arc::default();
    let down = Arc::new(AtomicBool::new(false));
    let (c, d) = (Arc::clone(&changes), Arc::clone(&down));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let (changes, down, snapshot) = (Arc::clone(&c), Arc::clone(&d), snapshot.clone());
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut b = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && s.read(&mut b).unwrap_or(0) == 1 {
                    head.push(b[0]);
                }
                let head = String::from_utf8_lossy(&head).to_string();
                let target = head.split(' ').nth(1).unwrap_or("").to_owned();
                if down.load(Ordering::SeqCst) || !head.contains("Bearer t0ken") {
                    let _ = s.write_all(b"HTTP/1.1 503 Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
                    return;
                }
                let body = if target.starts_with("/api/v1/gate/snapshot") {
                    snapshot
                } else {
                    let after: u64 = target
                        .split("after=")
                        .nth(1)
                        .and_then(|v| v.split('&').next())
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    let start = std::time::Instant::now();
                    loop {
                        let list = changes.lock().unwrap().clone();
                        let last = list.last().map_or(1, |c| c.0);
                        let fresh: Vec<_> = list.into_iter().filter(|c| c.0 > after).collect();
                        if !fresh.is_empty() || start.elapsed() > Duration::from_secs(2) {
                            let items: Vec<String> = fresh
                                .iter()
                                .map(|(q, d, st)| {
                                    format!(r#"{{"seq":{q},"domain":"{d}","state":"{st}"}}"#)
                                })
                                .collect();
                            break format!(
                                r#"{{"last_seq":{last},"snapshot_required":false,"changes":[{}]}}"#,
                                items.join(",")
                            )
                            .into_bytes();
                        }
                        std::thread::sleep(Duration::from_millis(10));
                    }
                };
                let _ = write!(
                    s,
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = s.write_all(&body);
            });
        }
    });
    (addr, changes, down)
}

#[test]
fn a_gate_on_the_feed_enforces_changes_and_restarts_from_its_state() {
    use std::sync::atomic::Ordering;
    let dir = temp_dir("follow");
    let state = dir.join("gate.state");
    let snapshot = beian_gate::snapshot::encode(
        1,
        [("example.cn", beian_gate::DomainState::Allow)].into_iter(),
    );
    let (feed, changes, down) = fake_feed(snapshot);
    let args = [
        "authz",
        "--feed",
        feed.as_str(),
        "--token",
        "t0ken",
        "--state",
        state.to_str().unwrap(),
    ];
    let gate = spawn_gate(&args);
    assert_eq!(get(&gate.addr, "www.example.cn", "/").status, 204);
    assert_eq!(get(&gate.addr, "new.cn", "/").status, 403);
    changes
        .lock()
        .unwrap()
        .push((2, "new.cn".into(), "allow".into()));
    changes
        .lock()
        .unwrap()
        .push((3, "example.cn".into(), "revoked".into()));
    let start = std::time::Instant::now();
    while get(&gate.addr, "new.cn", "/").status != 204 {
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "approval not enforced within 1 s"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let d = get(&gate.addr, "example.cn", "/");
    assert_eq!(d.header("x-beian-deny").as_deref(), Some("revoked"));
    // The journal is written just after a batch is enforced (enforcement does not wait for the
    // disk); wait for it before killing the gate.
    let journal = dir.join("gate.state.journal");
    let start = std::time::Instant::now();
    while !std::fs::read_to_string(&journal).is_ok_and(|j| j.contains("new.cn allow")) {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "journal not written"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    drop(gate);

    // The filing server is down; a restarted gate serves its last state from disk at once.
    down.store(true, Ordering::SeqCst);
    let gate = spawn_gate(&args);
    assert_eq!(get(&gate.addr, "new.cn", "/").status, 204);
    assert_eq!(get(&gate.addr, "example.cn", "/").status, 403);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn proxy_refuses_bodies_over_the_configured_limit() {
    let dir = temp_dir("proxy-body");
    let domains = domains_file(&dir);
    let config = dir.join("gate.toml");
    std::fs::write(&config, "max_body_bytes = 16\n").unwrap();
    let (upstream, seen) = http_upstream();
    let gate = spawn_gate(&[
        "proxy",
        "--upstream",
        &upstream,
        "--domains",
        &domains,
        "--config",
        config.to_str().unwrap(),
    ]);
    let big = raw(
        &gate.addr,
        b"POST /upload HTTP/1.1\r\nHost: example.cn\r\nContent-Length: 17\r\nConnection: close\r\n\r\n01234567890123456",
    );
    assert_eq!(big.status, 413, "{}", big.head);
    assert!(seen.recv_timeout(Duration::from_millis(500)).is_err());
    let small = raw(
        &gate.addr,
        b"POST /upload HTTP/1.1\r\nHost: example.cn\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
    );
    assert_eq!(small.status, 200, "{}", small.head);
    assert_eq!(
        seen.recv_timeout(Duration::from_secs(5)).unwrap(),
        "example.cn /upload"
    );
}

#[test]
fn proxy_refuses_a_missing_or_unusable_upstream_at_start() {
    let dir = temp_dir("upstream-arg");
    let domains = domains_file(&dir);
    let none = beian()
        .args([
            "gate",
            "proxy",
            "--listen",
            "127.0.0.1:0",
            "--domains",
            &domains,
        ])
        .output()
        .unwrap();
    assert_eq!(none.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&none.stderr).contains("--upstream HOST:PORT is required"));
    let bad = beian()
        .args([
            "gate",
            "proxy",
            "--listen",
            "127.0.0.1:0",
            "--domains",
            &domains,
        ])
        .args(["--upstream", "web server:80"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("--upstream \"web server:80\" is not HOST:PORT"),
        "{err}"
    );
}
