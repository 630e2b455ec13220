//! Evacuation plans: the threatened households of an area and hazard, the sites they may
//! use, `anju_plan` in between, and one stored row per household.
//!
//! Each household is one solver origin (so it is never split), keyed by a 64-bit fold of
//! its id; sites likewise. A plan keeps the solver's warm state so that a re-plan after a
//! site closes moves the fewest households and costs a fraction of the first solve.

// Joined rows are read as tuples straight from SQL: naming a struct for each one-off
// query would add more than it explains.
#![allow(clippy::type_complexity)]

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use anju_core::officer::format_time;
use anju_core::prevention::{Hazard, SiteStatus, evacuation_priority, max_distance_m};
use anju_core::{AreaCode, Permission, Scope, ValidationError};
use anju_plan::{Assignment, Origin, PlanOptions, PlanState, Point, Unplaced, UnplacedReason};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{AuditEntry, append_audit};
use crate::households::{phone_out, uuid};
use crate::pool::on_pool;
use crate::{Result, Store, StoreError};

/// Figures of a plan, its sites, the unplaced and the last re-plan's changes.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanView {
    pub id: Uuid,
    pub area: String,
    pub hazard: Hazard,
    /// 1 for the first plan, +1 for each re-plan.
    pub revision: i64,
    pub households: i64,
    pub people: i64,
    pub placed_households: i64,
    pub placed_people: i64,
    pub unplaced_households: i64,
    pub unplaced_people: i64,
    /// Σ people × metres travelled (great-circle).
    pub total_distance_m: i64,
    /// The farthest any placed household travels.
    pub max_distance_m: i64,
    /// The solver's objective and its flow lower bound; `gap` bounds what keeping
    /// households whole cost.
    pub cost: i64,
    pub flow_bound: i64,
    pub gap: i64,
    /// Time of the last solve (first plan or re-plan), solver only.
    pub solve_ms: i64,
    /// Households moved by the last re-plan.
    pub moved_households: i64,
    /// Why the last revision was made.
    pub reason: String,
    pub sites: Vec<PlanSiteView>,
    pub unplaced: Vec<UnplacedView>,
    /// What the last re-plan changed.
    pub changes: Vec<PlanChangeView>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanSiteView {
    pub site_id: Uuid,
    pub name: String,
    pub status: SiteStatus,
    pub capacity: i64,
    pub lon: f64,
    pub lat: f64,
    pub households: i64,
    pub people: i64,
    pub vulnerable_people: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnplacedView {
    pub household_id: Uuid,
    pub head_name: String,
    pub area: String,
    pub people: i64,
    /// no_site_in_reach, capacity_exhausted or no_location.
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanChangeView {
    pub household_id: Uuid,
    pub head_name: String,
    pub from_site: Option<Uuid>,
    pub to_site: Option<Uuid>,
}

/// One household on a site's roster.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RosterEntry {
    pub household_id: Uuid,
    pub area: String,
    pub address: String,
    pub head_name: String,
    pub people: i64,
    pub members: Vec<RosterMember>,
    pub vulnerable_people: i64,
    /// Masked unless the caller may see personal data.
    pub phone: Option<String>,
    /// The cadre responsible for the household (包保责任人), or its grid member.
    pub responsible: Option<String>,
    pub distance_m: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RosterMember {
    pub name: String,
    pub vulnerabilities: Vec<anju_core::household::Vulnerability>,
}

/// Where a household goes in each plan that includes it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HouseholdSiteView {
    pub plan_id: Uuid,
    pub hazard: Hazard,
    pub plan_area: String,
    pub site_id: Option<Uuid>,
    pub site_name: Option<String>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub distance_m: Option<i64>,
    pub unplaced_reason: Option<String>,
}

/// A re-plan made because a site changed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Replanned {
    pub plan_id: Uuid,
    pub revision: i64,
    pub moved_households: i64,
    pub unplaced_households: i64,
    pub changes: usize,
    pub solve_ms: i64,
}

/// One household's site change, as the store reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteChange {
    pub household: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

fn key(id: &str) -> Result<u64> {
    let (a, b) = uuid(id)?.as_u64_pair();
    Ok(a ^ b)
}

/// A threatened household as the solver needs it.
#[derive(sqlx::FromRow)]
struct OriginRow {
    id: String,
    people: i64,
    bed: Option<i64>,
    weak: Option<i64>,
    hlon: Option<f64>,
    hlat: Option<f64>,
    alon: Option<f64>,
    alat: Option<f64>,
}

#[derive(sqlx::FromRow)]
struct SiteRow {
    id: String,
    lon: f64,
    lat: f64,
    capacity: i64,
    status: String,
}

