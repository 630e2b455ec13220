//! The closed loop's items: creation, reading and lists. Transitions and splitting are in
//! `transition`, the deadline worker in `deadlines`, counts in `stats`, the history's
//! chain in `chain`.

mod bulk;
pub(crate) mod chain;
mod deadlines;
mod stats;
mod transition;

use anju_core::item::{
    ActorFacts, EventKind, ItemKind, ItemParties, ItemSource, Link, NewItem, Priority, standing,
};
use anju_core::lifecycle::{Action, Evidence, ItemState, allowed};
use anju_core::officer::format_time;
use anju_core::view::Page;
use anju_core::{AreaCode, AreaLevel, Permission, Scope, ValidationError};
use serde::Serialize;
use uuid::Uuid;

use crate::attachments::AttachmentMeta;
use crate::audit::{AuditEntry, append_audit};
use crate::households::{area_string, opt_uuid, uuid};
use crate::items::chain::{NewEvent, write_events};
use crate::pool::on_pool;
use crate::{Result, Store, StoreError};

pub use bulk::{HistoryStep, ItemHistory};
pub use chain::{ItemBreak, ItemChainReport};
pub use deadlines::DeadlineRun;
pub use stats::{Inbox, ItemStats, ItemStatsRow};

/// An item as the API shows it, with what the reader may do to it now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemView {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub kind: ItemKind,
    pub source: ItemSource,
    pub source_ref: Option<String>,
    pub title: String,
    pub description: String,
    pub area: String,
    pub area_name: String,
    pub owner_unit_id: Uuid,
    pub owner_unit_name: Option<String>,
    pub owner_officer_id: Option<Uuid>,
    pub assigner_user_id: Uuid,
    pub verifier_unit_id: Uuid,
    pub verifier_unit_name: Option<String>,
    pub priority: Priority,
    pub due_at: String,
    pub state: ItemState,
    /// Open and past its deadline.
    pub overdue: bool,
    /// 0 on time; 1 raised to the owner unit's leader; 2 to the area's supervising unit;
    /// then one area up per level.
    pub escalation_level: i64,
    pub reminders_sent: i64,
    pub children_total: i64,
    pub children_closed: i64,
    pub links: Vec<Link>,
    pub attachments: Vec<AttachmentMeta>,
    pub submitted_by: Option<Uuid>,
    /// The transitions the reader may make now.
    pub allowed: Vec<Action>,
    pub created_at: String,
    pub updated_at: String,
    pub closed_at: Option<String>,
}

/// One entry of an item's history.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventView {
    pub seq: i64,
    pub at: String,
    pub actor_user_id: Option<Uuid>,
    pub actor_name: Option<String>,
    pub kind: EventKind,
    pub from_state: Option<ItemState>,
    pub to_state: Option<ItemState>,
    pub note: Option<String>,
    pub attachments: Vec<AttachmentMeta>,
    pub payload: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}

/// An item with its history and its children.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemDetail {
    #[serde(flatten)]
    pub item: ItemView,
    pub events: Vec<EventView>,
    pub children: Vec<ItemView>,
}

/// Filters of the item list.
#[derive(Debug, Clone, Default)]
pub struct ItemQuery {
    pub area: Option<AreaCode>,
    pub owner_unit: Option<Uuid>,
    pub state: Option<ItemState>,
    pub open: Option<bool>,
    pub overdue: Option<bool>,
    pub due_before: Option<i64>,
    pub kind: Option<ItemKind>,
    pub source: Option<ItemSource>,
    pub parent: Option<Uuid>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(sqlx::FromRow, Clone)]
pub(crate) struct ItemRow {
    pub id: String,
    pub parent_id: Option<String>,
    pub kind: String,
    pub source: String,
    pub source_ref: Option<String>,
    pub title: String,
    pub description: String,
    pub area_code: i64,
    pub area_level: String,
    pub owner_unit_id: String,
    pub owner_officer_id: Option<String>,
    pub assigner_user_id: String,
    pub assigner_unit_id: Option<String>,
    pub verifier_unit_id: String,
    pub priority: String,
    pub due_at: i64,
    pub state: String,
    pub submitted_by: Option<String>,
    pub reminders_sent: i64,
    pub escalation_level: i64,
    pub next_wake_at: Option<i64>,
    pub children_total: i64,
    pub children_open: i64,
    pub links: String,
    pub attachments: String,
    pub head_seq: i64,
    pub head_hash: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub closed_at: Option<i64>,
    pub area_name: Option<String>,
    pub owner_unit_name: Option<String>,
    pub verifier_unit_name: Option<String>,
}

