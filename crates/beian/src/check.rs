//! `beian check`: run the rules engine over one input document or a JSON-lines batch (the input
//! is described in docs/rules.md).
//!
//! Exit codes: 0 no errors, 1 errors found, 2 the input itself is unusable (message on stderr,
//! nothing on stdout). In batch mode a malformed line yields an error result for that line and the
//! run goes on; the exit code is then 1.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use beian_rules::engine::{Engine, document_findings};
use beian_rules::{Document, InputError, Report, Severity, parse_document};
use rayon::prelude::*;
use serde::Serialize;
use time::Date;

/// Output format of a single check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Json,
    Text,
}

/// Why a whole run cannot proceed (exit 2).
#[derive(Debug)]
pub struct Unusable(pub String);

/// Check one document. Returns the process exit code.
pub fn run_single(
    engine: &Engine<'_>,
    file: &str,
    format: Format,
    today: Date,
) -> Result<u8, Unusable> {
    let (text, base) = read_input(file)?;
    let doc = parse_document(&text).map_err(|e| Unusable(describe_input_error(file, &e)))?;
    let report = check_document(engine, &doc, &base, today).map_err(Unusable)?;
    let out = match format {
        Format::Json => {
            let mut s =
                serde_json::to_string_pretty(&report).map_err(|e| Unusable(e.to_string()))?;
            s.push('\n');
            s
        }
        Format::Text => render_text(&report),
    };
    let mut stdout = anstream::stdout();
    // A closed pipe (e.g. `| head`) is not worth an error message.
    let _ = stdout.write_all(out.as_bytes());
    Ok(if report.passes() { 0 } else { 1 })
}

