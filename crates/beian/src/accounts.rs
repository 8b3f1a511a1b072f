//! `beian accounts create|disable|enable|reset-password|list`: the operator's way to make staff
//! accounts (reviewer, supervisor, administration; the HTTP API only registers applicants), to
//! shut an account out and to set a new password. The database is chosen as `beian serve` chooses
//! it (`--database`, `BEIAN_DATABASE`, the `database` key of `--config`, `sqlite://beian.db`)
//! and migrated first.
//!
//! Exit codes: 0 done; 2 the input is unusable (a login, role, password or e-mail address that
//! the rules refuse, no password given); 1 the operation was refused or failed (the login is
//! taken, no account has this login, the database cannot be reached).
//! No password or hash is ever printed or logged.

use std::io::{BufRead as _, IsTerminal as _};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use beian_store::{AccountRow, Store, StoreError};

/// Where the database is, as for `beian serve`.
#[derive(clap::Args)]
pub struct DbArgs {
    /// A TOML configuration file, as for `beian serve`; only its `database` key is used here.
    #[arg(long, env = "BEIAN_CONFIG")]
    config: Option<PathBuf>,
    /// `sqlite://PATH` (created if missing) or `postgres://…` [default: the configuration
    /// file's `database`, else sqlite://beian.db].
    #[arg(long, env = "BEIAN_DATABASE")]
    database: Option<String>,
}

#[derive(clap::Args)]
pub struct LoginArgs {
    /// The account's login.
    #[arg(long)]
    login: String,
    #[command(flatten)]
    db: DbArgs,
}

#[derive(clap::Args)]
pub struct CreateArgs {
    /// The new account's login: 3 to 64 letters, digits or `. _ @ -`.
    #[arg(long)]
    login: String,
    /// `applicant`, `reviewer` (provider review), `supervisor` (products, blacklist, webhooks,
    /// jobs) or `administration` (the built-in administration's desk).
    #[arg(long, value_parser = parse_role)]
    role: String,
    /// The name shown for the account (optional).
    #[arg(long)]
    display_name: Option<String>,
    /// Where the account's notifications are e-mailed (optional).
    #[arg(long)]
    email: Option<String>,
    #[command(flatten)]
    db: DbArgs,
}

#[derive(clap::Subcommand)]
pub enum AccountsCommand {
    /// Create an account of any role.
    ///
    /// The password (at least 10 characters) is read from the BEIAN_PASSWORD environment
    /// variable, else from the first line of standard input. Exit code 2 when the login, role,
    /// password or e-mail address is refused; 1 when the login is taken.
    Create(CreateArgs),
    /// Disable an account: it can no longer log in, and its tokens are revoked.
    ///
    /// A running server may still accept a token it has just seen for up to 5 seconds (its
    /// token cache). Exit code 1 when no account has this login.
    Disable(LoginArgs),
    /// Enable a disabled account again (its old tokens stay revoked: it logs in anew).
    ///
    /// Exit code 1 when no account has this login.
    Enable(LoginArgs),
    /// Set a new password and revoke the account's tokens.
    ///
    /// The password (at least 10 characters) is read from the BEIAN_PASSWORD environment
    /// variable, else from the first line of standard input. A running server may still accept a
    /// token it has just seen for up to 5 seconds (its token cache). Exit code 2 when the password
    /// is refused; 1 when no account has this login.
    ResetPassword(LoginArgs),
    /// List the accounts: login, role, active or disabled, display name.
    List(DbArgs),
}

