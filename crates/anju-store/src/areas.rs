//! The area tree: seeding from an atlas, reading with rolled-up counts, boundaries,
//! supervising units and retired codes.

use anju_core::view::{AreaView, UnitRef};
use anju_core::{AreaCode, AreaLevel, GeoPoint, Permission, Scope, ValidationError};

use crate::audit::{AuditEntry, append_audit};
use crate::pool::on_pool;
use crate::{Result, Store, StoreError};

/// One area to load (from the embedded atlas or a deployment's own table).
#[derive(Debug, Clone)]
pub struct AreaSeed {
    pub code: AreaCode,
    pub name_zh: String,
    pub name_official: String,
    pub name_en: String,
    pub point: Option<GeoPoint>,
    pub point_approximate: bool,
}

/// One boundary: a GeoJSON Feature's text for an area.
#[derive(Debug, Clone)]
pub struct BoundarySeed {
    pub code: AreaCode,
    pub geojson: String,
}

#[derive(sqlx::FromRow)]
struct AreaRow {
    code: i64,
    level: String,
    name_zh: String,
    name_official: String,
    name_en: String,
    lon: Option<f64>,
    lat: Option<f64>,
    point_approximate: i64,
    supervising_unit_id: Option<String>,
    supervising_unit_name: Option<String>,
    retired_at: Option<i64>,
    successor: Option<i64>,
    successor_level: Option<String>,
    children: i64,
    households: Option<i64>,
    people: Option<i64>,
    vulnerable: Option<i64>,
}

const AREA_SELECT: &str = "SELECT a.code, a.level, a.name_zh, a.name_official, a.name_en, a.lon, a.lat, \
     a.point_approximate, a.supervising_unit_id, u.name AS supervising_unit_name, a.retired_at, \
     a.successor, s.level AS successor_level, \
     (SELECT COUNT(*) FROM areas c WHERE c.parent = a.code) AS children, \
     n.households, n.people, n.vulnerable \
     FROM areas a LEFT JOIN area_counts n ON n.code = a.code \
     LEFT JOIN units u ON u.id = a.supervising_unit_id \
     LEFT JOIN areas s ON s.code = a.successor";

fn level(s: &str) -> Result<AreaLevel> {
    AreaLevel::parse(s).ok_or_else(|| StoreError::Corrupt(format!("area level {s:?}")))
}

fn code(padded: i64, level_s: &str) -> Result<AreaCode> {
    AreaCode::from_padded(padded, level(level_s)?)
        .map_err(|e| StoreError::Corrupt(format!("area code {padded}: {e}")))
}

impl AreaRow {
    fn into_view(self) -> Result<AreaView> {
        let c = code(self.code, &self.level)?;
        let successor = match (self.successor, self.successor_level.as_deref()) {
            (Some(s), Some(l)) => Some(code(s, l)?.to_string()),
            _ => None,
        };
        let supervising_unit = match (self.supervising_unit_id, self.supervising_unit_name) {
            (Some(id), Some(name)) => Some(UnitRef {
                id: uuid::Uuid::parse_str(&id).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                name,
            }),
            _ => None,
        };
        Ok(AreaView {
            code: c.to_string(),
            level: c.level(),
            parent: c.parent().map(|p| p.to_string()),
            name_zh: self.name_zh,
            name_official: self.name_official,
            name_en: self.name_en,
            point: match (self.lon, self.lat) {
                (Some(lon), Some(lat)) => GeoPoint::new(lon, lat),
                _ => None,
            },
            point_approximate: self.point_approximate != 0,
            children: self.children,
            households: self.households.unwrap_or(0),
            people: self.people.unwrap_or(0),
            vulnerable_people: self.vulnerable.unwrap_or(0),
            supervising_unit,
            retired_at: self.retired_at.map(anju_core::officer::format_time),
            successor,
        })
    }
}

