//! Reconstruction cases (恢复重建): a plan, six stages, and the gates that move a case from
//! one stage to the next. Each gate is an item of the closed loop; verifying it has the
//! gate's effect (a stage, the approved amount, a released tranche) and opens the next.

use serde::{Deserialize, Serialize};

use crate::recovery::damage::DamageGrade;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Plan {
    /// 维修加固.
    Repair,
    /// 原址重建.
    RebuildInPlace,
    /// 异地分散安置.
    Relocate,
    /// 集中安置.
    Resettle,
}

impl Plan {
    pub const ALL: [Plan; 4] = [
        Plan::Repair,
        Plan::RebuildInPlace,
        Plan::Relocate,
        Plan::Resettle,
    ];
    pub const fn as_str(self) -> &'static str {
        match self {
            Plan::Repair => "repair",
            Plan::RebuildInPlace => "rebuild_in_place",
            Plan::Relocate => "relocate",
            Plan::Resettle => "resettle",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub const fn name_zh(self) -> &'static str {
        match self {
            Plan::Repair => "维修加固",
            Plan::RebuildInPlace => "原址重建",
            Plan::Relocate => "异地分散安置",
            Plan::Resettle => "集中安置",
        }
    }
    /// The plan a case opens with: repair for a locally dangerous house, rebuilding for
    /// one dangerous as a whole.
    pub const fn default_for(grade: DamageGrade) -> Plan {
        match grade {
            DamageGrade::D => Plan::RebuildInPlace,
            _ => Plan::Repair,
        }
    }
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }
}

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
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Planned,
    Funded,
    UnderConstruction,
    Completed,
    /// Passed the final inspection.
    Accepted,
    MovedIn,
}

impl Stage {
    pub const ALL: [Stage; 6] = [
        Stage::Planned,
        Stage::Funded,
        Stage::UnderConstruction,
        Stage::Completed,
        Stage::Accepted,
        Stage::MovedIn,
    ];
    pub const fn as_str(self) -> &'static str {
        match self {
            Stage::Planned => "planned",
            Stage::Funded => "funded",
            Stage::UnderConstruction => "under_construction",
            Stage::Completed => "completed",
            Stage::Accepted => "accepted",
            Stage::MovedIn => "moved_in",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn next(self) -> Option<Stage> {
        let i = self.index();
        Self::ALL.get(i + 1).copied()
    }
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }
}

/// Which item kind a gate is: a decision or event (`case_gate`), or an inspection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GateKind {
    CaseGate,
    Inspection,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Gate {
    /// The plan and amount approved (审批).
    Approval,
    /// Works started (开工).
    Start,
    /// A flat allocated in a resettlement site (分房).
    Allocation,
    /// Foundation inspection (基础验收).
    Foundation,
    /// Roof inspection (主体封顶验收).
    Roof,
    /// Works completed (竣工).
    Completion,
    /// Final inspection (竣工验收).
    Final,
    /// The family moved in (入住).
    MoveIn,
}

impl Gate {
    pub const ALL: [Gate; 8] = [
        Gate::Approval,
        Gate::Start,
        Gate::Allocation,
        Gate::Foundation,
        Gate::Roof,
        Gate::Completion,
        Gate::Final,
        Gate::MoveIn,
    ];
    pub const fn as_str(self) -> &'static str {
        match self {
            Gate::Approval => "approval",
            Gate::Start => "start",
            Gate::Allocation => "allocation",
            Gate::Foundation => "foundation",
            Gate::Roof => "roof",
            Gate::Completion => "completion",
            Gate::Final => "final",
            Gate::MoveIn => "move_in",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub const fn name_zh(self) -> &'static str {
        match self {
            Gate::Approval => "重建审批",
            Gate::Start => "开工",
            Gate::Allocation => "分房",
            Gate::Foundation => "基础验收",
            Gate::Roof => "主体封顶验收",
            Gate::Completion => "竣工",
            Gate::Final => "竣工验收",
            Gate::MoveIn => "入住",
        }
    }
    pub const fn kind(self) -> GateKind {
        match self {
            Gate::Foundation | Gate::Roof | Gate::Final => GateKind::Inspection,
            _ => GateKind::CaseGate,
        }
    }
}

