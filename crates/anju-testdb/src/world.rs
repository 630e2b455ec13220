//! A small real world for closed-loop tests: part of Chongqing with its governments, a
//! supervision office, officers with duties, and accounts linked to them.
//!
//! 万州区 (500101) › 高笋塘街道 (500101001) › 东方广场社区 and 西山社区; its sibling
//! 涪陵区 (500102) holds people who must see nothing of 万州.

use std::collections::HashMap;

use anju_core::officer::{Duty, DutyRole, Officer, Shift, Unit, UnitKind};
use anju_core::{Actor, AreaCode, GeoPoint, Role, Scope};
use anju_store::{AreaSeed, NewUser, Store};
use uuid::Uuid;

/// One person: an account linked to an officer record in a unit.
#[derive(Debug, Clone)]
pub struct Person {
    pub username: String,
    pub password: String,
    pub user_id: Uuid,
    pub officer_id: Option<Uuid>,
    pub unit: Option<Uuid>,
    pub area: AreaCode,
    pub role: Role,
    pub scope: Scope,
}

#[derive(Debug, Clone)]
pub struct World {
    /// Units by short name: `city_gov`, `city_office`, `wz_gov`, `wz_office`, `gst_gov`,
    /// `df_committee`, `xs_committee`, `fl_gov`.
    pub units: HashMap<&'static str, Uuid>,
    /// People by username.
    pub people: HashMap<&'static str, Person>,
}

impl World {
    pub fn unit(&self, name: &str) -> Uuid {
        match self.units.get(name) {
            Some(u) => *u,
            None => panic!("no unit {name}"),
        }
    }

    pub fn person(&self, name: &str) -> &Person {
        match self.people.get(name) {
            Some(p) => p,
            None => panic!("no person {name}"),
        }
    }

    pub fn scope(&self, name: &str) -> Scope {
        self.person(name).scope
    }
}

fn code(c: &str) -> AreaCode {
    match AreaCode::parse(c) {
        Ok(c) => c,
        Err(e) => panic!("{c}: {e}"),
    }
}

const AREAS: &[(&str, &str, &str)] = &[
    ("50", "重庆市", "Chongqing"),
    ("500101", "万州区", "Wanzhou District"),
    ("500101001", "高笋塘街道", "Gaosuntang Subdistrict"),
    (
        "500101001001",
        "东方广场社区",
        "Dongfangguangchang Community",
    ),
    ("500101001002", "西山社区", "Xishan Community"),
    ("500102", "涪陵区", "Fuling District"),
    ("500102001", "敦仁街道", "Dunren Subdistrict"),
    ("500102001001", "黄旗社区", "Huangqi Community"),
];

const UNITS: &[(&str, &str, &str, UnitKind)] = &[
    ("city_gov", "重庆市人民政府", "50", UnitKind::Government),
    ("city_office", "重庆市督查办", "50", UnitKind::Department),
    ("wz_gov", "万州区人民政府", "500101", UnitKind::Government),
    ("wz_office", "万州区督查办", "500101", UnitKind::Department),
    (
        "gst_gov",
        "高笋塘街道办事处",
        "500101001",
        UnitKind::Government,
    ),
    (
        "df_committee",
        "东方广场社区居民委员会",
        "500101001001",
        UnitKind::VillageCommittee,
    ),
    (
        "xs_committee",
        "西山社区居民委员会",
        "500101001002",
        UnitKind::VillageCommittee,
    ),
    ("fl_gov", "涪陵区人民政府", "500102", UnitKind::Government),
];

/// (username, role, area, unit, duty)
const PEOPLE: &[(&str, Role, &str, &str, DutyRole)] = &[
    (
        "city_leader",
        Role::City,
        "50",
        "city_gov",
        DutyRole::Leader,
    ),
    (
        "city_inspector",
        Role::City,
        "50",
        "city_office",
        DutyRole::Cadre,
    ),
    (
        "wz_leader",
        Role::District,
        "500101",
        "wz_gov",
        DutyRole::Leader,
    ),
    (
        "wz_staff",
        Role::District,
        "500101",
        "wz_gov",
        DutyRole::Cadre,
    ),
    (
        "wz_inspector",
        Role::District,
        "500101",
        "wz_office",
        DutyRole::Cadre,
    ),
    (
        "gst_leader",
        Role::Town,
        "500101001",
        "gst_gov",
        DutyRole::Leader,
    ),
    (
        "gst_staff",
        Role::Town,
        "500101001",
        "gst_gov",
        DutyRole::Cadre,
    ),
    (
        "gst_duty",
        Role::Town,
        "500101001",
        "gst_gov",
        DutyRole::DutyOfficer,
    ),
    (
        "df_cadre",
        Role::Village,
        "500101001001",
        "df_committee",
        DutyRole::Cadre,
    ),
    (
        "xs_cadre",
        Role::Village,
        "500101001002",
        "xs_committee",
        DutyRole::Cadre,
    ),
    (
        "fl_leader",
        Role::District,
        "500102",
        "fl_gov",
        DutyRole::Leader,
    ),
];

