//! Households, their members and houses: the registry records a village keeps.

use serde::{Deserialize, Serialize};
use time::{Date, macros::format_description};

use crate::area::{AreaCode, AreaLevel, GeoPoint};
use crate::error::ValidationError;
use crate::identity::IdNumber;
use crate::phone::Phone;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    pub const fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "male" | "m" | "男" => Some(Sex::Male),
            "female" | "f" | "女" => Some(Sex::Female),
            _ => None,
        }
    }
}

/// Why a person needs help first in an evacuation. Stored as a bit set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Vulnerability {
    /// 独居老人
    ElderlyAlone,
    /// 残疾
    Disabled,
    /// 卧床
    Bedridden,
    /// 孕妇
    Pregnant,
    /// 儿童
    Child,
}

impl Vulnerability {
    pub const ALL: [Vulnerability; 5] = [
        Vulnerability::ElderlyAlone,
        Vulnerability::Disabled,
        Vulnerability::Bedridden,
        Vulnerability::Pregnant,
        Vulnerability::Child,
    ];

    pub const fn bit(self) -> i64 {
        match self {
            Vulnerability::ElderlyAlone => 1,
            Vulnerability::Disabled => 2,
            Vulnerability::Bedridden => 4,
            Vulnerability::Pregnant => 8,
            Vulnerability::Child => 16,
        }
    }

    pub fn to_bits(flags: &[Vulnerability]) -> i64 {
        flags.iter().fold(0, |acc, f| acc | f.bit())
    }

    pub fn from_bits(bits: i64) -> Vec<Vulnerability> {
        Self::ALL
            .into_iter()
            .filter(|f| bits & f.bit() != 0)
            .collect()
    }
}

/// 防止返贫监测 categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PovertyCategory {
    /// Not a monitored household.
    #[default]
    None,
    /// 脱贫不稳定户
    UnstableOutOfPoverty,
    /// 边缘易致贫户
    MarginalAtRisk,
    /// 突发严重困难户
    SuddenHardship,
}

impl PovertyCategory {
    pub const fn as_str(self) -> &'static str {
        match self {
            PovertyCategory::None => "none",
            PovertyCategory::UnstableOutOfPoverty => "unstable_out_of_poverty",
            PovertyCategory::MarginalAtRisk => "marginal_at_risk",
            PovertyCategory::SuddenHardship => "sudden_hardship",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            PovertyCategory::None,
            PovertyCategory::UnstableOutOfPoverty,
            PovertyCategory::MarginalAtRisk,
            PovertyCategory::SuddenHardship,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

pub const DATE_FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]");

pub fn parse_date(s: &str) -> Result<Date, String> {
    Date::parse(s, DATE_FORMAT).map_err(|_| format!("{s:?} is not a date like 1970-01-31"))
}

pub fn format_date(d: Date) -> String {
    d.format(DATE_FORMAT).unwrap_or_default()
}

/// A member as the client sends it: strings, checked by [`HouseholdInput::validate`].
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MemberInput {
    pub name: String,
    pub sex: String,
    pub birth_date: String,
    #[serde(default)]
    pub id_number: Option<String>,
    #[serde(default)]
    pub relation: Option<String>,
    #[serde(default)]
    pub vulnerabilities: Vec<Vulnerability>,
}

/// A household as the client sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HouseholdInput {
    /// Chosen by the client when it creates the record offline; ignored on update.
    #[serde(default)]
    pub id: Option<uuid::Uuid>,
    pub area: String,
    pub address: String,
    pub head_name: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub responsible_officer_id: Option<uuid::Uuid>,
    #[serde(default)]
    pub grid_officer_id: Option<uuid::Uuid>,
    #[serde(default)]
    pub poverty_category: Option<String>,
    #[serde(default)]
    pub members: Vec<MemberInput>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub name: String,
    pub sex: Sex,
    pub birth_date: Date,
    pub id_number: Option<IdNumber>,
    pub relation: Option<String>,
    pub vulnerabilities: Vec<Vulnerability>,
}

