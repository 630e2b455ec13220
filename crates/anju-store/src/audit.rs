//! The access audit: every write appends a row, hash-chained to the one before, in the
//! same transaction as the write.

use anju_core::officer::format_time;
use anju_core::{AreaCode, Permission, Scope};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::pool::on_pool;
use crate::{Result, Store, StoreError};

/// What one write did, for the audit trail.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub action: &'static str,
    pub entity: &'static str,
    pub entity_id: Option<String>,
    pub area: Option<AreaCode>,
    pub detail: serde_json::Value,
}

impl AuditEntry {
    pub fn new(
        action: &'static str,
        entity: &'static str,
        entity_id: impl ToString,
        area: Option<AreaCode>,
    ) -> Self {
        AuditEntry {
            action,
            entity,
            entity_id: Some(entity_id.to_string()),
            area,
            detail: serde_json::Value::Null,
        }
    }

    pub fn detail(mut self, d: serde_json::Value) -> Self {
        self.detail = d;
        self
    }
}

/// The audit rows for an insert: one naming the record when a single one was created, one
/// summary row for a bulk load (a demo or an import of thousands).
pub(crate) fn insert_entries(
    entity: &'static str,
    scope: &Scope,
    single: Option<(uuid::Uuid, AreaCode)>,
    count: usize,
) -> Vec<AuditEntry> {
    match single {
        Some((id, area)) if count == 1 => vec![AuditEntry::new("create", entity, id, Some(area))],
        _ => vec![AuditEntry {
            action: "import",
            entity,
            entity_id: None,
            area: scope.root(),
            detail: serde_json::json!({ "records": count }),
        }],
    }
}

/// The canonical content a row's hash covers: its fields in a fixed order as JSON.
#[allow(clippy::too_many_arguments)]
pub(crate) fn row_hash(
    seq: i64,
    at: i64,
    user_id: Option<&str>,
    ip: Option<&str>,
    action: &str,
    entity: &str,
    entity_id: Option<&str>,
    area: Option<i64>,
    detail: &str,
    prev: &str,
) -> String {
    let canonical = serde_json::to_string(&(
        seq, at, user_id, ip, action, entity, entity_id, area, detail, prev,
    ))
    .unwrap_or_default();
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

/// Appends entries to the audit chain inside the caller's transaction `$tx`: one statement
/// takes the head (and with it the write lock, so concurrent appends queue) and one inserts
/// the rows; the head's hash follows the last row by trigger (migration 0008).
macro_rules! append_audit {
    ($tx:expr, $now:expr, $scope:expr, $entries:expr) => {{
        let actor = $scope.actor();
        let user_id = actor.map(|a| a.user_id.to_string());
        let ip = actor.and_then(|a| a.ip).map(|ip| ip.to_string());
        let entries: Vec<$crate::audit::AuditEntry> = $entries.into_iter().collect();
        if !entries.is_empty() {
            let (last, mut prev): (i64, String) =
                sqlx::query_as("UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash")
                    .bind(entries.len() as i64)
                    .fetch_one(&mut *$tx)
                    .await?;
            let first = last - entries.len() as i64 + 1;
            let mut rows = Vec::with_capacity(entries.len());
            for (i, e) in entries.iter().enumerate() {
                let seq = first + i as i64;
                let detail = e.detail.to_string();
                let area = e.area.map(anju_core::AreaCode::padded);
                let hash = $crate::audit::row_hash(
                    seq, $now, user_id.as_deref(), ip.as_deref(), e.action, e.entity,
                    e.entity_id.as_deref(), area, &detail, &prev,
                );
                rows.push((seq, e, area, detail, std::mem::replace(&mut prev, hash.clone()), hash));
            }
            for chunk in rows.chunks(1000) {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO audit (seq, at, user_id, ip, action, entity, entity_id, area_code, detail, prev_hash, hash) ",
                );
                qb.push_values(chunk, |mut b, (seq, e, area, detail, prev, hash)| {
                    b.push_bind(*seq)
                        .push_bind($now)
                        .push_bind(user_id.clone())
                        .push_bind(ip.clone())
                        .push_bind(e.action)
                        .push_bind(e.entity)
                        .push_bind(e.entity_id.clone())
                        .push_bind(*area)
                        .push_bind(detail.clone())
                        .push_bind(prev.clone())
                        .push_bind(hash.clone());
                });
                qb.build().execute(&mut *$tx).await?;
            }
        }
    }};
}
pub(crate) use append_audit;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditView {
    pub seq: i64,
    pub at: String,
    pub user_id: Option<String>,
    pub username: Option<String>,
    pub ip: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    pub area: Option<String>,
    pub detail: serde_json::Value,
    pub hash: String,
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    seq: i64,
    at: i64,
    user_id: Option<String>,
    username: Option<String>,
    ip: Option<String>,
    action: String,
    entity: String,
    entity_id: Option<String>,
    area_code: Option<i64>,
    area_level: Option<String>,
    detail: String,
    prev_hash: String,
    hash: String,
}

