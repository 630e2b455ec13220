//! House damage: the grade on the Chinese scale of JGJ 125 (危险房屋鉴定标准), its
//! crosswalk to EMS-98 and FEMA's preliminary damage assessment, and one assessment as
//! an assessor records it.

use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

use crate::area::GeoPoint;
use crate::error::ValidationError;
use crate::item::{MAX_TEXT_CHARS, check_attachments};
use crate::recovery::parse_date;

/// JGJ 125's four grades of a house.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
pub enum DamageGrade {
    /// Safe.
    A,
    /// Individual members dangerous; basically safe.
    B,
    /// Locally dangerous (局部危房).
    C,
    /// The whole house dangerous (整幢危房).
    D,
}

impl DamageGrade {
    pub const ALL: [DamageGrade; 4] = [
        DamageGrade::A,
        DamageGrade::B,
        DamageGrade::C,
        DamageGrade::D,
    ];
    pub const fn as_str(self) -> &'static str {
        match self {
            DamageGrade::A => "A",
            DamageGrade::B => "B",
            DamageGrade::C => "C",
            DamageGrade::D => "D",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What an assessor found: a grade, or that the house could not be reached.
/// Written as `"A"`…`"D"` or `"inaccessible"`; in schemas, fields holding one are
/// declared as strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Graded(DamageGrade),
    Inaccessible,
}

impl Outcome {
    pub const ALL: [Outcome; 5] = [
        Outcome::Graded(DamageGrade::A),
        Outcome::Graded(DamageGrade::B),
        Outcome::Graded(DamageGrade::C),
        Outcome::Graded(DamageGrade::D),
        Outcome::Inaccessible,
    ];
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Graded(g) => g.as_str(),
            Outcome::Inaccessible => "inaccessible",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub const fn grade(self) -> Option<DamageGrade> {
        match self {
            Outcome::Graded(g) => Some(g),
            Outcome::Inaccessible => None,
        }
    }
    /// B or worse: the household counts as affected (受灾户).
    pub fn is_damaged(self) -> bool {
        self.grade().is_some_and(|g| g >= DamageGrade::B)
    }
}

impl Serialize for Outcome {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Outcome {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Outcome::parse(&s).ok_or_else(|| serde::de::Error::custom("A, B, C, D or inaccessible"))
    }
}

/// FEMA's preliminary damage assessment categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Fema {
    Affected,
    Minor,
    Major,
    Destroyed,
    Inaccessible,
}

impl Fema {
    pub const fn as_str(self) -> &'static str {
        match self {
            Fema::Affected => "affected",
            Fema::Minor => "minor",
            Fema::Major => "major",
            Fema::Destroyed => "destroyed",
            Fema::Inaccessible => "inaccessible",
        }
    }
}

/// One row of the crosswalk: an outcome, whether a room collapsed, and the EMS-98 grade
/// and FEMA category it corresponds to. The database's `damage_crosswalk` holds the same
/// rows (a store test compares them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrosswalkRow {
    pub outcome: Outcome,
    pub room_collapsed: bool,
    pub ems98: Option<u8>,
    pub fema: Fema,
}

const fn row(
    outcome: Outcome,
    room_collapsed: bool,
    ems98: Option<u8>,
    fema: Fema,
) -> CrosswalkRow {
    CrosswalkRow {
        outcome,
        room_collapsed,
        ems98,
        fema,
    }
}

/// The whole crosswalk. Grades other than D do not depend on collapsed rooms, so they
/// appear with both values of the flag.
pub const CROSSWALK: [CrosswalkRow; 10] = [
    row(
        Outcome::Graded(DamageGrade::A),
        false,
        Some(1),
        Fema::Affected,
    ),
    row(
        Outcome::Graded(DamageGrade::A),
        true,
        Some(1),
        Fema::Affected,
    ),
    row(Outcome::Graded(DamageGrade::B), false, Some(2), Fema::Minor),
    row(Outcome::Graded(DamageGrade::B), true, Some(2), Fema::Minor),
    row(Outcome::Graded(DamageGrade::C), false, Some(3), Fema::Major),
    row(Outcome::Graded(DamageGrade::C), true, Some(3), Fema::Major),
    row(
        Outcome::Graded(DamageGrade::D),
        false,
        Some(4),
        Fema::Destroyed,
    ),
    row(
        Outcome::Graded(DamageGrade::D),
        true,
        Some(5),
        Fema::Destroyed,
    ),
    row(Outcome::Inaccessible, false, None, Fema::Inaccessible),
    row(Outcome::Inaccessible, true, None, Fema::Inaccessible),
];

