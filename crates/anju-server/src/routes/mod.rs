pub mod areas;
pub mod audit;
pub mod auth;
pub mod exports;
pub mod field_forms;
pub mod households;
pub mod houses;
pub mod imports;
pub mod items;
pub mod officers;
pub mod prevention;
pub mod recovery;
#[macro_use]
pub mod registry;
pub mod reports;
pub mod system;
pub mod units;
pub mod users;

use anju_store::ListQuery;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::ApiError;
use crate::extract::area_param;

/// The query every registry list takes.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Limit to this area's whole subtree (2, 6, 9 or 12 digits).
    pub area: Option<String>,
    /// Text to look for in names (and addresses).
    pub q: Option<String>,
    /// Page size, 1–500 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Include archived records.
    pub include_archived: Option<bool>,
}

impl ListParams {
    pub fn to_query(&self) -> Result<ListQuery, ApiError> {
        Ok(ListQuery {
            area: self
                .area
                .as_deref()
                .map(|a| area_param("area", a))
                .transpose()?,
            q: self.q.clone(),
            limit: self.limit,
            cursor: self.cursor.clone(),
            include_archived: self.include_archived.unwrap_or(false),
        })
    }
}