/// The first break found in a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainBreak {
    pub seq: i64,
    pub problem: String,
}

/// The result of checking the audit chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainReport {
    pub rows: i64,
    pub first_break: Option<ChainBreak>,
}

impl Store {
    /// A page of the audit trail for `area`'s subtree (newest first), for admins.
    pub async fn audit(
        &self,
        scope: &Scope,
        area: Option<AreaCode>,
        limit: i64,
        before: Option<i64>,
    ) -> Result<(Vec<AuditView>, Option<i64>)> {
        scope.require(Permission::ReadAudit)?;
        let Some((lo, hi)) = scope.narrow(area) else {
            return Ok((vec![], None));
        };
        let limit = limit.clamp(1, 500);
        // Rows with no area (sign-ins, system jobs) are shown only to whole-system scopes.
        let unrestricted = i64::from(scope.root().is_none() && area.is_none());
        let rows = on_pool!(self, p => sqlx::query_as::<_, AuditRow>(
            "SELECT a.seq, a.at, a.user_id, u.username, a.ip, a.action, a.entity, a.entity_id, a.area_code, \
             ar.level AS area_level, a.detail, a.prev_hash, a.hash \
             FROM audit a LEFT JOIN users u ON u.id = a.user_id LEFT JOIN areas ar ON ar.code = a.area_code \
             WHERE ((a.area_code >= $1 AND a.area_code < $2) OR ($3 = 1 AND a.area_code IS NULL)) AND a.seq < $4 \
             ORDER BY a.seq DESC LIMIT $5")
            .bind(lo).bind(hi).bind(unrestricted).bind(before.unwrap_or(i64::MAX)).bind(limit + 1)
            .fetch_all(p).await?);
        let more = rows.len() as i64 > limit;
        let views: Vec<AuditView> = rows
            .into_iter()
            .take(limit as usize)
            .map(|r| AuditView {
                seq: r.seq,
                at: format_time(r.at),
                user_id: r.user_id,
                username: r.username,
                ip: r.ip,
                action: r.action,
                entity: r.entity,
                entity_id: r.entity_id,
                area: match (
                    r.area_code,
                    r.area_level
                        .as_deref()
                        .and_then(anju_core::AreaLevel::parse),
                ) {
                    (Some(c), Some(l)) => AreaCode::from_padded(c, l).ok().map(|c| c.to_string()),
                    _ => None,
                },
                detail: serde_json::from_str(&r.detail).unwrap_or(serde_json::Value::Null),
                hash: r.hash,
            })
            .collect();
        let next = if more {
            views.last().map(|v| v.seq)
        } else {
            None
        };
        Ok((views, next))
    }

    /// Recomputes every row's hash and link; reports the first break.
    pub async fn verify_audit(&self) -> Result<ChainReport> {
        let rows = on_pool!(self, p => sqlx::query_as::<_, AuditRow>(
            "SELECT a.seq, a.at, a.user_id, NULL AS username, a.ip, a.action, a.entity, a.entity_id, a.area_code, \
             NULL AS area_level, a.detail, a.prev_hash, a.hash FROM audit a ORDER BY a.seq")
            .fetch_all(p).await?);
        let (head_seq, head_hash): (i64, String) = on_pool!(self, p => sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(p).await?);
        let mut prev = "0".repeat(64);
        let mut expected_seq = 1;
        let n = rows.len() as i64;
        for r in rows {
            let problem = if r.seq != expected_seq {
                Some(format!("row {expected_seq} is missing"))
            } else if r.prev_hash != prev {
                Some("its previous-hash link does not match the row before".to_owned())
            } else {
                let h = row_hash(
                    r.seq,
                    r.at,
                    r.user_id.as_deref(),
                    r.ip.as_deref(),
                    &r.action,
                    &r.entity,
                    r.entity_id.as_deref(),
                    r.area_code,
                    &r.detail,
                    &r.prev_hash,
                );
                (h != r.hash).then(|| "its content does not match its hash".to_owned())
            };
            if let Some(problem) = problem {
                return Ok(ChainReport {
                    rows: n,
                    first_break: Some(ChainBreak {
                        seq: r.seq.min(expected_seq),
                        problem,
                    }),
                });
            }
            prev = r.hash;
            expected_seq += 1;
        }
        if head_seq != expected_seq - 1 || head_hash != prev {
            return Ok(ChainReport {
                rows: n,
                first_break: Some(ChainBreak {
                    seq: head_seq,
                    problem: "rows at the end of the chain are missing".into(),
                }),
            });
        }
        Ok(ChainReport {
            rows: n,
            first_break: None,
        })
    }
}

impl From<anju_core::Forbidden> for StoreError {
    fn from(f: anju_core::Forbidden) -> Self {
        StoreError::Forbidden(f.0)
    }
}
