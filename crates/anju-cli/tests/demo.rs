//! `anju demo` end to end: the real binary builds the demo and serves it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use anju_store::Backend;
use anju_testdb::{backends, fresh_url};
use serde_json::Value;

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary with `args` and returns it with the base URL it printed.
fn start(args: &[&str]) -> (Running, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_anju"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start anju");
    let out = child.stdout.take().expect("stdout");
    let running = Running(child);
    let mut lines = BufReader::new(out).lines();
    for line in lines.by_ref() {
        let line = line.expect("line");
        if let Some(rest) = line.strip_prefix("Anju is serving on ") {
            let url = rest
                .split_whitespace()
                .next()
                .expect("url")
                .trim_end_matches('/')
                .to_owned();
            // Keep reading so the server never writes into a closed pipe.
            std::thread::spawn(move || lines.for_each(drop));
            return (running, url);
        }
    }
    panic!("anju exited without serving");
}

async fn login(base: &str, username: &str, password: &str) -> String {
    let r: Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": username, "password": password}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    r["token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token for {username}: {r}"))
        .to_owned()
}

async fn get_as(token: &str, url: &str) -> Value {
    reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json")
}

#[tokio::test]
async fn demo_builds_the_real_tree_and_serves_it() {
    for b in backends() {
        let db = match b {
            Backend::Sqlite => format!(
                "sqlite:{}/anju-tests/demo-{}.sqlite",
                std::env::temp_dir().display(),
                uuid::Uuid::now_v7()
            ),
            Backend::Postgres => fresh_url(b).await,
        };
        let (_server, base) = start(&[
            "demo",
            "--households",
            "2000",
            "--seed",
            "7",
            "--db",
            &db,
            "--listen",
            "127.0.0.1:0",
        ]);
        let token = login(&base, "city", "city-demo-7").await;
        let city = get_as(&token, &format!("{base}/api/v1/areas/50")).await;
        assert_eq!(city["name_en"], "Chongqing");
        assert_eq!(city["children"], 38, "{b:?}");
        assert_eq!(city["households"], 2000);
        let people = city["people"].as_i64().expect("people");
        assert!(
            (4000..7000).contains(&people),
            "{people} people in 2000 households"
        );
        assert!(city["supervising_unit"]["name"].is_string());

        let wanzhou = get_as(&token, &format!("{base}/api/v1/areas/500101")).await;
        assert_eq!(wanzhou["name_en"], "Wanzhou District");
        let boundary = get_as(&token, &format!("{base}/api/v1/areas/500101/boundary")).await;
        assert_eq!(boundary["geometry"]["type"], "MultiPolygon");

        // Every area has a leader, a duty officer on shift now and cadres.
        let duty = get_as(&token, &format!("{base}/api/v1/areas/500101001001/duty")).await;
        let roles: Vec<&str> = duty["officers"]
            .as_array()
            .expect("officers")
            .iter()
            .flat_map(|o| {
                o["duties"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|d| d["role"].as_str().unwrap_or(""))
            })
            .collect();
        for r in ["leader", "duty_officer", "cadre", "grid_member"] {
            assert!(roles.contains(&r), "{r} missing in {roles:?}");
        }
        assert_eq!(duty["on_duty"].as_array().map(Vec::len), Some(1));

        let page = get_as(
            &token,
            &format!("{base}/api/v1/households?area=500101&limit=5"),
        )
        .await;
        assert_eq!(page["items"].as_array().map(Vec::len), Some(5));
        let h = &page["items"][0];
        assert!(h["grid_officer_id"].is_string() && h["responsible_officer_id"].is_string());
        // A viewer sees the same households with personal data masked.
        let viewer = login(&base, "viewer", "viewer-demo-7").await;
        let masked = get_as(
            &viewer,
            &format!("{base}/api/v1/households?area=500101&limit=5"),
        )
        .await;
        let phone = masked["items"][0]["phone"]
            .as_str()
            .unwrap_or("138****0000");
        assert!(phone.contains("****"), "{phone}");
        // Every role's demo account signs in; the village cadre sees only their village.
        let village = login(&base, "dongfang", "village-demo-7").await;
        let mine = get_as(&village, &format!("{base}/api/v1/households?limit=500")).await;
        for h in mine["items"].as_array().expect("items") {
            assert_eq!(h["area"], "500101001001");
        }
        for (u, p) in [
            ("admin", "admin-demo-7"),
            ("wanzhou", "district-demo-7"),
            ("gaosuntang", "town-demo-7"),
        ] {
            login(&base, u, p).await;
        }

        // The closed loop: open, late and escalated, split and closed items across the city.
        let stats = get_as(&token, &format!("{base}/api/v1/items/stats?area=50")).await;
        let total = &stats["total"];
        assert!(total["open"].as_i64() > Some(100), "{b:?}: {total}");
        assert!(total["overdue"].as_i64() > Some(20), "{total}");
        assert!(total["verified"].as_i64() > Some(50), "{total}");
        assert_eq!(stats["rows"].as_array().map(Vec::len), Some(38));
        let escalated = get_as(&token, &format!("{base}/api/v1/items?overdue=true&limit=5")).await;
        assert!(
            escalated["items"][0]["escalation_level"].as_i64() >= Some(1),
            "{escalated}"
        );
        let split = get_as(
            &token,
            &format!("{base}/api/v1/items?area=500101&kind=task&limit=500"),
        )
        .await;
        assert!(
            split["items"]
                .as_array()
                .expect("items")
                .iter()
                .any(|i| i["children_total"].as_i64() > Some(10)),
            "no split item in 万州区"
        );
        // Work waits on the printed accounts' desks.
        let town = login(&base, "gaosuntang", "town-demo-7").await;
        let inbox = get_as(&town, &format!("{base}/api/v1/inbox")).await;
        assert!(
            inbox["items"]
                .as_array()
                .expect("items")
                .iter()
                .any(|i| i["allowed"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|x| x == "accept"))),
            "{inbox}"
        );
        let district = login(&base, "wanzhou", "district-demo-7").await;
        let inbox = get_as(&district, &format!("{base}/api/v1/inbox")).await;
        assert!(
            inbox["items"]
                .as_array()
                .expect("items")
                .iter()
                .any(|i| i["state"] == "submitted"),
            "{inbox}"
        );
        let reports = get_as(&town, &format!("{base}/api/v1/reports")).await;
        assert_eq!(reports["items"].as_array().map(Vec::len), Some(6));

        flood_is_consistent(&base, &token, &db).await;
    }
}