/// EMS-98 grade (1–5, none when inaccessible) and FEMA category of an outcome.
pub fn crosswalk(outcome: Outcome, rooms_collapsed: i64) -> (Option<u8>, Fema) {
    let collapsed = rooms_collapsed > 0;
    CROSSWALK
        .iter()
        .find(|r| r.outcome == outcome && r.room_collapsed == collapsed)
        .map(|r| (r.ems98, r.fema))
        .unwrap_or((None, Fema::Inaccessible))
}

/// More rooms than any rural house has; a typo, not a house.
pub const MAX_ROOMS: i64 = 200;

/// An assessment as a client sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AssessmentInput {
    /// Chosen by the client (UUIDv7) so a retried or offline-queued assessment happens once.
    #[serde(default)]
    pub id: Option<Uuid>,
    pub house_id: Uuid,
    /// `A`, `B`, `C`, `D` or `inaccessible`.
    pub outcome: String,
    #[serde(default)]
    pub rooms_collapsed: i64,
    #[serde(default)]
    pub rooms_damaged: i64,
    /// Default: the house's owner household.
    #[serde(default)]
    pub household_id: Option<Uuid>,
    /// Default: the caller's officer record.
    #[serde(default)]
    pub assessor_officer_id: Option<Uuid>,
    /// `YYYY-MM-DD`.
    pub assessed_on: String,
    #[serde(default)]
    pub note: String,
    /// Content hashes of uploaded photos.
    #[serde(default)]
    pub photos: Vec<String>,
    /// Where the assessor stood; the house's point when absent.
    #[serde(default)]
    pub lon: Option<f64>,
    #[serde(default)]
    pub lat: Option<f64>,
    /// The field form's `_uuid`: unique per disaster, so a re-import adds nothing.
    #[serde(default)]
    pub source_uuid: Option<String>,
    /// The `reassessment` item this assessment answers (an appeal).
    #[serde(default)]
    pub answers_appeal: Option<Uuid>,
}

/// A validated assessment; the store adds what needs the database (the house, the
/// disaster, the household).
#[derive(Debug, Clone, PartialEq)]
pub struct NewAssessment {
    pub house_id: Uuid,
    pub outcome: Outcome,
    pub rooms_collapsed: i64,
    pub rooms_damaged: i64,
    pub household_id: Option<Uuid>,
    pub assessor_officer_id: Option<Uuid>,
    pub assessed_on: Date,
    pub note: String,
    pub photos: Vec<String>,
    pub point: Option<GeoPoint>,
    pub source_uuid: Option<String>,
    pub answers_appeal: Option<Uuid>,
}

pub const MAX_SOURCE_UUID: usize = 100;