pub(crate) const ITEM_SELECT: &str = "SELECT i.id, i.parent_id, i.kind, i.source, i.source_ref, i.title, i.description, \
     i.area_code, i.area_level, i.owner_unit_id, i.owner_officer_id, i.assigner_user_id, i.assigner_unit_id, \
     i.verifier_unit_id, i.priority, i.due_at, i.state, i.submitted_by, i.reminders_sent, i.escalation_level, \
     i.next_wake_at, i.children_total, i.children_open, i.links, i.attachments, i.head_seq, i.head_hash, \
     i.created_at, i.updated_at, i.closed_at, a.name_zh AS area_name, ou.name AS owner_unit_name, \
     vu.name AS verifier_unit_name \
     FROM items i LEFT JOIN areas a ON a.code = i.area_code \
     LEFT JOIN units ou ON ou.id = i.owner_unit_id LEFT JOIN units vu ON vu.id = i.verifier_unit_id";

/// Takes an item's row lock and reads the row in one statement, for writes that decide
/// from the row as it is under the lock. The joined names are not read (NULL): they do
/// not change inside the write, and the caller has them from its read before.
pub(crate) const ITEM_LOCK_RETURNING: &str = "UPDATE items SET updated_at = updated_at WHERE id = $1 \
     RETURNING id, parent_id, kind, source, source_ref, title, description, area_code, area_level, \
     owner_unit_id, owner_officer_id, assigner_user_id, assigner_unit_id, verifier_unit_id, priority, due_at, \
     state, submitted_by, reminders_sent, escalation_level, next_wake_at, children_total, children_open, links, \
     attachments, head_seq, head_hash, created_at, updated_at, closed_at, CAST(NULL AS TEXT) AS area_name, \
     CAST(NULL AS TEXT) AS owner_unit_name, CAST(NULL AS TEXT) AS verifier_unit_name";

pub(crate) fn parse_state(s: &str) -> Result<ItemState> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|_| StoreError::Corrupt(format!("item state {s:?}")))
}

pub(crate) const fn state_str(s: ItemState) -> &'static str {
    match s {
        ItemState::Assigned => "assigned",
        ItemState::Accepted => "accepted",
        ItemState::InProgress => "in_progress",
        ItemState::Submitted => "submitted",
        ItemState::Returned => "returned",
        ItemState::Verified => "verified",
        ItemState::Cancelled => "cancelled",
    }
}

/// The states an item is open in, for SQL `IN` lists.
pub(crate) const OPEN_STATES: &str =
    "('assigned', 'accepted', 'in_progress', 'submitted', 'returned')";

