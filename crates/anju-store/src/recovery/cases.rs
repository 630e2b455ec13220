//! Reconstruction cases: lists, one case with its gates and tranches, the plan and
//! amount while planned, and tranche payments. Stages move only through the gate items
//! (`RecoveryTx::after_item_transition`).

use std::collections::HashMap;

use anju_core::item::ItemKind;
use anju_core::officer::format_time;
use anju_core::recovery::{
    CaseState, Gate, GateKind, Plan, Stage, TrancheStatus, format_date, gates, pay,
};
use anju_core::view::Page;
use anju_core::{AreaCode, AreaLevel, Permission, Scope, ValidationError};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::audit::AuditEntry;
use crate::households::{area_string, opt_uuid, uuid};
use crate::items::parse_state;
use crate::page::{decode_cursor, finish};
use crate::pool::on_pool;
use crate::recovery::write::{CaseRow, Payment, RecoveryTx, village};
use crate::recovery::{CaseAction, CaseView, GateView, TrancheView};
use crate::{Result, Store, StoreError};

#[derive(Debug, Clone, Default)]
pub struct CaseQuery {
    pub area: Option<AreaCode>,
    pub stage: Option<Stage>,
    pub plan: Option<Plan>,
    /// Only late (true) or only on-time (false) cases, as of today.
    pub late: Option<bool>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// What may change on a planned case.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CasePatch {
    /// repair, rebuild_in_place, relocate, resettle.
    #[serde(default)]
    pub plan: Option<String>,
    /// The amount to approve, in fen.
    #[serde(default)]
    pub amount: Option<i64>,
}

/// The largest amount one case may receive (fen): ten million yuan.
pub const MAX_AMOUNT: i64 = 1_000_000_000;

impl CasePatch {
    pub fn validate(&self) -> Result<(Option<Plan>, Option<i64>), ValidationError> {
        let mut v = ValidationError::default();
        let plan = self.plan.as_deref().and_then(|p| {
            let r = Plan::parse(p);
            if r.is_none() {
                v.push(
                    "plan",
                    "invalid_plan",
                    "repair, rebuild_in_place, relocate or resettle",
                );
            }
            r
        });
        if let Some(a) = self.amount
            && !(0..=MAX_AMOUNT).contains(&a)
        {
            v.push(
                "amount",
                "out_of_range",
                format!("between 0 and {MAX_AMOUNT} fen"),
            );
        }
        v.finish((plan, self.amount))
    }
}

/// A payment of a released tranche.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PaymentInput {
    /// `YYYY-MM-DD`.
    pub paid_on: String,
    /// The payment's reference (voucher number).
    #[serde(default)]
    pub reference: String,
}

#[derive(sqlx::FromRow)]
struct CaseListRow {
    #[sqlx(flatten)]
    case: CaseRow,
    house_address: String,
    head_name: Option<String>,
    area_name: Option<String>,
}

const CASE_SELECT: &str = "SELECT c.id, c.disaster_id, c.house_id, c.area_code, c.household_id, c.grade, c.plan, c.stage, \
     c.open_gate, c.amount, c.amount_approved, c.funds_released, c.funds_paid, c.owner_unit_id, c.verifier_unit_id, \
     c.cancelled_at, c.opened_at, c.updated_at, h.address AS house_address, hh.head_name, ar.name_zh AS area_name \
     FROM cases c JOIN houses h ON h.id = c.house_id LEFT JOIN households hh ON hh.id = c.household_id \
     LEFT JOIN areas ar ON ar.code = c.area_code";

