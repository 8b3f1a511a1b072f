//! A real browser for the console's tests: Debian's Chromium driven over WebDriver
//! (chromedriver) with fantoccini, and the checks every page gets — screenshots at phone and
//! desktop width, axe-core (vendored, `axe.min.js`), and text left untranslated.
//!
//! Without `/usr/bin/chromedriver` a test skips (prints why and returns), unless `CI` is set:
//! then it fails (`.ci/run` installs `chromium chromium-driver fonts-wqy-microhei`).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// axe-core 4.14.1 (npm `axe-core`, MPL-2.0): see `SOURCES.md`.
const AXE: &str = include_str!("axe.min.js");

/// Phone and desktop widths (CSS pixels) and the heights the first screen is judged at.
pub const PHONE: (&str, u32, u32) = ("phone", 390, 844);
pub const DESKTOP: (&str, u32, u32) = ("desktop", 1280, 900);

/// Where the screenshots go: `$CARGO_TARGET_TMPDIR/screenshots/`.
pub fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Is there a browser to test with? `false` (with the reason printed) skips the test; under
/// `CI` a missing browser is a failure.
pub fn available(test: &str) -> bool {
    let missing: Vec<&str> = [CHROMEDRIVER, CHROMIUM]
        .into_iter()
        .filter(|p| !Path::new(p).exists())
        .collect();
    if missing.is_empty() {
        return true;
    }
    let why = format!(
        "{test}: {} missing (apt-get install chromium chromium-driver fonts-wqy-microhei)",
        missing.join(" and ")
    );
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "0" && v != "false") {
        panic!("{why}; CI is set, so the browser tests must run");
    }
    eprintln!("SKIPPED {why}");
    false
}

/// A chromedriver on a free port, killed and reaped when dropped.
pub struct Driver {
    child: Child,
    pub url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    pub fn start() -> Driver {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        driver
    }
}

/// One browser session on the console at `base`.
pub struct Browser {
    pub client: Client,
    pub base: String,
    pub js: bool,
    /// The window's size minus the viewport's (measured once).
    chrome: (i64, i64),
}

/// Does an error page stand where a page was expected (a route not built)? Its status, if so.
pub const ERROR_STATUS_JS: &str = "var s = document.querySelector('.error-page .status'); return s ? s.textContent.trim() : null;";