impl ItemRow {
    pub(crate) fn area(&self) -> Result<AreaCode> {
        let l = AreaLevel::parse(&self.area_level)
            .ok_or_else(|| StoreError::Corrupt(format!("level {:?}", self.area_level)))?;
        AreaCode::from_padded(self.area_code, l).map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    pub(crate) fn state(&self) -> Result<ItemState> {
        parse_state(&self.state)
    }

    pub(crate) fn parties(&self) -> Result<ItemParties> {
        Ok(ItemParties {
            owner_unit_id: uuid(&self.owner_unit_id)?,
            owner_officer_id: opt_uuid(self.owner_officer_id.clone())?,
            assigner_user_id: uuid(&self.assigner_user_id)?,
            assigner_unit_id: opt_uuid(self.assigner_unit_id.clone())?,
            verifier_unit_id: uuid(&self.verifier_unit_id)?,
            submitted_by: opt_uuid(self.submitted_by.clone())?,
        })
    }

    pub(crate) fn into_view(self, actor: Option<&ActorFacts>, now: i64) -> Result<ItemView> {
        let state = self.state()?;
        let allowed_now = match actor {
            Some(a) => allowed(
                state,
                standing(a, &self.parties()?),
                Evidence {
                    has_note: true,
                    attachments: 1,
                    new_owner: true,
                    open_children: self.children_open.max(0) as usize,
                },
            ),
            None => vec![],
        };
        Ok(ItemView {
            id: uuid(&self.id)?,
            parent_id: opt_uuid(self.parent_id.clone())?,
            kind: ItemKind::parse(&self.kind)
                .ok_or_else(|| StoreError::Corrupt(format!("kind {:?}", self.kind)))?,
            source: ItemSource::parse(&self.source)
                .ok_or_else(|| StoreError::Corrupt(format!("source {:?}", self.source)))?,
            priority: Priority::parse(&self.priority)
                .ok_or_else(|| StoreError::Corrupt(format!("priority {:?}", self.priority)))?,
            area: area_string(self.area_code, self.area()?.level())?,
            area_name: self.area_name.clone().unwrap_or_default(),
            owner_unit_id: uuid(&self.owner_unit_id)?,
            owner_officer_id: opt_uuid(self.owner_officer_id.clone())?,
            assigner_user_id: uuid(&self.assigner_user_id)?,
            verifier_unit_id: uuid(&self.verifier_unit_id)?,
            submitted_by: opt_uuid(self.submitted_by.clone())?,
            overdue: state.is_open() && self.due_at <= now,
            due_at: format_time(self.due_at),
            state,
            escalation_level: self.escalation_level,
            reminders_sent: self.reminders_sent,
            children_total: self.children_total,
            children_closed: self.children_total - self.children_open,
            links: serde_json::from_str(&self.links)
                .map_err(|e| StoreError::Corrupt(format!("links: {e}")))?,
            attachments: serde_json::from_str(&self.attachments)
                .map_err(|e| StoreError::Corrupt(format!("attachments: {e}")))?,
            allowed: allowed_now,
            created_at: format_time(self.created_at),
            updated_at: format_time(self.updated_at),
            closed_at: self.closed_at.map(format_time),
            title: self.title,
            description: self.description,
            source_ref: self.source_ref,
            owner_unit_name: self.owner_unit_name,
            verifier_unit_name: self.verifier_unit_name,
        })
    }
}

#[derive(sqlx::FromRow)]
struct EventRow {
    seq: i64,
    at: i64,
    actor_user_id: Option<String>,
    actor_name: Option<String>,
    kind: String,
    from_state: Option<String>,
    to_state: Option<String>,
    note: Option<String>,
    attachments: String,
    payload: String,
    prev_hash: String,
    hash: String,
}

impl EventRow {
    fn into_view(self) -> Result<EventView> {
        Ok(EventView {
            seq: self.seq,
            at: format_time(self.at),
            actor_user_id: opt_uuid(self.actor_user_id)?,
            actor_name: self.actor_name,
            kind: EventKind::parse(&self.kind)
                .ok_or_else(|| StoreError::Corrupt(format!("event kind {:?}", self.kind)))?,
            from_state: self.from_state.as_deref().map(parse_state).transpose()?,
            to_state: self.to_state.as_deref().map(parse_state).transpose()?,
            note: self.note,
            attachments: serde_json::from_str(&self.attachments).unwrap_or_default(),
            payload: serde_json::from_str(&self.payload).unwrap_or(serde_json::Value::Null),
            prev_hash: self.prev_hash,
            hash: self.hash,
        })
    }
}

/// The rollup columns named by a state; a fixed list, so safe to splice into SQL.
pub(crate) const fn rollup_column(s: ItemState) -> &'static str {
    state_str(s)
}

/// Adds `delta` to `column` of the rollup rows of `area` and all its ancestors, inside
/// the transaction `$tx`.
macro_rules! bump_rollup {
    ($tx:expr, $area:expr, $column:expr, $delta:expr) => {{
        let area: anju_core::AreaCode = $area;
        let column: &str = $column;
        let delta: i64 = $delta;
        let codes: Vec<i64> = area
            .path()
            .into_iter()
            .map(anju_core::AreaCode::padded)
            .collect();
        let mut qb = sqlx::QueryBuilder::new(format!("INSERT INTO item_rollup (code, {column}) "));
        qb.push_values(&codes, |mut b, c| {
            b.push_bind(*c).push_bind(delta);
        });
        qb.push(format!(
            " ON CONFLICT (code) DO UPDATE SET {column} = item_rollup.{column} + excluded.{column}"
        ));
        qb.build().execute(&mut *$tx).await?;
    }};
}
pub(crate) use bump_rollup;

