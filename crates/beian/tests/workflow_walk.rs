//! Every (state, command, role) through HTTP answers what the core's `workflow::transition`
//! decides: a transition is 200 with the order in the state the core names, a role the step is
//! not for is 403, anything else about the order's state is 409 (an invalid rejection 422). The
//! facts the core decides on are read from the same database the server uses.
//!
//! States reached through HTTP: draft, provider review, verification, ready for the
//! administration, administration review, approved, withdrawn (Beijing: no SMS step; expiry
//! and SMS timeouts are the jobs' and are walked in `filing_types.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use beian_core::workflow::{Command, OrderState, Refusal, Rejection, Role, transition};
use beian_rules::ReasonCode;
use common::{Api, Database, beijing_individual, spawn_server};
use serde_json::json;

/// The workflow routes, the command each carries, and the body it is sent with.
fn commands() -> Vec<(&'static str, Command, Option<serde_json::Value>)> {
    let provider_rejection = Rejection {
        reasons: vec![ReasonCode::P02],
        note: "模糊 / blurred".into(),
        ..Rejection::default()
    };
    let administration_rejection = Rejection {
        reasons: vec![ReasonCode::R01],
        note: String::new(),
        ..Rejection::default()
    };
    vec![
        ("submit", Command::Submit, None),
        ("withdraw", Command::Withdraw, None),
        ("pass", Command::ProviderPass, None),
        (
            "reject",
            Command::ProviderReject(provider_rejection),
            Some(json!({"reasons": ["P02"], "note": "模糊 / blurred"})),
        ),
        ("complete-verification", Command::CompleteVerification, None),
        (
            "submit-to-administration",
            Command::SubmitToAdministration,
            None,
        ),
        ("approve", Command::AdministrationApprove, None),
        (
            "administration-reject",
            Command::AdministrationReject(administration_rejection),
            Some(json!({"reasons": ["R01"]})),
        ),
    ]
}

/// An 18-character resident ID number with its check character, distinct per `n`.
fn resident_id(n: u32) -> String {
    let first17 = format!("11010519900101{:03}", n % 1000);
    let check = beian_rules::validate::mod11_2_check(first17.as_bytes()).unwrap();
    format!("{first17}{}", check as char)
}

struct Walk {
    api: Api,
    supervisor: String,
    reviewer: String,
    administration: String,
    store: beian_store::Store,
    state: beian_server::AppState,
    n: u32,
}

/// An order of a fresh applicant, moved along the happy path until it is in `target`.
struct Order {
    id: i64,
    owner: String,
}

impl Walk {
    async fn order_in(&mut self, target: OrderState) -> Order {
        self.n += 1;
        let n = self.n;
        let login = format!("walker{n}");
        let owner = self.api.account(&self.store, &login, "applicant").await;
        let sn = self
            .api
            .service_number(&self.supervisor, &login, &owner, &format!("i-walk-{n}"))
            .await;
        let mut app = beijing_individual(&sn);
        let id_number = resident_id(n);
        let mobile = format!("1390100{n:04}");
        app["subject"]["credential"]["number"] = json!(id_number);
        for admin in ["/subject/admin", "/websites/0/admin"] {
            let admin = app.pointer_mut(admin).unwrap();
            admin["credential"]["number"] = json!(id_number);
            admin["mobile"] = json!(mobile);
        }
        app["websites"][0]["domains"] = json!([format!("walk-{n}.cn")]);
        app["websites"][0]["homepage"] = json!(format!("http://www.walk-{n}.cn"));
        let (status, o) = self
            .api
            .post(
                "/api/v1/orders",
                Some(&owner),
                Some(json!({"application": app})),
            )
            .await;
        assert_eq!(status, 201, "{o:#}");
        assert_eq!(o["report"]["summary"]["errors"], 0, "{:#}", o["report"]);
        let id = o["id"].as_i64().unwrap();
        let order = Order { id, owner };
        let path: [(OrderState, &str, &str); 3] = [
            (OrderState::Draft, "submit", "owner"),
            (OrderState::ProviderReview, "pass", "reviewer"),
            (
                OrderState::ReadyForAdministration,
                "submit-to-administration",
                "reviewer",
            ),
        ];
        let mut now = OrderState::Draft;
        while now != target {
            if target == OrderState::Withdrawn && now == OrderState::ProviderReview {
                self.step(&order, "withdraw", &order.owner.clone(), None)
                    .await;
            } else if now == OrderState::Verification {
                let o = self
                    .api
                    .verify_all(order.id, &order.owner, &self.reviewer)
                    .await;
                assert_eq!(o["state"], "ready_for_administration", "{o:#}");
            } else if now == OrderState::AdministrationReview {
                let token = self.administration.clone();
                self.step(&order, "approve", &token, None).await;
            } else {
                let (_, action, who) = path.iter().find(|(s, _, _)| *s == now).unwrap();
                let token = if *who == "owner" {
                    order.owner.clone()
                } else {
                    self.reviewer.clone()
                };
                self.step(&order, action, &token, None).await;
            }
            now = self.state_of(order.id).await;
        }
        order
    }

