//! Evacuation planning for "everyone who must move is moved" (应转尽转).
//!
//! Households go to risk-avoidance settlement sites within each site's capacity at the
//! least total travel, solved exactly as a min-cost flow:
//!
//! - [`plan`] builds arcs from each origin to its `k` nearest open sites (an R-tree,
//!   haversine metres, or an imported [`CostTable`]), adds an "unplaced" arc per origin
//!   so every instance is feasible, solves, and rounds the flow into whole households.
//! - [`replan`] re-solves after sites close or capacities change, charging a penalty for
//!   every household that changes site, warm-started from the previous plan.
//! - [`min_cost_flow`] is the general network API underneath, used by the benchmark to
//!   hand the very same network to this solver and to OR-Tools.
//!
//! `docs/solver.md` explains the algorithm and why it is exact.

mod cost;
mod error;
mod flow;
mod geo;
mod plan;
mod radix;
mod transport;

pub use cost::{CostSource, CostTable, Distance};
pub use error::PlanError;
pub use flow::{FlowSolution, Method, Network, min_cost_flow, min_cost_flow_general};
pub use geo::{EARTH_RADIUS_M, Point, haversine_m};
pub use plan::{
    Assignment, Origin, Plan, PlanOptions, PlanState, PlanStats, Site, Unplaced, UnplacedReason,
    evacuation_network, plan, replan,
};
pub use transport::SolveStats;