/// A household that passed validation. The area's existence is the store's to check.
#[derive(Debug, Clone, PartialEq)]
pub struct Household {
    pub area: AreaCode,
    pub address: String,
    pub head_name: String,
    pub phone: Option<Phone>,
    pub responsible_officer_id: Option<uuid::Uuid>,
    pub grid_officer_id: Option<uuid::Uuid>,
    pub poverty_category: PovertyCategory,
    pub members: Vec<Member>,
}

pub const MAX_MEMBERS: usize = 50;
pub const MAX_TEXT: usize = 200;

pub(crate) fn text(
    v: &mut ValidationError,
    field: &str,
    s: &str,
    required: bool,
) -> Option<String> {
    let t = s.trim();
    if required && t.is_empty() {
        v.push(field, "required", "must not be empty");
        None
    } else if t.chars().count() > MAX_TEXT {
        v.push(field, "too_long", format!("at most {MAX_TEXT} characters"));
        None
    } else {
        Some(t.to_owned())
    }
}

pub(crate) fn village_code(v: &mut ValidationError, field: &str, s: &str) -> Option<AreaCode> {
    let code = v.check(field, "invalid_area", AreaCode::parse(s))?;
    if code.level() != AreaLevel::Village {
        v.push(field, "not_a_village", "must be a village code (12 digits)");
        return None;
    }
    Some(code)
}

impl HouseholdInput {
    /// Checks every field against `today` and returns all failures at once.
    pub fn validate(&self, today: Date) -> Result<Household, ValidationError> {
        let mut v = ValidationError::default();
        let area = village_code(&mut v, "area", &self.area);
        let address = text(&mut v, "address", &self.address, true);
        let head_name = text(&mut v, "head_name", &self.head_name, true);
        let phone = match self.phone.as_deref().map(str::trim) {
            None | Some("") => Some(None),
            Some(p) => v.check("phone", "invalid_phone", Phone::parse(p)).map(Some),
        };
        let poverty_category = match self.poverty_category.as_deref() {
            None | Some("") => Some(PovertyCategory::None),
            Some(s) => {
                let c = PovertyCategory::parse(s);
                if c.is_none() {
                    v.push(
                        "poverty_category",
                        "invalid_choice",
                        "one of none, unstable_out_of_poverty, marginal_at_risk, sudden_hardship",
                    );
                }
                c
            }
        };
        if self.members.is_empty() {
            v.push("members", "required", "a household has at least one member");
        }
        if self.members.len() > MAX_MEMBERS {
            v.push(
                "members",
                "too_many",
                format!("at most {MAX_MEMBERS} members"),
            );
        }
        let members: Vec<Option<Member>> = self
            .members
            .iter()
            .enumerate()
            .map(|(i, m)| m.validate(&mut v, &format!("members[{i}]"), today))
            .collect();
        let mut seen = std::collections::HashSet::new();
        for (i, m) in members.iter().enumerate() {
            if let Some(id) = m.as_ref().and_then(|m| m.id_number.as_ref())
                && !seen.insert(id.expose().to_owned())
            {
                v.push(
                    format!("members[{i}].id_number"),
                    "duplicate",
                    "the same identity number appears twice in this household",
                );
            }
        }
        match (area, address, head_name, phone, poverty_category) {
            (Some(area), Some(address), Some(head_name), Some(phone), Some(poverty_category))
                if v.is_empty() =>
            {
                Ok(Household {
                    area,
                    address,
                    head_name,
                    phone,
                    responsible_officer_id: self.responsible_officer_id,
                    grid_officer_id: self.grid_officer_id,
                    poverty_category,
                    members: members.into_iter().flatten().collect(),
                })
            }
            _ => Err(v),
        }
    }
}