/// Who the scope's actor is as an item sees them: their officer record and its unit.
impl Store {
    pub(crate) async fn actor_facts(&self, scope: &Scope) -> Result<Option<ActorFacts>> {
        let Some(actor) = scope.actor() else {
            return Ok(None);
        };
        let row: Option<(Option<String>, Option<String>)> = on_pool!(self, p => sqlx::query_as(
            "SELECT u.officer_id, o.unit_id FROM users u LEFT JOIN officers o ON o.id = u.officer_id \
             AND o.archived_at IS NULL WHERE u.id = $1")
            .bind(actor.user_id.to_string()).fetch_optional(p).await?);
        let (officer, unit) = row.unwrap_or((None, None));
        Ok(Some(ActorFacts {
            user_id: actor.user_id,
            officer_id: opt_uuid(officer)?,
            unit_id: opt_uuid(unit)?,
            may_verify: scope.can(Permission::Verify),
            may_act: scope.can(Permission::Update),
        }))
    }

    /// The unit with this id, if it is in `scope`: its area.
    pub(crate) async fn unit_area(&self, scope: &Scope, id: Uuid) -> Result<Option<AreaCode>> {
        let (lo, hi) = scope.range();
        let row: Option<(i64, String)> = on_pool!(self, p => sqlx::query_as(
            "SELECT u.area_code, a.level FROM units u JOIN areas a ON a.code = u.area_code \
             WHERE u.id = $1 AND u.archived_at IS NULL AND u.area_code >= $2 AND u.area_code < $3")
            .bind(id.to_string()).bind(lo).bind(hi).fetch_optional(p).await?);
        row.map(|(c, l)| {
            let l =
                AreaLevel::parse(&l).ok_or_else(|| StoreError::Corrupt(format!("level {l:?}")))?;
            AreaCode::from_padded(c, l).map_err(|e| StoreError::Corrupt(e.to_string()))
        })
        .transpose()
    }

    /// Checks the parties of a new item: an owner unit inside the caller's scope and the
    /// item's area, an owner officer of that unit, and a verifier unit at or above the
    /// item's area (work is checked from above or beside, never from below).
    pub(crate) async fn check_parties(
        &self,
        scope: &Scope,
        field_prefix: &str,
        area: AreaCode,
        owner_unit: Uuid,
        owner_officer: Option<Uuid>,
        verifier_unit: Option<Uuid>,
    ) -> Result<()> {
        let mut v = ValidationError::default();
        let f = |n: &str| format!("{field_prefix}{n}");
        match self.unit_area(scope, owner_unit).await? {
            None => v.push(
                f("owner_unit_id"),
                "unknown_unit",
                "no such unit in your scope",
            ),
            Some(a) if !area.contains(a) && !a.contains(area) => v.push(
                f("owner_unit_id"),
                "unit_elsewhere",
                "the owner unit belongs to another area",
            ),
            Some(_) => {}
        }
        if let Some(o) = owner_officer {
            let unit: Option<String> = on_pool!(self, p => sqlx::query_scalar(
                "SELECT unit_id FROM officers WHERE id = $1 AND archived_at IS NULL")
                .bind(o.to_string()).fetch_optional(p).await?);
            if unit.as_deref() != Some(owner_unit.to_string().as_str()) {
                v.push(
                    f("owner_officer_id"),
                    "not_in_unit",
                    "the owner officer is not a member of the owner unit",
                );
            }
        }
        if let Some(vu) = verifier_unit {
            // The verifier may sit above the caller (a town's work checked by its district).
            match self.unit_area(&Scope::everything(), vu).await? {
                Some(a) if a.contains(area) => {}
                Some(_) => v.push(
                    "verifier_unit_id",
                    "verifier_below",
                    "the verifier unit must be at or above the item's area",
                ),
                None => v.push("verifier_unit_id", "unknown_unit", "no such unit"),
            }
        }
        Ok(v.finish(())?)
    }

