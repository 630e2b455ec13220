//! Houses: a point, a structure and an owner household.

use anju_core::household::{House, StructureType};
use anju_core::officer::format_time;
use anju_core::view::{HouseView, Page};
use anju_core::{AreaCode, AreaLevel, GeoPoint, Permission, Scope, ValidationError};
use uuid::Uuid;

use crate::audit::{AuditEntry, append_audit, insert_entries};
use crate::households::{area_string, opt_uuid, uuid};
use crate::page::{ListQuery, finish};
use crate::pool::on_pool;
use crate::{Result, Store, StoreError};

#[derive(sqlx::FromRow)]
struct HouseRow {
    id: String,
    area_code: i64,
    address: String,
    lon: f64,
    lat: f64,
    structure: String,
    floors: i64,
    rooms: Option<i64>,
    year_built: Option<i64>,
    owner_household_id: Option<String>,
    created_at: i64,
    updated_at: i64,
    archived_at: Option<i64>,
}

const HOUSE_COLUMNS: &str = "id, area_code, address, lon, lat, structure, floors, rooms, year_built, \
     owner_household_id, created_at, updated_at, archived_at";

impl HouseRow {
    fn into_view(self) -> Result<HouseView> {
        Ok(HouseView {
            id: uuid(&self.id)?,
            area: area_string(self.area_code, AreaLevel::Village)?,
            address: self.address,
            point: GeoPoint::new(self.lon, self.lat)
                .ok_or_else(|| StoreError::Corrupt(format!("point {} {}", self.lon, self.lat)))?,
            structure: StructureType::parse(&self.structure)
                .ok_or_else(|| StoreError::Corrupt(format!("structure {:?}", self.structure)))?,
            floors: self.floors,
            rooms: self.rooms,
            year_built: self.year_built,
            owner_household_id: opt_uuid(self.owner_household_id)?,
            created_at: format_time(self.created_at),
            updated_at: format_time(self.updated_at),
            archived_at: self.archived_at.map(format_time),
        })
    }
}

impl Store {
    async fn check_house_refs(&self, scope: &Scope, h: &House) -> Result<()> {
        self.check_area(scope, "area", h.area, Some(AreaLevel::Village))
            .await?;
        if let Some(owner) = h.owner_household_id
            && self.household(scope, owner).await.is_err()
        {
            return Err(ValidationError::single(
                "owner_household_id",
                "unknown_household",
                "no such household in your scope",
            )
            .into());
        }
        Ok(())
    }

    pub async fn create_house(
        &self,
        scope: &Scope,
        id: Option<Uuid>,
        h: &House,
    ) -> Result<HouseView> {
        self.check_house_refs(scope, h).await?;
        let id = id.unwrap_or_else(Uuid::now_v7);
        self.insert_houses(scope, &[(id, h.clone())], true).await?;
        self.house(scope, id).await
    }

    /// Inserts houses in one transaction; with `strict`, an existing id is a conflict.
    pub async fn insert_houses(
        &self,
        scope: &Scope,
        houses: &[(Uuid, House)],
        strict: bool,
    ) -> Result<()> {
        scope.require(Permission::Create)?;
        if let Some((_, h)) = houses.iter().find(|(_, h)| !scope.contains(h.area)) {
            return Err(StoreError::OutOfScope(h.area.to_string()));
        }
        let now = self.now();
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            for chunk in houses.chunks(2000) {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO houses (id, area_code, address, lon, lat, structure, floors, rooms, year_built, \
                     owner_household_id, created_at, updated_at) ",
                );
                qb.push_values(chunk, |mut b, (id, h)| {
                    b.push_bind(id.to_string())
                        .push_bind(h.area.padded())
                        .push_bind(h.address.clone())
                        .push_bind(h.point.lon)
                        .push_bind(h.point.lat)
                        .push_bind(h.structure.as_str())
                        .push_bind(h.floors)
                        .push_bind(h.rooms)
                        .push_bind(h.year_built)
                        .push_bind(h.owner_household_id.map(|u| u.to_string()))
                        .push_bind(now)
                        .push_bind(now);
                });
                qb.push(" ON CONFLICT (id) DO NOTHING");
                let n = qb.build().execute(&mut *tx).await?.rows_affected();
                                if strict && n != chunk.len() as u64 {
                    return Err(StoreError::Conflict("a house with this id exists".into()));
                }
            }
            let entries = insert_entries("house", scope, houses.first().map(|(id, h)| (*id, h.area)), houses.len());
            append_audit!(tx, now, scope, entries);
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn house(&self, scope: &Scope, id: Uuid) -> Result<HouseView> {
        let (lo, hi) = scope.range();
        let sql = format!(
            "SELECT {HOUSE_COLUMNS} FROM houses WHERE id = $1 AND area_code >= $2 AND area_code < $3"
        );
        on_pool!(self, p => sqlx::query_as::<_, HouseRow>(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string()).bind(lo).bind(hi).fetch_optional(p).await?)
        .ok_or(StoreError::NotFound)?
        .into_view()
    }

