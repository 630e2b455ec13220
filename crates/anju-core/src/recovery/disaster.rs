//! A disaster (灾害事件): what struck, where, when, and by when families must have moved
//! into their repaired or rebuilt homes.

use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

use crate::area::AreaCode;
use crate::error::ValidationError;
use crate::recovery::case::Stage;
use crate::recovery::damage::DamageGrade;
use crate::recovery::{format_date, parse_date};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Hazard {
    /// 暴雨洪涝.
    RainstormFlood,
    /// 山洪.
    FlashFlood,
    /// 滑坡.
    Landslide,
    /// 泥石流.
    DebrisFlow,
    /// 地震.
    Earthquake,
    /// 风雹.
    WindHail,
    Other,
}

impl Hazard {
    pub const ALL: [Hazard; 7] = [
        Hazard::RainstormFlood,
        Hazard::FlashFlood,
        Hazard::Landslide,
        Hazard::DebrisFlow,
        Hazard::Earthquake,
        Hazard::WindHail,
        Hazard::Other,
    ];
    pub const fn as_str(self) -> &'static str {
        match self {
            Hazard::RainstormFlood => "rainstorm_flood",
            Hazard::FlashFlood => "flash_flood",
            Hazard::Landslide => "landslide",
            Hazard::DebrisFlow => "debris_flow",
            Hazard::Earthquake => "earthquake",
            Hazard::WindHail => "wind_hail",
            Hazard::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The stage milestones, counted back from the target move-in date: the day by which a
/// case must have reached each stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Schedule {
    #[serde(serialize_with = "ser_date")]
    #[schema(value_type = String)]
    pub funded: Date,
    #[serde(serialize_with = "ser_date")]
    #[schema(value_type = String)]
    pub under_construction: Date,
    #[serde(serialize_with = "ser_date")]
    #[schema(value_type = String)]
    pub completed: Date,
    #[serde(serialize_with = "ser_date")]
    #[schema(value_type = String)]
    pub accepted: Date,
    #[serde(serialize_with = "ser_date")]
    #[schema(value_type = String)]
    pub moved_in: Date,
}

fn ser_date<S: serde::Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_date(*d))
}

impl Schedule {
    /// The default split of the time before the target: funded by T−100 days, under
    /// construction by T−80, completed by T−20, accepted by T−10, moved in by T.
    pub fn from_target(target: Date) -> Self {
        let back = |days: i64| target - time::Duration::days(days);
        Schedule {
            funded: back(100),
            under_construction: back(80),
            completed: back(20),
            accepted: back(10),
            moved_in: target,
        }
    }

    /// The milestone of reaching `stage` (`None` for `planned`, where every case starts).
    pub fn milestone(&self, stage: Stage) -> Option<Date> {
        match stage {
            Stage::Planned => None,
            Stage::Funded => Some(self.funded),
            Stage::UnderConstruction => Some(self.under_construction),
            Stage::Completed => Some(self.completed),
            Stage::Accepted => Some(self.accepted),
            Stage::MovedIn => Some(self.moved_in),
        }
    }

    /// The day a case in `stage` must have left it: the next stage's milestone.
    pub fn stage_due(&self, stage: Stage) -> Option<Date> {
        stage.next().and_then(|n| self.milestone(n))
    }

    /// A case in `stage` is late on `today` when the day it had to leave that stage has
    /// passed.
    pub fn is_late(&self, stage: Stage, today: Date) -> bool {
        self.stage_due(stage).is_some_and(|d| today > d)
    }

    /// The stages whose cases are late on `today`.
    pub fn late_stages(&self, today: Date) -> Vec<Stage> {
        Stage::ALL
            .into_iter()
            .filter(|s| self.is_late(*s, today))
            .collect()
    }

    /// How many cases are late, from the count of cases in each stage (in
    /// [`Stage::ALL`] order): no scan of the cases themselves.
    pub fn late_count(&self, by_stage: [i64; 6], today: Date) -> i64 {
        Stage::ALL
            .into_iter()
            .zip(by_stage)
            .filter(|(s, _)| self.is_late(*s, today))
            .map(|(_, n)| n)
            .sum()
    }
}

pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_AFFECTED: usize = 1_000;

