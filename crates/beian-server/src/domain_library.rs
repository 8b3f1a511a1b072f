//! The registrars' domain library (域名注册信息): the domain registration records that the
//! DOMAIN_* rules of SPEC §7 read through `context.domains`, behind the [`RegistrarLibrary`]
//! port. Not to be confused with the national filing record (`crate::record`, the numbers the
//! administration issued) or with the administration itself (`crate::administration`): this is
//! what the domain registrars know about who holds a domain.
//!
//! The built-in implementation, [`BuiltInRegistrar`], reads the store's `registrar_records`
//! table, which supervisors edit over HTTP (`crate::routes::domain_library`) and import from CSV
//! (`beian import registrar FILE.csv` does the same from the command line). A real
//! registrar-library client can be swapped in for it.

use std::future::Future;
use std::pin::Pin;

use beian_rules::input::DomainRecord;
use beian_store::{RegistrarRecord, Store};

/// A boxed future, so that the port can be held as `Arc<dyn RegistrarLibrary>` and a real
/// registrar-library client swapped in for the built-in table.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why the registrars' library gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    #[error("the registrars' library is unavailable: {0}")]
    Unavailable(String),
}

/// The port: domain registration records for `context.domains`.
pub trait RegistrarLibrary: Send + Sync {
    /// The records of the registrable domains of `domains` (any form: IDN, upper case,
    /// subdomains); a domain without a record is absent from the answer, which the rules report
    /// as `DOMAIN_NO_RECORD`.
    fn records_for<'a>(
        &'a self,
        domains: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<DomainRecord>, LibraryError>>;
}

/// The built-in registrars' library: the store's `registrar_records` table.
#[derive(Debug, Clone)]
pub struct BuiltInRegistrar {
    pub store: Store,
}

impl RegistrarLibrary for BuiltInRegistrar {
    fn records_for<'a>(
        &'a self,
        domains: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<DomainRecord>, LibraryError>> {
        Box::pin(async move {
            let records = self
                .store
                .registrar_for(domains)
                .await
                .map_err(|e| LibraryError::Unavailable(e.to_string()))?;
            Ok(records
                .iter()
                .map(RegistrarRecord::to_domain_record)
                .collect())
        })
    }
}
