//! Documents and verification through the real server: uploads judged by content (each accepted
//! format, a PNG named `.jpg`, and the refusals — 4 MB + 1 byte, HTML named `.png`, a truncated
//! image, a decompression bomb — each leaving nothing behind), who may upload and read, the
//! staff review, backdrop requests, mailed statements, and that an order cannot leave
//! `verification` until the required documents and the face photo are accepted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Api, Database, beijing_individual, image, spawn_server, temp_dir};
use serde_json::{Value, json};

struct Setup {
    api: Api,
    store: beian_store::Store,
    applicant: String,
    reviewer: String,
    supervisor: String,
}

impl Setup {
    async fn new(api: Api, db: &Database) -> Setup {
        let store = beian_store::Store::connect(&db.url).await.unwrap();
        Setup {
            applicant: api.account(&store, "lihua", "applicant").await,
            reviewer: api.account(&store, "rev", "reviewer").await,
            supervisor: api.account(&store, "sup", "supervisor").await,
            api,
            store,
        }
    }

    /// An individual's Beijing order, submitted and passed: in `verification`.
    async fn order_in_verification(&self, instance: &str) -> i64 {
        let api = &self.api;
        let sn = api
            .service_number(&self.supervisor, "lihua", &self.applicant, instance)
            .await;
        let app = beijing_individual(&sn);
        let (status, order) = api
            .post(
                "/api/v1/orders",
                Some(&self.applicant),
                Some(json!({"application": app})),
            )
            .await;
        assert_eq!(status, 201, "{order:#}");
        let id = order["id"].as_i64().unwrap();
        // Before provider review passes, there is nothing to upload to.
        let (status, body) = api
            .upload(
                id,
                &self.applicant,
                "subject_credential",
                None,
                None,
                "id.png",
                image("png", 8, 8),
            )
            .await;
        assert_eq!(status, 409, "{body:#}");
        let (status, o) = api
            .post(
                &format!("/api/v1/orders/{id}/submit"),
                Some(&self.applicant),
                None,
            )
            .await;
        assert_eq!(status, 200, "{o:#}");
        let (status, o) = api
            .post(
                &format!("/api/v1/orders/{id}/pass"),
                Some(&self.reviewer),
                None,
            )
            .await;
        assert_eq!((status, o["state"].as_str()), (200, Some("verification")));
        id
    }

    async fn documents(&self, id: i64, token: &str) -> Value {
        let (status, v) = self
            .api
            .get(&format!("/api/v1/orders/{id}/documents"), Some(token))
            .await;
        assert_eq!(status, 200, "{v:#}");
        v
    }

    async fn review(&self, id: i64, doc: &Value, decision: Value) -> (u16, Value) {
        self.api
            .post(
                &format!("/api/v1/orders/{id}/documents/{}/review", doc["id"]),
                Some(&self.reviewer),
                Some(decision),
            )
            .await
    }

    async fn state(&self, id: i64) -> String {
        let (_, o) = self
            .api
            .get(&format!("/api/v1/orders/{id}"), Some(&self.applicant))
            .await;
        o["state"].as_str().unwrap().to_owned()
    }
}

fn files_in(dir: &std::path::Path) -> usize {
    walk(dir)
}

fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                walk(&e.path())
            } else {
                1
            }
        })
        .sum()
}

/// A valid PNG header declaring a `width` × `height` canvas, with one tiny IDAT: a
/// decompression bomb's shape (the pixels it would need are never there).
fn png_declaring(width: u32, height: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc = crc32fast::Hasher::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.finalize().to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    // A zlib stream of a few zero bytes.
    chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01],
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