fn read_input(file: &str) -> Result<(String, PathBuf), Unusable> {
    let (bytes, base) = if file == "-" {
        let mut buf = Vec::new();
        io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| Unusable(format!("cannot read standard input: {e}")))?;
        (buf, PathBuf::from("."))
    } else {
        let bytes =
            std::fs::read(file).map_err(|e| Unusable(format!("{file}: cannot read: {e}")))?;
        (
            bytes,
            Path::new(file)
                .parent()
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
        )
    };
    let text = String::from_utf8(bytes).map_err(|e| {
        Unusable(format!(
            "{file}: not UTF-8 (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })?;
    Ok((text, base))
}

fn describe_input_error(file: &str, e: &InputError) -> String {
    let position = match (e.line, e.column) {
        (Some(l), Some(c)) if c > 0 => format!("{file}:{l}:{c}"),
        (Some(l), _) => format!("{file}:{l}"),
        _ => file.to_owned(),
    };
    if e.path.is_empty() {
        format!("{position}: {}", e.message)
    } else {
        format!("{position}: at {}: {}", e.path, e.message)
    }
}

/// Run the engine, then judge the files named in `documents` by content. A file that cannot be
/// read is unusable input.
fn check_document(
    engine: &Engine<'_>,
    doc: &Document,
    base: &Path,
    today: Date,
) -> Result<Report, String> {
    let mut report = engine.check(&doc.application, &doc.context, today);
    let mut extra = Vec::new();
    for (k, d) in doc.application.documents.iter().flatten().enumerate() {
        let Some(name) = d.file.as_deref() else {
            continue;
        };
        let path = base.join(name.trim());
        let (size, head) = sniff(&path).map_err(|e| {
            format!(
                "application.documents[{k}].file: cannot read {}: {e}",
                path.display()
            )
        })?;
        extra.extend(document_findings(k, name.trim(), size, &head));
    }
    if !extra.is_empty() {
        for f in &extra {
            match f.severity {
                Severity::Error => report.summary.errors += 1,
                Severity::Warning => report.summary.warnings += 1,
                Severity::Info => {}
            }
        }
        // DOCUMENTS_REQUIRED stays last.
        let at = report.findings.len().saturating_sub(1);
        report.findings.splice(at..at, extra);
    }
    Ok(report)
}

fn sniff(path: &Path) -> io::Result<(u64, Vec<u8>)> {
    let mut f = File::open(path)?;
    let size = f.metadata()?.len();
    let mut head = vec![0u8; 16];
    let mut filled = 0;
    while filled < head.len() {
        let n = f.read(&mut head[filled..])?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    head.truncate(filled);
    Ok((size, head))
}

#[derive(Serialize)]
struct BatchOk<'a> {
    line: usize,
    #[serde(flatten)]
    report: &'a Report,
}

#[derive(Serialize)]
struct BatchErr<'a> {
    line: usize,
    error: BatchError<'a>,
}

#[derive(Serialize)]
struct BatchError<'a> {
    message: &'a str,
    path: &'a str,
}

/// Lines handed to the workers at a time: large enough to amortise the fork-join, small enough to
/// keep memory flat on million-line inputs.
const BATCH_CHUNK: usize = 8192;

/// Lines one worker checks in a row into one output buffer.
const LINES_PER_TASK: usize = 128;

/// A chunk of input: one buffer holding many lines, and where each line lies in it.
struct Chunk {
    first_line: usize,
    bytes: Vec<u8>,
    lines: Vec<std::ops::Range<usize>>,
}

/// Check a JSON-lines file, one result per line on stdout, in order, on all cores.
///
/// Three stages overlap: a reader thread fills chunks, the rayon pool checks a chunk in parallel,
/// and a writer thread writes the previous chunk's results in order. Channels are bounded, so
/// memory stays flat whatever the input size.
pub fn run_batch(engine: &Engine<'_>, file: &str, today: Date) -> Result<u8, Unusable> {
    let (mut reader, base): (Box<dyn BufRead + Send>, PathBuf) = if file == "-" {
        (
            Box::new(BufReader::with_capacity(1 << 20, io::stdin())),
            PathBuf::from("."),
        )
    } else {
        let f = File::open(file).map_err(|e| Unusable(format!("{file}: cannot read: {e}")))?;
        let base = Path::new(file)
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        (Box::new(BufReader::with_capacity(1 << 20, f)), base)
    };
    let (chunk_tx, chunk_rx) = std::sync::mpsc::sync_channel::<Result<Chunk, Unusable>>(2);
    let (out_tx, out_rx) = std::sync::mpsc::sync_channel::<Vec<(bool, Vec<u8>)>>(2);
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut next_line = 1usize;
            loop {
                let mut chunk = Chunk {
                    first_line: next_line,
                    bytes: Vec::with_capacity(1 << 22),
                    lines: Vec::with_capacity(BATCH_CHUNK),
                };
                while chunk.lines.len() < BATCH_CHUNK {
                    let start = chunk.bytes.len();
                    match reader.read_until(b'\n', &mut chunk.bytes) {
                        Ok(0) => break,
                        Ok(_) => {
                            let mut end = chunk.bytes.len();
                            if chunk.bytes[end - 1] == b'\n' {
                                end -= 1;
                            }
                            if end > start && chunk.bytes[end - 1] == b'\r' {
                                end -= 1;
                            }
                            chunk.lines.push(start..end);
                        }
                        Err(e) => {
                            let line = next_line + chunk.lines.len();
                            let _ = chunk_tx.send(Err(Unusable(format!(
                                "{file}: read error at line {line}: {e}"
                            ))));
                            return;
                        }
                    }
                }
                if chunk.lines.is_empty() {
                    return;
                }
                next_line += chunk.lines.len();
                if chunk_tx.send(Ok(chunk)).is_err() {
                    return;
                }
            }
        });
        let writer = scope.spawn(move || {
            let stdout = io::stdout();
            let mut out = io::BufWriter::with_capacity(1 << 20, stdout.lock());
            let mut any_error = false;
            let mut closed = false;
            for results in out_rx {
                for (failed, json) in results {
                    any_error |= failed;
                    // A closed pipe (`| head`) ends the output, not the count.
                    if !closed && out.write_all(&json).is_err() {
                        closed = true;
                    }
                }
            }
            let _ = out.flush();
            any_error
        });
        let mut outcome = Ok(());
        for chunk in chunk_rx {
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
            };
            // Lines go to the workers in runs that share one output buffer: fewer allocations
            // and fewer cross-thread frees than a buffer per line.
            let results: Vec<(bool, Vec<u8>)> = chunk
                .lines
                .par_chunks(LINES_PER_TASK)
                .enumerate()
                .map(|(t, run)| {
                    let mut out = Vec::with_capacity(run.len() * 1024);
                    let mut failed = false;
                    for (k, r) in run.iter().enumerate() {
                        let line = chunk.first_line + t * LINES_PER_TASK + k;
                        failed |= check_line(
                            engine,
                            line,
                            &chunk.bytes[r.clone()],
                            &base,
                            today,
                            &mut out,
                        );
                    }
                    (failed, out)
                })
                .collect();
            if out_tx.send(results).is_err() {
                break;
            }
        }
        drop(out_tx);
        let any_error = writer.join().unwrap_or(true);
        outcome.map(|()| if any_error { 1 } else { 0 })
    })
}

