//! The writes recovery makes inside one transaction, written once and compiled for each
//! backend's connection (`impl_recovery_tx!`), so an assessment, a verified gate, a
//! payment or an archived house moves the figures in the same transaction as the
//! records, with the same SQL on SQLite and PostgreSQL.
//!
//! Figures move by deltas: what a house (its latest assessment) and its case add to the
//! figures before the write is subtracted, what they add after is added, on the area and
//! every ancestor (`recovery_rollup`, `SET x = x + excluded.x`). Households are counted
//! apart (`recovery_households`): a household counts once in an area however many of
//! its houses lie there, so the figure moves only when its count there crosses zero.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use anju_core::deadline::DeadlinePolicy;
use anju_core::item::{
    EventKind, GENESIS, ItemKind, ItemSource, Link, LinkKind, NewItem, Priority,
};
use anju_core::lifecycle::{Action, ItemState};
use anju_core::recovery::figures::COLUMNS;
use anju_core::recovery::{
    CaseFigures, CaseState, DamageGrade, Figures, GateKind, GateStep, NewAssessment, Outcome, Plan,
    Schedule, Stage, TrancheStatus, end_of_day_ms, gates, tranche_amounts,
};
use anju_core::{AreaCode, AreaLevel, Scope};
use uuid::Uuid;

use crate::attachments::AttachmentMeta;
use crate::audit::AuditEntry;
use crate::items::chain::NewEvent;
use crate::items::{ITEM_SELECT, ItemRow, ItemSpec, state_str};
use crate::notifications::Notice;
use crate::{Result, StoreError};

/// What every recovery write knows about its moment and its actor.
#[derive(Clone)]
pub(crate) struct WriteCtx {
    pub now: i64,
    /// The user acting; `None` for the system (CLI, bulk loads).
    pub actor: Option<Uuid>,
    pub policy: Arc<DeadlinePolicy>,
}

/// A disaster as the writes need it.
#[derive(Debug, Clone)]
pub(crate) struct DisasterFacts {
    pub id: String,
    pub area: AreaCode,
    pub case_grades: Vec<DamageGrade>,
    pub schedule: Schedule,
    pub started_on: time::Date,
}

/// One assessment checked against the database, ready to write.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub id: String,
    pub house_id: String,
    pub area: AreaCode,
    pub address: String,
    pub a: NewAssessment,
    pub household_id: Option<String>,
    pub assessor: Option<String>,
    pub photos: Vec<AttachmentMeta>,
    pub lon: f64,
    pub lat: f64,
    /// The owner (town government) and verifier of a case's gates, should one open.
    pub units: Option<(Uuid, Uuid)>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct BatchOutcome {
    pub cases_opened: usize,
    pub cases_cancelled: usize,
    pub case_ids: HashMap<String, String>,
}

/// What a transition of a gate item adds to the transition's own transaction.
/// A tranche payment as recorded.
#[derive(Debug, Clone)]
pub(crate) struct Payment {
    pub n: i64,
    pub paid_on: String,
    pub reference: String,
    pub by: Option<String>,
}

#[derive(Default)]
pub(crate) struct FollowUp {
    pub events: Vec<(NewEvent, String, String)>,
    pub audit: Vec<AuditEntry>,
}

#[derive(sqlx::FromRow, Debug, Clone)]
pub(crate) struct LatestRow {
    pub id: String,
    pub disaster_id: String,
    pub house_id: String,
    pub version: i64,
    pub outcome: String,
    pub rooms_collapsed: i64,
    pub rooms_damaged: i64,
    pub household_id: Option<String>,
    pub area_code: i64,
}

pub(crate) const LATEST_COLUMNS: &str = "id, disaster_id, house_id, version, outcome, rooms_collapsed, rooms_damaged, household_id, area_code";

#[derive(sqlx::FromRow, Debug, Clone, PartialEq)]
pub(crate) struct CaseRow {
    pub id: String,
    pub disaster_id: String,
    pub house_id: String,
    pub area_code: i64,
    pub household_id: Option<String>,
    pub grade: String,
    pub plan: String,
    pub stage: String,
    pub open_gate: Option<i64>,
    pub amount: i64,
    pub amount_approved: i64,
    pub funds_released: i64,
    pub funds_paid: i64,
    pub owner_unit_id: String,
    pub verifier_unit_id: String,
    pub cancelled_at: Option<i64>,
    pub opened_at: i64,
    pub updated_at: i64,
}

pub(crate) const CASE_COLUMNS: &str = "id, disaster_id, house_id, area_code, household_id, grade, plan, stage, open_gate, \
     amount, amount_approved, funds_released, funds_paid, owner_unit_id, verifier_unit_id, cancelled_at, opened_at, updated_at";

fn corrupt(what: &str, v: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} {v:?}"))
}

