//! Moving items through the lifecycle, and splitting them down the hierarchy. Each write
//! takes the item's row lock first, decides from the row as it is then, and writes the
//! new state, the event, the ledger row, the counts and the audit row in one transaction.

use anju_core::item::{EventKind, NewItem, SplitChild, TransitionInput, standing};
use anju_core::lifecycle::{Action, Evidence, ItemState, transition};
use anju_core::{Permission, Scope};
use uuid::Uuid;

use crate::attachments::ref_attachments;
use crate::audit::{AuditEntry, append_audit};
use crate::items::chain::{NewEvent, write_events};
use crate::items::{
    ITEM_SELECT, ItemDetail, ItemRow, ItemSpec, ItemView, bump_rollup, insert_item, rollup_column,
    state_str,
};
use crate::notifications::{Notice, write_notices};
use crate::pool::on_pool;
use crate::{Result, Store, StoreError};

impl Store {
    /// Whether this item already has an event made under `key` (a retried request).
    async fn seen_key(&self, id: Uuid, key: Option<&str>) -> Result<bool> {
        let Some(key) = key else { return Ok(false) };
        let n: i64 = on_pool!(self, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM item_events WHERE item_id = $1 AND idem_key = $2")
            .bind(id.to_string()).bind(key).fetch_one(p).await?);
        Ok(n > 0)
    }