fn code_of(body: &Value) -> String {
    body["detail"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn uploads_are_judged_by_content_and_refusals_leave_nothing_behind() {
    let db = Database::new("sqlite", "uploads").await;
    let dir = temp_dir("uploads");
    let dir_arg = dir.display().to_string();
    let server = spawn_server(
        &db.url,
        &["--login-burst", "1000", "--documents-dir", &dir_arg],
    );
    let s = Setup::new(Api::new(&server), &db).await;
    let id = s.order_in_verification("i-up").await;
    let api = &s.api;

    // Each accepted format; the stored copy is re-encoded (GIF becomes PNG).
    for (format, kind, stored) in [
        ("jpeg", "subject_credential", "jpeg"),
        ("png", "website_admin_credential", "png"),
        ("gif", "authenticity_statement", "png"),
    ] {
        let (status, d) = api
            .upload(
                id,
                &s.applicant,
                kind,
                None,
                None,
                &format!("scan.{format}"),
                image(format, 40, 30),
            )
            .await;
        assert_eq!(status, 201, "{format}: {d:#}");
        assert_eq!(
            (
                d["format"].as_str(),
                d["width"].as_i64(),
                d["height"].as_i64()
            ),
            (Some(stored), Some(40), Some(30)),
            "{d:#}"
        );
        assert_eq!(d["status"], "pending");
    }
    // A PNG named .jpg is judged by its content.
    let (status, d) = api
        .upload(
            id,
            &s.applicant,
            "face_photo",
            Some(0),
            None,
            "photo.jpg",
            image("png", 20, 20),
        )
        .await;
    assert_eq!(status, 201, "{d:#}");
    assert_eq!(d["format"], "png");
    let face = d.clone();
    // The stored image is served back as what it is, never sniffed by the browser.
    let r = api
        .client
        .get(format!("{}{}", api.base, face["href"].as_str().unwrap()))
        .bearer_auth(&s.applicant)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    let body = r.bytes().await.unwrap();
    assert!(body.starts_with(b"\x89PNG\r\n\x1a\n"));
    let documents_before = s.documents(id, &s.applicant).await["documents"]
        .as_array()
        .unwrap()
        .len();
    let files_before = files_in(&dir);
    assert_eq!(files_before, 4);

    // The refusals: each a 422 naming the file and what to do, and nothing left behind.
    let mut too_big = image("png", 8, 8);
    too_big.resize(4 * 1024 * 1024 + 1, 0);
    let mut truncated = image("jpeg", 64, 64);
    truncated.truncate(truncated.len() / 2);
    let mut truncated_png = image("png", 64, 64);
    truncated_png.truncate(truncated_png.len() / 2);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("big.png", too_big, "DOCUMENT_TOO_LARGE"),
        (
            "page.png",
            b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>".to_vec(),
            "DOCUMENT_FORMAT_UNSUPPORTED",
        ),
        ("cut.jpg", truncated, "DOCUMENT_CORRUPT"),
        ("cut.png", truncated_png, "DOCUMENT_CORRUPT"),
        (
            "bomb.png",
            png_declaring(100_000, 100_000),
            "DOCUMENT_TOO_MANY_PIXELS",
        ),
    ];
    for (name, bytes, code) in cases {
        let (status, body) = api
            .upload(id, &s.applicant, "face_photo", Some(0), None, name, bytes)
            .await;
        assert_eq!(status, 422, "{name}: {body:#}");
        assert_eq!(body["path"], "file", "{name}: {body:#}");
        let detail = code_of(&body);
        assert!(detail.contains(code), "{name}: {detail}");
        assert!(
            detail
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "bilingual: {detail}"
        );
    }
    assert_eq!(files_in(&dir), files_before, "no file left behind");
    let after = s.documents(id, &s.applicant).await;
    assert_eq!(
        after["documents"].as_array().unwrap().len(),
        documents_before
    );
    // The earlier face photo is still the live one.
    let slot = after["required"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "face_photo")
        .unwrap()
        .clone();
    assert_eq!(slot["document"], face["id"]);

    // Fields are checked and named.
    let (status, body) = api
        .upload(
            id,
            &s.applicant,
            "passport_scan",
            None,
            None,
            "x.png",
            image("png", 8, 8),
        )
        .await;
    assert_eq!(
        (status, body["path"].as_str()),
        (422, Some("kind")),
        "{body:#}"
    );
    let (status, body) = api
        .upload(
            id,
            &s.applicant,
            "face_photo",
            Some(3),
            None,
            "x.png",
            image("png", 8, 8),
        )
        .await;
    assert_eq!(
        (status, body["path"].as_str()),
        (422, Some("website")),
        "{body:#}"
    );

    // Who may upload and read: the applicant only uploads; another applicant sees nothing.
    let other = api.account(&s.store, "other", "applicant").await;
    let (status, _) = api
        .upload(
            id,
            &other,
            "face_photo",
            Some(0),
            None,
            "x.png",
            image("png", 8, 8),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = api
        .get(&format!("/api/v1/orders/{id}/documents"), Some(&other))
        .await;
    assert_eq!(status, 404);
    let (status, _) = api.get(face["href"].as_str().unwrap(), Some(&other)).await;
    assert_eq!(status, 404);
    let (status, _) = api.get(face["href"].as_str().unwrap(), None).await;
    assert_eq!(status, 401);
    let (status, _) = api
        .upload(
            id,
            &s.reviewer,
            "face_photo",
            Some(0),
            None,
            "x.png",
            image("png", 8, 8),
        )
        .await;
    assert_eq!(status, 403);
    // Applicants do not review their own documents.
    let (status, _) = api
        .post(
            &format!("/api/v1/orders/{id}/documents/{}/review", face["id"]),
            Some(&s.applicant),
            Some(json!({"decision": "accept"})),
        )
        .await;
    assert_eq!(status, 403);
    // Uploads have started: the order can no longer be withdrawn.
    let (status, _) = api
        .post(
            &format!("/api/v1/orders/{id}/withdraw"),
            Some(&s.applicant),
            None,
        )
        .await;
    assert_eq!(status, 409);
    drop(server);
    db.drop_it().await;
    let _ = std::fs::remove_dir_all(&dir);
}

async fn verification_waits_for_documents(kind: &str) {
    let db = Database::new(kind, "verification").await;
    let server = spawn_server(&db.url, &["--login-burst", "1000"]);
    let s = Setup::new(Api::new(&server), &db).await;
    let id = s.order_in_verification("i-ver").await;
    let api = &s.api;
    let v = s.documents(id, &s.applicant).await;
    let kinds: Vec<&str> = v["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        vec![
            "subject_credential",
            "website_admin_credential",
            "face_photo",
            "authenticity_statement"
        ]
    );
    // Every document but the face photo, uploaded and accepted.
    for kind in [
        "subject_credential",
        "website_admin_credential",
        "authenticity_statement",
    ] {
        let (status, d) = api
            .upload(
                id,
                &s.applicant,
                kind,
                None,
                None,
                "scan.png",
                image("png", 16, 16),
            )
            .await;
        assert_eq!(status, 201, "{d:#}");
        let (status, r) = s.review(id, &d, json!({"decision": "accept"})).await;
        assert_eq!(
            (status, r["status"].as_str()),
            (200, Some("accepted")),
            "{r:#}"
        );
    }
    let (status, body) = api
        .post(
            &format!("/api/v1/orders/{id}/complete-verification"),
            Some(&s.reviewer),
            None,
        )
        .await;
    assert_eq!(status, 409, "{body:#}");
    let detail = code_of(&body);
    assert!(
        detail.contains("幕布") && detail.contains("face photo"),
        "{detail}"
    );
    assert_eq!(s.state(id).await, "verification");

    // A backdrop is posted to mainland addresses only; the applicant sees the address masked,
    // the reviewer who posts it in full.
    let (status, body) = api
        .post(
            &format!("/api/v1/orders/{id}/backdrop"),
            Some(&s.applicant),
            Some(json!({"recipient": "李华", "mobile": "13800138000", "province": "香港", "address": "九龙弥敦道100号"})),
        )
        .await;
    assert_eq!(
        (status, body["path"].as_str()),
        (422, Some("province")),
        "{body:#}"
    );
    let (status, body) = api
        .post(
            &format!("/api/v1/orders/{id}/backdrop"),
            Some(&s.applicant),
            Some(json!({"recipient": "李华", "mobile": "1380013", "province": "11", "address": "北京市海淀区中关村大街1号"})),
        )
        .await;
    assert_eq!(
        (status, body["path"].as_str()),
        (422, Some("mobile")),
        "{body:#}"
    );
    let (status, body) = api
        .post(
            &format!("/api/v1/orders/{id}/backdrop"),
            Some(&s.applicant),
            Some(json!({"recipient": "李华", "mobile": "13800138000", "province": "北京", "address": "北京市海淀区中关村大街1号"})),
        )
        .await;
    assert_eq!(status, 200, "{body:#}");
    assert_eq!(body["backdrop"]["mobile"], "138****8000");
    assert!(
        !body["backdrop"]["address"]
            .as_str()
            .unwrap()
            .contains("中关村")
    );
    let staff_view = s.documents(id, &s.reviewer).await;
    assert_eq!(staff_view["backdrop"]["mobile"], "13800138000");
    let (status, body) = api
        .post(
            &format!("/api/v1/orders/{id}/backdrop/shipped"),
            Some(&s.reviewer),
            Some(json!({"tracking": "SF1234567890"})),
        )
        .await;
    assert_eq!(status, 200, "{body:#}");
    assert_eq!(body["backdrop"]["tracking"], "SF1234567890");
    let (status, _) = api
        .post(
            &format!("/api/v1/orders/{id}/backdrop"),
            Some(&s.applicant),
            Some(json!({"recipient": "李华", "mobile": "13800138000", "province": "北京", "address": "北京市朝阳区建国路1号"})),
        )
        .await;
    assert_eq!(status, 409, "posted: the address can no longer change");

    // The reviewer asks for the mailed statements.
    let (status, body) = api
        .post(
            &format!("/api/v1/orders/{id}/statements/require"),
            Some(&s.reviewer),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body:#}");
    assert_eq!(body["statements"]["required"], true);

    // The face photo: rejected first (P01, a reason is required), then uploaded again.
    let (status, d) = api
        .upload(
            id,
            &s.applicant,
            "face_photo",
            Some(0),
            None,
            "face.jpg",
            image("jpeg", 32, 48),
        )
        .await;
    assert_eq!(status, 201, "{d:#}");
    let (status, body) = s.review(id, &d, json!({"decision": "reject"})).await;
    assert_eq!(
        (status, body["path"].as_str()),
        (422, Some("reason")),
        "{body:#}"
    );
    let (status, r) = s
        .review(
            id,
            &d,
            json!({"decision": "reject", "reason": "P01", "note": "背景不是蓝色幕布"}),
        )
        .await;
    assert_eq!(
        (status, r["status"].as_str()),
        (200, Some("rejected")),
        "{r:#}"
    );
    let (status, _) = s.review(id, &d, json!({"decision": "accept"})).await;
    assert_eq!(status, 409, "reviewed already");
    let v = s.documents(id, &s.applicant).await;
    let slot = v["required"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "face_photo")
        .unwrap()
        .clone();
    assert_eq!(
        (slot["status"].as_str(), slot["reason"].as_str()),
        (Some("rejected"), Some("P01"))
    );
    let (status, d) = api
        .upload(
            id,
            &s.applicant,
            "face_photo",
            Some(0),
            None,
            "face2.jpg",
            image("jpeg", 32, 48),
        )
        .await;
    assert_eq!(status, 201, "{d:#}");
    let (status, _) = s.review(id, &d, json!({"decision": "accept"})).await;
    assert_eq!(status, 200);
    // Every document accepted, but the mailed statements have not arrived.
    assert_eq!(s.state(id).await, "verification");
    let (status, body) = api
        .post(
            &format!("/api/v1/orders/{id}/complete-verification"),
            Some(&s.reviewer),
            None,
        )
        .await;
    assert_eq!(status, 409);
    assert!(code_of(&body).contains("mailed originals"), "{body:#}");
    let (status, body) = api
        .post(
            &format!("/api/v1/orders/{id}/statements/received"),
            Some(&s.reviewer),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body:#}");
    // The last piece moved the order on by itself (Beijing has no SMS step here).
    assert_eq!(s.state(id).await, "ready_for_administration");
    // And the applicant heard of each review.
    let (_, events) = api.get("/api/v1/events?after=0", Some(&s.applicant)).await;
    let kinds: Vec<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "document.reviewed").count(),
        5,
        "{kinds:?}"
    );
    assert!(kinds.contains(&"backdrop.shipped"), "{kinds:?}");
    drop(server);
    db.drop_it().await;
}

#[tokio::test]
async fn verification_waits_for_documents_sqlite() {
    verification_waits_for_documents("sqlite").await;
}

#[tokio::test]
async fn verification_waits_for_documents_postgres() {
    if common::skip_postgres() {
        return;
    }
    verification_waits_for_documents("postgres").await;
}

/// A crash between writing a file and recording it leaves a file no row names: the next start
/// removes it once it is ten minutes old (younger ones may be an upload in flight on another
/// instance), and never a file a document row names.
#[tokio::test]
async fn files_without_a_row_are_swept_at_start() {
    let db = Database::new("sqlite", "sweep").await;
    let dir = temp_dir("sweep");
    let dir_arg = dir.display().to_string();
    let flags = ["--login-burst", "1000", "--documents-dir", dir_arg.as_str()];
    let server = spawn_server(&db.url, &flags);
    let s = Setup::new(Api::new(&server), &db).await;
    let id = s.order_in_verification("i-sweep").await;
    let (status, kept) = s
        .api
        .upload(
            id,
            &s.applicant,
            "face_photo",
            Some(0),
            None,
            "f.png",
            image("png", 8, 8),
        )
        .await;
    assert_eq!(status, 201, "{kept:#}");
    drop(server);
    // Age every stored file, the recorded one included, and leave two orphans.
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    let old_orphan = dir.join("ab").join(format!("{}.png", "ab".repeat(16)));
    let young_orphan = dir.join("cd").join(format!("{}.png", "cd".repeat(16)));
    for orphan in [&old_orphan, &young_orphan] {
        std::fs::create_dir_all(orphan.parent().unwrap()).unwrap();
        std::fs::write(orphan, image("png", 4, 4)).unwrap();
    }
    let mut stored = Vec::new();
    for shard in std::fs::read_dir(&dir).unwrap() {
        for f in std::fs::read_dir(shard.unwrap().path()).unwrap() {
            let path = f.unwrap().path();
            if path != young_orphan {
                std::fs::File::options()
                    .write(true)
                    .open(&path)
                    .unwrap()
                    .set_modified(hour_ago)
                    .unwrap();
            }
            stored.push(path);
        }
    }
    assert_eq!(stored.len(), 3);
    let server = spawn_server(&db.url, &flags);
    // The sweep runs before the server listens.
    assert!(!old_orphan.exists(), "an old file no row names is removed");
    assert!(
        young_orphan.exists(),
        "a young one may be an upload in flight"
    );
    let r = s
        .api
        .client
        .get(format!("{}{}", server.base, kept["href"].as_str().unwrap()))
        .bearer_auth(&s.applicant)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the recorded file stays");
    drop(server);
    db.drop_it().await;
    let _ = std::fs::remove_dir_all(&dir);
}
