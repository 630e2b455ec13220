//! The crate's one error type.

/// Everything that can stop a plan or a flow from being computed.
///
/// None of these is ever turned into a partial answer: a plan that cannot be
/// proven optimal within `i64` is an error, not a guess.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// An intermediate or final quantity does not fit in `i64`.
    #[error("arithmetic overflow while {0}: costs or amounts are too large for i64")]
    Overflow(&'static str),
    /// Supplies must sum to zero for a min-cost flow to exist.
    #[error("supplies do not balance: they sum to {0}")]
    Unbalanced(i128),
    /// Some supply cannot reach any demand within the arc capacities.
    #[error("no feasible flow: some supply cannot reach a demand")]
    Infeasible,
    /// A node or arc refers to something that does not exist, or a value is out of range.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Origins and sites are matched by id across plans, so ids must be unique.
    #[error("duplicate {kind} id {id}")]
    DuplicateId { kind: &'static str, id: u64 },
    /// A line of an imported cost table could not be read.
    #[error("cost table line {line}: {message}")]
    Import { line: usize, message: String },
}
