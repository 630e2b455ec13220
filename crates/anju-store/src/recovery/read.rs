//! Reading assessments: one version with its house's versions, the latest ones as a
//! list, and the compact damage list the map draws.

use anju_core::officer::format_time;
use anju_core::recovery::{Outcome, crosswalk};
use anju_core::view::Page;
use anju_core::{AreaCode, AreaLevel, Permission, Scope, ValidationError};
use uuid::Uuid;

use crate::households::{area_string, opt_uuid, uuid};
use crate::page::{decode_cursor, finish};
use crate::pool::on_pool;
use crate::recovery::{AssessmentDetail, AssessmentVersion, AssessmentView, DamagePage};
use crate::{Result, Store, StoreError};

/// The largest damage page: a district's damaged houses in one request for the map.
pub const MAX_DAMAGE_LIMIT: i64 = 5_000;
const DEFAULT_DAMAGE_LIMIT: i64 = 1_000;

#[derive(Debug, Clone, Default)]
pub struct DamageQuery {
    pub area: Option<AreaCode>,
    pub outcome: Option<Outcome>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct AssessmentQuery {
    pub area: Option<AreaCode>,
    pub outcome: Option<Outcome>,
    /// Text in the house's address.
    pub q: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct AssessmentRow {
    id: String,
    disaster_id: String,
    house_id: String,
    house_address: String,
    area_code: i64,
    area_name: Option<String>,
    version: i64,
    latest: i64,
    outcome: String,
    rooms_collapsed: i64,
    rooms_damaged: i64,
    household_id: Option<String>,
    assessor_officer_id: Option<String>,
    assessor_name: Option<String>,
    assessed_on: String,
    note: String,
    photos: String,
    lon: f64,
    lat: f64,
    source_uuid: Option<String>,
    case_id: Option<String>,
    appeal_item_id: Option<String>,
    answers_appeal: Option<String>,
    created_at: i64,
}

const ASSESSMENT_SELECT: &str = "SELECT a.id, a.disaster_id, a.house_id, h.address AS house_address, a.area_code, \
     ar.name_zh AS area_name, a.version, a.latest, a.outcome, a.rooms_collapsed, a.rooms_damaged, a.household_id, \
     a.assessor_officer_id, o.name AS assessor_name, a.assessed_on, a.note, a.photos, a.lon, a.lat, a.source_uuid, \
     c.id AS case_id, a.appeal_item_id, a.answers_appeal, a.created_at \
     FROM assessments a JOIN houses h ON h.id = a.house_id LEFT JOIN areas ar ON ar.code = a.area_code \
     LEFT JOIN officers o ON o.id = a.assessor_officer_id \
     LEFT JOIN cases c ON c.disaster_id = a.disaster_id AND c.house_id = a.house_id";

impl AssessmentRow {
    fn into_view(self) -> Result<AssessmentView> {
        let outcome = Outcome::parse(&self.outcome)
            .ok_or_else(|| StoreError::Corrupt(format!("outcome {:?}", self.outcome)))?;
        let (ems98, fema) = crosswalk(outcome, self.rooms_collapsed);
        Ok(AssessmentView {
            id: uuid(&self.id)?,
            disaster_id: uuid(&self.disaster_id)?,
            house_id: uuid(&self.house_id)?,
            house_address: self.house_address,
            area: area_string(self.area_code, AreaLevel::Village)?,
            area_name: self.area_name.unwrap_or_default(),
            version: self.version,
            latest: self.latest == 1,
            outcome,
            ems98,
            fema,
            rooms_collapsed: self.rooms_collapsed,
            rooms_damaged: self.rooms_damaged,
            household_id: opt_uuid(self.household_id)?,
            assessor_officer_id: opt_uuid(self.assessor_officer_id)?,
            assessor_name: self.assessor_name,
            assessed_on: self.assessed_on,
            note: self.note,
            photos: serde_json::from_str(&self.photos)
                .map_err(|e| StoreError::Corrupt(format!("photos: {e}")))?,
            lon: self.lon,
            lat: self.lat,
            source_uuid: self.source_uuid,
            case_id: opt_uuid(self.case_id)?,
            appeal_item_id: opt_uuid(self.appeal_item_id)?,
            answers_appeal: opt_uuid(self.answers_appeal)?,
            created_at: format_time(self.created_at),
        })
    }
}

/// (id, version, latest, outcome, assessed_on, assessor name, appeal item).
type VersionRow = (
    String,
    i64,
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
);

fn check_limit(limit: Option<i64>, default: i64, max: i64) -> Result<i64> {
    let l = limit.unwrap_or(default);
    if !(1..=max).contains(&l) {
        return Err(ValidationError::single(
            "limit",
            "out_of_range",
            format!("between 1 and {max}"),
        )
        .into());
    }
    Ok(l)
}

fn cursor(c: &Option<String>, lo: i64) -> Result<(i64, String)> {
    let (a, id) = match c {
        None => (-1, String::new()),
        Some(c) => decode_cursor(c).ok_or_else(|| {
            StoreError::Validation(ValidationError::single(
                "cursor",
                "invalid_cursor",
                "not a cursor returned by this list",
            ))
        })?,
    };
    Ok(std::cmp::max((a, id), (lo, String::new())))
}

impl Store {
    /// One assessment version, with every version of its house for the same disaster.
    pub async fn assessment(&self, scope: &Scope, id: Uuid) -> Result<AssessmentDetail> {
        scope.require(Permission::Read)?;
        let (lo, hi) = scope.range();
        let sql = format!(
            "{ASSESSMENT_SELECT} WHERE a.id = $1 AND a.area_code >= $2 AND a.area_code < $3"
        );
        let row = on_pool!(self, p => sqlx::query_as::<_, AssessmentRow>(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string()).bind(lo).bind(hi).fetch_optional(p).await?)
        .ok_or(StoreError::NotFound)?;
        // Its disaster must be visible too (a house in scope under a disaster declared
        // for a sibling area is not).
        self.disaster_row(scope, uuid(&row.disaster_id)?).await?;
        let versions: Vec<VersionRow> = on_pool!(self, p => sqlx::query_as(
            "SELECT a.id, a.version, a.latest, a.outcome, a.assessed_on, o.name, a.appeal_item_id FROM assessments a \
             LEFT JOIN officers o ON o.id = a.assessor_officer_id WHERE a.disaster_id = $1 AND a.house_id = $2 ORDER BY a.version")
            .bind(row.disaster_id.clone()).bind(row.house_id.clone()).fetch_all(p).await?);
        let versions = versions
            .into_iter()
            .map(
                |(id, version, latest, outcome, assessed_on, assessor_name, appeal)| {
                    Ok(AssessmentVersion {
                        id: uuid(&id)?,
                        version,
                        latest: latest == 1,
                        outcome: Outcome::parse(&outcome)
                            .ok_or_else(|| StoreError::Corrupt(format!("outcome {outcome:?}")))?,
                        assessed_on,
                        assessor_name,
                        appeal_item_id: opt_uuid(appeal)?,
                    })
                },
            )
            .collect::<Result<_>>()?;
        Ok(AssessmentDetail {
            assessment: row.into_view()?,
            versions,
        })
    }

    /// The latest assessment of each house, in (area, house) order.
    pub async fn list_assessments(
        &self,
        scope: &Scope,
        disaster: Uuid,
        q: &AssessmentQuery,
    ) -> Result<Page<AssessmentView>> {
        self.disaster_row(scope, disaster).await?;
        let Some((lo, hi)) = scope.narrow(q.area) else {
            return Ok(Page {
                items: vec![],
                next_cursor: None,
            });
        };
        let limit = check_limit(q.limit, crate::page::DEFAULT_LIMIT, crate::page::MAX_LIMIT)?;
        let (after_area, after_id) = cursor(&q.cursor, lo)?;
        let like = match q.q.as_deref().map(str::trim) {
            None | Some("") => String::new(),
            Some(t) => format!("%{}%", t.replace(['\\', '%', '_'], "")),
        };
        let sql = format!(
            "{ASSESSMENT_SELECT} WHERE a.disaster_id = $1 AND a.latest = 1 AND h.archived_at IS NULL \
             AND a.area_code >= $2 AND a.area_code < $3 AND (a.area_code, a.house_id) > ($4, $5) \
             AND ($6 = '' OR a.outcome = $6) AND ($7 = '' OR h.address LIKE $7) \
             ORDER BY a.area_code, a.house_id LIMIT $8"
        );
        let rows = on_pool!(self, p => sqlx::query_as::<_, AssessmentRow>(sqlx::AssertSqlSafe(sql))
            .bind(disaster.to_string()).bind(lo).bind(hi).bind(after_area).bind(after_id.clone())
            .bind(q.outcome.map(|o| o.as_str()).unwrap_or("")).bind(like).bind(limit + 1)
            .fetch_all(p).await?);
        let (rows, next_cursor) = finish(rows, limit, |r| (r.area_code, r.house_id.clone()));
        Ok(Page {
            items: rows
                .into_iter()
                .map(AssessmentRow::into_view)
                .collect::<Result<_>>()?,
            next_cursor,
        })
    }

    /// Houses with their latest assessment, compact for the map; archived houses left out.
    pub async fn damage(
        &self,
        scope: &Scope,
        disaster: Uuid,
        q: &DamageQuery,
    ) -> Result<DamagePage> {
        self.disaster_row(scope, disaster).await?;
        let Some((lo, hi)) = scope.narrow(q.area) else {
            return Ok(DamagePage {
                items: vec![],
                next_cursor: None,
            });
        };
        let limit = check_limit(q.limit, DEFAULT_DAMAGE_LIMIT, MAX_DAMAGE_LIMIT)?;
        let (after_area, after_id) = cursor(&q.cursor, lo)?;
        let rows: Vec<(String, i64, f64, f64, String, i64)> = on_pool!(self, p => sqlx::query_as(
            "SELECT a.house_id, a.area_code, a.lon, a.lat, a.outcome, a.rooms_collapsed FROM assessments a \
             JOIN houses h ON h.id = a.house_id \
             WHERE a.disaster_id = $1 AND a.latest = 1 AND h.archived_at IS NULL AND a.area_code >= $2 AND a.area_code < $3 \
             AND (a.area_code, a.house_id) > ($4, $5) AND ($6 = '' OR a.outcome = $6) \
             ORDER BY a.area_code, a.house_id LIMIT $7")
            .bind(disaster.to_string()).bind(lo).bind(hi).bind(after_area).bind(after_id.clone())
            .bind(q.outcome.map(|o| o.as_str()).unwrap_or("")).bind(limit + 1)
            .fetch_all(p).await?);
        let (rows, next_cursor) = finish(rows, limit, |r| (r.1, r.0.clone()));
        Ok(DamagePage {
            items: rows
                .into_iter()
                .map(|(h, _, lon, lat, o, rc)| Ok((uuid(&h)?, lon, lat, o, rc)))
                .collect::<Result<_>>()?,
            next_cursor,
        })
    }
}
