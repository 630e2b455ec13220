//! The supervision table (督查表): items per state and overdue for an area and each of
//! its children, read from counts kept in the transaction of every change; and the inbox.

use anju_core::{AreaCode, AreaLevel, Permission, Scope};
use serde::Serialize;

use crate::households::area_string;
use crate::items::{ITEM_SELECT, ItemRow, ItemView};
use crate::notifications::NotificationView;
use crate::pool::on_pool;
use crate::reports::ReportView;
use crate::{Result, Store, StoreError};

/// Items of one area's whole subtree.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema, sqlx::FromRow, PartialEq, Eq)]
pub struct ItemStatsRow {
    #[sqlx(skip)]
    pub area: String,
    #[sqlx(skip)]
    pub name_zh: String,
    #[sqlx(skip)]
    pub name_en: String,
    pub assigned: i64,
    pub accepted: i64,
    pub in_progress: i64,
    pub submitted: i64,
    pub returned: i64,
    pub verified: i64,
    pub cancelled: i64,
    /// Open and escalated past their deadline.
    pub overdue: i64,
    /// Every state but verified and cancelled.
    #[sqlx(skip)]
    pub open: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemStats {
    pub area: String,
    pub total: ItemStatsRow,
    /// One row per child area, in code order.
    pub rows: Vec<ItemStatsRow>,
}

#[derive(sqlx::FromRow)]
struct StatsRow {
    code: i64,
    level: String,
    name_zh: String,
    name_en: String,
    assigned: Option<i64>,
    accepted: Option<i64>,
    in_progress: Option<i64>,
    submitted: Option<i64>,
    returned: Option<i64>,
    verified: Option<i64>,
    cancelled: Option<i64>,
    overdue: Option<i64>,
}

impl StatsRow {
    fn into_row(self) -> Result<ItemStatsRow> {
        let level = AreaLevel::parse(&self.level)
            .ok_or_else(|| StoreError::Corrupt(format!("level {:?}", self.level)))?;
        let mut r = ItemStatsRow {
            area: area_string(self.code, level)?,
            name_zh: self.name_zh,
            name_en: self.name_en,
            assigned: self.assigned.unwrap_or(0),
            accepted: self.accepted.unwrap_or(0),
            in_progress: self.in_progress.unwrap_or(0),
            submitted: self.submitted.unwrap_or(0),
            returned: self.returned.unwrap_or(0),
            verified: self.verified.unwrap_or(0),
            cancelled: self.cancelled.unwrap_or(0),
            overdue: self.overdue.unwrap_or(0),
            open: 0,
        };
        r.open = r.assigned + r.accepted + r.in_progress + r.submitted + r.returned;
        Ok(r)
    }
}

const STATS_SELECT: &str = "SELECT a.code, a.level, a.name_zh, a.name_en, r.assigned, r.accepted, r.in_progress, \
     r.submitted, r.returned, r.verified, r.cancelled, r.overdue FROM areas a LEFT JOIN item_rollup r ON r.code = a.code";

/// What the caller must act on now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Inbox {
    /// Items the caller's unit owns and must work on, or must verify; soonest due first.
    pub items: Vec<ItemView>,
    /// New reports in areas the caller is on duty for (or leads), to triage.
    pub reports: Vec<ReportView>,
    pub notifications: Vec<NotificationView>,
}

