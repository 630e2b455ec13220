//! The closed loop over HTTP on both backends: items through their lifecycle with
//! idempotent retries and photo evidence, 409 with the allowed transitions, splitting,
//! reports filed and triaged, the inbox and the supervision table.

use anju_server::AppState;
use anju_testdb::world::{World, build};
use anju_testdb::{backends, fresh_store};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

struct Http {
    base: String,
    http: reqwest::Client,
}

impl Http {
    async fn call(
        &self,
        who: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
        key: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(who);
        if let Some(b) = body {
            r = r.json(&b);
        }
        if let Some(k) = key {
            r = r.header("Idempotency-Key", k);
        }
        let r = r.send().await.expect("send");
        let s = r.status();
        (s, r.json().await.unwrap_or(Value::Null))
    }
}

async fn setup(
    b: anju_store::Backend,
) -> (Http, World, std::collections::HashMap<&'static str, String>) {
    let store = fresh_store(b).await;
    let w = build(&store, |p| {
        anju_server::auth::hash_password_blocking(p).expect("hash")
    })
    .await;
    let addr = anju_server::spawn("127.0.0.1:0", AppState::new(store))
        .await
        .expect("spawn");
    let h = Http {
        base: format!("http://{addr}"),
        http: reqwest::Client::new(),
    };
    let mut tokens = std::collections::HashMap::new();
    for name in [
        "wz_leader",
        "wz_inspector",
        "gst_staff",
        "gst_duty",
        "df_cadre",
        "fl_leader",
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
        tokens.insert(name, v["token"].as_str().expect("token").to_owned());
    }
    (h, w, tokens)
}