impl AssessmentInput {
    /// Checks the input on its own; `today` bounds the date (no assessment from the future).
    pub fn validate(&self, today: Date) -> Result<NewAssessment, ValidationError> {
        let mut v = ValidationError::default();
        let outcome = Outcome::parse(self.outcome.trim());
        if outcome.is_none() {
            v.push("outcome", "invalid_outcome", "A, B, C, D or inaccessible");
        }
        for (field, n) in [
            ("rooms_collapsed", self.rooms_collapsed),
            ("rooms_damaged", self.rooms_damaged),
        ] {
            if !(0..=MAX_ROOMS).contains(&n) {
                v.push(field, "out_of_range", format!("between 0 and {MAX_ROOMS}"));
            }
        }
        match outcome {
            Some(Outcome::Inaccessible) if self.rooms_collapsed > 0 || self.rooms_damaged > 0 => {
                v.push(
                    "rooms_damaged",
                    "not_seen",
                    "an inaccessible house has no counted rooms",
                );
            }
            Some(Outcome::Graded(g)) if g <= DamageGrade::B && self.rooms_collapsed > 0 => {
                v.push(
                    "rooms_collapsed",
                    "grade_mismatch",
                    "a house with a collapsed room is graded C or D",
                );
            }
            _ => {}
        }
        let assessed_on = v.check("assessed_on", "invalid_date", parse_date(&self.assessed_on));
        if let Some(d) = assessed_on
            && d > today
        {
            v.push(
                "assessed_on",
                "in_the_future",
                "an assessment cannot be dated after today",
            );
        }
        if self.note.chars().count() > MAX_TEXT_CHARS {
            v.push(
                "note",
                "too_long",
                format!("at most {MAX_TEXT_CHARS} characters"),
            );
        }
        check_attachments(&mut v, "photos", &self.photos);
        let point = match (self.lon, self.lat) {
            (None, None) => None,
            (Some(lon), Some(lat)) => {
                let p = GeoPoint::new(lon, lat);
                if p.is_none() {
                    v.push("lon", "invalid_point", "not a point on Earth");
                }
                p
            }
            (Some(_), None) => {
                v.push("lat", "required", "a point has both lon and lat");
                None
            }
            (None, Some(_)) => {
                v.push("lon", "required", "a point has both lon and lat");
                None
            }
        };
        let source_uuid = self
            .source_uuid
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        if source_uuid
            .as_deref()
            .is_some_and(|s| s.chars().count() > MAX_SOURCE_UUID)
        {
            v.push(
                "source_uuid",
                "too_long",
                format!("at most {MAX_SOURCE_UUID} characters"),
            );
        }
        match (outcome, assessed_on) {
            (Some(outcome), Some(assessed_on)) if v.is_empty() => Ok(NewAssessment {
                house_id: self.house_id,
                outcome,
                rooms_collapsed: self.rooms_collapsed,
                rooms_damaged: self.rooms_damaged,
                household_id: self.household_id,
                assessor_officer_id: self.assessor_officer_id,
                assessed_on,
                note: self.note.clone(),
                photos: self.photos.clone(),
                point,
                source_uuid,
                answers_appeal: self.answers_appeal,
            }),
            _ => Err(v),
        }
    }
}

impl NewAssessment {
    /// Checks the assessment against its house and disaster: the rooms counted fit in the
    /// house (when its number of rooms is known), and it is dated within the disaster.
    pub fn check_context(
        &self,
        field_prefix: &str,
        house_rooms: Option<i64>,
        disaster_started: Date,
    ) -> Result<(), ValidationError> {
        let mut v = ValidationError::default();
        if let Some(rooms) = house_rooms
            && self.rooms_collapsed + self.rooms_damaged > rooms
        {
            let field = if self.rooms_collapsed > rooms {
                "rooms_collapsed"
            } else {
                "rooms_damaged"
            };
            v.push(
                format!("{field_prefix}{field}"),
                "more_than_house",
                format!(
                    "rooms collapsed and damaged together are at most the house's {rooms} rooms"
                ),
            );
        }
        if self.assessed_on < disaster_started {
            v.push(
                format!("{field_prefix}assessed_on"),
                "before_disaster",
                "an assessment is dated on or after the disaster's start",
            );
        }
        v.finish(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    fn input() -> AssessmentInput {
        AssessmentInput {
            house_id: Uuid::nil(),
            outcome: "C".into(),
            rooms_damaged: 2,
            assessed_on: "2023-07-08".into(),
            ..Default::default()
        }
    }

    #[test]
    fn the_table_of_the_doc() {
        use DamageGrade::*;
        assert_eq!(crosswalk(Outcome::Graded(A), 0), (Some(1), Fema::Affected));
        assert_eq!(crosswalk(Outcome::Graded(B), 0), (Some(2), Fema::Minor));
        assert_eq!(crosswalk(Outcome::Graded(C), 0), (Some(3), Fema::Major));
        assert_eq!(crosswalk(Outcome::Graded(D), 0), (Some(4), Fema::Destroyed));
        assert_eq!(crosswalk(Outcome::Graded(D), 2), (Some(5), Fema::Destroyed));
        assert_eq!(
            crosswalk(Outcome::Inaccessible, 0),
            (None, Fema::Inaccessible)
        );
    }

    #[test]
    fn outcomes_read_and_write_as_the_api_spells_them() {
        let o: Outcome = serde_json::from_str("\"inaccessible\"").unwrap();
        assert_eq!(o, Outcome::Inaccessible);
        assert_eq!(
            serde_json::to_string(&Outcome::Graded(DamageGrade::D)).unwrap(),
            "\"D\""
        );
        assert!(serde_json::from_str::<Outcome>("\"E\"").is_err());
    }

    #[test]
    fn a_valid_assessment() {
        let a = input().validate(date!(2023 - 07 - 10)).unwrap();
        assert_eq!(a.outcome, Outcome::Graded(DamageGrade::C));
        assert!(a.check_context("", Some(3), date!(2023 - 07 - 03)).is_ok());
        assert!(a.check_context("", None, date!(2023 - 07 - 03)).is_ok());
    }

    #[test]
    fn bad_fields_are_named() {
        let mut i = input();
        i.outcome = "B".into();
        i.rooms_collapsed = 1;
        i.rooms_damaged = -1;
        i.assessed_on = "2023-07-20".into();
        i.photos = vec!["nope".into()];
        i.lon = Some(108.0);
        let e = i.validate(date!(2023 - 07 - 10)).unwrap_err();
        let fields: Vec<&str> = e.errors.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "rooms_damaged",
                "rooms_collapsed",
                "assessed_on",
                "photos[0]",
                "lat"
            ]
        );
        let mut blind = input();
        blind.outcome = "inaccessible".into();
        assert_eq!(
            blind.validate(date!(2023 - 07 - 10)).unwrap_err().errors[0].code,
            "not_seen"
        );
    }

