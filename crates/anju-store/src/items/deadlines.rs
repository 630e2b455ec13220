//! The deadline worker's store side: reminders before an item is due and escalation up
//! the tree once it is late. Each open item carries the moment it next needs attention
//! (`next_wake_at`, indexed), so finding the work is an index range, never a scan.
//!
//! Several server instances may run the worker on one database: on PostgreSQL a batch
//! locks the items it takes (`FOR UPDATE SKIP LOCKED`), on SQLite it holds the write lock
//! before it reads, so two batches never hold the same item; and each item's update is
//! conditional on the head it was read with.

use std::collections::HashMap;
use std::sync::Arc;

use anju_core::deadline::{DeadlinePolicy, DeadlineProgress, Wake};
use anju_core::item::EventKind;
use anju_core::{AreaCode, Scope};
use uuid::Uuid;

use crate::audit::{AuditEntry, append_audit};
use crate::items::chain::{NewEvent, write_events};
use crate::items::{ITEM_SELECT, ItemRow, OPEN_STATES, bump_rollup};
use crate::notifications::{Notice, write_notices};
use crate::pool::on_pool;
use crate::{Backend, Result, Store};

/// What one run of the worker did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeadlineRun {
    pub reminded: usize,
    pub escalated: usize,
}

impl DeadlineRun {
    pub fn total(&self) -> usize {
        self.reminded + self.escalated
    }
}

/// Who an escalation goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Recipients {
    Officers(Vec<String>),
    Unit(String),
    Nobody,
}

impl Store {
    pub fn deadline_policy(&self) -> Arc<DeadlinePolicy> {
        self.deadlines.clone()
    }

    /// The same store with another deadline policy (from configuration or a test).
    pub fn with_deadline_policy(mut self, policy: DeadlinePolicy) -> Store {
        self.deadlines = Arc::new(policy);
        self
    }

    /// When the worker must next wake: the earliest `next_wake_at`, read from its index.
    pub async fn next_deadline_wake(&self) -> Result<Option<i64>> {
        Ok(on_pool!(self, p => sqlx::query_scalar::<_, Option<i64>>(
            "SELECT MIN(next_wake_at) FROM items WHERE next_wake_at IS NOT NULL")
            .fetch_one(p).await?))
    }

    /// Sends every reminder and escalation due by now, `batch` items per transaction.
    pub async fn run_deadlines(&self, batch: i64) -> Result<DeadlineRun> {
        let mut total = DeadlineRun::default();
        loop {
            let run = self.run_deadline_batch(batch.max(1)).await?;
            total.reminded += run.reminded;
            total.escalated += run.escalated;
            if run.total() == 0 {
                return Ok(total);
            }
        }
    }

