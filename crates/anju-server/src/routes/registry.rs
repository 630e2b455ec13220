//! The five routes every registry record has — list, create, get, update, archive —
//! written once and instantiated per record type, so they cannot drift apart.

/// Generates `router()` and the five handlers for one record type.
macro_rules! registry_resource {
    (
        collection: $collection:literal,
        item: $item:literal,
        input: $input:ty,
        valid: $valid:ty,
        view: $view:ty,
        validate: |$inp:ident, $today:ident| $validate:expr,
        store: { list: $list:ident, get: $get:ident, create: $create:ident, update: $update:ident, archive: $archive:ident },
        operation_ids: [$op_list:literal, $op_create:literal, $op_get:literal, $op_update:literal, $op_archive:literal] $(,)?
    ) => {
        use anju_core::view::Page;
        use axum::extract::{Path, State};
        use axum::http::StatusCode;
        use axum::Json;
        use utoipa_axum::{router::OpenApiRouter, routes};

        use crate::error::{ApiError, Problem};
        use crate::extract::{ApiJson, ApiQuery, Caller, uuid_param};
        use crate::routes::ListParams;
        use crate::AppState;

        pub fn router() -> OpenApiRouter<AppState> {
            OpenApiRouter::new()
                .routes(routes!(list, create))
                .routes(routes!(get, update, archive))
        }

        fn check($inp: &$input, $today: time::Date) -> Result<$valid, anju_core::ValidationError> {
            $validate
        }

        /// A page of records in the caller's scope, optionally limited to an area's
        /// subtree and filtered by text.
        #[utoipa::path(get, path = $collection, tag = "registry", operation_id = $op_list,
            params(ListParams),
            responses((status = 200, body = Page<$view>), (status = 400, body = Problem), (status = 422, body = Problem)))]
        async fn list(
            State(s): State<AppState>,
            caller: Caller,
            ApiQuery(p): ApiQuery<ListParams>,
        ) -> Result<Json<Page<$view>>, ApiError> {
            Ok(Json(s.store.$list(&caller.scope, &p.to_query()?).await?))
        }

        /// Creates a record. An `id` chosen by the client (offline entry) is kept; sending
        /// the same id again is a conflict, never a duplicate.
        #[utoipa::path(post, path = $collection, tag = "registry", operation_id = $op_create,
            request_body = $input,
            responses((status = 201, body = $view), (status = 400, body = Problem), (status = 403, body = Problem),
                      (status = 409, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
        async fn create(
            State(s): State<AppState>,
            caller: Caller,
            ApiJson(input): ApiJson<$input>,
        ) -> Result<(StatusCode, Json<$view>), ApiError> {
            let valid = check(&input, s.store.clock().today())?;
            let v = s.store.$create(&caller.scope, input.id, &valid).await?;
            Ok((StatusCode::CREATED, Json(v)))
        }

        #[utoipa::path(get, path = $item, tag = "registry", operation_id = $op_get,
            params(("id" = String, Path, description = "Record id (UUID)")),
            responses((status = 200, body = $view), (status = 404, body = Problem)))]
        async fn get(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<$view>, ApiError> {
            let id = uuid_param("id", &id)?;
            Ok(Json(s.store.$get(&caller.scope, id).await?))
        }

        /// Replaces a record's fields.
        #[utoipa::path(put, path = $item, tag = "registry", operation_id = $op_update,
            params(("id" = String, Path, description = "Record id (UUID)")),
            request_body = $input,
            responses((status = 200, body = $view), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
        async fn update(
            State(s): State<AppState>,
            caller: Caller,
            Path(id): Path<String>,
            ApiJson(input): ApiJson<$input>,
        ) -> Result<Json<$view>, ApiError> {
            let id = uuid_param("id", &id)?;
            let valid = check(&input, s.store.clock().today())?;
            Ok(Json(s.store.$update(&caller.scope, id, &valid).await?))
        }

        /// Archives a record: it leaves lists and counts, and stays readable. Nothing
        /// referenced is ever deleted.
        #[utoipa::path(delete, path = $item, tag = "registry", operation_id = $op_archive,
            params(("id" = String, Path, description = "Record id (UUID)")),
            responses((status = 200, body = $view), (status = 404, body = Problem), (status = 409, body = Problem)))]
        async fn archive(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<$view>, ApiError> {
            let id = uuid_param("id", &id)?;
            Ok(Json(s.store.$archive(&caller.scope, id).await?))
        }
    };
}

pub(crate) use registry_resource;
