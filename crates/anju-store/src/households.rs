//! Households and their members.

use std::collections::HashMap;

use anju_core::household::{Household, PovertyCategory, Sex, Vulnerability, format_date};
use anju_core::identity::mask_id_number;
use anju_core::officer::format_time;
use anju_core::phone::mask_phone;
use anju_core::view::{HouseholdView, MemberView, Page};
use anju_core::{AreaCode, AreaLevel, Permission, Scope, ValidationError};
use uuid::Uuid;

use crate::audit::{AuditEntry, append_audit};
use crate::page::{ListQuery, finish};
use crate::pool::on_pool;
use crate::{Result, Store, StoreError};

/// A household already validated, with its id and time, for bulk loading (demo, import).
#[derive(Debug, Clone)]
pub struct HouseholdSeed {
    pub id: Uuid,
    pub household: Household,
}

#[derive(sqlx::FromRow)]
struct HouseholdRow {
    id: String,
    area_code: i64,
    address: String,
    head_name: String,
    phone: Option<String>,
    responsible_officer_id: Option<String>,
    grid_officer_id: Option<String>,
    poverty_category: String,
    people: i64,
    vulnerable: i64,
    created_at: i64,
    updated_at: i64,
    archived_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    household_id: String,
    name: String,
    sex: String,
    birth_date: String,
    id_number: Option<String>,
    relation: Option<String>,
    vulnerabilities: i64,
}

const HOUSEHOLD_COLUMNS: &str = "id, area_code, address, head_name, phone, responsible_officer_id, \
     grid_officer_id, poverty_category, people, vulnerable, created_at, updated_at, archived_at";

pub(crate) fn uuid(s: &str) -> Result<Uuid> {
    Uuid::parse_str(s).map_err(|e| StoreError::Corrupt(format!("id {s:?}: {e}")))
}

pub(crate) fn opt_uuid(s: Option<String>) -> Result<Option<Uuid>> {
    s.as_deref().map(uuid).transpose()
}

pub(crate) fn area_string(padded: i64, level: AreaLevel) -> Result<String> {
    AreaCode::from_padded(padded, level)
        .map(|c| c.to_string())
        .map_err(|e| StoreError::Corrupt(format!("area {padded}: {e}")))
}

/// Personal data leaves the store masked unless the scope may see it.
pub(crate) fn phone_out(scope: &Scope, p: Option<String>) -> Option<String> {
    p.map(|p| {
        if scope.see_personal_data() {
            p
        } else {
            mask_phone(&p)
        }
    })
}

fn member_view(scope: &Scope, m: MemberRow) -> Result<MemberView> {
    Ok(MemberView {
        name: m.name,
        sex: Sex::parse(&m.sex).ok_or_else(|| StoreError::Corrupt(format!("sex {:?}", m.sex)))?,
        birth_date: m.birth_date,
        id_number: m.id_number.map(|n| {
            if scope.see_personal_data() {
                n
            } else {
                mask_id_number(&n)
            }
        }),
        relation: m.relation,
        vulnerabilities: Vulnerability::from_bits(m.vulnerabilities),
    })
}

fn household_view(
    scope: &Scope,
    r: HouseholdRow,
    members: Vec<MemberView>,
) -> Result<HouseholdView> {
    Ok(HouseholdView {
        id: uuid(&r.id)?,
        area: area_string(r.area_code, AreaLevel::Village)?,
        address: r.address,
        head_name: r.head_name,
        phone: phone_out(scope, r.phone),
        responsible_officer_id: opt_uuid(r.responsible_officer_id)?,
        grid_officer_id: opt_uuid(r.grid_officer_id)?,
        poverty_category: PovertyCategory::parse(&r.poverty_category).ok_or_else(|| {
            StoreError::Corrupt(format!("poverty category {:?}", r.poverty_category))
        })?,
        people: r.people,
        vulnerable_people: r.vulnerable,
        members,
        created_at: format_time(r.created_at),
        updated_at: format_time(r.updated_at),
        archived_at: r.archived_at.map(format_time),
    })
}

fn vulnerable_count(h: &Household) -> i64 {
    h.members
        .iter()
        .filter(|m| !m.vulnerabilities.is_empty())
        .count() as i64
}