/// A disaster as a client declares it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DisasterInput {
    #[serde(default)]
    pub id: Option<Uuid>,
    pub name: String,
    /// rainstorm_flood, flash_flood, landslide, debris_flow, earthquake, wind_hail, other.
    pub hazard: String,
    /// `YYYY-MM-DD`.
    pub started_on: String,
    #[serde(default)]
    pub ended_on: Option<String>,
    /// The area that declares it (e.g. `50` for the municipality).
    pub area: String,
    /// The affected areas, each inside `area`.
    #[serde(default)]
    pub affected: Vec<String>,
    /// The day families must have moved in by (`YYYY-MM-DD`).
    pub target_move_in: String,
    /// Grades that open a reconstruction case; default `["C", "D"]`.
    #[serde(default)]
    pub case_grades: Option<Vec<String>>,
}

/// A validated disaster.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDisaster {
    pub name: String,
    pub hazard: Hazard,
    pub started_on: Date,
    pub ended_on: Option<Date>,
    pub area: AreaCode,
    pub affected: Vec<AreaCode>,
    pub target_move_in: Date,
    pub case_grades: Vec<DamageGrade>,
}

impl NewDisaster {
    pub fn schedule(&self) -> Schedule {
        Schedule::from_target(self.target_move_in)
    }
}

/// What may change on a declared disaster.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DisasterPatch {
    /// `YYYY-MM-DD`; an empty string clears it.
    #[serde(default)]
    pub ended_on: Option<String>,
    #[serde(default)]
    pub target_move_in: Option<String>,
    #[serde(default)]
    pub case_grades: Option<Vec<String>>,
}

fn check_grades(v: &mut ValidationError, raw: &[String]) -> Vec<DamageGrade> {
    let mut out = Vec::new();
    for (i, g) in raw.iter().enumerate() {
        match DamageGrade::parse(g) {
            Some(g) if !out.contains(&g) => out.push(g),
            Some(_) => {}
            None => v.push(format!("case_grades[{i}]"), "invalid_grade", "A, B, C or D"),
        }
    }
    out.sort();
    out
}

fn check_order(v: &mut ValidationError, started: Date, ended: Option<Date>, target: Date) {
    if let Some(e) = ended
        && e < started
    {
        v.push(
            "ended_on",
            "before_start",
            "a disaster ends after it starts",
        );
    }
    if target <= started {
        v.push(
            "target_move_in",
            "before_start",
            "the move-in target lies after the disaster's start",
        );
    }
}

impl DisasterInput {
    pub fn validate(&self) -> Result<NewDisaster, ValidationError> {
        let mut v = ValidationError::default();
        let name = self.name.trim();
        if name.is_empty() {
            v.push("name", "required", "must not be empty");
        } else if name.chars().count() > MAX_NAME_CHARS {
            v.push(
                "name",
                "too_long",
                format!("at most {MAX_NAME_CHARS} characters"),
            );
        }
        let hazard = Hazard::parse(&self.hazard);
        if hazard.is_none() {
            v.push(
                "hazard",
                "invalid_hazard",
                "rainstorm_flood, flash_flood, landslide, debris_flow, earthquake, wind_hail or other",
            );
        }
        let started = v.check("started_on", "invalid_date", parse_date(&self.started_on));
        let ended = match self.ended_on.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(e) => v.check("ended_on", "invalid_date", parse_date(e)),
        };
        let target = v.check(
            "target_move_in",
            "invalid_date",
            parse_date(&self.target_move_in),
        );
        if let (Some(s), Some(t)) = (started, target) {
            check_order(&mut v, s, ended, t);
        }
        let area = v.check("area", "invalid_area", AreaCode::parse(&self.area));
        if self.affected.len() > MAX_AFFECTED {
            v.push("affected", "too_many", format!("at most {MAX_AFFECTED}"));
        }
        let mut affected = Vec::new();
        for (i, a) in self.affected.iter().enumerate() {
            let f = format!("affected[{i}]");
            if let Some(c) = v.check(f.clone(), "invalid_area", AreaCode::parse(a)) {
                if area.is_some_and(|r| !r.contains(c)) {
                    v.push(
                        f,
                        "outside_area",
                        "an affected area lies inside the disaster's area",
                    );
                } else if !affected.contains(&c) {
                    affected.push(c);
                }
            }
        }
        affected.sort();
        let case_grades = match &self.case_grades {
            None => vec![DamageGrade::C, DamageGrade::D],
            Some(g) => check_grades(&mut v, g),
        };
        match (hazard, started, target, area) {
            (Some(hazard), Some(started_on), Some(target_move_in), Some(area)) if v.is_empty() => {
                Ok(NewDisaster {
                    name: name.to_owned(),
                    hazard,
                    started_on,
                    ended_on: ended,
                    area,
                    affected,
                    target_move_in,
                    case_grades,
                })
            }
            _ => Err(v),
        }
    }
}

