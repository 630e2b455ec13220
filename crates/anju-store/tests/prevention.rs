//! Prevention through the store, on both backends: risks and their threatened households,
//! sites, plans that respect every capacity and keep households whole, re-plans when a
//! site closes, scope, and GeoJSON/CSV imports with every kind of bad geometry.

use std::collections::HashMap;

use anju_core::household::{House, HouseholdInput, MemberInput, StructureType, Vulnerability};
use anju_core::prevention::{Hazard, RiskInput, SiteInput};
use anju_core::{AreaCode, Clock, GeoPoint, Scope};
use anju_store::{AreaSeed, Backend, SitePatch, Store, StoreError};
use anju_testdb::{backends, fresh_store_with};
use serde_json::{Value, json};
use uuid::Uuid;

fn code(s: &str) -> AreaCode {
    AreaCode::parse(s).expect("test code")
}

fn seed(c: &str, zh: &str, lon: f64, lat: f64) -> AreaSeed {
    AreaSeed {
        code: code(c),
        name_zh: zh.into(),
        name_official: zh.into(),
        name_en: zh.into(),
        point: GeoPoint::new(lon, lat),
        point_approximate: true,
    }
}

const V1: &str = "500101001001";
const V2: &str = "500101001002";
const V3: &str = "500102001001";

async fn store(b: Backend) -> Store {
    let s = fresh_store_with(b, Clock::manual(1_795_737_600_000)).await;
    s.upsert_areas(
        &Scope::everything(),
        &[
            seed("50", "重庆市", 106.5, 29.5),
            seed("500101", "万州区", 108.4, 30.8),
            seed("500101001", "高笋塘街道", 108.4, 30.8),
            seed(V1, "东方广场社区", 108.40, 30.80),
            seed(V2, "乌龙池社区", 108.43, 30.81),
            seed("500102", "涪陵区", 107.4, 29.7),
            seed("500102001", "敦仁街道", 107.4, 29.7),
            seed(V3, "黄旗社区", 107.4, 29.7),
        ],
    )
    .await
    .expect("seed areas");
    s
}