#[derive(sqlx::FromRow)]
struct PlanRow {
    area: String,
    hazard: String,
    revision: i64,
    site_lo: i64,
    site_hi: i64,
    households: i64,
    people: i64,
    placed_households: i64,
    placed_people: i64,
    unplaced_households: i64,
    unplaced_people: i64,
    total_distance_m: i64,
    max_distance_m: i64,
    cost: i64,
    flow_bound: i64,
    gap: i64,
    solve_ms: i64,
    moved_households: i64,
    reason: String,
    created_at: i64,
    updated_at: i64,
}

const PLAN_COLUMNS: &str = "id, area, hazard, revision, site_lo, site_hi, households, people, placed_households, \
     placed_people, unplaced_households, unplaced_people, total_distance_m, max_distance_m, cost, flow_bound, gap, \
     solve_ms, moved_households, reason, created_at, updated_at";

/// The per-household outcome, as stored.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    site: Option<String>,
    people: i64,
    priority: i64,
    distance: Option<i64>,
    reason: Option<&'static str>,
}

/// Everything a solve produced, ready to store.
struct Solved {
    rows: HashMap<String, Row>,
    figures: Figures,
    state: Vec<u8>,
}

struct Figures {
    households: i64,
    people: i64,
    placed_households: i64,
    placed_people: i64,
    unplaced_households: i64,
    unplaced_people: i64,
    total_distance_m: i64,
    max_distance_m: i64,
    cost: i64,
    flow_bound: i64,
    gap: i64,
    solve_ms: i64,
    moved_households: i64,
}

fn reason_name(r: UnplacedReason) -> &'static str {
    match r {
        UnplacedReason::NoSiteInReach => "no_site_in_reach",
        UnplacedReason::CapacityExhausted => "capacity_exhausted",
    }
}

/// The solver's warm state as bytes: three counts, then fixed-width little-endian rows.
fn encode_state(s: &PlanState) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        12 + s.prices.len() * 16 + s.widened.len() * 16 + s.positions.len() * 25,
    );
    for n in [s.prices.len(), s.widened.len(), s.positions.len()] {
        out.extend_from_slice(&(n as u32).to_le_bytes());
    }
    for &(a, b) in &s.prices {
        out.extend_from_slice(&a.to_le_bytes());
        out.extend_from_slice(&b.to_le_bytes());
    }
    for &(a, b) in &s.widened {
        out.extend_from_slice(&a.to_le_bytes());
        out.extend_from_slice(&(b as u64).to_le_bytes());
    }
    for &(o, site, people) in &s.positions {
        out.extend_from_slice(&o.to_le_bytes());
        out.push(u8::from(site.is_some()));
        out.extend_from_slice(&site.unwrap_or(0).to_le_bytes());
        out.extend_from_slice(&people.to_le_bytes());
    }
    out
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N]> {
        let s = self
            .b
            .get(self.at..self.at + N)
            .and_then(|s| <[u8; N]>::try_from(s).ok())
            .ok_or_else(|| StoreError::Corrupt("plan state".into()))?;
        self.at += N;
        Ok(s)
    }
    fn u32(&mut self) -> Result<usize> {
        Ok(u32::from_le_bytes(self.take()?) as usize)
    }
    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.take()?))
    }
}

fn decode_state(b: &[u8]) -> Result<PlanState> {
    let mut r = Reader { b, at: 0 };
    let (np, nw, nq) = (r.u32()?, r.u32()?, r.u32()?);
    let mut s = PlanState::default();
    for _ in 0..np {
        s.prices.push((r.u64()?, r.u64()? as i64));
    }
    for _ in 0..nw {
        s.widened.push((r.u64()?, r.u64()? as usize));
    }
    for _ in 0..nq {
        let o = r.u64()?;
        let has = r.take::<1>()?[0] != 0;
        let site = r.u64()?;
        let people = r.u64()? as i64;
        s.positions.push((o, has.then_some(site), people));
    }
    Ok(s)
}

/// The solver's inputs for a plan: origins and sites with the maps back to ids.
struct Inputs {
    origins: Vec<Origin>,
    origin_ids: HashMap<u64, (String, i64, i64)>,
    no_location: Vec<(String, i64, i64)>,
    sites: Vec<anju_plan::Site>,
    site_ids: HashMap<u64, String>,
}