/// How a command ends when it does not succeed.
enum Failure {
    /// The input is unusable: exit 2.
    Input(String),
    /// Refused or failed: exit 1.
    Refused(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Failure {
        Failure::Refused(e)
    }
}

impl From<beian_store::CredentialError> for Failure {
    fn from(e: beian_store::CredentialError) -> Failure {
        Failure::Input(e.to_string())
    }
}

/// `--role`: one of the four roles, refused with the same bilingual message as elsewhere.
fn parse_role(s: &str) -> Result<String, String> {
    beian_store::validate_role(s.trim())
        .map(|()| s.trim().to_owned())
        .map_err(|e| e.to_string())
}

pub fn run(command: AccountsCommand) -> ExitCode {
    crate::init_logs_at("warn");
    let result = match command {
        AccountsCommand::Create(args) => create(args),
        AccountsCommand::Disable(args) => set_disabled(args, true),
        AccountsCommand::Enable(args) => set_disabled(args, false),
        AccountsCommand::ResetPassword(args) => reset_password(args),
        AccountsCommand::List(db) => list(db),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(message)) => {
            eprintln!("beian accounts: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Refused(e)) => {
            eprintln!("beian accounts: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Run `f` with the store, on a runtime of its own.
fn with_store<T>(
    db: &DbArgs,
    f: impl AsyncFnOnce(&Store) -> Result<T, Failure>,
) -> Result<T, Failure> {
    let database = crate::database_url(db.config.as_deref(), db.database.clone())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async {
        let store = crate::open_store(&crate::DatabaseArgs { database }).await?;
        let result = f(&store).await;
        store.close().await;
        result
    })
}

/// The new password: `BEIAN_PASSWORD`, else one line of standard input (its line ending
/// removed), checked against the password rule.
fn new_password() -> Result<String, Failure> {
    let password = match std::env::var_os("BEIAN_PASSWORD") {
        Some(p) => p.into_string().map_err(|_| {
            Failure::Input(
                "密码无效 / invalid password: BEIAN_PASSWORD is not UTF-8 text".to_owned(),
            )
        })?,
        None => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                eprint!("新密码 / new password (shown as typed; at least 10 characters): ");
            }
            let mut line = String::new();
            let n = stdin.lock().read_line(&mut line).map_err(|e| {
                Failure::Input(format!("reading the password from standard input: {e}"))
            })?;
            if n == 0 {
                return Err(Failure::Input(
                    "没有密码 / no password: set BEIAN_PASSWORD or write the password on standard input, one line".to_owned(),
                ));
            }
            let end = line.trim_end_matches(['\n', '\r']).len();
            line.truncate(end);
            line
        }
    };
    beian_store::validate_password(&password)?;
    Ok(password)
}

/// Hash a password as the server does (argon2id).
fn hash(password: String) -> Result<String, Failure> {
    beian_server::auth::hash_password(&password)
        .map_err(|e| Failure::Refused(anyhow::anyhow!("hashing the password: {e}")))
}

fn no_such_account(login: &str) -> Failure {
    Failure::Refused(anyhow::anyhow!(
        "没有这个账号 / no such account: no account has the login {login:?} (see `beian accounts list`)"
    ))
}

/// "1 token" or "3 tokens".
fn tokens(n: u64) -> String {
    if n == 1 {
        "1 token".to_owned()
    } else {
        format!("{n} tokens")
    }
}

fn create(args: CreateArgs) -> Result<(), Failure> {
    let login = args.login.trim().to_owned();
    beian_store::validate_login(&login)?;
    let display_name = args.display_name.as_deref().unwrap_or("").trim();
    let email = args.email.as_deref().unwrap_or("").trim();
    beian_store::validate_email(email)?;
    let password_hash = hash(new_password()?)?;
    let account = with_store(&args.db, async |store| {
        store
            .create_account(
                &login,
                &password_hash,
                &args.role,
                display_name,
                email,
                time::OffsetDateTime::now_utc(),
            )
            .await
            .map_err(|e| match e {
                StoreError::LoginTaken => Failure::Refused(anyhow::anyhow!(
                    "登录名已被使用 / login taken: an account with the login {login:?} exists already; choose another login, or use `beian accounts reset-password`"
                )),
                e => Failure::Refused(anyhow::Error::new(e).context("creating the account")),
            })
    })?;
    println!(
        "created {} account {} (id {})",
        account.role, account.login, account.id
    );
    Ok(())
}

fn set_disabled(args: LoginArgs, disabled: bool) -> Result<(), Failure> {
    let login = args.login.trim().to_owned();
    let (account, revoked): (AccountRow, u64) = with_store(&args.db, async |store| {
        store
            .set_account_disabled(&login, disabled)
            .await
            .context("updating the account")?
            .ok_or_else(|| no_such_account(&login))
    })?;
    if disabled {
        println!(
            "disabled {} account {}: it can no longer log in; {} revoked (a running server may accept one it has just seen for up to 5 s)",
            account.role,
            account.login,
            tokens(revoked)
        );
    } else {
        println!("enabled {} account {}", account.role, account.login);
    }
    Ok(())
}

fn reset_password(args: LoginArgs) -> Result<(), Failure> {
    let login = args.login.trim().to_owned();
    let password_hash = hash(new_password()?)?;
    let (account, revoked) = with_store(&args.db, async |store| {
        store
            .set_password_hash(&login, &password_hash)
            .await
            .context("updating the account")?
            .ok_or_else(|| no_such_account(&login))
    })?;
    println!(
        "set a new password for {} account {}; {} revoked (a running server may accept one it has just seen for up to 5 s)",
        account.role,
        account.login,
        tokens(revoked)
    );
    Ok(())
}

fn list(db: DbArgs) -> Result<(), Failure> {
    let accounts = with_store(&db, async |store| {
        Ok(store
            .list_accounts()
            .await
            .context("listing the accounts")?)
    })?;
    let width = accounts
        .iter()
        .map(|a| a.account.login.chars().count())
        .max()
        .unwrap_or(0)
        .max("login".len());
    println!(
        "{:<width$}  {:<14}  {:<8}  display name",
        "login", "role", "status"
    );
    for a in &accounts {
        println!(
            "{:<width$}  {:<14}  {:<8}  {}",
            a.account.login,
            a.account.role,
            if a.disabled { "disabled" } else { "active" },
            a.account.display_name
        );
    }
    Ok(())
}
