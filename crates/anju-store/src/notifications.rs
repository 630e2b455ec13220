//! The in-app inbox's notices: reminders, escalations, and work handed to someone. Other
//! channels (SMS, voice, webhooks) come with warnings and their outbox.

use anju_core::item::NewItem;
use anju_core::officer::format_time;
use anju_core::{Permission, Scope};
use serde::Serialize;
use uuid::Uuid;

use crate::households::uuid;
use crate::pool::on_pool;
use crate::{Result, Store, StoreError};

/// A notice about to be written, addressed to a unit (every member sees it) or to one
/// officer.
#[derive(Debug, Clone)]
pub(crate) struct Notice {
    pub id: String,
    pub at: i64,
    pub item_id: String,
    pub kind: &'static str,
    pub level: i64,
    pub unit_id: Option<String>,
    pub officer_id: Option<String>,
    pub area_code: i64,
    pub title: String,
}

impl Notice {
    pub fn assigned(item_id: Uuid, item: &NewItem, now: i64) -> Notice {
        Notice {
            id: Uuid::now_v7().to_string(),
            at: now,
            item_id: item_id.to_string(),
            kind: "assigned",
            level: 0,
            unit_id: item
                .owner_officer_id
                .is_none()
                .then(|| item.owner_unit_id.to_string()),
            officer_id: item.owner_officer_id.map(|o| o.to_string()),
            area_code: item.area.padded(),
            title: item.title.clone(),
        }
    }
}

/// Writes notices inside `$tx`.
macro_rules! write_notices {
    ($tx:expr, $notices:expr) => {{
        let notices: &[$crate::notifications::Notice] = $notices;
        for chunk in notices.chunks(1000) {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO notifications (id, at, item_id, kind, level, unit_id, officer_id, area_code, title) ",
            );
            qb.push_values(chunk, |mut b, n| {
                b.push_bind(n.id.clone())
                    .push_bind(n.at)
                    .push_bind(n.item_id.clone())
                    .push_bind(n.kind)
                    .push_bind(n.level)
                    .push_bind(n.unit_id.clone())
                    .push_bind(n.officer_id.clone())
                    .push_bind(n.area_code)
                    .push_bind(n.title.clone());
            });
            qb.build().execute(&mut *$tx).await?;
        }
    }};
}
pub(crate) use write_notices;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NotificationView {
    pub id: Uuid,
    pub at: String,
    pub item_id: Uuid,
    /// `assigned`, `submitted`, `returned`, `reminder` or `escalation`.
    pub kind: String,
    /// The escalation level the item had reached.
    pub level: i64,
    pub title: String,
    pub read: bool,
}

#[derive(sqlx::FromRow)]
struct NoticeRow {
    id: String,
    at: i64,
    item_id: String,
    kind: String,
    level: i64,
    title: String,
    read_at: Option<i64>,
}

impl Store {
    /// The newest notices for the caller: addressed to their officer record or its unit.
    pub async fn notifications(
        &self,
        scope: &Scope,
        unread_only: bool,
        limit: i64,
    ) -> Result<Vec<NotificationView>> {
        scope.require(Permission::Read)?;
        let Some(actor) = self.actor_facts(scope).await? else {
            return Ok(vec![]);
        };
        let (Some(officer), unit) = (actor.officer_id, actor.unit_id) else {
            return Ok(vec![]);
        };
        let (lo, hi) = scope.range();
        let rows = on_pool!(self, p => sqlx::query_as::<_, NoticeRow>(
            "SELECT id, at, item_id, kind, level, title, read_at FROM notifications \
             WHERE (officer_id = $1 OR unit_id = $2) AND area_code >= $3 AND area_code < $4 \
             AND ($5 = 0 OR read_at IS NULL) ORDER BY at DESC LIMIT $6")
            .bind(officer.to_string()).bind(unit.map(|u| u.to_string()).unwrap_or_default())
            .bind(lo).bind(hi).bind(i64::from(unread_only)).bind(limit.clamp(1, 500))
            .fetch_all(p).await?);
        rows.into_iter()
            .map(|r| {
                Ok(NotificationView {
                    id: uuid(&r.id)?,
                    at: format_time(r.at),
                    item_id: uuid(&r.item_id)?,
                    kind: r.kind,
                    level: r.level,
                    title: r.title,
                    read: r.read_at.is_some(),
                })
            })
            .collect()
    }

    /// Marks one of the caller's notices read.
    pub async fn mark_notification_read(&self, scope: &Scope, id: Uuid) -> Result<()> {
        scope.require(Permission::Read)?;
        let actor = self.actor_facts(scope).await?.ok_or(StoreError::NotFound)?;
        let officer = actor.officer_id.ok_or(StoreError::NotFound)?;
        let (lo, hi) = scope.range();
        let now = self.now();
        let n = on_pool!(self, p => sqlx::query(
            "UPDATE notifications SET read_at = COALESCE(read_at, $1) WHERE id = $2 \
             AND (officer_id = $3 OR unit_id = $4) AND area_code >= $5 AND area_code < $6")
            .bind(now).bind(id.to_string()).bind(officer.to_string())
            .bind(actor.unit_id.map(|u| u.to_string()).unwrap_or_default()).bind(lo).bind(hi)
            .execute(p).await?.rows_affected());
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
