//! Prevention: risk points and hazard zones with the households they threaten, settlement
//! sites, and evacuation plans (`plans.rs`); GeoJSON and CSV in and out (`geojson.rs`).
//! docs/prevention.md describes the design.

mod geojson;
mod plans;

use anju_core::geometry::{self, GeometryIssue, Region, Shape};
use anju_core::officer::format_time;
use anju_core::prevention::{
    Facility, Hazard, Risk, RiskInput, RiskLevel, Site, SiteStatus, SiteType, ThreatSource,
    validate_risk_fields,
};
use anju_core::{AreaCode, GeoPoint, Permission, Scope, ValidationError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{AuditEntry, append_audit};
use crate::households::{phone_out, uuid};
use crate::page::{ListQuery, finish};
use crate::pool::on_pool;
use crate::{Result, Store, StoreError};

pub use geojson::{FeatureError, GeoImportReport};
pub use plans::parse_hazard;
pub use plans::{
    HouseholdSiteView, PlanChangeView, PlanSiteView, PlanView, Replanned, RosterEntry,
    RosterMember, UnplacedView,
};

/// A risk point (`kind` point, with a radius) or a hazard zone (`kind` zone, a polygon).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RiskView {
    pub id: Uuid,
    pub area: String,
    pub kind: String,
    pub name: String,
    pub hazard: Hazard,
    pub level: RiskLevel,
    /// GeoJSON Point or Polygon.
    #[schema(value_type = Object)]
    pub geometry: serde_json::Value,
    pub radius_m: i64,
    pub monitor_officer_ids: Vec<Uuid>,
    pub note: String,
    /// Confirmed threatened households (the ones plans move).
    pub threatened_households: i64,
    /// Computed candidates waiting for an officer's confirmation.
    pub unconfirmed_households: i64,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ThreatView {
    pub household_id: Uuid,
    pub head_name: String,
    pub people: i64,
    pub house_id: Option<Uuid>,
    pub source: ThreatSource,
    pub confirmed: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SiteView {
    pub id: Uuid,
    pub area: String,
    pub name: String,
    pub site_type: SiteType,
    pub point: GeoPoint,
    pub capacity: i64,
    pub facilities: Vec<Facility>,
    pub manager_name: String,
    /// Masked unless the caller may see personal data.
    pub manager_phone: Option<String>,
    pub address: String,
    pub status: SiteStatus,
    pub created_at: String,
    pub updated_at: String,
}

/// What a PATCH of a risk may change; the geometry is replaced through a new record.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct RiskPatch {
    pub name: Option<String>,
    pub level: Option<String>,
    pub note: Option<String>,
    pub monitor_officer_ids: Option<Vec<Uuid>>,
}

/// What a PATCH of a site may change. A status or capacity change re-plans every plan
/// that may use the site.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct SitePatch {
    pub status: Option<String>,
    pub capacity: Option<i64>,
    pub name: Option<String>,
    pub manager_name: Option<String>,
    pub manager_phone: Option<String>,
}

#[derive(sqlx::FromRow)]
struct RiskRow {
    id: String,
    area_code: i64,
    area: String,
    kind: String,
    name: String,
    hazard: String,
    level: String,
    geometry: String,
    radius_m: i64,
    monitors: String,
    note: String,
    created_at: i64,
    updated_at: i64,
    confirmed: i64,
    unconfirmed: i64,
}

const RISK_COLUMNS: &str = "r.id, r.area_code, r.area, r.kind, r.name, r.hazard, r.level, r.geometry, r.radius_m, \
     r.monitors, r.note, r.created_at, r.updated_at, \
     (SELECT COUNT(*) FROM risk_threats t WHERE t.risk_id = r.id AND t.confirmed = 1) AS confirmed, \
     (SELECT COUNT(*) FROM risk_threats t WHERE t.risk_id = r.id AND t.confirmed = 0) AS unconfirmed";