/// The demo's 2023 flood: declared by the city, under way at the demo's date, and every
/// maintained figure (city and each district) equal to one recomputed from the records.
async fn flood_is_consistent(base: &str, token: &str, db: &str) {
    let disasters = get_as(token, &format!("{base}/api/v1/disasters")).await;
    let flood = disasters
        .as_array()
        .expect("disasters")
        .iter()
        .find(|d| d["name"] == "2023年7月万州等地暴雨洪涝灾害")
        .unwrap_or_else(|| panic!("no flood in {disasters}"))
        .clone();
    assert_eq!(flood["area"], "50");
    assert_eq!(flood["target_move_in"], "2024-02-10");
    let id = flood["id"].as_str().expect("id");
    let o = get_as(
        token,
        &format!("{base}/api/v1/disasters/{id}/overview?area=50"),
    )
    .await;
    assert_eq!(o["as_of"], "2023-12-18", "the demo lives at its date");
    let totals = &o["totals"];
    assert!(totals["houses_assessed"].as_i64() >= Some(10), "{totals}");
    let children = o["children"].as_array().expect("children");
    assert_eq!(children.len(), 38);
    let hit: Vec<&str> = children
        .iter()
        .filter(|c| c["figures"]["houses_assessed"].as_i64() > Some(0))
        .map(|c| c["code"].as_str().unwrap_or(""))
        .collect();
    for c in &hit {
        assert!(
            ["500101", "500154", "500155", "500233", "500235", "500240"].contains(c),
            "{c} was not flooded"
        );
    }
    // Maintained against recomputed, for the city and every district.
    let store = anju_store::Store::open(db, anju_core::Clock::System)
        .await
        .expect("open the demo database");
    let disaster: uuid::Uuid = id.parse().expect("uuid");
    let mut areas = vec![("50".to_owned(), totals.clone())];
    areas.extend(children.iter().map(|c| {
        (
            c["code"].as_str().unwrap_or("").to_owned(),
            c["figures"].clone(),
        )
    }));
    for (code, maintained) in areas {
        let area = anju_core::AreaCode::parse(&code).expect("code");
        let recomputed = store
            .recovery_rollups_recomputed(disaster, area)
            .await
            .expect("recompute");
        let mut m = maintained.clone();
        m["late"] = 0.into();
        assert_eq!(
            m,
            serde_json::to_value(recomputed).expect("json"),
            "{code}: maintained figures differ from a recount"
        );
    }
    store.close().await;
}

#[tokio::test]
async fn audit_verify_finds_a_changed_item_event() {
    let dir = std::env::temp_dir().join("anju-tests");
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join(format!("verify-{}.sqlite", uuid::Uuid::now_v7()));
    let db = format!("sqlite:{}", path.display());
    let anju = env!("CARGO_BIN_EXE_anju");
    let ok = Command::new(anju)
        .args(["demo", "--households", "200", "--no-serve", "--db", &db])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("demo");
    assert!(ok.success());
    let verify = || {
        Command::new(anju)
            .args(["audit", "verify", "--db", &db])
            .output()
            .expect("verify")
    };
    let out = verify();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}");
    assert!(text.contains("every chain intact"), "{text}");
    {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
            .await
            .expect("connect");
        sqlx::raw_sql(
            "DROP TRIGGER item_events_no_update; \
             UPDATE item_events SET note = '已完成' WHERE seq = 4 AND item_id = (SELECT MIN(item_id) FROM item_events WHERE seq = 4)",
        )
        .execute(&mut c)
        .await
        .expect("tamper");
    }
    let out = verify();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!out.status.success(), "a changed event passed: {text}");
    assert!(text.contains("item histories: BROKEN"), "{text}");
    assert!(text.contains("at event 4"), "{text}");
    assert!(
        text.contains("access audit:") && text.contains("chain intact"),
        "{text}"
    );
}

#[tokio::test]
async fn same_seed_same_population() {
    let dir = std::env::temp_dir().join("anju-tests");
    std::fs::create_dir_all(&dir).expect("dir");
    let mut names = Vec::new();
    for _ in 0..2 {
        let db = format!(
            "sqlite:{}/seed-{}.sqlite",
            dir.display(),
            uuid::Uuid::now_v7()
        );
        let (_server, base) = start(&[
            "demo",
            "--households",
            "300",
            "--seed",
            "42",
            "--db",
            &db,
            "--listen",
            "127.0.0.1:0",
        ]);
        let token = login(&base, "admin", "admin-demo-42").await;
        let page = get_as(
            &token,
            &format!("{base}/api/v1/households?area=500101&limit=20"),
        )
        .await;
        let v: Vec<String> = page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|h| format!("{}|{}|{}", h["head_name"], h["address"], h["people"]))
            .collect();
        names.push(v);
    }
    assert!(!names[0].is_empty());
    assert_eq!(names[0], names[1]);
}