#[tokio::test]
async fn an_item_goes_round_the_loop_over_http() {
    for b in backends() {
        let (h, w, t) = setup(b).await;
        let (s, item) = h
            .call(&t["wz_leader"], Method::POST, "/api/v1/items", Some(json!({
                "title": "排查受损房屋", "area": "500101001", "owner_unit_id": w.unit("gst_gov"),
                "verifier_unit_id": w.unit("wz_office"), "due_at": "2099-07-10T18:00:00+08:00", "source": "meeting"
            })), Some("create-1"))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b:?}: {item}");
        let id = item["id"].as_str().expect("id").to_owned();
        // The same key again: the same item, not a second one.
        let (s, again) = h
            .call(&t["wz_leader"], Method::POST, "/api/v1/items", Some(json!({
                "title": "排查受损房屋", "area": "500101001", "owner_unit_id": w.unit("gst_gov"),
                "verifier_unit_id": w.unit("wz_office"), "due_at": "2099-07-10T18:00:00+08:00", "source": "meeting"
            })), Some("create-1"))
            .await;
        assert_eq!(
            (s, again["id"].as_str()),
            (StatusCode::CREATED, Some(id.as_str()))
        );
        let tr = |a: &str| format!("/api/v1/items/{id}/transitions").replace("{a}", a);
        // What the owner may do is listed; an illegal move is 409 with the allowed list.
        let (_, v) = h
            .call(
                &t["gst_staff"],
                Method::GET,
                &format!("/api/v1/items/{id}"),
                None,
                None,
            )
            .await;
        assert_eq!(v["allowed"], json!(["accept"]), "{b:?}: {v}");
        let (s, p) = h
            .call(
                &t["gst_staff"],
                Method::POST,
                &tr("x"),
                Some(json!({"action": "verify"})),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{p}");
        assert_eq!(p["type"], "urn:anju:problem:transition-not-allowed");
        assert_eq!(p["allowed"], json!(["accept", "cancel", "reassign"]));
        for _ in 0..2 {
            let (s, v) = h
                .call(
                    &t["gst_staff"],
                    Method::POST,
                    &tr("x"),
                    Some(json!({"action": "accept"})),
                    Some("acc-1"),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
        let (s, _) = h
            .call(
                &t["gst_staff"],
                Method::POST,
                &tr("x"),
                Some(json!({"action": "start"})),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        // Photo evidence: uploaded by hash, type-checked by content.
        let up = |body: Vec<u8>, ct: &'static str| {
            let (http, base, tok) = (h.http.clone(), h.base.clone(), t["gst_staff"].clone());
            async move {
                let r = http
                    .post(format!("{base}/api/v1/attachments"))
                    .bearer_auth(tok)
                    .header("content-type", ct)
                    .header("x-filename", "%E7%85%A7%E7%89%87.jpg")
                    .body(body)
                    .send()
                    .await
                    .expect("upload");
                let s = r.status();
                (s, r.json::<Value>().await.unwrap_or(Value::Null))
            }
        };
        let (s, bad) = up(b"<script>alert(1)</script>".to_vec(), "image/jpeg").await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let (s, _) = up(vec![0xFF; 10 * 1024 * 1024 + 1], "image/jpeg").await;
        assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
        jpeg.extend_from_slice("受损房屋照片".as_bytes());
        let (s, photo) = up(jpeg.clone(), "image/jpeg").await;
        assert_eq!(s, StatusCode::CREATED, "{photo}");
        assert_eq!(photo["name"], "照片.jpg");
        let (s, v) = h
            .call(
                &t["gst_staff"],
                Method::POST,
                &tr("x"),
                Some(json!({"action": "submit", "attachments": [photo["hash"]]})),
                None,
            )
            .await;
        assert_eq!(
            (s, v["state"].as_str()),
            (StatusCode::OK, Some("submitted")),
            "{v}"
        );
        // The district's office sees the photo; the sibling district does not.
        let get = |tok: String| {
            let (http, url) = (
                h.http.clone(),
                format!(
                    "{}/api/v1/attachments/{}",
                    h.base,
                    photo["hash"].as_str().unwrap_or("")
                ),
            );
            async move { http.get(url).bearer_auth(tok).send().await.expect("get") }
        };
        let r = get(t["wz_inspector"].clone()).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["content-type"], "image/jpeg");
        assert_eq!(r.bytes().await.expect("bytes").to_vec(), jpeg);
        assert_eq!(
            get(t["fl_leader"].clone()).await.status(),
            StatusCode::NOT_FOUND
        );
        // The verifier's inbox holds it; the submitter may not verify.
        let (_, inbox) = h
            .call(&t["wz_inspector"], Method::GET, "/api/v1/inbox", None, None)
            .await;
        assert!(
            inbox["items"]
                .as_array()
                .expect("items")
                .iter()
                .any(|i| i["id"] == id.as_str()),
            "{inbox}"
        );
        assert!(
            inbox["notifications"]
                .as_array()
                .expect("n")
                .iter()
                .any(|n| n["kind"] == "submitted")
        );
        let (s, _) = h
            .call(
                &t["gst_staff"],
                Method::POST,
                &tr("x"),
                Some(json!({"action": "verify"})),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = h
            .call(
                &t["wz_inspector"],
                Method::POST,
                &tr("x"),
                Some(json!({"action": "verify", "note": "核实无误"})),
                None,
            )
            .await;
        assert_eq!(
            (s, v["state"].as_str()),
            (StatusCode::OK, Some("verified")),
            "{v}"
        );
        let (_, d) = h
            .call(
                &t["wz_leader"],
                Method::GET,
                &format!("/api/v1/items/{id}"),
                None,
                None,
            )
            .await;
        let kinds: Vec<&str> = d["events"]
            .as_array()
            .expect("events")
            .iter()
            .filter_map(|e| e["kind"].as_str())
            .collect();
        assert_eq!(
            kinds,
            ["create", "accept", "start", "submit", "verify"],
            "{b:?}"
        );
        assert_eq!(d["events"][3]["attachments"][0]["hash"], photo["hash"]);
        // The supervision table for the district.
        let (s, st) = h
            .call(
                &t["wz_leader"],
                Method::GET,
                "/api/v1/items/stats?area=500101",
                None,
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(st["total"]["verified"], 1);
        assert_eq!(st["rows"][0]["area"], "500101001");
        assert_eq!(st["rows"][0]["verified"], 1);
        let (s, _) = h
            .call(
                &t["fl_leader"],
                Method::GET,
                "/api/v1/items/stats?area=500101",
                None,
                None,
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (_, l) = h
            .call(
                &t["wz_leader"],
                Method::GET,
                "/api/v1/items?area=500101&open=false",
                None,
                None,
            )
            .await;
        assert_eq!(l["items"].as_array().map(Vec::len), Some(1));
        let (s, e) = h
            .call(
                &t["wz_leader"],
                Method::GET,
                "/api/v1/items?state=done",
                None,
                None,
            )
            .await;
        assert_eq!(
            (s, e["errors"][0]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("state"))
        );
    }
}

#[tokio::test]
async fn a_report_is_filed_once_and_triaged_into_items() {
    for b in backends() {
        let (h, w, t) = setup(b).await;
        let rid = uuid::Uuid::now_v7().to_string();
        let body = json!({"id": rid, "category": "landslide_sign", "area": "500101001001", "lon": 108.39, "lat": 30.81,
                          "description": "东方广场社区后山出现裂缝，约20米"});
        for _ in 0..2 {
            let (s, r) = h
                .call(
                    &t["df_cadre"],
                    Method::POST,
                    "/api/v1/reports",
                    Some(body.clone()),
                    None,
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{b:?}: {r}");
        }
        let (s, bad) = h.call(&t["df_cadre"], Method::POST, "/api/v1/reports", Some(json!({"category": "ufo", "area": "500101001001", "lon": 500, "lat": 30.8, "description": ""})), None).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bad["errors"].as_array().map(Vec::len), Some(3), "{bad}");
        let (_, list) = h
            .call(
                &t["gst_duty"],
                Method::GET,
                "/api/v1/reports?status=new",
                None,
                None,
            )
            .await;
        assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "{list}");
        // The town's duty officer (on the roster now) has it to triage; a cadre does not.
        let (_, inbox) = h
            .call(&t["gst_duty"], Method::GET, "/api/v1/inbox", None, None)
            .await;
        assert_eq!(inbox["reports"][0]["id"], rid.as_str(), "{inbox}");
        let triage = format!("/api/v1/reports/{rid}/triage");
        let (s, _) = h
            .call(
                &t["gst_staff"],
                Method::POST,
                &triage,
                Some(json!({"decision": "dismiss", "reason": "x"})),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, e) = h.call(&t["gst_duty"], Method::POST, &triage, Some(json!({"decision": "create_items", "items": [
            {"title": "核查裂缝并设置警示", "area": "500101001001", "owner_unit_id": w.unit("df_committee"), "verifier_unit_id": w.unit("gst_gov"), "due_at": "2020-01-01T00:00:00Z"}
        ]})), None).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e["errors"][0]["field"], "items[0].due_at", "{e}");
        let (s, r) = h.call(&t["gst_duty"], Method::POST, &triage, Some(json!({"decision": "create_items", "items": [
            {"title": "核查裂缝并设置警示", "area": "500101001001", "owner_unit_id": w.unit("df_committee"), "verifier_unit_id": w.unit("gst_gov"), "due_at": "2099-07-05T12:00:00+08:00", "priority": "urgent"}
        ]})), None).await;
        assert_eq!(
            (s, r["status"].as_str()),
            (StatusCode::OK, Some("actioned")),
            "{r}"
        );
        let item = r["item_ids"][0].as_str().expect("item").to_owned();
        let (_, v) = h
            .call(
                &t["df_cadre"],
                Method::GET,
                &format!("/api/v1/items/{item}"),
                None,
                None,
            )
            .await;
        assert_eq!(
            (v["source"].as_str(), v["kind"].as_str()),
            (Some("report"), Some("report_follow_up"))
        );
        assert_eq!(v["source_ref"], rid.as_str());
        let (_, inbox) = h
            .call(&t["df_cadre"], Method::GET, "/api/v1/inbox", None, None)
            .await;
        assert_eq!(inbox["items"][0]["id"], item.as_str(), "{inbox}");
        let (s, _) = h
            .call(
                &t["gst_duty"],
                Method::POST,
                &triage,
                Some(json!({"decision": "dismiss", "reason": "重复"})),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT);
        // Split the follow-up? A village item has no children below it to split into.
        let (s, _) = h
            .call(
                &t["df_cadre"],
                Method::POST,
                &format!("/api/v1/items/{item}/transitions"),
                Some(json!({"action": "accept"})),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let (s, p) = h.call(&t["df_cadre"], Method::POST, &format!("/api/v1/items/{item}/split"), Some(json!({"children": [
            {"area": "500101001002", "owner_unit_id": w.unit("xs_committee"), "due_at": "2099-07-05T10:00:00+08:00"}]})), None).await;
        assert_eq!(
            (s, p["errors"][0]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("not_below")),
            "{p}"
        );
    }
}

#[tokio::test]
async fn a_split_over_http_makes_one_child_per_area() {
    for b in backends() {
        let (h, w, t) = setup(b).await;
        let (_, item) = h
            .call(
                &t["wz_leader"],
                Method::POST,
                "/api/v1/items",
                Some(json!({
            "title": "转移受威胁群众", "area": "500101001", "owner_unit_id": w.unit("gst_gov"),
            "verifier_unit_id": w.unit("wz_office"), "due_at": "2099-07-10T18:00:00+08:00"})),
                None,
            )
            .await;
        let id = item["id"].as_str().expect("id").to_owned();
        h.call(
            &t["gst_staff"],
            Method::POST,
            &format!("/api/v1/items/{id}/transitions"),
            Some(json!({"action": "accept"})),
            None,
        )
        .await;
        let body = json!({"children": [
            {"area": "500101001001", "owner_unit_id": w.unit("df_committee"), "due_at": "2099-07-09T18:00:00+08:00"},
            {"area": "500101001002", "owner_unit_id": w.unit("xs_committee"), "due_at": "2099-07-09T18:00:00+08:00"}]});
        for _ in 0..2 {
            let (s, d) = h
                .call(
                    &t["gst_staff"],
                    Method::POST,
                    &format!("/api/v1/items/{id}/split"),
                    Some(body.clone()),
                    Some("split-a"),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{b:?}: {d}");
            assert_eq!(d["children"].as_array().map(Vec::len), Some(2));
            assert_eq!(d["children_total"], 2);
        }
        let (_, l) = h
            .call(
                &t["df_cadre"],
                Method::GET,
                &format!("/api/v1/items?parent={id}"),
                None,
                None,
            )
            .await;
        assert_eq!(
            l["items"].as_array().map(Vec::len),
            Some(1),
            "a village sees its own child only: {l}"
        );
    }
}
