//! Photos and files, stored once by the SHA-256 of their content, size-limited and
//! type-checked by their first bytes (a client's Content-Type is only a claim).

use anju_core::{Permission, Scope, ValidationError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::pool::on_pool;
use crate::{Result, Store, StoreError};

/// The largest attachment accepted: a phone photo after downscaling is far smaller; a
/// scanned PDF may be this big.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AttachmentMeta {
    /// SHA-256 of the content, hex.
    pub hash: String,
    pub content_type: String,
    pub size: i64,
    pub name: Option<String>,
}

/// The content types accepted, told apart by their magic bytes.
pub fn sniff(data: &[u8]) -> Option<&'static str> {
    if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if data.len() >= 12 && &data[..4] == b"RIFF" && &data[8..12] == b"WEBP" {
        Some("image/webp")
    } else if data.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

/// Records, inside `$tx`, that each attachment in `$metas` belongs to a record in `$area`.
macro_rules! ref_attachments {
    ($tx:expr, $metas:expr, $entity:expr, $entity_id:expr, $area:expr) => {{
        let metas: &[$crate::attachments::AttachmentMeta] = $metas;
        let entity_id: String = $entity_id;
        let area: anju_core::AreaCode = $area;
        for m in metas {
            sqlx::query(
                "INSERT INTO attachment_refs (hash, entity, entity_id, area_code) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(m.hash.clone()).bind($entity).bind(entity_id.clone()).bind(area.padded())
            .execute(&mut *$tx).await?;
        }
    }};
}
pub(crate) use ref_attachments;

impl Store {
    /// Stores an attachment; the same bytes sent again give the same hash and no new row.
    pub async fn put_attachment(
        &self,
        scope: &Scope,
        data: &[u8],
        claimed_type: Option<&str>,
        name: Option<&str>,
    ) -> Result<AttachmentMeta> {
        scope.require(Permission::Create)?;
        let actor = scope
            .actor()
            .ok_or(StoreError::Forbidden(Permission::Create))?;
        if data.is_empty() {
            return Err(ValidationError::single("file", "empty", "the file is empty").into());
        }
        if data.len() > MAX_ATTACHMENT_BYTES {
            return Err(ValidationError::single(
                "file",
                "too_large",
                format!("at most {} MiB", MAX_ATTACHMENT_BYTES / (1024 * 1024)),
            )
            .into());
        }
        let Some(kind) = sniff(data) else {
            return Err(ValidationError::single(
                "file",
                "unsupported_type",
                "only JPEG, PNG, WebP photos and PDF files",
            )
            .into());
        };
        if let Some(c) = claimed_type
            && !c.is_empty()
            && c != "application/octet-stream"
            && !c.eq_ignore_ascii_case(kind)
        {
            return Err(ValidationError::single(
                "content_type",
                "type_mismatch",
                format!("the file is {kind}, not {c}"),
            )
            .into());
        }
        let name = name
            .map(|n| {
                n.chars()
                    .filter(|c| !c.is_control())
                    .take(200)
                    .collect::<String>()
            })
            .filter(|n| !n.trim().is_empty());
        let hash = hex::encode(Sha256::digest(data));
        let now = self.now();
        on_pool!(self, p => {
            sqlx::query(
                "INSERT INTO attachments (hash, content_type, size, name, data, uploaded_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (hash) DO NOTHING",
            )
            .bind(hash.clone()).bind(kind).bind(data.len() as i64).bind(name.clone()).bind(data.to_vec())
            .bind(actor.user_id.to_string()).bind(now)
            .execute(p).await?;
        });
        Ok(AttachmentMeta {
            hash,
            content_type: kind.to_owned(),
            size: data.len() as i64,
            name,
        })
    }

    /// Whether `scope` may read this attachment: it uploaded it, or the attachment
    /// belongs to a record in its subtree.
    async fn may_read_attachment(&self, scope: &Scope, hash: &str) -> Result<bool> {
        let (lo, hi) = scope.range();
        let me = scope
            .actor()
            .map(|a| a.user_id.to_string())
            .unwrap_or_default();
        let n: i64 = on_pool!(self, p => sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM attachments WHERE hash = $1 AND uploaded_by = $2) + \
             (SELECT COUNT(*) FROM attachment_refs WHERE hash = $1 AND area_code >= $3 AND area_code < $4)")
            .bind(hash).bind(me).bind(lo).bind(hi).fetch_one(p).await?);
        Ok(n > 0 || scope.root().is_none() && scope.actor().is_none())
    }

    /// An attachment's metadata and bytes, if `scope` may read it.
    pub async fn attachment(&self, scope: &Scope, hash: &str) -> Result<(AttachmentMeta, Vec<u8>)> {
        scope.require(Permission::Read)?;
        if !anju_core::item::is_content_hash(hash) || !self.may_read_attachment(scope, hash).await?
        {
            return Err(StoreError::NotFound);
        }
        let row: Option<(String, i64, Option<String>, Vec<u8>)> = on_pool!(self, p => sqlx::query_as(
            "SELECT content_type, size, name, data FROM attachments WHERE hash = $1")
            .bind(hash).fetch_optional(p).await?);
        let (content_type, size, name, data) = row.ok_or(StoreError::NotFound)?;
        Ok((
            AttachmentMeta {
                hash: hash.to_owned(),
                content_type,
                size,
                name,
            },
            data,
        ))
    }

    /// The metadata of attachments a write names, checking each exists and is readable
    /// by the writer.
    pub(crate) async fn attachments_for(
        &self,
        scope: &Scope,
        field: &str,
        hashes: &[String],
    ) -> Result<Vec<AttachmentMeta>> {
        let mut out = Vec::with_capacity(hashes.len());
        let mut v = ValidationError::default();
        for (i, h) in hashes.iter().enumerate() {
            if out.iter().any(|m: &AttachmentMeta| &m.hash == h) {
                continue;
            }
            let row: Option<(String, i64, Option<String>)> =
                if self.may_read_attachment(scope, h).await? {
                    on_pool!(self, p => sqlx::query_as(
                    "SELECT content_type, size, name FROM attachments WHERE hash = $1")
                    .bind(h.clone()).fetch_optional(p).await?)
                } else {
                    None
                };
            match row {
                Some((content_type, size, name)) => out.push(AttachmentMeta {
                    hash: h.clone(),
                    content_type,
                    size,
                    name,
                }),
                None => v.push(
                    format!("{field}[{i}]"),
                    "unknown_attachment",
                    "upload the file first (POST /api/v1/attachments)",
                ),
            }
        }
        Ok(v.finish(out)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"%PDF-1.7"), Some("application/pdf"));
        assert_eq!(sniff(b"<html>"), None);
        assert_eq!(sniff(b"MZ\x90\0"), None);
    }
}