fn corrupt(what: &str, v: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} {v:?}"))
}

impl RiskRow {
    fn into_view(self) -> Result<RiskView> {
        Ok(RiskView {
            id: uuid(&self.id)?,
            area: self.area,
            kind: self.kind,
            name: self.name,
            hazard: Hazard::parse(&self.hazard).ok_or_else(|| corrupt("hazard", &self.hazard))?,
            level: RiskLevel::parse(&self.level).ok_or_else(|| corrupt("level", &self.level))?,
            geometry: serde_json::from_str(&self.geometry)
                .map_err(|e| StoreError::Corrupt(format!("geometry: {e}")))?,
            radius_m: self.radius_m,
            monitor_officer_ids: serde_json::from_str(&self.monitors)
                .map_err(|e| StoreError::Corrupt(format!("monitors: {e}")))?,
            note: self.note,
            threatened_households: self.confirmed,
            unconfirmed_households: self.unconfirmed,
            created_at: format_time(self.created_at),
            updated_at: format_time(self.updated_at),
        })
    }
}

#[derive(sqlx::FromRow)]
struct SiteRow {
    id: String,
    area_code: i64,
    area: String,
    name: String,
    site_type: String,
    lon: f64,
    lat: f64,
    capacity: i64,
    facilities: i64,
    manager_name: String,
    manager_phone: Option<String>,
    address: String,
    status: String,
    created_at: i64,
    updated_at: i64,
}

const SITE_COLUMNS: &str = "id, area_code, area, name, site_type, lon, lat, capacity, facilities, manager_name, \
     manager_phone, address, status, created_at, updated_at";

impl SiteRow {
    fn into_view(self, scope: &Scope) -> Result<SiteView> {
        Ok(SiteView {
            id: uuid(&self.id)?,
            area: self.area,
            name: self.name,
            site_type: SiteType::parse(&self.site_type)
                .ok_or_else(|| corrupt("site type", &self.site_type))?,
            point: GeoPoint::new(self.lon, self.lat)
                .ok_or_else(|| StoreError::Corrupt(format!("point {} {}", self.lon, self.lat)))?,
            capacity: self.capacity,
            facilities: Facility::from_bits(self.facilities),
            manager_name: self.manager_name,
            manager_phone: phone_out(scope, self.manager_phone),
            address: self.address,
            status: SiteStatus::parse(&self.status)
                .ok_or_else(|| corrupt("site status", &self.status))?,
            created_at: format_time(self.created_at),
            updated_at: format_time(self.updated_at),
        })
    }
}

/// A list filter for risks and sites.
#[derive(Debug, Clone, Default)]
pub struct PreventionQuery {
    pub list: ListQuery,
    pub hazard: Option<Hazard>,
}

impl Store {
    /// The region a record filed under `area` must lie in: the nearest stored boundary of
    /// the area or one above it, else Chongqing's extent.
    pub(crate) async fn region_of(&self, area: AreaCode) -> Result<Region> {
        let codes: Vec<i64> = area.path().iter().rev().map(|c| c.padded()).collect();
        for code in codes {
            let text: Option<String> = on_pool!(self, p => sqlx::query_scalar(
                "SELECT geojson FROM area_boundaries WHERE code = $1")
                .bind(code).fetch_optional(p).await?);
            if let Some(region) = text.as_deref().and_then(Region::from_boundary) {
                return Ok(region);
            }
        }
        Ok(Region::default())
    }