    /// Creates an item (state `assigned`) with its first event. A client-chosen id makes a
    /// retry return the item already made instead of a second one.
    pub async fn create_item(
        &self,
        scope: &Scope,
        id: Option<Uuid>,
        item: &NewItem,
    ) -> Result<ItemView> {
        scope.require(Permission::Create)?;
        if !scope.contains(item.area) {
            return Err(StoreError::OutOfScope(item.area.to_string()));
        }
        let actor = self
            .actor_facts(scope)
            .await?
            .ok_or(StoreError::Forbidden(Permission::Create))?;
        if let Some(id) = id
            && let Ok(existing) = self.item_view(scope, id).await
        {
            if existing.assigner_user_id == actor.user_id {
                return Ok(existing);
            }
            return Err(StoreError::Conflict("an item with this id exists".into()));
        }
        self.check_area(scope, "area", item.area, None).await?;
        self.check_parties(
            scope,
            "",
            item.area,
            item.owner_unit_id,
            item.owner_officer_id,
            Some(item.verifier_unit_id),
        )
        .await?;
        let attachments = self
            .attachments_for(scope, "attachments", &item.attachments)
            .await?;
        let id = id.unwrap_or_else(Uuid::now_v7);
        let spec = ItemSpec {
            id,
            parent_id: None,
            item: item.clone(),
            assigner_user_id: actor.user_id,
            assigner_unit_id: actor.unit_id,
            attachments,
        };
        let now = self.now();
        let policy = self.deadline_policy();
        on_pool!(self, p => {
            let _turn = self.write_turn().await;
            let mut tx = p.begin().await?;
            let (row, event) = spec.row_and_event(now, &policy)?;
            insert_item!(tx, row);
            let hash = event.hash(anju_core::item::GENESIS);
            sqlx::query("UPDATE items SET head_hash = $1 WHERE id = $2")
                .bind(hash.clone()).bind(id.to_string()).execute(&mut *tx).await?;
            // Lock order everywhere: items, then rollup rows (root first), then the ledger
            // head, then the audit head; PostgreSQL cannot deadlock on a fixed order.
            bump_rollup!(tx, item.area, rollup_column(ItemState::Assigned), 1);
            write_events!(tx, &[(event, anju_core::item::GENESIS.to_owned(), hash)]);
            crate::attachments::ref_attachments!(tx, &spec.attachments, "item", id.to_string(), item.area);
            append_audit!(tx, now, scope, [AuditEntry::new("create", "item", id, Some(item.area))]);
            tx.commit().await?;
        });
        self.item_view(scope, id).await
    }

    /// One item as `scope` sees it.
    pub async fn item_view(&self, scope: &Scope, id: Uuid) -> Result<ItemView> {
        let actor = self.actor_facts(scope).await?;
        let row = self.item_row(scope, id).await?;
        row.into_view(actor.as_ref(), self.now())
    }

    pub(crate) async fn item_row(&self, scope: &Scope, id: Uuid) -> Result<ItemRow> {
        let (lo, hi) = scope.range();
        let sql =
            format!("{ITEM_SELECT} WHERE i.id = $1 AND i.area_code >= $2 AND i.area_code < $3");
        on_pool!(self, p => sqlx::query_as::<_, ItemRow>(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string()).bind(lo).bind(hi).fetch_optional(p).await?)
        .ok_or(StoreError::NotFound)
    }

    /// An item with its whole history and its children.
    pub async fn item(&self, scope: &Scope, id: Uuid) -> Result<ItemDetail> {
        let actor = self.actor_facts(scope).await?;
        let now = self.now();
        let row = self.item_row(scope, id).await?;
        let events = on_pool!(self, p => sqlx::query_as::<_, EventRow>(
            "SELECT e.seq, e.at, e.actor_user_id, u.username AS actor_name, e.kind, e.from_state, e.to_state, e.note, \
             e.attachments, e.payload, e.prev_hash, e.hash FROM item_events e LEFT JOIN users u ON u.id = e.actor_user_id \
             WHERE e.item_id = $1 ORDER BY e.seq")
            .bind(id.to_string()).fetch_all(p).await?);
        let (lo, hi) = scope.range();
        let sql = format!(
            "{ITEM_SELECT} WHERE i.parent_id = $1 AND i.area_code >= $2 AND i.area_code < $3 ORDER BY i.area_code, i.id"
        );
        let children = on_pool!(self, p => sqlx::query_as::<_, ItemRow>(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string()).bind(lo).bind(hi).fetch_all(p).await?);
        Ok(ItemDetail {
            item: row.into_view(actor.as_ref(), now)?,
            events: events
                .into_iter()
                .map(EventRow::into_view)
                .collect::<Result<_>>()?,
            children: children
                .into_iter()
                .map(|c| c.into_view(actor.as_ref(), now))
                .collect::<Result<_>>()?,
        })
    }

