//! Prevention: `/risks` (risk points and hazard zones, the households they threaten),
//! `/sites` (settlement sites), `/plans` (evacuation plans, rosters) and each
//! household's site. docs/prevention.md describes the design.

use anju_core::ValidationError;
use anju_core::geometry::GeometryIssue;
use anju_core::prevention::{Hazard, RiskInput, SiteInput};
use anju_core::view::Page;
use anju_store::{
    GeoImportReport, HouseholdSiteView, PlanView, PreventionQuery, Replanned, RiskPatch,
    RiskRefusal, RiskView, RosterEntry, SitePatch, SiteView, ThreatView, parse_hazard,
};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiQuery, Caller, area_param, uuid_param};
use crate::routes::ListParams;
use crate::routes::items::client_id;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_risks, create_risk))
        .routes(routes!(export_risks))
        .routes(routes!(import_risks))
        .routes(routes!(get_risk, patch_risk))
        .routes(routes!(list_threats, link_threats))
        .routes(routes!(compute_threats))
        .routes(routes!(confirm_threats))
        .routes(routes!(list_sites, create_site))
        .routes(routes!(export_sites))
        .routes(routes!(import_sites))
        .routes(routes!(get_site, patch_site))
        .routes(routes!(list_plans, create_plan))
        .routes(routes!(get_plan))
        .routes(routes!(site_roster))
        .routes(routes!(household_sites))
}

fn geometry_refused(issues: Vec<GeometryIssue>) -> ApiError {
    let mut v = ValidationError::default();
    for i in issues {
        let code = match i.problem {
            anju_core::geometry::GeometryProblem::SelfIntersecting => "self_intersecting",
            anju_core::geometry::GeometryProblem::OutsideArea => "outside_area",
            anju_core::geometry::GeometryProblem::TooFewPositions => "too_few_positions",
            anju_core::geometry::GeometryProblem::OffGlobe => "off_globe",
            _ => "malformed",
        };
        v.push("geometry", code, i.message);
    }
    ApiError::Validation(v)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RiskParams {
    pub area: Option<String>,
    pub q: Option<String>,
    /// landslide, collapse, debris_flow, flood, waterlogging, reservoir or dyke.
    pub hazard: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

impl RiskParams {
    fn to_query(&self) -> Result<PreventionQuery, ApiError> {
        let list = ListParams {
            area: self.area.clone(),
            q: self.q.clone(),
            limit: self.limit,
            cursor: self.cursor.clone(),
            include_archived: None,
        }
        .to_query()?;
        let hazard = self.hazard.as_deref().map(parse_hazard).transpose()?;
        Ok(PreventionQuery { list, hazard })
    }
}

/// Risk points and hazard zones in the caller's subtree.
#[utoipa::path(get, path = "/risks", tag = "prevention", params(RiskParams),
    responses((status = 200, body = Page<RiskView>), (status = 400, body = Problem), (status = 422, body = Problem)))]
async fn list_risks(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<RiskParams>,
) -> Result<Json<Page<RiskView>>, ApiError> {
    Ok(Json(
        s.store.list_risks(&caller.scope, &p.to_query()?).await?,
    ))
}