    async fn run_deadline_batch(&self, batch: i64) -> Result<DeadlineRun> {
        let now = self.now();
        let policy = self.deadline_policy();
        // PostgreSQL: each instance locks the rows it takes and skips those another holds.
        // SQLite: one writer at a time; taking the write lock before reading does the same.
        let (lock_first, skip_locked) = match self.backend() {
            Backend::Sqlite => (true, ""),
            Backend::Postgres => (false, " FOR UPDATE OF i SKIP LOCKED"),
        };
        let sql = format!(
            "{ITEM_SELECT} WHERE i.next_wake_at IS NOT NULL AND i.next_wake_at <= $1 AND i.state IN {OPEN_STATES} \
             ORDER BY i.next_wake_at LIMIT $2{skip_locked}"
        );
        let mut run = DeadlineRun::default();
        let mut leaders: HashMap<String, Recipients> = HashMap::new();
        let mut supervisors: HashMap<i64, Recipients> = HashMap::new();
        on_pool!(self, p => {
            let _turn = self.write_turn().await;
            let mut tx = p.begin().await?;
            if lock_first {
                sqlx::query("UPDATE item_ledger_head SET seq = seq WHERE id = 1").execute(&mut *tx).await?;
            }
            let rows = sqlx::query_as::<_, ItemRow>(sqlx::AssertSqlSafe(sql.clone()))
                .bind(now).bind(batch).fetch_all(&mut *tx).await?;
            if rows.is_empty() {
                tx.rollback().await?;
                return Ok(run);
            }
            let mut events = Vec::with_capacity(rows.len());
            let mut notices = Vec::with_capacity(rows.len());
            for row in rows {
                let progress = DeadlineProgress {
                    reminders_sent: row.reminders_sent.clamp(0, 255) as u8,
                    escalation_level: row.escalation_level.clamp(0, 255) as u8,
                };
                let Some((at, wake)) = policy.next(row.due_at, progress) else {
                    sqlx::query("UPDATE items SET next_wake_at = NULL WHERE id = $1")
                        .bind(row.id.clone()).execute(&mut *tx).await?;
                    continue;
                };
                if at > now {
                    // The policy changed since this item was scheduled.
                    sqlx::query("UPDATE items SET next_wake_at = $2 WHERE id = $1")
                        .bind(row.id.clone()).bind(at).execute(&mut *tx).await?;
                    continue;
                }
                let after = policy.apply(progress, wake);
                let next = policy.next(row.due_at, after).map(|(t, _)| t);
                let area = row.area()?;
                let (kind, payload, to) = match wake {
                    Wake::Remind { index } => {
                        run.reminded += 1;
                        let to = match &row.owner_officer_id {
                            Some(o) => Recipients::Officers(vec![o.clone()]),
                            None => Recipients::Unit(row.owner_unit_id.clone()),
                        };
                        (EventKind::Remind, serde_json::json!({"reminder": index + 1}), to)
                    }
                    Wake::Escalate { level } => {
                        run.escalated += 1;
                        let to = if level == 1 {
                            match leaders.get(&row.owner_unit_id) {
                                Some(r) => r.clone(),
                                None => {
                                    let ids: Vec<String> = sqlx::query_scalar(
                                        "SELECT DISTINCT o.id FROM officers o JOIN duties d ON d.officer_id = o.id \
                                         AND d.role = 'leader' WHERE o.unit_id = $1 AND o.archived_at IS NULL ORDER BY o.id")
                                        .bind(row.owner_unit_id.clone()).fetch_all(&mut *tx).await?;
                                    let r = if ids.is_empty() { Recipients::Unit(row.owner_unit_id.clone()) } else { Recipients::Officers(ids) };
                                    leaders.insert(row.owner_unit_id.clone(), r.clone());
                                    r
                                }
                            }
                        } else {
                            let target = escalation_area(area, level);
                            match supervisors.get(&target.padded()) {
                                Some(r) => r.clone(),
                                None => {
                                    // The nearest supervising unit at or above the target area.
                                    let mut found = Recipients::Nobody;
                                    for a in target.path().into_iter().rev() {
                                        let u: Option<Option<String>> = sqlx::query_scalar(
                                            "SELECT supervising_unit_id FROM areas WHERE code = $1")
                                            .bind(a.padded()).fetch_optional(&mut *tx).await?;
                                        if let Some(Some(u)) = u {
                                            found = Recipients::Unit(u);
                                            break;
                                        }
                                    }
                                    supervisors.insert(target.padded(), found.clone());
                                    found
                                }
                            }
                        };
                        if level == 1 {
                            bump_rollup!(tx, area, "overdue", 1);
                        }
                        (EventKind::Escalate, serde_json::json!({"level": level, "area": escalation_area(area, level.max(2)).to_string()}), to)
                    }
                };
                let mut payload = payload;
                if let Some(obj) = payload.as_object_mut() {
                    obj.insert("to".into(), match &to {
                        Recipients::Officers(o) => serde_json::json!({"officers": o}),
                        Recipients::Unit(u) => serde_json::json!({"unit": u}),
                        Recipients::Nobody => serde_json::Value::Null,
                    });
                }
                let event = NewEvent {
                    item_id: row.id.clone(),
                    seq: row.head_seq + 1,
                    at: now,
                    actor_user_id: None,
                    kind: kind.as_str(),
                    from_state: None,
                    to_state: None,
                    note: None,
                    attachments: "[]".into(),
                    payload: payload.to_string(),
                    idem_key: None,
                };
                let hash = event.hash(&row.head_hash);
                let n = sqlx::query(
                    "UPDATE items SET reminders_sent = $2, escalation_level = $3, next_wake_at = $4, head_seq = $5, \
                     head_hash = $6, updated_at = $7 WHERE id = $1 AND head_seq = $8")
                    .bind(row.id.clone()).bind(i64::from(after.reminders_sent)).bind(i64::from(after.escalation_level))
                    .bind(next).bind(event.seq).bind(hash.clone()).bind(now).bind(row.head_seq)
                    .execute(&mut *tx).await?.rows_affected();
                if n == 0 {
                    continue;
                }
                let notice_kind = if kind == EventKind::Remind { "reminder" } else { "escalation" };
                let base = Notice {
                    id: String::new(),
                    at: now,
                    item_id: row.id.clone(),
                    kind: notice_kind,
                    level: i64::from(after.escalation_level),
                    unit_id: None,
                    officer_id: None,
                    area_code: row.area_code,
                    title: row.title.clone(),
                };
                match to {
                    Recipients::Officers(list) => {
                        for o in list {
                            notices.push(Notice { id: Uuid::now_v7().to_string(), officer_id: Some(o), ..base.clone() });
                        }
                    }
                    Recipients::Unit(u) => notices.push(Notice { id: Uuid::now_v7().to_string(), unit_id: Some(u), ..base }),
                    Recipients::Nobody => {}
                }
                events.push((event, row.head_hash.clone(), hash));
            }
            write_events!(tx, &events);
            write_notices!(tx, &notices);
            if !events.is_empty() {
                let entry = AuditEntry {
                    action: "deadlines",
                    entity: "item",
                    entity_id: None,
                    area: None,
                    detail: serde_json::json!({"reminded": run.reminded, "escalated": run.escalated}),
                };
                let system = Scope::everything();
                append_audit!(tx, now, system, [entry]);
            }
            tx.commit().await?;
        });
        Ok(run)
    }
}

/// The area whose supervising unit hears of an escalation to `level` (2 or more): the
/// item's own area at level 2, one area up per level after that, the root at most.
fn escalation_area(area: AreaCode, level: u8) -> AreaCode {
    let path = area.path();
    let up = usize::from(level.saturating_sub(2));
    let idx = path.len().saturating_sub(1).saturating_sub(up);
    path[idx.min(path.len() - 1)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escalation_climbs_the_tree() {
        let v = AreaCode::parse("500101001001").unwrap();
        let codes: Vec<String> = (2..=6).map(|l| escalation_area(v, l).to_string()).collect();
        assert_eq!(codes, ["500101001001", "500101001", "500101", "50", "50"]);
    }
}