#[derive(sqlx::FromRow)]
struct GateRow {
    case_id: String,
    seq: i64,
    item_id: String,
    state: String,
    due_at: i64,
    closed_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct TrancheRow {
    case_id: String,
    n: i64,
    gate: String,
    share_pct: i64,
    amount: i64,
    status: String,
    released_at: Option<i64>,
    paid_on: Option<String>,
    reference: Option<String>,
}

impl Store {
    async fn case_views(&self, scope: &Scope, rows: Vec<CaseListRow>) -> Result<Vec<CaseView>> {
        if rows.is_empty() {
            return Ok(vec![]);
        }
        let ids: Vec<String> = rows.iter().map(|r| r.case.id.clone()).collect();
        let gate_rows: Vec<GateRow> = on_pool!(self, p => {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT g.case_id, g.seq, g.item_id, i.state, i.due_at, i.closed_at FROM case_gates g \
                 JOIN items i ON i.id = g.item_id WHERE g.case_id IN (",
            );
            let mut sep = qb.separated(", ");
            for i in &ids {
                sep.push_bind(i.clone());
            }
            qb.push(") ORDER BY g.case_id, g.seq");
            qb.build_query_as().fetch_all(p).await?
        });
        let tranche_rows: Vec<TrancheRow> = on_pool!(self, p => {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT case_id, n, gate, share_pct, amount, status, released_at, paid_on, reference FROM tranches \
                 WHERE case_id IN (",
            );
            let mut sep = qb.separated(", ");
            for i in &ids {
                sep.push_bind(i.clone());
            }
            qb.push(") ORDER BY case_id, n");
            qb.build_query_as().fetch_all(p).await?
        });
        let mut gates_by: HashMap<String, Vec<GateRow>> = HashMap::new();
        for g in gate_rows {
            gates_by.entry(g.case_id.clone()).or_default().push(g);
        }
        let mut tranches_by: HashMap<String, Vec<TrancheRow>> = HashMap::new();
        for t in tranche_rows {
            tranches_by.entry(t.case_id.clone()).or_default().push(t);
        }
        let mut schedules = HashMap::new();
        let today = self.clock.today();
        let may_update = scope.can(Permission::Update);
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let c = &r.case;
            let schedule = match schedules.get(&c.disaster_id) {
                Some(s) => *s,
                None => {
                    let d = self
                        .disaster_row(&Scope::everything(), uuid(&c.disaster_id)?)
                        .await?;
                    let s = d.to_new()?.schedule();
                    schedules.insert(c.disaster_id.clone(), s);
                    s
                }
            };
            let state: CaseState = c.state()?;
            let opened = gates_by.remove(&c.id).unwrap_or_default();
            let gates: Vec<GateView> = gates(state.plan)
                .iter()
                .enumerate()
                .map(|(i, step)| {
                    let g = opened.iter().find(|g| g.seq == i as i64);
                    Ok(GateView {
                        seq: i as i64,
                        gate: step.gate,
                        kind: match step.gate.kind() {
                            GateKind::CaseGate => ItemKind::CaseGate,
                            GateKind::Inspection => ItemKind::Inspection,
                        },
                        effect: step.effect,
                        releases: step.releases,
                        item_id: g.map(|g| uuid(&g.item_id)).transpose()?,
                        state: g.map(|g| parse_state(&g.state)).transpose()?,
                        due_at: g.map(|g| format_time(g.due_at)),
                        closed_at: g.and_then(|g| g.closed_at).map(format_time),
                    })
                })
                .collect::<Result<_>>()?;
            let tranches: Vec<TrancheView> = tranches_by
                .remove(&c.id)
                .unwrap_or_default()
                .into_iter()
                .map(|t| {
                    Ok(TrancheView {
                        n: t.n,
                        gate: Gate::parse(&t.gate)
                            .ok_or_else(|| StoreError::Corrupt(format!("gate {:?}", t.gate)))?,
                        share_pct: t.share_pct,
                        amount: t.amount,
                        status: TrancheStatus::parse(&t.status).ok_or_else(|| {
                            StoreError::Corrupt(format!("tranche {:?}", t.status))
                        })?,
                        released_at: t.released_at.map(format_time),
                        paid_on: t.paid_on,
                        reference: t.reference,
                    })
                })
                .collect::<Result<_>>()?;
            let live = !state.cancelled;
            let mut allowed = vec![];
            if may_update && live && state.stage == Stage::Planned {
                allowed.push(CaseAction::ChangePlan);
                allowed.push(CaseAction::ChangeAmount);
            }
            if may_update && tranches.iter().any(|t| t.status == TrancheStatus::Released) {
                allowed.push(CaseAction::Pay);
            }
            out.push(CaseView {
                id: uuid(&c.id)?,
                disaster_id: uuid(&c.disaster_id)?,
                house_id: uuid(&c.house_id)?,
                house_address: r.house_address.clone(),
                household_id: opt_uuid(c.household_id.clone())?,
                head_name: r.head_name.clone(),
                area: area_string(c.area_code, AreaLevel::Village)?,
                area_name: r.area_name.clone().unwrap_or_default(),
                grade: c.grade()?,
                plan: state.plan,
                stage: state.stage,
                cancelled: state.cancelled,
                late: live && schedule.is_late(state.stage, today),
                stage_due_on: schedule.stage_due(state.stage).map(format_date),
                amount: c.amount,
                amount_approved: c.amount_approved,
                funds_released: c.funds_released,
                funds_paid: c.funds_paid,
                gates,
                tranches,
                opened_at: format_time(c.opened_at),
                updated_at: format_time(c.updated_at),
                allowed,
            });
        }
        Ok(out)
    }

