//! The console's pages against a running `beian demo`: render latency per page, the bytes of each
//! page with the assets it loads, and whether any page asks a browser to load anything from
//! another host.
//!
//! ```sh
//! beian demo --listen 127.0.0.1:8091 --database sqlite:///tmp/pages/demo.db --documents-dir /tmp/pages/docs &
//! cargo run --release -p beian --example page_load -- http://127.0.0.1:8091 300 1
//! ```
//!
//! Arguments: the base URL, requests per page, concurrent clients, and optionally the pages to
//! time instead of the console's tour (`login:password:/path,…`). Each page is requested as a
//! browser does (`Accept: text/html`, the session and language cookies of a console login), in
//! Chinese and English alternately; the latency is the whole request seen by the client on the
//! same machine (render, the session lookup and the store reads included). Sizes count the HTML
//! and every stylesheet and script it references, uncompressed and as sent to a browser that
//! accepts gzip.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// Who looks at what: (login or "" for anonymous, password, page).
const PAGES: &[(&str, &str, &str)] = &[
    ("", "", "/"),
    ("", "", "/login"),
    ("", "", "/register"),
    ("", "", "/check"),
    (
        "",
        "",
        "/check?domains=example-new.cn&nature=individual&credential_type=resident_id&credential_number=110105199001011234&province=33",
    ),
    ("", "", "/query"),
    ("", "", "/query?q=unfiled-example.cn"),
    ("", "", "/blocked?host=unfiled-example.cn"),
    ("yunfan", "demo-applicant-pass", "/orders"),
    ("yunfan", "demo-applicant-pass", "/orders/1"),
    ("yunfan", "demo-applicant-pass", "/orders/new"),
    ("yunfan", "demo-applicant-pass", "/filed"),
    ("yunfan", "demo-applicant-pass", "/products"),
    ("liming", "demo-applicant-pass", "/orders/2"),
    ("liming", "demo-applicant-pass", "/orders/2/edit"),
    ("wangfang", "demo-applicant-pass", "/orders/3"),
];

/// The console login's cookies, as a browser would send them back.
async fn login(client: &reqwest::Client, base: &str, login: &str, password: &str) -> String {
    let r = client
        .post(format!("{base}/login"))
        .form(&[("login", login), ("password", password)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "console login as {login}");
    r.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("; ")
}

/// What a page asks the browser to load: stylesheets, scripts, images, frames (not links).
fn resources(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for tag in html.split('<').skip(1) {
        let name = tag.split([' ', '>', '\n']).next().unwrap_or("");
        let attr = match name {
            "script" | "img" | "iframe" | "source" | "audio" | "video" => "src=\"",
            "link" if tag.contains("rel=\"stylesheet\"") || tag.contains("rel=\"icon\"") => {
                "href=\""
            }
            _ => continue,
        };
        if let Some(i) = tag.find(attr) {
            let rest = &tag[i + attr.len()..];
            out.push(rest[..rest.find('"').unwrap_or(rest.len())].to_owned());
        }
    }
    out
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let base = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "http://127.0.0.1:8091".into());
    let requests: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(300);
    let clients: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1);
    // Optionally, the pages to time instead of the tour: `login:password:/path,…`.
    let chosen: Vec<(String, String, String)> = args
        .get(4)
        .map(|list| {
            list.split(',')
                .filter_map(|p| {
                    let mut it = p.splitn(3, ':');
                    Some((
                        it.next()?.to_owned(),
                        it.next()?.to_owned(),
                        it.next()?.to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let pages: Vec<(&str, &str, &str)> = if chosen.is_empty() {
        PAGES.to_vec()
    } else {
        chosen
            .iter()
            .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
            .collect()
    };
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    println!(
        "| page | as | p50 ms | p99 ms | max ms | HTML KB | with assets KB | sent (gzip) KB | other hosts |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let mut worst_p99 = Duration::ZERO;
    let mut largest = 0usize;
    let mut largest_sent = 0usize;
    let mut foreign_total = 0usize;
    for (who, password, path) in pages {
        let cookie = if who.is_empty() {
            String::new()
        } else {
            login(&client, &base, who, password).await
        };
        // The page once, for its size and what it loads.
        let html = client
            .get(format!("{base}{path}"))
            .header("accept", "text/html")
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(html.status(), 200, "{path} as {who}");
        let html = html.text().await.unwrap();
        // What a browser transfers (it asks for gzip) and the uncompressed size.
        let wire = |path: String| {
            let (client, cookie) = (client.clone(), cookie.clone());
            async move {
                let r = client
                    .get(path)
                    .header("accept", "text/html")
                    .header("accept-encoding", "gzip")
                    .header("cookie", cookie)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
                // reqwest is built without decompression here: these are the bytes sent.
                r.bytes().await.unwrap().len()
            }
        };
        let mut bytes = html.len();
        let mut gzip = wire(format!("{base}{path}")).await;
        let mut foreign = BTreeSet::new();
        for r in resources(&html) {
            if r.starts_with("http:") || r.starts_with("https:") || r.starts_with("//") {
                foreign.insert(r);
                continue;
            }
            let asset = client.get(format!("{base}{r}")).send().await.unwrap();
            assert_eq!(asset.status(), 200, "{r}");
            bytes += asset.bytes().await.unwrap().len();
            gzip += wire(format!("{base}{r}")).await;
        }
        // The timed requests, alternating the two languages.
        let per_client = requests.div_ceil(clients);
        let mut tasks = Vec::new();
        for c in 0..clients {
            let (client, url, cookie) = (client.clone(), format!("{base}{path}"), cookie.clone());
            tasks.push(tokio::spawn(async move {
                let mut times = Vec::with_capacity(per_client);
                for i in 0..per_client {
                    let lang = if (i + c) % 2 == 0 { "zh-CN" } else { "en" };
                    let cookie = if cookie.is_empty() {
                        format!("beian_lang={lang}")
                    } else {
                        format!("{cookie}; beian_lang={lang}")
                    };
                    let t = Instant::now();
                    let r = client
                        .get(&url)
                        .header("accept", "text/html")
                        .header("cookie", cookie)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), 200, "{url}");
                    r.bytes().await.unwrap();
                    times.push(t.elapsed());
                }
                times
            }));
        }
        let mut times = Vec::new();
        for t in tasks {
            times.extend(t.await.unwrap());
        }
        times.sort();
        let p99 = percentile(&times, 0.99);
        worst_p99 = worst_p99.max(p99);
        largest = largest.max(bytes);
        largest_sent = largest_sent.max(gzip);
        foreign_total += foreign.len();
        println!(
            "| `{path}` | {} | {} | {} | {} | {:.1} | {:.1} | {:.1} | {} |",
            if who.is_empty() { "anonymous" } else { who },
            ms(percentile(&times, 0.5)),
            ms(p99),
            ms(*times.last().unwrap()),
            html.len() as f64 / 1024.0,
            bytes as f64 / 1024.0,
            gzip as f64 / 1024.0,
            if foreign.is_empty() {
                "none".to_owned()
            } else {
                foreign.into_iter().collect::<Vec<_>>().join(" ")
            }
        );
    }
    println!();
    println!(
        "worst p99 {} ms; largest page with assets {:.1} KB ({:.1} KB sent gzip-compressed); resources from other hosts: {}",
        ms(worst_p99),
        largest as f64 / 1024.0,
        largest_sent as f64 / 1024.0,
        foreign_total
    );
}