    /// A page of items in deadline order.
    pub async fn list_items(&self, scope: &Scope, q: &ItemQuery) -> Result<Page<ItemView>> {
        let Some((lo, hi)) = scope.narrow(q.area) else {
            return Ok(Page {
                items: vec![],
                next_cursor: None,
            });
        };
        let limit = q.limit.unwrap_or(crate::page::DEFAULT_LIMIT);
        if !(1..=crate::page::MAX_LIMIT).contains(&limit) {
            return Err(ValidationError::single(
                "limit",
                "out_of_range",
                format!("between 1 and {}", crate::page::MAX_LIMIT),
            )
            .into());
        }
        let (after_due, after_id) = match &q.cursor {
            None => (i64::MIN, String::new()),
            Some(c) => decode_cursor(c).ok_or_else(|| {
                StoreError::Validation(ValidationError::single(
                    "cursor",
                    "invalid_cursor",
                    "not a cursor returned by this list",
                ))
            })?,
        };
        let now = self.now();
        let actor = self.actor_facts(scope).await?;
        let open = match (q.open, q.overdue) {
            (_, Some(true)) | (Some(true), _) => 1,
            (Some(false), _) => 2,
            _ => 0,
        };
        let sql = format!(
            "{ITEM_SELECT} WHERE i.area_code >= $1 AND i.area_code < $2 AND (i.due_at, i.id) > ($3, $4) \
             AND ($5 = '' OR i.owner_unit_id = $5) AND ($6 = '' OR i.state = $6) \
             AND ($7 = 0 OR ($7 = 1 AND i.state IN {OPEN_STATES}) OR ($7 = 2 AND i.state NOT IN {OPEN_STATES})) \
             AND ($8 = 0 OR i.due_at <= $9) AND ($10 = '' OR i.kind = $10) AND ($11 = '' OR i.source = $11) \
             AND ($12 = '' OR i.parent_id = $12) AND i.due_at < $13 \
             ORDER BY i.due_at, i.id LIMIT $14"
        );
        let rows = on_pool!(self, p => sqlx::query_as::<_, ItemRow>(sqlx::AssertSqlSafe(sql))
            .bind(lo).bind(hi).bind(after_due).bind(after_id.clone())
            .bind(q.owner_unit.map(|u| u.to_string()).unwrap_or_default())
            .bind(q.state.map(state_str).unwrap_or(""))
            .bind(open)
            .bind(i64::from(q.overdue == Some(true)))
            .bind(now)
            .bind(q.kind.map(ItemKind::as_str).unwrap_or(""))
            .bind(q.source.map(ItemSource::as_str).unwrap_or(""))
            .bind(q.parent.map(|u| u.to_string()).unwrap_or_default())
            .bind(q.due_before.unwrap_or(i64::MAX))
            .bind(limit + 1)
            .fetch_all(p).await?);
        let more = rows.len() as i64 > limit;
        let rows: Vec<ItemRow> = rows.into_iter().take(limit as usize).collect();
        let next_cursor = if more {
            rows.last().map(|r| format!("{}~{}", r.due_at, r.id))
        } else {
            None
        };
        Ok(Page {
            items: rows
                .into_iter()
                .map(|r| r.into_view(actor.as_ref(), now))
                .collect::<Result<_>>()?,
            next_cursor,
        })
    }
}

fn decode_cursor(c: &str) -> Option<(i64, String)> {
    let (d, id) = c.split_once('~')?;
    let d: i64 = d.parse().ok()?;
    Uuid::parse_str(id).ok()?;
    Some((d, id.to_owned()))
}

/// Everything needed to write a new item row and its creation event.
pub(crate) struct ItemSpec {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub item: NewItem,
    pub assigner_user_id: Uuid,
    pub assigner_unit_id: Option<Uuid>,
    pub attachments: Vec<AttachmentMeta>,
}