/// One gate of a plan and what verifying it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct GateStep {
    pub gate: Gate,
    /// The stage the case enters.
    pub effect: Option<Stage>,
    /// The tranche (1-based) it releases.
    pub releases: Option<u8>,
    /// The stage whose milestone is this gate's deadline.
    pub due_by: Stage,
}

const fn step(gate: Gate, effect: Option<Stage>, releases: Option<u8>, due_by: Stage) -> GateStep {
    GateStep {
        gate,
        effect,
        releases,
        due_by,
    }
}

use Stage as S;

const BUILD: [GateStep; 7] = [
    step(Gate::Approval, Some(S::Funded), None, S::Funded),
    step(
        Gate::Start,
        Some(S::UnderConstruction),
        None,
        S::UnderConstruction,
    ),
    step(Gate::Foundation, None, Some(1), S::Completed),
    step(Gate::Roof, None, Some(2), S::Completed),
    step(Gate::Completion, Some(S::Completed), None, S::Completed),
    step(Gate::Final, Some(S::Accepted), Some(3), S::Accepted),
    step(Gate::MoveIn, Some(S::MovedIn), None, S::MovedIn),
];

const REPAIR: [GateStep; 5] = [
    step(Gate::Approval, Some(S::Funded), None, S::Funded),
    step(
        Gate::Start,
        Some(S::UnderConstruction),
        None,
        S::UnderConstruction,
    ),
    step(Gate::Completion, Some(S::Completed), None, S::Completed),
    step(Gate::Final, Some(S::Accepted), Some(1), S::Accepted),
    step(Gate::MoveIn, Some(S::MovedIn), None, S::MovedIn),
];

const RESETTLE: [GateStep; 5] = [
    step(Gate::Approval, Some(S::Funded), None, S::Funded),
    step(
        Gate::Allocation,
        Some(S::UnderConstruction),
        None,
        S::UnderConstruction,
    ),
    step(Gate::Completion, Some(S::Completed), None, S::Completed),
    step(Gate::Final, Some(S::Accepted), Some(1), S::Accepted),
    step(Gate::MoveIn, Some(S::MovedIn), None, S::MovedIn),
];

/// The gates of a plan, in order.
pub fn gates(plan: Plan) -> &'static [GateStep] {
    match plan {
        Plan::RebuildInPlace | Plan::Relocate => &BUILD,
        Plan::Repair => &REPAIR,
        Plan::Resettle => &RESETTLE,
    }
}

/// Tranche shares in percent, in order, with the gate that releases each.
pub fn tranche_shares(plan: Plan) -> Vec<(Gate, u8)> {
    match plan {
        Plan::RebuildInPlace | Plan::Relocate => {
            vec![(Gate::Foundation, 30), (Gate::Roof, 40), (Gate::Final, 30)]
        }
        Plan::Repair | Plan::Resettle => vec![(Gate::Final, 100)],
    }
}

/// The approved amount split into tranches (fen): each share rounded down, the last
/// taking the remainder, so the tranches always add up to the amount.
pub fn tranche_amounts(plan: Plan, amount: i64) -> Vec<(Gate, u8, i64)> {
    let shares = tranche_shares(plan);
    let mut out = Vec::with_capacity(shares.len());
    let mut left = amount;
    for (i, (gate, pct)) in shares.iter().enumerate() {
        let a = if i + 1 == shares.len() {
            left
        } else {
            amount / 100 * i64::from(*pct) + amount % 100 * i64::from(*pct) / 100
        };
        left -= a;
        out.push((*gate, *pct, a));
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TrancheStatus {
    /// Its inspection is not yet verified.
    Pending,
    /// Its inspection was verified: it may be paid.
    Released,
    Paid,
}

impl TrancheStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            TrancheStatus::Pending => "pending",
            TrancheStatus::Released => "released",
            TrancheStatus::Paid => "paid",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            TrancheStatus::Pending,
            TrancheStatus::Released,
            TrancheStatus::Paid,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    #[error("tranche {0} is not released: its inspection has not been verified")]
    NotReleased(u8),
    #[error("tranche {0} is already paid")]
    AlreadyPaid(u8),
    #[error("the plan and amount change only while the case is planned; it is {0:?}")]
    NotPlanned(Stage),
    #[error("gate {got} is not the case's open gate ({expected:?})")]
    WrongGate { expected: Option<usize>, got: usize },
    #[error("set the amount to approve before the approval gate is verified")]
    NoAmount,
    #[error("the case is cancelled")]
    Cancelled,
}

/// A case as the state machine sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseState {
    pub plan: Plan,
    pub stage: Stage,
    /// The index of the gate now open; `None` once the last gate was verified.
    pub open_gate: Option<usize>,
    /// The amount to approve (fen), set while planned.
    pub amount: i64,
    pub cancelled: bool,
}