    async fn case_row(&self, scope: &Scope, id: Uuid) -> Result<CaseListRow> {
        scope.require(Permission::Read)?;
        let (lo, hi) = scope.range();
        let sql =
            format!("{CASE_SELECT} WHERE c.id = $1 AND c.area_code >= $2 AND c.area_code < $3");
        let row = on_pool!(self, p => sqlx::query_as::<_, CaseListRow>(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string()).bind(lo).bind(hi).fetch_optional(p).await?)
        .ok_or(StoreError::NotFound)?;
        self.disaster_row(scope, uuid(&row.case.disaster_id)?)
            .await?;
        Ok(row)
    }

    /// One case with its gates (items) and tranches.
    pub async fn case(&self, scope: &Scope, id: Uuid) -> Result<CaseView> {
        let row = self.case_row(scope, id).await?;
        self.case_views(scope, vec![row])
            .await?
            .pop()
            .ok_or(StoreError::NotFound)
    }

    /// A page of a disaster's live cases (cancelled ones and archived houses left out),
    /// in (area, id) order.
    pub async fn list_cases(
        &self,
        scope: &Scope,
        disaster: Uuid,
        q: &CaseQuery,
    ) -> Result<Page<CaseView>> {
        let d = self.disaster_row(scope, disaster).await?;
        let Some((lo, hi)) = scope.narrow(q.area) else {
            return Ok(Page {
                items: vec![],
                next_cursor: None,
            });
        };
        let limit = q.limit.unwrap_or(crate::page::DEFAULT_LIMIT);
        if !(1..=crate::page::MAX_LIMIT).contains(&limit) {
            return Err(ValidationError::single(
                "limit",
                "out_of_range",
                format!("between 1 and {}", crate::page::MAX_LIMIT),
            )
            .into());
        }
        let (after_area, after_id) = match &q.cursor {
            None => (-1, String::new()),
            Some(c) => decode_cursor(c).ok_or_else(|| {
                StoreError::Validation(ValidationError::single(
                    "cursor",
                    "invalid_cursor",
                    "not a cursor returned by this list",
                ))
            })?,
        };
        let (after_area, after_id) = std::cmp::max((after_area, after_id), (lo, String::new()));
        let late_stages = d.to_new()?.schedule().late_stages(self.clock.today());
        let rows: Vec<CaseListRow> = on_pool!(self, p => {
            let mut qb = sqlx::QueryBuilder::new(format!("{CASE_SELECT} WHERE c.disaster_id = "));
            qb.push_bind(disaster.to_string())
                .push(" AND c.cancelled_at IS NULL AND h.archived_at IS NULL AND c.area_code >= ")
                .push_bind(lo)
                .push(" AND c.area_code < ")
                .push_bind(hi)
                .push(" AND (c.area_code, c.id) > (")
                .push_bind(after_area)
                .push(", ")
                .push_bind(after_id)
                .push(")");
            if let Some(s) = q.stage {
                qb.push(" AND c.stage = ").push_bind(s.as_str());
            }
            if let Some(p) = q.plan {
                qb.push(" AND c.plan = ").push_bind(p.as_str());
            }
            match q.late {
                // Nothing is late yet: asking for late cases finds none.
                Some(true) if late_stages.is_empty() => {
                    qb.push(" AND 1 = 0");
                }
                Some(false) if late_stages.is_empty() => {}
                Some(late) => {
                    qb.push(if late { " AND c.stage IN (" } else { " AND c.stage NOT IN (" });
                    let mut sep = qb.separated(", ");
                    for s in &late_stages {
                        sep.push_bind(s.as_str());
                    }
                    qb.push(")");
                }
                None => {}
            }
            qb.push(" ORDER BY c.area_code, c.id LIMIT ").push_bind(limit + 1);
            qb.build_query_as().fetch_all(p).await?
        });
        let (rows, next_cursor) = finish(rows, limit, |r| (r.case.area_code, r.case.id.clone()));
        Ok(Page {
            items: self.case_views(scope, rows).await?,
            next_cursor,
        })
    }

