//! Officers, their duty roles per area and the duty roster.

use std::collections::HashMap;

use anju_core::officer::{DutyRole, Officer, format_time};
use anju_core::view::{AreaDutyView, DutyView, OfficerView, Page, ShiftView};
use anju_core::{AreaCode, AreaLevel, Permission, Scope, ValidationError};
use uuid::Uuid;

use crate::archive::Archivable;
use crate::audit::{AuditEntry, append_audit, insert_entries};
use crate::households::{phone_out, uuid};
use crate::page::{ListQuery, finish};
use crate::pool::on_pool;
use crate::{Result, Store, StoreError};

#[derive(sqlx::FromRow)]
struct OfficerRow {
    id: String,
    name: String,
    phone: Option<String>,
    unit_id: String,
    unit_name: String,
    area_code: i64,
    area_level: String,
    title: Option<String>,
    grid_households: i64,
    created_at: i64,
    updated_at: i64,
    archived_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct DutyRow {
    officer_id: String,
    area_code: i64,
    level: String,
    role: String,
}

#[derive(sqlx::FromRow)]
struct ShiftRow {
    officer_id: String,
    area_code: i64,
    starts_at: i64,
    ends_at: i64,
}

const OFFICER_SELECT: &str = "SELECT o.id, o.name, o.phone, o.unit_id, u.name AS unit_name, o.area_code, \
     a.level AS area_level, o.title, \
     (SELECT COUNT(*) FROM households h WHERE h.grid_officer_id = o.id AND h.archived_at IS NULL) AS grid_households, \
     o.created_at, o.updated_at, o.archived_at \
     FROM officers o JOIN units u ON u.id = o.unit_id JOIN areas a ON a.code = o.area_code";

fn code_of(padded: i64, level: &str) -> Result<AreaCode> {
    let l =
        AreaLevel::parse(level).ok_or_else(|| StoreError::Corrupt(format!("level {level:?}")))?;
    AreaCode::from_padded(padded, l).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// A new officer with its id, for bulk loading.
pub type OfficerSeed = (Uuid, Officer);

impl Store {
    pub(crate) async fn officer_exists(&self, id: Uuid) -> Result<bool> {
        let found: Option<String> = on_pool!(self, p => sqlx::query_scalar("SELECT id FROM officers WHERE id = $1 AND archived_at IS NULL")
            .bind(id.to_string()).fetch_optional(p).await?);
        Ok(found.is_some())
    }

    /// The unit's area, checked to exist, be live and lie in scope.
    async fn officer_unit_area(&self, scope: &Scope, o: &Officer) -> Result<AreaCode> {
        let unit = self.unit(scope, o.unit_id).await.map_err(|e| match e {
            StoreError::NotFound => {
                ValidationError::single("unit_id", "unknown_unit", "no such unit in your scope")
                    .into()
            }
            e => e,
        })?;
        if unit.archived_at.is_some() {
            return Err(ValidationError::single(
                "unit_id",
                "archived_unit",
                "the unit is archived",
            )
            .into());
        }
        for (i, d) in o.duties.iter().enumerate() {
            self.check_area(scope, &format!("duties[{i}].area"), d.area, None)
                .await?;
        }
        AreaCode::parse(&unit.area).map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    pub async fn create_officer(
        &self,
        scope: &Scope,
        id: Option<Uuid>,
        o: &Officer,
    ) -> Result<OfficerView> {
        let area = self.officer_unit_area(scope, o).await?;
        let id = id.unwrap_or_else(Uuid::now_v7);
        self.insert_officers(scope, &[(id, o.clone())], &[area], true)
            .await?;
        self.officer(scope, id).await
    }

    /// Inserts officers with their duties and shifts in one transaction. `areas[i]` is the
    /// area of officer i's unit (the caller has it at hand when loading in bulk).
    pub async fn insert_officers(
        &self,
        scope: &Scope,
        officers: &[OfficerSeed],
        areas: &[AreaCode],
        strict: bool,
    ) -> Result<()> {
        scope.require(Permission::Create)?;
        if let Some(a) = areas.iter().find(|a| !scope.contains(**a)) {
            return Err(StoreError::OutOfScope(a.to_string()));
        }
        let now = self.now();
        let rows: Vec<(&OfficerSeed, AreaCode)> =
            officers.iter().zip(areas.iter().copied()).collect();
        on_pool!(self, p => {
            let _turn = self.write_turn().await;
            let mut tx = p.begin().await?;
            for chunk in rows.chunks(2000) {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO officers (id, name, phone, unit_id, area_code, title, created_at, updated_at) ",
                );
                qb.push_values(chunk, |mut b, ((id, o), area)| {
                    b.push_bind(id.to_string())
                        .push_bind(o.name.clone())
                        .push_bind(o.phone.as_ref().map(|p| p.expose().to_owned()))
                        .push_bind(o.unit_id.to_string())
                        .push_bind(area.padded())
                        .push_bind(o.title.clone())
                        .push_bind(now)
                        .push_bind(now);
                });
                qb.push(" ON CONFLICT (id) DO NOTHING");
                let n = qb.build().execute(&mut *tx).await?.rows_affected();
                if strict && n != chunk.len() as u64 {
                    return Err(StoreError::Conflict("an officer with this id exists".into()));
                }
                let duties: Vec<(String, i64, &'static str)> = chunk
                    .iter()
                    .flat_map(|((id, o), _)| o.duties.iter().map(move |d| (id.to_string(), d.area.padded(), d.role.as_str())))
                    .collect();
                for dchunk in duties.chunks(3000) {
                    let mut qb = sqlx::QueryBuilder::new("INSERT INTO duties (officer_id, area_code, role) ");
                    qb.push_values(dchunk, |mut b, (id, a, r)| {
                        b.push_bind(id.clone()).push_bind(*a).push_bind(*r);
                    });
                    qb.push(" ON CONFLICT DO NOTHING");
                    qb.build().execute(&mut *tx).await?;
                }
                let shifts: Vec<(String, i64, i64, i64)> = chunk
                    .iter()
                    .flat_map(|((id, o), _)| {
                        o.duties.iter().flat_map(move |d| {
                            d.shifts.iter().map(move |s| (id.to_string(), d.area.padded(), s.starts_at, s.ends_at))
                        })
                    })
                    .collect();
                for schunk in shifts.chunks(3000) {
                    let mut qb = sqlx::QueryBuilder::new("INSERT INTO shifts (officer_id, area_code, starts_at, ends_at) ");
                    qb.push_values(schunk, |mut b, (id, a, s, e)| {
                        b.push_bind(id.clone()).push_bind(*a).push_bind(*s).push_bind(*e);
                    });
                    qb.push(" ON CONFLICT DO NOTHING");
                                        qb.build().execute(&mut *tx).await?;
                }
            }
            let entries = insert_entries("officer", scope, officers.first().zip(areas.first()).map(|((id, _), a)| (*id, *a)), officers.len());
            append_audit!(tx, now, scope, entries);
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn officer(&self, scope: &Scope, id: Uuid) -> Result<OfficerView> {
        let (lo, hi) = scope.range();
        let sql =
            format!("{OFFICER_SELECT} WHERE o.id = $1 AND o.area_code >= $2 AND o.area_code < $3");
        let row = on_pool!(self, p => sqlx::query_as::<_, OfficerRow>(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string()).bind(lo).bind(hi).fetch_optional(p).await?)
        .ok_or(StoreError::NotFound)?;
        let mut v = self.officer_views(scope, vec![row]).await?;
        v.pop().ok_or(StoreError::NotFound)
    }

    async fn officer_views(
        &self,
        scope: &Scope,
        rows: Vec<OfficerRow>,
    ) -> Result<Vec<OfficerView>> {
        if rows.is_empty() {
            return Ok(vec![]);
        }
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let (duties, shifts): (Vec<DutyRow>, Vec<ShiftRow>) = on_pool!(self, p => {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT d.officer_id, d.area_code, a.level, d.role FROM duties d JOIN areas a ON a.code = d.area_code \
                 WHERE d.officer_id IN (",
            );
            let mut sep = qb.separated(", ");
            for id in &ids {
                sep.push_bind(id.clone());
            }
            qb.push(") ORDER BY d.officer_id, d.area_code, d.role");
            let duties = qb.build_query_as::<DutyRow>().fetch_all(p).await?;
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT officer_id, area_code, starts_at, ends_at FROM shifts WHERE officer_id IN (",
            );
            let mut sep = qb.separated(", ");
            for id in &ids {
                sep.push_bind(id.clone());
            }
            qb.push(") ORDER BY officer_id, area_code, starts_at");
            (duties, qb.build_query_as::<ShiftRow>().fetch_all(p).await?)
        });
        let mut shift_map: HashMap<(String, i64), Vec<ShiftView>> = HashMap::new();
        for s in shifts {
            shift_map
                .entry((s.officer_id, s.area_code))
                .or_default()
                .push(ShiftView {
                    starts_at: format_time(s.starts_at),
                    ends_at: format_time(s.ends_at),
                });
        }
        let mut duty_map: HashMap<String, Vec<DutyView>> = HashMap::new();
        for d in duties {
            let role = DutyRole::parse(&d.role)
                .ok_or_else(|| StoreError::Corrupt(format!("role {:?}", d.role)))?;
            let shifts = if role == DutyRole::DutyOfficer {
                shift_map
                    .remove(&(d.officer_id.clone(), d.area_code))
                    .unwrap_or_default()
            } else {
                vec![]
            };
            duty_map.entry(d.officer_id).or_default().push(DutyView {
                area: code_of(d.area_code, &d.level)?.to_string(),
                role,
                shifts,
            });
        }
        rows.into_iter()
            .map(|r| {
                Ok(OfficerView {
                    id: uuid(&r.id)?,
                    duties: duty_map.remove(&r.id).unwrap_or_default(),
                    name: r.name,
                    phone: phone_out(scope, r.phone),
                    unit_id: uuid(&r.unit_id)?,
                    unit_name: r.unit_name,
                    area: code_of(r.area_code, &r.area_level)?.to_string(),
                    title: r.title,
                    grid_households: r.grid_households,
                    created_at: format_time(r.created_at),
                    updated_at: format_time(r.updated_at),
                    archived_at: r.archived_at.map(format_time),
                })
            })
            .collect()
    }

    pub async fn list_officers(&self, scope: &Scope, q: &ListQuery) -> Result<Page<OfficerView>> {
        let Some(range) = scope.narrow(q.area) else {
            return Ok(Page {
                items: vec![],
                next_cursor: None,
            });
        };
        let p = q.parse(range)?;
        let sql = format!(
            "{OFFICER_SELECT} WHERE o.area_code >= $1 AND o.area_code < $2 AND (o.area_code, o.id) > ($3, $4) \
             AND ($5 = '' OR o.name LIKE $5) AND ($6 = 1 OR o.archived_at IS NULL) \
             ORDER BY o.area_code, o.id LIMIT $7"
        );
        let rows = on_pool!(self, pool => sqlx::query_as::<_, OfficerRow>(sqlx::AssertSqlSafe(sql))
            .bind(p.lo).bind(p.hi).bind(p.after_area).bind(p.after_id.clone())
            .bind(p.like.clone()).bind(p.archived).bind(p.limit + 1)
            .fetch_all(pool).await?);
        let (rows, next_cursor) = finish(rows, p.limit, |r| (r.area_code, r.id.clone()));
        Ok(Page {
            items: self.officer_views(scope, rows).await?,
            next_cursor,
        })
    }

    pub async fn update_officer(
        &self,
        scope: &Scope,
        id: Uuid,
        o: &Officer,
    ) -> Result<OfficerView> {
        let old = self.officer(scope, id).await?;
        scope.require(Permission::Update)?;
        if old.archived_at.is_some() {
            return Err(StoreError::Conflict("the officer is archived".into()));
        }
        let area = self.officer_unit_area(scope, o).await?;
        let now = self.now();
        on_pool!(self, p => {
            let _turn = self.write_turn().await;
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE officers SET name = $2, phone = $3, unit_id = $4, area_code = $5, title = $6, updated_at = $7 WHERE id = $1")
                .bind(id.to_string()).bind(o.name.clone()).bind(o.phone.as_ref().map(|p| p.expose().to_owned()))
                .bind(o.unit_id.to_string()).bind(area.padded()).bind(o.title.clone()).bind(now)
                .execute(&mut *tx).await?;
            sqlx::query("DELETE FROM duties WHERE officer_id = $1").bind(id.to_string()).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM shifts WHERE officer_id = $1").bind(id.to_string()).execute(&mut *tx).await?;
            for d in &o.duties {
                sqlx::query("INSERT INTO duties (officer_id, area_code, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                    .bind(id.to_string()).bind(d.area.padded()).bind(d.role.as_str()).execute(&mut *tx).await?;
                for s in &d.shifts {
                    sqlx::query("INSERT INTO shifts (officer_id, area_code, starts_at, ends_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
                                                .bind(id.to_string()).bind(d.area.padded()).bind(s.starts_at).bind(s.ends_at).execute(&mut *tx).await?;
                }
            }
            append_audit!(tx, now, scope, [AuditEntry::new("update", "officer", id, Some(area))]);
            tx.commit().await?;
        });
        self.officer(scope, id).await
    }

    /// Archives an officer; households they answer for keep the reference, so the history
    /// of who was responsible is not lost.
    pub async fn archive_officer(&self, scope: &Scope, id: Uuid) -> Result<OfficerView> {
        let old = self.officer(scope, id).await?;
        scope.require(Permission::Archive)?;
        let area = AreaCode::parse(&old.area).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.archive_row(scope, Archivable::Officer, id, area)
            .await?;
        self.officer(scope, id).await
    }

    /// Everyone with a duty in exactly `area`, and which duty officers are on shift at `at`.
    pub async fn area_duty(&self, scope: &Scope, area: AreaCode, at: i64) -> Result<AreaDutyView> {
        if !scope.contains(area) {
            return Err(StoreError::NotFound);
        }
        self.area(scope, area).await?;
        let sql = format!(
            "{OFFICER_SELECT} WHERE o.archived_at IS NULL AND o.id IN (SELECT officer_id FROM duties WHERE area_code = $1) \
             ORDER BY o.name, o.id"
        );
        let rows = on_pool!(self, p => sqlx::query_as::<_, OfficerRow>(sqlx::AssertSqlSafe(sql))
            .bind(area.padded()).fetch_all(p).await?);
        let on_duty: Vec<String> = on_pool!(self, p => sqlx::query_scalar(
            "SELECT DISTINCT s.officer_id FROM shifts s JOIN officers o ON o.id = s.officer_id \
             WHERE s.area_code = $1 AND s.starts_at <= $2 AND s.ends_at > $2 AND o.archived_at IS NULL ORDER BY s.officer_id")
            .bind(area.padded()).bind(at).fetch_all(p).await?);
        Ok(AreaDutyView {
            area: area.to_string(),
            at: format_time(at),
            officers: self.officer_views(scope, rows).await?,
            on_duty: on_duty.iter().map(|s| uuid(s)).collect::<Result<_>>()?,
        })
    }
}
