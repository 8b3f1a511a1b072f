//! The block page: HTML in Chinese and English, the reason, what to do, the provider's contact.

use crate::Reason;

/// What the visitor reads for each reason: (Chinese, English) explanation and next step.
fn texts(reason: Reason) -> (&'static str, &'static str, &'static str, &'static str) {
    match reason {
        Reason::NotFiled => (
            "该网站尚未在本服务商完成ICP备案，依法不能访问。",
            "This website has no ICP filing with this provider and cannot be served.",
            "网站负责人：请通过本服务商提交ICP备案（新增备案或新增接入），备案通过后即可访问。",
            "Website owner: submit an ICP filing (new filing or new access) through this provider; the site is served once it is approved.",
        ),
        Reason::FiledElsewhere => (
            "该域名已在其他服务商备案接入，尚未接入本服务商。",
            "This domain is filed with another provider and not accessed here.",
            "网站负责人：请通过本服务商办理接入备案（变更接入）。",
            "Website owner: transfer the access to this provider (change of access filing).",
        ),
        Reason::AccessCancelled => (
            "该网站在本服务商的接入已取消。",
            "This website's access at this provider has been cancelled.",
            "网站负责人：如需继续使用，请重新办理接入备案。",
            "Website owner: file a new access with this provider to serve it again.",
        ),
        Reason::Revoked => (
            "该网站的ICP备案已被注销。",
            "This website's ICP filing has been revoked.",
            "网站负责人：请重新办理ICP备案。",
            "Website owner: file again.",
        ),
        Reason::IpAddress => (
            "不能通过IP地址直接访问本服务商的网站。",
            "Websites at this provider cannot be reached by IP address.",
            "请使用已备案的域名访问。",
            "Use the website's filed domain name.",
        ),
        Reason::InvalidHost => (
            "请求中的主机名无效。",
            "The request's host name is not valid.",
            "请使用已备案的域名访问。",
            "Use the website's filed domain name.",
        ),
    }
}

/// HTML-escape a text set by the operator (the contact line).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The page for a reason. `host` is the normalised host (lower-case LDH ASCII, safe to print) or
/// `None`; `contact` is HTML-escaped here.
pub fn render(reason: Reason, host: Option<&str>, contact: &str) -> String {
    let (zh, en, zh_do, en_do) = texts(reason);
    let host_line = match host {
        Some(h) => format!("<p class=\"host\">{}</p>\n", escape(h)),
        None => String::new(),
    };
    format!(
        "<!doctype html>\n<html lang=\"zh-CN\">\n<head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>网站暂时无法访问 · Website not available</title>\
<style>body{{font-family:sans-serif;max-width:40em;margin:3em auto;padding:0 1em;color:#222}}\
.host{{font-family:monospace;font-size:1.2em}}.code{{color:#666;font-size:.9em}}</style></head>\n\
<body>\n<h1>网站暂时无法访问</h1>\n<h2 lang=\"en\">Website not available</h2>\n{host_line}\
<p>{zh}</p>\n<p lang=\"en\">{en}</p>\n<p>{zh_do}</p>\n<p lang=\"en\">{en_do}</p>\n\
<p>联系服务商 / Contact: {contact}</p>\n<p class=\"code\">原因 / reason: {code}</p>\n</body>\n</html>\n",
        contact = escape(contact),
        code = reason.as_str(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_renders_escaped() {
        for r in Reason::ALL {
            let p = render(r, Some("example.cn"), "<b>客服</b> 95187");
            assert!(p.contains(r.as_str()));
            assert!(p.contains("&lt;b&gt;"));
            assert!(!p.contains("<b>"));
        }
    }
}