/// Adds a household's people to the rolled-up counts of its village and every ancestor.
macro_rules! bump_counts {
    ($tx:expr, $area:expr, $dh:expr, $dp:expr, $dv:expr) => {
        for a in $area.path() {
            sqlx::query(
                "INSERT INTO area_counts (code, households, people, vulnerable) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (code) DO UPDATE SET households = area_counts.households + excluded.households, \
                 people = area_counts.people + excluded.people, vulnerable = area_counts.vulnerable + excluded.vulnerable",
            )
            .bind(a.padded())
            .bind($dh)
            .bind($dp)
            .bind($dv)
            .execute(&mut *$tx)
            .await?;
        }
    };
}

macro_rules! insert_members {
    ($tx:expr, $rows:expr) => {
        // Chunked so one statement stays under SQLite's bound-parameter limit.
        for chunk in $rows.chunks(2000) {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO members (household_id, idx, name, sex, birth_date, id_number, relation, vulnerabilities) ",
            );
            qb.push_values(chunk, |mut b, (hid, i, m): &(String, i64, &anju_core::household::Member)| {
                b.push_bind(hid.clone())
                    .push_bind(*i)
                    .push_bind(m.name.clone())
                    .push_bind(m.sex.as_str())
                    .push_bind(format_date(m.birth_date))
                    .push_bind(m.id_number.as_ref().map(|n| n.expose().to_owned()))
                    .push_bind(m.relation.clone())
                    .push_bind(Vulnerability::to_bits(&m.vulnerabilities));
            });
            qb.build().execute(&mut *$tx).await?;
        }
    };
}

impl Store {
    async fn check_household_refs(&self, scope: &Scope, h: &Household) -> Result<()> {
        self.check_area(scope, "area", h.area, Some(AreaLevel::Village))
            .await?;
        let mut v = ValidationError::default();
        for (field, id) in [
            ("responsible_officer_id", h.responsible_officer_id),
            ("grid_officer_id", h.grid_officer_id),
        ] {
            if let Some(id) = id
                && !self.officer_exists(id).await?
            {
                v.push(field, "unknown_officer", "no such officer in your scope");
            }
        }
        v.finish(())?;
        Ok(())
    }

    /// Creates a household; `id` may come from the client (offline entry), and a retry
    /// with the same id is refused as a conflict rather than duplicated.
    pub async fn create_household(
        &self,
        scope: &Scope,
        id: Option<Uuid>,
        h: &Household,
    ) -> Result<HouseholdView> {
        self.check_household_refs(scope, h).await?;
        scope.require(Permission::Create)?;
        let id = id.unwrap_or_else(Uuid::now_v7);
        let now = self.now();
        on_pool!(self, p => {
            let _turn = self.write_turn().await;
            let mut tx = p.begin().await?;
            let res = sqlx::query(
                "INSERT INTO households (id, area_code, address, head_name, phone, responsible_officer_id, \
                 grid_officer_id, poverty_category, people, vulnerable, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) ON CONFLICT (id) DO NOTHING",
            )
            .bind(id.to_string())
            .bind(h.area.padded())
            .bind(h.address.clone())
            .bind(h.head_name.clone())
            .bind(h.phone.as_ref().map(|p| p.expose().to_owned()))
            .bind(h.responsible_officer_id.map(|u| u.to_string()))
            .bind(h.grid_officer_id.map(|u| u.to_string()))
            .bind(h.poverty_category.as_str())
            .bind(h.members.len() as i64)
            .bind(vulnerable_count(h))
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if res.rows_affected() == 0 {
                return Err(StoreError::Conflict(format!("a household with id {id} exists")));
            }
            let rows: Vec<(String, i64, &anju_core::household::Member)> =
                h.members.iter().enumerate().map(|(i, m)| (id.to_string(), i as i64, m)).collect();
                        insert_members!(tx, rows);
            bump_counts!(tx, h.area, 1i64, h.members.len() as i64, vulnerable_count(h));
            append_audit!(tx, now, scope, [AuditEntry::new("create", "household", id, Some(h.area))]);
            tx.commit().await?;
        });
        self.household(scope, id).await
    }