impl DisasterPatch {
    /// Applies the patch to `d`, checking the result as a whole.
    pub fn apply(&self, d: &NewDisaster) -> Result<NewDisaster, ValidationError> {
        let mut v = ValidationError::default();
        let mut out = d.clone();
        match self.ended_on.as_deref().map(str::trim) {
            None => {}
            Some("") => out.ended_on = None,
            Some(e) => out.ended_on = v.check("ended_on", "invalid_date", parse_date(e)),
        }
        if let Some(t) = &self.target_move_in
            && let Some(t) = v.check("target_move_in", "invalid_date", parse_date(t))
        {
            out.target_move_in = t;
        }
        if let Some(g) = &self.case_grades {
            out.case_grades = check_grades(&mut v, g);
        }
        check_order(&mut v, out.started_on, out.ended_on, out.target_move_in);
        v.finish(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn input() -> DisasterInput {
        DisasterInput {
            name: "2023年7月万州等地暴雨洪涝".into(),
            hazard: "rainstorm_flood".into(),
            started_on: "2023-07-03".into(),
            ended_on: Some("2023-07-05".into()),
            area: "50".into(),
            affected: vec!["500101".into(), "500102".into()],
            target_move_in: "2024-02-10".into(),
            ..Default::default()
        }
    }

    #[test]
    fn the_2023_schedule() {
        let d = input().validate().unwrap();
        let s = d.schedule();
        assert_eq!(s.funded, date!(2023 - 11 - 02));
        assert_eq!(s.under_construction, date!(2023 - 11 - 22));
        assert_eq!(s.completed, date!(2024 - 01 - 21));
        assert_eq!(s.accepted, date!(2024 - 01 - 31));
        assert_eq!(s.moved_in, date!(2024 - 02 - 10));
        assert_eq!(d.case_grades, vec![DamageGrade::C, DamageGrade::D]);
    }

    #[test]
    fn late_is_per_stage() {
        let s = Schedule::from_target(date!(2024 - 02 - 10));
        // On the milestone day itself a case is not yet late.
        assert!(!s.is_late(Stage::Planned, date!(2023 - 11 - 02)));
        assert!(s.is_late(Stage::Planned, date!(2023 - 11 - 03)));
        assert!(!s.is_late(Stage::Funded, date!(2023 - 11 - 03)));
        assert!(!s.is_late(Stage::MovedIn, date!(2030 - 01 - 01)));
        let by_stage = [5, 4, 3, 2, 1, 10];
        assert_eq!(s.late_count(by_stage, date!(2023 - 07 - 10)), 0);
        assert_eq!(s.late_count(by_stage, date!(2023 - 12 - 18)), 5 + 4);
        assert_eq!(s.late_count(by_stage, date!(2024 - 03 - 01)), 15);
        assert_eq!(
            s.late_stages(date!(2023 - 12 - 18)),
            vec![Stage::Planned, Stage::Funded]
        );
    }

    #[test]
    fn bad_fields_are_named() {
        let mut i = input();
        i.name = " ".into();
        i.hazard = "meteor".into();
        i.ended_on = Some("2023-07-01".into());
        i.affected = vec!["510101".into(), "5001".into()];
        i.case_grades = Some(vec!["E".into()]);
        let e = i.validate().unwrap_err();
        let fields: Vec<&str> = e.errors.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "name",
                "hazard",
                "ended_on",
                "affected[0]",
                "affected[1]",
                "case_grades[0]"
            ]
        );
        let mut early = input();
        early.target_move_in = "2023-07-01".into();
        assert_eq!(
            early.validate().unwrap_err().errors[0].field,
            "target_move_in"
        );
    }

    #[test]
    fn patches_keep_the_dates_ordered() {
        let d = input().validate().unwrap();
        let p = DisasterPatch {
            target_move_in: Some("2024-03-01".into()),
            case_grades: Some(vec!["D".into(), "C".into(), "B".into()]),
            ended_on: Some(String::new()),
        };
        let d2 = p.apply(&d).unwrap();
        assert_eq!(d2.target_move_in, date!(2024 - 03 - 01));
        assert_eq!(d2.ended_on, None);
        assert_eq!(
            d2.case_grades,
            vec![DamageGrade::B, DamageGrade::C, DamageGrade::D]
        );
        let bad = DisasterPatch {
            target_move_in: Some("2023-01-01".into()),
            ..Default::default()
        };
        assert_eq!(bad.apply(&d).unwrap_err().errors[0].field, "target_move_in");
    }
}
