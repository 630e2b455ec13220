//! Loading item histories in bulk: work tracked in an earlier system, brought over with
//! its history so nothing starts again from zero. Every history is replayed through the
//! lifecycle (a history it does not allow is refused), chained and entered in the ledger
//! exactly as live writes are, and the counts are kept, all in one transaction.

use std::collections::HashMap;

use anju_core::item::{EventKind, GENESIS, NewItem};
use anju_core::lifecycle::{Action, ItemState, replay};
use anju_core::{Permission, Scope, ValidationError};
use uuid::Uuid;

use crate::audit::{AuditEntry, append_audit};
use crate::items::chain::{NewEvent, write_events};
use crate::items::{ItemSpec, rollup_column, state_str};
use crate::pool::on_pool;
use crate::{Result, Store, StoreError};

/// One step of an imported history.
#[derive(Debug, Clone)]
pub struct HistoryStep {
    pub action: Action,
    pub by: Uuid,
    pub at: i64,
    pub note: Option<String>,
}

/// One item with its history, as an earlier system recorded it.
#[derive(Debug, Clone)]
pub struct ItemHistory {
    pub id: Uuid,
    pub item: NewItem,
    pub assigner_user_id: Uuid,
    pub created_at: i64,
    pub steps: Vec<HistoryStep>,
}

impl Store {
    /// Loads histories in one transaction; returns the number of events written.
    pub async fn load_item_histories(&self, scope: &Scope, items: &[ItemHistory]) -> Result<usize> {
        scope.require(Permission::ManageUsers)?;
        let policy = self.deadline_policy();
        let mut v = ValidationError::default();
        let mut rows = Vec::with_capacity(items.len());
        let mut events = Vec::with_capacity(items.len() * 4);
        let mut counts: HashMap<(i64, &'static str), i64> = HashMap::new();
        for (i, h) in items.iter().enumerate() {
            if !scope.contains(h.item.area) {
                return Err(StoreError::OutOfScope(h.item.area.to_string()));
            }
            let Some(state) = replay(h.steps.iter().map(|s| s.action)) else {
                v.push(
                    format!("items[{i}].steps"),
                    "invalid_history",
                    "the lifecycle does not allow this sequence",
                );
                continue;
            };
            let spec = ItemSpec {
                id: h.id,
                parent_id: None,
                item: h.item.clone(),
                assigner_user_id: h.assigner_user_id,
                assigner_unit_id: None,
                attachments: vec![],
            };
            let (mut row, first) = spec.row_and_event(h.created_at, &policy)?;
            let mut prev = GENESIS.to_owned();
            let mut hash = first.hash(&prev);
            events.push((first, prev.clone(), hash.clone()));
            let mut from = ItemState::Assigned;
            let mut submitted_by = None;
            for (k, s) in h.steps.iter().enumerate() {
                let to = replay(h.steps[..=k].iter().map(|s| s.action)).unwrap_or(from);
                if s.action == Action::Submit {
                    submitted_by = Some(s.by.to_string());
                }
                prev = hash;
                let e = NewEvent {
                    item_id: h.id.to_string(),
                    seq: k as i64 + 2,
                    at: s.at,
                    actor_user_id: Some(s.by.to_string()),
                    kind: EventKind::of_action(s.action).as_str(),
                    from_state: Some(state_str(from)),
                    to_state: Some(state_str(to)),
                    note: s.note.clone(),
                    attachments: "[]".into(),
                    payload: "{}".into(),
                    idem_key: None,
                };
                hash = e.hash(&prev);
                events.push((e, prev.clone(), hash.clone()));
                from = to;
            }
            if !state.is_open() {
                row.next_wake_at = None;
            }
            for a in h.item.area.path() {
                *counts
                    .entry((a.padded(), rollup_column(state)))
                    .or_default() += 1;
            }
            rows.push((row, state, h.steps.len() as i64 + 1, hash, submitted_by));
        }
        v.finish(())?;
        let now = self.now();
        let n_events = events.len();
        on_pool!(self, p => {
            let _turn = self.write_turn().await;
            let mut tx = p.begin().await?;
            for chunk in rows.chunks(1000) {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO items (id, parent_id, kind, source, source_ref, title, description, area_code, area_level, \
                     owner_unit_id, owner_officer_id, assigner_user_id, assigner_unit_id, verifier_unit_id, priority, due_at, \
                     state, reminders_sent, escalation_level, next_wake_at, links, attachments, head_seq, head_hash, \
                     submitted_by, created_at, updated_at) ",
                );
                qb.push_values(chunk, |mut b, (r, state, seq, hash, by)| {
                    b.push_bind(r.id.clone()).push_bind(r.parent_id.clone()).push_bind(r.kind).push_bind(r.source)
                        .push_bind(r.source_ref.clone()).push_bind(r.title.clone()).push_bind(r.description.clone())
                        .push_bind(r.area_code).push_bind(r.area_level).push_bind(r.owner_unit_id.clone())
                        .push_bind(r.owner_officer_id.clone()).push_bind(r.assigner_user_id.clone())
                        .push_bind(r.assigner_unit_id.clone()).push_bind(r.verifier_unit_id.clone()).push_bind(r.priority)
                        .push_bind(r.due_at).push_bind(state_str(*state)).push_bind(r.reminders_sent).push_bind(0i64)
                        .push_bind(r.next_wake_at).push_bind(r.links.clone()).push_bind(r.attachments.clone())
                        .push_bind(*seq).push_bind(hash.clone()).push_bind(by.clone()).push_bind(r.at).push_bind(now);
                });
                qb.build().execute(&mut *tx).await?;
            }
            let mut by_code: HashMap<i64, Vec<(&'static str, i64)>> = HashMap::new();
            for ((code, col), n) in &counts {
                by_code.entry(*code).or_default().push((col, *n));
            }
            let mut codes: Vec<&i64> = by_code.keys().collect();
            codes.sort();
            for code in codes {
                for (col, n) in &by_code[code] {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "INSERT INTO item_rollup (code, {col}) VALUES ($1, $2) \
                         ON CONFLICT (code) DO UPDATE SET {col} = item_rollup.{col} + excluded.{col}")))
                        .bind(*code).bind(*n).execute(&mut *tx).await?;
                }
            }
            write_events!(tx, &events);
            let entry = AuditEntry {
                action: "import",
                entity: "item",
                entity_id: None,
                area: scope.root(),
                detail: serde_json::json!({"items": rows.len(), "events": n_events}),
            };
            append_audit!(tx, now, scope, [entry]);
            tx.commit().await?;
        });
        Ok(n_events)
    }
}
