//! Archiving, written once: a record leaves lists and counts but is never deleted, and
//! the change is audited in the same transaction.

use anju_core::{AreaCode, Scope};
use uuid::Uuid;

use crate::audit::{AuditEntry, append_audit};
use crate::pool::on_pool;
use crate::{Result, Store};

/// The record types archived by a plain flag (households and houses also move counts;
/// units check what still refers to them).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Archivable {
    Officer,
}

impl Archivable {
    fn sql(self) -> &'static str {
        match self {
            Archivable::Officer => {
                "UPDATE officers SET archived_at = $2, updated_at = $2 WHERE id = $1 AND archived_at IS NULL"
            }
        }
    }

    fn entity(self) -> &'static str {
        match self {
            Archivable::Officer => "officer",
        }
    }
}

impl Store {
    /// Sets `archived_at` on a visible record the caller may archive (checked by the
    /// caller); archiving twice is a no-op and audits once.
    pub(crate) async fn archive_row(
        &self,
        scope: &Scope,
        kind: Archivable,
        id: Uuid,
        area: AreaCode,
    ) -> Result<()> {
        let now = self.now();
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query(kind.sql()).bind(id.to_string()).bind(now).execute(&mut *tx).await?.rows_affected();
            if n == 1 {
                append_audit!(tx, now, scope, [AuditEntry::new("archive", kind.entity(), id, Some(area))]);
            }
            tx.commit().await?;
        });
        Ok(())
    }
}