impl Browser {
    /// A headless Chromium, JavaScript on or off, at desktop size.
    pub async fn open(driver: &Driver, base: &str, js: bool) -> Browser {
        let mut options = json!({
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--force-device-scale-factor=1", "--hide-scrollbars", "--disable-extensions",
                format!("--window-size={},{}", DESKTOP.1, DESKTOP.2),
            ],
            "binary": CHROMIUM,
        });
        if !js {
            options["prefs"] = json!({"profile.managed_default_content_settings.javascript": 2});
        }
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert("goog:chromeOptions".into(), options);
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&driver.url)
            .await
            .unwrap_or_else(|e| panic!("starting Chromium through chromedriver: {e}"));
        client
            .update_timeouts(fantoccini::wd::TimeoutConfiguration::new(
                Some(Duration::from_secs(60)),
                Some(Duration::from_secs(30)),
                Some(Duration::ZERO),
            ))
            .await
            .unwrap();
        let mut b = Browser {
            client,
            base: base.to_owned(),
            js,
            chrome: (0, 0),
        };
        b.goto("/").await;
        let (w, h) = b.client.get_window_size().await.unwrap();
        let inner = b
            .eval("return [window.innerWidth, window.innerHeight];")
            .await;
        b.chrome = (
            w as i64 - inner[0].as_i64().unwrap(),
            h as i64 - inner[1].as_i64().unwrap(),
        );
        b
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }

    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    }

    /// The path (and query) shown in the address bar.
    pub async fn path(&self) -> String {
        let u = self.client.current_url().await.unwrap();
        match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_owned(),
        }
    }

    /// Run `script` (a function body; `arguments` are `args`) and return its value.
    pub async fn eval_with(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{}", &script[..script.len().min(300)]))
    }

    pub async fn eval(&self, script: &str) -> Value {
        self.eval_with(script, vec![]).await
    }

    /// The error page's status when one stands here (a 404 for a route not built yet).
    pub async fn error_status(&self) -> Option<String> {
        self.eval(ERROR_STATUS_JS).await.as_str().map(str::to_owned)
    }

    pub async fn exists(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .unwrap()
            .is_empty()
    }

    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        match self.client.find(Locator::Css(css)).await {
            Ok(e) => e,
            Err(e) => panic!("no {css} on {}: {e}", self.path().await),
        }
    }

    /// Wait (up to `secs`) for `css` to match; None when it never did.
    pub async fn wait_for(&self, css: &str, secs: u64) -> Option<fantoccini::elements::Element> {
        self.client
            .wait()
            .at_most(Duration::from_secs(secs))
            .every(Duration::from_millis(100))
            .for_element(Locator::Css(css))
            .await
            .ok()
    }

    /// Wait (up to `secs`) until `css` matches nothing.
    pub async fn wait_gone(&self, css: &str, secs: u64) -> bool {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if !self.exists(css).await {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        self.find(css).await.attr(name).await.unwrap()
    }

    /// Set a form control to `value`: a select by option value, a checkbox by "true"/"false",
    /// text inputs and textareas by clearing and typing. False when there is no such control.
    pub async fn set(&self, css: &str, value: &str) -> bool {
        let Ok(el) = self.client.find(Locator::Css(css)).await else {
            return false;
        };
        let tag = el.tag_name().await.unwrap().to_lowercase();
        let kind = el.attr("type").await.unwrap().unwrap_or_default();
        if tag == "select" {
            if let Err(e) = el.select_by_value(value).await {
                panic!("{css}: no option {value:?}: {e}");
            }
        } else if kind == "checkbox" || kind == "radio" {
            let on = el.is_selected().await.unwrap();
            if on != (value == "true") {
                el.click().await.unwrap();
            }
        } else {
            el.clear().await.unwrap();
            if !value.is_empty() {
                el.send_keys(value).await.unwrap();
            }
        }
        true
    }

    /// Click `css` and wait for the next document to load (a form post or a link; with
    /// JavaScript, the console may replace the document in place).
    pub async fn click_and_wait(&self, css: &str) {
        self.mark_document().await;
        self.find(css).await.click().await.unwrap();
        self.wait_new_document(css).await;
    }

    /// Mark the current document, so that [`Self::wait_new_document`] sees it replaced.
    pub async fn mark_document(&self) {
        self.eval("document.documentElement.setAttribute('data-test-stale', '1');")
            .await;
    }

    pub async fn wait_new_document(&self, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let v = self
                .client
                .execute(
                    "return document.readyState === 'complete' && !document.documentElement.hasAttribute('data-test-stale');",
                    vec![],
                )
                .await;
            if matches!(v, Ok(Value::Bool(true))) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "no new page after {what} (still {})",
                self.path().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Press a key (as a keyboard would, on whatever has the focus).
    pub async fn press(&self, key: fantoccini::key::Key) {
        self.type_char(key.into()).await;
    }

    /// Type one character (a shortcut key), on whatever has the focus.
    pub async fn type_char(&self, c: char) {
        use fantoccini::actions::{InputSource as _, KeyAction, KeyActions};
        self.client
            .perform_actions(
                KeyActions::new("keyboard".into())
                    .then(KeyAction::Down { value: c })
                    .then(KeyAction::Up { value: c }),
            )
            .await
            .unwrap();
    }

    /// Resize so that the viewport is `w`×`h` CSS pixels.
    pub async fn viewport(&self, w: u32, h: u32) {
        let ww = (i64::from(w) + self.chrome.0).max(1) as u32;
        let hh = (i64::from(h) + self.chrome.1).max(1) as u32;
        self.client.set_window_size(ww, hh).await.unwrap();
    }

    /// Switch the console's language (the page's own switch: `GET /lang`), staying on this page.
    pub async fn language(&self, tag: &str) {
        let here = self.path().await;
        self.goto(&format!("/lang?to={tag}&back={}", encode(&here)))
            .await;
        let lang = self.eval("return document.documentElement.lang;").await;
        assert_eq!(lang, tag, "the language switch did not take");
    }

    /// A screenshot of the whole page at width `w` (the window grown to the page's height, then
    /// put back to `h`), written as `name`.png.
    pub async fn screenshot(&self, name: &str, w: u32, h: u32) -> PathBuf {
        self.viewport(w, h).await;
        let height = self
            .eval("return Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0);")
            .await
            .as_u64()
            .unwrap_or(u64::from(h)) as u32;
        let full = height.clamp(h, 12_000);
        if full != h {
            self.viewport(w, full).await;
        }
        let png = self.client.screenshot().await.unwrap();
        if full != h {
            self.viewport(w, h).await;
        }
        let path = screenshot_dir().join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }

    /// Horizontal overflow: elements wider than the viewport (the page scrolls sideways).
    pub async fn overflow(&self) -> Vec<String> {
        let v = self
            .eval(
                r#"var w = document.documentElement.clientWidth, out = [];
if (document.documentElement.scrollWidth <= w) { return out; }
document.querySelectorAll('body *').forEach(function (e) {
  var r = e.getBoundingClientRect();
  if (r.right > w + 1 && getComputedStyle(e).position !== 'absolute' && !e.closest('.table-wrap, pre')) {
    out.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : '') + ' right=' + Math.round(r.right));
  }
});
return out.slice(0, 8);"#,
            )
            .await;
        strings(&v)
    }

    /// axe-core on this page: the violations of impact `serious` or `critical`, one line each.
    pub async fn axe(&self) -> Vec<String> {
        let loaded = self
            .eval(&format!(
                "if (typeof window.axe === 'undefined') {{ {AXE}\n }} return typeof window.axe;"
            ))
            .await;
        assert_eq!(loaded, "object", "axe-core did not load");
        let result = self
            .client
            .execute_async(
                r#"var done = arguments[arguments.length - 1];
window.axe.run(document, {
  runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']},
  resultTypes: ['violations']
}).then(function (r) {
  done(r.violations.map(function (v) {
    return {id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 6).map(function (n) {
        return n.target.join(' ') + ' — ' + (n.failureSummary || '').replace(/\s+/g, ' ').slice(0, 240);
      })};
  }));
}).catch(function (e) { done('axe failed: ' + e); });"#,
                vec![],
            )
            .await
            .unwrap();
        if let Some(e) = result.as_str() {
            panic!("{e}");
        }
        result
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .map(|v| {
                format!(
                    "[{}] {}: {} ({})",
                    v["impact"].as_str().unwrap_or(""),
                    v["id"].as_str().unwrap_or(""),
                    v["help"].as_str().unwrap_or(""),
                    strings(&v["nodes"]).join("; ")
                )
            })
            .collect()
    }

    /// The page's text as a reader meets it, outside user data: text nodes and the labels in
    /// attributes (placeholder, title, aria-label, alt, button values) and the document's title,
    /// leaving out elements marked `translate="no"`, elements in another language (`lang`),
    /// scripts and `code`/`pre`. Each item: (where, text).
    pub async fn page_text(&self) -> Vec<(String, String)> {
        let v = self
            .eval(
                r#"var lang = document.documentElement.lang, out = [];
function excluded(el) {
  for (var e = el; e && e !== document.documentElement; e = e.parentElement) {
    if (e.getAttribute('translate') === 'no') { return true; }
    var l = e.getAttribute('lang');
    if (l !== null && l !== lang) { return true; }
    if (/^(SCRIPT|STYLE|NOSCRIPT|TEMPLATE|CODE|PRE)$/.test(e.tagName)) { return true; }
  }
  return false;
}
function where(e) {
  return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string' && e.className ? '.' + e.className.trim().split(/\s+/).join('.') : '');
}
var w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
while (w.nextNode()) {
  var n = w.currentNode, s = n.nodeValue.replace(/\s+/g, ' ').trim();
  if (s && !excluded(n.parentElement)) { out.push([where(n.parentElement), s]); }
}
document.body.querySelectorAll('[placeholder],[title],[aria-label],[alt],input[type=submit],input[type=button],input[type=reset]').forEach(function (e) {
  if (excluded(e)) { return; }
  ['placeholder', 'title', 'aria-label', 'alt'].forEach(function (a) {
    var s = e.getAttribute(a);
    if (s && s.trim()) { out.push([where(e) + '[' + a + ']', s.trim()]); }
  });
  if (e.tagName === 'INPUT' && e.value) { out.push([where(e) + '[value]', e.value]); }
});
out.push(['title', document.title]);
return out;"#,
            )
            .await;
        v.as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p[0].as_str().unwrap_or("").to_owned(),
                    p[1].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect()
    }

    /// Text an English page shows in Chinese, or a Chinese page in English (see
    /// [`untranslated`]).
    pub async fn untranslated(&self) -> Vec<String> {
        let lang = self.eval("return document.documentElement.lang;").await;
        let lang = lang.as_str().unwrap_or("").to_owned();
        self.page_text()
            .await
            .into_iter()
            .filter(|(_, text)| untranslated(&lang, text))
            .map(|(at, text)| format!("{at}: {text:?}"))
            .collect()
    }
}