/// Files a risk point (GeoJSON Point with `radius_m`) or a hazard zone (Polygon). An
/// unclosed ring is closed and latitude-first coordinates swapped; a self-intersecting
/// or out-of-area geometry is refused (422, naming the problem).
#[utoipa::path(post, path = "/risks", tag = "prevention", request_body = RiskInput,
    responses((status = 201, body = RiskView), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_risk(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(input): ApiJson<RiskInput>,
) -> Result<(StatusCode, Json<RiskView>), ApiError> {
    caller
        .scope
        .require(anju_core::Permission::Create)
        .map_err(|e| ApiError::Forbidden(e.to_string()))?;
    let risk = match s.store.check_risk(&caller.scope, 0, &input).await? {
        Ok((risk, _)) => risk,
        Err(RiskRefusal::Fields(v)) => return Err(v.into()),
        Err(RiskRefusal::Geometry(g)) => return Err(geometry_refused(g)),
    };
    let id = client_id(input.id, &headers, caller.user.id)?;
    let view = s.store.create_risk(&caller.scope, id, &risk).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[utoipa::path(get, path = "/risks/{id}", tag = "prevention", params(("id" = String, Path)),
    responses((status = 200, body = RiskView), (status = 404, body = Problem)))]
async fn get_risk(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<RiskView>, ApiError> {
    Ok(Json(
        s.store.risk(&caller.scope, uuid_param("id", &id)?).await?,
    ))
}

#[utoipa::path(patch, path = "/risks/{id}", tag = "prevention", params(("id" = String, Path)), request_body = RiskPatch,
    responses((status = 200, body = RiskView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn patch_risk(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<RiskPatch>,
) -> Result<Json<RiskView>, ApiError> {
    Ok(Json(
        s.store
            .patch_risk(&caller.scope, uuid_param("id", &id)?, &p)
            .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct HouseholdIds {
    pub household_ids: Vec<uuid::Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ConfirmInput {
    /// The candidates to confirm; all of them when absent.
    #[serde(default)]
    pub household_ids: Option<Vec<uuid::Uuid>>,
}

/// The households a risk threatens, confirmed or waiting for confirmation.
#[utoipa::path(get, path = "/risks/{id}/threats", tag = "prevention", params(("id" = String, Path)),
    responses((status = 200, body = Vec<ThreatView>), (status = 404, body = Problem)))]
async fn list_threats(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<ThreatView>>, ApiError> {
    Ok(Json(
        s.store
            .threats(&caller.scope, uuid_param("id", &id)?)
            .await?,
    ))
}

/// Links households to a risk by hand (confirmed at once).
#[utoipa::path(post, path = "/risks/{id}/threats", tag = "prevention", params(("id" = String, Path)), request_body = HouseholdIds,
    responses((status = 200, body = RiskView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn link_threats(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<HouseholdIds>,
) -> Result<Json<RiskView>, ApiError> {
    Ok(Json(
        s.store
            .link_threats(&caller.scope, uuid_param("id", &id)?, &b.household_ids)
            .await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Computed {
    pub risk: RiskView,
    /// Households found inside the zone or within the point's radius.
    pub found: i64,
}

/// Finds the households whose houses lie inside the zone (or within the point's radius)
/// and files them as candidates for an officer to confirm.
#[utoipa::path(post, path = "/risks/{id}/compute", tag = "prevention", params(("id" = String, Path)),
    responses((status = 200, body = Computed), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn compute_threats(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Computed>, ApiError> {
    let (risk, found) = s
        .store
        .compute_threats(&caller.scope, uuid_param("id", &id)?)
        .await?;
    Ok(Json(Computed { risk, found }))
}

#[utoipa::path(post, path = "/risks/{id}/confirm", tag = "prevention", params(("id" = String, Path)), request_body = ConfirmInput,
    responses((status = 200, body = RiskView), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn confirm_threats(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ConfirmInput>,
) -> Result<Json<RiskView>, ApiError> {
    Ok(Json(
        s.store
            .confirm_threats(
                &caller.scope,
                uuid_param("id", &id)?,
                b.household_ids.as_deref(),
            )
            .await?,
    ))
}

fn geojson_response(v: serde_json::Value) -> Response {
    let mut r = Json(v).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/geo+json"),
    );
    r
}

/// Risks as a GeoJSON FeatureCollection (the import's format).
#[utoipa::path(get, path = "/risks/export", tag = "prevention", params(RiskParams),
    responses((status = 200, content_type = "application/geo+json", body = Object), (status = 422, body = Problem)))]
async fn export_risks(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<RiskParams>,
) -> Result<Response, ApiError> {
    Ok(geojson_response(
        s.store
            .export_risks_geojson(&caller.scope, &p.to_query()?)
            .await?,
    ))
}

fn import_response(r: GeoImportReport) -> (StatusCode, Json<GeoImportReport>) {
    let status = if r.errors.is_empty() {
        StatusCode::CREATED
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (status, Json(r))
}

/// Imports a GeoJSON FeatureCollection of risk points and zones, all or nothing: every
/// bad feature is reported by index (422) and nothing is stored; repairs are listed.
#[utoipa::path(post, path = "/risks/import", tag = "prevention", request_body(content = String, content_type = "application/geo+json"),
    responses((status = 201, body = GeoImportReport), (status = 403, body = Problem), (status = 422, body = GeoImportReport)))]
async fn import_risks(
    State(s): State<AppState>,
    caller: Caller,
    body: String,
) -> Result<(StatusCode, Json<GeoImportReport>), ApiError> {
    caller
        .scope
        .require(anju_core::Permission::Create)
        .map_err(|e| ApiError::Forbidden(e.to_string()))?;
    Ok(import_response(
        s.store.import_risks_geojson(&caller.scope, &body).await?,
    ))
}

/// Settlement sites in the caller's subtree.
#[utoipa::path(get, path = "/sites", tag = "prevention", params(ListParams),
    responses((status = 200, body = Page<SiteView>), (status = 400, body = Problem), (status = 422, body = Problem)))]
async fn list_sites(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Json<Page<SiteView>>, ApiError> {
    Ok(Json(
        s.store.list_sites(&caller.scope, &p.to_query()?).await?,
    ))
}

#[utoipa::path(post, path = "/sites", tag = "prevention", request_body = SiteInput,
    responses((status = 201, body = SiteView), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_site(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(input): ApiJson<SiteInput>,
) -> Result<(StatusCode, Json<SiteView>), ApiError> {
    caller
        .scope
        .require(anju_core::Permission::Create)
        .map_err(|e| ApiError::Forbidden(e.to_string()))?;
    let site = input.validate()?;
    let site = match s.store.check_site(&caller.scope, 0, site).await? {
        Ok((site, _)) => site,
        Err(g) => return Err(geometry_refused(g)),
    };
    let id = client_id(input.id, &headers, caller.user.id)?;
    Ok((
        StatusCode::CREATED,
        Json(s.store.create_site(&caller.scope, id, &site).await?),
    ))
}

#[utoipa::path(get, path = "/sites/{id}", tag = "prevention", params(("id" = String, Path)),
    responses((status = 200, body = SiteView), (status = 404, body = Problem)))]
async fn get_site(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<SiteView>, ApiError> {
    Ok(Json(
        s.store.site(&caller.scope, uuid_param("id", &id)?).await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SitePatched {
    pub site: SiteView,
    /// The plans re-planned because the site's status or capacity changed.
    pub replanned: Vec<Replanned>,
}

/// Changes a site. Closing, damaging or re-opening it (or changing its capacity)
/// re-plans every plan that may use it with the fewest households moved.
#[utoipa::path(patch, path = "/sites/{id}", tag = "prevention", params(("id" = String, Path)), request_body = SitePatch,
    responses((status = 200, body = SitePatched), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn patch_site(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<SitePatch>,
) -> Result<Json<SitePatched>, ApiError> {
    let (site, replanned) = s
        .store
        .patch_site(&caller.scope, uuid_param("id", &id)?, &p)
        .await?;
    Ok(Json(SitePatched { site, replanned }))
}

/// Sites as a GeoJSON FeatureCollection.
#[utoipa::path(get, path = "/sites/export", tag = "prevention", params(ListParams),
    responses((status = 200, content_type = "application/geo+json", body = Object), (status = 422, body = Problem)))]
async fn export_sites(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Response, ApiError> {
    Ok(geojson_response(
        s.store
            .export_sites_geojson(&caller.scope, &p.to_query()?)
            .await?,
    ))
}

/// Imports sites from a GeoJSON FeatureCollection of Points, or from CSV when the body is
/// `text/csv` (docs/prevention.md lists the columns). All or nothing, like risks.
#[utoipa::path(post, path = "/sites/import", tag = "prevention", request_body(content = String, content_type = "application/geo+json"),
    responses((status = 201, body = GeoImportReport), (status = 403, body = Problem), (status = 422, body = GeoImportReport)))]
async fn import_sites(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: String,
) -> Result<(StatusCode, Json<GeoImportReport>), ApiError> {
    caller
        .scope
        .require(anju_core::Permission::Create)
        .map_err(|e| ApiError::Forbidden(e.to_string()))?;
    let csv = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/csv"));
    let report = if csv {
        s.store.import_sites_csv(&caller.scope, &body).await?
    } else {
        s.store.import_sites_geojson(&caller.scope, &body).await?
    };
    Ok(import_response(report))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlanParams {
    pub area: Option<String>,
}

/// Plans in the caller's subtree, newest first (figures only).
#[utoipa::path(get, path = "/plans", tag = "prevention", params(PlanParams),
    responses((status = 200, body = Vec<PlanView>), (status = 422, body = Problem)))]
async fn list_plans(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<PlanParams>,
) -> Result<Json<Vec<PlanView>>, ApiError> {
    let area = p
        .area
        .as_deref()
        .map(|a| area_param("area", a))
        .transpose()?;
    Ok(Json(s.store.list_plans(&caller.scope, area).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PlanInput {
    #[serde(default)]
    pub id: Option<uuid::Uuid>,
    /// The area to plan for: everyone its risks threaten for `hazard`. A user whose
    /// scope is smaller plans their own part.
    pub area: String,
    #[schema(value_type = String)]
    pub hazard: String,
}

/// Plans the evacuation of everyone the area's risk points and zones threaten for the
/// hazard, to the open sites of its district: whole households, every capacity kept,
/// the vulnerable first and not far; the unplaced listed with their reason.
#[utoipa::path(post, path = "/plans", tag = "prevention", request_body = PlanInput,
    responses((status = 201, body = PlanView), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_plan(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(p): ApiJson<PlanInput>,
) -> Result<(StatusCode, Json<PlanView>), ApiError> {
    let area = area_param("area", &p.area)?;
    let hazard: Hazard = parse_hazard(&p.hazard)?;
    let id = client_id(p.id, &headers, caller.user.id)?;
    let plan = s.store.create_plan(&caller.scope, id, area, hazard).await?;
    Ok((StatusCode::CREATED, Json(plan)))
}

/// A plan's figures, its sites with their loads, the unplaced with reasons, and what the
/// last re-plan changed.
#[utoipa::path(get, path = "/plans/{id}", tag = "prevention", params(("id" = String, Path)),
    responses((status = 200, body = PlanView), (status = 404, body = Problem)))]
async fn get_plan(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<PlanView>, ApiError> {
    Ok(Json(
        s.store.plan(&caller.scope, uuid_param("id", &id)?).await?,
    ))
}

/// The printable roster of one site in a plan: names, household size, vulnerable members,
/// contact and the cadre responsible.
#[utoipa::path(get, path = "/plans/{id}/sites/{site_id}/roster", tag = "prevention",
    params(("id" = String, Path), ("site_id" = String, Path)),
    responses((status = 200, body = Vec<RosterEntry>), (status = 404, body = Problem)))]
async fn site_roster(
    State(s): State<AppState>,
    caller: Caller,
    Path((id, site)): Path<(String, String)>,
) -> Result<Json<Vec<RosterEntry>>, ApiError> {
    let (id, site) = (uuid_param("id", &id)?, uuid_param("site_id", &site)?);
    Ok(Json(s.store.plan_roster(&caller.scope, id, site).await?))
}

/// Where a household goes in every plan that includes it.
#[utoipa::path(get, path = "/households/{id}/sites", tag = "prevention", params(("id" = String, Path)),
    responses((status = 200, body = Vec<HouseholdSiteView>), (status = 404, body = Problem)))]
async fn household_sites(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<HouseholdSiteView>>, ApiError> {
    Ok(Json(
        s.store
            .household_sites(&caller.scope, uuid_param("id", &id)?)
            .await?,
    ))
}