/// Check one batch line, appending its JSON result and a newline to `out`; true when the line
/// has errors or is malformed.
fn check_line(
    engine: &Engine<'_>,
    line: usize,
    bytes: &[u8],
    base: &Path,
    today: Date,
    out: &mut Vec<u8>,
) -> bool {
    let mut failure = |message: &str, path: &str| {
        let _ = serde_json::to_writer(
            &mut *out,
            &BatchErr {
                line,
                error: BatchError { message, path },
            },
        );
        out.push(b'\n');
        true
    };
    let Ok(text) = simdutf8::basic::from_utf8(bytes) else {
        return failure("not UTF-8", "");
    };
    if text.trim().is_empty() {
        return failure("empty line: expected a JSON document", "");
    }
    let doc = match parse_document(text) {
        Ok(d) => d,
        Err(e) => return failure(&e.message, &e.path),
    };
    match check_document(engine, &doc, base, today) {
        Ok(report) => {
            let _ = serde_json::to_writer(
                &mut *out,
                &BatchOk {
                    line,
                    report: &report,
                },
            );
            out.push(b'\n');
            !report.passes()
        }
        Err(message) => failure(&message, "application.documents"),
    }
}

/// The readable, coloured text report.
pub fn render_text(report: &Report) -> String {
    use anstyle::{AnsiColor, Style};
    use std::fmt::Write as _;
    let bold = Style::new().bold();
    let dim = Style::new().dimmed();
    let mut s = String::new();
    for f in &report.findings {
        let colour = match f.severity {
            Severity::Error => AnsiColor::Red,
            Severity::Warning => AnsiColor::Yellow,
            Severity::Info => AnsiColor::Cyan,
        };
        let sev = Style::new().fg_color(Some(colour.into())).bold();
        let path = if f.path.is_empty() {
            "(application)"
        } else {
            f.path.as_str()
        };
        let _ = writeln!(
            s,
            "{sev}{}{sev:#}{bold}[{}]{bold:#} {path}",
            f.severity, f.rule
        );
        let _ = writeln!(s, "  {}", f.message_zh);
        let _ = writeln!(s, "  {dim}{}{dim:#}", f.message_en);
        let _ = writeln!(s, "  修改 Fix: {}", f.fix_zh);
        let _ = writeln!(s, "  {dim}{}{dim:#}", f.fix_en);
        if let Some(r) = f.rejection_reason {
            let _ = writeln!(s, "  {dim}驳回原因 Rejection reason: {r}{dim:#}");
        }
        s.push('\n');
    }
    let verdict = if report.passes() {
        Style::new().fg_color(Some(AnsiColor::Green.into())).bold()
    } else {
        Style::new().fg_color(Some(AnsiColor::Red.into())).bold()
    };
    let _ = writeln!(
        s,
        "{bold}备案类型 Filing type:{bold:#} {} ({})",
        report.filing_type,
        report.filing_type.name_zh()
    );
    let _ = writeln!(
        s,
        "{verdict}{} 个错误 errors, {} 个警告 warnings{verdict:#}",
        report.summary.errors, report.summary.warnings
    );
    s
}

/// Load reference data from a directory: each file present there replaces the embedded one.
pub fn load_data_dir(dir: &Path) -> Result<beian_rules::ReferenceData> {
    use beian_rules::DataSources;
    let names = DataSources::FILE_NAMES;
    let mut texts: Vec<Option<String>> = Vec::new();
    for name in names {
        let path = dir.join(name);
        texts.push(if path.exists() {
            Some(
                std::fs::read_to_string(&path)
                    .with_context(|| format!("reading {}", path.display()))?,
            )
        } else {
            None
        });
    }
    let e = DataSources::EMBEDDED;
    let pick = |i: usize, default: &'static str| -> &str {
        texts.get(i).and_then(|t| t.as_deref()).unwrap_or(default)
    };
    let src = DataSources {
        provinces: pick(0, e.provinces),
        natures: pick(1, e.natures),
        credential_types: pick(2, e.credential_types),
        province_rules: pick(3, e.province_rules),
        name_words: pick(4, e.name_words),
        divisions: pick(5, e.divisions),
        cities: pick(6, e.cities),
        mobile_segments: pick(7, e.mobile_segments),
        rejection_reasons: pick(8, e.rejection_reasons),
    };
    beian_rules::ReferenceData::from_sources(&src)
        .with_context(|| format!("reference data in {}", dir.display()))
}