/// The columns of a new item row, in the order `insert_item!` binds them.
pub(crate) struct NewItemRow {
    pub id: String,
    pub parent_id: Option<String>,
    pub kind: &'static str,
    pub source: &'static str,
    pub source_ref: Option<String>,
    pub title: String,
    pub description: String,
    pub area_code: i64,
    pub area_level: &'static str,
    pub owner_unit_id: String,
    pub owner_officer_id: Option<String>,
    pub assigner_user_id: String,
    pub assigner_unit_id: Option<String>,
    pub verifier_unit_id: String,
    pub priority: &'static str,
    pub due_at: i64,
    pub reminders_sent: i64,
    pub next_wake_at: Option<i64>,
    pub links: String,
    pub attachments: String,
    pub at: i64,
}

impl ItemSpec {
    pub(crate) fn row_and_event(
        &self,
        now: i64,
        policy: &anju_core::deadline::DeadlinePolicy,
    ) -> Result<(NewItemRow, NewEvent)> {
        let it = &self.item;
        let progress = policy.start(it.due_at, now);
        let attachments = serde_json::to_string(&self.attachments)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let payload = serde_json::json!({
            "title": it.title,
            "area": it.area.to_string(),
            "owner_unit_id": it.owner_unit_id,
            "owner_officer_id": it.owner_officer_id,
            "verifier_unit_id": it.verifier_unit_id,
            "due_at": format_time(it.due_at),
            "priority": it.priority.as_str(),
            "parent_id": self.parent_id,
        })
        .to_string();
        let row = NewItemRow {
            id: self.id.to_string(),
            parent_id: self.parent_id.map(|p| p.to_string()),
            kind: it.kind.as_str(),
            source: it.source.as_str(),
            source_ref: it.source_ref.clone(),
            title: it.title.clone(),
            description: it.description.clone(),
            area_code: it.area.padded(),
            area_level: it.area.level().as_str(),
            owner_unit_id: it.owner_unit_id.to_string(),
            owner_officer_id: it.owner_officer_id.map(|o| o.to_string()),
            assigner_user_id: self.assigner_user_id.to_string(),
            assigner_unit_id: self.assigner_unit_id.map(|u| u.to_string()),
            verifier_unit_id: it.verifier_unit_id.to_string(),
            priority: it.priority.as_str(),
            due_at: it.due_at,
            reminders_sent: i64::from(progress.reminders_sent),
            next_wake_at: policy.next(it.due_at, progress).map(|(at, _)| at),
            links: serde_json::to_string(&it.links)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            attachments: attachments.clone(),
            at: now,
        };
        let event = NewEvent {
            item_id: self.id.to_string(),
            seq: 1,
            at: now,
            actor_user_id: Some(self.assigner_user_id.to_string()),
            kind: EventKind::Create.as_str(),
            from_state: None,
            to_state: Some(state_str(ItemState::Assigned)),
            note: (!it.description.is_empty()).then(|| it.description.clone()),
            attachments,
            payload,
            idem_key: None,
        };
        Ok((row, event))
    }
}

/// Inserts a `NewItemRow` (head hash filled in afterwards) inside `$tx`.
macro_rules! insert_item {
    ($tx:expr, $row:expr) => {{
        let r: &$crate::items::NewItemRow = &$row;
        sqlx::query(
            "INSERT INTO items (id, parent_id, kind, source, source_ref, title, description, area_code, area_level, \
             owner_unit_id, owner_officer_id, assigner_user_id, assigner_unit_id, verifier_unit_id, priority, due_at, \
             state, reminders_sent, escalation_level, next_wake_at, links, attachments, head_seq, head_hash, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
             'assigned', $17, 0, $18, $19, $20, 1, '', $21, $21)",
        )
        .bind(r.id.clone()).bind(r.parent_id.clone()).bind(r.kind).bind(r.source).bind(r.source_ref.clone())
        .bind(r.title.clone()).bind(r.description.clone()).bind(r.area_code).bind(r.area_level)
        .bind(r.owner_unit_id.clone()).bind(r.owner_officer_id.clone()).bind(r.assigner_user_id.clone())
        .bind(r.assigner_unit_id.clone()).bind(r.verifier_unit_id.clone()).bind(r.priority).bind(r.due_at)
        .bind(r.reminders_sent).bind(r.next_wake_at).bind(r.links.clone()).bind(r.attachments.clone()).bind(r.at)
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(crate) use insert_item;
