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
