//! Staff accounts (工作人员账号): supervisors list, create, disable and enable the accounts of
//! reviewers, supervisors and the administration. Both the API and the console call these.

use beian_core::workflow::Role;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::{AccountView, Caller, Registration, create_account};
use crate::error::ApiError;

/// A staff account as supervisors see it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct StaffAccount {
    pub id: i64,
    pub login: String,
    pub role: String,
    pub display_name: String,
    pub disabled: bool,
}

/// Every account that is not an applicant's.
pub async fn list(state: &AppState) -> Result<Vec<StaffAccount>, ApiError> {
    Ok(state
        .store
        .list_accounts()
        .await?
        .into_iter()
        .filter(|a| Role::parse(&a.account.role).is_some_and(|r| r != Role::Applicant))
        .map(|a| StaffAccount {
            id: a.account.id,
            login: a.account.login,
            role: a.account.role,
            display_name: a.account.display_name,
            disabled: a.disabled,
        })
        .collect())
}

/// A new staff account.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct NewStaffAccount {
    pub login: String,
    pub password: String,
    /// `reviewer`, `supervisor` or `administration`.
    pub role: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub email: String,
}

/// Create a staff account (the login, password and e-mail rules are the registration's).
pub async fn create(state: &AppState, n: NewStaffAccount) -> Result<AccountView, ApiError> {
    let role = Role::parse(n.role.trim())
        .filter(|r| *r != Role::Applicant)
        .ok_or_else(|| {
            ApiError::invalid(
                "role",
                "角色无效 / Invalid role",
                "工作人员角色为 reviewer、supervisor 或 administration（申请人请自行注册） / a staff role is reviewer, supervisor or administration (applicants register themselves)",
            )
        })?;
    create_account(
        state,
        &Registration {
            login: n.login,
            password: n.password,
            display_name: n.display_name,
            email: n.email,
        },
        role,
    )
    .await
}

/// Disable (`true`) or enable a staff account by login. A disabled account can no longer log in
/// and its tokens stop working (here at once; other instances within the token cache's five
/// seconds). Nobody disables their own account.
pub async fn set_disabled(
    state: &AppState,
    caller: &Caller,
    login: &str,
    disabled: bool,
) -> Result<StaffAccount, ApiError> {
    let not_found = || {
        ApiError::not_found(
            "account-not-found",
            "账号不存在 / Account not found",
            "没有这个工作人员账号 / no staff account with this login",
        )
    };
    let status = state
        .store
        .account_status(login)
        .await?
        .ok_or_else(not_found)?;
    if Role::parse(&status.account.role).is_none_or(|r| r == Role::Applicant) {
        return Err(not_found());
    }
    if disabled && status.account.id == caller.account.id {
        return Err(ApiError::conflict(
            "cannot-disable-self",
            "不能停用自己的账号 / You cannot disable your own account",
            "请由另一位主管操作 / ask another supervisor",
        ));
    }
    let (account, _) = state
        .store
        .set_account_disabled(login, disabled)
        .await?
        .ok_or_else(not_found)?;
    state.token_cache.clear();
    Ok(StaffAccount {
        id: account.id,
        login: account.login,
        role: account.role,
        display_name: account.display_name,
        disabled,
    })
}
