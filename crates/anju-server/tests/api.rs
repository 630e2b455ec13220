//! The HTTP API end to end: the real server on port 0, real HTTP, each backend.

use anju_core::{AreaCode, Clock, GeoPoint, Role, Scope};
use anju_server::AppState;
use anju_store::{AreaSeed, Backend, BoundarySeed, NewUser, Store};
use anju_testdb::{backends, fresh_store_with};
use reqwest::StatusCode;
use serde_json::{Value, json};

struct App {
    base: String,
    http: reqwest::Client,
    /// An admin bound to the municipality.
    token: String,
    /// A viewer bound to the municipality: sees everything, masked.
    viewer: String,
}

impl App {
    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.get_as(&self.token, path).await
    }
    async fn get_as(&self, token: &str, path: &str) -> (StatusCode, Value) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("send");
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }
    async fn send(&self, method: reqwest::Method, path: &str, body: &Value) -> (StatusCode, Value) {
        let r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .expect("send");
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }
    async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, path, body).await
    }
}

fn seed(c: &str, zh: &str, en: &str) -> AreaSeed {
    AreaSeed {
        code: AreaCode::parse(c).expect("code"),
        name_zh: zh.into(),
        name_official: zh.into(),
        name_en: en.into(),
        point: GeoPoint::new(108.4, 30.8),
        point_approximate: c.len() > 6,
    }
}

async fn spawn(b: Backend) -> App {
    let store = fresh_store_with(b, Clock::System).await;
    store
        .upsert_areas(
            &Scope::everything(),
            &[
                seed("50", "重庆市", "Chongqing"),
                seed("500101", "万州区", "Wanzhou District"),
                seed("500101001", "高笋塘街道", "Gaosuntang Subdistrict"),
                seed(
                    "500101001001",
                    "东方广场社区",
                    "Dongfangguangchang Community",
                ),
                seed("500101001002", "乌龙池社区", "Wulongchi Community"),
                seed("500102", "涪陵区", "Fuling District"),
                seed("500102001", "敦仁街道", "Dunren Subdistrict"),
                seed("500102001001", "黄旗社区", "Huangqi Community"),
            ],
        )
        .await
        .expect("areas");
    store
        .set_boundaries(&Scope::everything(), &[BoundarySeed {
                code: AreaCode::parse("500101").expect("code"),
                geojson: json!({"type": "Feature", "properties": {"code": "500101"},
                    "geometry": {"type": "Polygon", "coordinates": [[[108.0, 30.5], [108.9, 30.5], [108.9, 31.0], [108.0, 30.5]]]}})
                .to_string(),
            }],
            "test",
        )
        .await
        .expect("boundary");
    let addr = anju_server::spawn("127.0.0.1:0", AppState::new(store.clone()))
        .await
        .expect("spawn");
    let base = format!("http://{addr}");
    let http = reqwest::Client::new();
    let token = account(&store, &http, &base, "admin", Role::Admin).await;
    let viewer = account(&store, &http, &base, "viewer", Role::Viewer).await;
    App {
        base,
        http,
        token,
        viewer,
    }
}

/// Creates a user bound to the municipality and signs in over HTTP.
async fn account(
    store: &Store,
    http: &reqwest::Client,
    base: &str,
    name: &str,
    role: Role,
) -> String {
    let password = format!("{name}-password-1");
    let hash = anju_server::auth::hash_password_blocking(&password).expect("hash");
    store
        .create_user(
            &Scope::everything(),
            &NewUser {
                username: name.into(),
                password_hash: hash,
                role,
                area: AreaCode::parse("50").expect("50"),
                officer_id: None,
            },
        )
        .await
        .expect("user");
    let r: Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": name, "password": password}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    r["token"].as_str().expect("token").to_owned()
}