    #[test]
    fn rooms_fit_in_the_house_and_dates_in_the_disaster() {
        let mut i = input();
        i.outcome = "D".into();
        i.rooms_collapsed = 2;
        i.rooms_damaged = 2;
        let a = i.validate(date!(2023 - 07 - 10)).unwrap();
        let e = a
            .check_context("seeds[3].", Some(3), date!(2023 - 07 - 09))
            .unwrap_err();
        let fields: Vec<&str> = e.errors.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["seeds[3].rooms_damaged", "seeds[3].assessed_on"]);
    }

    fn outcome() -> impl Strategy<Value = Outcome> {
        prop::sample::select(Outcome::ALL.to_vec())
    }

    proptest! {
        /// Every outcome maps to exactly one row, EMS-98 grows with the Chinese grade, and
        /// a collapsed room matters only for D.
        #[test]
        fn the_crosswalk_is_total_and_monotone(a in outcome(), b in outcome(), ra in 0i64..5, rb in 0i64..5) {
            let n = CROSSWALK.iter().filter(|r| r.outcome == a && r.room_collapsed == (ra > 0)).count();
            prop_assert_eq!(n, 1);
            let (ea, fa) = crosswalk(a, ra);
            let (eb, _) = crosswalk(b, rb);
            prop_assert_eq!(ea.is_none(), a == Outcome::Inaccessible);
            prop_assert_eq!(fa == Fema::Inaccessible, a == Outcome::Inaccessible);
            if let (Some(ga), Some(gb), Some(ea), Some(eb)) = (a.grade(), b.grade(), ea, eb) {
                if ga < gb { prop_assert!(ea < eb); }
                if ga == gb && ga != DamageGrade::D { prop_assert_eq!(ea, eb); }
            }
            if a == Outcome::Graded(DamageGrade::D) {
                prop_assert_eq!(ea, Some(if ra > 0 { 5 } else { 4 }));
            }
        }

        #[test]
        fn validation_never_panics(o in "\\PC{0,12}", rc in -5i64..300, rd in -5i64..300, d in "\\PC{0,12}") {
            let i = AssessmentInput { outcome: o, rooms_collapsed: rc, rooms_damaged: rd, assessed_on: d, ..input() };
            if let Ok(a) = i.validate(date!(2023 - 07 - 10)) {
                prop_assert!(a.rooms_collapsed >= 0 && a.rooms_damaged >= 0);
            }
        }
    }
}
