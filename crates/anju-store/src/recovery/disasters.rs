//! Disasters: declared by a leader for an area; seen by everyone whose subtree lies on
//! one path with that area (a Wanzhou user sees the municipal disaster, limited to
//! Wanzhou's figures).

use anju_core::officer::format_time;
use anju_core::recovery::{DisasterPatch, Hazard, NewDisaster, format_date};
use anju_core::{AreaCode, AreaLevel, Permission, Scope};
use uuid::Uuid;

use crate::audit::{AuditEntry, append_audit};
use crate::households::{area_string, uuid};
use crate::pool::on_pool;
use crate::recovery::DisasterView;
use crate::recovery::write::{DisasterFacts, grades_string, parse_grades};
use crate::{Result, Store, StoreError};

#[derive(sqlx::FromRow)]
pub(crate) struct DisasterRow {
    pub id: String,
    pub name: String,
    pub hazard: String,
    pub started_on: String,
    pub ended_on: Option<String>,
    pub area_code: i64,
    pub area_level: String,
    pub target_move_in: String,
    pub case_grades: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub area_name: Option<String>,
}

const DISASTER_SELECT: &str = "SELECT d.id, d.name, d.hazard, d.started_on, d.ended_on, d.area_code, d.area_level, \
     d.target_move_in, d.case_grades, d.created_at, d.updated_at, a.name_zh AS area_name \
     FROM disasters d LEFT JOIN areas a ON a.code = d.area_code";

fn date(s: &str) -> Result<time::Date> {
    time::Date::parse(s, &time::format_description::well_known::Iso8601::DATE)
        .map_err(|e| StoreError::Corrupt(format!("date {s:?}: {e}")))
}

