//! Reports in (信息报送): filed from the field with a point and photos, triaged by the
//! area's duty officer (on the roster now) or its leader: dismissed, merged, or made
//! into items of the closed loop.

use anju_core::item::{ItemKind, ItemSource, Link, LinkKind};
use anju_core::officer::format_time;
use anju_core::report::{NewReport, ReportCategory, ReportStatus, TriageInput};
use anju_core::view::Page;
use anju_core::{AreaCode, AreaLevel, Permission, Scope, ValidationError};
use serde::Serialize;
use uuid::Uuid;

use crate::attachments::{AttachmentMeta, ref_attachments};
use crate::audit::{AuditEntry, append_audit};
use crate::households::{area_string, opt_uuid, uuid};
use crate::pool::on_pool;
use crate::{Result, Store, StoreError};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportView {
    pub id: Uuid,
    pub category: ReportCategory,
    pub area: String,
    pub area_name: String,
    pub lon: f64,
    pub lat: f64,
    pub description: String,
    pub attachments: Vec<AttachmentMeta>,
    pub status: ReportStatus,
    pub reporter_user_id: Uuid,
    pub triaged_by: Option<Uuid>,
    pub triaged_at: Option<String>,
    pub triage_note: Option<String>,
    pub merged_into: Option<Uuid>,
    pub item_ids: Vec<Uuid>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(sqlx::FromRow)]
struct ReportRow {
    id: String,
    category: String,
    area_code: i64,
    area_level: String,
    lon: f64,
    lat: f64,
    description: String,
    attachments: String,
    status: String,
    reporter_user_id: String,
    triaged_by: Option<String>,
    triaged_at: Option<i64>,
    triage_note: Option<String>,
    merged_into: Option<String>,
    item_ids: String,
    created_at: i64,
    updated_at: i64,
    area_name: Option<String>,
}

const REPORT_SELECT: &str = "SELECT r.id, r.category, r.area_code, r.area_level, r.lon, r.lat, r.description, \
     r.attachments, r.status, r.reporter_user_id, r.triaged_by, r.triaged_at, r.triage_note, r.merged_into, \
     r.item_ids, r.created_at, r.updated_at, a.name_zh AS area_name FROM reports r LEFT JOIN areas a ON a.code = r.area_code";

impl ReportRow {
    fn area(&self) -> Result<AreaCode> {
        let l = AreaLevel::parse(&self.area_level)
            .ok_or_else(|| StoreError::Corrupt(format!("level {:?}", self.area_level)))?;
        AreaCode::from_padded(self.area_code, l).map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    fn into_view(self) -> Result<ReportView> {
        Ok(ReportView {
            id: uuid(&self.id)?,
            category: ReportCategory::parse(&self.category)
                .ok_or_else(|| StoreError::Corrupt(format!("category {:?}", self.category)))?,
            area: area_string(self.area_code, self.area()?.level())?,
            area_name: self.area_name.unwrap_or_default(),
            lon: self.lon,
            lat: self.lat,
            description: self.description,
            attachments: serde_json::from_str(&self.attachments).unwrap_or_default(),
            status: ReportStatus::parse(&self.status)
                .ok_or_else(|| StoreError::Corrupt(format!("status {:?}", self.status)))?,
            reporter_user_id: uuid(&self.reporter_user_id)?,
            triaged_by: opt_uuid(self.triaged_by)?,
            triaged_at: self.triaged_at.map(format_time),
            triage_note: self.triage_note,
            merged_into: opt_uuid(self.merged_into)?,
            item_ids: serde_json::from_str(&self.item_ids).unwrap_or_default(),
            created_at: format_time(self.created_at),
            updated_at: format_time(self.updated_at),
        })
    }
}

/// The filters of the report list.
#[derive(Debug, Clone, Default)]
pub struct ReportQuery {
    pub area: Option<AreaCode>,
    pub status: Option<ReportStatus>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

impl Store {
    /// Files a report. A client-chosen id makes a resend return the report already filed.
    pub async fn create_report(
        &self,
        scope: &Scope,
        id: Option<Uuid>,
        r: &NewReport,
    ) -> Result<ReportView> {
        scope.require(Permission::Create)?;
        let actor = scope
            .actor()
            .ok_or(StoreError::Forbidden(Permission::Create))?;
        if !scope.contains(r.area) {
            return Err(StoreError::OutOfScope(r.area.to_string()));
        }
        if let Some(id) = id
            && let Ok(existing) = self.report(scope, id).await
        {
            if existing.reporter_user_id == actor.user_id {
                return Ok(existing);
            }
            return Err(StoreError::Conflict("a report with this id exists".into()));
        }
        self.check_area(scope, "area", r.area, None).await?;
        let attachments = self
            .attachments_for(scope, "attachments", &r.attachments)
            .await?;
        let id = id.unwrap_or_else(Uuid::now_v7);
        let now = self.now();
        let metas =
            serde_json::to_string(&attachments).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        on_pool!(self, p => {
            let _turn = self.write_turn().await;
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "INSERT INTO reports (id, category, area_code, area_level, lon, lat, description, attachments, status, \
                 reporter_user_id, item_ids, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'new', $9, '[]', $10, $10) ON CONFLICT (id) DO NOTHING")
                .bind(id.to_string()).bind(r.category.as_str()).bind(r.area.padded()).bind(r.area.level().as_str())
                .bind(r.point.lon).bind(r.point.lat).bind(r.description.clone()).bind(metas.clone())
                .bind(actor.user_id.to_string()).bind(now)
                .execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                return Err(StoreError::Conflict("a report with this id exists".into()));
            }
            ref_attachments!(tx, &attachments, "report", id.to_string(), r.area);
            append_audit!(tx, now, scope, [AuditEntry::new("create", "report", id, Some(r.area))]);
            tx.commit().await?;
        });
        self.report(scope, id).await
    }

