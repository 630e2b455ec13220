//! Units: departments, governments, village committees and response teams.

use anju_core::officer::{Unit, UnitKind, format_time};
use anju_core::view::{Page, UnitView};
use anju_core::{AreaCode, AreaLevel, Permission, Scope};
use uuid::Uuid;

use crate::audit::{AuditEntry, append_audit, insert_entries};
use crate::households::{phone_out, uuid};
use crate::page::{ListQuery, finish};
use crate::pool::on_pool;
use crate::{Result, Store, StoreError};

#[derive(sqlx::FromRow)]
struct UnitRow {
    id: String,
    name: String,
    kind: String,
    area_code: i64,
    area_level: String,
    phone: Option<String>,
    created_at: i64,
    updated_at: i64,
    archived_at: Option<i64>,
}

const UNIT_SELECT: &str = "SELECT u.id, u.name, u.kind, u.area_code, a.level AS area_level, u.phone, \
     u.created_at, u.updated_at, u.archived_at FROM units u JOIN areas a ON a.code = u.area_code";

impl UnitRow {
    fn into_view(self, scope: &Scope) -> Result<UnitView> {
        let level = AreaLevel::parse(&self.area_level)
            .ok_or_else(|| StoreError::Corrupt(format!("level {:?}", self.area_level)))?;
        Ok(UnitView {
            id: uuid(&self.id)?,
            name: self.name,
            kind: UnitKind::parse(&self.kind)
                .ok_or_else(|| StoreError::Corrupt(format!("unit kind {:?}", self.kind)))?,
            area: AreaCode::from_padded(self.area_code, level)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?
                .to_string(),
            phone: phone_out(scope, self.phone),
            created_at: format_time(self.created_at),
            updated_at: format_time(self.updated_at),
            archived_at: self.archived_at.map(format_time),
        })
    }
}

impl Store {
    pub async fn create_unit(&self, scope: &Scope, id: Option<Uuid>, u: &Unit) -> Result<UnitView> {
        self.check_area(scope, "area", u.area, None).await?;
        let id = id.unwrap_or_else(Uuid::now_v7);
        self.insert_units(scope, &[(id, u.clone())], true).await?;
        self.unit(scope, id).await
    }