impl Store {
    /// Inserts or updates areas (names and points), in one transaction. Parents must come
    /// before children or already exist.
    pub async fn upsert_areas(&self, scope: &Scope, areas: &[AreaSeed]) -> Result<usize> {
        scope.require(Permission::ManageUsers)?;
        if scope.root().is_some() {
            return Err(StoreError::Forbidden(Permission::ManageUsers));
        }
        let now = self.now();
        on_pool!(self, p => {
            let _turn = self.write_turn().await;
            let mut tx = p.begin().await?;
            let entry = AuditEntry { action: "load", entity: "area", entity_id: None, area: None, detail: serde_json::json!({"areas": areas.len()}) };
            append_audit!(tx, now, scope, [entry]);
            for chunk in areas.chunks(1000) {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO areas (code, level, parent, name_zh, name_official, name_en, lon, lat, point_approximate) ",
                );
                qb.push_values(chunk, |mut b, a| {
                    b.push_bind(a.code.padded())
                        .push_bind(a.code.level().as_str())
                        .push_bind(a.code.parent().map(AreaCode::padded))
                        .push_bind(a.name_zh.clone())
                        .push_bind(a.name_official.clone())
                        .push_bind(a.name_en.clone())
                        .push_bind(a.point.map(|p| p.lon))
                        .push_bind(a.point.map(|p| p.lat))
                        .push_bind(i64::from(a.point_approximate));
                });
                qb.push(
                    " ON CONFLICT (code) DO UPDATE SET name_zh = excluded.name_zh, \
                     name_official = excluded.name_official, name_en = excluded.name_en, \
                     lon = excluded.lon, lat = excluded.lat, point_approximate = excluded.point_approximate",
                );
                qb.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(areas.len())
    }

    /// Replaces the stored boundaries of the given areas (a deployment's approved file).
    pub async fn set_boundaries(
        &self,
        scope: &Scope,
        boundaries: &[BoundarySeed],
        source: &str,
    ) -> Result<usize> {
        if scope.root().is_some() {
            return Err(StoreError::Forbidden(Permission::ManageUsers));
        }
        let now = self.now();
        on_pool!(self, p => {
            let _turn = self.write_turn().await;
            let mut tx = p.begin().await?;
            let entry = AuditEntry { action: "load", entity: "boundary", entity_id: None, area: None, detail: serde_json::json!({"boundaries": boundaries.len(), "source": source}) };
            append_audit!(tx, now, scope, [entry]);
            for b in boundaries {
                let exists: Option<i64> = sqlx::query_scalar("SELECT code FROM areas WHERE code = $1")
                    .bind(b.code.padded())
                    .fetch_optional(&mut *tx)
                    .await?;
                if exists.is_none() {
                    return Err(ValidationError::single(
                        "code",
                        "unknown_area",
                        format!("no area {} for this boundary", b.code),
                    )
                    .into());
                }
                sqlx::query(
                    "INSERT INTO area_boundaries (code, geojson, source) VALUES ($1, $2, $3) \
                     ON CONFLICT (code) DO UPDATE SET geojson = excluded.geojson, source = excluded.source",
                )
                .bind(b.code.padded())
                .bind(b.geojson.clone())
                .bind(source.to_owned())
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(boundaries.len())
    }

    pub async fn area_count(&self) -> Result<i64> {
        let n = on_pool!(self, p => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM areas").fetch_one(p).await?);
        Ok(n)
    }

    pub async fn area(&self, scope: &Scope, c: AreaCode) -> Result<AreaView> {
        if !scope.contains(c) {
            return Err(StoreError::NotFound);
        }
        let sql = format!("{AREA_SELECT} WHERE a.code = $1");
        let row = on_pool!(self, p => sqlx::query_as::<_, AreaRow>(sqlx::AssertSqlSafe(sql))
            .bind(c.padded())
            .fetch_optional(p)
            .await?);
        row.ok_or(StoreError::NotFound)?.into_view()
    }

    pub async fn area_children(&self, scope: &Scope, c: AreaCode) -> Result<Vec<AreaView>> {
        if !scope.contains(c) {
            return Err(StoreError::NotFound);
        }
        // Confirms the parent exists, so an unknown code is 404 rather than an empty list.
        self.area(scope, c).await?;
        let sql = format!("{AREA_SELECT} WHERE a.parent = $1 ORDER BY a.code");
        let rows = on_pool!(self, p => sqlx::query_as::<_, AreaRow>(sqlx::AssertSqlSafe(sql))
            .bind(c.padded())
            .fetch_all(p)
            .await?);
        rows.into_iter().map(AreaRow::into_view).collect()
    }

    /// The stored boundary Feature, if the area has one.
    pub async fn area_boundary(&self, scope: &Scope, c: AreaCode) -> Result<Option<String>> {
        if !scope.contains(c) {
            return Err(StoreError::NotFound);
        }
        let g = on_pool!(self, p => sqlx::query_scalar::<_, String>("SELECT geojson FROM area_boundaries WHERE code = $1")
            .bind(c.padded())
            .fetch_optional(p)
            .await?);
        Ok(g)
    }

    /// Retires `old`, naming `successor` (merges and renames happen). Records keep the
    /// old code; readers follow `successor`.
    pub async fn retire_area(
        &self,
        scope: &Scope,
        old: AreaCode,
        successor: Option<AreaCode>,
    ) -> Result<()> {
        if scope.root().is_some() {
            return Err(StoreError::Forbidden(Permission::ManageUsers));
        }
        let now = self.now();
        on_pool!(self, p => {
            let _turn = self.write_turn().await;
            let mut tx = p.begin().await?;
            let entry = AuditEntry::new("retire", "area", old, Some(old)).detail(serde_json::json!({"successor": successor.map(|s| s.to_string())}));
            append_audit!(tx, now, scope, [entry]);
            if let Some(s) = successor {
                let live: Option<i64> = sqlx::query_scalar("SELECT code FROM areas WHERE code = $1 AND retired_at IS NULL")
                    .bind(s.padded())
                    .fetch_optional(&mut *tx)
                    .await?;
                if live.is_none() || s == old {
                    return Err(ValidationError::single("successor", "unknown_area", format!("{s} is not a live area")).into());
                }
            }
            let n = sqlx::query("UPDATE areas SET retired_at = $1, successor = $2 WHERE code = $3")
                .bind(now)
                .bind(successor.map(AreaCode::padded))
                .bind(old.padded())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn set_supervising_unit(
        &self,
        scope: &Scope,
        c: AreaCode,
        unit: uuid::Uuid,
    ) -> Result<AreaView> {
        self.area(scope, c).await?;
        scope.require(Permission::Update)?;
        let now = self.now();
        on_pool!(self, p => {
            let _turn = self.write_turn().await;
            let mut tx = p.begin().await?;
            let exists: Option<String> = sqlx::query_scalar("SELECT id FROM units WHERE id = $1 AND archived_at IS NULL")
                .bind(unit.to_string())
                                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_none() {
                return Err(ValidationError::single("supervising_unit_id", "unknown_unit", "no such unit").into());
            }
            append_audit!(tx, now, scope, [AuditEntry::new("set_supervising_unit", "area", c, Some(c)).detail(serde_json::json!({"unit": unit}))]);
            let n = sqlx::query("UPDATE areas SET supervising_unit_id = $1 WHERE code = $2")
                .bind(unit.to_string())
                                .bind(c.padded())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            tx.commit().await?;
        });
        self.area(scope, c).await
    }

    /// Checks that `c` exists, is live, has the wanted level and lies in `scope`.
    pub(crate) async fn check_area(
        &self,
        scope: &Scope,
        field: &str,
        c: AreaCode,
        want: Option<AreaLevel>,
    ) -> Result<()> {
        if let Some(l) = want
            && c.level() != l
        {
            return Err(ValidationError::single(
                field,
                "wrong_level",
                format!("must be a {} code", l.as_str()),
            )
            .into());
        }
        let retired: Option<Option<i64>> = on_pool!(self, p => sqlx::query_scalar("SELECT retired_at FROM areas WHERE code = $1")
            .bind(c.padded())
            .fetch_optional(p)
            .await?);
        match retired {
            None => {
                Err(ValidationError::single(field, "unknown_area", format!("no area {c}")).into())
            }
            Some(Some(_)) => Err(ValidationError::single(
                field,
                "retired_area",
                format!("the area {c} was retired"),
            )
            .into()),
            Some(None) if !scope.contains(c) => Err(StoreError::OutOfScope(c.to_string())),
            Some(None) => Ok(()),
        }
    }
}
