//! The figures of one area for one disaster, and what a single house and its case add to
//! them. The store keeps one row of these per (disaster, area) and moves it by deltas.

use serde::Serialize;

use crate::recovery::case::{Plan, Stage};
use crate::recovery::damage::{DamageGrade, Outcome};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct GradeCounts {
    pub a: i64,
    pub b: i64,
    pub c: i64,
    pub d: i64,
    pub inaccessible: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PlanCounts {
    pub repair: i64,
    pub rebuild_in_place: i64,
    pub relocate: i64,
    pub resettle: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StageCounts {
    pub planned: i64,
    pub funded: i64,
    pub under_construction: i64,
    pub completed: i64,
    pub accepted: i64,
    pub moved_in: i64,
}

impl StageCounts {
    pub fn as_array(&self) -> [i64; 6] {
        [
            self.planned,
            self.funded,
            self.under_construction,
            self.completed,
            self.accepted,
            self.moved_in,
        ]
    }
}

/// The figures of docs/recovery.md. `cases`, `moved_in` and `late` are derived when read
/// (`finish`); the rest are stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Figures {
    pub houses_assessed: i64,
    pub grade: GradeCounts,
    pub rooms_collapsed: i64,
    pub rooms_damaged: i64,
    /// Households with a house graded B or worse.
    pub households_affected: i64,
    /// Households with a house of which a room collapsed.
    pub households_collapsed: i64,
    pub cases: i64,
    pub by_plan: PlanCounts,
    pub by_stage: StageCounts,
    pub moved_in: i64,
    /// Cases still in a stage whose milestone has passed (at read time).
    pub late: i64,
    /// Fen.
    pub funds_approved: i64,
    pub funds_released: i64,
    pub funds_paid: i64,
}

/// The stored columns, in the order of [`Figures::to_columns`]: a fixed list, so safe
/// to splice into SQL.
pub const COLUMNS: [&str; 23] = [
    "houses_assessed",
    "grade_a",
    "grade_b",
    "grade_c",
    "grade_d",
    "inaccessible",
    "rooms_collapsed",
    "rooms_damaged",
    "households_affected",
    "households_collapsed",
    "plan_repair",
    "plan_rebuild_in_place",
    "plan_relocate",
    "plan_resettle",
    "stage_planned",
    "stage_funded",
    "stage_under_construction",
    "stage_completed",
    "stage_accepted",
    "stage_moved_in",
    "funds_approved",
    "funds_released",
    "funds_paid",
];

/// A case as the figures count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseFigures {
    pub plan: Plan,
    pub stage: Stage,
    pub approved: i64,
    pub released: i64,
    pub paid: i64,
}

impl Figures {
    pub fn to_columns(&self) -> [i64; 23] {
        let g = &self.grade;
        let p = &self.by_plan;
        let s = &self.by_stage;
        [
            self.houses_assessed,
            g.a,
            g.b,
            g.c,
            g.d,
            g.inaccessible,
            self.rooms_collapsed,
            self.rooms_damaged,
            self.households_affected,
            self.households_collapsed,
            p.repair,
            p.rebuild_in_place,
            p.relocate,
            p.resettle,
            s.planned,
            s.funded,
            s.under_construction,
            s.completed,
            s.accepted,
            s.moved_in,
            self.funds_approved,
            self.funds_released,
            self.funds_paid,
        ]
    }

    pub fn from_columns(c: [i64; 23]) -> Figures {
        let mut f = Figures {
            houses_assessed: c[0],
            grade: GradeCounts {
                a: c[1],
                b: c[2],
                c: c[3],
                d: c[4],
                inaccessible: c[5],
            },
            rooms_collapsed: c[6],
            rooms_damaged: c[7],
            households_affected: c[8],
            households_collapsed: c[9],
            by_plan: PlanCounts {
                repair: c[10],
                rebuild_in_place: c[11],
                relocate: c[12],
                resettle: c[13],
            },
            by_stage: StageCounts {
                planned: c[14],
                funded: c[15],
                under_construction: c[16],
                completed: c[17],
                accepted: c[18],
                moved_in: c[19],
            },
            funds_approved: c[20],
            funds_released: c[21],
            funds_paid: c[22],
            ..Figures::default()
        };
        f.cases = f.by_stage.as_array().iter().sum();
        f.moved_in = f.by_stage.moved_in;
        f
    }

    /// Fills in the derived figures; `late` is given by the caller (it needs the
    /// schedule and the day).
    pub fn finish(mut self, late: i64) -> Figures {
        self.cases = self.by_stage.as_array().iter().sum();
        self.moved_in = self.by_stage.moved_in;
        self.late = late;
        self
    }

    /// Column-wise `self + sign * other`.
    pub fn add(&self, other: &Figures, sign: i64) -> Figures {
        let a = self.to_columns();
        let b = other.to_columns();
        let mut c = [0i64; 23];
        for i in 0..23 {
            c[i] = a[i] + sign * b[i];
        }
        Figures::from_columns(c)
    }

    pub fn is_zero(&self) -> bool {
        self.to_columns().iter().all(|v| *v == 0)
    }

    /// What one house's latest assessment adds (households are counted apart, since a
    /// household may own several houses).
    pub fn of_assessment(outcome: Outcome, rooms_collapsed: i64, rooms_damaged: i64) -> Figures {
        let mut f = Figures {
            houses_assessed: 1,
            rooms_collapsed,
            rooms_damaged,
            ..Figures::default()
        };
        match outcome {
            Outcome::Graded(DamageGrade::A) => f.grade.a = 1,
            Outcome::Graded(DamageGrade::B) => f.grade.b = 1,
            Outcome::Graded(DamageGrade::C) => f.grade.c = 1,
            Outcome::Graded(DamageGrade::D) => f.grade.d = 1,
            Outcome::Inaccessible => f.grade.inaccessible = 1,
        }
        f
    }

    /// What one live case adds.
    pub fn of_case(c: &CaseFigures) -> Figures {
        let mut f = Figures {
            funds_approved: c.approved,
            funds_released: c.released,
            funds_paid: c.paid,
            ..Figures::default()
        };
        match c.plan {
            Plan::Repair => f.by_plan.repair = 1,
            Plan::RebuildInPlace => f.by_plan.rebuild_in_place = 1,
            Plan::Relocate => f.by_plan.relocate = 1,
            Plan::Resettle => f.by_plan.resettle = 1,
        }
        match c.stage {
            Stage::Planned => f.by_stage.planned = 1,
            Stage::Funded => f.by_stage.funded = 1,
            Stage::UnderConstruction => f.by_stage.under_construction = 1,
            Stage::Completed => f.by_stage.completed = 1,
            Stage::Accepted => f.by_stage.accepted = 1,
            Stage::MovedIn => f.by_stage.moved_in = 1,
        }
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_round_trip_and_deltas_cancel() {
        let a = Figures::of_assessment(Outcome::Graded(DamageGrade::D), 2, 1);
        let c = Figures::of_case(&CaseFigures {
            plan: Plan::Relocate,
            stage: Stage::Funded,
            approved: 10,
            released: 3,
            paid: 3,
        });
        let both = a.add(&c, 1);
        assert_eq!(Figures::from_columns(both.to_columns()), both);
        assert_eq!(both.cases, 1);
        assert!(both.add(&a, -1).add(&c, -1).is_zero());
        assert_eq!(both.finish(1).late, 1);
    }
}
