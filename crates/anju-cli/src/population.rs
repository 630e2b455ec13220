//! A deterministic synthetic population: realistic household sizes and ages for rural
//! and urban Chongqing, with identity numbers that pass their check digit. Nothing here
//! is a real person.

use anju_core::household::{
    House, Household, Member, PovertyCategory, Sex, StructureType, Vulnerability,
};
use anju_core::identity::compose;
use anju_core::phone::Phone;
use anju_core::{AreaCode, GeoPoint};
use rand::{Rng, RngCore};
use time::{Date, Duration};

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙", "马", "胡", "朱", "郭",
    "何", "罗", "高", "林", "谭", "邓", "冉", "向", "彭", "唐", "蒋", "曾", "余", "付", "秦", "熊",
    "任", "廖", "袁", "田", "代", "况", "牟", "汪",
];
const GIVEN: &[&str] = &[
    "建", "国", "华", "明", "秀", "英", "芳", "兰", "军", "平", "红", "玉", "梅", "刚", "强", "丽",
    "德", "文", "春", "志", "永", "福", "桂", "成", "海", "燕", "勇", "琴", "敏", "涛", "杰", "静",
    "浩", "宇", "欣", "怡", "子", "轩", "涵", "晨",
];

pub fn name(rng: &mut impl RngCore, surname: &str) -> String {
    let n = if rng.random_bool(0.7) { 2 } else { 1 };
    let mut s = surname.to_owned();
    for _ in 0..n {
        s.push_str(GIVEN[rng.random_range(0..GIVEN.len())]);
    }
    s
}

pub fn surname(rng: &mut impl RngCore) -> &'static str {
    SURNAMES[rng.random_range(0..SURNAMES.len())]
}

pub fn mobile(rng: &mut impl RngCore) -> Option<Phone> {
    const PREFIX: &[&str] = &[
        "133", "135", "136", "138", "139", "150", "152", "158", "177", "180", "183", "187", "189",
        "199",
    ];
    let p = PREFIX[rng.random_range(0..PREFIX.len())];
    Phone::parse(&format!("{p}{:08}", rng.random_range(0..100_000_000u32))).ok()
}

/// Household sizes, weighted like the 2020 census for Chongqing (many one- and
/// two-person households where the young have left for work).
fn household_size(rng: &mut impl RngCore) -> usize {
    let r: f64 = rng.random();
    match r {
        r if r < 0.20 => 1,
        r if r < 0.50 => 2,
        r if r < 0.71 => 3,
        r if r < 0.85 => 4,
        r if r < 0.94 => 5,
        _ => 6,
    }
}

fn birth(rng: &mut impl RngCore, today: Date, min_age: i64, max_age: i64) -> Date {
    let days = rng.random_range(min_age * 365..=max_age * 365 + 364);
    today - Duration::days(days)
}

fn age(today: Date, b: Date) -> i64 {
    let mut a = i64::from(today.year() - b.year());
    if (today.month() as u8, today.day()) < (b.month() as u8, b.day()) {
        a -= 1;
    }
    a
}

pub struct Generated {
    pub household: Household,
    pub house: House,
}