impl MemberInput {
    fn validate(&self, v: &mut ValidationError, at: &str, today: Date) -> Option<Member> {
        let name = text(v, &format!("{at}.name"), &self.name, true);
        let sex = Sex::parse(self.sex.trim());
        if sex.is_none() {
            v.push(format!("{at}.sex"), "invalid_choice", "male or female");
        }
        let birth = v.check(
            format!("{at}.birth_date"),
            "invalid_date",
            parse_date(self.birth_date.trim()),
        );
        let birth = match birth {
            Some(b) if b > today => {
                v.push(format!("{at}.birth_date"), "in_future", "is in the future");
                None
            }
            Some(b) if b.year() < 1880 => {
                v.push(format!("{at}.birth_date"), "too_old", "is before 1880");
                None
            }
            b => b,
        };
        let id = match self.id_number.as_deref().map(str::trim) {
            None | Some("") => Some(None),
            Some(s) => v
                .check(
                    format!("{at}.id_number"),
                    "invalid_id_number",
                    IdNumber::parse(s),
                )
                .map(Some),
        };
        if let (Some(Some(id)), Some(b)) = (&id, birth)
            && id.birth_date() != Some(b)
        {
            v.push(
                format!("{at}.id_number"),
                "birth_date_mismatch",
                "the birth date in the identity number differs from birth_date",
            );
        }
        if let (Some(Some(id)), Some(s)) = (&id, sex)
            && id.sex() != s
        {
            v.push(
                format!("{at}.id_number"),
                "sex_mismatch",
                "the sex digit of the identity number differs from sex",
            );
        }
        let relation = match &self.relation {
            Some(r) => text(v, &format!("{at}.relation"), r, false).map(Some),
            None => Some(None),
        };
        let mut flags = self.vulnerabilities.clone();
        flags.sort_by_key(|f| f.bit());
        flags.dedup();
        Some(Member {
            name: name?,
            sex: sex?,
            birth_date: birth?,
            id_number: id?,
            relation: relation?,
            vulnerabilities: flags,
        })
    }
}

/// 房屋结构类型.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StructureType {
    /// 钢筋混凝土 / 框架
    ReinforcedConcrete,
    /// 砖混
    BrickConcrete,
    /// 砖木
    BrickWood,
    /// 土木
    EarthWood,
    /// 石结构
    Stone,
    /// 木结构
    Wood,
    /// 钢结构
    Steel,
    Other,
}

