//! `/houses`: houses with their point, structure and owner household.

crate::routes::registry::registry_resource! {
    collection: "/houses",
    item: "/houses/{id}",
    input: anju_core::household::HouseInput,
    valid: anju_core::household::House,
    view: anju_core::view::HouseView,
    validate: |input, today| input.validate(today),
    store: { list: list_houses, get: house, create: create_house, update: update_house, archive: archive_house },
    operation_ids: ["list_houses", "create_house", "get_house", "update_house", "archive_house"],
}

/// `POST /houses/{id}/restore`: an archived house comes back, with its recovery figures.
pub fn restore_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(restore_house))
}

/// Restores an archived house; its assessments and case count again in the figures.
#[utoipa::path(post, path = "/houses/{id}/restore", tag = "registry",
    params(("id" = String, Path, description = "Record id (UUID)")),
    responses((status = 200, body = anju_core::view::HouseView), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn restore_house(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<anju_core::view::HouseView>, ApiError> {
    let id = uuid_param("id", &id)?;
    Ok(Json(s.store.restore_house(&caller.scope, id).await?))
}
