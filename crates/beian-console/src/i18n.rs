//! The console's language: Simplified Chinese by default, English by a switch that persists in a
//! cookie. Every string a page shows comes from one Fluent catalogue (`locales/<lang>/*.ftl`,
//! embedded at compile time); a test holds the two languages to the same keys.

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "zh-CN",
        // No Unicode isolation marks around arguments: they would show in copied text.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The cookie that remembers the chosen language.
pub const LANG_COOKIE: &str = "beian_lang";

static ZH: LanguageIdentifier = langid!("zh-CN");
static EN: LanguageIdentifier = langid!("en");

/// A language the console speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// The value of `<html lang>` and of the cookie.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "zh-CN" | "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The other language (what the switch offers).
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }

    /// Of a bilingual pair, the one in this language.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    /// Of a `中文 / English` text (the API's bilingual titles and details), this language's half.
    pub fn half(self, both: &str) -> String {
        match both.split_once(" / ") {
            Some((zh, en)) => self.pick(zh, en).trim().to_owned(),
            None => both.to_owned(),
        }
    }
}

/// The translator a page renders with.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    /// The message `key`; a missing key shows as itself (and fails the catalogue test).
    pub fn t(&self, key: &str) -> String {
        LOCALES
            .try_lookup(self.lang.id(), key)
            .unwrap_or_else(|| key.to_owned())
    }

    /// The message `key` with one argument.
    pub fn t1(&self, key: &str, name: &str, value: &str) -> String {
        self.args(key, &[(name, value)])
    }

    /// The message `key` with arguments.
    pub fn args(&self, key: &str, args: &[(&str, &str)]) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue<'_>> = args
            .iter()
            .map(|(k, v)| (Cow::Owned((*k).to_owned()), FluentValue::from(*v)))
            .collect();
        LOCALES
            .try_lookup_with_args(self.lang.id(), key, &map)
            .unwrap_or_else(|| key.to_owned())
    }

    /// Of a bilingual pair, the one in this language.
    pub fn pick<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        self.lang.pick(zh, en)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use std::collections::BTreeSet;
    use std::path::Path;

    fn keys(lang: &str) -> BTreeSet<String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("locales")
            .join(lang);
        let mut keys = BTreeSet::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for line in text.lines() {
                if let Some((k, _)) = line.split_once(" =")
                    && !k.starts_with([' ', '#', '.'])
                    && !k.is_empty()
                {
                    // Fluent refuses a catalogue with a key twice (at the first lookup).
                    assert!(keys.insert(k.trim().to_owned()), "{lang}: {k} twice");
                }
            }
        }
        keys
    }

    #[test]
    fn both_languages_have_the_same_keys() {
        let zh = keys("zh-CN");
        let en = keys("en");
        let only_zh: Vec<_> = zh.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&zh).collect();
        assert!(only_zh.is_empty(), "missing in en: {only_zh:?}");
        assert!(only_en.is_empty(), "missing in zh-CN: {only_en:?}");
        assert!(zh.len() > 20);
    }

    /// Every key a template or view asks for exists (a typo would show the key to the user).
    #[test]
    fn every_key_used_exists() {
        let zh = keys("zh-CN");
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut missing = Vec::new();
        let mut files = Vec::new();
        for dir in ["templates", "src", "src/views"] {
            for e in std::fs::read_dir(root.join(dir)).unwrap() {
                let p = e.unwrap().path();
                // This file's tests name keys that must not exist.
                if p.is_file() && !p.ends_with("i18n.rs") {
                    files.push(p);
                }
            }
        }
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for pat in [".t(\"", ".t1(\"", ".args(\""] {
                for (i, _) in text.match_indices(pat) {
                    let rest = &text[i + pat.len()..];
                    let key = &rest[..rest.find('"').unwrap()];
                    if !key.is_empty() && !key.contains(['{', ' ']) && !zh.contains(key) {
                        missing.push(format!("{}: {key}", f.display()));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "keys not in the catalogue: {missing:?}");
    }

    #[test]
    fn lookups_answer_in_the_language_asked() {
        let zh = Tr { lang: Lang::Zh };
        let en = Tr { lang: Lang::En };
        assert_ne!(zh.t("nav-login"), en.t("nav-login"));
        assert_eq!(en.t("nav-login"), "Log in");
        assert_eq!(en.t("no-such-key"), "no-such-key");
        assert_eq!(Lang::En.half("登录失败 / Login failed"), "Login failed");
        assert_eq!(Lang::Zh.half("登录失败 / Login failed"), "登录失败");
    }
}