    /// Loads many validated households in one transaction (demo and imports): members in
    /// bulk, counts rolled up once at the end.
    pub async fn seed_households(&self, scope: &Scope, seeds: &[HouseholdSeed]) -> Result<()> {
        scope.require(Permission::Create)?;
        if let Some(s) = seeds.iter().find(|s| !scope.contains(s.household.area)) {
            return Err(StoreError::OutOfScope(s.household.area.to_string()));
        }
        let now = self.now();
        let mut counts: HashMap<i64, (i64, i64, i64)> = HashMap::new();
        for s in seeds {
            for a in s.household.area.path() {
                let e = counts.entry(a.padded()).or_default();
                e.0 += 1;
                e.1 += s.household.members.len() as i64;
                e.2 += vulnerable_count(&s.household);
            }
        }
        let counts: Vec<(i64, (i64, i64, i64))> = counts.into_iter().collect();
        on_pool!(self, p => {
            let _turn = self.write_turn().await;
            let mut tx = p.begin().await?;
            for chunk in seeds.chunks(2000) {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO households (id, area_code, address, head_name, phone, responsible_officer_id, \
                     grid_officer_id, poverty_category, people, vulnerable, created_at, updated_at) ",
                );
                qb.push_values(chunk, |mut b, s| {
                    let h = &s.household;
                    b.push_bind(s.id.to_string())
                        .push_bind(h.area.padded())
                        .push_bind(h.address.clone())
                        .push_bind(h.head_name.clone())
                        .push_bind(h.phone.as_ref().map(|p| p.expose().to_owned()))
                        .push_bind(h.responsible_officer_id.map(|u| u.to_string()))
                        .push_bind(h.grid_officer_id.map(|u| u.to_string()))
                        .push_bind(h.poverty_category.as_str())
                        .push_bind(h.members.len() as i64)
                        .push_bind(vulnerable_count(h))
                        .push_bind(now)
                        .push_bind(now);
                });
                qb.build().execute(&mut *tx).await?;
                let rows: Vec<(String, i64, &anju_core::household::Member)> = chunk
                    .iter()
                    .flat_map(|s| {
                        let id = s.id.to_string();
                        s.household.members.iter().enumerate().map(move |(i, m)| (id.clone(), i as i64, m))
                    })
                    .collect();
                insert_members!(tx, rows);
            }
            for chunk in counts.chunks(1000) {
                let mut qb = sqlx::QueryBuilder::new("INSERT INTO area_counts (code, households, people, vulnerable) ");
                qb.push_values(chunk, |mut b, (code, (h, pp, v))| {
                    b.push_bind(*code).push_bind(*h).push_bind(*pp).push_bind(*v);
                });
                qb.push(
                    " ON CONFLICT (code) DO UPDATE SET households = area_counts.households + excluded.households, \
                     people = area_counts.people + excluded.people, vulnerable = area_counts.vulnerable + excluded.vulnerable",
                );
                                qb.build().execute(&mut *tx).await?;
            }
            let entry = AuditEntry { action: "import", entity: "household", entity_id: None, area: scope.root(), detail: serde_json::json!({"households": seeds.len()}) };
            append_audit!(tx, now, scope, [entry]);
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn household(&self, scope: &Scope, id: Uuid) -> Result<HouseholdView> {
        let (lo, hi) = scope.range();
        let sql = format!(
            "SELECT {HOUSEHOLD_COLUMNS} FROM households WHERE id = $1 AND area_code >= $2 AND area_code < $3"
        );
        let row = on_pool!(self, p => sqlx::query_as::<_, HouseholdRow>(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string())
            .bind(lo)
            .bind(hi)
            .fetch_optional(p)
            .await?)
        .ok_or(StoreError::NotFound)?;
        let mut members = self
            .members_of(scope, std::slice::from_ref(&row.id))
            .await?;
        let m = members.remove(&row.id).unwrap_or_default();
        household_view(scope, row, m)
    }

    async fn members_of(
        &self,
        scope: &Scope,
        ids: &[String],
    ) -> Result<HashMap<String, Vec<MemberView>>> {
        let mut out: HashMap<String, Vec<MemberView>> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let rows: Vec<MemberRow> = on_pool!(self, p => {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT household_id, name, sex, birth_date, id_number, relation, vulnerabilities \
                 FROM members WHERE household_id IN (",
            );
            let mut sep = qb.separated(", ");
            for id in ids {
                sep.push_bind(id.clone());
            }
            qb.push(") ORDER BY household_id, idx");
            qb.build_query_as::<MemberRow>().fetch_all(p).await?
        });
        for m in rows {
            let hid = m.household_id.clone();
            out.entry(hid).or_default().push(member_view(scope, m)?);
        }
        Ok(out)
    }

    /// A page of households in the scope (and `area`'s subtree), optionally matching a
    /// name or address, in `(area, id)` order.
    pub async fn list_households(
        &self,
        scope: &Scope,
        q: &ListQuery,
    ) -> Result<Page<HouseholdView>> {
        let Some(range) = scope.narrow(q.area) else {
            return Ok(Page {
                items: vec![],
                next_cursor: None,
            });
        };
        let p = q.parse(range)?;
        let sql = format!(
            "SELECT {HOUSEHOLD_COLUMNS} FROM households \
             WHERE area_code >= $1 AND area_code < $2 AND (area_code, id) > ($3, $4) \
             AND ($5 = '' OR head_name LIKE $5 OR address LIKE $5) \
             AND ($6 = 1 OR archived_at IS NULL) \
             ORDER BY area_code, id LIMIT $7"
        );
        let rows = on_pool!(self, pool => sqlx::query_as::<_, HouseholdRow>(sqlx::AssertSqlSafe(sql))
            .bind(p.lo)
            .bind(p.hi)
            .bind(p.after_area)
            .bind(p.after_id.clone())
            .bind(p.like.clone())
            .bind(p.archived)
            .bind(p.limit + 1)
            .fetch_all(pool)
            .await?);
        let (rows, next_cursor) = finish(rows, p.limit, |r| (r.area_code, r.id.clone()));
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let mut members = self.members_of(scope, &ids).await?;
        let items = rows
            .into_iter()
            .map(|r| {
                let m = members.remove(&r.id).unwrap_or_default();
                household_view(scope, r, m)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Page { items, next_cursor })
    }

    /// Replaces a household's fields and members; counts move with it.
    pub async fn update_household(
        &self,
        scope: &Scope,
        id: Uuid,
        h: &Household,
    ) -> Result<HouseholdView> {
        let old = self.household(scope, id).await?;
        scope.require(Permission::Update)?;
        if old.archived_at.is_some() {
            return Err(StoreError::Conflict("the household is archived".into()));
        }
        self.check_household_refs(scope, h).await?;
        let old_area =
            AreaCode::parse(&old.area).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let now = self.now();
        on_pool!(self, p => {
            let _turn = self.write_turn().await;
            let mut tx = p.begin().await?;
            sqlx::query(
                "UPDATE households SET area_code = $2, address = $3, head_name = $4, phone = $5, \
                 responsible_officer_id = $6, grid_officer_id = $7, poverty_category = $8, people = $9, \
                 vulnerable = $10, updated_at = $11 WHERE id = $1",
            )
            .bind(id.to_string())
            .bind(h.area.padded())
            .bind(h.address.clone())
            .bind(h.head_name.clone())
            .bind(h.phone.as_ref().map(|p| p.expose().to_owned()))
            .bind(h.responsible_officer_id.map(|u| u.to_string()))
            .bind(h.grid_officer_id.map(|u| u.to_string()))
            .bind(h.poverty_category.as_str())
            .bind(h.members.len() as i64)
            .bind(vulnerable_count(h))
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM members WHERE household_id = $1")
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
            let rows: Vec<(String, i64, &anju_core::household::Member)> =
                h.members.iter().enumerate().map(|(i, m)| (id.to_string(), i as i64, m)).collect();
            insert_members!(tx, rows);
            bump_counts!(tx, old_area, -1i64, -old.people, -old.vulnerable_people);
                        bump_counts!(tx, h.area, 1i64, h.members.len() as i64, vulnerable_count(h));
            append_audit!(tx, now, scope, [AuditEntry::new("update", "household", id, Some(h.area))]);
            tx.commit().await?;
        });
        self.household(scope, id).await
    }

    /// Archives a household: it leaves lists and counts, but the row and its members stay.
    pub async fn archive_household(&self, scope: &Scope, id: Uuid) -> Result<HouseholdView> {
        let old = self.household(scope, id).await?;
        scope.require(Permission::Archive)?;
        if old.archived_at.is_some() {
            return Ok(old);
        }
        let area = AreaCode::parse(&old.area).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let now = self.now();
        on_pool!(self, p => {
            let _turn = self.write_turn().await;
            let mut tx = p.begin().await?;
            let n = sqlx::query("UPDATE households SET archived_at = $2, updated_at = $2 WHERE id = $1 AND archived_at IS NULL")
                .bind(id.to_string())
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                        if n == 1 {
                bump_counts!(tx, area, -1i64, -old.people, -old.vulnerable_people);
                append_audit!(tx, now, scope, [AuditEntry::new("archive", "household", id, Some(area))]);
            }
            tx.commit().await?;
        });
        self.household(scope, id).await
    }

    pub async fn household_count(&self, scope: &Scope) -> Result<i64> {
        let (lo, hi) = scope.range();
        let n = on_pool!(self, p => sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM households WHERE area_code >= $1 AND area_code < $2 AND archived_at IS NULL")
            .bind(lo).bind(hi).fetch_one(p).await?);
        Ok(n)
    }
}
