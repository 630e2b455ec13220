//! `/officers`: officers with their duty roles per area and roster shifts.

crate::routes::registry::registry_resource! {
    collection: "/officers",
    item: "/officers/{id}",
    input: anju_core::officer::OfficerInput,
    valid: anju_core::officer::Officer,
    view: anju_core::view::OfficerView,
    validate: |input, _today| input.validate(),
    store: { list: list_officers, get: officer, create: create_officer, update: update_officer, archive: archive_officer },
    operation_ids: ["list_officers", "create_officer", "get_officer", "update_officer", "archive_officer"],
}