    pub async fn report(&self, scope: &Scope, id: Uuid) -> Result<ReportView> {
        scope.require(Permission::Read)?;
        let (lo, hi) = scope.range();
        let sql =
            format!("{REPORT_SELECT} WHERE r.id = $1 AND r.area_code >= $2 AND r.area_code < $3");
        on_pool!(self, p => sqlx::query_as::<_, ReportRow>(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string()).bind(lo).bind(hi).fetch_optional(p).await?)
        .ok_or(StoreError::NotFound)?
        .into_view()
    }

    /// Reports newest first.
    pub async fn list_reports(&self, scope: &Scope, q: &ReportQuery) -> Result<Page<ReportView>> {
        scope.require(Permission::Read)?;
        let Some((lo, hi)) = scope.narrow(q.area) else {
            return Ok(Page {
                items: vec![],
                next_cursor: None,
            });
        };
        let limit = q.limit.unwrap_or(50).clamp(1, 500);
        let before = match &q.cursor {
            None => "~".to_owned(),
            Some(c) => {
                Uuid::parse_str(c).map_err(|_| {
                    ValidationError::single(
                        "cursor",
                        "invalid_cursor",
                        "not a cursor returned by this list",
                    )
                })?;
                c.clone()
            }
        };
        let sql = format!(
            "{REPORT_SELECT} WHERE r.area_code >= $1 AND r.area_code < $2 AND ($3 = '' OR r.status = $3) AND r.id < $4 \
             ORDER BY r.id DESC LIMIT $5"
        );
        let rows = on_pool!(self, p => sqlx::query_as::<_, ReportRow>(sqlx::AssertSqlSafe(sql))
            .bind(lo).bind(hi).bind(q.status.map(ReportStatus::as_str).unwrap_or("")).bind(before).bind(limit + 1)
            .fetch_all(p).await?);
        let more = rows.len() as i64 > limit;
        let items: Vec<ReportView> = rows
            .into_iter()
            .take(limit as usize)
            .map(ReportRow::into_view)
            .collect::<Result<_>>()?;
        let next_cursor = if more {
            items.last().map(|r| r.id.to_string())
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    /// The areas the caller triages for now: where their officer is the leader, or the
    /// duty officer with a shift running at this moment.
    async fn triage_areas(&self, scope: &Scope) -> Result<Vec<AreaCode>> {
        if !scope.can(Permission::Update) {
            return Ok(vec![]);
        }
        let Some(actor) = self.actor_facts(scope).await? else {
            return Ok(vec![]);
        };
        let Some(officer) = actor.officer_id else {
            return Ok(vec![]);
        };
        let now = self.now();
        let rows: Vec<(i64, String)> = on_pool!(self, p => sqlx::query_as(
            "SELECT DISTINCT d.area_code, a.level FROM duties d JOIN areas a ON a.code = d.area_code \
             WHERE d.officer_id = $1 AND (d.role = 'leader' OR (d.role = 'duty_officer' AND EXISTS ( \
               SELECT 1 FROM shifts s WHERE s.officer_id = d.officer_id AND s.area_code = d.area_code \
               AND s.starts_at <= $2 AND s.ends_at > $2)))")
            .bind(officer.to_string()).bind(now).fetch_all(p).await?);
        rows.into_iter()
            .filter_map(|(c, l)| {
                AreaLevel::parse(&l).and_then(|l| AreaCode::from_padded(c, l).ok())
            })
            .filter(|a| scope.contains(*a))
            .map(Ok)
            .collect()
    }

    /// New reports the caller should triage now.
    pub async fn reports_to_triage(&self, scope: &Scope) -> Result<Vec<ReportView>> {
        let mut out = Vec::new();
        for a in self.triage_areas(scope).await? {
            let page = self
                .list_reports(
                    scope,
                    &ReportQuery {
                        area: Some(a),
                        status: Some(ReportStatus::New),
                        limit: Some(100),
                        cursor: None,
                    },
                )
                .await?;
            for r in page.items {
                if !out.iter().any(|o: &ReportView| o.id == r.id) {
                    out.push(r);
                }
            }
        }
        Ok(out)
    }

    /// Dismisses, merges, or makes items of a new report.
    pub async fn triage_report(
        &self,
        scope: &Scope,
        id: Uuid,
        t: &TriageInput,
    ) -> Result<ReportView> {
        t.check()?;
        scope.require(Permission::Update)?;
        let report = self.report(scope, id).await?;
        let area = AreaCode::parse(&report.area).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        if !self
            .triage_areas(scope)
            .await?
            .iter()
            .any(|a| a.contains(area))
        {
            return Err(StoreError::Forbidden(Permission::Update));
        }
        if report.status != ReportStatus::New {
            return Err(StoreError::Conflict(format!(
                "the report was triaged already ({})",
                report.status.as_str()
            )));
        }
        let actor = scope
            .actor()
            .ok_or(StoreError::Forbidden(Permission::Update))?;
        let mut item_ids: Vec<Uuid> = Vec::new();
        let (status, note, merged) = match t {
            TriageInput::Dismiss { reason } => (
                ReportStatus::Dismissed,
                Some(reason.trim().to_owned()),
                None,
            ),
            TriageInput::Merge { into, note } => {
                let target = self.report(scope, *into).await.map_err(|_| {
                    ValidationError::single(
                        "into",
                        "unknown_report",
                        "no such report in your scope",
                    )
                })?;
                if target.id == id || target.status == ReportStatus::Merged {
                    return Err(ValidationError::single(
                        "into",
                        "bad_target",
                        "merge into another report that is not itself merged",
                    )
                    .into());
                }
                (ReportStatus::Merged, note.clone(), Some(target.id))
            }
            TriageInput::CreateItems { items } => {
                // Validate every item first: none is made unless all can be.
                let now = self.now();
                let mut valid = Vec::with_capacity(items.len());
                let mut v = ValidationError::default();
                for (i, input) in items.iter().enumerate() {
                    let mut input = input.clone();
                    input.source = Some(ItemSource::Report.as_str().into());
                    input.source_ref = Some(id.to_string());
                    input
                        .kind
                        .get_or_insert_with(|| ItemKind::ReportFollowUp.as_str().into());
                    if input.attachments.is_empty() {
                        input.attachments =
                            report.attachments.iter().map(|a| a.hash.clone()).collect();
                    }
                    input.links.push(Link {
                        kind: LinkKind::Report,
                        id,
                    });
                    match input.validate(now) {
                        Ok(it) => {
                            if let Err(e) = self
                                .check_parties(
                                    scope,
                                    &format!("items[{i}]."),
                                    it.area,
                                    it.owner_unit_id,
                                    it.owner_officer_id,
                                    Some(it.verifier_unit_id),
                                )
                                .await
                            {
                                match e {
                                    StoreError::Validation(e) => v.errors.extend(e.errors),
                                    other => return Err(other),
                                }
                            }
                            valid.push(it);
                        }
                        Err(e) => v.errors.extend(e.errors.into_iter().map(|mut f| {
                            f.field = format!("items[{i}].{}", f.field);
                            f
                        })),
                    }
                }
                v.finish(())?;
                // Ids derived from the report make a retried triage find the same items.
                for (i, it) in valid.iter().enumerate() {
                    let item_id = derived_id(id, i);
                    self.create_item(scope, Some(item_id), it).await?;
                    item_ids.push(item_id);
                }
                (ReportStatus::Actioned, None, None)
            }
        };
        let now = self.now();
        let ids =
            serde_json::to_string(&item_ids).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        on_pool!(self, p => {
            let _turn = self.write_turn().await;
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "UPDATE reports SET status = $2, triaged_by = $3, triaged_at = $4, triage_note = $5, merged_into = $6, \
                 item_ids = $7, updated_at = $4 WHERE id = $1 AND status = 'new'")
                .bind(id.to_string()).bind(status.as_str()).bind(actor.user_id.to_string()).bind(now)
                .bind(note.clone()).bind(merged.map(|m| m.to_string())).bind(ids)
                .execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                return Err(StoreError::Conflict("the report was triaged meanwhile".into()));
            }
            append_audit!(tx, now, scope, [AuditEntry::new("triage", "report", id, Some(area))
                .detail(serde_json::json!({"decision": status.as_str(), "items": item_ids.len()}))]);
            tx.commit().await?;
        });
        self.report(scope, id).await
    }
}

fn derived_id(report: Uuid, index: usize) -> Uuid {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(format!("{report}/{index}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    uuid::Builder::from_random_bytes(b).into_uuid()
}