/// What verifying the open gate does to a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateOutcome {
    pub state: CaseState,
    /// The amount approved now (the approval gate).
    pub approves: Option<i64>,
    /// The tranche released now.
    pub releases: Option<u8>,
    /// The gate to open next.
    pub next: Option<(usize, GateStep)>,
}

impl CaseState {
    pub fn opened(grade: DamageGrade) -> Self {
        CaseState {
            plan: Plan::default_for(grade),
            stage: Stage::Planned,
            open_gate: Some(0),
            amount: 0,
            cancelled: false,
        }
    }

    /// The plan and amount change only while planned.
    pub fn change(&self, plan: Option<Plan>, amount: Option<i64>) -> Result<CaseState, CaseError> {
        if self.cancelled {
            return Err(CaseError::Cancelled);
        }
        if self.stage != Stage::Planned {
            return Err(CaseError::NotPlanned(self.stage));
        }
        Ok(CaseState {
            plan: plan.unwrap_or(self.plan),
            amount: amount.unwrap_or(self.amount),
            ..*self
        })
    }

    /// The gate at `seq` was verified: the case takes its effect and the next opens.
    pub fn gate_verified(&self, seq: usize) -> Result<GateOutcome, CaseError> {
        if self.cancelled {
            return Err(CaseError::Cancelled);
        }
        if self.open_gate != Some(seq) {
            return Err(CaseError::WrongGate {
                expected: self.open_gate,
                got: seq,
            });
        }
        let steps = gates(self.plan);
        let step = steps.get(seq).ok_or(CaseError::WrongGate {
            expected: self.open_gate,
            got: seq,
        })?;
        let approves = if step.gate == Gate::Approval {
            if self.amount <= 0 {
                return Err(CaseError::NoAmount);
            }
            Some(self.amount)
        } else {
            None
        };
        let next = gate_after(self.plan, seq);
        Ok(GateOutcome {
            state: CaseState {
                stage: step.effect.unwrap_or(self.stage),
                open_gate: next.map(|(i, _)| i),
                ..*self
            },
            approves,
            releases: step.releases,
            next,
        })
    }
}

/// The gate after `seq` in a plan, with its index.
pub fn gate_after(plan: Plan, seq: usize) -> Option<(usize, GateStep)> {
    gates(plan).get(seq + 1).map(|s| (seq + 1, *s))
}

