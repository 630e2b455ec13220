//! `/units`: departments, governments, village committees and response teams.

crate::routes::registry::registry_resource! {
    collection: "/units",
    item: "/units/{id}",
    input: anju_core::officer::UnitInput,
    valid: anju_core::officer::Unit,
    view: anju_core::view::UnitView,
    validate: |input, _today| input.validate(),
    store: { list: list_units, get: unit, create: create_unit, update: update_unit, archive: archive_unit },
    operation_ids: ["list_units", "create_unit", "get_unit", "update_unit", "archive_unit"],
}