    /// Validates a risk input against its area; repairs are returned with the risk.
    pub async fn check_risk(
        &self,
        scope: &Scope,
        feature: usize,
        input: &RiskInput,
    ) -> Result<std::result::Result<(Risk, Vec<GeometryIssue>), RiskRefusal>> {
        let mut v = ValidationError::default();
        let fields = validate_risk_fields(&mut v, input);
        let Some((area, name, hazard, level, radius_m, note)) = fields else {
            return Ok(Err(RiskRefusal::Fields(v)));
        };
        self.check_area(scope, "area", area, None).await?;
        let region = self.region_of(area).await?;
        match geometry::check(feature, &input.geometry, &region, false) {
            Ok(c) => Ok(Ok((
                Risk {
                    area,
                    name,
                    hazard,
                    level,
                    shape: c.shape,
                    radius_m,
                    monitor_officer_ids: input.monitor_officer_ids.clone(),
                    note,
                },
                c.repairs,
            ))),
            Err(issues) => Ok(Err(RiskRefusal::Geometry(issues))),
        }
    }

    pub async fn create_risk(&self, scope: &Scope, id: Option<Uuid>, r: &Risk) -> Result<RiskView> {
        let id = id.unwrap_or_else(Uuid::now_v7);
        self.insert_risks(scope, &[(id, r.clone())]).await?;
        self.risk(scope, id).await
    }

