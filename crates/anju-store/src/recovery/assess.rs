//! Assessing houses, one at a time (the API, the phone) or many at once (field-form
//! imports, the demo), and the household's appeal (申诉).
//!
//! Both paths are one: an assessment is prepared (its house, household, assessor, photos
//! and the units a case would need are looked up and checked), then written by
//! `RecoveryTx::write_assessments` with its figures in the same transaction. The bulk
//! loader writes chunks of `LOAD_CHUNK` per transaction and keeps the figures
//! incrementally, each chunk's deltas summed per area first, so a load never needs a
//! rebuild and readers see consistent figures after every chunk.

use std::collections::{HashMap, HashSet};

use anju_core::item::{
    EventKind, GENESIS, ItemKind, ItemSource, Link, LinkKind, NewItem, Priority, standing,
};
use anju_core::lifecycle::ItemState;
use anju_core::recovery::NewAssessment;
use anju_core::{AreaCode, FieldError, Permission, Scope, ValidationError};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::attachments::AttachmentMeta;
use crate::audit::{AuditEntry, append_audit};
use crate::households::{opt_uuid, uuid};
use crate::items::chain::write_events;
use crate::items::{ItemSpec, ItemView, bump_rollup, insert_item, rollup_column};
use crate::notifications::{Notice, write_notices};
use crate::pool::on_pool;
use crate::recovery::disasters::DisasterRow;
use crate::recovery::write::{Prepared, RecoveryTx, WriteCtx, village};
use crate::recovery::{AssessmentDetail, AssessmentView};
use crate::{Result, Store, StoreError};

/// Assessments per transaction of a bulk load: large enough that per-transaction costs
/// vanish, small enough that a lock is never held for long.
pub const LOAD_CHUNK: usize = 500;

/// One assessment of a bulk load.
#[derive(Debug, Clone)]
pub struct AssessmentSeed {
    pub id: Option<Uuid>,
    pub assessment: NewAssessment,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LoadSummary {
    pub added: usize,
    /// Seeds whose `source_uuid` (or id) this disaster already holds: a re-import.
    pub skipped: usize,
    pub cases_opened: usize,
    pub cases_cancelled: usize,
}

/// A household's appeal against the latest assessment of its house.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AppealInput {
    /// The id of the `reassessment` item to open (offline clients choose it).
    #[serde(default)]
    pub id: Option<Uuid>,
    /// What the household disputes.
    pub reason: String,
}

/// How long a re-assessment may take: 15 days.
const APPEAL_DAYS: i64 = 15;

#[derive(sqlx::FromRow)]
struct HouseFacts {
    id: String,
    area_code: i64,
    address: String,
    lon: f64,
    lat: f64,
    rooms: Option<i64>,
    owner_household_id: Option<String>,
    archived_at: Option<i64>,
}

impl Store {
    /// The units a town's cases are handed to: the owner (the town's government, else
    /// the nearest government above) and the verifier (the next government above the
    /// owner, else the owner itself). Where no government unit is registered on the path,
    /// the areas' supervising units stand in, nearest first.
    pub(crate) async fn case_units(&self, village_area: AreaCode) -> Result<Option<(Uuid, Uuid)>> {
        let path: Vec<i64> = village_area.path().iter().map(|a| a.padded()).collect();
        let rows: Vec<(String, i64)> = on_pool!(self, p => {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT id, area_code FROM units WHERE kind = 'government' AND archived_at IS NULL AND area_code IN (",
            );
            let mut sep = qb.separated(", ");
            for c in &path {
                sep.push_bind(*c);
            }
            qb.push(") ORDER BY area_code DESC, id");
            qb.build_query_as().fetch_all(p).await?
        });
        let rows = if rows.is_empty() {
            on_pool!(self, p => {
                let mut qb = sqlx::QueryBuilder::new(
                    "SELECT a.supervising_unit_id, a.code FROM areas a JOIN units u ON u.id = a.supervising_unit_id \
                     WHERE u.archived_at IS NULL AND a.code IN (",
                );
                let mut sep = qb.separated(", ");
                for c in &path {
                    sep.push_bind(*c);
                }
                qb.push(") ORDER BY a.code DESC");
                qb.build_query_as::<(String, i64)>().fetch_all(p).await?
            })
        } else {
            rows
        };
        let Some((owner, owner_area)) = rows.first().cloned() else {
            return Ok(None);
        };
        let verifier = rows
            .iter()
            .find(|(u, a)| *a < owner_area && *u != owner)
            .map(|(u, _)| u.clone())
            .unwrap_or_else(|| owner.clone());
        Ok(Some((uuid(&owner)?, uuid(&verifier)?)))
    }

