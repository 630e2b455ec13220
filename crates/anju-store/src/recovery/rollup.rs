//! The figures: the overview read from maintained rows only, the rebuild from scratch
//! with set-based SQL (`anju recovery rebuild`), and the plain recount tests compare the
//! maintained figures with.

use anju_core::recovery::figures::COLUMNS;
use anju_core::recovery::{Figures, format_date};
use anju_core::{AreaCode, AreaLevel, Permission, Scope};
use serde::Serialize;
use sqlx::Row;
use uuid::Uuid;

use crate::households::area_string;
use crate::pool::on_pool;
use crate::recovery::{Overview, OverviewArea, OverviewChild};
use crate::{Result, Store, StoreError};

/// What a rebuild did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RebuildProgress {
    /// Steps done of `steps`.
    pub done: usize,
    pub steps: usize,
    /// Rows of figures written.
    pub rows: i64,
}

/// The divisor that turns a village's padded code into the code of its ancestor at
/// each level: villages themselves, towns, districts, the municipality.
const LEVEL_UNITS: [i64; 4] = [1, 1_000, 1_000_000, 10_000_000_000];

/// The branches whose sum is every figure at one level, as (expression per column,
/// FROM and WHERE). Columns a branch does not name are 0.
fn branches(u: i64) -> Vec<(Vec<(&'static str, String)>, String)> {
    let grade = |g: &str| format!("CASE WHEN a.outcome = '{g}' THEN 1 ELSE 0 END");
    let live_house =
        "JOIN houses h ON h.id = a.house_id WHERE a.latest = 1 AND h.archived_at IS NULL";
    let live_case =
        "JOIN houses h ON h.id = c.house_id WHERE c.cancelled_at IS NULL AND h.archived_at IS NULL";
    let mut plan_cols = vec![];
    for (col, p) in [
        ("plan_repair", "repair"),
        ("plan_rebuild_in_place", "rebuild_in_place"),
        ("plan_relocate", "relocate"),
        ("plan_resettle", "resettle"),
    ] {
        plan_cols.push((col, format!("CASE WHEN c.plan = '{p}' THEN 1 ELSE 0 END")));
    }
    for (col, s) in [
        ("stage_planned", "planned"),
        ("stage_funded", "funded"),
        ("stage_under_construction", "under_construction"),
        ("stage_completed", "completed"),
        ("stage_accepted", "accepted"),
        ("stage_moved_in", "moved_in"),
    ] {
        plan_cols.push((col, format!("CASE WHEN c.stage = '{s}' THEN 1 ELSE 0 END")));
    }
    plan_cols.push(("funds_approved", "c.amount_approved".into()));
    vec![
        (
            vec![
                ("houses_assessed", "1".into()),
                ("grade_a", grade("A")),
                ("grade_b", grade("B")),
                ("grade_c", grade("C")),
                ("grade_d", grade("D")),
                ("inaccessible", grade("inaccessible")),
                ("rooms_collapsed", "a.rooms_collapsed".into()),
                ("rooms_damaged", "a.rooms_damaged".into()),
            ],
            format!("SELECT a.disaster_id AS d, (a.area_code / {u}) * {u} AS code, {{cols}} FROM assessments a {live_house}"),
        ),
        (
            vec![
                ("households_affected", "COUNT(DISTINCT CASE WHEN a.outcome IN ('B', 'C', 'D') THEN a.household_id END)".into()),
                ("households_collapsed", "COUNT(DISTINCT CASE WHEN a.rooms_collapsed > 0 THEN a.household_id END)".into()),
            ],
            format!(
                "SELECT a.disaster_id AS d, (a.area_code / {u}) * {u} AS code, {{cols}} FROM assessments a {live_house} \
                 AND a.household_id IS NOT NULL GROUP BY a.disaster_id, (a.area_code / {u}) * {u}"
            ),
        ),
        (
            plan_cols,
            format!("SELECT c.disaster_id AS d, (c.area_code / {u}) * {u} AS code, {{cols}} FROM cases c {live_case}"),
        ),
        (
            vec![
                ("funds_released", "t.amount".into()),
                ("funds_paid", "CASE WHEN t.status = 'paid' THEN t.amount ELSE 0 END".into()),
            ],
            format!(
                "SELECT c.disaster_id AS d, (c.area_code / {u}) * {u} AS code, {{cols}} FROM tranches t \
                 JOIN cases c ON c.id = t.case_id {live_case} AND t.status IN ('released', 'paid')"
            ),
        ),
    ]
}

/// `INSERT … SELECT` of every figure at one level, summed over the branches.
fn rebuild_sql(u: i64) -> String {
    let parts: Vec<String> = branches(u)
        .into_iter()
        .map(|(exprs, from)| {
            let cols = COLUMNS
                .iter()
                .map(|c| {
                    let e = exprs
                        .iter()
                        .find(|(n, _)| n == c)
                        .map(|(_, e)| e.clone())
                        .unwrap_or_else(|| "0".into());
                    format!("CAST({e} AS BIGINT) AS {c}")
                })
                .collect::<Vec<_>>()
                .join(", ");
            from.replace("{cols}", &cols)
        })
        .collect();
    let sums = COLUMNS
        .iter()
        .map(|c| format!("CAST(SUM({c}) AS BIGINT)"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "INSERT INTO recovery_rollup (disaster_id, code, {}) SELECT d, code, {sums} FROM ({}) x GROUP BY d, code",
        COLUMNS.join(", "),
        parts.join(" UNION ALL ")
    )
}

fn households_sql(u: i64) -> String {
    format!(
        "INSERT INTO recovery_households (disaster_id, household_id, code, affected, collapsed) \
         SELECT a.disaster_id, a.household_id, (a.area_code / {u}) * {u}, \
         CAST(SUM(CASE WHEN a.outcome IN ('B', 'C', 'D') THEN 1 ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN a.rooms_collapsed > 0 THEN 1 ELSE 0 END) AS BIGINT) \
         FROM assessments a JOIN houses h ON h.id = a.house_id \
         WHERE a.latest = 1 AND h.archived_at IS NULL AND a.household_id IS NOT NULL \
         GROUP BY a.disaster_id, a.household_id, (a.area_code / {u}) * {u}"
    )
}

fn figures_of(row: &[i64]) -> Figures {
    let mut c = [0i64; 23];
    c.copy_from_slice(&row[..23]);
    Figures::from_columns(c)
}

impl Store {
    /// A disaster's figures for `area` (default: the caller's own area) and each child
    /// area: the maintained rows only, plus `late` counted from the stage counts and the
    /// disaster's schedule for today.
    pub async fn recovery_overview(
        &self,
        scope: &Scope,
        disaster: Uuid,
        area: Option<AreaCode>,
    ) -> Result<Overview> {
        scope.require(Permission::Read)?;
        let d = self.disaster(scope, disaster).await?;
        let d_area = AreaCode::parse(&d.area).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let root = match (area, scope.root()) {
            (Some(a), Some(r)) if a.contains(r) => r,
            (Some(a), _) if scope.contains(a) => a,
            (None, Some(r)) => r,
            (None, None) => d_area,
            _ => return Err(StoreError::NotFound),
        };
        let cols = COLUMNS
            .iter()
            .map(|c| format!("COALESCE(r.{c}, 0)"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT a.code, a.level, a.name_zh, a.name_en, a.lon, a.lat, {cols} FROM areas a \
             LEFT JOIN recovery_rollup r ON r.disaster_id = $1 AND r.code = a.code \
             WHERE a.code = $2 OR (a.parent = $2 AND a.retired_at IS NULL) ORDER BY a.code"
        );
        type Read = (
            i64,
            String,
            String,
            String,
            Option<f64>,
            Option<f64>,
            Vec<i64>,
        );
        let rows: Vec<Read> = on_pool!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(disaster.to_string()).bind(root.padded()).fetch_all(p).await?;
            rows.iter().map(|r| {
                let mut v = Vec::with_capacity(23);
                for i in 0..23 {
                    v.push(r.try_get::<i64, usize>(6 + i)?);
                }
                Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?, r.try_get(4)?, r.try_get(5)?, v))
            }).collect::<std::result::Result<Vec<Read>, sqlx::Error>>()?
        });
        let today = self.clock.today();
        let schedule = d.schedule;
        let finish = |f: Figures| {
            let late = schedule.late_count(f.by_stage.as_array(), today);
            f.finish(late)
        };
        let mut area_out = None;
        let mut totals = Figures::default();
        let mut children = Vec::new();
        for (code, level, name, name_en, lon, lat, v) in rows {
            let level = AreaLevel::parse(&level)
                .ok_or_else(|| StoreError::Corrupt(format!("level {level:?}")))?;
            let code_s = area_string(code, level)?;
            let figures = finish(figures_of(&v));
            if code == root.padded() {
                totals = figures;
                area_out = Some(OverviewArea {
                    code: code_s,
                    name,
                    name_en,
                    level,
                    lon,
                    lat,
                });
            } else {
                children.push(OverviewChild {
                    code: code_s,
                    name,
                    name_en,
                    level,
                    lon,
                    lat,
                    figures,
                });
            }
        }
        Ok(Overview {
            disaster: d,
            area: area_out.ok_or(StoreError::NotFound)?,
            as_of: format_date(today),
            totals,
            children,
        })
    }

    /// The crosswalk as the database holds it: (outcome, a room collapsed, EMS-98, FEMA),
    /// sorted.
    pub async fn damage_crosswalk(&self) -> Result<Vec<(String, bool, Option<i64>, String)>> {
        let rows: Vec<(String, i64, Option<i64>, String)> = on_pool!(self, p => sqlx::query_as(
            "SELECT outcome, room_collapsed, ems98, fema FROM damage_crosswalk ORDER BY outcome, room_collapsed")
            .fetch_all(p).await?);
        let mut out: Vec<_> = rows
            .into_iter()
            .map(|(o, r, e, f)| (o, r == 1, e, f))
            .collect();
        out.sort();
        Ok(out)
    }

    /// The maintained figures of one area (zeros when no row exists).
    pub async fn recovery_rollup(&self, disaster: Uuid, area: AreaCode) -> Result<Figures> {
        let cols = COLUMNS.join(", ");
        let sql =
            format!("SELECT {cols} FROM recovery_rollup WHERE disaster_id = $1 AND code = $2");
        let v: Option<Vec<i64>> = on_pool!(self, p => {
            let r = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(disaster.to_string()).bind(area.padded())
                .fetch_optional(p).await?;
            match r {
                Some(r) => Some((0..23).map(|i| r.try_get::<i64, usize>(i)).collect::<std::result::Result<Vec<_>, _>>()?),
                None => None,
            }
        });
        Ok(v.map(|v| figures_of(&v)).unwrap_or_default().finish(0))
    }

    /// The figures of one area recomputed from the records by plain queries: what the
    /// maintained figures must always equal (`late` left 0).
    pub async fn recovery_rollups_recomputed(
        &self,
        disaster: Uuid,
        area: AreaCode,
    ) -> Result<Figures> {
        let (lo, hi) = area.subtree_range();
        let d = disaster.to_string();
        let mut f = Figures::default();
        let graded: Vec<(String, i64, i64, i64)> = on_pool!(self, p => sqlx::query_as(
            "SELECT a.outcome, COUNT(*), CAST(COALESCE(SUM(a.rooms_collapsed), 0) AS BIGINT), \
             CAST(COALESCE(SUM(a.rooms_damaged), 0) AS BIGINT) FROM assessments a JOIN houses h ON h.id = a.house_id \
             WHERE a.disaster_id = $1 AND a.latest = 1 AND h.archived_at IS NULL AND a.area_code >= $2 AND a.area_code < $3 \
             GROUP BY a.outcome")
            .bind(d.clone()).bind(lo).bind(hi).fetch_all(p).await?);
        for (o, n, rc, rd) in graded {
            f.houses_assessed += n;
            f.rooms_collapsed += rc;
            f.rooms_damaged += rd;
            match o.as_str() {
                "A" => f.grade.a += n,
                "B" => f.grade.b += n,
                "C" => f.grade.c += n,
                "D" => f.grade.d += n,
                "inaccessible" => f.grade.inaccessible += n,
                other => return Err(StoreError::Corrupt(format!("outcome {other:?}"))),
            }
        }
        let (ha, hc): (i64, i64) = on_pool!(self, p => sqlx::query_as(
            "SELECT COUNT(DISTINCT CASE WHEN a.outcome IN ('B', 'C', 'D') THEN a.household_id END), \
             COUNT(DISTINCT CASE WHEN a.rooms_collapsed > 0 THEN a.household_id END) \
             FROM assessments a JOIN houses h ON h.id = a.house_id \
             WHERE a.disaster_id = $1 AND a.latest = 1 AND h.archived_at IS NULL AND a.area_code >= $2 AND a.area_code < $3")
            .bind(d.clone()).bind(lo).bind(hi).fetch_one(p).await?);
        f.households_affected = ha;
        f.households_collapsed = hc;
        let cases: Vec<(String, String, i64, i64)> = on_pool!(self, p => sqlx::query_as(
            "SELECT c.plan, c.stage, COUNT(*), CAST(COALESCE(SUM(c.amount_approved), 0) AS BIGINT) FROM cases c \
             JOIN houses h ON h.id = c.house_id WHERE c.disaster_id = $1 AND c.cancelled_at IS NULL AND h.archived_at IS NULL \
             AND c.area_code >= $2 AND c.area_code < $3 GROUP BY c.plan, c.stage")
            .bind(d.clone()).bind(lo).bind(hi).fetch_all(p).await?);
        for (plan, stage, n, approved) in cases {
            f.funds_approved += approved;
            match plan.as_str() {
                "repair" => f.by_plan.repair += n,
                "rebuild_in_place" => f.by_plan.rebuild_in_place += n,
                "relocate" => f.by_plan.relocate += n,
                "resettle" => f.by_plan.resettle += n,
                other => return Err(StoreError::Corrupt(format!("plan {other:?}"))),
            }
            match stage.as_str() {
                "planned" => f.by_stage.planned += n,
                "funded" => f.by_stage.funded += n,
                "under_construction" => f.by_stage.under_construction += n,
                "completed" => f.by_stage.completed += n,
                "accepted" => f.by_stage.accepted += n,
                "moved_in" => f.by_stage.moved_in += n,
                other => return Err(StoreError::Corrupt(format!("stage {other:?}"))),
            }
        }
        let funds: Vec<(String, i64)> = on_pool!(self, p => sqlx::query_as(
            "SELECT t.status, CAST(COALESCE(SUM(t.amount), 0) AS BIGINT) FROM tranches t JOIN cases c ON c.id = t.case_id \
             JOIN houses h ON h.id = c.house_id WHERE c.disaster_id = $1 AND c.cancelled_at IS NULL AND h.archived_at IS NULL \
             AND c.area_code >= $2 AND c.area_code < $3 GROUP BY t.status")
            .bind(d).bind(lo).bind(hi).fetch_all(p).await?);
        for (status, amount) in funds {
            match status.as_str() {
                "released" => f.funds_released += amount,
                "paid" => {
                    f.funds_released += amount;
                    f.funds_paid += amount;
                }
                _ => {}
            }
        }
        Ok(f.finish(0))
    }

    /// Recomputes every disaster's figures from scratch, in one transaction that keeps
    /// writers out meanwhile (PostgreSQL: an exclusive lock on the two tables; SQLite:
    /// the write lock), so no delta of a concurrent write is lost. `progress` hears of
    /// each step.
    pub async fn rebuild_recovery_rollups(
        &self,
        progress: &(dyn Fn(&RebuildProgress) + Sync),
    ) -> Result<RebuildProgress> {
        let mut p = RebuildProgress {
            done: 0,
            steps: 2 + 2 * LEVEL_UNITS.len(),
            rows: 0,
        };
        progress(&p);
        let is_pg = matches!(self.backend(), crate::Backend::Postgres);
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            if is_pg {
                sqlx::query("LOCK TABLE recovery_rollup, recovery_households IN EXCLUSIVE MODE")
                    .execute(&mut *tx).await?;
            }
            sqlx::query("DELETE FROM recovery_rollup").execute(&mut *tx).await?;
            sqlx::query("DELETE FROM recovery_households").execute(&mut *tx).await?;
            p.done += 2;
            progress(&p);
            for u in LEVEL_UNITS {
                p.rows += sqlx::query(sqlx::AssertSqlSafe(rebuild_sql(u))).execute(&mut *tx).await?.rows_affected() as i64;
                p.done += 1;
                progress(&p);
                sqlx::query(sqlx::AssertSqlSafe(households_sql(u))).execute(&mut *tx).await?;
                p.done += 1;
                progress(&p);
            }
            tx.commit().await?;
        });
        Ok(p)
    }
}