pub(crate) fn village(code: i64) -> Result<AreaCode> {
    AreaCode::from_padded(code, AreaLevel::Village).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl CaseRow {
    pub(crate) fn plan(&self) -> Result<Plan> {
        Plan::parse(&self.plan).ok_or_else(|| corrupt("plan", &self.plan))
    }
    pub(crate) fn stage(&self) -> Result<Stage> {
        Stage::parse(&self.stage).ok_or_else(|| corrupt("stage", &self.stage))
    }
    pub(crate) fn grade(&self) -> Result<DamageGrade> {
        DamageGrade::parse(&self.grade).ok_or_else(|| corrupt("grade", &self.grade))
    }
    pub(crate) fn state(&self) -> Result<CaseState> {
        Ok(CaseState {
            plan: self.plan()?,
            stage: self.stage()?,
            open_gate: self.open_gate.map(|g| g.max(0) as usize),
            amount: self.amount,
            cancelled: self.cancelled_at.is_some(),
        })
    }
    /// What the case adds to the figures of its area: nothing once cancelled.
    pub(crate) fn figures(&self) -> Result<Option<(AreaCode, Figures)>> {
        if self.cancelled_at.is_some() {
            return Ok(None);
        }
        Ok(Some((
            village(self.area_code)?,
            Figures::of_case(&CaseFigures {
                plan: self.plan()?,
                stage: self.stage()?,
                approved: self.amount_approved,
                released: self.funds_released,
                paid: self.funds_paid,
            }),
        )))
    }
}

impl LatestRow {
    pub(crate) fn outcome(&self) -> Result<Outcome> {
        Outcome::parse(&self.outcome).ok_or_else(|| corrupt("outcome", &self.outcome))
    }
    fn figures(&self) -> Result<(AreaCode, Figures)> {
        Ok((
            village(self.area_code)?,
            Figures::of_assessment(self.outcome()?, self.rooms_collapsed, self.rooms_damaged),
        ))
    }
    /// The household this house counts for, and whether it is affected and collapsed.
    fn household(&self) -> Result<Option<(String, AreaCode, i64, i64)>> {
        let Some(h) = self.household_id.clone() else {
            return Ok(None);
        };
        Ok(Some((
            h,
            village(self.area_code)?,
            i64::from(self.outcome()?.is_damaged()),
            i64::from(self.rooms_collapsed > 0),
        )))
    }
}

/// Deltas collected in memory during one write, applied in lock order at its end.
#[derive(Default)]
pub(crate) struct Deltas {
    /// Recovery figures by padded area code (ascending = root first).
    pub figures: BTreeMap<i64, Figures>,
    /// Household counts by (household, padded area code).
    pub households: BTreeMap<(String, i64), (i64, i64)>,
    /// Item counts (`item_rollup`: the seven states, then overdue) by padded area code.
    pub items: BTreeMap<i64, [i64; 8]>,
}

const ITEM_COUNT_COLUMNS: [&str; 8] = [
    "assigned",
    "accepted",
    "in_progress",
    "submitted",
    "returned",
    "verified",
    "cancelled",
    "overdue",
];

fn item_count_index(s: ItemState) -> usize {
    match s {
        ItemState::Assigned => 0,
        ItemState::Accepted => 1,
        ItemState::InProgress => 2,
        ItemState::Submitted => 3,
        ItemState::Returned => 4,
        ItemState::Verified => 5,
        ItemState::Cancelled => 6,
    }
}

impl Deltas {
    pub(crate) fn figures_on_path(&mut self, area: AreaCode, f: &Figures, sign: i64) {
        for a in area.path() {
            let e = self.figures.entry(a.padded()).or_default();
            *e = e.add(f, sign);
        }
    }

    /// What a house and its case add, subtracted (`sign` −1) or added (+1).
    pub(crate) fn house(
        &mut self,
        latest: Option<&LatestRow>,
        case: Option<&CaseRow>,
        sign: i64,
    ) -> Result<()> {
        if let Some(l) = latest {
            let (area, f) = l.figures()?;
            self.figures_on_path(area, &f, sign);
            if let Some((h, area, aff, col)) = l.household()? {
                for a in area.path() {
                    let e = self.households.entry((h.clone(), a.padded())).or_default();
                    e.0 += sign * aff;
                    e.1 += sign * col;
                }
            }
        }
        if let Some(c) = case
            && let Some((area, f)) = c.figures()?
        {
            self.figures_on_path(area, &f, sign);
        }
        Ok(())
    }

    pub(crate) fn case(&mut self, case: &CaseRow, sign: i64) -> Result<()> {
        self.house(None, Some(case), sign)
    }

    /// An item moved from `from` to `to` in `area` (`None` for a new item).
    pub(crate) fn item_moved(
        &mut self,
        area: AreaCode,
        from: Option<ItemState>,
        to: ItemState,
        escalated: bool,
    ) {
        for a in area.path() {
            let e = self.items.entry(a.padded()).or_default();
            if let Some(f) = from {
                e[item_count_index(f)] -= 1;
                if f.is_open() && !to.is_open() && escalated {
                    e[7] -= 1;
                }
            }
            e[item_count_index(to)] += 1;
        }
    }
}

/// The deadline of a gate: the end of the day of the milestone it leads to.
pub(crate) fn gate_due(schedule: &Schedule, step: &GateStep) -> i64 {
    let day = schedule.milestone(step.due_by).unwrap_or(schedule.moved_in);
    end_of_day_ms(day)
}

/// The item of a case's gate, as the items' machinery creates it.
pub(crate) fn gate_item(
    case: &CaseRow,
    address: &str,
    step: &GateStep,
    schedule: &Schedule,
    actor: Option<Uuid>,
) -> Result<ItemSpec> {
    let plan = case.plan()?;
    let owner = crate::households::uuid(&case.owner_unit_id)?;
    let verifier = crate::households::uuid(&case.verifier_unit_id)?;
    let mut links = vec![Link {
        kind: LinkKind::House,
        id: crate::households::uuid(&case.house_id)?,
    }];
    if let Some(h) = crate::households::opt_uuid(case.household_id.clone())? {
        links.push(Link {
            kind: LinkKind::Household,
            id: h,
        });
    }
    Ok(ItemSpec {
        id: Uuid::now_v7(),
        parent_id: None,
        item: NewItem {
            title: format!("{}：{}", step.gate.name_zh(), address),
            description: format!(
                "灾后恢复重建（{}）：{}。核实后销号，案件进入下一环节。",
                plan.name_zh(),
                step.gate.name_zh()
            ),
            kind: match step.gate.kind() {
                GateKind::CaseGate => ItemKind::CaseGate,
                GateKind::Inspection => ItemKind::Inspection,
            },
            source: ItemSource::Assessment,
            source_ref: Some(case.id.clone()),
            area: village(case.area_code)?,
            owner_unit_id: owner,
            owner_officer_id: None,
            verifier_unit_id: verifier,
            priority: Priority::High,
            due_at: gate_due(schedule, step),
            links,
            attachments: vec![],
        },
        assigner_user_id: actor.unwrap_or(Uuid::nil()),
        // The verifier's unit hands the gates down: it may reassign them.
        assigner_unit_id: Some(verifier),
        attachments: vec![],
    })
}

fn gate_of(plan: Plan, seq: usize) -> Result<GateStep> {
    gates(plan)
        .get(seq)
        .copied()
        .ok_or_else(|| StoreError::Corrupt(format!("gate {seq} of {plan:?}")))
}

pub(crate) fn grades_string(g: &[DamageGrade]) -> String {
    g.iter().map(|g| g.as_str()).collect::<Vec<_>>().join(",")
}

pub(crate) fn parse_grades(s: &str) -> Vec<DamageGrade> {
    s.split(',').filter_map(DamageGrade::parse).collect()
}

/// How a new assessment changes the house's case.
enum CaseChange {
    None,
    Opened,
    Reopened,
    Cancelled,
    Updated,
}

fn decide_case(
    old: Option<&CaseRow>,
    p: &Prepared,
    d: &DisasterFacts,
    now: i64,
    new_id: &dyn Fn() -> String,
) -> Result<(Option<CaseRow>, CaseChange)> {
    let Some(grade) = p.a.outcome.grade() else {
        // An inaccessible house keeps whatever case it has.
        return Ok((old.cloned(), CaseChange::None));
    };
    let in_set = d.case_grades.contains(&grade);
    match old {
        None if in_set => {
            let (owner, verifier) = p.units.ok_or_else(|| {
                StoreError::Conflict(format!(
                    "no government unit governs {}: add the town's government before assessing",
                    p.area
                ))
            })?;
            let c = CaseRow {
                id: new_id(),
                disaster_id: d.id.clone(),
                house_id: p.house_id.clone(),
                area_code: p.area.padded(),
                household_id: p.household_id.clone(),
                grade: grade.as_str().into(),
                plan: Plan::default_for(grade).as_str().into(),
                stage: Stage::Planned.as_str().into(),
                open_gate: Some(0),
                amount: 0,
                amount_approved: 0,
                funds_released: 0,
                funds_paid: 0,
                owner_unit_id: owner.to_string(),
                verifier_unit_id: verifier.to_string(),
                cancelled_at: None,
                opened_at: now,
                updated_at: now,
            };
            Ok((Some(c), CaseChange::Opened))
        }
        None => Ok((None, CaseChange::None)),
        Some(c) if c.cancelled_at.is_some() && in_set => {
            let mut c = c.clone();
            c.cancelled_at = None;
            c.stage = Stage::Planned.as_str().into();
            c.plan = Plan::default_for(grade).as_str().into();
            c.open_gate = Some(0);
            c.grade = grade.as_str().into();
            c.household_id = p.household_id.clone();
            c.updated_at = now;
            Ok((Some(c), CaseChange::Reopened))
        }
        Some(c) if c.cancelled_at.is_some() => Ok((Some(c.clone()), CaseChange::None)),
        Some(c) => {
            let mut c = c.clone();
            let planned = c.stage()? == Stage::Planned;
            if planned && !in_set {
                c.cancelled_at = Some(now);
                c.open_gate = None;
                c.updated_at = now;
                return Ok((Some(c), CaseChange::Cancelled));
            }
            let old_grade = c.grade()?;
            if planned && c.plan()? == Plan::default_for(old_grade) {
                c.plan = Plan::default_for(grade).as_str().into();
            }
            c.grade = grade.as_str().into();
            c.updated_at = now;
            Ok((Some(c), CaseChange::Updated))
        }
    }
}

/// An event with the hash before it and its own.
pub(crate) type ChainedEvent = (NewEvent, String, String);

/// The events and the row change of an item moved by the system (a cancelled gate, an
/// appeal submitted by its re-assessment), chained to its head.
pub(crate) fn system_moves(
    row: &ItemRow,
    actions: &[(Action, ItemState)],
    actor: Option<Uuid>,
    note: &str,
    now: i64,
) -> Result<(Vec<ChainedEvent>, ItemState)> {
    let mut out = Vec::new();
    let mut prev = row.head_hash.clone();
    let mut from = row.state()?;
    for (seq, (action, to)) in (row.head_seq + 1..).zip(actions) {
        let e = NewEvent {
            item_id: row.id.clone(),
            seq,
            at: now,
            actor_user_id: actor.map(|a| a.to_string()),
            kind: EventKind::of_action(*action).as_str(),
            from_state: Some(state_str(from)),
            to_state: Some(state_str(*to)),
            note: Some(note.to_owned()),
            attachments: "[]".into(),
            payload: "{}".into(),
            idem_key: None,
        };
        let h = e.hash(&prev);
        out.push((e, prev.clone(), h.clone()));
        prev = h;
        from = *to;
    }
    Ok((out, from))
}

/// The chain of moves that brings an open appeal item to `submitted`.
pub(crate) fn moves_to_submit(from: ItemState) -> Option<Vec<(Action, ItemState)>> {
    use ItemState as S;
    let submit = (Action::Submit, S::Submitted);
    let start = (Action::Start, S::InProgress);
    match from {
        S::Assigned => Some(vec![(Action::Accept, S::Accepted), start, submit]),
        S::Accepted | S::Returned => Some(vec![start, submit]),
        S::InProgress => Some(vec![submit]),
        _ => None,
    }
}

/// Backend-specific transaction work; implemented once by `impl_recovery_tx!` for the
/// connection type of each backend, so the same text serves both.
pub(crate) trait RecoveryTx {
    /// Writes a batch of assessments of one disaster: versions, latest flags, cases
    /// opened, re-graded or cancelled with their gate items, appeals answered, figures.
    async fn write_assessments(
        &mut self,
        scope: &Scope,
        d: &DisasterFacts,
        batch: &[Prepared],
        ctx: &WriteCtx,
        audit_each: bool,
    ) -> Result<BatchOutcome>;

    /// Runs after an item's transition, in its transaction: a verified gate moves its
    /// case and opens the next gate; a gate cannot be cancelled.
    async fn after_item_transition(
        &mut self,
        row: &ItemRow,
        action: Action,
        to: ItemState,
        ctx: &WriteCtx,
    ) -> Result<FollowUp>;

    /// Takes a house's figures out of every disaster (`sign` −1, archived) or puts them
    /// back (+1, restored). The caller holds the house's row lock.
    async fn move_house_figures(&mut self, house_id: &str, sign: i64) -> Result<()>;

    /// Locks and reads a case, applies `change` (plan, amount, funds paid), the tranche
    /// paid if any, the figures' delta and the audit row.
    async fn update_case(
        &mut self,
        scope: &Scope,
        now: i64,
        case_id: &str,
        change: &(dyn Fn(&CaseRow) -> Result<CaseRow> + Sync),
        payment: Option<&Payment>,
        entry: AuditEntry,
    ) -> Result<CaseRow>;
}

macro_rules! impl_recovery_tx {
    ($conn:ty) => {
        impl RecoveryTx for $conn {
            async fn write_assessments(
                &mut self,
                scope: &Scope,
                d: &DisasterFacts,
                batch: &[Prepared],
                ctx: &WriteCtx,
                audit_each: bool,
            ) -> Result<BatchOutcome> {
                let c: &mut $conn = self;
                let now = ctx.now;
                let mut house_ids: Vec<String> = batch.iter().map(|p| p.house_id.clone()).collect();
                house_ids.sort();
                house_ids.dedup();
                // The house rows first: the per-house lock every recovery write takes
                // (SQLite: the write lock, before anything is read).
                let mut qb = sqlx::QueryBuilder::new(
                    "UPDATE houses SET updated_at = updated_at WHERE archived_at IS NULL AND id IN (",
                );
                let mut sep = qb.separated(", ");
                for h in &house_ids {
                    sep.push_bind(h.clone());
                }
                qb.push(")");
                let n = qb.build().execute(&mut *c).await?.rows_affected();
                if n as usize != house_ids.len() {
                    return Err(StoreError::Conflict("the house is archived".into()));
                }
                let mut qb = sqlx::QueryBuilder::new(format!(
                    "SELECT {LATEST_COLUMNS} FROM assessments WHERE latest = 1 AND disaster_id = "
                ));
                qb.push_bind(d.id.clone()).push(" AND house_id IN (");
                let mut sep = qb.separated(", ");
                for h in &house_ids {
                    sep.push_bind(h.clone());
                }
                qb.push(")");
                let latest: Vec<LatestRow> = qb.build_query_as().fetch_all(&mut *c).await?;
                // Item rows before the case rows (the order a gate's verification takes):
                // every open gate of these houses' cases, and the appeals answered.
                let mut qb = sqlx::QueryBuilder::new(
                    "SELECT g.item_id FROM case_gates g JOIN cases c ON c.id = g.case_id AND g.seq = c.open_gate \
                     WHERE c.cancelled_at IS NULL AND c.disaster_id = ",
                );
                qb.push_bind(d.id.clone()).push(" AND c.house_id IN (");
                let mut sep = qb.separated(", ");
                for h in &house_ids {
                    sep.push_bind(h.clone());
                }
                qb.push(")");
                let mut lock_items: Vec<String> = qb.build_query_scalar().fetch_all(&mut *c).await?;
                lock_items.extend(batch.iter().filter_map(|p| p.a.answers_appeal.map(|a| a.to_string())));
                lock_items.sort();
                lock_items.dedup();
                if !lock_items.is_empty() {
                    let mut qb = sqlx::QueryBuilder::new("UPDATE items SET updated_at = updated_at WHERE id IN (");
                    let mut sep = qb.separated(", ");
                    for i in &lock_items {
                        sep.push_bind(i.clone());
                    }
                    qb.push(")");
                    qb.build().execute(&mut *c).await?;
                }
                let mut qb = sqlx::QueryBuilder::new(
                    "UPDATE cases SET updated_at = updated_at WHERE disaster_id = ",
                );
                qb.push_bind(d.id.clone()).push(" AND house_id IN (");
                let mut sep = qb.separated(", ");
                for h in &house_ids {
                    sep.push_bind(h.clone());
                }
                qb.push(")");
                qb.build().execute(&mut *c).await?;
                let mut qb = sqlx::QueryBuilder::new(format!("SELECT {CASE_COLUMNS} FROM cases WHERE disaster_id = "));
                qb.push_bind(d.id.clone()).push(" AND house_id IN (");
                let mut sep = qb.separated(", ");
                for h in &house_ids {
                    sep.push_bind(h.clone());
                }
                qb.push(")");
                let cases: Vec<CaseRow> = qb.build_query_as().fetch_all(&mut *c).await?;
                // The open gate item of each case, read after the case lock.
                let mut open_gate_item: HashMap<String, String> = HashMap::new();
                if !cases.is_empty() {
                    let mut qb = sqlx::QueryBuilder::new(
                        "SELECT g.case_id, g.item_id FROM case_gates g JOIN cases c ON c.id = g.case_id AND g.seq = c.open_gate \
                         WHERE c.id IN (",
                    );
                    let mut sep = qb.separated(", ");
                    for k in &cases {
                        sep.push_bind(k.id.clone());
                    }
                    qb.push(")");
                    let rows: Vec<(String, String)> = qb.build_query_as().fetch_all(&mut *c).await?;
                    open_gate_item.extend(rows);
                }

                let db_cases: std::collections::HashSet<String> = cases.iter().map(|k| k.id.clone()).collect();
                let mut state: HashMap<String, (Option<LatestRow>, Option<CaseRow>)> = HashMap::new();
                for l in latest {
                    let key = l.house_id.clone();
                    state.entry(key).or_default().0 = Some(l);
                }
                for k in cases {
                    let key = k.house_id.clone();
                    state.entry(key).or_default().1 = Some(k);
                }
                let mut deltas = Deltas::default();
                let mut events: Vec<(NewEvent, String, String)> = Vec::new();
                let mut notices: Vec<Notice> = Vec::new();
                let mut unlatest: Vec<String> = Vec::new();
                let mut new_rows: Vec<(&Prepared, i64, bool)> = Vec::new();
                let mut case_final: BTreeMap<String, (CaseRow, bool)> = BTreeMap::new();
                let mut gate_rows: Vec<(String, i64, &'static str, String, bool)> = Vec::new();
                let mut audit: Vec<AuditEntry> = Vec::new();
                let mut out = BatchOutcome::default();
                let mut appeals_answered: Vec<String> = Vec::new();
                for p in batch {
                    let (old_l, old_c) = state.get(&p.house_id).cloned().unwrap_or_default();
                    if let Some(r) = p.a.answers_appeal {
                        let r = r.to_string();
                        let appealed: Option<(String, Option<String>)> = sqlx::query_as(
                            "SELECT id, assessor_officer_id FROM assessments WHERE disaster_id = $1 AND house_id = $2 \
                             AND appeal_item_id = $3")
                            .bind(d.id.clone()).bind(p.house_id.clone()).bind(r.clone())
                            .fetch_optional(&mut *c).await?;
                        let Some((_, appealed_by)) = appealed else {
                            return Err(anju_core::ValidationError::single(
                                "answers_appeal", "unknown_appeal", "no appeal against this house's assessment").into());
                        };
                        if p.assessor.is_none() || p.assessor == appealed_by {
                            return Err(StoreError::Conflict(
                                "a re-assessment answering an appeal is made by a different assessor".into()));
                        }
                        if appeals_answered.contains(&r) {
                            return Err(StoreError::Conflict("the appeal is answered once".into()));
                        }
                        let sql = format!("{ITEM_SELECT} WHERE i.id = $1");
                        let row = sqlx::query_as::<_, ItemRow>(sqlx::AssertSqlSafe(sql))
                            .bind(r.clone()).fetch_optional(&mut *c).await?.ok_or(StoreError::NotFound)?;
                        let from = row.state()?;
                        let moves = moves_to_submit(from).ok_or_else(|| StoreError::Conflict(format!(
                            "the appeal was answered already (its item is {})", state_str(from))))?;
                        let (evs, to) = system_moves(&row, &moves, ctx.actor,
                            &format!("复核结果：{}（评估记录 {}）", p.a.outcome.as_str(), p.id), now)?;
                        let last = evs.last().map(|e| (e.0.seq, e.2.clone())).unwrap_or((row.head_seq, row.head_hash.clone()));
                        sqlx::query("UPDATE items SET state = $2, submitted_by = $3, head_seq = $4, head_hash = $5, updated_at = $6 WHERE id = $1")
                            .bind(r.clone()).bind(state_str(to)).bind(ctx.actor.map(|a| a.to_string()))
                            .bind(last.0).bind(last.1).bind(now).execute(&mut *c).await?;
                        deltas.item_moved(row.area()?, Some(from), to, false);
                        events.extend(evs);
                        notices.push(Notice {
                            id: Uuid::now_v7().to_string(), at: now, item_id: r.clone(), kind: "submitted", level: row.escalation_level,
                            unit_id: Some(row.verifier_unit_id.clone()), officer_id: None, area_code: row.area_code, title: row.title.clone(),
                        });
                        appeals_answered.push(r);
                    }
                    let version = old_l.as_ref().map(|l| l.version + 1).unwrap_or(1);
                    if let Some(l) = &old_l {
                        if let Some(prev) = new_rows.iter_mut().find(|(q, _, _)| q.id == l.id) {
                            prev.2 = false;
                        } else {
                            unlatest.push(l.id.clone());
                        }
                    }
                    new_rows.push((p, version, true));
                    let new_l = LatestRow {
                        id: p.id.clone(),
                        disaster_id: d.id.clone(),
                        house_id: p.house_id.clone(),
                        version,
                        outcome: p.a.outcome.as_str().into(),
                        rooms_collapsed: p.a.rooms_collapsed,
                        rooms_damaged: p.a.rooms_damaged,
                        household_id: p.household_id.clone(),
                        area_code: p.area.padded(),
                    };
                    let (new_c, change) = decide_case(old_c.as_ref(), p, d, now, &|| Uuid::now_v7().to_string())?;
                    match (&change, &new_c) {
                        (CaseChange::Opened | CaseChange::Reopened, Some(k)) => {
                            let step = gate_of(k.plan()?, 0)?;
                            let spec = gate_item(k, &p.address, &step, &d.schedule, ctx.actor)?;
                            let (row, ev) = spec.row_and_event(now, &ctx.policy)?;
                            crate::items::insert_item!(c, row);
                            let hash = ev.hash(GENESIS);
                            sqlx::query("UPDATE items SET head_hash = $1 WHERE id = $2")
                                .bind(hash.clone()).bind(spec.id.to_string()).execute(&mut *c).await?;
                            events.push((ev, GENESIS.to_owned(), hash));
                            deltas.item_moved(spec.item.area, None, ItemState::Assigned, false);
                            notices.push(Notice::assigned(spec.id, &spec.item, now));
                            gate_rows.push((k.id.clone(), 0, step.gate.as_str(), spec.id.to_string(),
                                matches!(change, CaseChange::Reopened)));
                            open_gate_item.insert(k.id.clone(), spec.id.to_string());
                            out.cases_opened += 1;
                            if audit_each {
                                audit.push(AuditEntry::new("open", "case", &k.id, Some(p.area)));
                                audit.push(AuditEntry::new("create", "item", spec.id, Some(p.area)));
                            }
                        }
                        (CaseChange::Cancelled, Some(k)) => {
                            if let Some(item) = open_gate_item.remove(&k.id) {
                                let sql = format!("{ITEM_SELECT} WHERE i.id = $1");
                                let row = sqlx::query_as::<_, ItemRow>(sqlx::AssertSqlSafe(sql))
                                    .bind(item.clone()).fetch_optional(&mut *c).await?.ok_or(StoreError::NotFound)?;
                                let from = row.state()?;
                                if from.is_open() {
                                    let (evs, to) = system_moves(&row, &[(Action::Cancel, ItemState::Cancelled)], ctx.actor,
                                        &format!("复核定级为{}，不再需要恢复重建，案件撤销", p.a.outcome.as_str()), now)?;
                                    let last = evs.last().map(|e| (e.0.seq, e.2.clone())).unwrap_or((row.head_seq, row.head_hash.clone()));
                                    sqlx::query("UPDATE items SET state = $2, next_wake_at = NULL, head_seq = $3, head_hash = $4, \
                                                 updated_at = $5, closed_at = $5 WHERE id = $1")
                                        .bind(item.clone()).bind(state_str(to)).bind(last.0).bind(last.1).bind(now)
                                        .execute(&mut *c).await?;
                                    deltas.item_moved(row.area()?, Some(from), to, row.escalation_level > 0);
                                    events.extend(evs);
                                }
                            }
                            out.cases_cancelled += 1;
                            if audit_each {
                                audit.push(AuditEntry::new("cancel", "case", &k.id, Some(p.area)));
                            }
                        }
                        _ => {}
                    }
                    deltas.house(old_l.as_ref(), old_c.as_ref(), -1)?;
                    deltas.house(Some(&new_l), new_c.as_ref(), 1)?;
                    if let Some(k) = &new_c {
                        if !matches!(change, CaseChange::None) {
                            case_final.insert(k.id.clone(), (k.clone(), !db_cases.contains(&k.id)));
                        }
                        out.case_ids.insert(p.id.clone(), k.id.clone());
                    }
                    state.insert(p.house_id.clone(), (Some(new_l), new_c));
                }

                if !unlatest.is_empty() {
                    let mut qb = sqlx::QueryBuilder::new("UPDATE assessments SET latest = 0 WHERE id IN (");
                    let mut sep = qb.separated(", ");
                    for i in &unlatest {
                        sep.push_bind(i.clone());
                    }
                    qb.push(")");
                    qb.build().execute(&mut *c).await?;
                }
                for chunk in new_rows.chunks(1000) {
                    let mut qb = sqlx::QueryBuilder::new(
                        "INSERT INTO assessments (id, disaster_id, house_id, area_code, version, latest, outcome, rooms_collapsed, \
                         rooms_damaged, household_id, assessor_officer_id, assessed_on, note, photos, lon, lat, source_uuid, \
                         answers_appeal, created_by, created_at) ",
                    );
                    let mut bad = None;
                    qb.push_values(chunk, |mut b, (p, version, latest)| {
                        let photos = serde_json::to_string(&p.photos).unwrap_or_else(|e| {
                            bad = Some(e.to_string());
                            "[]".into()
                        });
                        b.push_bind(p.id.clone())
                            .push_bind(d.id.clone())
                            .push_bind(p.house_id.clone())
                            .push_bind(p.area.padded())
                            .push_bind(*version)
                            .push_bind(i64::from(*latest))
                            .push_bind(p.a.outcome.as_str())
                            .push_bind(p.a.rooms_collapsed)
                            .push_bind(p.a.rooms_damaged)
                            .push_bind(p.household_id.clone())
                            .push_bind(p.assessor.clone())
                            .push_bind(anju_core::recovery::format_date(p.a.assessed_on))
                            .push_bind(p.a.note.clone())
                            .push_bind(photos)
                            .push_bind(p.lon)
                            .push_bind(p.lat)
                            .push_bind(p.a.source_uuid.clone())
                            .push_bind(p.a.answers_appeal.map(|a| a.to_string()))
                            .push_bind(ctx.actor.map(|a| a.to_string()))
                            .push_bind(now);
                    });
                    if let Some(e) = bad {
                        return Err(StoreError::Corrupt(e));
                    }
                    qb.build().execute(&mut *c).await?;
                }
                for (k, inserted) in case_final.values() {
                    if *inserted {
                        sqlx::query(sqlx::AssertSqlSafe(format!(
                            "INSERT INTO cases ({CASE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)")))
                            .bind(k.id.clone()).bind(k.disaster_id.clone()).bind(k.house_id.clone()).bind(k.area_code)
                            .bind(k.household_id.clone()).bind(k.grade.clone()).bind(k.plan.clone()).bind(k.stage.clone())
                            .bind(k.open_gate).bind(k.amount).bind(k.amount_approved).bind(k.funds_released).bind(k.funds_paid)
                            .bind(k.owner_unit_id.clone()).bind(k.verifier_unit_id.clone()).bind(k.cancelled_at)
                            .bind(k.opened_at).bind(k.updated_at)
                            .execute(&mut *c).await?;
                    } else {
                        sqlx::query(
                            "UPDATE cases SET household_id = $2, grade = $3, plan = $4, stage = $5, open_gate = $6, \
                             cancelled_at = $7, updated_at = $8 WHERE id = $1")
                            .bind(k.id.clone()).bind(k.household_id.clone()).bind(k.grade.clone()).bind(k.plan.clone())
                            .bind(k.stage.clone()).bind(k.open_gate).bind(k.cancelled_at).bind(k.updated_at)
                            .execute(&mut *c).await?;
                    }
                }
                for (case_id, seq, gate, item, replace) in &gate_rows {
                    if *replace {
                        sqlx::query("UPDATE case_gates SET item_id = $3, gate = $4 WHERE case_id = $1 AND seq = $2")
                            .bind(case_id.clone()).bind(*seq).bind(item.clone()).bind(*gate).execute(&mut *c).await?;
                    } else {
                        sqlx::query("INSERT INTO case_gates (case_id, seq, gate, item_id) VALUES ($1, $2, $3, $4)")
                            .bind(case_id.clone()).bind(*seq).bind(*gate).bind(item.clone()).execute(&mut *c).await?;
                    }
                }
                for p in batch {
                    crate::attachments::ref_attachments!(c, &p.photos, "assessment", p.id.clone(), p.area);
                }
                self_apply_deltas!(c, d.id.clone(), deltas);
                crate::notifications::write_notices!(c, &notices);
                crate::items::chain::write_events!(c, &events);
                let mut entries = if audit_each {
                    batch
                        .iter()
                        .map(|p| AuditEntry::new("create", "assessment", &p.id, Some(p.area)))
                        .collect::<Vec<_>>()
                } else {
                    crate::audit::insert_entries("assessment", scope, None, batch.len())
                };
                entries.extend(audit);
                crate::audit::append_audit!(c, now, scope, entries);
                Ok(out)
            }

            async fn after_item_transition(
                &mut self,
                row: &ItemRow,
                action: Action,
                to: ItemState,
                ctx: &WriteCtx,
            ) -> Result<FollowUp> {
                let c: &mut $conn = self;
                if !matches!(ItemKind::parse(&row.kind), Some(ItemKind::CaseGate | ItemKind::Inspection)) {
                    return Ok(FollowUp::default());
                }
                let gate: Option<(String, i64)> = sqlx::query_as(
                    "SELECT case_id, seq FROM case_gates WHERE item_id = $1")
                    .bind(row.id.clone()).fetch_optional(&mut *c).await?;
                let Some((case_id, seq)) = gate else {
                    return Ok(FollowUp::default());
                };
                if action == Action::Cancel {
                    return Err(StoreError::Conflict(
                        "a case's gate is closed by verifying it; a case ends by re-assessment, not by cancelling its gate".into()));
                }
                if to != ItemState::Verified {
                    return Ok(FollowUp::default());
                }
                let now = ctx.now;
                sqlx::query("UPDATE cases SET updated_at = $2 WHERE id = $1")
                    .bind(case_id.clone()).bind(now).execute(&mut *c).await?;
                let old: CaseRow = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = $1")))
                    .bind(case_id.clone()).fetch_optional(&mut *c).await?.ok_or(StoreError::NotFound)?;
                let outcome = old.state()?.gate_verified(seq.max(0) as usize).map_err(|e| StoreError::Conflict(e.to_string()))?;
                let mut new = old.clone();
                new.stage = outcome.state.stage.as_str().into();
                new.open_gate = outcome.state.open_gate.map(|g| g as i64);
                new.updated_at = now;
                let mut audit = vec![AuditEntry::new("gate", "case", &case_id, Some(village(old.area_code)?))
                    .detail(serde_json::json!({"seq": seq, "stage": new.stage}))];
                let plan = old.plan()?;
                if let Some(a) = outcome.approves {
                    new.amount_approved = a;
                    for (i, (gate, pct, amount)) in tranche_amounts(plan, a).into_iter().enumerate() {
                        sqlx::query("INSERT INTO tranches (case_id, n, gate, share_pct, amount, status) VALUES ($1, $2, $3, $4, $5, $6)")
                            .bind(case_id.clone()).bind(i as i64 + 1).bind(gate.as_str()).bind(i64::from(pct)).bind(amount)
                            .bind(TrancheStatus::Pending.as_str()).execute(&mut *c).await?;
                    }
                }
                if let Some(n) = outcome.releases {
                    let amount: Option<i64> = sqlx::query_scalar(
                        "UPDATE tranches SET status = $3, released_at = $4 WHERE case_id = $1 AND n = $2 AND status = $5 RETURNING amount")
                        .bind(case_id.clone()).bind(i64::from(n)).bind(TrancheStatus::Released.as_str()).bind(now)
                        .bind(TrancheStatus::Pending.as_str()).fetch_optional(&mut *c).await?;
                    new.funds_released += amount.ok_or_else(|| StoreError::Corrupt(format!("tranche {n} of case {case_id}")))?;
                    audit.push(AuditEntry::new("release", "tranche", format!("{case_id}/{n}"), Some(village(old.area_code)?)));
                }
                let mut follow = FollowUp::default();
                let mut deltas = Deltas::default();
                if let Some((next_seq, step)) = outcome.next {
                    let (address, target): (String, String) = sqlx::query_as(
                        "SELECT h.address, d.target_move_in FROM houses h, disasters d WHERE h.id = $1 AND d.id = $2")
                        .bind(old.house_id.clone()).bind(old.disaster_id.clone()).fetch_one(&mut *c).await?;
                    let target = time::Date::parse(&target, &time::format_description::well_known::Iso8601::DATE)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    let spec = gate_item(&new, &address, &step, &Schedule::from_target(target), ctx.actor)?;
                    let (irow, ev) = spec.row_and_event(now, &ctx.policy)?;
                    crate::items::insert_item!(c, irow);
                    let hash = ev.hash(GENESIS);
                    sqlx::query("UPDATE items SET head_hash = $1 WHERE id = $2")
                        .bind(hash.clone()).bind(spec.id.to_string()).execute(&mut *c).await?;
                    sqlx::query("INSERT INTO case_gates (case_id, seq, gate, item_id) VALUES ($1, $2, $3, $4)")
                        .bind(case_id.clone()).bind(next_seq as i64).bind(step.gate.as_str()).bind(spec.id.to_string())
                        .execute(&mut *c).await?;
                    deltas.item_moved(spec.item.area, None, ItemState::Assigned, false);
                    follow.events.push((ev, GENESIS.to_owned(), hash));
                    crate::notifications::write_notices!(c, &[Notice::assigned(spec.id, &spec.item, now)]);
                    audit.push(AuditEntry::new("create", "item", spec.id, Some(spec.item.area)));
                }
                sqlx::query(
                    "UPDATE cases SET stage = $2, open_gate = $3, amount_approved = $4, funds_released = $5, updated_at = $6 WHERE id = $1")
                    .bind(case_id.clone()).bind(new.stage.clone()).bind(new.open_gate).bind(new.amount_approved)
                    .bind(new.funds_released).bind(now).execute(&mut *c).await?;
                // An archived house's case stays out of the figures.
                let archived: Option<i64> = sqlx::query_scalar("SELECT archived_at FROM houses WHERE id = $1")
                    .bind(old.house_id.clone()).fetch_one(&mut *c).await?;
                if archived.is_none() {
                    deltas.case(&old, -1)?;
                    deltas.case(&new, 1)?;
                }
                self_apply_deltas!(c, old.disaster_id.clone(), deltas);
                follow.audit = audit;
                Ok(follow)
            }

            async fn move_house_figures(&mut self, house_id: &str, sign: i64) -> Result<()> {
                let c: &mut $conn = self;
                sqlx::query("UPDATE cases SET updated_at = updated_at WHERE house_id = $1")
                    .bind(house_id.to_owned()).execute(&mut *c).await?;
                let latest: Vec<LatestRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {LATEST_COLUMNS} FROM assessments WHERE house_id = $1 AND latest = 1 ORDER BY disaster_id")))
                    .bind(house_id.to_owned()).fetch_all(&mut *c).await?;
                let cases: Vec<CaseRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {CASE_COLUMNS} FROM cases WHERE house_id = $1")))
                    .bind(house_id.to_owned()).fetch_all(&mut *c).await?;
                for l in latest {
                    let mut deltas = Deltas::default();
                    let case = cases.iter().find(|k| k.disaster_id == l.disaster_id);
                    deltas.house(Some(&l), case, sign)?;
                    self_apply_deltas!(c, l.disaster_id.clone(), deltas);
                }
                Ok(())
            }

            async fn update_case(
                &mut self,
                scope: &Scope,
                now: i64,
                case_id: &str,
                change: &(dyn Fn(&CaseRow) -> Result<CaseRow> + Sync),
                payment: Option<&Payment>,
                entry: AuditEntry,
            ) -> Result<CaseRow> {
                let c: &mut $conn = self;
                let n = sqlx::query("UPDATE cases SET updated_at = updated_at WHERE id = $1")
                    .bind(case_id.to_owned()).execute(&mut *c).await?.rows_affected();
                if n == 0 {
                    return Err(StoreError::NotFound);
                }
                let old: CaseRow = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = $1")))
                    .bind(case_id.to_owned()).fetch_one(&mut *c).await?;
                let mut new = change(&old)?;
                new.updated_at = now;
                if let Some(pay) = payment {
                    // Conditional on the tranche still being released, so it is paid once.
                    let amount: Option<i64> = sqlx::query_scalar(
                        "UPDATE tranches SET status = 'paid', paid_on = $3, reference = $4, paid_by = $5 \
                         WHERE case_id = $1 AND n = $2 AND status = 'released' RETURNING amount")
                        .bind(case_id.to_owned()).bind(pay.n).bind(pay.paid_on.clone()).bind(pay.reference.clone())
                        .bind(pay.by.clone()).fetch_optional(&mut *c).await?;
                    let amount = amount.ok_or_else(|| StoreError::Conflict(format!(
                        "tranche {} is not released or is paid already", pay.n)))?;
                    new.funds_paid = old.funds_paid + amount;
                }
                sqlx::query(
                    "UPDATE cases SET plan = $2, amount = $3, funds_paid = $4, updated_at = $5 WHERE id = $1")
                    .bind(case_id.to_owned()).bind(new.plan.clone()).bind(new.amount).bind(new.funds_paid)
                    .bind(new.updated_at).execute(&mut *c).await?;
                let archived: Option<i64> = sqlx::query_scalar("SELECT archived_at FROM houses WHERE id = $1")
                    .bind(old.house_id.clone()).fetch_one(&mut *c).await?;
                if archived.is_none() {
                    let mut deltas = Deltas::default();
                    deltas.case(&old, -1)?;
                    deltas.case(&new, 1)?;
                    self_apply_deltas!(c, old.disaster_id.clone(), deltas);
                }
                crate::audit::append_audit!(c, now, scope, [entry]);
                Ok(new)
            }
        }
    };
}

/// Applies collected deltas inside `$c` in lock order: household rows, item counts,
/// recovery figures, each in ascending key (root first).
macro_rules! self_apply_deltas {
    ($c:expr, $disaster:expr, $deltas:expr) => {{
        let disaster: String = $disaster;
        let mut deltas: Deltas = $deltas;
        let households: Vec<((String, i64), (i64, i64))> = deltas
            .households
            .iter()
            .filter(|(_, v)| **v != (0, 0))
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        for chunk in households.chunks(1000) {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO recovery_households (disaster_id, household_id, code, affected, collapsed) ",
            );
            qb.push_values(chunk, |mut b, ((h, code), (aff, col))| {
                b.push_bind(disaster.clone()).push_bind(h.clone()).push_bind(*code).push_bind(*aff).push_bind(*col);
            });
            qb.push(
                " ON CONFLICT (disaster_id, household_id, code) DO UPDATE SET \
                 affected = recovery_households.affected + excluded.affected, \
                 collapsed = recovery_households.collapsed + excluded.collapsed \
                 RETURNING household_id, code, affected, collapsed",
            );
            let rows: Vec<(String, i64, i64, i64)> = qb.build_query_as().fetch_all(&mut *$c).await?;
            for (h, code, aff, col) in rows {
                let (da, dc) = deltas.households.get(&(h, code)).copied().unwrap_or((0, 0));
                let crossed = |new: i64, d: i64| -> i64 {
                    let old = new - d;
                    i64::from(new > 0 && old <= 0) - i64::from(new <= 0 && old > 0)
                };
                let e = deltas.figures.entry(code).or_default();
                e.households_affected += crossed(aff, da);
                e.households_collapsed += crossed(col, dc);
            }
        }
        let items: Vec<(i64, [i64; 8])> = deltas
            .items
            .iter()
            .filter(|(_, v)| v.iter().any(|x| *x != 0))
            .map(|(k, v)| (*k, *v))
            .collect();
        if !items.is_empty() {
            let cols = ITEM_COUNT_COLUMNS.join(", ");
            let mut qb = sqlx::QueryBuilder::new(format!("INSERT INTO item_rollup (code, {cols}) "));
            qb.push_values(&items, |mut b, (code, v)| {
                b.push_bind(*code);
                for x in v {
                    b.push_bind(*x);
                }
            });
            let set = ITEM_COUNT_COLUMNS
                .iter()
                .map(|c| format!("{c} = item_rollup.{c} + excluded.{c}"))
                .collect::<Vec<_>>()
                .join(", ");
            qb.push(format!(" ON CONFLICT (code) DO UPDATE SET {set}"));
            qb.build().execute(&mut *$c).await?;
        }
        let figures: Vec<(i64, [i64; 23])> = deltas
            .figures
            .iter()
            .filter(|(_, f)| !f.is_zero())
            .map(|(k, f)| (*k, f.to_columns()))
            .collect();
        for chunk in figures.chunks(500) {
            let cols = COLUMNS.join(", ");
            let mut qb =
                sqlx::QueryBuilder::new(format!("INSERT INTO recovery_rollup (disaster_id, code, {cols}) "));
            qb.push_values(chunk, |mut b, (code, v)| {
                b.push_bind(disaster.clone()).push_bind(*code);
                for x in v {
                    b.push_bind(*x);
                }
            });
            let set = COLUMNS
                .iter()
                .map(|c| format!("{c} = recovery_rollup.{c} + excluded.{c}"))
                .collect::<Vec<_>>()
                .join(", ");
            qb.push(format!(" ON CONFLICT (disaster_id, code) DO UPDATE SET {set}"));
            qb.build().execute(&mut *$c).await?;
        }
    }};
}

impl_recovery_tx!(sqlx::SqliteConnection);
impl_recovery_tx!(sqlx::PgConnection);
