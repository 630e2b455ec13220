//! The closed loop's figures (docs/performance.md): with N open items and 5·N events,
//! how long 10,000 items falling due at once take to escalate, the city's supervision
//! table, `audit verify`, and transitions over HTTP.
//!
//! `cargo run --release -p anju-cli --example items_bench -- --db sqlite:/tmp/items.sqlite`
//! (or `--db postgres://…`, `--items 1000000`, `--clients 32`, `--secs 10`).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anju_atlas::Atlas;
use anju_core::item::NewItem;
use anju_core::item::{ItemKind, ItemSource, Priority};
use anju_core::lifecycle::Action;
use anju_core::officer::{Duty, DutyRole, Officer, Unit, UnitKind};
use anju_core::{AreaCode, AreaLevel, Clock, Role, Scope};
use anju_server::AppState;
use anju_store::{AreaSeed, HistoryStep, ItemHistory, NewUser, Store};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
const T0: i64 = 1_688_428_800_000;

struct Args {
    db: String,
    items: usize,
    due: usize,
    clients: usize,
    secs: u64,
}

fn args() -> Args {
    let mut a = Args {
        db: "sqlite:/tmp/anju-items-bench.sqlite".into(),
        items: 1_000_000,
        due: 10_000,
        clients: 32,
        secs: 10,
    };
    let v: Vec<String> = std::env::args().skip(1).collect();
    for w in v.chunks(2) {
        let val = w.get(1).cloned().unwrap_or_default();
        match w[0].as_str() {
            "--db" => a.db = val,
            "--items" => a.items = val.parse().unwrap_or(a.items),
            "--due" => a.due = val.parse().unwrap_or(a.due),
            "--clients" => a.clients = val.parse().unwrap_or(a.clients),
            "--secs" => a.secs = val.parse().unwrap_or(a.secs),
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return 0.0;
    }
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = args();
    if let Some(path) = a.db.strip_prefix("sqlite:") {
        for s in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{path}{s}"));
        }
    }
    let clock = Clock::manual(T0);
    let store = Store::open(&a.db, clock.clone()).await?;
    let all = Scope::everything();
    let atlas = Atlas::chongqing()?;
    let seeds: Vec<AreaSeed> = atlas
        .areas()
        .iter()
        .map(|x| AreaSeed {
            code: x.code,
            name_zh: x.name_zh.clone(),
            name_official: x.name_official.clone(),
            name_en: x.name_en.clone(),
            point: Some(x.point),
            point_approximate: x.point_approximate,
        })
        .collect();
    store.upsert_areas(&all, &seeds).await?;
    // A government for the city, every district and every town, with one officer each.
    let mut gov: HashMap<AreaCode, Uuid> = HashMap::new();
    let mut units = Vec::new();
    let mut officers = Vec::new();
    let mut officer_areas = Vec::new();
    let mut officer_of: HashMap<AreaCode, Uuid> = HashMap::new();
    for x in atlas
        .areas()
        .iter()
        .filter(|x| x.level() != AreaLevel::Village)
    {
        let u = Uuid::now_v7();
        gov.insert(x.code, u);
        units.push((
            u,
            Unit {
                name: format!("{}政府", x.name_zh),
                kind: UnitKind::Government,
                area: x.code,
                phone: None,
            },
        ));
        let o = Uuid::now_v7();
        officer_of.insert(x.code, o);
        officers.push((
            o,
            Officer {
                name: format!("{}干部", x.name_zh),
                phone: None,
                unit_id: u,
                title: None,
                duties: vec![Duty {
                    area: x.code,
                    role: DutyRole::Leader,
                    shifts: vec![],
                }],
            },
        ));
        officer_areas.push(x.code);
    }
    store.insert_units(&all, &units, true).await?;
    store
        .insert_officers(&all, &officers, &officer_areas, true)
        .await?;
    let towns: Vec<AreaCode> = atlas
        .areas()
        .iter()
        .filter(|x| x.level() == AreaLevel::Town)
        .map(|x| x.code)
        .collect();
    let password = "bench-password-1";
    let hash = anju_server::auth::hash_password(password.into())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let user = |name: String, role: Role, area: AreaCode| {
        let store = store.clone();
        let hash = hash.clone();
        let officer = officer_of.get(&area).copied();
        async move {
            store
                .create_user(
                    &Scope::everything(),
                    &NewUser {
                        username: name,
                        password_hash: hash,
                        role,
                        area,
                        officer_id: officer,
                    },
                )
                .await
                .map(|u| u.id)
        }
    };
    let city_user = user("bench_city".into(), Role::City, AreaCode::parse("50")?).await?;
    // Eight towns whose officers make the HTTP transitions.
    let actors: Vec<AreaCode> = towns
        .iter()
        .step_by(towns.len() / 8)
        .take(8)
        .copied()
        .collect();
    let mut actor_users = Vec::new();
    for t in &actors {
        actor_users.push(user(format!("bench_{t}"), Role::Town, *t).await?);
    }

    // N items over every town, each with five events (create, accept, start, submit,
    // return: open again); `due` of them fall due at the same moment.
    let t_due = T0 + 2 * DAY;
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let started = Instant::now();
    let mut events = 0usize;
    let batch = 20_000;
    let mut done = 0;
    while done < a.items {
        let n = batch.min(a.items - done);
        let hs: Vec<ItemHistory> = (done..done + n)
            .map(|i| {
                let town = if i < a.due {
                    actors[i % actors.len()]
                } else {
                    towns[i % towns.len()]
                };
                let district = town.parent().unwrap_or(town);
                let (due_at, created) = if i < a.due {
                    (t_due, t_due - HOUR) // reminders already past: the deadline is the next wake
                } else {
                    (T0 + 30 * DAY + rng.random_range(0..60 * DAY), T0)
                };
                let by = actor_users[i % actor_users.len()];
                let step = |action, h: i64| HistoryStep {
                    action,
                    by,
                    at: created + h * 60_000,
                    note: None,
                };
                ItemHistory {
                    id: Uuid::now_v7(),
                    item: NewItem {
                        title: "排查受损房屋".into(),
                        description: String::new(),
                        kind: ItemKind::Task,
                        source: ItemSource::Meeting,
                        source_ref: None,
                        area: town,
                        owner_unit_id: gov[&town],
                        owner_officer_id: None,
                        verifier_unit_id: gov[&district],
                        priority: Priority::Normal,
                        due_at,
                        links: vec![],
                        attachments: vec![],
                    },
                    assigner_user_id: city_user,
                    created_at: created,
                    steps: vec![
                        step(Action::Accept, 1),
                        step(Action::Start, 2),
                        HistoryStep {
                            note: Some("已排查".into()),
                            ..step(Action::Submit, 3)
                        },
                        HistoryStep {
                            note: Some("缺照片".into()),
                            ..step(Action::Return, 4)
                        },
                    ],
                }
            })
            .collect();
        events += store.load_item_histories(&all, &hs).await?;
        done += n;
        if done % 200_000 == 0 || done == a.items {
            eprintln!(
                "loaded {done} items, {events} events ({:.0} s)",
                started.elapsed().as_secs_f64()
            );
        }
    }
    store.analyze().await?;
    println!("backend: {:?}", store.backend());
    println!(
        "loaded: {} items, {events} events in {:.1} s",
        a.items,
        started.elapsed().as_secs_f64()
    );
    if let Some(path) = a.db.strip_prefix("sqlite:") {
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        println!("database file: {:.0} MiB", size as f64 / 1048576.0);
    }

    // 1. The items that fall due at one moment.
    clock.advance_ms(t_due - T0);
    let t = Instant::now();
    let run = store.run_deadlines(1000).await?;
    println!(
        "escalation: {} items escalated in {:.2} s ({} reminders)",
        run.escalated,
        t.elapsed().as_secs_f64(),
        run.reminded
    );

    // 2. `audit verify` over every item event.
    let t = Instant::now();
    let report = store.verify_items().await?;
    println!(
        "verify: {} items, {} events, {} ledger rows in {:.2} s (intact: {})",
        report.items,
        report.events,
        report.ledger_rows,
        t.elapsed().as_secs_f64(),
        report.is_intact()
    );

    // 3. The city's supervision table and transitions, over HTTP on loopback.
    let addr = anju_server::spawn("127.0.0.1:0", AppState::new(store.clone())).await?;
    let base = format!("http://{addr}");
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(a.clients)
        .build()?;
    let login = |name: String| {
        let http = http.clone();
        let base = base.clone();
        async move {
            let r: serde_json::Value = http
                .post(format!("{base}/api/v1/auth/login"))
                .json(&serde_json::json!({"username": name, "password": password}))
                .send()
                .await?
                .json()
                .await?;
            anyhow::Ok(r["token"].as_str().unwrap_or_default().to_owned())
        }
    };
    let city = login("bench_city".into()).await?;
    let mut server = Vec::new();
    let mut wall = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        let r = http
            .get(format!("{base}/api/v1/items/stats?area=50"))
            .bearer_auth(&city)
            .send()
            .await?;
        let st = server_ms(&r);
        let body: serde_json::Value = r.json().await?;
        wall.push(t.elapsed().as_secs_f64() * 1000.0);
        server.push(st);
        assert_eq!(body["rows"].as_array().map(Vec::len), Some(38));
    }
    println!(
        "stats (38 districts): p50 {:.2} ms, p99 {:.2} ms in the server; p50 {:.2} ms on the wire",
        pct(&mut server, 0.5),
        pct(&mut server, 0.99),
        pct(&mut wall, 0.5)
    );

    // Work for the transition run: the actors' returned items, each started then submitted.
    let mut queue = Vec::new();
    for (i, t) in actors.iter().enumerate() {
        let token = login(format!("bench_{t}")).await?;
        let mut cursor = None;
        loop {
            let page = store
                .list_items(
                    &all,
                    &anju_store::ItemQuery {
                        area: Some(*t),
                        state: Some(anju_core::lifecycle::ItemState::Returned),
                        limit: Some(500),
                        cursor: cursor.clone(),
                        ..Default::default()
                    },
                )
                .await?;
            for it in &page.items {
                queue.push((token.clone(), it.id, i));
            }
            match page.next_cursor {
                Some(c) if queue.len() < 400_000 => cursor = Some(c),
                _ => break,
            }
        }
    }
    rand::seq::SliceRandom::shuffle(queue.as_mut_slice(), &mut rng);
    let queue = Arc::new(queue);
    let next = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(a.secs);
    let t = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..a.clients {
        let (queue, next, http, base) = (queue.clone(), next.clone(), http.clone(), base.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut srv = Vec::new();
            let mut errors = 0usize;
            while Instant::now() < deadline {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some((token, id, _)) = queue.get(k) else {
                    break;
                };
                for body in [
                    serde_json::json!({"action": "start"}),
                    serde_json::json!({"action": "submit", "note": "补充照片"}),
                ] {
                    let t = Instant::now();
                    let r = http
                        .post(format!("{base}/api/v1/items/{id}/transitions"))
                        .bearer_auth(token)
                        .json(&body)
                        .send()
                        .await;
                    match r {
                        Ok(r) if r.status().is_success() => {
                            srv.push(server_ms(&r));
                            let _ = r.bytes().await;
                            lat.push(t.elapsed().as_secs_f64() * 1000.0);
                        }
                        _ => errors += 1,
                    }
                }
            }
            (lat, srv, errors)
        }));
    }
    let mut lat = Vec::new();
    let mut srv = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, s, e) = t.await?;
        lat.extend(l);
        srv.extend(s);
        errors += e;
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "transitions over HTTP ({} clients): {} in {:.1} s = {:.0}/s; p50 {:.1} ms, p99 {:.1} ms (server p99 {:.1} ms); {errors} errors",
        a.clients,
        lat.len(),
        secs,
        lat.len() as f64 / secs,
        pct(&mut lat, 0.5),
        pct(&mut lat, 0.99),
        pct(&mut srv, 0.99),
    );
    let report = store.verify_items().await?;
    println!("after the run: chains intact: {}", report.is_intact());
    Ok(())
}

fn server_ms(r: &reqwest::Response) -> f64 {
    r.headers()
        .get("server-timing")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("app;dur="))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}