    /// Inserts units in one transaction; with `strict`, an existing id is a conflict.
    pub async fn insert_units(
        &self,
        scope: &Scope,
        units: &[(Uuid, Unit)],
        strict: bool,
    ) -> Result<()> {
        scope.require(Permission::Create)?;
        if let Some((_, u)) = units.iter().find(|(_, u)| !scope.contains(u.area)) {
            return Err(StoreError::OutOfScope(u.area.to_string()));
        }
        let now = self.now();
        on_pool!(self, p => {
            let _turn = self.write_turn().await;
            let mut tx = p.begin().await?;
            for chunk in units.chunks(2000) {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO units (id, name, kind, area_code, phone, created_at, updated_at) ",
                );
                qb.push_values(chunk, |mut b, (id, u)| {
                    b.push_bind(id.to_string())
                        .push_bind(u.name.clone())
                        .push_bind(u.kind.as_str())
                        .push_bind(u.area.padded())
                        .push_bind(u.phone.as_ref().map(|p| p.expose().to_owned()))
                        .push_bind(now)
                        .push_bind(now);
                });
                qb.push(" ON CONFLICT (id) DO NOTHING");
                let n = qb.build().execute(&mut *tx).await?.rows_affected();
                if strict && n != chunk.len() as u64 {
                                        return Err(StoreError::Conflict("a unit with this id exists".into()));
                }
            }
            let entries = insert_entries("unit", scope, units.first().map(|(id, u)| (*id, u.area)), units.len());
            append_audit!(tx, now, scope, entries);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Names each area's supervising unit, in bulk.
    pub async fn set_supervising_units(
        &self,
        scope: &Scope,
        pairs: &[(AreaCode, Uuid)],
    ) -> Result<()> {
        scope.require(Permission::Update)?;
        if let Some((a, _)) = pairs.iter().find(|(a, _)| !scope.contains(*a)) {
            return Err(StoreError::OutOfScope(a.to_string()));
        }
        let now = self.now();
        on_pool!(self, p => {
            let _turn = self.write_turn().await;
            let mut tx = p.begin().await?;
            let entry = AuditEntry { action: "set_supervising_units", entity: "area", entity_id: None, area: scope.root(), detail: serde_json::json!({"areas": pairs.len()}) };
            append_audit!(tx, now, scope, [entry]);
            for (a, u) in pairs {
                sqlx::query("UPDATE areas SET supervising_unit_id = $1 WHERE code = $2")
                    .bind(u.to_string()).bind(a.padded()).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn unit(&self, scope: &Scope, id: Uuid) -> Result<UnitView> {
        let (lo, hi) = scope.range();
        let sql =
            format!("{UNIT_SELECT} WHERE u.id = $1 AND u.area_code >= $2 AND u.area_code < $3");
        on_pool!(self, p => sqlx::query_as::<_, UnitRow>(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string()).bind(lo).bind(hi).fetch_optional(p).await?)
        .ok_or(StoreError::NotFound)?
        .into_view(scope)
    }

    pub async fn list_units(&self, scope: &Scope, q: &ListQuery) -> Result<Page<UnitView>> {
        let Some(range) = scope.narrow(q.area) else {
            return Ok(Page {
                items: vec![],
                next_cursor: None,
            });
        };
        let p = q.parse(range)?;
        let sql = format!(
            "{UNIT_SELECT} WHERE u.area_code >= $1 AND u.area_code < $2 AND (u.area_code, u.id) > ($3, $4) \
             AND ($5 = '' OR u.name LIKE $5) AND ($6 = 1 OR u.archived_at IS NULL) \
             ORDER BY u.area_code, u.id LIMIT $7"
        );
        let rows = on_pool!(self, pool => sqlx::query_as::<_, UnitRow>(sqlx::AssertSqlSafe(sql))
            .bind(p.lo).bind(p.hi).bind(p.after_area).bind(p.after_id.clone())
            .bind(p.like.clone()).bind(p.archived).bind(p.limit + 1)
            .fetch_all(pool).await?);
        let (rows, next_cursor) = finish(rows, p.limit, |r| (r.area_code, r.id.clone()));
        Ok(Page {
            items: rows
                .into_iter()
                .map(|r| r.into_view(scope))
                .collect::<Result<_>>()?,
            next_cursor,
        })
    }

    pub async fn update_unit(&self, scope: &Scope, id: Uuid, u: &Unit) -> Result<UnitView> {
        let old = self.unit(scope, id).await?;
        scope.require(Permission::Update)?;
        if old.archived_at.is_some() {
            return Err(StoreError::Conflict("the unit is archived".into()));
        }
        self.check_area(scope, "area", u.area, None).await?;
        let now = self.now();
        on_pool!(self, p => {
            let _turn = self.write_turn().await;
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE units SET name = $2, kind = $3, area_code = $4, phone = $5, updated_at = $6 WHERE id = $1")
                .bind(id.to_string()).bind(u.name.clone()).bind(u.kind.as_str()).bind(u.area.padded())
                .bind(u.phone.as_ref().map(|p| p.expose().to_owned())).bind(now)
                .execute(&mut *tx).await?;
            // An officer is placed where their unit is.
                        sqlx::query("UPDATE officers SET area_code = $2 WHERE unit_id = $1")
                .bind(id.to_string()).bind(u.area.padded()).execute(&mut *tx).await?;
            append_audit!(tx, now, scope, [AuditEntry::new("update", "unit", id, Some(u.area))]);
            tx.commit().await?;
        });
        self.unit(scope, id).await
    }

    /// Archives a unit. One that still supervises an area or has active officers stays, so
    /// nothing that refers to it is left dangling.
    pub async fn archive_unit(&self, scope: &Scope, id: Uuid) -> Result<UnitView> {
        let old = self.unit(scope, id).await?;
        scope.require(Permission::Archive)?;
        let area = AreaCode::parse(&old.area).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let now = self.now();
        on_pool!(self, p => {
            let _turn = self.write_turn().await;
            let mut tx = p.begin().await?;
            let supervising: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM areas WHERE supervising_unit_id = $1")
                                .bind(id.to_string()).fetch_one(&mut *tx).await?;
            let officers: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM officers WHERE unit_id = $1 AND archived_at IS NULL")
                                .bind(id.to_string()).fetch_one(&mut *tx).await?;
            if supervising > 0 || officers > 0 {
                return Err(StoreError::Conflict(format!(
                    "the unit supervises {supervising} area(s) and has {officers} active officer(s)"
                )));
            }
                        let n = sqlx::query("UPDATE units SET archived_at = $2, updated_at = $2 WHERE id = $1 AND archived_at IS NULL")
                .bind(id.to_string()).bind(now).execute(&mut *tx).await?.rows_affected();
            if n == 1 {
                append_audit!(tx, now, scope, [AuditEntry::new("archive", "unit", id, Some(area))]);
            }
            tx.commit().await?;
        });
        self.unit(scope, id).await
    }
}