impl Store {
    /// Counts for `area` and each child area; an area above the caller narrows to theirs.
    pub async fn item_stats(&self, scope: &Scope, area: Option<AreaCode>) -> Result<ItemStats> {
        scope.require(Permission::Read)?;
        let root = match (area, scope.root()) {
            (Some(a), Some(r)) if a.contains(r) => r,
            (Some(a), _) if scope.contains(a) => a,
            (None, Some(r)) => r,
            (None, None) => {
                AreaCode::parse("50").map_err(|e| StoreError::Corrupt(e.to_string()))?
            }
            _ => return Err(StoreError::NotFound),
        };
        let total = on_pool!(self, p => sqlx::query_as::<_, StatsRow>(sqlx::AssertSqlSafe(format!(
            "{STATS_SELECT} WHERE a.code = $1")))
            .bind(root.padded()).fetch_optional(p).await?)
        .ok_or(StoreError::NotFound)?
        .into_row()?;
        let rows = on_pool!(self, p => sqlx::query_as::<_, StatsRow>(sqlx::AssertSqlSafe(format!(
            "{STATS_SELECT} WHERE a.parent = $1 AND a.retired_at IS NULL ORDER BY a.code")))
            .bind(root.padded()).fetch_all(p).await?);
        Ok(ItemStats {
            area: root.to_string(),
            total,
            rows: rows
                .into_iter()
                .map(StatsRow::into_row)
                .collect::<Result<_>>()?,
        })
    }

    /// The same figures recomputed from the items themselves: what the maintained counts
    /// must always equal (tests and `anju items recount` compare them).
    pub async fn item_stats_recomputed(&self, area: AreaCode) -> Result<ItemStatsRow> {
        let (lo, hi) = area.subtree_range();
        let rows: Vec<(String, i64, i64)> = on_pool!(self, p => sqlx::query_as(
            "SELECT state, CAST(CASE WHEN escalation_level > 0 AND closed_at IS NULL THEN 1 ELSE 0 END AS BIGINT) AS late, COUNT(*) \
             FROM items WHERE area_code >= $1 AND area_code < $2 GROUP BY 1, 2")
            .bind(lo).bind(hi).fetch_all(p).await?);
        let mut r = ItemStatsRow::default();
        for (state, late, n) in rows {
            match state.as_str() {
                "assigned" => r.assigned += n,
                "accepted" => r.accepted += n,
                "in_progress" => r.in_progress += n,
                "submitted" => r.submitted += n,
                "returned" => r.returned += n,
                "verified" => r.verified += n,
                "cancelled" => r.cancelled += n,
                other => return Err(StoreError::Corrupt(format!("item state {other:?}"))),
            }
            if late == 1 {
                r.overdue += n;
            }
        }
        r.open = r.assigned + r.accepted + r.in_progress + r.submitted + r.returned;
        Ok(r)
    }

    /// What the caller must act on now: their unit's open work, submissions for them to
    /// verify, reports to triage, and unread notices.
    pub async fn inbox(&self, scope: &Scope) -> Result<Inbox> {
        scope.require(Permission::Read)?;
        let actor = self.actor_facts(scope).await?;
        let now = self.now();
        let mut items = Vec::new();
        if let Some(a) = actor.as_ref().filter(|a| a.may_act)
            && let Some(officer) = a.officer_id
        {
            let (lo, hi) = scope.range();
            let unit = a.unit_id.map(|u| u.to_string()).unwrap_or_default();
            let sql = format!(
                "{ITEM_SELECT} WHERE i.area_code >= $1 AND i.area_code < $2 AND ( \
                 (i.owner_unit_id = $3 AND i.state IN ('assigned', 'accepted', 'in_progress', 'returned')) \
                 OR (i.owner_officer_id = $4 AND i.state IN ('assigned', 'accepted', 'in_progress', 'returned')) \
                 OR ($5 = 1 AND i.verifier_unit_id = $3 AND i.state = 'submitted')) \
                 ORDER BY i.due_at, i.id LIMIT 200"
            );
            let rows = on_pool!(self, p => sqlx::query_as::<_, ItemRow>(sqlx::AssertSqlSafe(sql))
                .bind(lo).bind(hi).bind(unit).bind(officer.to_string()).bind(i64::from(a.may_verify))
                .fetch_all(p).await?);
            items = rows
                .into_iter()
                .map(|r| r.into_view(Some(a), now))
                .collect::<Result<_>>()?;
        }
        Ok(Inbox {
            items,
            reports: self.reports_to_triage(scope).await?,
            notifications: self.notifications(scope, true, 100).await?,
        })
    }
}