/// Paying a tranche: only a released one, once.
pub fn pay(n: u8, status: TrancheStatus) -> Result<TrancheStatus, CaseError> {
    match status {
        TrancheStatus::Released => Ok(TrancheStatus::Paid),
        TrancheStatus::Pending => Err(CaseError::NotReleased(n)),
        TrancheStatus::Paid => Err(CaseError::AlreadyPaid(n)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_plan_ends_moved_in_and_releases_all_its_tranches() {
        for plan in Plan::ALL {
            let steps = gates(plan);
            assert_eq!(steps[0].gate, Gate::Approval);
            assert_eq!(steps.last().map(|s| s.effect), Some(Some(Stage::MovedIn)));
            let released: Vec<u8> = steps.iter().filter_map(|s| s.releases).collect();
            let n = tranche_shares(plan).len() as u8;
            assert_eq!(released, (1..=n).collect::<Vec<_>>(), "{plan:?}");
            let total: u32 = tranche_shares(plan)
                .iter()
                .map(|(_, p)| u32::from(*p))
                .sum();
            assert_eq!(total, 100);
            // Each tranche is released by the gate the share table names.
            for (i, (gate, _)) in tranche_shares(plan).iter().enumerate() {
                let s = steps
                    .iter()
                    .find(|s| s.releases == Some(i as u8 + 1))
                    .unwrap();
                assert_eq!(s.gate, *gate);
            }
        }
        assert_eq!(Gate::Foundation.kind(), GateKind::Inspection);
        assert_eq!(Gate::Approval.kind(), GateKind::CaseGate);
    }

    #[test]
    fn a_rebuild_through_its_gates() {
        let mut c = CaseState::opened(DamageGrade::D);
        assert_eq!(c.plan, Plan::RebuildInPlace);
        assert_eq!(c.gate_verified(0), Err(CaseError::NoAmount));
        c = c.change(None, Some(4_000_000)).unwrap();
        let o = c.gate_verified(0).unwrap();
        assert_eq!(
            (o.state.stage, o.approves),
            (Stage::Funded, Some(4_000_000))
        );
        assert_eq!(
            o.state.change(Some(Plan::Repair), None),
            Err(CaseError::NotPlanned(Stage::Funded))
        );
        assert_eq!(
            o.state.gate_verified(2),
            Err(CaseError::WrongGate {
                expected: Some(1),
                got: 2
            })
        );
        let mut s = o.state;
        let mut released = vec![];
        while let Some(g) = s.open_gate {
            let o = s.gate_verified(g).unwrap();
            released.extend(o.releases);
            s = o.state;
        }
        assert_eq!(s.stage, Stage::MovedIn);
        assert_eq!(released, [1, 2, 3]);
        assert_eq!(
            tranche_amounts(Plan::RebuildInPlace, 4_000_000)
                .iter()
                .map(|t| t.2)
                .collect::<Vec<_>>(),
            [1_200_000, 1_600_000, 1_200_000]
        );
    }

    #[test]
    fn paying_needs_a_release() {
        assert_eq!(
            pay(1, TrancheStatus::Pending),
            Err(CaseError::NotReleased(1))
        );
        assert_eq!(pay(1, TrancheStatus::Released), Ok(TrancheStatus::Paid));
        assert_eq!(pay(2, TrancheStatus::Paid), Err(CaseError::AlreadyPaid(2)));
    }

    fn plan() -> impl Strategy<Value = Plan> {
        prop::sample::select(Plan::ALL.to_vec())
    }

    proptest! {
        /// Any sequence of gate verifications (right or wrong gate) and payments: the stage
        /// never goes back, only the open gate advances, tranches add up to the approved
        /// amount, and the paid sum never exceeds the released sum, which never exceeds
        /// the approved amount.
        #[test]
        fn gates_and_tranches_stay_sound(p in plan(), amount in 1i64..100_000_000, steps in prop::collection::vec((0usize..8, any::<bool>(), 0u8..4), 0..40)) {
            let mut c = CaseState::opened(DamageGrade::D).change(Some(p), Some(amount)).unwrap();
            let tranches = tranche_amounts(p, amount);
            prop_assert_eq!(tranches.iter().map(|t| t.2).sum::<i64>(), amount);
            prop_assert!(tranches.iter().all(|t| t.2 >= 0));
            let mut status = vec![TrancheStatus::Pending; tranches.len()];
            let mut approved = 0;
            for (g, use_open, t) in steps {
                let seq = if use_open { c.open_gate.unwrap_or(g) } else { g };
                let before = c;
                match c.gate_verified(seq) {
                    Ok(o) => {
                        prop_assert_eq!(Some(seq), before.open_gate);
                        prop_assert!(o.state.stage >= before.stage);
                        if let Some(a) = o.approves { approved = a; }
                        if let Some(n) = o.releases {
                            let i = usize::from(n) - 1;
                            prop_assert_eq!(status[i], TrancheStatus::Pending);
                            status[i] = TrancheStatus::Released;
                        }
                        c = o.state;
                    }
                    Err(_) => prop_assert_eq!(c, before),
                }
                let i = usize::from(t) % status.len();
                if let Ok(s) = pay(t, status[i]) { status[i] = s; }
                let sum = |f: &dyn Fn(TrancheStatus) -> bool| -> i64 {
                    status.iter().zip(&tranches).filter(|(s, _)| f(**s)).map(|(_, t)| t.2).sum()
                };
                let paid = sum(&|s| s == TrancheStatus::Paid);
                let released = sum(&|s| s != TrancheStatus::Pending);
                prop_assert!(paid <= released);
                prop_assert!(released <= approved || approved == 0 && released == 0);
                if c.stage == Stage::Planned { prop_assert_eq!(released, 0); }
            }
            if c.stage == Stage::MovedIn {
                prop_assert!(status.iter().all(|s| *s != TrancheStatus::Pending));
            }
        }
    }
}