    /// Checks seeds against the database; every problem is named `seeds[i].field` (or
    /// `field` alone for a single assessment). Returns what to write and how many seeds
    /// are already stored.
    async fn prepare(
        &self,
        scope: &Scope,
        d: &DisasterRow,
        seeds: &[AssessmentSeed],
        single: bool,
    ) -> Result<(Vec<Prepared>, usize)> {
        let facts = d.facts()?;
        let prefix = |i: usize| {
            if single {
                String::new()
            } else {
                format!("seeds[{i}].")
            }
        };
        let (lo, hi) = scope.range();
        let mut houses: HashMap<String, HouseFacts> = HashMap::new();
        let ids: Vec<String> = seeds
            .iter()
            .map(|s| s.assessment.house_id.to_string())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        for chunk in ids.chunks(1000) {
            let rows: Vec<HouseFacts> = on_pool!(self, p => {
                let mut qb = sqlx::QueryBuilder::new(
                    "SELECT id, area_code, address, lon, lat, rooms, owner_household_id, archived_at FROM houses WHERE area_code >= ",
                );
                qb.push_bind(lo).push(" AND area_code < ").push_bind(hi).push(" AND id IN (");
                let mut sep = qb.separated(", ");
                for h in chunk {
                    sep.push_bind(h.clone());
                }
                qb.push(")");
                qb.build_query_as().fetch_all(p).await?
            });
            houses.extend(rows.into_iter().map(|h| (h.id.clone(), h)));
        }
        // Households and officers named explicitly must exist (households in scope).
        let named_households: Vec<String> = seeds
            .iter()
            .filter_map(|s| s.assessment.household_id.map(|h| h.to_string()))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut known_households = HashSet::new();
        for chunk in named_households.chunks(1000) {
            let rows: Vec<String> = on_pool!(self, p => {
                let mut qb = sqlx::QueryBuilder::new("SELECT id FROM households WHERE area_code >= ");
                qb.push_bind(lo).push(" AND area_code < ").push_bind(hi).push(" AND id IN (");
                let mut sep = qb.separated(", ");
                for h in chunk {
                    sep.push_bind(h.clone());
                }
                qb.push(")");
                qb.build_query_scalar().fetch_all(p).await?
            });
            known_households.extend(rows);
        }
        let actor = self.actor_facts(scope).await?;
        let default_assessor = actor.as_ref().and_then(|a| a.officer_id);
        let named_officers: Vec<String> = seeds
            .iter()
            .filter_map(|s| s.assessment.assessor_officer_id.map(|h| h.to_string()))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut known_officers = HashSet::new();
        for chunk in named_officers.chunks(1000) {
            let rows: Vec<String> = on_pool!(self, p => {
                let mut qb = sqlx::QueryBuilder::new(
                    "SELECT id FROM officers WHERE archived_at IS NULL AND id IN (",
                );
                let mut sep = qb.separated(", ");
                for h in chunk {
                    sep.push_bind(h.clone());
                }
                qb.push(")");
                qb.build_query_scalar().fetch_all(p).await?
            });
            known_officers.extend(rows);
        }
        // Already stored: by source uuid (a re-import) or by id (a retry).
        let mut stored_sources = HashSet::new();
        let sources: Vec<String> = seeds
            .iter()
            .filter_map(|s| s.assessment.source_uuid.clone())
            .collect();
        for chunk in sources.chunks(1000) {
            let rows: Vec<String> = on_pool!(self, p => {
                let mut qb = sqlx::QueryBuilder::new(
                    "SELECT source_uuid FROM assessments WHERE disaster_id = ",
                );
                qb.push_bind(d.id.clone()).push(" AND source_uuid IN (");
                let mut sep = qb.separated(", ");
                for h in chunk {
                    sep.push_bind(h.clone());
                }
                qb.push(")");
                qb.build_query_scalar().fetch_all(p).await?
            });
            stored_sources.extend(rows);
        }
        let mut stored_ids = HashSet::new();
        let given: Vec<String> = seeds
            .iter()
            .filter_map(|s| s.id.map(|i| i.to_string()))
            .collect();
        for chunk in given.chunks(1000) {
            let rows: Vec<String> = on_pool!(self, p => {
                let mut qb = sqlx::QueryBuilder::new("SELECT id FROM assessments WHERE id IN (");
                let mut sep = qb.separated(", ");
                for h in chunk {
                    sep.push_bind(h.clone());
                }
                qb.push(")");
                qb.build_query_scalar().fetch_all(p).await?
            });
            stored_ids.extend(rows);
        }

        let mut v = ValidationError::default();
        let mut out = Vec::with_capacity(seeds.len());
        let mut skipped = 0;
        let mut units_by_town: HashMap<i64, Option<(Uuid, Uuid)>> = HashMap::new();
        let mut seen_sources = HashSet::new();
        for (i, s) in seeds.iter().enumerate() {
            let a = &s.assessment;
            let f = |n: &str| format!("{}{n}", prefix(i));
            if a.source_uuid
                .as_ref()
                .is_some_and(|u| stored_sources.contains(u))
                || s.id.is_some_and(|id| stored_ids.contains(&id.to_string()))
            {
                skipped += 1;
                continue;
            }
            if let Some(u) = &a.source_uuid
                && !seen_sources.insert(u.clone())
            {
                v.push(
                    f("source_uuid"),
                    "duplicate",
                    "the same form submission twice",
                );
                continue;
            }
            let Some(h) = houses.get(&a.house_id.to_string()) else {
                v.push(
                    f("house_id"),
                    "unknown_house",
                    "no such house in your scope",
                );
                continue;
            };
            if h.archived_at.is_some() {
                v.push(f("house_id"), "archived_house", "the house is archived");
                continue;
            }
            let area = village(h.area_code)?;
            if !facts.area.contains(area) {
                v.push(
                    f("house_id"),
                    "outside_disaster",
                    format!("the house lies outside the disaster's area {}", facts.area),
                );
                continue;
            }
            if let Err(e) = a.check_context(&prefix(i), h.rooms, facts.started_on) {
                v.errors.extend(e.errors);
            }
            if let Some(hh) = a.household_id
                && !known_households.contains(&hh.to_string())
            {
                v.push(
                    f("household_id"),
                    "unknown_household",
                    "no such household in your scope",
                );
            }
            let assessor = a.assessor_officer_id.or(default_assessor);
            if let Some(o) = a.assessor_officer_id
                && !known_officers.contains(&o.to_string())
            {
                v.push(
                    f("assessor_officer_id"),
                    "unknown_officer",
                    "no such officer",
                );
            }
            let photos: Vec<AttachmentMeta> = if a.photos.is_empty() {
                vec![]
            } else {
                match self.attachments_for(scope, &f("photos"), &a.photos).await {
                    Ok(p) => p,
                    Err(StoreError::Validation(e)) => {
                        v.errors.extend(e.errors);
                        vec![]
                    }
                    Err(e) => return Err(e),
                }
            };
            if let Some(r) = a.answers_appeal {
                match self.item_row(scope, r).await {
                    Ok(row) if row.kind == ItemKind::Reassessment.as_str() => {
                        if let Some(actor) = &actor
                            && !standing(actor, &row.parties()?).owner
                        {
                            return Err(StoreError::Forbidden(Permission::Update));
                        }
                    }
                    _ => v.push(f("answers_appeal"), "unknown_appeal", "no such appeal item"),
                }
            }
            let town = area.parent().map(|t| t.padded()).unwrap_or(0);
            let units = match units_by_town.get(&town) {
                Some(u) => *u,
                None => {
                    let u = self.case_units(area).await?;
                    units_by_town.insert(town, u);
                    u
                }
            };
            let point = a.point.map(|p| (p.lon, p.lat)).unwrap_or((h.lon, h.lat));
            out.push(Prepared {
                id: s.id.unwrap_or_else(Uuid::now_v7).to_string(),
                house_id: h.id.clone(),
                area,
                address: h.address.clone(),
                a: a.clone(),
                household_id: a
                    .household_id
                    .map(|h| h.to_string())
                    .or_else(|| h.owner_household_id.clone()),
                assessor: assessor.map(|o| o.to_string()),
                photos,
                lon: point.0,
                lat: point.1,
                units,
            });
        }
        v.finish(())?;
        Ok((out, skipped))
    }

