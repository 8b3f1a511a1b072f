//! `beian check` end to end through the real binary: the worked examples (snapshot of rule, path
//! and exit code in `examples/check/*.expected`; `UPDATE_EXPECT=1` rewrites them), stdin, the exit
//! codes, unusable input, batch mode and documents judged by content.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_beian"))
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/check")
}

fn run_with_stdin(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

/// The snapshot of one result: exit code, filing type, then `SEVERITY RULE path` per finding.
fn snapshot(out: &Output) -> String {
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut s = format!(
        "exit {}\nfiling_type {}\n",
        out.status.code().unwrap(),
        v["filing_type"].as_str().unwrap()
    );
    for f in v["findings"].as_array().unwrap() {
        s.push_str(&format!(
            "{} {} {}\n",
            f["severity"].as_str().unwrap(),
            f["rule"].as_str().unwrap(),
            f["path"].as_str().unwrap()
        ));
    }
    s
}

#[test]
fn worked_examples_match_their_expected_findings() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(examples())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 8, "worked examples missing");
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut failures = Vec::new();
    for file in files {
        let out = bin()
            .args(["check", file.to_str().unwrap(), "--format", "json"])
            .output()
            .unwrap();
        assert!(
            out.stderr.is_empty(),
            "{}: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let actual = snapshot(&out);
        let expected_path = file.with_extension("expected");
        if update {
            std::fs::write(&expected_path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != actual {
            failures.push(format!(
                "{}:\n--- expected\n{expected}--- actual\n{actual}",
                file.display()
            ));
        }
        let name = file.file_name().unwrap().to_str().unwrap();
        let code = out.status.code().unwrap();
        if name.starts_with("valid-") {
            assert_eq!(code, 0, "{name} should pass");
        } else {
            assert_eq!(code, 1, "{name} should fail");
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n(run with UPDATE_EXPECT=1 to accept)",
        failures.join("\n")
    );
}

#[test]
fn text_format_and_stdin() {
    let input = std::fs::read(examples().join("invalid-individual-guangdong.json")).unwrap();
    let out = run_with_stdin(&["check", "-"], &input);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("error[PERSONAL_PROHIBITED_CONTENT] websites[0].preapprovals[0]"),
        "{text}"
    );
    assert!(text.contains("个人不能开办"), "{text}");
    assert!(text.contains("Fix:"), "{text}");
    // Not a terminal: no colour codes.
    assert!(!text.contains('\u{1b}'));
    let out = run_with_stdin(&["check", "-", "--format", "json"], &input);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["summary"]["errors"].as_u64().unwrap() > 5);
}

#[track_caller]
fn unusable(input: &str, expect_in_message: &[&str]) {
    let out = run_with_stdin(&["check", "-", "--format", "json"], input.as_bytes());
    assert_eq!(out.status.code(), Some(2), "input {input:?}");
    assert!(
        out.stdout.is_empty(),
        "stdout must be empty on unusable input"
    );
    let err = String::from_utf8(out.stderr).unwrap();
    for e in expect_in_message {
        assert!(err.contains(e), "stderr {err:?} lacks {e:?}");
    }
}

#[test]
fn unusable_input_exits_2_naming_the_problem() {
    unusable("{not json", &["invalid JSON", "-:1:"]);
    unusable("[]", &["expected a JSON object"]);
    unusable(r#"{"context": {}}"#, &["missing field `application`"]);
    unusable(
        r#"{"application": "x"}"#,
        &["at application", "invalid type"],
    );
    unusable(
        r#"{"application": {"websites": [{"domains": "a.cn"}]}}"#,
        &["application.websites[0].domains"],
    );
    unusable(
        r#"{"application": {"subject": {"nature": "company"}}}"#,
        &["application.subject.nature", "company"],
    );
    unusable(
        r#"{"application": {"filing_type": "renewal"}}"#,
        &["application.filing_type"],
    );
    unusable(
        r#"{"application": {}, "context": {"products": [{"service_number": "S", "kind": "ecs", "region": "mainland", "billing": "monthly", "expires": "2027-01-01", "public_bandwidth": true, "website_quota": 5, "websites_filed": 0}]}}"#,
        &["context.products[0].billing"],
    );
    unusable(
        r#"{"application": {}, "context": {"today": "22/11/2026"}}"#,
        &["context.today", "YYYY-MM-DD"],
    );
    let out = run_with_stdin(&["check", "-"], b"\xff\xfe{}");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("UTF-8"));
    let out = bin()
        .args(["check", "/nonexistent/input.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/input.json"));
}

#[test]
fn documents_are_judged_by_content() {
    let out = bin()
        .args([
            "check",
            examples()
                .join("documents-wrong-content.json")
                .to_str()
                .unwrap(),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let doc: Vec<_> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"].as_str().unwrap().starts_with("DOCUMENT_"))
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_owned(),
                f["path"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        doc,
        vec![(
            "DOCUMENT_FORMAT_UNSUPPORTED".to_owned(),
            "documents[1].file".to_owned()
        )]
    );
    // A file that cannot be read is unusable input.
    let dir = tempdir();
    let input = dir.join("in.json");
    std::fs::write(
        &input,
        r#"{"application": {"documents": [{"kind": "x", "file": "missing.png"}]}}"#,
    )
    .unwrap();
    let out = bin()
        .args(["check", input.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("documents[0].file"));
    // 4 MB + 1 byte with a JPEG header is too large.
    std::fs::write(dir.join("big.jpg"), {
        let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0];
        b.resize(4 * 1024 * 1024 + 1, 0);
        b
    })
    .unwrap();
    std::fs::write(
        &input,
        r#"{"application": {"documents": [{"kind": "x", "file": "big.jpg"}]}}"#,
    )
    .unwrap();
    let out = bin()
        .args(["check", input.to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("DOCUMENT_TOO_LARGE"));
    assert!(!text.contains("DOCUMENT_FORMAT_UNSUPPORTED"));
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "beian-cli-test-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn batch_keeps_order_and_survives_malformed_lines() {
    let valid = std::fs::read_to_string(examples().join("valid-individual-beijing.json")).unwrap();
    let invalid =
        std::fs::read_to_string(examples().join("invalid-individual-guangdong.json")).unwrap();
    let one_line = |s: &str| {
        serde_json::to_string(&serde_json::from_str::<serde_json::Value>(s).unwrap()).unwrap()
    };
    let mut input = String::new();
    for i in 0..20_000 {
        match i % 4 {
            0 => input.push_str(&one_line(&valid)),
            1 => input.push_str(&one_line(&invalid)),
            2 => input.push_str(r#"{"application": {"subject": {"nature": 7}}}"#),
            _ => input.push_str("{broken"),
        }
        input.push('\n');
    }
    let dir = tempdir();
    let file = dir.join("batch.jsonl");
    std::fs::write(&file, &input).unwrap();
    let out = bin()
        .args(["check", "--batch", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 20_000);
    for (i, l) in lines.iter().enumerate() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert_eq!(v["line"], i + 1);
        match i % 4 {
            0 => assert_eq!(v["summary"]["errors"], 0, "line {}", i + 1),
            1 => assert!(v["summary"]["errors"].as_u64().unwrap() > 0),
            2 => assert_eq!(v["error"]["path"], "application.subject.nature"),
            _ => assert!(
                v["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("invalid JSON")
            ),
        }
    }
    // All-valid input exits 0; stdin works too.
    let out = run_with_stdin(
        &["check", "--batch", "-"],
        format!("{}\n{}\n", one_line(&valid), one_line(&valid)).as_bytes(),
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 2);
}

#[test]
fn data_dir_overrides_are_validated() {
    let dir = tempdir().join("data");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("provinces.tsv"), "11\t北京市\t北京\t京\tBeijing\n").unwrap();
    let out = bin()
        .args([
            "check",
            "--data-dir",
            dir.to_str().unwrap(),
            examples()
                .join("valid-individual-beijing.json")
                .to_str()
                .unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("provinces.tsv"));
    // A valid edit takes effect: a supervisor adds a sensitive word.
    std::fs::remove_file(dir.join("provinces.tsv")).unwrap();
    let words = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/name-words.toml"),
    )
    .unwrap();
    std::fs::write(
        dir.join("name-words.toml"),
        words.replace("\"色情\"]", "\"色情\", \"摄影\"]"),
    )
    .unwrap();
    let out = bin()
        .args([
            "check",
            "--format",
            "json",
            "--data-dir",
            dir.to_str().unwrap(),
            examples()
                .join("valid-individual-beijing.json")
                .to_str()
                .unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("WEBSITE_NAME_SENSITIVE_WORD"));
}