/// A household of `size` people; `bedridden` marks its first member.
async fn household(
    s: &Store,
    area: &str,
    name: &str,
    size: usize,
    bedridden: bool,
    at: (f64, f64),
) -> Uuid {
    let input = HouseholdInput {
        area: area.into(),
        address: format!("{name}家"),
        head_name: name.into(),
        members: (0..size)
            .map(|i| MemberInput {
                name: format!("{name}{i}"),
                sex: "female".into(),
                birth_date: "1960-01-01".into(),
                vulnerabilities: if bedridden && i == 0 {
                    vec![Vulnerability::Bedridden]
                } else {
                    vec![]
                },
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    let h = input.validate(s.clock().today()).expect("valid household");
    let id = s
        .create_household(&Scope::everything(), None, &h)
        .await
        .expect("create")
        .id;
    let house = House {
        area: code(area),
        address: format!("{name}房"),
        point: GeoPoint::new(at.0, at.1).expect("point"),
        structure: StructureType::BrickWood,
        floors: 2,
        rooms: None,
        year_built: None,
        owner_household_id: Some(id),
    };
    s.insert_houses(&Scope::everything(), &[(Uuid::now_v7(), house)], true)
        .await
        .expect("house");
    id
}

fn square(lon: f64, lat: f64, d: f64) -> Value {
    json!({"type": "Polygon", "coordinates": [[[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]]})
}

async fn site(
    s: &Store,
    scope: &Scope,
    area: &str,
    name: &str,
    at: (f64, f64),
    capacity: i64,
) -> Uuid {
    let input = SiteInput {
        area: area.into(),
        name: name.into(),
        site_type: "school".into(),
        lon: at.0,
        lat: at.1,
        capacity,
        ..Default::default()
    };
    let checked = s
        .check_site(scope, 0, input.validate().expect("valid site"))
        .await
        .expect("check");
    let (site, _) = checked.expect("site inside its area");
    s.create_site(scope, None, &site)
        .await
        .expect("create site")
        .id
}

struct Town {
    households: HashMap<Uuid, i64>,
    bedridden: Vec<Uuid>,
    sites: Vec<Uuid>,
}

/// 40 households in a landslide zone in V1 and one linked by hand in V2; three near
/// sites with fewer places than people, and one 60 km away (beyond anyone's reach).
async fn town(s: &Store) -> Town {
    let all = Scope::everything();
    let mut households = HashMap::new();
    let mut bedridden = Vec::new();
    for i in 0..40 {
        let size = 1 + (i * 7) % 6;
        let bed = i % 9 == 0;
        let at = (
            108.401 + (i % 8) as f64 * 0.001,
            30.801 + (i / 8) as f64 * 0.001,
        );
        let id = household(s, V1, &format!("住户{i}"), size, bed, at).await;
        households.insert(id, size as i64);
        if bed {
            bedridden.push(id);
        }
    }
    // Outside the zone: never threatened.
    household(s, V1, "安全户", 3, false, (108.45, 30.85)).await;
    let by_hand = household(s, V2, "手工户", 2, false, (108.431, 30.811)).await;
    households.insert(by_hand, 2);

    let zone = RiskInput {
        area: V1.into(),
        name: "东方广场滑坡".into(),
        hazard: "landslide".into(),
        level: "high".into(),
        geometry: square(108.4, 30.8, 0.01),
        ..Default::default()
    };
    let (risk, repairs) = s
        .check_risk(&all, 0, &zone)
        .await
        .expect("check")
        .map_err(|_| "refused")
        .expect("valid");
    assert!(repairs.is_empty());
    let zone = s.create_risk(&all, None, &risk).await.expect("zone");
    let (zone, found) = s.compute_threats(&all, zone.id).await.expect("compute");
    assert_eq!(found, 40);
    assert_eq!(
        (zone.threatened_households, zone.unconfirmed_households),
        (0, 40)
    );
    let zone = s
        .confirm_threats(&all, zone.id, None)
        .await
        .expect("confirm");
    assert_eq!(zone.threatened_households, 40);

    let point = RiskInput {
        area: V2.into(),
        name: "乌龙池泥石流沟".into(),
        hazard: "landslide".into(),
        level: "medium".into(),
        geometry: json!({"type": "Point", "coordinates": [108.43, 30.81]}),
        radius_m: Some(50),
        ..Default::default()
    };
    let (risk, _) = s
        .check_risk(&all, 0, &point)
        .await
        .expect("check")
        .map_err(|_| "refused")
        .expect("valid");
    let point = s.create_risk(&all, None, &risk).await.expect("point");
    let point = s
        .link_threats(&all, point.id, &[by_hand])
        .await
        .expect("link");
    assert_eq!(point.threatened_households, 1);

    let people: i64 = households.values().sum();
    let sites = vec![
        site(s, &all, V1, "东方小学", (108.41, 30.79), people / 3).await,
        site(s, &all, V1, "社区活动室", (108.395, 30.805), people / 4).await,
        site(s, &all, V2, "乌龙池帐篷区", (108.42, 30.81), people / 5).await,
        // Inside the district's range but 60 km away: out of reach.
        site(s, &all, "500101001", "远处宾馆", (109.0, 31.2), 1000).await,
    ];
    Town {
        households,
        bedridden,
        sites,
    }
}

/// Checks a stored plan against the registry: every threatened household has exactly one
/// row with its whole household, placed or with a reason; no site over capacity.
async fn check_plan(
    s: &Store,
    plan: Uuid,
    t: &Town,
    capacities: &HashMap<Uuid, i64>,
) -> HashMap<Uuid, Option<Uuid>> {
    let rows = s
        .plan_households(&Scope::everything(), plan)
        .await
        .expect("rows");
    assert_eq!(
        rows.len(),
        t.households.len(),
        "every threatened household has a row"
    );
    let mut load: HashMap<Uuid, i64> = HashMap::new();
    let mut out = HashMap::new();
    for (h, site, people, reason) in rows {
        assert_eq!(Some(&people), t.households.get(&h), "households are whole");
        match site {
            Some(site) => {
                assert!(reason.is_none());
                *load.entry(site).or_default() += people;
            }
            None => assert!(
                matches!(
                    reason.as_deref(),
                    Some("capacity_exhausted" | "no_site_in_reach")
                ),
                "unplaced with a reason: {reason:?}"
            ),
        }
        assert!(out.insert(h, site).is_none(), "a household at two sites");
    }
    for (site, l) in &load {
        assert!(
            l <= &capacities[site],
            "site {site} holds {l} > {}",
            capacities[site]
        );
    }
    out
}

#[tokio::test]
async fn plans_respect_capacities_and_replan_when_a_site_closes() {
    for b in backends() {
        let s = store(b).await;
        let all = Scope::everything();
        let t = town(&s).await;
        let mut capacities = HashMap::new();
        for id in &t.sites {
            capacities.insert(*id, s.site(&all, *id).await.expect("site").capacity);
        }
        let plan = s
            .create_plan(&all, None, code("500101"), Hazard::Landslide)
            .await
            .expect("plan");
        let people: i64 = t.households.values().sum();
        assert_eq!(
            (plan.households, plan.people),
            (t.households.len() as i64, people)
        );
        assert_eq!(plan.placed_people + plan.unplaced_people, people);
        assert!(
            plan.unplaced_households > 0,
            "fewer places than people: {plan:?}"
        );
        assert!(
            plan.unplaced
                .iter()
                .all(|u| u.reason == "capacity_exhausted")
        );
        assert!(plan.flow_bound <= plan.cost);
        assert!(plan.max_distance_m > 0 && plan.max_distance_m <= 15_000);
        assert!(plan.sites.iter().all(|x| x.people <= x.capacity));
        let first = check_plan(&s, plan.id, &t, &capacities).await;
        // The bedridden go first when places are short.
        for b in &t.bedridden {
            assert!(first[b].is_some(), "bedridden household {b} unplaced");
        }
        // No plan for flood: nobody is threatened by one.
        let flood = s
            .create_plan(&all, None, code("500101"), Hazard::Flood)
            .await
            .expect("flood plan");
        assert_eq!(flood.households, 0);

        // Close the fullest site: its households move, and only as few others as needed.
        let (&closed, _) = plan
            .sites
            .iter()
            .map(|x| (&x.site_id, x.people))
            .max_by_key(|x| x.1)
            .expect("a site");
        let patch = SitePatch {
            status: Some("closed".into()),
            ..Default::default()
        };
        let (site, replanned) = s.patch_site(&all, closed, &patch).await.expect("close");
        assert_eq!(site.status.as_str(), "closed");
        let r = replanned
            .iter()
            .find(|r| r.plan_id == plan.id)
            .expect("the plan was re-planned");
        assert_eq!(r.revision, 2);
        let after = s.plan(&all, plan.id).await.expect("plan");
        assert_eq!(after.revision, 2);
        assert!(after.reason.contains("closed"), "{}", after.reason);
        assert!(after.sites.iter().all(|x| x.site_id != closed));
        let second = check_plan(&s, plan.id, &t, &capacities).await;
        let displaced = first.values().filter(|x| **x == Some(closed)).count();
        assert!(displaced > 0);
        for c in &after.changes {
            assert_eq!(second[&c.household_id], c.to_site);
            assert_eq!(first[&c.household_id], c.from_site);
        }
        // Everyone at the closed site shows up as a change; everyone else kept their site
        // unless they are listed too.
        for (h, was) in &first {
            if second[h] != *was {
                assert!(
                    after.changes.iter().any(|c| c.household_id == *h),
                    "{h} moved silently"
                );
            }
        }
        assert!(
            after
                .changes
                .iter()
                .filter(|c| c.from_site == Some(closed))
                .count()
                == displaced
        );
        // Rosters and each household's site follow the new plan.
        let (&h, &site) = second
            .iter()
            .find(|(_, s)| s.is_some())
            .expect("someone placed");
        let site = site.expect("placed");
        let roster = s.plan_roster(&all, plan.id, site).await.expect("roster");
        assert!(roster.iter().any(|e| e.household_id == h));
        assert!(roster.iter().all(|e| e.members.len() as i64 == e.people));
        let mine = s.household_sites(&all, h).await.expect("household sites");
        assert_eq!(
            mine.iter()
                .find(|m| m.plan_id == plan.id)
                .and_then(|m| m.site_id),
            Some(site)
        );

        // Re-opening plans again; the plan is at least as good as with the site closed.
        let patch = SitePatch {
            status: Some("open".into()),
            ..Default::default()
        };
        s.patch_site(&all, closed, &patch).await.expect("reopen");
        let again = s.plan(&all, plan.id).await.expect("plan");
        assert_eq!(again.revision, 3);
        assert!(again.unplaced_people <= after.unplaced_people);
        check_plan(&s, plan.id, &t, &capacities).await;

        // Scope: 涪陵's town sees none of it and cannot plan 万州.
        let fuling = Scope::area(code("500102001"), false);
        assert!(matches!(
            s.plan(&fuling, plan.id).await,
            Err(StoreError::NotFound)
        ));
        assert!(s.list_plans(&fuling, None).await.expect("list").is_empty());
        assert!(matches!(
            s.create_plan(&fuling, None, code("500101"), Hazard::Landslide)
                .await,
            Err(StoreError::OutOfScope(_))
        ));
        assert!(matches!(
            s.site(&fuling, closed).await,
            Err(StoreError::NotFound)
        ));
        // A village user asking for the district plans their village only, with its sites.
        let v2 = Scope::area(code(V2), false);
        let small = s
            .create_plan(&v2, None, code("500101"), Hazard::Landslide)
            .await
            .expect("village plan");
        assert_eq!((small.area.as_str(), small.households), (V2, 1));
        assert!(small.sites.iter().all(|x| x.name == "乌龙池帐篷区"));
        let _ = V3;
    }
}

#[tokio::test]
async fn geometry_imports_report_every_bad_feature_and_store_nothing() {
    for b in backends() {
        let s = store(b).await;
        let all = Scope::everything();
        let feature = |geometry: Value| {
            json!({"type": "Feature", "geometry": geometry,
                   "properties": {"area": V1, "name": "隐患点", "hazard": "landslide", "level": "high"}})
        };
        let bow_tie = json!({"type": "Polygon", "coordinates": [[[108.4, 30.8], [108.41, 30.81], [108.41, 30.8], [108.4, 30.81], [108.4, 30.8]]]});
        let unclosed = json!({"type": "Polygon", "coordinates": [[[108.4, 30.8], [108.41, 30.8], [108.41, 30.81], [108.4, 30.81]]]});
        let swapped = json!({"type": "Point", "coordinates": [30.8, 108.4]});
        let outside = json!({"type": "Point", "coordinates": [116.4, 39.9]});
        let good = json!({"type": "Point", "coordinates": [108.4, 30.8]});
        let mut bad_fields = feature(good.clone());
        bad_fields["properties"]["hazard"] = json!("meteor");
        let text = json!({"type": "FeatureCollection", "features": [
            feature(good.clone()), feature(bow_tie), feature(unclosed.clone()), feature(swapped.clone()),
            feature(outside), bad_fields,
        ]})
        .to_string();
        let report = s.import_risks_geojson(&all, &text).await.expect("import");
        assert_eq!(report.imported, 0);
        let errors: Vec<(usize, &str, &str)> = report
            .errors
            .iter()
            .map(|e| (e.feature, e.field.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(
            errors,
            [
                (1, "geometry", "self_intersecting"),
                (4, "geometry", "outside_area"),
                (5, "hazard", "invalid_choice")
            ]
        );
        let repaired: Vec<(usize, bool)> = report
            .repairs
            .iter()
            .map(|r| (r.feature, r.repaired))
            .collect();
        assert_eq!(repaired, [(2, true), (3, true)]);
        let none = s.list_risks(&all, &Default::default()).await.expect("list");
        assert!(none.items.is_empty(), "all or nothing");

        // The good and the repairable go in, repaired.
        let text = json!({"type": "FeatureCollection", "features": [feature(good), feature(unclosed), feature(swapped)]}).to_string();
        let report = s.import_risks_geojson(&all, &text).await.expect("import");
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(report.imported, 3);
        let stored = s
            .list_risks(&all, &Default::default())
            .await
            .expect("list")
            .items;
        assert_eq!(stored.len(), 3);
        let swapped = stored
            .iter()
            .find(|r| r.kind == "point" && r.geometry["coordinates"][0] == json!(108.4));
        assert!(swapped.is_some());
        let zone = stored.iter().find(|r| r.kind == "zone").expect("zone");
        let ring = zone.geometry["coordinates"][0].as_array().expect("ring");
        assert_eq!(ring.first(), ring.last(), "closed");
        // Out and back in: the export is an importable FeatureCollection.
        let out = s
            .export_risks_geojson(&all, &Default::default())
            .await
            .expect("export");
        assert_eq!(out["features"].as_array().map(Vec::len), Some(3));

        // Sites from GeoJSON and CSV, with their bad rows named.
        let sites = json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [108.41, 30.79]},
             "properties": {"area": V1, "name": "东方小学", "site_type": "school", "capacity": 300, "facilities": ["water", "power"]}},
            {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[108.4, 30.8], [108.41, 30.8], [108.41, 30.81], [108.4, 30.8]]]},
             "properties": {"area": V1, "name": "操场", "site_type": "tents", "capacity": 100}},
        ]})
        .to_string();
        let report = s.import_sites_geojson(&all, &sites).await.expect("sites");
        assert_eq!(report.imported, 0);
        assert_eq!(report.errors.len(), 1);
        assert_eq!(
            (report.errors[0].feature, report.errors[0].code.as_str()),
            (1, "malformed")
        );
        let csv = format!(
            "名称,区划代码,类型,经度,纬度,容量,设施,负责人,负责人电话\n\
             东方小学,{V1},school,108.41,30.79,300,water;medical,王校长,13800001111\n\
             村委会,{V1},village_hall,30.80,108.40,80,,李主任,\n"
        );
        let report = s.import_sites_csv(&all, &csv).await.expect("csv");
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(report.imported, 2);
        assert_eq!(report.repairs.len(), 1);
        assert_eq!(report.repairs[0].feature, 3, "the CSV line");
        let bad = format!(
            "名称,区划代码,类型,经度,纬度,容量\n坏,{V1},castle,108.41,30.79,-3\n远,{V1},school,116.4,39.9,10\n"
        );
        let report = s.import_sites_csv(&all, &bad).await.expect("csv");
        assert_eq!(report.imported, 0);
        let lines: Vec<(usize, &str)> = report
            .errors
            .iter()
            .map(|e| (e.feature, e.field.as_str()))
            .collect();
        assert_eq!(lines, [(2, "site_type"), (2, "capacity"), (3, "geometry")]);
        assert_eq!(
            s.list_sites(&all, &Default::default())
                .await
                .expect("sites")
                .items
                .len(),
            2
        );
        let out = s
            .export_sites_geojson(&all, &Default::default())
            .await
            .expect("export");
        assert_eq!(
            out["features"][0]["properties"]["facilities"],
            json!(["water", "medical"])
        );
    }
}
