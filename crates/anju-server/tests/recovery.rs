//! Recovery over HTTP on both backends: a disaster declared, houses assessed and the
//! overview moving, an appeal answered by a different assessor, a case through all its
//! gates via the items' transitions with tranches released by inspections and paid, and
//! an archived house leaving the figures.

use anju_server::AppState;
use anju_testdb::world::{World, build};
use anju_testdb::{backends, fresh_store};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

struct Http {
    base: String,
    http: reqwest::Client,
    tokens: std::collections::HashMap<&'static str, String>,
}

impl Http {
    async fn call(
        &self,
        who: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.tokens[who]);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let r = r.send().await.expect("send");
        let s = r.status();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    async fn ok(&self, who: &str, method: Method, path: &str, body: Option<Value>) -> Value {
        let (s, v) = self.call(who, method.clone(), path, body).await;
        assert!(s.is_success(), "{who} {method} {path}: {s} {v}");
        v
    }
}

async fn setup(b: anju_store::Backend) -> (Http, World) {
    let store = fresh_store(b).await;
    let w = build(&store, |p| {
        anju_server::auth::hash_password_blocking(p).expect("hash")
    })
    .await;
    let addr = anju_server::spawn("127.0.0.1:0", AppState::new(store))
        .await
        .expect("spawn");
    let mut h = Http {
        base: format!("http://{addr}"),
        http: reqwest::Client::new(),
        tokens: Default::default(),
    };
    for name in [
        "city_leader",
        "wz_leader",
        "gst_staff",
        "gst_leader",
        "df_cadre",
        "fl_leader",
        "wz_viewer",
    ] {
        let p = w.person(name);
        let r = h
            .http
            .post(format!("{}/api/v1/auth/login", h.base))
            .json(&json!({"username": p.username, "password": p.password}))
            .send()
            .await
            .expect("login");
        let v: Value = r.json().await.expect("json");
        h.tokens
            .insert(name, v["token"].as_str().expect("token").to_owned());
    }
    (h, w)
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

async fn house(h: &Http, address: &str) -> String {
    let hh = h
        .ok(
            "wz_leader",
            Method::POST,
            "/api/v1/households",
            Some(json!({
                "area": "500101001001", "address": address, "head_name": "李大山",
                "members": [{"name": "李大山", "sex": "male", "birth_date": "1956-03-02"}]
            })),
        )
        .await;
    let v = h
        .ok(
            "wz_leader",
            Method::POST,
            "/api/v1/houses",
            Some(json!({
                "area": "500101001001", "address": address, "lon": 108.41, "lat": 30.79,
                "structure": "brick_wood", "floors": 2, "rooms": 5, "owner_household_id": hh["id"]
            })),
        )
        .await;
    id(&v)
}

/// Passes an item: the owner accepts, starts and submits with a note; the verifier verifies.
async fn pass(h: &Http, item: &str, owner: &str, verifier: &str) -> (StatusCode, Value) {
    let path = format!("/api/v1/items/{item}/transitions");
    for (a, note) in [
        ("accept", None),
        ("start", None),
        ("submit", Some("现场核实，照片已上传")),
    ] {
        h.ok(
            owner,
            Method::POST,
            &path,
            Some(json!({"action": a, "note": note})),
        )
        .await;
    }
    h.call(
        verifier,
        Method::POST,
        &path,
        Some(json!({"action": "verify"})),
    )
    .await
}

#[tokio::test]
async fn recovery_end_to_end_over_http() {
    for b in backends() {
        let (h, _w) = setup(b).await;
        let declare = json!({
            "name": "2023年7月万州等地暴雨洪涝", "hazard": "rainstorm_flood", "started_on": "2023-07-03",
            "ended_on": "2023-07-05", "area": "50", "affected": ["500101", "500102"], "target_move_in": "2099-02-10"
        });
        let (s, _) = h
            .call(
                "df_cadre",
                Method::POST,
                "/api/v1/disasters",
                Some(declare.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "a village cadre does not declare");
        let (s, p) = h
            .call("city_leader", Method::POST, "/api/v1/disasters", Some(json!({
                "name": "x", "hazard": "rainstorm_flood", "started_on": "2023-07-03", "area": "50",
                "target_move_in": "2023-01-01", "affected": ["510101"]
            })))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<&str> = p["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .filter_map(|e| e["field"].as_str())
            .collect();
        assert_eq!(fields, ["target_move_in", "affected[0]"], "{p}");
        let d = h
            .ok(
                "city_leader",
                Method::POST,
                "/api/v1/disasters",
                Some(declare),
            )
            .await;
        let did = id(&d);
        assert_eq!(d["schedule"]["moved_in"], "2099-02-10");
        // Wanzhou sees the municipal disaster; its overview is Wanzhou's.
        let list = h
            .ok("gst_staff", Method::GET, "/api/v1/disasters", None)
            .await;
        assert_eq!(list.as_array().map(Vec::len), Some(1));
        let o = h
            .ok(
                "wz_leader",
                Method::GET,
                &format!("/api/v1/disasters/{did}/overview"),
                None,
            )
            .await;
        assert_eq!(o["area"]["code"], "500101");
        assert_eq!(o["totals"]["houses_assessed"], 0);

        let h1 = house(&h, "高笋塘街道东方广场社区1组8号").await;
        let h2 = house(&h, "高笋塘街道东方广场社区2组3号").await;
        let url = format!("/api/v1/disasters/{did}/assessments");
        let (s, p) = h
            .call("gst_staff", Method::POST, &url, Some(json!({
                "house_id": h1, "outcome": "D", "rooms_collapsed": 4, "rooms_damaged": 3, "assessed_on": "2023-07-08"
            })))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
        assert_eq!(p["errors"][0]["field"], "rooms_damaged", "{p}");
        let a1 = h
            .ok("gst_staff", Method::POST, &url, Some(json!({
                "house_id": h1, "outcome": "D", "rooms_collapsed": 2, "rooms_damaged": 2, "assessed_on": "2023-07-08",
                "note": "承重墙倒塌"
            })))
            .await;
        assert_eq!(
            (
                a1["version"].as_i64(),
                a1["ems98"].as_i64(),
                a1["fema"].as_str()
            ),
            (Some(1), Some(5), Some("destroyed"))
        );
        let case_id = a1["case_id"]
            .as_str()
            .expect("a D house opens a case")
            .to_owned();
        let o = h
            .ok(
                "wz_leader",
                Method::GET,
                &format!("/api/v1/disasters/{did}/overview"),
                None,
            )
            .await;
        assert_eq!(
            (
                o["totals"]["grade"]["d"].as_i64(),
                o["totals"]["cases"].as_i64()
            ),
            (Some(1), Some(1)),
            "{o}"
        );
        assert_eq!(o["children"][0]["code"], "500101001");
        assert_eq!(o["children"][0]["figures"]["rooms_collapsed"], 2);
        let dmg = h
            .ok(
                "wz_leader",
                Method::GET,
                &format!("/api/v1/disasters/{did}/damage?grade=D"),
                None,
            )
            .await;
        assert_eq!(dmg["items"][0][0].as_str(), Some(h1.as_str()));
        assert_eq!(dmg["items"][0][3], "D");

        // An appeal, answered by a different assessor only.
        let a2 = h
            .ok(
                "gst_staff",
                Method::POST,
                &url,
                Some(json!({
                    "house_id": h2, "outcome": "C", "rooms_damaged": 2, "assessed_on": "2023-07-09"
                })),
            )
            .await;
        let appeal = h
            .ok(
                "df_cadre",
                Method::POST,
                &format!("/api/v1/assessments/{}/appeal", id(&a2)),
                Some(json!({"reason": "户主认为评定过重"})),
            )
            .await;
        assert_eq!(appeal["kind"], "reassessment");
        let answer = json!({"house_id": h2, "outcome": "B", "rooms_damaged": 1, "assessed_on": "2023-07-12", "answers_appeal": appeal["id"]});
        let (s, p) = h
            .call("gst_staff", Method::POST, &url, Some(answer.clone()))
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{p}");
        let v2 = h.ok("gst_leader", Method::POST, &url, Some(answer)).await;
        assert_eq!(v2["version"], 2);
        let item = h
            .ok(
                "gst_leader",
                Method::GET,
                &format!("/api/v1/items/{}", id(&appeal)),
                None,
            )
            .await;
        assert_eq!(item["state"], "submitted");
        let detail = h
            .ok(
                "gst_leader",
                Method::GET,
                &format!("/api/v1/assessments/{}", id(&a2)),
                None,
            )
            .await;
        assert_eq!(detail["versions"].as_array().map(Vec::len), Some(2));
        assert_eq!(detail["latest"], false);

        // The case through every gate; tranches are released by inspections only.
        let case_url = format!("/api/v1/cases/{case_id}");
        let (s, _) = h
            .call(
                "wz_viewer",
                Method::PATCH,
                &case_url,
                Some(json!({"amount": 1})),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = h.call("fl_leader", Method::GET, &case_url, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, p) = h
            .call(
                "gst_staff",
                Method::PATCH,
                &case_url,
                Some(json!({"plan": "palace"})),
            )
            .await;
        assert_eq!(
            (s, p["errors"][0]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("plan"))
        );
        let c = h
            .ok(
                "gst_staff",
                Method::PATCH,
                &case_url,
                Some(json!({"amount": 4_000_000})),
            )
            .await;
        assert_eq!(c["allowed"], json!(["change_plan", "change_amount"]));
        let pay = json!({"paid_on": "2023-07-10", "reference": "万财建〔2023〕8号"});
        for seq in 0..7 {
            let c = h.ok("gst_staff", Method::GET, &case_url, None).await;
            let item = c["gates"][seq]["item_id"]
                .as_str()
                .expect("open gate")
                .to_owned();
            if seq == 2 {
                let (s, p) = h
                    .call(
                        "gst_staff",
                        Method::POST,
                        &format!("{case_url}/tranches/1/payment"),
                        Some(pay.clone()),
                    )
                    .await;
                assert_eq!(
                    s,
                    StatusCode::CONFLICT,
                    "before the foundation inspection: {p}"
                );
            }
            let (s, p) = pass(&h, &item, "gst_staff", "wz_leader").await;
            assert_eq!(s, StatusCode::OK, "gate {seq}: {p}");
        }
        let c = h.ok("gst_staff", Method::GET, &case_url, None).await;
        assert_eq!(
            (c["stage"].as_str(), c["funds_released"].as_i64()),
            (Some("moved_in"), Some(4_000_000)),
            "{c}"
        );
        assert_eq!(c["tranches"][0]["amount"], 1_200_000);
        let c = h
            .ok(
                "gst_staff",
                Method::POST,
                &format!("{case_url}/tranches/1/payment"),
                Some(pay.clone()),
            )
            .await;
        assert_eq!(
            (
                c["funds_paid"].as_i64(),
                c["tranches"][0]["status"].as_str()
            ),
            (Some(1_200_000), Some("paid"))
        );
        let (s, _) = h
            .call(
                "gst_staff",
                Method::POST,
                &format!("{case_url}/tranches/1/payment"),
                Some(pay),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT);
        let cases = h
            .ok(
                "wz_leader",
                Method::GET,
                &format!("/api/v1/disasters/{did}/cases?stage=moved_in"),
                None,
            )
            .await;
        assert_eq!(cases["items"].as_array().map(Vec::len), Some(1));
        let o = h
            .ok(
                "city_leader",
                Method::GET,
                &format!("/api/v1/disasters/{did}/overview"),
                None,
            )
            .await;
        assert_eq!(
            (
                o["totals"]["moved_in"].as_i64(),
                o["totals"]["funds_paid"].as_i64()
            ),
            (Some(1), Some(1_200_000))
        );

        // The house archived: its figures drop; restored: they return.
        h.ok(
            "wz_leader",
            Method::DELETE,
            &format!("/api/v1/houses/{h1}"),
            None,
        )
        .await;
        let o = h
            .ok(
                "city_leader",
                Method::GET,
                &format!("/api/v1/disasters/{did}/overview"),
                None,
            )
            .await;
        assert_eq!(
            (
                o["totals"]["houses_assessed"].as_i64(),
                o["totals"]["cases"].as_i64(),
                o["totals"]["funds_paid"].as_i64()
            ),
            (Some(1), Some(0), Some(0)),
            "{o}"
        );
        h.ok(
            "wz_leader",
            Method::POST,
            &format!("/api/v1/houses/{h1}/restore"),
            None,
        )
        .await;
        let o = h
            .ok(
                "city_leader",
                Method::GET,
                &format!("/api/v1/disasters/{did}/overview"),
                None,
            )
            .await;
        assert_eq!(
            (
                o["totals"]["houses_assessed"].as_i64(),
                o["totals"]["moved_in"].as_i64()
            ),
            (Some(2), Some(1))
        );
        // Fuling's leader sees the disaster but none of Wanzhou's figures.
        let o = h
            .ok(
                "fl_leader",
                Method::GET,
                &format!("/api/v1/disasters/{did}/overview?area=50"),
                None,
            )
            .await;
        assert_eq!(
            (
                o["area"]["code"].as_str(),
                o["totals"]["houses_assessed"].as_i64()
            ),
            (Some("500102"), Some(0))
        );
        let (s, _) = h
            .call(
                "fl_leader",
                Method::GET,
                &format!("/api/v1/disasters/{did}/overview?area=500101"),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
}
