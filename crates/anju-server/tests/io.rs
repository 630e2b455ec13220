//! Imports, exports and templates over HTTP against the real server on port 0, on both
//! backends: background jobs with progress and reports, streamed exports, masking and
//! permissions.

use std::time::Duration;

use anju_core::{AreaCode, Clock, GeoPoint, Role, Scope};
use anju_io::synth::households_csv;
use anju_server::AppState;
use anju_store::{AreaSeed, NewUser, Store};
use anju_testdb::{backends, fresh_store_with};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

const V1: &str = "500101001001";
const V2: &str = "500101001002";

fn seed(c: &str) -> AreaSeed {
    AreaSeed {
        code: AreaCode::parse(c).expect("code"),
        name_zh: c.into(),
        name_official: c.into(),
        name_en: c.into(),
        point: GeoPoint::new(108.4, 30.8),
        point_approximate: c.len() > 6,
    }
}

async fn user(store: &Store, name: &str, role: Role, area: &str) {
    let hash =
        anju_server::auth::hash_password_blocking(&format!("{name}-secret-pw")).expect("hash");
    store
        .create_user(
            &Scope::everything(),
            &NewUser {
                username: name.into(),
                password_hash: hash,
                role,
                area: AreaCode::parse(area).expect("area"),
                officer_id: None,
            },
        )
        .await
        .expect("user");
}

struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    async fn login(base: &str, name: &str) -> Client {
        let http = reqwest::Client::new();
        let v: Value = http
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"username": name, "password": format!("{name}-secret-pw")}))
            .send()
            .await
            .expect("login")
            .json()
            .await
            .expect("json");
        Client {
            http,
            base: base.to_owned(),
            token: v["token"].as_str().expect("token").to_owned(),
        }
    }

    async fn get(&self, path: &str) -> (StatusCode, Vec<u8>) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("get");
        (r.status(), r.bytes().await.expect("body").to_vec())
    }

    async fn upload(
        &self,
        kind: &str,
        name: &str,
        bytes: Vec<u8>,
        dry_run: bool,
    ) -> (StatusCode, Value) {
        let form = Form::new()
            .text("kind", kind.to_owned())
            .text("dry_run", dry_run.to_string())
            .part("file", Part::bytes(bytes).file_name(name.to_owned()));
        let r = self
            .http
            .post(format!("{}/api/v1/imports", self.base))
            .bearer_auth(&self.token)
            .multipart(form)
            .send()
            .await
            .expect("upload");
        let s = r.status();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    /// Uploads and waits for the job to finish.
    async fn import(&self, kind: &str, bytes: Vec<u8>, dry_run: bool) -> Value {
        let (s, job) = self.upload(kind, "register.csv", bytes, dry_run).await;
        assert_eq!(s, StatusCode::ACCEPTED, "{job}");
        let id = job["id"].as_str().expect("id").to_owned();
        for _ in 0..600 {
            let (s, b) = self.get(&format!("/api/v1/imports/{id}")).await;
            assert_eq!(s, StatusCode::OK);
            let v: Value = serde_json::from_slice(&b).expect("json");
            if v["status"] != "running" {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the import did not finish");
    }
}

#[tokio::test]
async fn imports_and_exports_over_http() {
    for b in backends() {
        let store = fresh_store_with(b, Clock::System).await;
        store
            .upsert_areas(
                &Scope::everything(),
                &["50", "500101", "500101001", V1, V2, "500102"].map(seed),
            )
            .await
            .expect("areas");
        user(&store, "admin", Role::Admin, "50").await;
        user(&store, "cadre", Role::Village, V1).await;
        user(&store, "viewer", Role::Viewer, "500101").await;
        let addr = anju_server::spawn("127.0.0.1:0", AppState::new(store.clone()))
            .await
            .expect("spawn");
        let base = format!("http://{addr}");
        let admin = Client::login(&base, "admin").await;

        // Templates in both formats read back as a header with no rows.
        let (s, csv) = admin
            .get("/api/v1/imports/templates/households?format=csv")
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            csv.starts_with(b"\xEF\xBB\xBF") && String::from_utf8_lossy(&csv).contains("户主姓名")
        );
        let (s, xlsx) = admin
            .get("/api/v1/imports/templates/officers?format=xlsx")
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(xlsx.starts_with(b"PK"));

        // A bad file: rejected, nothing written, every bad row in the job and the report.
        let mut bad = households_csv(&[V1, V2], 3);
        bad.push_str(&format!(
            ",Z1,{V1},x,x,,,,,x,男,1999-99-99,,,\n,Z2,500101001999,x,x,,,,,x,男,1980-01-01,,,\n"
        ));
        let job = admin.import("households", bad.into_bytes(), false).await;
        assert_eq!(job["status"], "rejected", "{job}");
        let lines: Vec<i64> = job["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| e["line"].as_i64().unwrap_or(0))
            .collect();
        assert_eq!(lines, [11, 12], "{job}");
        let (s, report) = admin
            .get(&format!(
                "/api/v1/imports/{}/report",
                job["id"].as_str().expect("id")
            ))
            .await;
        assert_eq!(s, StatusCode::OK);
        let report = String::from_utf8_lossy(&report);
        assert!(
            report.contains("错误")
                && report.contains("出生日期")
                && report.contains("unknown village code"),
            "{report}"
        );
        assert_eq!(
            store
                .household_count(&Scope::everything())
                .await
                .expect("count"),
            0
        );

        // Larger than the global 1 MiB body limit, so the import route's own limit applies.
        let good = households_csv(&[V1, V2], 5000).into_bytes();
        assert!(good.len() > 1024 * 1024);
        let plan = admin.import("households", good.clone(), true).await;
        assert_eq!(
            (
                plan["status"].as_str(),
                plan["added"].as_i64(),
                plan["dry_run"].as_bool()
            ),
            (Some("done"), Some(5000), Some(true)),
            "{plan}"
        );
        assert_eq!(
            store
                .household_count(&Scope::everything())
                .await
                .expect("count"),
            0
        );
        let done = admin.import("households", good, false).await;
        assert_eq!(
            (
                done["status"].as_str(),
                done["added"].as_i64(),
                done["done"].as_i64()
            ),
            (Some("done"), Some(5000), Some(5000)),
            "{done}"
        );
        assert_eq!(
            store
                .household_count(&Scope::everything())
                .await
                .expect("count"),
            5000
        );

        // The export streams every row back; importing it changes nothing.
        let (s, export) = admin.get("/api/v1/exports/households?area=500101").await;
        assert_eq!(s, StatusCode::OK);
        assert!(export.starts_with(b"\xEF\xBB\xBF"));
        assert_eq!(
            String::from_utf8_lossy(&export).lines().count(),
            1 + 3 * 5000
        );
        let again = admin.import("households", export, false).await;
        assert_eq!(
            (again["unchanged"].as_i64(), again["added"].as_i64()),
            (Some(5000), Some(0)),
            "{again}"
        );
        let (s, x) = admin
            .get("/api/v1/exports/households?format=xlsx&area=500101001001")
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(x.starts_with(b"PK"));

        // A viewer's export is masked; a village cadre may not export at all.
        let viewer = Client::login(&base, "viewer").await;
        let (s, masked) = viewer.get("/api/v1/exports/households").await;
        assert_eq!(s, StatusCode::FORBIDDEN, "viewers lack the export right");
        let _ = masked;
        let cadre = Client::login(&base, "cadre").await;
        let (s, _) = cadre.get("/api/v1/exports/households").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // Another user does not see the admin's jobs.
        let (s, _) = cadre
            .get(&format!(
                "/api/v1/imports/{}",
                done["id"].as_str().expect("id")
            ))
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        // A viewer may not import.
        let (s, _) = viewer
            .upload("households", "x.csv", b"a\n1\n".to_vec(), false)
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // Bad kinds and formats are named.
        let (s, _) = admin.get("/api/v1/exports/people").await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        let (s, _) = admin
            .get("/api/v1/imports/templates/units?format=pdf")
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        // The import wrote one summary audit row.
        let (_, audit) = admin.get("/api/v1/audit?limit=500").await;
        let audit: Value = serde_json::from_slice(&audit).expect("json");
        let imports = audit["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|r| r["action"] == "import")
            .count();
        assert_eq!(
            imports, 2,
            "{b:?}: one for the import, one for the re-import"
        );
    }
}
