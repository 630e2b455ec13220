//! The demo's prevention data: settlement sites in every town (a school, village halls,
//! a tent area) and risk points in some of its villages — landslides, debris flows,
//! collapses and floods — each threatening the households nearest to it.
//!
//! Threats are taken from the houses already generated, nearest first, so no geometry
//! query runs: the whole step costs well under a second for 200,000 households.

use std::collections::HashMap;
use std::fmt;

use anju_atlas::Atlas;
use anju_core::geometry::Shape;
use anju_core::prevention::{Facility, Hazard, Risk, RiskLevel, Site, SiteStatus, SiteType};
use anju_core::{AreaCode, AreaLevel, GeoPoint, Scope};
use anju_store::Store;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

/// A generated household and its house, as the population step made them.
pub struct Home {
    pub household: Uuid,
    pub house: Uuid,
    pub village: AreaCode,
    pub point: GeoPoint,
}

pub struct Summary {
    sites: usize,
    places: i64,
    risks: usize,
    threatened: usize,
    seconds: f64,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "prevention: {} settlement sites ({} places), {} risk points threatening {} households ({:.2} s)",
            self.sites, self.places, self.risks, self.threatened, self.seconds
        )
    }
}

fn metres(a: GeoPoint, b: GeoPoint) -> i64 {
    anju_plan::haversine_m(
        anju_plan::Point::new(a.lon, a.lat),
        anju_plan::Point::new(b.lon, b.lat),
    )
}

fn jitter(rng: &mut ChaCha8Rng, p: GeoPoint, deg: f64) -> GeoPoint {
    GeoPoint::new(
        p.lon + rng.random_range(-deg..deg),
        p.lat + rng.random_range(-deg..deg),
    )
    .unwrap_or(p)
}

pub async fn build(
    store: &Store,
    atlas: &Atlas,
    homes: &[Home],
    seed: u64,
) -> anyhow::Result<Summary> {
    let started = std::time::Instant::now();
    // Its own stream, so the population of a seed stays what it was before prevention.
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5afe_5173);
    let mut by_village: HashMap<AreaCode, Vec<usize>> = HashMap::new();
    for (i, h) in homes.iter().enumerate() {
        by_village.entry(h.village).or_default().push(i);
    }
    let mut villages_of: HashMap<AreaCode, Vec<AreaCode>> = HashMap::new();
    for a in atlas.areas() {
        if a.level() == AreaLevel::Village
            && let Some(t) = a.code.parent()
        {
            villages_of.entry(t).or_default().push(a.code);
        }
    }
    let mut sites = Vec::new();
    let mut risks = Vec::new();
    let mut threats = Vec::new();
    for town in atlas
        .areas()
        .iter()
        .filter(|a| a.level() == AreaLevel::Town)
    {
        let Some(villages) = villages_of.get(&town.code) else {
            continue;
        };
        let people: usize = villages
            .iter()
            .map(|v| by_village.get(v).map_or(0, Vec::len))
            .sum::<usize>()
            * 3;
        // Places for about a fifth of the town's people: sites are sized for the
        // threatened, not for everyone.
        let school = (people / 10).clamp(80, 800) as i64;
        sites.push((
            Uuid::now_v7(),
            Site {
                area: town.code,
                name: format!(
                    "{}中心小学",
                    town.name_zh.trim_end_matches(['镇', '乡', '街', '道'])
                ),
                site_type: SiteType::School,
                point: jitter(&mut rng, town.point, 0.004),
                capacity: school,
                facilities: vec![Facility::Water, Facility::Power, Facility::Accessible],
                manager_name: "校长".into(),
                manager_phone: None,
                address: format!("{}中心", town.name_zh),
                status: SiteStatus::Open,
            },
        ));
        for v in villages.choose_multiple(&mut rng, 2) {
            let Some(va) = atlas.get(*v) else { continue };
            sites.push((
                Uuid::now_v7(),
                Site {
                    area: *v,
                    name: format!(
                        "{}村委会活动室",
                        va.name_zh.trim_end_matches(['村', '社', '区'])
                    ),
                    site_type: SiteType::VillageHall,
                    point: jitter(&mut rng, va.point, 0.003),
                    capacity: rng.random_range(40..=150),
                    facilities: vec![Facility::Water, Facility::Power],
                    manager_name: "村支书".into(),
                    manager_phone: None,
                    address: va.name_zh.clone(),
                    status: SiteStatus::Open,
                },
            ));
        }
        sites.push((
            Uuid::now_v7(),
            Site {
                area: town.code,
                name: format!("{}帐篷安置区", town.name_zh),
                site_type: SiteType::Tents,
                point: jitter(&mut rng, town.point, 0.01),
                capacity: rng.random_range(100..=300),
                facilities: vec![Facility::Water, Facility::Medical],
                manager_name: "应急办".into(),
                manager_phone: None,
                address: format!("{}广场", town.name_zh),
                status: SiteStatus::Open,
            },
        ));

        // Risk points in two villages: the households nearest to a spot on their land.
        for v in villages.choose_multiple(&mut rng, 2) {
            let Some(idx) = by_village.get(v) else {
                continue;
            };
            let Some(&centre) = idx.choose(&mut rng) else {
                continue;
            };
            let at = homes[centre].point;
            let (hazard, name) = *[
                (Hazard::Landslide, "滑坡"),
                (Hazard::Landslide, "滑坡"),
                (Hazard::DebrisFlow, "泥石流沟"),
                (Hazard::Collapse, "危岩崩塌"),
                (Hazard::Flood, "山洪沟"),
            ]
            .choose(&mut rng)
            .unwrap_or(&(Hazard::Landslide, "滑坡"));
            let mut near: Vec<(i64, usize)> = idx
                .iter()
                .map(|&i| (metres(at, homes[i].point), i))
                .collect();
            near.sort_unstable();
            near.truncate(rng.random_range(5..=40));
            let radius = near.last().map_or(100, |n| n.0.max(50) + 10);
            let id = Uuid::now_v7();
            let va = atlas.get(*v).map(|a| a.name_zh.clone()).unwrap_or_default();
            risks.push((
                id,
                Risk {
                    area: *v,
                    name: format!("{va}{name}"),
                    hazard,
                    level: *[
                        RiskLevel::Medium,
                        RiskLevel::High,
                        RiskLevel::High,
                        RiskLevel::VeryHigh,
                    ]
                    .choose(&mut rng)
                    .unwrap_or(&RiskLevel::High),
                    shape: Shape::Point(at),
                    radius_m: radius.min(20_000),
                    monitor_officer_ids: vec![],
                    note: String::new(),
                },
            ));
            threats.extend(
                near.iter()
                    .map(|&(_, i)| (id, homes[i].household, homes[i].house)),
            );
        }
    }
    store
        .seed_prevention(&Scope::everything(), &risks, &threats, &sites)
        .await?;
    Ok(Summary {
        sites: sites.len(),
        places: sites.iter().map(|s| s.1.capacity).sum(),
        risks: risks.len(),
        threatened: threats.len(),
        seconds: started.elapsed().as_secs_f64(),
    })
}