    pub(crate) fn write_ctx(&self, scope: &Scope) -> WriteCtx {
        WriteCtx {
            now: self.now(),
            actor: scope.actor().map(|a| a.user_id),
            policy: self.deadline_policy(),
        }
    }

    /// Assesses one house: a new version that counts from now on, the case it opens or
    /// cancels, the appeal it answers, and the figures, in one transaction. A retry with
    /// the same client id (or form `_uuid`) returns the assessment already made.
    pub async fn assess(
        &self,
        scope: &Scope,
        disaster: Uuid,
        id: Option<Uuid>,
        a: &NewAssessment,
    ) -> Result<AssessmentView> {
        scope.require(Permission::Create)?;
        let d = self.disaster_row(scope, disaster).await?;
        let seed = AssessmentSeed {
            id,
            assessment: a.clone(),
        };
        let (prepared, skipped) = self.prepare(scope, &d, &[seed], true).await?;
        if skipped == 1 {
            let existing = match id {
                Some(id) => self.assessment(scope, id).await.ok(),
                None => None,
            };
            let existing = match (existing, &a.source_uuid) {
                (Some(e), _) => Some(e),
                (None, Some(u)) => self.assessment_by_source(scope, disaster, u).await?,
                (None, None) => None,
            };
            return match existing {
                Some(e) if e.assessment.house_id == a.house_id => Ok(e.assessment),
                _ => Err(StoreError::Conflict(
                    "an assessment with this id exists".into(),
                )),
            };
        }
        let facts = d.facts()?;
        let ctx = self.write_ctx(scope);
        let id = prepared
            .first()
            .map(|p| p.id.clone())
            .ok_or_else(|| StoreError::Corrupt("nothing prepared".into()))?;
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            RecoveryTx::write_assessments(&mut *tx, scope, &facts, &prepared, &ctx, true).await?;
            tx.commit().await?;
        });
        Ok(self.assessment(scope, uuid(&id)?).await?.assessment)
    }

    /// Checks a bulk load without writing: every bad seed named (`seeds[i].field`).
    pub async fn check_assessments(
        &self,
        scope: &Scope,
        disaster: Uuid,
        seeds: &[AssessmentSeed],
    ) -> Result<Vec<FieldError>> {
        let d = self.disaster_row(scope, disaster).await?;
        match self.prepare(scope, &d, seeds, false).await {
            Ok(_) => Ok(vec![]),
            Err(StoreError::Validation(v)) => Ok(v.errors),
            Err(e) => Err(e),
        }
    }

    /// Loads many assessments (field-form imports, the demo): all checked first (nothing
    /// is written if any seed is bad), then written in chunks of `LOAD_CHUNK` per
    /// transaction, each keeping the figures as a single assessment does. Seeds already
    /// stored (same `source_uuid` or id) are skipped, so a re-run adds nothing. One
    /// audit row per chunk. `progress` is told the seeds written so far.
    pub async fn load_assessments(
        &self,
        scope: &Scope,
        disaster: Uuid,
        seeds: &[AssessmentSeed],
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<LoadSummary> {
        scope.require(Permission::Create)?;
        let d = self.disaster_row(scope, disaster).await?;
        let (prepared, skipped) = self.prepare(scope, &d, seeds, false).await?;
        let facts = d.facts()?;
        let mut summary = LoadSummary {
            skipped,
            ..LoadSummary::default()
        };
        for chunk in prepared.chunks(LOAD_CHUNK) {
            let ctx = self.write_ctx(scope);
            let out = on_pool!(self, p => {
                let mut tx = p.begin().await?;
                let out = RecoveryTx::write_assessments(&mut *tx, scope, &facts, chunk, &ctx, false).await?;
                tx.commit().await?;
                out
            });
            summary.added += chunk.len();
            summary.cases_opened += out.cases_opened;
            summary.cases_cancelled += out.cases_cancelled;
            progress(summary.added);
        }
        Ok(summary)
    }

    /// The household appeals the latest assessment of its house: a `reassessment` item
    /// owned by the assessing unit (the assessor's, else the town government), verified
    /// by the government above the town (who also verifies its cases' gates), due in 15
    /// days.
    pub async fn appeal(
        &self,
        scope: &Scope,
        assessment: Uuid,
        input: &AppealInput,
    ) -> Result<ItemView> {
        scope.require(Permission::Create)?;
        let reason = input.reason.trim();
        if reason.is_empty() {
            return Err(ValidationError::single(
                "reason",
                "required",
                "say what the household disputes",
            )
            .into());
        }
        if reason.chars().count() > anju_core::item::MAX_TEXT_CHARS {
            return Err(
                ValidationError::single("reason", "too_long", "at most 10000 characters").into(),
            );
        }
        let a = self.assessment(scope, assessment).await?.assessment;
        if let Some(id) = input.id
            && a.appeal_item_id == Some(id)
        {
            return self.item_view(scope, id).await;
        }
        if !a.latest {
            return Err(StoreError::Conflict(
                "only the latest assessment of a house can be appealed".into(),
            ));
        }
        if let Some(open) = a.appeal_item_id
            && self
                .item_view(&Scope::everything(), open)
                .await?
                .state
                .is_open()
        {
            return Err(StoreError::Conflict(
                "an appeal against this assessment is open".into(),
            ));
        }
        let actor = self.actor_facts(scope).await?;
        let area = AreaCode::parse(&a.area).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let units = self
            .case_units(area)
            .await?
            .ok_or_else(|| StoreError::Conflict(format!("no government unit governs {area}")))?;
        let assessing_unit: Option<String> = match a.assessor_officer_id {
            Some(o) => {
                on_pool!(self, p => sqlx::query_scalar("SELECT unit_id FROM officers WHERE id = $1")
                .bind(o.to_string()).fetch_optional(p).await?)
            }
            None => None,
        };
        let owner = opt_uuid(assessing_unit)?.unwrap_or(units.0);
        let now = self.now();
        let mut links = vec![Link {
            kind: LinkKind::House,
            id: a.house_id,
        }];
        if let Some(h) = a.household_id {
            links.push(Link {
                kind: LinkKind::Household,
                id: h,
            });
        }
        let spec = ItemSpec {
            id: input.id.unwrap_or_else(Uuid::now_v7),
            parent_id: None,
            item: NewItem {
                title: format!("复核申诉：{}", a.house_address),
                description: reason.to_owned(),
                kind: ItemKind::Reassessment,
                source: ItemSource::Assessment,
                source_ref: Some(a.id.to_string()),
                area,
                owner_unit_id: owner,
                owner_officer_id: None,
                verifier_unit_id: units.1,
                priority: Priority::High,
                due_at: now + APPEAL_DAYS * 86_400_000,
                links,
                attachments: vec![],
            },
            assigner_user_id: actor.as_ref().map(|a| a.user_id).unwrap_or(Uuid::nil()),
            assigner_unit_id: actor.as_ref().and_then(|a| a.unit_id),
            attachments: vec![],
        };
        let policy = self.deadline_policy();
        let sid = a.id.to_string();
        let house = a.house_id.to_string();
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query("UPDATE houses SET updated_at = updated_at WHERE id = $1 AND archived_at IS NULL")
                .bind(house.clone()).execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                return Err(StoreError::Conflict("the house is archived".into()));
            }
            let still: Option<(i64, Option<String>)> = sqlx::query_as(
                "SELECT latest, appeal_item_id FROM assessments WHERE id = $1")
                .bind(sid.clone()).fetch_optional(&mut *tx).await?;
            if still.map(|s| (s.0, s.1)) != Some((1, a.appeal_item_id.map(|x| x.to_string()))) {
                return Err(StoreError::Conflict("the assessment changed meanwhile; try again".into()));
            }
            let (row, event) = spec.row_and_event(now, &policy)?;
            insert_item!(tx, row);
            let hash = event.hash(GENESIS);
            sqlx::query("UPDATE items SET head_hash = $1 WHERE id = $2")
                .bind(hash.clone()).bind(spec.id.to_string()).execute(&mut *tx).await?;
            sqlx::query("UPDATE assessments SET appeal_item_id = $2 WHERE id = $1")
                .bind(sid.clone()).bind(spec.id.to_string()).execute(&mut *tx).await?;
            bump_rollup!(tx, area, rollup_column(ItemState::Assigned), 1);
            write_notices!(tx, &[Notice::assigned(spec.id, &spec.item, now)]);
            write_events!(tx, &[(event, GENESIS.to_owned(), hash)]);
            append_audit!(tx, now, scope, [
                AuditEntry::new("appeal", "assessment", &sid, Some(area)),
                AuditEntry::new(EventKind::Create.as_str(), "item", spec.id, Some(area)),
            ]);
            tx.commit().await?;
        });
        self.item_view(scope, spec.id).await
    }

    async fn assessment_by_source(
        &self,
        scope: &Scope,
        disaster: Uuid,
        source: &str,
    ) -> Result<Option<AssessmentDetail>> {
        let id: Option<String> = on_pool!(self, p => sqlx::query_scalar(
            "SELECT id FROM assessments WHERE disaster_id = $1 AND source_uuid = $2")
            .bind(disaster.to_string()).bind(source.to_owned()).fetch_optional(p).await?);
        match id {
            Some(id) => Ok(Some(self.assessment(scope, uuid(&id)?).await?)),
            None => Ok(None),
        }
    }
}