/// A CJK character (CJK Unified Ideographs and extension A, CJK punctuation, full-width forms).
pub fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{9FFF}' | '\u{3000}'..='\u{303F}' | '\u{FF00}'..='\u{FFEF}')
}

/// Latin words a Chinese page may show: abbreviations that Chinese text uses as they are.
pub const LATIN_ALLOWED: [&str; 12] = [
    "ICP", "MIIT", "SMS", "URL", "HTTP", "HTTPS", "HTML", "JPEG", "PNG", "GIF", "IPv4", "IPv6",
];

/// Is `text`, on a page in `lang`, in the other language? English pages: any CJK character.
/// Chinese pages: an English word of four or more letters that is not an allowed abbreviation,
/// nor part of an e-mail address, a domain or a URL.
pub fn untranslated(lang: &str, text: &str) -> bool {
    if lang == "en" {
        return text.chars().any(is_cjk);
    }
    text.split(|c: char| c.is_whitespace() || is_cjk(c))
        .filter(|token| !(token.contains('@') || token.contains("://") || looks_like_domain(token)))
        .flat_map(|token| token.split(|c: char| !c.is_ascii_alphabetic()))
        .any(|word| word.len() >= 4 && !LATIN_ALLOWED.contains(&word))
}

fn looks_like_domain(token: &str) -> bool {
    let t = token.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    let parts: Vec<&str> = t.split('.').collect();
    parts.len() >= 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
}

pub fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|s| s.as_str().map_or_else(|| s.to_string(), str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Percent-encode a query value.
pub fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::untranslated;

    #[test]
    fn the_text_check_tells_languages_apart() {
        assert!(untranslated("en", "提交 Submit"));
        assert!(!untranslated("en", "Submit (ICP)"));
        assert!(untranslated("zh-CN", "提交 Submit"));
        assert!(!untranslated("zh-CN", "工信部 MIIT 短信 SMS"));
        assert!(!untranslated(
            "zh-CN",
            "发送到 zhang@example.com 和 www.yunfan.cn"
        ));
        assert!(!untranslated(
            "zh-CN",
            "访问 https://beian.miit.gov.cn/ 查询"
        ));
        assert!(untranslated("zh-CN", "上传 document"));
    }
}