    /// Makes one lifecycle transition. A retry with the same idempotency key returns the
    /// item as it is, without a second event.
    pub async fn transition_item(
        &self,
        scope: &Scope,
        id: Uuid,
        input: &TransitionInput,
        idem_key: Option<&str>,
    ) -> Result<ItemView> {
        input.check()?;
        scope.require(Permission::Read)?;
        let actor = self
            .actor_facts(scope)
            .await?
            .ok_or(StoreError::Forbidden(Permission::Update))?;
        let before = self.item_row(scope, id).await?;
        if self.seen_key(id, idem_key).await? {
            return self.item_view(scope, id).await;
        }
        let attachments = self
            .attachments_for(scope, "attachments", &input.attachments)
            .await?;
        if input.action == Action::Reassign
            && let Some(unit) = input.owner_unit_id
        {
            self.check_parties(
                scope,
                "",
                before.area()?,
                unit,
                input.owner_officer_id,
                None,
            )
            .await?;
        }
        let now = self.now();
        let sid = id.to_string();
        let sql = format!("{ITEM_SELECT} WHERE i.id = $1");
        let after: ItemRow;
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            // The row lock first (SQLite: the write lock), so the decision below is made on
            // the row as no one else can change it until commit.
            sqlx::query("UPDATE items SET updated_at = updated_at WHERE id = $1")
                .bind(sid.clone()).execute(&mut *tx).await?;
            let row = sqlx::query_as::<_, ItemRow>(sqlx::AssertSqlSafe(sql.clone()))
                .bind(sid.clone()).fetch_optional(&mut *tx).await?.ok_or(StoreError::NotFound)?;
            if let Some(k) = idem_key {
                let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM item_events WHERE item_id = $1 AND idem_key = $2")
                    .bind(sid.clone()).bind(k).fetch_one(&mut *tx).await?;
                if n > 0 {
                    tx.rollback().await?;
                    return self.item_view(scope, id).await;
                }
            }
            let from = row.state()?;
            let who = standing(&actor, &row.parties()?);
            let to = transition(from, input.action, who, Evidence {
                has_note: input.has_note(),
                attachments: attachments.len(),
                new_owner: input.owner_unit_id.is_some(),
                open_children: row.children_open.max(0) as usize,
            })?;
            let area = row.area()?;
            let closing = from.is_open() && !to.is_open();
            let mut payload = serde_json::Map::new();
            let (mut owner_unit, mut owner_officer) = (row.owner_unit_id.clone(), row.owner_officer_id.clone());
            if input.action == Action::Reassign {
                owner_unit = input.owner_unit_id.map(|u| u.to_string()).unwrap_or(owner_unit);
                owner_officer = input.owner_officer_id.map(|o| o.to_string());
                payload.insert("owner_unit_id".into(), owner_unit.clone().into());
                payload.insert("owner_officer_id".into(), owner_officer.clone().into());
            }
            let submitted_by = match input.action {
                Action::Submit => Some(actor.user_id.to_string()),
                _ => row.submitted_by.clone(),
            };
            let next_wake = if to.is_open() { row.next_wake_at } else { None };
            let event = NewEvent {
                item_id: sid.clone(),
                seq: row.head_seq + 1,
                at: now,
                actor_user_id: Some(actor.user_id.to_string()),
                kind: EventKind::of_action(input.action).as_str(),
                from_state: Some(state_str(from)),
                to_state: Some(state_str(to)),
                note: input.note.clone().filter(|n| !n.trim().is_empty()),
                attachments: serde_json::to_string(&attachments).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                payload: serde_json::Value::Object(payload).to_string(),
                idem_key: idem_key.map(str::to_owned),
            };
            let hash = event.hash(&row.head_hash);
            sqlx::query(
                "UPDATE items SET state = $2, owner_unit_id = $3, owner_officer_id = $4, submitted_by = $5, \
                 next_wake_at = $6, head_seq = $7, head_hash = $8, updated_at = $9, closed_at = $10 WHERE id = $1",
            )
            .bind(sid.clone()).bind(state_str(to)).bind(owner_unit.clone()).bind(owner_officer.clone())
            .bind(submitted_by).bind(next_wake).bind(event.seq).bind(hash.clone()).bind(now)
            .bind(if closing { Some(now) } else { None })
            .execute(&mut *tx).await?;
            let mut events = vec![(event, row.head_hash.clone(), hash)];
            if closing && let Some(parent) = row.parent_id.clone() {
                // The parent's progress moves in the same transaction, with its own event.
                let (pseq, phash): (i64, String) = sqlx::query_as(
                    "UPDATE items SET children_open = children_open - 1, head_seq = head_seq + 1, updated_at = $2 \
                     WHERE id = $1 RETURNING head_seq, head_hash")
                    .bind(parent.clone()).bind(now).fetch_one(&mut *tx).await?;
                let pe = NewEvent {
                    item_id: parent.clone(),
                    seq: pseq,
                    at: now,
                    actor_user_id: Some(actor.user_id.to_string()),
                    kind: EventKind::ChildClosed.as_str(),
                    from_state: None,
                    to_state: None,
                    note: None,
                    attachments: "[]".into(),
                    payload: serde_json::json!({"child_id": sid, "state": state_str(to)}).to_string(),
                    idem_key: None,
                };
                let ph = pe.hash(&phash);
                sqlx::query("UPDATE items SET head_hash = $2 WHERE id = $1")
                    .bind(parent).bind(ph.clone()).execute(&mut *tx).await?;
                events.push((pe, phash, ph));
            }
            // The parent's row before the counts: items, then rollup rows, then the ledger.
            if from != to {
                // The rows exist since the item was created: one UPDATE moves the counts of
                // the area and every ancestor.
                let late = if closing && row.escalation_level > 0 { ", overdue = overdue - 1" } else { "" };
                let (f, t) = (rollup_column(from), rollup_column(to));
                let mut qb = sqlx::QueryBuilder::new(format!(
                    "UPDATE item_rollup SET {f} = {f} - 1, {t} = {t} + 1{late} WHERE code IN ("
                ));
                let mut sep = qb.separated(", ");
                for a in area.path() {
                    sep.push_bind(a.padded());
                }
                qb.push(")");
                qb.build().execute(&mut *tx).await?;
            }
            // Recovery: a verified case gate moves its case and opens the next gate.
            let follow = crate::recovery::RecoveryTx::after_item_transition(&mut *tx, &row, input.action, to,
                &crate::recovery::WriteCtx { now, actor: Some(actor.user_id), policy: self.deadline_policy() }).await?;
            events.extend(follow.events);
            write_events!(tx, &events);
            ref_attachments!(tx, &attachments, "item", sid.clone(), area);
            let notices = transition_notices(&row, input.action, &owner_unit, owner_officer.as_deref(), now);
            write_notices!(tx, &notices);
            append_audit!(tx, now, scope, std::iter::once(AuditEntry::new(EventKind::of_action(input.action).as_str(), "item", id, Some(area))
                .detail(serde_json::json!({"from": state_str(from), "to": state_str(to)}))).chain(follow.audit));
            tx.commit().await?;
            after = ItemRow {
                state: state_str(to).to_owned(),
                owner_unit_id: owner_unit,
                owner_officer_id: owner_officer,
                submitted_by: if input.action == Action::Submit { Some(actor.user_id.to_string()) } else { row.submitted_by.clone() },
                next_wake_at: next_wake,
                head_seq: row.head_seq + 1,
                head_hash: events[0].2.clone(),
                updated_at: now,
                closed_at: if closing { Some(now) } else { row.closed_at },
                ..row
            };
        });
        if input.action == Action::Reassign {
            // A reassignment changes the owner unit's name too: read it back.
            return self.item_view(scope, id).await;
        }
        after.into_view(Some(&actor), now)
    }

    /// Splits an item into child items, one per child area (分解任务). The parent's owner
    /// splits; each child is verified by the parent's owner unit, and the parent can be
    /// verified only when every child is closed.
    pub async fn split_item(
        &self,
        scope: &Scope,
        id: Uuid,
        children: &[SplitChild],
        idem_key: Option<&str>,
    ) -> Result<ItemDetail> {
        scope.require(Permission::Create)?;
        let actor = self
            .actor_facts(scope)
            .await?
            .ok_or(StoreError::Forbidden(Permission::Create))?;
        let parent = self.item_row(scope, id).await?;
        if self.seen_key(id, idem_key).await? {
            return self.item(scope, id).await;
        }
        let who = standing(&actor, &parent.parties()?);
        if !who.owner {
            return Err(StoreError::Forbidden(Permission::Update));
        }
        let state = parent.state()?;
        if !matches!(state, ItemState::Accepted | ItemState::InProgress) {
            return Err(StoreError::Conflict(format!(
                "an item is split once accepted and before it is submitted; this one is {}",
                state_str(state)
            )));
        }
        for (i, c) in children.iter().enumerate() {
            let prefix = format!("children[{i}].");
            self.check_area(scope, &format!("{prefix}area"), c.area, None)
                .await?;
            self.check_parties(
                scope,
                &prefix,
                c.area,
                c.owner_unit_id,
                c.owner_officer_id,
                None,
            )
            .await?;
        }
        let parties = parent.parties()?;
        let proto = NewItem {
            title: parent.title.clone(),
            description: parent.description.clone(),
            kind: anju_core::item::ItemKind::parse(&parent.kind)
                .ok_or_else(|| StoreError::Corrupt(parent.kind.clone()))?,
            source: anju_core::item::ItemSource::parse(&parent.source)
                .ok_or_else(|| StoreError::Corrupt(parent.source.clone()))?,
            source_ref: parent.source_ref.clone(),
            area: parent.area()?,
            owner_unit_id: parties.owner_unit_id,
            owner_officer_id: None,
            verifier_unit_id: parties.owner_unit_id,
            priority: anju_core::item::Priority::parse(&parent.priority).unwrap_or_default(),
            due_at: parent.due_at,
            links: serde_json::from_str(&parent.links).unwrap_or_default(),
            attachments: vec![],
        };
        let specs: Vec<ItemSpec> = children
            .iter()
            .map(|c| ItemSpec {
                id: c.id.unwrap_or_else(Uuid::now_v7),
                parent_id: Some(id),
                item: NewItem {
                    title: c.title.clone().unwrap_or_else(|| proto.title.clone()),
                    description: c
                        .description
                        .clone()
                        .unwrap_or_else(|| proto.description.clone()),
                    area: c.area,
                    owner_unit_id: c.owner_unit_id,
                    owner_officer_id: c.owner_officer_id,
                    due_at: c.due_at,
                    ..proto.clone()
                },
                assigner_user_id: actor.user_id,
                assigner_unit_id: Some(parties.owner_unit_id),
                attachments: vec![],
            })
            .collect();
        let now = self.now();
        let policy = self.deadline_policy();
        let sid = id.to_string();
        let area = parent.area()?;
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let (pseq, phash, pstate): (i64, String, String) = sqlx::query_as(
                "UPDATE items SET children_total = children_total + $2, children_open = children_open + $2, \
                 head_seq = head_seq + 1, updated_at = $3 WHERE id = $1 RETURNING head_seq, head_hash, state")
                .bind(sid.clone()).bind(specs.len() as i64).bind(now).fetch_one(&mut *tx).await?;
            if pstate != state_str(state) {
                return Err(StoreError::Conflict("the item changed meanwhile; try again".into()));
            }
            if let Some(k) = idem_key {
                let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM item_events WHERE item_id = $1 AND idem_key = $2")
                    .bind(sid.clone()).bind(k).fetch_one(&mut *tx).await?;
                if n > 0 {
                    tx.rollback().await?;
                    return self.item(scope, id).await;
                }
            }
            let mut events = Vec::with_capacity(specs.len() + 1);
            let mut notices = Vec::with_capacity(specs.len());
            for s in &specs {
                let (row, ev) = s.row_and_event(now, &policy)?;
                insert_item!(tx, row);
                let h = ev.hash(anju_core::item::GENESIS);
                sqlx::query("UPDATE items SET head_hash = $1 WHERE id = $2")
                    .bind(h.clone()).bind(s.id.to_string()).execute(&mut *tx).await?;
                events.push((ev, anju_core::item::GENESIS.to_owned(), h));
                bump_rollup!(tx, s.item.area, rollup_column(ItemState::Assigned), 1);
                notices.push(Notice::assigned(s.id, &s.item, now));
            }
            let pe = NewEvent {
                item_id: sid.clone(),
                seq: pseq,
                at: now,
                actor_user_id: Some(actor.user_id.to_string()),
                kind: EventKind::Split.as_str(),
                from_state: None,
                to_state: None,
                note: None,
                attachments: "[]".into(),
                payload: serde_json::json!({"children": specs.iter().map(|s| s.id).collect::<Vec<_>>()}).to_string(),
                idem_key: idem_key.map(str::to_owned),
            };
            let ph = pe.hash(&phash);
            sqlx::query("UPDATE items SET head_hash = $2 WHERE id = $1")
                .bind(sid.clone()).bind(ph.clone()).execute(&mut *tx).await?;
            events.push((pe, phash, ph));
            write_events!(tx, &events);
            write_notices!(tx, &notices);
            append_audit!(tx, now, scope, [AuditEntry::new("split", "item", id, Some(area))
                .detail(serde_json::json!({"children": specs.len()}))]);
            tx.commit().await?;
        });
        self.item(scope, id).await
    }
}

/// Who hears of a transition in their inbox: the verifier of a submission, the owner of
/// a return or a reassignment.
fn transition_notices(
    row: &ItemRow,
    action: Action,
    owner_unit: &str,
    owner_officer: Option<&str>,
    now: i64,
) -> Vec<Notice> {
    let kind = match action {
        Action::Submit => "submitted",
        Action::Return => "returned",
        Action::Reassign => "assigned",
        _ => return vec![],
    };
    let (unit, officer) = match action {
        Action::Submit => (Some(row.verifier_unit_id.clone()), None),
        _ => (
            Some(owner_unit.to_owned()),
            owner_officer.map(str::to_owned),
        ),
    };
    vec![Notice {
        id: Uuid::now_v7().to_string(),
        at: now,
        item_id: row.id.clone(),
        kind,
        level: row.escalation_level,
        unit_id: if officer.is_some() { None } else { unit },
        officer_id: officer,
        area_code: row.area_code,
        title: row.title.clone(),
    }]
}
