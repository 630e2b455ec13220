//! `/households`: households and their members.

crate::routes::registry::registry_resource! {
    collection: "/households",
    item: "/households/{id}",
    input: anju_core::household::HouseholdInput,
    valid: anju_core::household::Household,
    view: anju_core::view::HouseholdView,
    validate: |input, today| input.validate(today),
    store: { list: list_households, get: household, create: create_household, update: update_household, archive: archive_household },
    operation_ids: ["list_households", "create_household", "get_household", "update_household", "archive_household"],
}