    async fn step(&self, o: &Order, action: &str, token: &str, body: Option<serde_json::Value>) {
        let (status, answer) = self
            .api
            .post(
                &format!("/api/v1/orders/{}/{action}", o.id),
                Some(token),
                body,
            )
            .await;
        assert_eq!(status, 200, "{action}: {answer:#}");
    }

    async fn state_of(&self, id: i64) -> OrderState {
        self.store.order(id).await.unwrap().unwrap().state
    }

    /// What the core decides for `command` by `role` on order `id`, from the stored facts.
    async fn decide(&self, id: i64, role: Role, command: &Command) -> Result<OrderState, Refusal> {
        let row = self.store.order(id).await.unwrap().unwrap();
        let app = beian_server::service::filing::application_of(&row).unwrap();
        let report =
            beian_server::service::filing::report_for(&self.state, &app, Some(id), &row.account)
                .await
                .unwrap();
        let facts = beian_server::service::filing::facts(&self.state, &row, &report);
        transition(
            row.state,
            &facts,
            role,
            command,
            time::OffsetDateTime::now_utc(),
        )
        .map(|t| t.to)
    }

    fn token(&self, role: Role, owner: &str) -> String {
        match role {
            Role::Applicant => owner.to_owned(),
            Role::Reviewer => self.reviewer.clone(),
            Role::Supervisor => self.supervisor.clone(),
            Role::Administration => self.administration.clone(),
            Role::System => unreachable!(),
        }
    }
}

fn expected_status(decision: &Result<OrderState, Refusal>) -> u16 {
    match decision {
        Ok(_) => 200,
        Err(Refusal::Forbidden { .. }) => 403,
        Err(Refusal::InvalidRejection(_)) => 422,
        Err(_) => 409,
    }
}

async fn walk(kind: &str) {
    let db = Database::new(kind, "workflow_walk").await;
    let server = spawn_server(&db.url, &["--login-burst", "1000"]);
    let api = Api::new(&server);
    let store = beian_store::Store::connect(&db.url).await.unwrap();
    let supervisor = api.account(&store, "walk-sup", "supervisor").await;
    let reviewer = api.account(&store, "walk-rev", "reviewer").await;
    let administration = api.account(&store, "walk-adm", "administration").await;
    let state = beian_server::AppState::new(store.clone()).unwrap();
    let mut w = Walk {
        api,
        supervisor,
        reviewer,
        administration,
        store,
        state,
        n: 0,
    };
    let states = [
        OrderState::Draft,
        OrderState::ProviderReview,
        OrderState::Verification,
        OrderState::ReadyForAdministration,
        OrderState::AdministrationReview,
        OrderState::Approved,
        OrderState::Withdrawn,
    ];
    let mut tried = 0;
    let mut transitions = 0;
    for from in states {
        // One order takes every refusal (nothing changes); each transition gets a fresh one.
        let shared = w.order_in(from).await;
        assert_eq!(w.state_of(shared.id).await, from);
        for (action, command, body) in commands() {
            for role in Role::ACCOUNTS {
                let decision = w.decide(shared.id, role, &command).await;
                let target = if decision.is_ok() {
                    w.order_in(from).await
                } else {
                    Order {
                        id: shared.id,
                        owner: shared.owner.clone(),
                    }
                };
                let token = w.token(role, &target.owner);
                let (status, answer) = w
                    .api
                    .post(
                        &format!("/api/v1/orders/{}/{action}", target.id),
                        Some(&token),
                        body.clone(),
                    )
                    .await;
                let what = format!("{action} by {role:?} in {from:?}: core says {decision:?}");
                assert_eq!(status, expected_status(&decision), "{what}: {answer:#}");
                if let Ok(to) = decision {
                    assert_eq!(w.state_of(target.id).await, to, "{what}");
                    transitions += 1;
                } else {
                    assert!(
                        answer["type"].as_str().is_some(),
                        "{what}: not problem+json: {answer:#}"
                    );
                    assert_eq!(w.state_of(shared.id).await, from, "{what}: the order moved");
                }
                tried += 1;
            }
        }
    }
    assert_eq!(
        tried,
        states.len() * commands().len() * Role::ACCOUNTS.len()
    );
    assert!(transitions >= 10, "only {transitions} transitions walked");
    drop(w);
    drop(server);
    db.drop_it().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_state_command_and_role_answers_as_the_core_decides_sqlite() {
    walk("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_state_command_and_role_answers_as_the_core_decides_postgres() {
    if common::skip_postgres() {
        return;
    }
    walk("postgres").await;
}