impl Store {
    async fn plan_inputs(
        &self,
        hazard: Hazard,
        range: (i64, i64),
        sites: (i64, i64),
    ) -> Result<Inputs> {
        let (lo, hi) = range;
        // A household's point is its (first) house's; without one, its village's centre.
        let rows: Vec<OriginRow> = on_pool!(self, p => sqlx::query_as(
            "SELECT h.id, h.people, \
               (SELECT MAX(m.vulnerabilities & 4) FROM members m WHERE m.household_id = h.id) AS bed, \
               (SELECT MAX(m.vulnerabilities & 3) FROM members m WHERE m.household_id = h.id) AS weak, \
               (SELECT o.lon FROM houses o WHERE o.owner_household_id = h.id AND o.archived_at IS NULL ORDER BY o.id LIMIT 1) AS hlon, \
               (SELECT o.lat FROM houses o WHERE o.owner_household_id = h.id AND o.archived_at IS NULL ORDER BY o.id LIMIT 1) AS hlat, \
               a.lon AS alon, a.lat AS alat \
             FROM households h LEFT JOIN areas a ON a.code = h.area_code \
             WHERE h.archived_at IS NULL AND h.area_code >= $2 AND h.area_code < $3 AND h.people > 0 AND h.id IN ( \
               SELECT t.household_id FROM risk_threats t JOIN risks r ON r.id = t.risk_id \
               WHERE r.hazard = $1 AND t.confirmed = 1 AND r.archived_at IS NULL AND r.area_code >= $2 AND r.area_code < $3) \
             ORDER BY h.id")
            .bind(hazard.as_str()).bind(lo).bind(hi).fetch_all(p).await?);
        let mut origins = Vec::with_capacity(rows.len());
        let mut origin_ids = HashMap::with_capacity(rows.len());
        let mut no_location = Vec::new();
        for r in rows {
            let bits = r.bed.unwrap_or(0) | r.weak.unwrap_or(0);
            let priority = evacuation_priority(bits);
            let point = match (r.hlon, r.hlat, r.alon, r.alat) {
                (Some(x), Some(y), _, _)
                | (None, _, Some(x), Some(y))
                | (_, None, Some(x), Some(y)) => Some(Point::new(x, y)),
                _ => None,
            };
            let Some(point) = point else {
                no_location.push((r.id, r.people, i64::from(priority)));
                continue;
            };
            let k = key(&r.id)?;
            let people =
                u32::try_from(r.people).map_err(|_| StoreError::Corrupt("people".into()))?;
            let mut o = Origin::new(k, point, people, people);
            o.priority = priority;
            o.max_distance_m = Some(max_distance_m(priority));
            if origin_ids
                .insert(k, (r.id, r.people, i64::from(priority)))
                .is_some()
            {
                return Err(StoreError::Conflict(
                    "two households share a plan key".into(),
                ));
            }
            origins.push(o);
        }
        let (slo, shi) = sites;
        let srows: Vec<SiteRow> = on_pool!(self, p => sqlx::query_as(
            "SELECT id, lon, lat, capacity, status FROM sites WHERE area_code >= $1 AND area_code < $2 ORDER BY id")
            .bind(slo).bind(shi).fetch_all(p).await?);
        let mut site_list = Vec::with_capacity(srows.len());
        let mut site_ids = HashMap::with_capacity(srows.len());
        for s in srows {
            let k = key(&s.id)?;
            let mut site = anju_plan::Site::new(
                k,
                Point::new(s.lon, s.lat),
                u32::try_from(s.capacity).unwrap_or(0),
            );
            site.open = s.status == SiteStatus::Open.as_str();
            if site_ids.insert(k, s.id).is_some() {
                return Err(StoreError::Conflict("two sites share a plan key".into()));
            }
            site_list.push(site);
        }
        Ok(Inputs {
            origins,
            origin_ids,
            no_location,
            sites: site_list,
            site_ids,
        })
    }

