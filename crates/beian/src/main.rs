//! The `beian` command. `anyhow` lives here, at the edge; the libraries use typed errors.

mod check;

/// mimalloc: the batch checker allocates many small strings on every core, where glibc's
/// allocator spends a third of the time (measured in BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// beian — an open-source ICP filing system (ICP备案管理系统).
#[derive(Parser)]
#[command(name = "beian", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a filing application against every rule, offline (SPEC §7.1).
    ///
    /// Exit code 0: no errors; 1: errors found; 2: the input itself is unusable.
    Check(CheckArgs),
}

#[derive(clap::Args)]
struct CheckArgs {
    /// The input document (`{"application": …, "context": …}`), or `-` for standard input.
    /// With --batch: a JSON-lines file, one document per line.
    file: String,
    /// Output format (single document only; --batch always writes JSON lines).
    #[arg(long, value_enum, default_value = "text")]
    format: check::Format,
    /// Check a JSON-lines file: one result per line on stdout, in input order, on all cores.
    #[arg(long)]
    batch: bool,
    /// A directory holding edited copies of reference data files (each file found there replaces
    /// the built-in one; validated before use).
    #[arg(long, env = "BEIAN_DATA_DIR")]
    data_dir: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check(args) => run_check(args),
    }
}

fn run_check(args: CheckArgs) -> ExitCode {
    let owned;
    let data = match &args.data_dir {
        Some(dir) => match check::load_data_dir(dir) {
            Ok(d) => {
                owned = d;
                &owned
            }
            Err(e) => return fail(&format!("{e:#}")),
        },
        None => match beian_rules::ReferenceData::embedded() {
            Ok(d) => d,
            Err(e) => return fail(&format!("built-in reference data: {e}")),
        },
    };
    let engine = beian_rules::Engine::new(data, beian_rules::beian_domain::SuffixList::miit());
    let today = beian_rules::today_in_china();
    let result = if args.batch {
        check::run_batch(&engine, &args.file, today)
    } else {
        check::run_single(&engine, &args.file, args.format, today)
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(check::Unusable(message)) => fail(&message),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("beian check: {message}");
    ExitCode::from(2)
}