    pub(crate) async fn insert_risks(&self, scope: &Scope, risks: &[(Uuid, Risk)]) -> Result<()> {
        scope.require(Permission::Create)?;
        if let Some((_, r)) = risks.iter().find(|(_, r)| !scope.contains(r.area)) {
            return Err(StoreError::OutOfScope(r.area.to_string()));
        }
        let now = self.now();
        on_pool!(self, p => {
            let _turn = self.write_turn().await;
            let mut tx = p.begin().await?;
            for chunk in risks.chunks(1000) {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO risks (id, area_code, area, kind, name, hazard, level, geometry, lon, lat, radius_m, \
                     monitors, note, created_at, updated_at) ",
                );
                qb.push_values(chunk, |mut b, (id, r)| {
                    let anchor = r.shape.anchor();
                    let kind = match r.shape { Shape::Point(_) => "point", Shape::Polygon(_) => "zone" };
                    b.push_bind(id.to_string()).push_bind(r.area.padded()).push_bind(r.area.to_string())
                        .push_bind(kind).push_bind(r.name.clone()).push_bind(r.hazard.as_str())
                        .push_bind(r.level.as_str()).push_bind(r.shape.to_geojson().to_string())
                        .push_bind(anchor.lon).push_bind(anchor.lat).push_bind(r.radius_m)
                        .push_bind(serde_json::json!(r.monitor_officer_ids).to_string())
                        .push_bind(r.note.clone()).push_bind(now).push_bind(now);
                });
                qb.push(" ON CONFLICT (id) DO NOTHING");
                let n = qb.build().execute(&mut *tx).await?.rows_affected();
                if n != chunk.len() as u64 {
                    return Err(StoreError::Conflict("a risk with this id exists".into()));
                }
            }
            let entries = crate::audit::insert_entries("risk", scope, risks.first().map(|(id, r)| (*id, r.area)), risks.len());
            append_audit!(tx, now, scope, entries);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Bulk load for the demo and tools: risks, sites and confirmed threats (household,
    /// house) in a few transactions, with one summary audit row each.
    pub async fn seed_prevention(
        &self,
        scope: &Scope,
        risks: &[(Uuid, Risk)],
        threats: &[(Uuid, Uuid, Uuid)],
        sites: &[(Uuid, Site)],
    ) -> Result<()> {
        self.insert_risks(scope, risks).await?;
        self.insert_sites(scope, sites).await?;
        let now = self.now();
        on_pool!(self, p => {
            let _turn = self.write_turn().await;
            let mut tx = p.begin().await?;
            for chunk in threats.chunks(5000) {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO risk_threats (risk_id, household_id, house_id, source, confirmed, created_at) ");
                qb.push_values(chunk, |mut b, (r, h, house)| {
                    b.push_bind(r.to_string()).push_bind(h.to_string()).push_bind(house.to_string())
                        .push_bind(ThreatSource::Computed.as_str()).push_bind(1i64).push_bind(now);
                });
                qb.push(" ON CONFLICT (risk_id, household_id) DO NOTHING");
                qb.build().execute(&mut *tx).await?;
            }
            append_audit!(tx, now, scope, crate::audit::insert_entries("risk_threat", scope, None, threats.len()));
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn risk(&self, scope: &Scope, id: Uuid) -> Result<RiskView> {
        let (lo, hi) = scope.range();
        let sql = format!(
            "SELECT {RISK_COLUMNS} FROM risks r WHERE r.id = $1 AND r.area_code >= $2 AND r.area_code < $3 \
             AND r.archived_at IS NULL"
        );
        on_pool!(self, p => sqlx::query_as::<_, RiskRow>(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string()).bind(lo).bind(hi).fetch_optional(p).await?)
        .ok_or(StoreError::NotFound)?
        .into_view()
    }

    pub async fn list_risks(
        &self,
        scope: &Scope,
        q: &PreventionQuery,
    ) -> Result<anju_core::view::Page<RiskView>> {
        let Some(range) = scope.narrow(q.list.area) else {
            return Ok(anju_core::view::Page {
                items: vec![],
                next_cursor: None,
            });
        };
        let p = q.list.parse(range)?;
        let sql = format!(
            "SELECT {RISK_COLUMNS} FROM risks r \
             WHERE r.area_code >= $1 AND r.area_code < $2 AND (r.area_code, r.id) > ($3, $4) \
             AND ($5 = '' OR r.name LIKE $5) AND ($6 = '' OR r.hazard = $6) AND r.archived_at IS NULL \
             ORDER BY r.area_code, r.id LIMIT $7"
        );
        let hazard = q.hazard.map(|h| h.as_str()).unwrap_or("");
        let rows = on_pool!(self, pool => sqlx::query_as::<_, RiskRow>(sqlx::AssertSqlSafe(sql))
            .bind(p.lo).bind(p.hi).bind(p.after_area).bind(p.after_id.clone())
            .bind(p.like.clone()).bind(hazard).bind(p.limit + 1)
            .fetch_all(pool).await?);
        let (rows, next_cursor) = finish(rows, p.limit, |r| (r.area_code, r.id.clone()));
        Ok(anju_core::view::Page {
            items: rows
                .into_iter()
                .map(RiskRow::into_view)
                .collect::<Result<_>>()?,
            next_cursor,
        })
    }

    pub async fn patch_risk(&self, scope: &Scope, id: Uuid, patch: &RiskPatch) -> Result<RiskView> {
        let old = self.risk(scope, id).await?;
        scope.require(Permission::Update)?;
        let mut v = ValidationError::default();
        let name = match &patch.name {
            Some(n) if n.trim().is_empty() => {
                v.push("name", "required", "must not be empty");
                old.name.clone()
            }
            Some(n) => n.trim().to_owned(),
            None => old.name.clone(),
        };
        let level = match &patch.level {
            Some(l) => RiskLevel::parse(l).unwrap_or_else(|| {
                v.push(
                    "level",
                    "invalid_choice",
                    format!("one of {}", RiskLevel::choices()),
                );
                old.level
            }),
            None => old.level,
        };
        v.finish(())?;
        let note = patch.note.clone().unwrap_or(old.note);
        let monitors = patch
            .monitor_officer_ids
            .clone()
            .unwrap_or(old.monitor_officer_ids);
        let area = AreaCode::parse(&old.area).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let now = self.now();
        on_pool!(self, p => {
            let _turn = self.write_turn().await;
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE risks SET name = $2, level = $3, note = $4, monitors = $5, updated_at = $6 WHERE id = $1")
                .bind(id.to_string()).bind(name).bind(level.as_str()).bind(note)
                .bind(serde_json::json!(monitors).to_string()).bind(now)
                .execute(&mut *tx).await?;
            append_audit!(tx, now, scope, [AuditEntry::new("update", "risk", id, Some(area))]);
            tx.commit().await?;
        });
        self.risk(scope, id).await
    }

    /// Links households to a risk by hand: confirmed at once.
    pub async fn link_threats(
        &self,
        scope: &Scope,
        risk_id: Uuid,
        households: &[Uuid],
    ) -> Result<RiskView> {
        let risk = self.risk(scope, risk_id).await?;
        scope.require(Permission::Update)?;
        for (i, h) in households.iter().enumerate() {
            if self.household(scope, *h).await.is_err() {
                return Err(ValidationError::single(
                    format!("household_ids[{i}]"),
                    "unknown_household",
                    "no such household in your scope",
                )
                .into());
            }
        }
        let rows: Vec<(String, Option<String>, &str)> = households
            .iter()
            .map(|h| (h.to_string(), None, ThreatSource::Manual.as_str()))
            .collect();
        self.put_threats(scope, &risk, &rows, true).await?;
        self.risk(scope, risk_id).await
    }

    async fn put_threats(
        &self,
        scope: &Scope,
        risk: &RiskView,
        rows: &[(String, Option<String>, &str)],
        confirmed: bool,
    ) -> Result<()> {
        let area = AreaCode::parse(&risk.area).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let now = self.now();
        let rid = risk.id.to_string();
        on_pool!(self, p => {
            let _turn = self.write_turn().await;
            let mut tx = p.begin().await?;
            for chunk in rows.chunks(2000) {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO risk_threats (risk_id, household_id, house_id, source, confirmed, created_at) ");
                qb.push_values(chunk, |mut b, (h, house, source)| {
                    b.push_bind(rid.clone()).push_bind(h.clone()).push_bind(house.clone())
                        .push_bind(*source).push_bind(i64::from(confirmed)).push_bind(now);
                });
                // A manual link confirms a computed candidate; a computed one never
                // downgrades a confirmed link.
                if confirmed {
                    qb.push(" ON CONFLICT (risk_id, household_id) DO UPDATE SET confirmed = 1");
                } else {
                    qb.push(" ON CONFLICT (risk_id, household_id) DO NOTHING");
                }
                qb.build().execute(&mut *tx).await?;
            }
            append_audit!(tx, now, scope, [AuditEntry::new("link", "risk", risk.id, Some(area))
                .detail(serde_json::json!({"households": rows.len(), "confirmed": confirmed}))]);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Finds the houses inside a zone, or within a point's radius, and files their owner
    /// households as unconfirmed candidates. Returns the number of candidates found.
    pub async fn compute_threats(&self, scope: &Scope, risk_id: Uuid) -> Result<(RiskView, i64)> {
        let risk = self.risk(scope, risk_id).await?;
        scope.require(Permission::Update)?;
        let shape = shape_of(&risk.geometry)?;
        let (mut a, mut b, mut c, mut d) = shape.bbox();
        if let Shape::Point(_) = shape {
            // Degrees of latitude are ~111 km; longitude shrinks with cos(latitude).
            let dlat = risk.radius_m as f64 / 111_000.0;
            let dlon = dlat / b.to_radians().cos().max(0.1);
            (a, b, c, d) = (a - dlon, b - dlat, c + dlon, d + dlat);
        }
        let (lo, hi) = scope.range();
        let houses: Vec<(String, String, f64, f64)> = on_pool!(self, p => sqlx::query_as(
            "SELECT o.id, o.owner_household_id, o.lon, o.lat FROM houses o JOIN households h ON h.id = o.owner_household_id \
             WHERE o.archived_at IS NULL AND h.archived_at IS NULL AND o.area_code >= $1 AND o.area_code < $2 \
             AND o.lon >= $3 AND o.lon <= $4 AND o.lat >= $5 AND o.lat <= $6 ORDER BY o.id")
            .bind(lo).bind(hi).bind(a).bind(c).bind(b).bind(d).fetch_all(p).await?);
        let mut rows: Vec<(String, Option<String>, &str)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (house, household, lon, lat) in houses {
            let pt = GeoPoint { lon, lat };
            let inside = match &shape {
                Shape::Point(c) => {
                    anju_plan::haversine_m(
                        anju_plan::Point::new(c.lon, c.lat),
                        anju_plan::Point::new(lon, lat),
                    ) <= risk.radius_m
                }
                Shape::Polygon(_) => shape.contains_point(pt),
            };
            if inside && seen.insert(household.clone()) {
                rows.push((household, Some(house), ThreatSource::Computed.as_str()));
            }
        }
        let n = rows.len() as i64;
        self.put_threats(scope, &risk, &rows, false).await?;
        Ok((self.risk(scope, risk_id).await?, n))
    }

    /// Confirms computed candidates: the listed ones, or all when `households` is `None`.
    pub async fn confirm_threats(
        &self,
        scope: &Scope,
        risk_id: Uuid,
        households: Option<&[Uuid]>,
    ) -> Result<RiskView> {
        let risk = self.risk(scope, risk_id).await?;
        scope.require(Permission::Update)?;
        let area = AreaCode::parse(&risk.area).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let now = self.now();
        let ids: Option<Vec<String>> = households.map(|h| h.iter().map(Uuid::to_string).collect());
        on_pool!(self, p => {
            let _turn = self.write_turn().await;
            let mut tx = p.begin().await?;
            match &ids {
                None => {
                    sqlx::query("UPDATE risk_threats SET confirmed = 1 WHERE risk_id = $1")
                        .bind(risk_id.to_string()).execute(&mut *tx).await?;
                }
                Some(ids) => for id in ids {
                    sqlx::query("UPDATE risk_threats SET confirmed = 1 WHERE risk_id = $1 AND household_id = $2")
                        .bind(risk_id.to_string()).bind(id).execute(&mut *tx).await?;
                }
            }
            append_audit!(tx, now, scope, [AuditEntry::new("confirm", "risk", risk_id, Some(area))]);
            tx.commit().await?;
        });
        self.risk(scope, risk_id).await
    }

    pub async fn threats(&self, scope: &Scope, risk_id: Uuid) -> Result<Vec<ThreatView>> {
        self.risk(scope, risk_id).await?;
        let (lo, hi) = scope.range();
        let rows: Vec<(String, String, i64, Option<String>, String, i64)> = on_pool!(self, p => sqlx::query_as(
            "SELECT t.household_id, h.head_name, h.people, t.house_id, t.source, t.confirmed FROM risk_threats t \
             JOIN households h ON h.id = t.household_id WHERE t.risk_id = $1 AND h.area_code >= $2 AND h.area_code < $3 \
             ORDER BY h.area_code, h.id")
            .bind(risk_id.to_string()).bind(lo).bind(hi).fetch_all(p).await?);
        rows.into_iter()
            .map(|(h, name, people, house, source, confirmed)| {
                Ok(ThreatView {
                    household_id: uuid(&h)?,
                    head_name: name,
                    people,
                    house_id: house.as_deref().map(uuid).transpose()?,
                    source: ThreatSource::parse(&source)
                        .ok_or_else(|| corrupt("source", &source))?,
                    confirmed: confirmed != 0,
                })
            })
            .collect()
    }

    /// Checks a site's area and point (swapping a latitude-first point, with a repair noted).
    pub async fn check_site(
        &self,
        scope: &Scope,
        feature: usize,
        mut s: Site,
    ) -> Result<std::result::Result<(Site, Vec<GeometryIssue>), Vec<GeometryIssue>>> {
        self.check_area(scope, "area", s.area, None).await?;
        let region = self.region_of(s.area).await?;
        match geometry::check_point(feature, (s.point.lon, s.point.lat), &region) {
            Ok(c) => {
                if let Shape::Point(p) = c.shape {
                    s.point = p;
                }
                Ok(Ok((s, c.repairs)))
            }
            Err(e) => Ok(Err(e)),
        }
    }

    pub async fn create_site(&self, scope: &Scope, id: Option<Uuid>, s: &Site) -> Result<SiteView> {
        let id = id.unwrap_or_else(Uuid::now_v7);
        self.insert_sites(scope, &[(id, s.clone())]).await?;
        self.site(scope, id).await
    }

    pub(crate) async fn insert_sites(&self, scope: &Scope, sites: &[(Uuid, Site)]) -> Result<()> {
        scope.require(Permission::Create)?;
        if let Some((_, s)) = sites.iter().find(|(_, s)| !scope.contains(s.area)) {
            return Err(StoreError::OutOfScope(s.area.to_string()));
        }
        let now = self.now();
        on_pool!(self, p => {
            let _turn = self.write_turn().await;
            let mut tx = p.begin().await?;
            for chunk in sites.chunks(1000) {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO sites (id, area_code, area, name, site_type, lon, lat, capacity, facilities, manager_name, \
                     manager_phone, address, status, created_at, updated_at) ");
                qb.push_values(chunk, |mut b, (id, s)| {
                    b.push_bind(id.to_string()).push_bind(s.area.padded()).push_bind(s.area.to_string())
                        .push_bind(s.name.clone()).push_bind(s.site_type.as_str()).push_bind(s.point.lon)
                        .push_bind(s.point.lat).push_bind(s.capacity).push_bind(Facility::to_bits(&s.facilities))
                        .push_bind(s.manager_name.clone()).push_bind(s.manager_phone.as_ref().map(|p| p.expose().to_owned()))
                        .push_bind(s.address.clone()).push_bind(s.status.as_str()).push_bind(now).push_bind(now);
                });
                qb.push(" ON CONFLICT (id) DO NOTHING");
                let n = qb.build().execute(&mut *tx).await?.rows_affected();
                if n != chunk.len() as u64 {
                    return Err(StoreError::Conflict("a site with this id exists".into()));
                }
            }
            let entries = crate::audit::insert_entries("site", scope, sites.first().map(|(id, s)| (*id, s.area)), sites.len());
            append_audit!(tx, now, scope, entries);
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn site(&self, scope: &Scope, id: Uuid) -> Result<SiteView> {
        let (lo, hi) = scope.range();
        let sql = format!(
            "SELECT {SITE_COLUMNS} FROM sites WHERE id = $1 AND area_code >= $2 AND area_code < $3"
        );
        on_pool!(self, p => sqlx::query_as::<_, SiteRow>(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string()).bind(lo).bind(hi).fetch_optional(p).await?)
        .ok_or(StoreError::NotFound)?
        .into_view(scope)
    }

    pub async fn list_sites(
        &self,
        scope: &Scope,
        q: &ListQuery,
    ) -> Result<anju_core::view::Page<SiteView>> {
        let Some(range) = scope.narrow(q.area) else {
            return Ok(anju_core::view::Page {
                items: vec![],
                next_cursor: None,
            });
        };
        let p = q.parse(range)?;
        let sql = format!(
            "SELECT {SITE_COLUMNS} FROM sites \
             WHERE area_code >= $1 AND area_code < $2 AND (area_code, id) > ($3, $4) \
             AND ($5 = '' OR name LIKE $5) ORDER BY area_code, id LIMIT $6"
        );
        let rows = on_pool!(self, pool => sqlx::query_as::<_, SiteRow>(sqlx::AssertSqlSafe(sql))
            .bind(p.lo).bind(p.hi).bind(p.after_area).bind(p.after_id.clone())
            .bind(p.like.clone()).bind(p.limit + 1)
            .fetch_all(pool).await?);
        let (rows, next_cursor) = finish(rows, p.limit, |r| (r.area_code, r.id.clone()));
        Ok(anju_core::view::Page {
            items: rows
                .into_iter()
                .map(|r| r.into_view(scope))
                .collect::<Result<_>>()?,
            next_cursor,
        })
    }

    /// Changes a site; when its status or capacity changed, every plan that may use it is
    /// re-planned with the fewest households moved, and what changed is returned.
    pub async fn patch_site(
        &self,
        scope: &Scope,
        id: Uuid,
        patch: &SitePatch,
    ) -> Result<(SiteView, Vec<Replanned>)> {
        let old = self.site(scope, id).await?;
        scope.require(Permission::Update)?;
        let mut v = ValidationError::default();
        let status = match &patch.status {
            Some(s) => SiteStatus::parse(s).unwrap_or_else(|| {
                v.push(
                    "status",
                    "invalid_choice",
                    format!("one of {}", SiteStatus::choices()),
                );
                old.status
            }),
            None => old.status,
        };
        let capacity = patch.capacity.unwrap_or(old.capacity);
        if !(0..=anju_core::prevention::MAX_SITE_CAPACITY).contains(&capacity) {
            v.push("capacity", "out_of_range", "between 0 and 1000000 people");
        }
        let name = match &patch.name {
            Some(n) if n.trim().is_empty() => {
                v.push("name", "required", "must not be empty");
                old.name.clone()
            }
            Some(n) => n.trim().to_owned(),
            None => old.name.clone(),
        };
        let phone = match patch.manager_phone.as_deref().map(str::trim) {
            None => None,
            Some("") => Some(None),
            Some(p) => v
                .check(
                    "manager_phone",
                    "invalid_phone",
                    anju_core::phone::Phone::parse(p),
                )
                .map(|p| Some(p.expose().to_owned())),
        };
        v.finish(())?;
        let area = AreaCode::parse(&old.area).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let now = self.now();
        let manager_name = patch
            .manager_name
            .clone()
            .unwrap_or(old.manager_name.clone());
        on_pool!(self, p => {
            let _turn = self.write_turn().await;
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE sites SET status = $2, capacity = $3, name = $4, manager_name = $5, updated_at = $6 WHERE id = $1")
                .bind(id.to_string()).bind(status.as_str()).bind(capacity).bind(name).bind(manager_name).bind(now)
                .execute(&mut *tx).await?;
            if let Some(phone) = &phone {
                sqlx::query("UPDATE sites SET manager_phone = $2 WHERE id = $1")
                    .bind(id.to_string()).bind(phone.clone()).execute(&mut *tx).await?;
            }
            append_audit!(tx, now, scope, [AuditEntry::new("update", "site", id, Some(area))
                .detail(serde_json::json!({"status": status.as_str(), "capacity": capacity}))]);
            tx.commit().await?;
        });
        let mut replanned = Vec::new();
        if status != old.status || capacity != old.capacity {
            let reason = format!(
                "site {} ({}): {} → {}, capacity {} → {}",
                old.name,
                id,
                old.status.as_str(),
                status.as_str(),
                old.capacity,
                capacity
            );
            for plan in self.plans_using_site(area).await? {
                replanned.push(self.replan(scope, plan, &reason).await?);
            }
        }
        Ok((self.site(scope, id).await?, replanned))
    }
}

/// Why a risk input was refused: its fields, or its geometry.
#[derive(Debug, Clone)]
pub enum RiskRefusal {
    Fields(ValidationError),
    Geometry(Vec<GeometryIssue>),
}

pub(crate) fn shape_of(v: &serde_json::Value) -> Result<Shape> {
    // Stored geometries were checked on the way in; re-reading them needs no region.
    let region = Region::bbox((-180.0, -90.0, 180.0, 90.0));
    geometry::check(0, v, &region, false)
        .map(|c| c.shape)
        .map_err(|e| StoreError::Corrupt(format!("stored geometry: {e:?}")))
}
