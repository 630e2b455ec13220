//! Benchmark of issue 10: a plan for a whole district of 100,000 threatened households,
//! end to end (loading the households and sites, the solver, storing the plan), then a
//! re-plan after closing one site (the PATCH path: reload, warm re-plan, store changes).
//!
//!   cargo run --release -p anju-store --example prevention_bench -- URL [HOUSEHOLDS]
//!
//! URL is `sqlite:PATH` (a fresh file) or a `postgres://` URL of an empty database.
//! bench/prevention/run.sh runs it on both backends.

use std::time::Instant;

use anju_core::geometry::Shape;
use anju_core::household::{
    House, Household, Member, PovertyCategory, Sex, StructureType, Vulnerability,
};
use anju_core::prevention::{Hazard, Risk, RiskLevel, Site, SiteStatus, SiteType};
use anju_core::{AreaCode, Clock, GeoPoint, Scope};
use anju_store::{AreaSeed, HouseholdSeed, SitePatch, Store};
use rand::{Rng, SeedableRng};
use uuid::Uuid;

fn code(s: &str) -> Result<AreaCode, String> {
    AreaCode::parse(s).map_err(|e| e.to_string())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .ok_or("usage: prevention_bench URL [HOUSEHOLDS]")?;
    let n: usize = args
        .next()
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(100_000);
    let store = Store::open(&url, Clock::System).await?;
    let all = Scope::everything();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(10);

    // One district (万州区-sized: ~60 × 50 km) with 40 towns of 10 villages each.
    let (lon0, lat0) = (108.0, 30.5);
    let mut areas = vec![
        AreaSeed {
            code: code("50")?,
            name_zh: "重庆市".into(),
            name_official: "重庆市".into(),
            name_en: "Chongqing".into(),
            point: GeoPoint::new(106.5, 29.5),
            point_approximate: false,
        },
        AreaSeed {
            code: code("500101")?,
            name_zh: "万州区".into(),
            name_official: "万州区".into(),
            name_en: "Wanzhou".into(),
            point: GeoPoint::new(lon0 + 0.3, lat0 + 0.25),
            point_approximate: false,
        },
    ];
    let mut villages = Vec::new();
    for t in 1..=40 {
        let town = code(&format!("500101{t:03}"))?;
        let (tx, ty) = (
            lon0 + ((t - 1) % 8) as f64 * 0.08,
            lat0 + ((t - 1) / 8) as f64 * 0.09,
        );
        areas.push(AreaSeed {
            code: town,
            name_zh: format!("{t}镇"),
            name_official: format!("{t}镇"),
            name_en: format!("Town {t}"),
            point: GeoPoint::new(tx, ty),
            point_approximate: true,
        });
        for v in 1..=10 {
            let village = code(&format!("500101{t:03}{v:03}"))?;
            let p = GeoPoint::new(
                tx + rng.random_range(-0.03..0.03),
                ty + rng.random_range(-0.03..0.03),
            );
            areas.push(AreaSeed {
                code: village,
                name_zh: format!("{t}镇{v}村"),
                name_official: format!("{t}镇{v}村"),
                name_en: format!("Village {t}-{v}"),
                point: p,
                point_approximate: true,
            });
            villages.push((village, town, p.ok_or("point")?));
        }
    }
    store.upsert_areas(&all, &areas).await?;

    // Households (1–6 people, a tenth with a vulnerable member) and their houses near
    // their village; each village has one landslide point threatening all its households.
    let started = Instant::now();
    let birth = time::macros::date!(1960 - 01 - 01);
    let mut seeds = Vec::with_capacity(10_000);
    let mut houses = Vec::with_capacity(10_000);
    let mut risks = Vec::new();
    let mut threats = Vec::with_capacity(n);
    let mut people = 0i64;
    let risk_ids: Vec<Uuid> = villages.iter().map(|_| Uuid::now_v7()).collect();
    for i in 0..n {
        let (village, _, p) = villages[i % villages.len()];
        let size = rng.random_range(1..=6usize);
        people += size as i64;
        let vulnerable = rng.random_bool(0.1);
        let members = (0..size)
            .map(|k| Member {
                name: format!("居民{i}-{k}"),
                sex: if k % 2 == 0 { Sex::Male } else { Sex::Female },
                birth_date: birth,
                id_number: None,
                relation: None,
                vulnerabilities: if vulnerable && k == 0 {
                    vec![Vulnerability::ElderlyAlone]
                } else {
                    vec![]
                },
            })
            .collect();
        let id = Uuid::now_v7();
        let house_id = Uuid::now_v7();
        seeds.push(HouseholdSeed {
            id,
            household: Household {
                area: village,
                address: format!("{i}号"),
                head_name: format!("居民{i}-0"),
                phone: None,
                responsible_officer_id: None,
                grid_officer_id: None,
                poverty_category: PovertyCategory::None,
                members,
            },
        });
        houses.push((
            house_id,
            House {
                area: village,
                address: format!("{i}号"),
                point: GeoPoint::new(
                    p.lon + rng.random_range(-0.01..0.01),
                    p.lat + rng.random_range(-0.01..0.01),
                )
                .ok_or("point")?,
                structure: StructureType::BrickWood,
                floors: 2,
                rooms: None,
                year_built: None,
                owner_household_id: Some(id),
            },
        ));
        threats.push((risk_ids[i % villages.len()], id, house_id));
        if seeds.len() == 10_000 {
            store.seed_households(&all, &seeds).await?;
            store.insert_houses(&all, &houses, true).await?;
            seeds.clear();
            houses.clear();
        }
    }
    if !seeds.is_empty() {
        store.seed_households(&all, &seeds).await?;
        store.insert_houses(&all, &houses, true).await?;
    }
    for (j, (village, _, p)) in villages.iter().enumerate() {
        risks.push((
            risk_ids[j],
            Risk {
                area: *village,
                name: format!("{j}号滑坡"),
                hazard: Hazard::Landslide,
                level: RiskLevel::High,
                shape: Shape::Point(*p),
                radius_m: 1500,
                monitor_officer_ids: vec![],
                note: String::new(),
            },
        ));
    }
    // Sites: a school and a tent area per town, a hall in every other village; places for
    // 110 % of the people, so some towns must send people to their neighbours.
    let mut sites = Vec::new();
    for (j, (village, town, p)) in villages.iter().enumerate() {
        if j % 2 == 0 {
            sites.push((
                Uuid::now_v7(),
                site(
                    *village,
                    format!("{j}村活动室"),
                    SiteType::VillageHall,
                    *p,
                    1,
                ),
            ));
        }
        if j % 10 == 0 {
            sites.push((
                Uuid::now_v7(),
                site(*town, format!("{j}中心小学"), SiteType::School, *p, 4),
            ));
            sites.push((
                Uuid::now_v7(),
                site(*town, format!("{j}帐篷区"), SiteType::Tents, *p, 3),
            ));
        }
    }
    let weight: i64 = sites.iter().map(|s| s.1.capacity).sum();
    for s in &mut sites {
        s.1.capacity = s.1.capacity * people * 11 / 10 / weight;
    }
    store
        .seed_prevention(&all, &risks, &threats, &sites)
        .await?;
    store.analyze().await?;
    println!(
        "loaded {n} households ({people} people), {} sites in {:.1} s",
        sites.len(),
        started.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let plan = store
        .create_plan(&all, None, code("500101")?, Hazard::Landslide)
        .await?;
    let plan_s = t.elapsed().as_secs_f64();
    println!(
        "plan: {} households, {} placed, {} unplaced; gap {} on bound {}; solver {} ms; end to end {:.2} s",
        plan.households,
        plan.placed_households,
        plan.unplaced_households,
        plan.gap,
        plan.flow_bound,
        plan.solve_ms,
        plan_s
    );
    let fullest = plan
        .sites
        .iter()
        .max_by_key(|s| s.people)
        .ok_or("no site used")?;
    let t = Instant::now();
    let (_, replanned) = store
        .patch_site(
            &all,
            fullest.site_id,
            &SitePatch {
                status: Some("closed".into()),
                ..Default::default()
            },
        )
        .await?;
    let replan_s = t.elapsed().as_secs_f64();
    let r = replanned.first().ok_or("no re-plan")?;
    println!(
        "replan after closing {} ({} people): {} households moved; solver {} ms; end to end {:.2} s",
        fullest.name, fullest.people, r.moved_households, r.solve_ms, replan_s
    );
    println!(
        "RESULT backend={:?} households={n} plan_s={plan_s:.3} plan_solver_ms={} replan_s={replan_s:.3} replan_solver_ms={} moved={}",
        store.backend(),
        plan.solve_ms,
        r.solve_ms,
        r.moved_households
    );
    store.close().await;
    Ok(())
}

fn site(area: AreaCode, name: String, site_type: SiteType, p: GeoPoint, weight: i64) -> Site {
    Site {
        area,
        name,
        site_type,
        point: GeoPoint {
            lon: p.lon + 0.002,
            lat: p.lat + 0.002,
        },
        capacity: weight,
        facilities: vec![],
        manager_name: String::new(),
        manager_phone: None,
        address: String::new(),
        status: SiteStatus::Open,
    }
}