    /// Runs the solver (on a blocking thread: a district takes seconds) and maps the
    /// result back to households and sites.
    async fn solve(inputs: Inputs, previous: Option<anju_plan::Plan>) -> Result<Solved> {
        tokio::task::spawn_blocking(move || {
            let options = PlanOptions::default();
            let started = Instant::now();
            let plan = match &previous {
                None => anju_plan::plan(&inputs.origins, &inputs.sites, &options),
                Some(prev) => anju_plan::replan(prev, &inputs.origins, &inputs.sites, &options),
            }
            .map_err(|e| StoreError::Conflict(format!("the solver refused the plan: {e}")))?;
            let solve_ms = started.elapsed().as_millis() as i64;
            let mut rows =
                HashMap::with_capacity(inputs.origin_ids.len() + inputs.no_location.len());
            let (mut total, mut max) = (0i64, 0i64);
            for a in &plan.assignments {
                let (hid, people, priority) =
                    inputs.origin_ids.get(&a.origin).cloned().ok_or_else(|| {
                        StoreError::Corrupt("the solver named an unknown household".into())
                    })?;
                let site = inputs.site_ids.get(&a.site).cloned();
                total += a.cost_per_person * i64::from(a.people);
                max = max.max(a.cost_per_person);
                rows.insert(
                    hid,
                    Row {
                        site,
                        people,
                        priority,
                        distance: Some(a.cost_per_person),
                        reason: None,
                    },
                );
            }
            for u in &plan.unplaced {
                let (hid, people, priority) =
                    inputs.origin_ids.get(&u.origin).cloned().ok_or_else(|| {
                        StoreError::Corrupt("the solver named an unknown household".into())
                    })?;
                rows.insert(
                    hid,
                    Row {
                        site: None,
                        people,
                        priority,
                        distance: None,
                        reason: Some(reason_name(u.reason)),
                    },
                );
            }
            for (hid, people, priority) in &inputs.no_location {
                rows.insert(
                    hid.clone(),
                    Row {
                        site: None,
                        people: *people,
                        priority: *priority,
                        distance: None,
                        reason: Some("no_location"),
                    },
                );
            }
            let unplaced_households = rows.values().filter(|r| r.site.is_none()).count() as i64;
            let unplaced_people: i64 = rows
                .values()
                .filter(|r| r.site.is_none())
                .map(|r| r.people)
                .sum();
            let people: i64 = rows.values().map(|r| r.people).sum();
            let figures = Figures {
                households: rows.len() as i64,
                people,
                placed_households: rows.len() as i64 - unplaced_households,
                placed_people: people - unplaced_people,
                unplaced_households,
                unplaced_people,
                total_distance_m: total,
                max_distance_m: max,
                cost: plan.cost,
                flow_bound: plan.flow_bound,
                gap: plan.gap,
                solve_ms,
                moved_households: plan.moved_households as i64,
            };
            Ok(Solved {
                rows,
                figures,
                state: encode_state(&plan.state()),
            })
        })
        .await
        .map_err(|e| StoreError::Corrupt(format!("the solver thread failed: {e}")))?
    }