fn household(area: &str) -> Value {
    json!({
        "area": area,
        "address": "东方广场社区 2 组 8 号",
        "head_name": "陈德明",
        "phone": "13912345678",
        "poverty_category": "marginal_at_risk",
        "members": [
            {"name": "陈德明", "sex": "male", "birth_date": "1950-05-06", "id_number": "500101195005060014",
             "relation": "户主", "vulnerabilities": ["elderly_alone", "disabled"]}
        ]
    })
}

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    format!(
                        "{}:{}",
                        e["field"].as_str().unwrap_or(""),
                        e["code"].as_str().unwrap_or("")
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn areas_tree_counts_and_boundaries() {
    for b in backends() {
        let app = spawn(b).await;
        let (s, city) = app.get("/api/v1/areas/50").await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(city["name_zh"], "重庆市");
        assert_eq!(city["children"], 2);
        assert_eq!(city["level"], "city");

        let (_, kids) = app.get("/api/v1/areas/500101/children").await;
        assert_eq!(kids.as_array().map(Vec::len), Some(1));
        assert_eq!(kids[0]["parent"], "500101");
        assert_eq!(kids[0]["name_en"], "Gaosuntang Subdistrict");

        let r = app
            .http
            .get(format!("{}/api/v1/areas/500101/boundary", app.base))
            .bearer_auth(&app.token)
            .send()
            .await
            .expect("send");
        assert_eq!(r.headers()["content-type"], "application/geo+json");
        let g: Value = r.json().await.expect("json");
        assert_eq!(g["geometry"]["type"], "Polygon");
        let (_, p) = app.get("/api/v1/areas/500101001001/boundary").await;
        assert_eq!(p["geometry"]["type"], "Point");
        assert_eq!(p["properties"]["approximate"], true);

        let (s, e) = app.get("/api/v1/areas/500199").await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert_eq!(e["type"], "urn:anju:problem:not-found");
        let (s, e) = app.get("/api/v1/areas/5001").await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(fields(&e), ["code:invalid_area"]);
    }
}

#[tokio::test]
async fn household_lifecycle_over_http() {
    for b in backends() {
        let app = spawn(b).await;
        let (s, h) = app
            .post("/api/v1/households", &household("500101001001"))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{h}");
        let id = h["id"].as_str().expect("id").to_owned();
        // Personal data is shown only to roles that may see it.
        assert_eq!(h["phone"], "13912345678");
        let (_, seen) = app
            .get_as(&app.viewer, &format!("/api/v1/households/{id}"))
            .await;
        assert_eq!(seen["phone"], "139****5678");
        assert_eq!(seen["members"][0]["id_number"], "500***********0014");

        let (_, d) = app.get("/api/v1/areas/500101").await;
        assert_eq!(
            (d["households"].as_i64(), d["vulnerable_people"].as_i64()),
            (Some(1), Some(1))
        );

        let (s, got) = app.get(&format!("/api/v1/households/{id}")).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(got["head_name"], "陈德明");

        let mut changed = household("500101001002");
        changed["head_name"] = json!("陈德明（已迁）");
        let (s, u) = app
            .send(
                reqwest::Method::PUT,
                &format!("/api/v1/households/{id}"),
                &changed,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{u}");
        assert_eq!(u["area"], "500101001002");

        let (s, a) = app
            .send(
                reqwest::Method::DELETE,
                &format!("/api/v1/households/{id}"),
                &json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(a["archived_at"].is_string());
        let (_, list) = app.get("/api/v1/households?area=500101").await;
        assert_eq!(list["items"].as_array().map(Vec::len), Some(0));
        let (_, list) = app
            .get("/api/v1/households?area=500101&include_archived=true")
            .await;
        assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
        let (_, d) = app.get("/api/v1/areas/500101").await;
        assert_eq!(d["households"], 0);
    }
}

#[tokio::test]
async fn validation_names_every_bad_field() {
    for b in backends() {
        let app = spawn(b).await;
        let mut h = household("500101001001");
        h["phone"] = json!("12345");
        h["members"][0]["birth_date"] = json!("2099-01-01");
        h["members"].as_array_mut().expect("members").push(json!(
            {"name": "错号", "sex": "female", "birth_date": "1980-01-01", "id_number": "500101198001010027"}
        ));
        let (s, e) = app.post("/api/v1/households", &h).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e["type"], "urn:anju:problem:validation");
        let f = fields(&e);
        assert!(f.contains(&"phone:invalid_phone".into()), "{f:?}");
        assert!(
            f.contains(&"members[0].birth_date:in_future".into()),
            "{f:?}"
        );
        assert!(
            f.contains(&"members[1].id_number:invalid_id_number".into()),
            "{f:?}"
        );

        let (s, e) = app
            .post("/api/v1/households", &household("500101001099"))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(fields(&e), ["area:unknown_area"]);

        // Nothing half-written.
        let (_, list) = app.get("/api/v1/households").await;
        assert_eq!(list["items"].as_array().map(Vec::len), Some(0));

        let r = app
            .http
            .post(format!("{}/api/v1/households", app.base))
            .bearer_auth(&app.token)
            .header("content-type", "application/json")
            .body("{\"area\": ")
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert_eq!(r.headers()["content-type"], "application/problem+json");

        let big = "x".repeat(anju_server::BODY_LIMIT + 10);
        let r = app
            .http
            .post(format!("{}/api/v1/households", app.base))
            .bearer_auth(&app.token)
            .header("content-type", "application/json")
            .body(format!("{{\"address\": \"{big}\"}}"))
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);

        let (s, e) = app.get("/api/v1/households?limit=abc").await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(e["detail"].as_str().unwrap_or("").contains("limit"), "{e}");
        let (s, e) = app.get("/api/v1/households?area=123").await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    }
}

#[tokio::test]
async fn paging_search_and_client_ids() {
    for b in backends() {
        let app = spawn(b).await;
        for i in 0..5 {
            let mut h = household(if i < 4 {
                "500101001001"
            } else {
                "500102001001"
            });
            h["head_name"] = json!(format!("户{i}"));
            assert_eq!(
                app.post("/api/v1/households", &h).await.0,
                StatusCode::CREATED
            );
        }
        let (_, p1) = app.get("/api/v1/households?area=500101&limit=3").await;
        assert_eq!(p1["items"].as_array().map(Vec::len), Some(3));
        let cursor = p1["next_cursor"].as_str().expect("cursor").to_owned();
        let (_, p2) = app
            .get(&format!(
                "/api/v1/households?area=500101&limit=3&cursor={cursor}"
            ))
            .await;
        assert_eq!(p2["items"].as_array().map(Vec::len), Some(1));
        assert!(p2["next_cursor"].is_null());

        let (_, found) = app.get("/api/v1/households?q=%E6%88%B74").await; // q=户4
        assert_eq!(found["items"].as_array().map(Vec::len), Some(1));
        assert_eq!(found["items"][0]["area"], "500102001001");

        let id = "0190a000-0000-7000-8000-000000000001";
        let mut h = household("500101001001");
        h["id"] = json!(id);
        let (s, created) = app.post("/api/v1/households", &h).await;
        assert_eq!(s, StatusCode::CREATED);
        assert_eq!(created["id"], id);
        let (s, e) = app.post("/api/v1/households", &h).await;
        assert_eq!(s, StatusCode::CONFLICT);
        assert_eq!(e["type"], "urn:anju:problem:conflict");
    }
}

#[tokio::test]
async fn units_officers_and_houses_over_http() {
    for b in backends() {
        let app = spawn(b).await;
        let (s, unit) = app
            .post("/api/v1/units", &json!({"name": "万州区应急管理局", "kind": "department", "area": "500101", "phone": "023-58221234"}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{unit}");
        let unit_id = unit["id"].as_str().expect("id").to_owned();
        let (s, area) = app
            .send(
                reqwest::Method::PATCH,
                "/api/v1/areas/500101",
                &json!({"supervising_unit_id": unit_id}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(area["supervising_unit"]["name"], "万州区应急管理局");

        let (s, off) = app
            .post(
                "/api/v1/officers",
                &json!({"name": "谭值班", "phone": "13800001234", "unit_id": unit_id,
                        "duties": [{"area": "500101", "role": "duty_officer",
                                    "shifts": [{"starts_at": "2020-01-01T00:00:00Z", "ends_at": "2100-01-01T00:00:00Z"}]}]}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{off}");
        assert_eq!(off["phone"], "13800001234");
        let (_, seen) = app
            .get_as(
                &app.viewer,
                &format!("/api/v1/officers/{}", off["id"].as_str().unwrap_or("")),
            )
            .await;
        assert_eq!(seen["phone"], "138****1234");
        let (_, duty) = app.get("/api/v1/areas/500101/duty").await;
        assert_eq!(duty["on_duty"][0], off["id"]);

        let (s, e) = app
            .post(
                "/api/v1/officers",
                &json!({"name": "无单位", "unit_id": "0190a000-0000-7000-8000-0000000000ff"}),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(fields(&e), ["unit_id:unknown_unit"]);

        let (s, house) = app
            .post("/api/v1/houses", &json!({"area": "500101001001", "lon": 108.41, "lat": 30.81, "structure": "earth_wood", "floors": 1}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{house}");
        let (_, houses) = app.get("/api/v1/houses?area=500101001").await;
        assert_eq!(houses["items"][0]["structure"], "earth_wood");
        let (_, units) = app.get("/api/v1/units?q=%E5%BA%94%E6%80%A5").await; // q=应急
        assert_eq!(units["items"].as_array().map(Vec::len), Some(1));
        let (_, offs) = app.get("/api/v1/officers?area=500101").await;
        assert_eq!(offs["items"].as_array().map(Vec::len), Some(1));
    }
}

#[tokio::test]
async fn health_readiness_and_openapi() {
    for b in backends() {
        let app = spawn(b).await;
        assert_eq!(app.get("/healthz").await.0, StatusCode::OK);
        let (s, r) = app.get("/readyz").await;
        assert_eq!((s, r["status"].as_str()), (StatusCode::OK, Some("ready")));
        let (s, doc) = app.get("/api/v1/openapi.json").await;
        assert_eq!(s, StatusCode::OK);
        let paths: Vec<&str> = doc["paths"]
            .as_object()
            .expect("paths")
            .keys()
            .map(String::as_str)
            .collect();
        for p in [
            "/api/v1/areas/{code}",
            "/api/v1/areas/{code}/children",
            "/api/v1/areas/{code}/boundary",
            "/api/v1/households",
            "/api/v1/households/{id}",
            "/api/v1/houses",
            "/api/v1/units",
            "/api/v1/officers/{id}",
            "/api/v1/openapi.json",
            "/healthz",
            "/readyz",
        ] {
            assert!(paths.contains(&p), "{p} missing from {paths:?}");
        }
        let (s, e) = app.get("/api/v1/nowhere").await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert_eq!(e["type"], "urn:anju:problem:not-found");
    }
}