impl StructureType {
    pub const ALL: [StructureType; 8] = [
        StructureType::ReinforcedConcrete,
        StructureType::BrickConcrete,
        StructureType::BrickWood,
        StructureType::EarthWood,
        StructureType::Stone,
        StructureType::Wood,
        StructureType::Steel,
        StructureType::Other,
    ];
    pub const fn as_str(self) -> &'static str {
        match self {
            StructureType::ReinforcedConcrete => "reinforced_concrete",
            StructureType::BrickConcrete => "brick_concrete",
            StructureType::BrickWood => "brick_wood",
            StructureType::EarthWood => "earth_wood",
            StructureType::Stone => "stone",
            StructureType::Wood => "wood",
            StructureType::Steel => "steel",
            StructureType::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HouseInput {
    /// Chosen by the client when it creates the record offline; ignored on update.
    #[serde(default)]
    pub id: Option<uuid::Uuid>,
    pub area: String,
    #[serde(default)]
    pub address: String,
    pub lon: f64,
    pub lat: f64,
    pub structure: String,
    pub floors: i64,
    #[serde(default)]
    pub rooms: Option<i64>,
    #[serde(default)]
    pub year_built: Option<i64>,
    #[serde(default)]
    pub owner_household_id: Option<uuid::Uuid>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct House {
    pub area: AreaCode,
    pub address: String,
    pub point: GeoPoint,
    pub structure: StructureType,
    pub floors: i64,
    pub rooms: Option<i64>,
    pub year_built: Option<i64>,
    pub owner_household_id: Option<uuid::Uuid>,
}

impl HouseInput {
    pub fn validate(&self, today: Date) -> Result<House, ValidationError> {
        let mut v = ValidationError::default();
        let area = village_code(&mut v, "area", &self.area);
        let address = text(&mut v, "address", &self.address, false);
        let point = GeoPoint::new(self.lon, self.lat);
        if point.is_none() {
            v.push(
                "lon",
                "invalid_point",
                "longitude −180…180 and latitude −90…90",
            );
        }
        let structure = StructureType::parse(&self.structure);
        if structure.is_none() {
            v.push(
                "structure",
                "invalid_choice",
                format!(
                    "one of {}",
                    StructureType::ALL.map(|s| s.as_str()).join(", ")
                ),
            );
        }
        if !(1..=200).contains(&self.floors) {
            v.push("floors", "out_of_range", "between 1 and 200");
        }
        if let Some(r) = self.rooms
            && !(0..=1000).contains(&r)
        {
            v.push("rooms", "out_of_range", "between 0 and 1000");
        }
        if let Some(y) = self.year_built
            && !(1000..=i64::from(today.year())).contains(&y)
        {
            v.push("year_built", "out_of_range", "a year not in the future");
        }
        match (area, address, point, structure) {
            (Some(area), Some(address), Some(point), Some(structure)) if v.is_empty() => {
                Ok(House {
                    area,
                    address,
                    point,
                    structure,
                    floors: self.floors,
                    rooms: self.rooms,
                    year_built: self.year_built,
                    owner_household_id: self.owner_household_id,
                })
            }
            _ => Err(v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::compose;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 27);

    fn good() -> HouseholdInput {
        let id = compose("500101", date!(1960 - 03 - 04), 12, Sex::Male).unwrap();
        HouseholdInput {
            area: "500101001001".into(),
            address: "东方广场社区 3 组 12 号".into(),
            head_name: "张建国".into(),
            phone: Some("13812345678".into()),
            members: vec![MemberInput {
                name: "张建国".into(),
                sex: "male".into(),
                birth_date: "1960-03-04".into(),
                id_number: Some(id.expose().into()),
                relation: Some("户主".into()),
                vulnerabilities: vec![Vulnerability::Disabled, Vulnerability::Disabled],
            }],
            ..Default::default()
        }
    }

    #[test]
    fn a_good_household_validates() {
        let h = good().validate(TODAY).unwrap();
        assert_eq!(h.members[0].vulnerabilities, vec![Vulnerability::Disabled]);
    }

    fn fields(e: ValidationError) -> Vec<String> {
        e.errors
            .into_iter()
            .map(|e| format!("{}:{}", e.field, e.code))
            .collect()
    }

    #[test]
    fn each_bad_field_is_named() {
        let mut h = good();
        h.area = "500101".into();
        h.phone = Some("12345".into());
        h.members[0].birth_date = "2030-01-01".into();
        h.members.push(MemberInput {
            name: "".into(),
            sex: "x".into(),
            birth_date: "1990-13-01".into(),
            id_number: Some("110105194912310021".into()),
            ..Default::default()
        });
        let f = fields(h.validate(TODAY).unwrap_err());
        assert!(f.contains(&"area:not_a_village".to_string()), "{f:?}");
        assert!(f.contains(&"phone:invalid_phone".to_string()));
        assert!(f.contains(&"members[0].birth_date:in_future".to_string()));
        assert!(f.contains(&"members[1].name:required".to_string()));
        assert!(f.contains(&"members[1].sex:invalid_choice".to_string()));
        assert!(f.contains(&"members[1].birth_date:invalid_date".to_string()));
        assert!(f.contains(&"members[1].id_number:invalid_id_number".to_string()));
    }

    #[test]
    fn id_number_must_match_the_member() {
        let mut h = good();
        h.members[0].birth_date = "1960-03-05".into();
        h.members[0].sex = "female".into();
        let f = fields(h.validate(TODAY).unwrap_err());
        assert!(f.contains(&"members[0].id_number:birth_date_mismatch".to_string()));
        assert!(f.contains(&"members[0].id_number:sex_mismatch".to_string()));
    }

    #[test]
    fn house_validation() {
        let input = HouseInput {
            area: "500101001001".into(),
            lon: 108.4,
            lat: 30.8,
            structure: "brick_concrete".into(),
            floors: 2,
            rooms: Some(5),
            year_built: Some(1998),
            ..Default::default()
        };
        assert!(input.validate(TODAY).is_ok());
        let bad = HouseInput {
            lat: 95.0,
            structure: "straw".into(),
            floors: 0,
            year_built: Some(2100),
            ..input
        };
        let f = fields(bad.validate(TODAY).unwrap_err());
        assert_eq!(
            f,
            [
                "lon:invalid_point",
                "structure:invalid_choice",
                "floors:out_of_range",
                "year_built:out_of_range"
            ]
        );
    }
}