    /// Changes the plan or the amount of a case that is still planned.
    pub async fn patch_case(
        &self,
        scope: &Scope,
        id: Uuid,
        plan: Option<Plan>,
        amount: Option<i64>,
    ) -> Result<CaseView> {
        let row = self.case_row(scope, id).await?;
        scope.require(Permission::Update)?;
        let area = village(row.case.area_code)?;
        let now = self.now();
        let change = move |old: &CaseRow| -> Result<CaseRow> {
            let s = old
                .state()?
                .change(plan, amount)
                .map_err(|e| StoreError::Conflict(e.to_string()))?;
            Ok(CaseRow {
                plan: s.plan.as_str().into(),
                amount: s.amount,
                ..old.clone()
            })
        };
        let entry = AuditEntry::new("update", "case", id, Some(area))
            .detail(serde_json::json!({"plan": plan.map(Plan::as_str), "amount": amount}));
        let sid = id.to_string();
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            RecoveryTx::update_case(&mut *tx, scope, now, &sid, &change, None, entry).await?;
            tx.commit().await?;
        });
        self.case(scope, id).await
    }

    /// Records the payment of a released tranche (409 if it is pending or paid).
    pub async fn pay_tranche(
        &self,
        scope: &Scope,
        id: Uuid,
        n: i64,
        input: &PaymentInput,
    ) -> Result<CaseView> {
        let row = self.case_row(scope, id).await?;
        scope.require(Permission::Update)?;
        let mut v = ValidationError::default();
        let paid_on = v.check(
            "paid_on",
            "invalid_date",
            time::Date::parse(
                input.paid_on.trim(),
                &time::format_description::well_known::Iso8601::DATE,
            )
            .map_err(|_| format!("{:?} is not a date like 2023-12-01", input.paid_on)),
        );
        if paid_on.is_some_and(|d| d > self.clock.today()) {
            v.push(
                "paid_on",
                "in_the_future",
                "a payment is recorded once made",
            );
        }
        if input.reference.chars().count() > 200 {
            v.push("reference", "too_long", "at most 200 characters");
        }
        v.finish(())?;
        let status: Option<String> = on_pool!(self, p => sqlx::query_scalar(
            "SELECT status FROM tranches WHERE case_id = $1 AND n = $2")
            .bind(id.to_string()).bind(n).fetch_optional(p).await?);
        let status = status.ok_or(StoreError::NotFound)?;
        let status = TrancheStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("tranche {status:?}")))?;
        pay(u8::try_from(n).unwrap_or(u8::MAX), status)
            .map_err(|e| StoreError::Conflict(e.to_string()))?;
        let area = village(row.case.area_code)?;
        let payment = Payment {
            n,
            paid_on: paid_on.map(format_date).unwrap_or_default(),
            reference: input.reference.trim().to_owned(),
            by: scope.actor().map(|a| a.user_id.to_string()),
        };
        let entry = AuditEntry::new("pay", "tranche", format!("{id}/{n}"), Some(area)).detail(
            serde_json::json!({"paid_on": payment.paid_on, "reference": payment.reference}),
        );
        let now = self.now();
        let sid = id.to_string();
        let keep = |old: &CaseRow| -> Result<CaseRow> { Ok(old.clone()) };
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            RecoveryTx::update_case(&mut *tx, scope, now, &sid, &keep, Some(&payment), entry).await?;
            tx.commit().await?;
        });
        self.case(scope, id).await
    }

    /// The case of a house in a disaster, if one was ever opened.
    pub async fn case_of_house(
        &self,
        scope: &Scope,
        disaster: Uuid,
        house: Uuid,
    ) -> Result<Option<CaseView>> {
        let id: Option<String> = on_pool!(self, p => sqlx::query_scalar(
            "SELECT id FROM cases WHERE disaster_id = $1 AND house_id = $2")
            .bind(disaster.to_string()).bind(house.to_string()).fetch_optional(p).await?);
        match id {
            Some(id) => Ok(Some(self.case(scope, uuid(&id)?).await?)),
            None => Ok(None),
        }
    }
}