/// Builds the world in an empty store. `hash` turns a password into the stored hash (the
/// server's argon2 for HTTP tests; anything for store tests).
pub async fn build(store: &Store, hash: impl Fn(&str) -> String) -> World {
    let all = Scope::everything();
    let seeds: Vec<AreaSeed> = AREAS
        .iter()
        .map(|(c, zh, en)| AreaSeed {
            code: code(c),
            name_zh: (*zh).into(),
            name_official: (*zh).into(),
            name_en: (*en).into(),
            point: GeoPoint::new(108.38, 30.81),
            point_approximate: c.len() > 6,
        })
        .collect();
    if let Err(e) = store.upsert_areas(&all, &seeds).await {
        panic!("areas: {e}");
    }
    let mut units = HashMap::new();
    let rows: Vec<(Uuid, Unit)> = UNITS
        .iter()
        .map(|(k, name, area, kind)| {
            let id = Uuid::now_v7();
            units.insert(*k, id);
            (
                id,
                Unit {
                    name: (*name).into(),
                    kind: *kind,
                    area: code(area),
                    phone: None,
                },
            )
        })
        .collect();
    if let Err(e) = store.insert_units(&all, &rows, true).await {
        panic!("units: {e}");
    }
    let supervising = [
        ("50", "city_office"),
        ("500101", "wz_office"),
        ("500101001", "gst_gov"),
        ("500101001001", "gst_gov"),
        ("500101001002", "gst_gov"),
        ("500102", "city_office"),
    ]
    .map(|(a, u)| (code(a), units[u]));
    if let Err(e) = store.set_supervising_units(&all, &supervising).await {
        panic!("supervising units: {e}");
    }
    let now = store.clock().now_ms();
    let mut officers = Vec::new();
    let mut officer_areas = Vec::new();
    let mut people = HashMap::new();
    for (name, role, area, unit, duty) in PEOPLE {
        let officer = Uuid::now_v7();
        let unit_id = units[unit];
        let unit_area = UNITS
            .iter()
            .find(|u| u.0 == *unit)
            .map(|u| code(u.2))
            .unwrap_or_else(|| code(area));
        officers.push((
            officer,
            Officer {
                name: format!("{name}干部"),
                phone: None,
                unit_id,
                title: None,
                duties: vec![Duty {
                    area: code(area),
                    role: *duty,
                    shifts: if *duty == DutyRole::DutyOfficer {
                        // On duty for years either side of now: tests move the clock.
                        vec![Shift {
                            starts_at: now - 400 * 86_400_000,
                            ends_at: now + 400 * 86_400_000,
                        }]
                    } else {
                        vec![]
                    },
                }],
            },
        ));
        officer_areas.push(unit_area);
        people.insert(
            *name,
            Person {
                username: (*name).into(),
                password: format!("{name}-password-1"),
                user_id: Uuid::nil(),
                officer_id: Some(officer),
                unit: Some(unit_id),
                area: code(area),
                role: *role,
                scope: all,
            },
        );
    }
    if let Err(e) = store
        .insert_officers(&all, &officers, &officer_areas, true)
        .await
    {
        panic!("officers: {e}");
    }
    people.insert(
        "wz_viewer",
        Person {
            username: "wz_viewer".into(),
            password: "wz_viewer-password-1".into(),
            user_id: Uuid::nil(),
            officer_id: None,
            unit: None,
            area: code("500101"),
            role: Role::Viewer,
            scope: all,
        },
    );
    for p in people.values_mut() {
        let u = match store
            .create_user(
                &all,
                &NewUser {
                    username: p.username.clone(),
                    password_hash: hash(&p.password),
                    role: p.role,
                    area: p.area,
                    officer_id: p.officer_id,
                },
            )
            .await
        {
            Ok(u) => u,
            Err(e) => panic!("user {}: {e}", p.username),
        };
        p.user_id = u.id;
        p.scope = Scope::user(
            p.area,
            p.role,
            Actor {
                user_id: u.id,
                ip: None,
            },
        );
    }
    World { units, people }
}