/// One household in `village`, its house near `point`.
#[allow(clippy::too_many_arguments)]
pub fn household(
    rng: &mut impl RngCore,
    today: Date,
    village: AreaCode,
    village_name: &str,
    point: GeoPoint,
    number: usize,
    responsible: Option<uuid::Uuid>,
    grid: Option<uuid::Uuid>,
) -> Generated {
    let district = village
        .district()
        .map(|d| d.to_string())
        .unwrap_or_else(|| "500101".into());
    let size = household_size(rng);
    let sn = surname(rng);
    let mut members = Vec::with_capacity(size);
    // The head: older in small households (the elderly left behind).
    let head_age = if size <= 2 { (40, 90) } else { (28, 70) };
    let head_sex = if rng.random_bool(0.78) {
        Sex::Male
    } else {
        Sex::Female
    };
    let head_birth = birth(rng, today, head_age.0, head_age.1);
    members.push((name(rng, sn), head_sex, head_birth, "户主"));
    if size >= 2 {
        let spouse_birth = head_birth + Duration::days(rng.random_range(-1500..1500));
        let spouse_sex = if head_sex == Sex::Male {
            Sex::Female
        } else {
            Sex::Male
        };
        let spouse_surname = surname(rng);
        members.push((
            name(rng, spouse_surname),
            spouse_sex,
            spouse_birth.min(today),
            "配偶",
        ));
    }
    let head_age_now = age(today, head_birth);
    for i in 2..size {
        let (b, rel) = if i == 5 || (head_age_now < 45 && i == 4) {
            (birth(rng, today, 70, 92), "父母")
        } else if head_age_now >= 55 {
            (birth(rng, today, 0, 15), "孙子女")
        } else {
            let max = (head_age_now - 20).clamp(0, 30);
            (birth(rng, today, 0, max), "子女")
        };
        let sex = if rng.random_bool(0.5) {
            Sex::Male
        } else {
            Sex::Female
        };
        members.push((name(rng, sn), sex, b, rel));
    }
    let alone = size == 1;
    let members: Vec<Member> = members
        .into_iter()
        .map(|(name, sex, birth_date, relation)| {
            let a = age(today, birth_date);
            let mut v = Vec::new();
            if alone && a >= 65 {
                v.push(Vulnerability::ElderlyAlone);
            }
            if rng.random_bool(0.06) && a >= 5 {
                v.push(Vulnerability::Disabled);
            }
            if a >= 75 && rng.random_bool(0.06) {
                v.push(Vulnerability::Bedridden);
            }
            if sex == Sex::Female && (20..=40).contains(&a) && rng.random_bool(0.04) {
                v.push(Vulnerability::Pregnant);
            }
            if a < 14 {
                v.push(Vulnerability::Child);
            }
            // Children under 16 often have no identity card yet.
            let id_number = if a >= 16 || rng.random_bool(0.5) {
                compose(&district, birth_date, rng.random_range(0..1000), sex)
            } else {
                None
            };
            Member {
                name,
                sex,
                birth_date,
                id_number,
                relation: Some(relation.to_owned()),
                vulnerabilities: v,
            }
        })
        .collect();
    let r: f64 = rng.random();
    let poverty_category = match r {
        r if r < 0.025 => PovertyCategory::MarginalAtRisk,
        r if r < 0.045 => PovertyCategory::UnstableOutOfPoverty,
        r if r < 0.050 => PovertyCategory::SuddenHardship,
        _ => PovertyCategory::None,
    };
    let group = number / 40 + 1;
    let address = format!("{village_name}{group}组{}号", number % 40 + 1);
    let household = Household {
        area: village,
        address: address.clone(),
        head_name: members[0].name.clone(),
        phone: if rng.random_bool(0.92) {
            mobile(rng)
        } else {
            None
        },
        responsible_officer_id: responsible,
        grid_officer_id: grid,
        poverty_category,
        members,
    };
    // Houses scatter within about 1.5 km of the village point.
    let dlon = (rng.random::<f64>() - 0.5) * 0.03;
    let dlat = (rng.random::<f64>() - 0.5) * 0.025;
    let s: f64 = rng.random();
    let structure = match s {
        s if s < 0.42 => StructureType::BrickConcrete,
        s if s < 0.62 => StructureType::ReinforcedConcrete,
        s if s < 0.82 => StructureType::BrickWood,
        s if s < 0.93 => StructureType::EarthWood,
        s if s < 0.96 => StructureType::Stone,
        s if s < 0.99 => StructureType::Wood,
        _ => StructureType::Other,
    };
    let floors = match structure {
        StructureType::ReinforcedConcrete => rng.random_range(2..=6),
        StructureType::BrickConcrete => rng.random_range(1..=3),
        _ => rng.random_range(1..=2),
    };
    let house = House {
        area: village,
        address,
        point: GeoPoint::new(point.lon + dlon, point.lat + dlat).unwrap_or(point),
        structure,
        floors,
        rooms: Some(rng.random_range(2..=4) * floors),
        year_built: Some(match structure {
            StructureType::EarthWood | StructureType::Wood | StructureType::Stone => {
                rng.random_range(1955..=1995)
            }
            StructureType::ReinforcedConcrete => rng.random_range(1995..=2023),
            _ => rng.random_range(1980..=2020),
        }),
        owner_household_id: None,
    };
    Generated { household, house }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use time::macros::date;

    #[test]
    fn households_are_valid_and_realistic() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let today = date!(2026 - 11 - 27);
        let v = AreaCode::parse("500101001001").unwrap();
        let p = GeoPoint::new(108.4, 30.8).unwrap();
        let mut people = 0usize;
        let n = 5000;
        for i in 0..n {
            let g = household(&mut rng, today, v, "东方广场社区", p, i, None, None);
            people += g.household.members.len();
            for m in &g.household.members {
                assert!(m.birth_date <= today);
                if let Some(id) = &m.id_number {
                    assert_eq!(id.birth_date(), Some(m.birth_date));
                    assert_eq!(id.sex(), m.sex);
                }
            }
        }
        let mean = people as f64 / n as f64;
        assert!((2.3..3.0).contains(&mean), "mean household size {mean}");
    }
}