    pub async fn list_houses(&self, scope: &Scope, q: &ListQuery) -> Result<Page<HouseView>> {
        let Some(range) = scope.narrow(q.area) else {
            return Ok(Page {
                items: vec![],
                next_cursor: None,
            });
        };
        let p = q.parse(range)?;
        let sql = format!(
            "SELECT {HOUSE_COLUMNS} FROM houses \
             WHERE area_code >= $1 AND area_code < $2 AND (area_code, id) > ($3, $4) \
             AND ($5 = '' OR address LIKE $5) AND ($6 = 1 OR archived_at IS NULL) \
             ORDER BY area_code, id LIMIT $7"
        );
        let rows = on_pool!(self, pool => sqlx::query_as::<_, HouseRow>(sqlx::AssertSqlSafe(sql))
            .bind(p.lo).bind(p.hi).bind(p.after_area).bind(p.after_id.clone())
            .bind(p.like.clone()).bind(p.archived).bind(p.limit + 1)
            .fetch_all(pool).await?);
        let (rows, next_cursor) = finish(rows, p.limit, |r| (r.area_code, r.id.clone()));
        Ok(Page {
            items: rows
                .into_iter()
                .map(HouseRow::into_view)
                .collect::<Result<_>>()?,
            next_cursor,
        })
    }

    pub async fn update_house(&self, scope: &Scope, id: Uuid, h: &House) -> Result<HouseView> {
        let old = self.house(scope, id).await?;
        scope.require(Permission::Update)?;
        if old.archived_at.is_some() {
            return Err(StoreError::Conflict("the house is archived".into()));
        }
        self.check_house_refs(scope, h).await?;
        let now = self.now();
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query(
                "UPDATE houses SET area_code = $2, address = $3, lon = $4, lat = $5, structure = $6, floors = $7, \
                 rooms = $8, year_built = $9, owner_household_id = $10, updated_at = $11 WHERE id = $1",
            )
            .bind(id.to_string()).bind(h.area.padded()).bind(h.address.clone()).bind(h.point.lon).bind(h.point.lat)
            .bind(h.structure.as_str()).bind(h.floors).bind(h.rooms).bind(h.year_built)
                        .bind(h.owner_household_id.map(|u| u.to_string())).bind(now)
            .execute(&mut *tx).await?;
            append_audit!(tx, now, scope, [AuditEntry::new("update", "house", id, Some(h.area))]);
            tx.commit().await?;
        });
        self.house(scope, id).await
    }

    pub async fn archive_house(&self, scope: &Scope, id: Uuid) -> Result<HouseView> {
        let old = self.house(scope, id).await?;
        scope.require(Permission::Archive)?;
        let area = AreaCode::parse(&old.area).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        // An archived house leaves the recovery figures in the same transaction.
        self.set_house_archived(scope, id, area, true).await?;
        self.house(scope, id).await
    }

    /// Brings an archived house back, and its recovery figures with it.
    pub async fn restore_house(&self, scope: &Scope, id: Uuid) -> Result<HouseView> {
        let old = self.house(scope, id).await?;
        scope.require(Permission::Archive)?;
        let area = AreaCode::parse(&old.area).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.set_house_archived(scope, id, area, false).await?;
        self.house(scope, id).await
    }

    async fn set_house_archived(
        &self,
        scope: &Scope,
        id: Uuid,
        area: AreaCode,
        archive: bool,
    ) -> Result<()> {
        let now = self.now();
        let (sql, action, sign) = if archive {
            (
                "UPDATE houses SET archived_at = $2, updated_at = $2 WHERE id = $1 AND archived_at IS NULL",
                "archive",
                -1,
            )
        } else {
            (
                "UPDATE houses SET archived_at = NULL, updated_at = $2 WHERE id = $1 AND archived_at IS NOT NULL",
                "restore",
                1,
            )
        };
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            // The house row first (the lock every recovery write of this house takes).
            let n = sqlx::query(sql).bind(id.to_string()).bind(now).execute(&mut *tx).await?.rows_affected();
            if n == 1 {
                crate::recovery::RecoveryTx::move_house_figures(&mut *tx, &id.to_string(), sign).await?;
                append_audit!(tx, now, scope, [AuditEntry::new(action, "house", id, Some(area))]);
            }
            tx.commit().await?;
        });
        Ok(())
    }
}
