//! Field forms (KoboToolbox, ODK): the column mapping saved per form name.
//!
//! A mapping belongs to the area of whoever saved it (`field_forms.area_code`; 0 for the
//! command line, which acts everywhere). A user reads the one saved nearest on their own
//! path: their area's, else the town's, district's or city's. So the city publishes the
//! mapping of its standard form, a district that changed a question keeps its own, and a
//! sibling district never sees (nor overwrites) it.

use anju_core::{AreaCode, AreaLevel, Permission, Scope, ValidationError};
use anju_io::field::FieldMapping;
use serde::Serialize;

use crate::audit::{AuditEntry, append_audit};
use crate::pool::on_pool;
use crate::{Result, Store, StoreError};

/// Form names as Kobo and ODK give them (`form_id`, the XLSForm's title) are short.
pub const MAX_FORM_NAME_CHARS: usize = 100;

/// A saved mapping as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldFormView {
    pub name: String,
    /// The area whose users it serves (`""` when saved for everywhere).
    pub area: String,
    /// `{"fields": {"house_id": "house/house_id", …}, "grades": {"1": "A", …}}`.
    #[schema(value_type = Object)]
    pub mapping: FieldMapping,
    pub updated_at: String,
}

#[derive(sqlx::FromRow)]
struct FormRow {
    name: String,
    area_code: i64,
    mapping: String,
    updated_at: i64,
}

pub(crate) fn check_form_name(name: &str) -> Result<String> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > MAX_FORM_NAME_CHARS || n.chars().any(char::is_control) {
        return Err(ValidationError::single(
            "name",
            "invalid_name",
            format!("a form name of 1 to {MAX_FORM_NAME_CHARS} characters"),
        )
        .into());
    }
    Ok(n.to_owned())
}

/// The level of a padded code: GB/T 2260 numbers no town or village `000`, so the
/// trailing zeros say where the code ends.
fn level_of(padded: i64) -> AreaLevel {
    if padded % 1000 != 0 {
        AreaLevel::Village
    } else if padded % 1_000_000 != 0 {
        AreaLevel::Town
    } else if padded % 10_000_000_000 != 0 {
        AreaLevel::District
    } else {
        AreaLevel::City
    }
}

fn view(r: FormRow) -> Result<FieldFormView> {
    let mapping: FieldMapping =
        serde_json::from_str(&r.mapping).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let area = if r.area_code == 0 {
        String::new()
    } else {
        AreaCode::from_padded(r.area_code, level_of(r.area_code))
            .map(|a| a.to_string())
            .map_err(|e| StoreError::Corrupt(e.to_string()))?
    };
    Ok(FieldFormView {
        name: r.name,
        area,
        mapping,
        updated_at: anju_core::officer::format_time(r.updated_at),
    })
}

impl Store {
    /// The mapping of form `name` saved nearest on the caller's path; for the command
    /// line (everywhere), the broadest one saved.
    pub async fn field_form(&self, scope: &Scope, name: &str) -> Result<FieldFormView> {
        scope.require(Permission::Read)?;
        let name = check_form_name(name)?;
        let row: Option<FormRow> = match scope.root() {
            Some(root) => {
                // A path has at most four areas (city, district, town, village); the
                // unused places repeat 0, the code of "everywhere".
                let mut path = [0i64; 4];
                for (slot, a) in path.iter_mut().zip(root.path()) {
                    *slot = a.padded();
                }
                on_pool!(self, p => sqlx::query_as(
                    "SELECT name, area_code, mapping, updated_at FROM field_forms WHERE name = $1 \
                     AND area_code IN (0, $2, $3, $4, $5) ORDER BY area_code DESC LIMIT 1")
                    .bind(&name).bind(path[0]).bind(path[1]).bind(path[2]).bind(path[3])
                    .fetch_optional(p).await?)
            }
            None => on_pool!(self, p => sqlx::query_as(
                "SELECT name, area_code, mapping, updated_at FROM field_forms WHERE name = $1 \
                 ORDER BY area_code LIMIT 1")
                .bind(name).fetch_optional(p).await?),
        };
        view(row.ok_or(StoreError::NotFound)?)
    }

    /// Saves the mapping of form `name` for the caller's area (replacing the one saved
    /// there before). Importers may save: the mapping is how they import.
    pub async fn save_field_form(
        &self,
        scope: &Scope,
        name: &str,
        mapping: &FieldMapping,
    ) -> Result<FieldFormView> {
        scope.require(Permission::Create)?;
        let name = check_form_name(name)?;
        if let Err(problems) = mapping.check() {
            let mut v = ValidationError::default();
            for p in problems {
                v.push("mapping", "invalid_mapping", p);
            }
            return Err(v.into());
        }
        let area = scope.root().map_or(0, AreaCode::padded);
        let json =
            serde_json::to_string(mapping).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let now = self.now();
        let user = scope.actor().map(|a| a.user_id.to_string());
        on_pool!(self, p => {
            let _turn = self.write_turn().await;
            let mut tx = p.begin().await?;
            sqlx::query(
                "INSERT INTO field_forms (name, area_code, mapping, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (name, area_code) DO UPDATE SET mapping = excluded.mapping, \
                 updated_at = excluded.updated_at, updated_by = excluded.updated_by")
                .bind(&name).bind(area).bind(&json).bind(now).bind(user)
                .execute(&mut *tx).await?;
            let entry = AuditEntry {
                action: "save",
                entity: "field_form",
                entity_id: Some(name.clone()),
                area: scope.root(),
                detail: serde_json::json!({ "fields": mapping.fields.len(), "grades": mapping.grades.len() }),
            };
            append_audit!(tx, now, scope, [entry]);
            tx.commit().await?;
        });
        Ok(FieldFormView {
            name,
            area: scope.root().map(|a| a.to_string()).unwrap_or_default(),
            mapping: mapping.clone(),
            updated_at: anju_core::officer::format_time(now),
        })
    }
}
