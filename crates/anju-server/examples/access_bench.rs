//! Measures what accounts cost: sign-in latency (Argon2id m=19 MiB, t=2) and the latency
//! a session adds to an authorised request, on SQLite and, given a URL, PostgreSQL.
//!
//! `cargo run --release -p anju-server --example access_bench -- [postgres://…/db]`

use std::time::Instant;

use anju_core::household::{Household, Member, PovertyCategory, Sex};
use anju_core::{AreaCode, Clock, GeoPoint, Role, Scope};
use anju_server::AppState;
use anju_store::{AreaSeed, HouseholdSeed, ListQuery, NewUser, Store};
use serde_json::{Value, json};

fn pct(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn area(c: &str) -> AreaSeed {
    AreaSeed {
        code: AreaCode::parse(c).expect("code"),
        name_zh: c.into(),
        name_official: c.into(),
        name_en: c.into(),
        point: GeoPoint::new(108.0, 30.0),
        point_approximate: true,
    }
}

async fn seed(store: &Store) {
    let all = Scope::everything();
    let mut areas = vec![area("50")];
    let mut villages = Vec::new();
    for d in 1..=4 {
        let dc = format!("5001{d:02}");
        areas.push(area(&dc));
        for t in 1..=5 {
            let tc = format!("{dc}{t:03}");
            areas.push(area(&tc));
            for v in 1..=10 {
                let vc = format!("{tc}{v:03}");
                areas.push(area(&vc));
                villages.push(AreaCode::parse(&vc).expect("v"));
            }
        }
    }
    store.upsert_areas(&all, &areas).await.expect("areas");
    let birth = time::macros::date!(1960 - 01 - 01);
    let seeds: Vec<HouseholdSeed> = (0..20_000)
        .map(|i| HouseholdSeed {
            id: uuid::Uuid::now_v7(),
            household: Household {
                area: villages[i % villages.len()],
                address: format!("{i}号"),
                head_name: format!("户主{i}"),
                phone: None,
                responsible_officer_id: None,
                grid_officer_id: None,
                poverty_category: PovertyCategory::None,
                members: vec![Member {
                    name: format!("户主{i}"),
                    sex: Sex::Male,
                    birth_date: birth,
                    id_number: None,
                    relation: None,
                    vulnerabilities: vec![],
                }],
            },
        })
        .collect();
    store
        .seed_households(&all, &seeds)
        .await
        .expect("households");
    let hash = anju_server::auth::hash_password_blocking("bench-password-1").expect("hash");
    store
        .create_user(
            &all,
            &NewUser {
                username: "bench".into(),
                password_hash: hash,
                role: Role::District,
                area: AreaCode::parse("500101").expect("d"),
                officer_id: None,
            },
        )
        .await
        .expect("user");
}

async fn run(label: &str, url: &str) {
    let store = Store::open(url, Clock::System).await.expect("open");
    seed(&store).await;
    let addr = anju_server::spawn("127.0.0.1:0", AppState::new(store.clone()))
        .await
        .expect("spawn");
    let base = format!("http://{addr}");
    let http = reqwest::Client::new();

    let mut login = Vec::new();
    let mut token = String::new();
    for _ in 0..40 {
        let t = Instant::now();
        let v: Value = http
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"username": "bench", "password": "bench-password-1"}))
            .send()
            .await
            .expect("login")
            .json()
            .await
            .expect("json");
        login.push(t.elapsed().as_secs_f64() * 1e3);
        token = v["token"].as_str().expect("token").to_owned();
    }

    // The same page, read through HTTP with a session (server time from Server-Timing) and
    // straight from the store under the root scope.
    let url_page = format!("{base}/api/v1/households?area=500101&limit=50");
    let mut server = Vec::new();
    for i in 0..2000 {
        let r = http
            .get(&url_page)
            .bearer_auth(&token)
            .send()
            .await
            .expect("get");
        let st = r.headers()["server-timing"]
            .to_str()
            .expect("timing")
            .to_owned();
        let _ = r.bytes().await;
        if i >= 200 {
            server.push(
                st.trim_start_matches("app;dur=")
                    .parse::<f64>()
                    .expect("dur"),
            );
        }
    }
    let q = ListQuery {
        area: AreaCode::parse("500101").ok(),
        limit: Some(50),
        ..Default::default()
    };
    let mut direct = Vec::new();
    let mut lookup = Vec::new();
    let hash = anju_server::auth::token_hash(&token);
    for i in 0..2000 {
        let t = Instant::now();
        store
            .list_households(&Scope::everything(), &q)
            .await
            .expect("list");
        let d = t.elapsed().as_secs_f64() * 1e3;
        let t = Instant::now();
        store
            .session_user(&hash)
            .await
            .expect("session")
            .expect("live");
        let l = t.elapsed().as_secs_f64() * 1e3;
        if i >= 200 {
            direct.push(d);
            lookup.push(l);
        }
    }
    println!(
        "{label:<10} login p50 {:>6.1} ms p90 {:>6.1} ms | page via HTTP+session (server time) p50 {:.3} ms p99 {:.3} ms | \
         same page from the store, root scope p50 {:.3} ms p99 {:.3} ms | session lookup alone p50 {:.3} ms p99 {:.3} ms",
        pct(login.clone(), 0.5),
        pct(login, 0.9),
        pct(server.clone(), 0.5),
        pct(server, 0.99),
        pct(direct.clone(), 0.5),
        pct(direct, 0.99),
        pct(lookup.clone(), 0.5),
        pct(lookup, 0.99),
    );
}

#[tokio::main]
async fn main() {
    let dir = std::env::temp_dir().join(format!("anju-access-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    run("sqlite", &format!("sqlite:{}/bench.sqlite", dir.display())).await;
    if let Some(pg) = std::env::args().nth(1) {
        run("postgres", &pg).await;
    }
    let _ = std::fs::remove_dir_all(&dir);
}
