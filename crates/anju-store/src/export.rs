//! Exports: the records a scope may see, a keyset page at a time, as rows of text cells
//! in the column order of `anju_io::Kind::columns`. Personal data is masked unless the
//! scope may see it; the caller streams each page out before asking for the next.

use std::collections::HashMap;

use anju_core::household::{PovertyCategory, Sex, StructureType, Vulnerability};
use anju_core::identity::mask_id_number;
use anju_core::officer::{DutyRole, UnitKind};
use anju_core::{AreaCode, AreaLevel, Permission, Scope};
use anju_io::Kind;
use anju_io::labels::{self, DUTY_ROLE, POVERTY, STRUCTURE, UNIT_KIND};

use crate::households::{area_string, phone_out};
use crate::pool::on_pool;
use crate::{Result, Store, StoreError};

/// Records per page: large enough that the per-query cost vanishes, small enough that a
/// page of households with members stays a few megabytes.
pub const EXPORT_PAGE: i64 = 2000;

/// Where the next page starts: after this `(area_code, id)`.
pub type ExportCursor = (i64, String);

#[derive(Debug, Clone, Default)]
pub struct ExportPage {
    pub rows: Vec<Vec<String>>,
    /// Records (households, not member rows) in this page.
    pub records: usize,
    pub next: Option<ExportCursor>,
}

fn opt(s: Option<String>) -> String {
    s.unwrap_or_default()
}