impl DisasterRow {
    pub(crate) fn area(&self) -> Result<AreaCode> {
        let l = AreaLevel::parse(&self.area_level)
            .ok_or_else(|| StoreError::Corrupt(format!("level {:?}", self.area_level)))?;
        AreaCode::from_padded(self.area_code, l).map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    pub(crate) fn to_new(&self) -> Result<NewDisaster> {
        Ok(NewDisaster {
            name: self.name.clone(),
            hazard: Hazard::parse(&self.hazard)
                .ok_or_else(|| StoreError::Corrupt(format!("hazard {:?}", self.hazard)))?,
            started_on: date(&self.started_on)?,
            ended_on: self.ended_on.as_deref().map(date).transpose()?,
            area: self.area()?,
            affected: vec![],
            target_move_in: date(&self.target_move_in)?,
            case_grades: parse_grades(&self.case_grades),
        })
    }

    pub(crate) fn facts(&self) -> Result<DisasterFacts> {
        let n = self.to_new()?;
        Ok(DisasterFacts {
            id: self.id.clone(),
            area: n.area,
            schedule: n.schedule(),
            case_grades: n.case_grades,
            started_on: n.started_on,
        })
    }

    fn into_view(self, affected: Vec<String>) -> Result<DisasterView> {
        let n = self.to_new()?;
        Ok(DisasterView {
            id: uuid(&self.id)?,
            name: self.name,
            hazard: n.hazard,
            started_on: format_date(n.started_on),
            ended_on: n.ended_on.map(format_date),
            area: area_string(self.area_code, n.area.level())?,
            area_name: self.area_name.unwrap_or_default(),
            affected,
            target_move_in: format_date(n.target_move_in),
            case_grades: n.case_grades.clone(),
            schedule: n.schedule(),
            created_at: format_time(self.created_at),
            updated_at: format_time(self.updated_at),
        })
    }
}

/// Whether `scope` sees a disaster declared for `area`: their subtree and the area lie
/// on one path.
pub(crate) fn sees(scope: &Scope, area: AreaCode) -> bool {
    match scope.root() {
        None => true,
        Some(r) => r.contains(area) || area.contains(r),
    }
}

impl Store {
    /// Declares a disaster. Leaders declare (the verify right: not village cadres, not
    /// viewers), for an area in their scope.
    pub async fn declare_disaster(
        &self,
        scope: &Scope,
        id: Option<Uuid>,
        d: &NewDisaster,
    ) -> Result<DisasterView> {
        scope.require(Permission::Verify)?;
        self.check_area(scope, "area", d.area, None).await?;
        for (i, a) in d.affected.iter().enumerate() {
            self.check_area(&Scope::everything(), &format!("affected[{i}]"), *a, None)
                .await?;
        }
        if let Some(id) = id
            && let Ok(existing) = self.disaster(scope, id).await
        {
            // A retried declaration returns what the first made.
            if existing.name == d.name && existing.area == d.area.to_string() {
                return Ok(existing);
            }
            return Err(StoreError::Conflict(
                "a disaster with this id exists".into(),
            ));
        }
        let id = id.unwrap_or_else(Uuid::now_v7);
        let now = self.now();
        let creator = scope.actor().map(|a| a.user_id.to_string());
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query(
                "INSERT INTO disasters (id, name, hazard, started_on, ended_on, area_code, area_level, target_move_in, \
                 case_grades, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)")
                .bind(id.to_string()).bind(d.name.clone()).bind(d.hazard.as_str())
                .bind(format_date(d.started_on)).bind(d.ended_on.map(format_date))
                .bind(d.area.padded()).bind(d.area.level().as_str()).bind(format_date(d.target_move_in))
                .bind(grades_string(&d.case_grades)).bind(creator.clone()).bind(now)
                .execute(&mut *tx).await?;
            for a in &d.affected {
                sqlx::query("INSERT INTO disaster_areas (disaster_id, area_code, area_level) VALUES ($1, $2, $3)")
                    .bind(id.to_string()).bind(a.padded()).bind(a.level().as_str()).execute(&mut *tx).await?;
            }
            append_audit!(tx, now, scope, [AuditEntry::new("create", "disaster", id, Some(d.area))]);
            tx.commit().await?;
        });
        self.disaster(scope, id).await
    }

    pub(crate) async fn disaster_row(&self, scope: &Scope, id: Uuid) -> Result<DisasterRow> {
        scope.require(Permission::Read)?;
        let sql = format!("{DISASTER_SELECT} WHERE d.id = $1");
        let row = on_pool!(self, p => sqlx::query_as::<_, DisasterRow>(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string()).fetch_optional(p).await?)
        .ok_or(StoreError::NotFound)?;
        if !sees(scope, row.area()?) {
            return Err(StoreError::NotFound);
        }
        Ok(row)
    }

    async fn affected(&self, id: &str) -> Result<Vec<String>> {
        let rows: Vec<(i64, String)> = on_pool!(self, p => sqlx::query_as(
            "SELECT area_code, area_level FROM disaster_areas WHERE disaster_id = $1 ORDER BY area_code")
            .bind(id.to_owned()).fetch_all(p).await?);
        rows.into_iter()
            .map(|(c, l)| {
                let l = AreaLevel::parse(&l)
                    .ok_or_else(|| StoreError::Corrupt(format!("level {l:?}")))?;
                area_string(c, l)
            })
            .collect()
    }

    pub async fn disaster(&self, scope: &Scope, id: Uuid) -> Result<DisasterView> {
        let row = self.disaster_row(scope, id).await?;
        let affected = self.affected(&row.id).await?;
        row.into_view(affected)
    }

    /// The disasters `scope` sees, newest first.
    pub async fn list_disasters(&self, scope: &Scope) -> Result<Vec<DisasterView>> {
        scope.require(Permission::Read)?;
        let sql = format!("{DISASTER_SELECT} ORDER BY d.started_on DESC, d.id DESC LIMIT 1000");
        let rows = on_pool!(self, p => sqlx::query_as::<_, DisasterRow>(sqlx::AssertSqlSafe(sql))
            .fetch_all(p).await?);
        let mut out = Vec::new();
        for r in rows {
            if sees(scope, r.area()?) {
                let affected = self.affected(&r.id).await?;
                out.push(r.into_view(affected)?);
            }
        }
        Ok(out)
    }

    /// Changes the end date, the target or the case grades. Only a leader whose scope
    /// holds the disaster's area (a district cannot move the municipality's target). A
    /// change of the case grades applies to assessments made from then on.
    pub async fn patch_disaster(
        &self,
        scope: &Scope,
        id: Uuid,
        patch: &DisasterPatch,
    ) -> Result<DisasterView> {
        let row = self.disaster_row(scope, id).await?;
        scope.require(Permission::Verify)?;
        if !scope.contains(row.area()?) {
            return Err(StoreError::OutOfScope(row.area()?.to_string()));
        }
        let new = patch.apply(&row.to_new()?)?;
        let now = self.now();
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE disasters SET ended_on = $2, target_move_in = $3, case_grades = $4, updated_at = $5 WHERE id = $1")
                .bind(id.to_string()).bind(new.ended_on.map(format_date)).bind(format_date(new.target_move_in))
                .bind(grades_string(&new.case_grades)).bind(now).execute(&mut *tx).await?;
            append_audit!(tx, now, scope, [AuditEntry::new("update", "disaster", id, Some(new.area))]);
            tx.commit().await?;
        });
        self.disaster(scope, id).await
    }
}