    /// Plans the evacuation of everyone the area's risks threaten for `hazard`, to the
    /// open sites of the area's district (as far as the caller's scope reaches).
    pub async fn create_plan(
        &self,
        scope: &Scope,
        id: Option<Uuid>,
        area: AreaCode,
        hazard: Hazard,
    ) -> Result<PlanView> {
        scope.require(Permission::Create)?;
        self.check_area(scope, "area", area, None)
            .await
            .or_else(|e| match (e, scope.root()) {
                // A town user asking for their district plans their town.
                (StoreError::OutOfScope(_), Some(root)) if area.contains(root) => Ok(()),
                (e, _) => Err(e),
            })?;
        let area = match scope.root() {
            Some(root) if area.contains(root) => root,
            _ => area,
        };
        let range = area.subtree_range();
        let district = area.district().unwrap_or(area);
        let sites = scope.narrow(Some(district)).unwrap_or(range);
        let inputs = self.plan_inputs(hazard, range, sites).await?;
        let solved = Self::solve(inputs, None).await?;
        let id = id.unwrap_or_else(Uuid::now_v7);
        let now = self.now();
        let f = &solved.figures;
        let reason = "first plan";
        on_pool!(self, p => {
            let _turn = self.write_turn().await;
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "INSERT INTO plans (id, area_code, area, hazard, revision, site_lo, site_hi, households, people, \
                 placed_households, placed_people, unplaced_households, unplaced_people, total_distance_m, max_distance_m, \
                 cost, flow_bound, gap, solve_ms, moved_households, reason, state, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, 1, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, 0, $19, $20, $21, $21) \
                 ON CONFLICT (id) DO NOTHING")
                .bind(id.to_string()).bind(area.padded()).bind(area.to_string()).bind(hazard.as_str())
                .bind(sites.0).bind(sites.1).bind(f.households).bind(f.people).bind(f.placed_households)
                .bind(f.placed_people).bind(f.unplaced_households).bind(f.unplaced_people).bind(f.total_distance_m)
                .bind(f.max_distance_m).bind(f.cost).bind(f.flow_bound).bind(f.gap).bind(f.solve_ms).bind(reason)
                .bind(solved.state.clone()).bind(now)
                .execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                return Err(StoreError::Conflict("a plan with this id exists".into()));
            }
            let rows: Vec<(&String, &Row)> = solved.rows.iter().collect();
            for chunk in rows.chunks(2000) {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO plan_households (plan_id, household_id, site_id, people, priority, distance_m, unplaced_reason) ");
                qb.push_values(chunk, |mut b, (h, r)| {
                    b.push_bind(id.to_string()).push_bind((*h).clone()).push_bind(r.site.clone()).push_bind(r.people)
                        .push_bind(r.priority).push_bind(r.distance).push_bind(r.reason);
                });
                qb.build().execute(&mut *tx).await?;
            }
            append_audit!(tx, now, scope, [AuditEntry::new("create", "plan", id, Some(area))
                .detail(serde_json::json!({"hazard": hazard.as_str(), "households": f.households}))]);
            tx.commit().await?;
        });
        self.plan(scope, id).await
    }

    /// Plans whose site range holds `area` (a changed site's area).
    pub(crate) async fn plans_using_site(&self, area: AreaCode) -> Result<Vec<Uuid>> {
        let ids: Vec<String> = on_pool!(self, p => sqlx::query_scalar(
            "SELECT id FROM plans WHERE site_lo <= $1 AND site_hi > $1 ORDER BY id")
            .bind(area.padded()).fetch_all(p).await?);
        ids.iter().map(|s| uuid(s)).collect()
    }

    /// Re-plans with the fewest households moved, from the stored plan's warm state, and
    /// records every household whose site changed.
    pub async fn replan(&self, scope: &Scope, id: Uuid, reason: &str) -> Result<Replanned> {
        let row: PlanRow = on_pool!(self, p => sqlx::query_as::<_, PlanRow>(sqlx::AssertSqlSafe(
            format!("SELECT {PLAN_COLUMNS} FROM plans WHERE id = $1")))
            .bind(id.to_string()).fetch_optional(p).await?)
        .ok_or(StoreError::NotFound)?;
        let state: Vec<u8> = on_pool!(self, p => sqlx::query_scalar("SELECT state FROM plans WHERE id = $1")
            .bind(id.to_string()).fetch_one(p).await?);
        let area = AreaCode::parse(&row.area).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let hazard =
            Hazard::parse(&row.hazard).ok_or_else(|| StoreError::Corrupt("hazard".into()))?;
        let old: Vec<(
            String,
            Option<String>,
            i64,
            i64,
            Option<i64>,
            Option<String>,
        )> = on_pool!(self, p => sqlx::query_as(
            "SELECT household_id, site_id, people, priority, distance_m, unplaced_reason FROM plan_households WHERE plan_id = $1")
            .bind(id.to_string()).fetch_all(p).await?);
        let mut assignments = Vec::new();
        let mut unplaced = Vec::new();
        for (h, site, people, _, distance, reason) in &old {
            let origin = key(h)?;
            let people = u32::try_from(*people).unwrap_or(0);
            match site {
                Some(s) => assignments.push(Assignment {
                    origin,
                    site: key(s)?,
                    households: 1,
                    people,
                    cost_per_person: distance.unwrap_or(0),
                }),
                None if reason.as_deref() != Some("no_location") => unplaced.push(Unplaced {
                    origin,
                    households: 1,
                    people,
                    reason: if reason.as_deref() == Some("no_site_in_reach") {
                        UnplacedReason::NoSiteInReach
                    } else {
                        UnplacedReason::CapacityExhausted
                    },
                }),
                None => {}
            }
        }
        let previous = anju_plan::Plan::restore(assignments, unplaced, decode_state(&state)?);
        let inputs = self
            .plan_inputs(hazard, area.subtree_range(), (row.site_lo, row.site_hi))
            .await?;
        let solved = Self::solve(inputs, Some(previous)).await?;
        let before: HashMap<&str, (Option<&String>, i64, i64, Option<i64>, Option<&str>)> = old
            .iter()
            .map(|(h, s, p, pr, d, r)| (h.as_str(), (s.as_ref(), *p, *pr, *d, r.as_deref())))
            .collect();
        let mut changes = Vec::new();
        let mut upserts = Vec::new();
        for (h, r) in &solved.rows {
            match before.get(h.as_str()) {
                Some(&(s, p, pr, d, reason)) => {
                    if s != r.site.as_ref() {
                        changes.push(SiteChange {
                            household: h.clone(),
                            from: s.cloned(),
                            to: r.site.clone(),
                        });
                    }
                    if s != r.site.as_ref()
                        || p != r.people
                        || pr != r.priority
                        || d != r.distance
                        || reason != r.reason
                    {
                        upserts.push((h, r));
                    }
                }
                None => upserts.push((h, r)),
            }
        }
        let gone: Vec<&String> = old
            .iter()
            .map(|o| &o.0)
            .filter(|h| !solved.rows.contains_key(*h))
            .collect();
        let revision = row.revision + 1;
        let now = self.now();
        let f = &solved.figures;
        on_pool!(self, p => {
            let _turn = self.write_turn().await;
            let mut tx = p.begin().await?;
            sqlx::query(
                "UPDATE plans SET revision = $2, households = $3, people = $4, placed_households = $5, placed_people = $6, \
                 unplaced_households = $7, unplaced_people = $8, total_distance_m = $9, max_distance_m = $10, cost = $11, \
                 flow_bound = $12, gap = $13, solve_ms = $14, moved_households = $15, reason = $16, state = $17, updated_at = $18 \
                 WHERE id = $1")
                .bind(id.to_string()).bind(revision).bind(f.households).bind(f.people).bind(f.placed_households)
                .bind(f.placed_people).bind(f.unplaced_households).bind(f.unplaced_people).bind(f.total_distance_m)
                .bind(f.max_distance_m).bind(f.cost).bind(f.flow_bound).bind(f.gap).bind(f.solve_ms)
                .bind(f.moved_households).bind(reason).bind(solved.state.clone()).bind(now)
                .execute(&mut *tx).await?;
            for h in &gone {
                sqlx::query("DELETE FROM plan_households WHERE plan_id = $1 AND household_id = $2")
                    .bind(id.to_string()).bind((*h).clone()).execute(&mut *tx).await?;
            }
            for chunk in upserts.chunks(2000) {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO plan_households (plan_id, household_id, site_id, people, priority, distance_m, unplaced_reason) ");
                qb.push_values(chunk, |mut b, (h, r)| {
                    b.push_bind(id.to_string()).push_bind((*h).clone()).push_bind(r.site.clone()).push_bind(r.people)
                        .push_bind(r.priority).push_bind(r.distance).push_bind(r.reason);
                });
                qb.push(" ON CONFLICT (plan_id, household_id) DO UPDATE SET site_id = excluded.site_id, people = excluded.people, \
                         priority = excluded.priority, distance_m = excluded.distance_m, unplaced_reason = excluded.unplaced_reason");
                qb.build().execute(&mut *tx).await?;
            }
            for chunk in changes.chunks(2000) {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO plan_changes (plan_id, revision, household_id, from_site, to_site) ");
                qb.push_values(chunk, |mut b, c| {
                    b.push_bind(id.to_string()).push_bind(revision).push_bind(c.household.clone())
                        .push_bind(c.from.clone()).push_bind(c.to.clone());
                });
                qb.build().execute(&mut *tx).await?;
            }
            append_audit!(tx, now, scope, [AuditEntry::new("replan", "plan", id, Some(area))
                .detail(serde_json::json!({"reason": reason, "moved": changes.len()}))]);
            tx.commit().await?;
        });
        Ok(Replanned {
            plan_id: id,
            revision,
            moved_households: f.moved_households,
            unplaced_households: f.unplaced_households,
            changes: changes.len(),
            solve_ms: f.solve_ms,
        })
    }

    async fn plan_row(&self, scope: &Scope, id: Uuid) -> Result<PlanRow> {
        let (lo, hi) = scope.range();
        on_pool!(self, p => sqlx::query_as::<_, PlanRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {PLAN_COLUMNS} FROM plans WHERE id = $1 AND area_code >= $2 AND area_code < $3")))
            .bind(id.to_string()).bind(lo).bind(hi).fetch_optional(p).await?)
        .ok_or(StoreError::NotFound)
    }

    pub async fn plan(&self, scope: &Scope, id: Uuid) -> Result<PlanView> {
        let row = self.plan_row(scope, id).await?;
        let pid = id.to_string();
        let sites: Vec<(String, String, String, i64, f64, f64, i64, i64, i64)> = on_pool!(self, p => sqlx::query_as(
            "SELECT s.id, s.name, s.status, s.capacity, s.lon, s.lat, COUNT(*), CAST(SUM(ph.people) AS BIGINT), CAST(SUM(h.vulnerable) AS BIGINT) \
             FROM plan_households ph JOIN sites s ON s.id = ph.site_id JOIN households h ON h.id = ph.household_id \
             WHERE ph.plan_id = $1 GROUP BY s.id, s.name, s.status, s.capacity, s.lon, s.lat ORDER BY s.id")
            .bind(pid.clone()).fetch_all(p).await?);
        let unplaced: Vec<(String, String, i64, i64, Option<String>)> = on_pool!(self, p => sqlx::query_as(
            "SELECT ph.household_id, h.head_name, h.area_code, ph.people, ph.unplaced_reason FROM plan_households ph \
             JOIN households h ON h.id = ph.household_id WHERE ph.plan_id = $1 AND ph.site_id IS NULL \
             ORDER BY ph.priority DESC, h.area_code, h.id LIMIT 1000")
            .bind(pid.clone()).fetch_all(p).await?);
        let changes: Vec<(String, String, Option<String>, Option<String>)> = on_pool!(self, p => sqlx::query_as(
            "SELECT c.household_id, h.head_name, c.from_site, c.to_site FROM plan_changes c \
             JOIN households h ON h.id = c.household_id WHERE c.plan_id = $1 AND c.revision = $2 \
             ORDER BY c.household_id LIMIT 1000")
            .bind(pid.clone()).bind(row.revision).fetch_all(p).await?);
        let opt = |s: &Option<String>| s.as_deref().map(uuid).transpose();
        Ok(PlanView {
            id,
            area: row.area,
            hazard: Hazard::parse(&row.hazard)
                .ok_or_else(|| StoreError::Corrupt("hazard".into()))?,
            revision: row.revision,
            households: row.households,
            people: row.people,
            placed_households: row.placed_households,
            placed_people: row.placed_people,
            unplaced_households: row.unplaced_households,
            unplaced_people: row.unplaced_people,
            total_distance_m: row.total_distance_m,
            max_distance_m: row.max_distance_m,
            cost: row.cost,
            flow_bound: row.flow_bound,
            gap: row.gap,
            solve_ms: row.solve_ms,
            moved_households: row.moved_households,
            reason: row.reason,
            sites: sites
                .into_iter()
                .map(
                    |(id, name, status, capacity, lon, lat, households, people, vulnerable)| {
                        Ok(PlanSiteView {
                            site_id: uuid(&id)?,
                            name,
                            status: SiteStatus::parse(&status)
                                .ok_or_else(|| StoreError::Corrupt("status".into()))?,
                            capacity,
                            lon,
                            lat,
                            households,
                            people,
                            vulnerable_people: vulnerable,
                        })
                    },
                )
                .collect::<Result<_>>()?,
            unplaced: unplaced
                .into_iter()
                .map(|(h, name, area, people, reason)| {
                    Ok(UnplacedView {
                        household_id: uuid(&h)?,
                        head_name: name,
                        area: crate::households::area_string(area, anju_core::AreaLevel::Village)?,
                        people,
                        reason: reason.unwrap_or_default(),
                    })
                })
                .collect::<Result<_>>()?,
            changes: changes
                .into_iter()
                .map(|(h, name, from, to)| {
                    Ok(PlanChangeView {
                        household_id: uuid(&h)?,
                        head_name: name,
                        from_site: opt(&from)?,
                        to_site: opt(&to)?,
                    })
                })
                .collect::<Result<_>>()?,
            created_at: format_time(row.created_at),
            updated_at: format_time(row.updated_at),
        })
    }

    pub async fn list_plans(&self, scope: &Scope, area: Option<AreaCode>) -> Result<Vec<PlanView>> {
        let Some((lo, hi)) = scope.narrow(area) else {
            return Ok(vec![]);
        };
        let ids: Vec<String> = on_pool!(self, p => sqlx::query_scalar(
            "SELECT id FROM plans WHERE area_code >= $1 AND area_code < $2 ORDER BY created_at DESC, id LIMIT 200")
            .bind(lo).bind(hi).fetch_all(p).await?);
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let mut v = self.plan(scope, uuid(&id)?).await?;
            // The list carries the figures; a plan's page carries the rest.
            v.sites.clear();
            v.unplaced.clear();
            v.changes.clear();
            out.push(v);
        }
        Ok(out)
    }

    /// Every household a plan sends to a site, for the printable roster.
    pub async fn plan_roster(
        &self,
        scope: &Scope,
        plan: Uuid,
        site: Uuid,
    ) -> Result<Vec<RosterEntry>> {
        self.plan_row(scope, plan).await?;
        let (lo, hi) = scope.range();
        let rows: Vec<(
            String,
            i64,
            String,
            String,
            i64,
            i64,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<i64>,
        )> = on_pool!(self, p => sqlx::query_as(
            "SELECT h.id, h.area_code, h.address, h.head_name, h.people, h.vulnerable, h.phone, \
               COALESCE(r.name, g.name), COALESCE(r.phone, g.phone), ph.distance_m \
             FROM plan_households ph JOIN households h ON h.id = ph.household_id \
             LEFT JOIN officers r ON r.id = h.responsible_officer_id LEFT JOIN officers g ON g.id = h.grid_officer_id \
             WHERE ph.plan_id = $1 AND ph.site_id = $2 AND h.area_code >= $3 AND h.area_code < $4 \
             ORDER BY h.area_code, h.head_name, h.id")
            .bind(plan.to_string()).bind(site.to_string()).bind(lo).bind(hi).fetch_all(p).await?);
        let ids: HashSet<&str> = rows.iter().map(|r| r.0.as_str()).collect();
        let mut members: HashMap<String, Vec<RosterMember>> = HashMap::new();
        let all: Vec<(String, String, i64)> = on_pool!(self, p => sqlx::query_as(
            "SELECT m.household_id, m.name, m.vulnerabilities FROM plan_households ph JOIN members m ON m.household_id = ph.household_id \
             WHERE ph.plan_id = $1 AND ph.site_id = $2 ORDER BY m.household_id, m.idx")
            .bind(plan.to_string()).bind(site.to_string()).fetch_all(p).await?);
        for (h, name, bits) in all {
            if ids.contains(h.as_str()) {
                members.entry(h).or_default().push(RosterMember {
                    name,
                    vulnerabilities: anju_core::household::Vulnerability::from_bits(bits),
                });
            }
        }
        rows.into_iter()
            .map(
                |(
                    id,
                    area,
                    address,
                    head,
                    people,
                    vulnerable,
                    phone,
                    officer,
                    officer_phone,
                    distance,
                )| {
                    let responsible = officer.map(|o| match phone_out(scope, officer_phone) {
                        Some(p) => format!("{o} {p}"),
                        None => o,
                    });
                    Ok(RosterEntry {
                        household_id: uuid(&id)?,
                        area: crate::households::area_string(area, anju_core::AreaLevel::Village)?,
                        address,
                        head_name: head,
                        people,
                        members: members.remove(&id).unwrap_or_default(),
                        vulnerable_people: vulnerable,
                        phone: phone_out(scope, phone),
                        responsible,
                        distance_m: distance,
                    })
                },
            )
            .collect()
    }

    /// The site of a household in every plan that includes it.
    pub async fn household_sites(
        &self,
        scope: &Scope,
        household: Uuid,
    ) -> Result<Vec<HouseholdSiteView>> {
        self.household(scope, household).await?;
        let (lo, hi) = scope.range();
        let rows: Vec<(
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            Option<f64>,
            Option<f64>,
            Option<i64>,
            Option<String>,
        )> = on_pool!(self, p => sqlx::query_as(
            "SELECT pl.id, pl.hazard, pl.area, ph.site_id, s.name, s.lon, s.lat, ph.distance_m, ph.unplaced_reason \
             FROM plan_households ph JOIN plans pl ON pl.id = ph.plan_id LEFT JOIN sites s ON s.id = ph.site_id \
             WHERE ph.household_id = $1 AND pl.area_code >= $2 AND pl.area_code < $3 ORDER BY pl.created_at DESC, pl.id")
            .bind(household.to_string()).bind(lo).bind(hi).fetch_all(p).await?);
        rows.into_iter()
            .map(
                |(plan, hazard, area, site, name, lon, lat, distance, reason)| {
                    Ok(HouseholdSiteView {
                        plan_id: uuid(&plan)?,
                        hazard: Hazard::parse(&hazard)
                            .ok_or_else(|| StoreError::Corrupt("hazard".into()))?,
                        plan_area: area,
                        site_id: site.as_deref().map(uuid).transpose()?,
                        site_name: name,
                        lon,
                        lat,
                        distance_m: distance,
                        unplaced_reason: reason,
                    })
                },
            )
            .collect()
    }

    /// Per-household rows of a plan: `(household, site, people)`, for checks and exports.
    pub async fn plan_households(
        &self,
        scope: &Scope,
        plan: Uuid,
    ) -> Result<Vec<(Uuid, Option<Uuid>, i64, Option<String>)>> {
        self.plan_row(scope, plan).await?;
        let rows: Vec<(String, Option<String>, i64, Option<String>)> = on_pool!(self, p => sqlx::query_as(
            "SELECT household_id, site_id, people, unplaced_reason FROM plan_households WHERE plan_id = $1 ORDER BY household_id")
            .bind(plan.to_string()).fetch_all(p).await?);
        rows.into_iter()
            .map(|(h, s, p, r)| Ok((uuid(&h)?, s.as_deref().map(uuid).transpose()?, p, r)))
            .collect()
    }
}

/// Parses a hazard name at the edge.
pub fn parse_hazard(s: &str) -> std::result::Result<Hazard, ValidationError> {
    Hazard::parse(s).ok_or_else(|| {
        ValidationError::single(
            "hazard",
            "invalid_choice",
            format!("one of {}", Hazard::choices()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips() {
        let s = PlanState {
            prices: vec![(1, -5), (u64::MAX, i64::MIN)],
            widened: vec![(7, 12)],
            positions: vec![(3, Some(9), 4), (4, None, 2), (5, Some(0), 1)],
        };
        assert_eq!(decode_state(&encode_state(&s)).expect("decodes"), s);
        assert!(decode_state(&encode_state(&s)[..20]).is_err());
    }
}