fn code(padded: i64, level: &str) -> Result<String> {
    let l =
        AreaLevel::parse(level).ok_or_else(|| StoreError::Corrupt(format!("level {level:?}")))?;
    AreaCode::from_padded(padded, l)
        .map(|c| c.to_string())
        .map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl Store {
    /// How many records an export of `kind` over `area` would write (for progress).
    pub async fn export_count(
        &self,
        scope: &Scope,
        kind: Kind,
        area: Option<AreaCode>,
    ) -> Result<i64> {
        scope.require(Permission::Export)?;
        let Some((lo, hi)) = scope.narrow(area) else {
            return Ok(0);
        };
        let table = match kind {
            Kind::Households => "households",
            Kind::Houses => "houses",
            Kind::Units => "units",
            Kind::Officers => "officers",
        };
        let sql = format!(
            "SELECT COUNT(*) FROM {table} WHERE area_code >= $1 AND area_code < $2 AND archived_at IS NULL"
        );
        Ok(
            on_pool!(self, p => sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
            .bind(lo).bind(hi).fetch_one(p).await?),
        )
    }

    /// One page of an export; `after` is the previous page's `next`.
    pub async fn export_page(
        &self,
        scope: &Scope,
        kind: Kind,
        area: Option<AreaCode>,
        after: Option<&ExportCursor>,
    ) -> Result<ExportPage> {
        scope.require(Permission::Export)?;
        let Some((lo, hi)) = scope.narrow(area) else {
            return Ok(ExportPage::default());
        };
        let (after_area, after_id) = match after {
            Some((a, id)) => (*a, id.clone()),
            // Start at the range's low end so PostgreSQL's index scan starts there too.
            None => (lo, String::new()),
        };
        match kind {
            Kind::Households => {
                self.export_households(scope, lo, hi, after_area, after_id)
                    .await
            }
            Kind::Houses => self.export_houses(lo, hi, after_area, after_id).await,
            Kind::Units => self.export_units(scope, lo, hi, after_area, after_id).await,
            Kind::Officers => {
                self.export_officers(scope, lo, hi, after_area, after_id)
                    .await
            }
        }
    }

    async fn export_households(
        &self,
        scope: &Scope,
        lo: i64,
        hi: i64,
        after_area: i64,
        after_id: String,
    ) -> Result<ExportPage> {
        type Row = (
            String,
            i64,
            String,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            String,
        );
        type MRow = (
            String,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            i64,
        );
        let (rows, members): (Vec<Row>, Vec<MRow>) = on_pool!(self, p => {
            let rows: Vec<Row> = sqlx::query_as(
                "SELECT id, area_code, address, head_name, phone, responsible_officer_id, grid_officer_id, poverty_category \
                 FROM households WHERE area_code >= $1 AND area_code < $2 AND (area_code, id) > ($3, $4) \
                 AND archived_at IS NULL ORDER BY area_code, id LIMIT $5")
                .bind(after_area.max(lo)).bind(hi).bind(after_area).bind(after_id).bind(EXPORT_PAGE)
                .fetch_all(p).await?;
            let members = if rows.is_empty() { vec![] } else {
                let mut qb = sqlx::QueryBuilder::new(
                    "SELECT household_id, name, sex, birth_date, id_number, relation, vulnerabilities FROM members \
                     WHERE household_id IN (");
                let mut sep = qb.separated(", ");
                for r in &rows {
                    sep.push_bind(r.0.clone());
                }
                qb.push(") ORDER BY household_id, idx");
                qb.build_query_as::<MRow>().fetch_all(p).await?
            };
            (rows, members)
        });
        let mut by: HashMap<String, Vec<MRow>> = HashMap::with_capacity(rows.len());
        for m in members {
            by.entry(m.0.clone()).or_default().push(m);
        }
        let see = scope.see_personal_data();
        let next = (rows.len() as i64 == EXPORT_PAGE)
            .then(|| rows.last().map(|r| (r.1, r.0.clone())))
            .flatten();
        let records = rows.len();
        let mut out = Vec::with_capacity(rows.len() * 3);
        for r in rows {
            let area = area_string(r.1, AreaLevel::Village)?;
            let poverty = PovertyCategory::parse(&r.7)
                .map(|c| labels::label(POVERTY, c))
                .unwrap_or_default();
            let phone = opt(phone_out(scope, r.4));
            for m in by.remove(&r.0).unwrap_or_default() {
                let sex = Sex::parse(&m.2).map(labels::sex_zh).unwrap_or_default();
                let id_number = m.4.map(|n| if see { n } else { mask_id_number(&n) });
                out.push(vec![
                    r.0.clone(),
                    String::new(),
                    area.clone(),
                    r.2.clone(),
                    r.3.clone(),
                    phone.clone(),
                    opt(r.5.clone()),
                    opt(r.6.clone()),
                    poverty.to_owned(),
                    m.1,
                    sex.to_owned(),
                    m.3,
                    opt(id_number),
                    opt(m.5),
                    labels::vulnerabilities_zh(&Vulnerability::from_bits(m.6)),
                ]);
            }
        }
        Ok(ExportPage {
            rows: out,
            records,
            next,
        })
    }

    async fn export_houses(
        &self,
        lo: i64,
        hi: i64,
        after_area: i64,
        after_id: String,
    ) -> Result<ExportPage> {
        type Row = (
            String,
            i64,
            String,
            f64,
            f64,
            String,
            i64,
            Option<i64>,
            Option<i64>,
            Option<String>,
        );
        let rows: Vec<Row> = on_pool!(self, p => sqlx::query_as(
            "SELECT id, area_code, address, lon, lat, structure, floors, rooms, year_built, owner_household_id \
             FROM houses WHERE area_code >= $1 AND area_code < $2 AND (area_code, id) > ($3, $4) \
             AND archived_at IS NULL ORDER BY area_code, id LIMIT $5")
            .bind(after_area.max(lo)).bind(hi).bind(after_area).bind(after_id).bind(EXPORT_PAGE)
            .fetch_all(p).await?);
        let next = (rows.len() as i64 == EXPORT_PAGE)
            .then(|| rows.last().map(|r| (r.1, r.0.clone())))
            .flatten();
        let records = rows.len();
        let rows = rows
            .into_iter()
            .map(|r| {
                Ok(vec![
                    r.0,
                    String::new(),
                    area_string(r.1, AreaLevel::Village)?,
                    r.2,
                    r.3.to_string(),
                    r.4.to_string(),
                    StructureType::parse(&r.5)
                        .map(|s| labels::label(STRUCTURE, s))
                        .unwrap_or_default()
                        .to_owned(),
                    r.6.to_string(),
                    r.7.map(|v| v.to_string()).unwrap_or_default(),
                    r.8.map(|v| v.to_string()).unwrap_or_default(),
                    opt(r.9),
                ])
            })
            .collect::<Result<_>>()?;
        Ok(ExportPage {
            rows,
            records,
            next,
        })
    }

    async fn export_units(
        &self,
        scope: &Scope,
        lo: i64,
        hi: i64,
        after_area: i64,
        after_id: String,
    ) -> Result<ExportPage> {
        type Row = (String, String, String, i64, String, Option<String>);
        let rows: Vec<Row> = on_pool!(self, p => sqlx::query_as(
            "SELECT u.id, u.name, u.kind, u.area_code, a.level, u.phone FROM units u JOIN areas a ON a.code = u.area_code \
             WHERE u.area_code >= $1 AND u.area_code < $2 AND (u.area_code, u.id) > ($3, $4) \
             AND u.archived_at IS NULL ORDER BY u.area_code, u.id LIMIT $5")
            .bind(after_area.max(lo)).bind(hi).bind(after_area).bind(after_id).bind(EXPORT_PAGE)
            .fetch_all(p).await?);
        let next = (rows.len() as i64 == EXPORT_PAGE)
            .then(|| rows.last().map(|r| (r.3, r.0.clone())))
            .flatten();
        let records = rows.len();
        let rows = rows
            .into_iter()
            .map(|r| {
                Ok(vec![
                    r.0,
                    String::new(),
                    r.1,
                    UnitKind::parse(&r.2)
                        .map(|k| labels::label(UNIT_KIND, k))
                        .unwrap_or_default()
                        .to_owned(),
                    code(r.3, &r.4)?,
                    opt(phone_out(scope, r.5)),
                ])
            })
            .collect::<Result<_>>()?;
        Ok(ExportPage {
            rows,
            records,
            next,
        })
    }

    async fn export_officers(
        &self,
        scope: &Scope,
        lo: i64,
        hi: i64,
        after_area: i64,
        after_id: String,
    ) -> Result<ExportPage> {
        type Row = (String, String, Option<String>, String, i64, Option<String>);
        type DRow = (String, i64, String, String);
        let (rows, duties): (Vec<Row>, Vec<DRow>) = on_pool!(self, p => {
            let rows: Vec<Row> = sqlx::query_as(
                "SELECT id, name, phone, unit_id, area_code, title FROM officers \
                 WHERE area_code >= $1 AND area_code < $2 AND (area_code, id) > ($3, $4) \
                 AND archived_at IS NULL ORDER BY area_code, id LIMIT $5")
                .bind(after_area.max(lo)).bind(hi).bind(after_area).bind(after_id).bind(EXPORT_PAGE)
                .fetch_all(p).await?;
            let duties = if rows.is_empty() { vec![] } else {
                let mut qb = sqlx::QueryBuilder::new(
                    "SELECT d.officer_id, d.area_code, a.level, d.role FROM duties d JOIN areas a ON a.code = d.area_code \
                     WHERE d.officer_id IN (");
                let mut sep = qb.separated(", ");
                for r in &rows {
                    sep.push_bind(r.0.clone());
                }
                qb.push(") ORDER BY d.officer_id, d.area_code, d.role");
                qb.build_query_as::<DRow>().fetch_all(p).await?
            };
            (rows, duties)
        });
        let mut by: HashMap<String, Vec<String>> = HashMap::new();
        for (o, a, l, r) in duties {
            let role = DutyRole::parse(&r)
                .map(|r| labels::label(DUTY_ROLE, r))
                .unwrap_or_default();
            by.entry(o)
                .or_default()
                .push(format!("{}:{role}", code(a, &l)?));
        }
        let next = (rows.len() as i64 == EXPORT_PAGE)
            .then(|| rows.last().map(|r| (r.4, r.0.clone())))
            .flatten();
        let records = rows.len();
        let rows = rows
            .into_iter()
            .map(|r| {
                let duties = by.remove(&r.0).unwrap_or_default().join(";");
                vec![
                    r.0,
                    String::new(),
                    r.1,
                    opt(phone_out(scope, r.2)),
                    r.3,
                    opt(r.5),
                    duties,
                ]
            })
            .collect();
        Ok(ExportPage {
            rows,
            records,
            next,
        })
    }
}
