//! Evacuation plans: households to settlement sites, whole, at least total cost.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::PlanError;
use crate::cost::{CostSource, Distance};
use crate::flow::Network;
use crate::geo::{Point, SiteIndex, haversine_m};
use crate::transport::{self, SolveStats, Transport, TransportFlow, UNPLACED, Warm};

/// A place people must leave: `people` persons in households of `household_size` (the
/// last household takes the remainder).
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    pub id: u64,
    pub point: Point,
    pub people: u32,
    pub household_size: u32,
    /// Vulnerability priority, 0 for none; higher is placed first when places are short.
    pub priority: u8,
    /// Sites farther than this (great-circle metres) are out of reach.
    pub max_distance_m: Option<i64>,
}

impl Origin {
    pub fn new(id: u64, point: Point, people: u32, household_size: u32) -> Self {
        Origin {
            id,
            point,
            people,
            household_size,
            priority: 0,
            max_distance_m: None,
        }
    }

    pub fn households(&self) -> u32 {
        if self.household_size == 0 {
            return 0;
        }
        self.people.div_ceil(self.household_size)
    }
}

/// A risk-avoidance settlement site.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    pub id: u64,
    pub point: Point,
    /// Places, in people.
    pub capacity: u32,
    pub open: bool,
}

impl Site {
    pub fn new(id: u64, point: Point, capacity: u32) -> Self {
        Site {
            id,
            point,
            capacity,
            open: true,
        }
    }
}

/// How a plan is built. Costs are per person, in the cost source's unit (metres by
/// default).
#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// Candidate sites per origin: its `k` nearest open sites.
    pub k: usize,
    /// Upper bound for `k` when an origin is retried with more sites.
    pub max_k: usize,
    pub cost: Arc<dyn CostSource>,
    /// Cost of leaving one person unplaced. It must exceed any detour a placement could
    /// need, so that a person is left out only when no arrangement has room.
    pub unplaced_cost: i64,
    /// Added to `unplaced_cost` per priority level, so the vulnerable are placed first.
    pub priority_step: i64,
    /// Re-planning only: cost of moving one household to a different site.
    pub move_penalty: i64,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            k: 8,
            max_k: usize::MAX,
            cost: Arc::new(Distance),
            unplaced_cost: 100_000_000,
            priority_step: 10_000_000,
            move_penalty: 10_000,
        }
    }
}

/// Why people were left without a site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UnplacedReason {
    /// No open site within the origin's reach (or the cost source knows no route).
    NoSiteInReach,
    /// Sites in reach exist but their places went to others (or could not hold a
    /// whole household).
    CapacityExhausted,
}

/// Whole households of one origin at one site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub origin: u64,
    pub site: u64,
    pub households: u32,
    pub people: u32,
    /// Travel cost per person (without any move penalty).
    pub cost_per_person: i64,
}

/// Whole households of one origin left without a site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unplaced {
    pub origin: u64,
    pub households: u32,
    pub people: u32,
    pub reason: UnplacedReason,
}

/// Timings and work counters.
#[derive(Debug, Clone, Default)]
pub struct PlanStats {
    /// Arcs in the final network (origin→site only).
    pub arcs: usize,
    /// Rounds in which origins cut short by `k` were given more sites.
    pub retries: u32,
    pub build_time: Duration,
    pub solve_time: Duration,
    pub round_time: Duration,
    pub solver: SolveStats,
}

/// An evacuation plan.
#[derive(Debug, Clone)]
pub struct Plan {
    pub assignments: Vec<Assignment>,
    pub unplaced: Vec<Unplaced>,
    /// Objective of the whole-household plan: travel, unplaced and (re-plans) move costs.
    pub cost: i64,
    /// Optimum of the flow relaxation, a lower bound on any whole-household plan's cost.
    pub flow_bound: i64,
    /// `cost − flow_bound`: what keeping households whole cost at most.
    pub gap: i64,
    /// Households whose site changed since the previous plan (re-plans only).
    pub moved_households: u64,
    pub moved_people: u64,
    pub placed_people: u64,
    pub unplaced_people: u64,
    pub stats: PlanStats,
    /// Site prices of the optimal flow, by site id: the warm start of a re-plan.
    prices: Vec<(u64, i64)>,
    /// Origins that needed more than `k` candidate sites, by id, with the number used:
    /// a re-plan starts from these instead of retrying again.
    widened: Vec<(u64, usize)>,
    /// The optimal flow by origin id: `(origin, site or None for unplaced, people)`. A
    /// re-plan starts from it, so every load and price it inherits is already balanced.
    positions: Vec<(u64, Option<u64>, i64)>,
}

/// What [`replan`] needs of a previous plan besides its assignments, as plain data, so a
/// stored plan can be re-planned warm in another process: the site prices, the widened
/// origins and the optimal flow by id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlanState {
    pub prices: Vec<(u64, i64)>,
    pub widened: Vec<(u64, usize)>,
    pub positions: Vec<(u64, Option<u64>, i64)>,
}

impl Plan {
    /// The warm-start state, to store beside the assignments.
    pub fn state(&self) -> PlanState {
        PlanState {
            prices: self.prices.clone(),
            widened: self.widened.clone(),
            positions: self.positions.clone(),
        }
    }

    /// A previous plan rebuilt from stored assignments and state, as [`replan`]'s input.
    /// Only what a re-plan reads is restored; the figures and stats are zero.
    pub fn restore(
        assignments: Vec<Assignment>,
        unplaced: Vec<Unplaced>,
        state: PlanState,
    ) -> Plan {
        Plan {
            assignments,
            unplaced,
            cost: 0,
            flow_bound: 0,
            gap: 0,
            moved_households: 0,
            moved_people: 0,
            placed_people: 0,
            unplaced_people: 0,
            stats: PlanStats::default(),
            prices: state.prices,
            widened: state.widened,
            positions: state.positions,
        }
    }

    /// Relative gap, `gap / flow_bound` (0 when the bound is 0).
    pub fn relative_gap(&self) -> f64 {
        if self.flow_bound == 0 {
            0.0
        } else {
            self.gap as f64 / self.flow_bound as f64
        }
    }

    /// People assigned to each site id.
    pub fn site_loads(&self) -> HashMap<u64, u64> {
        let mut loads = HashMap::new();
        for a in &self.assignments {
            *loads.entry(a.site).or_insert(0) += u64::from(a.people);
        }
        loads
    }
}

/// Plans from scratch.
pub fn plan(origins: &[Origin], sites: &[Site], options: &PlanOptions) -> Result<Plan, PlanError> {
    validate(origins, sites, options)?;
    let units = origins
        .iter()
        .enumerate()
        .filter(|(_, o)| o.people > 0)
        .map(|(i, o)| Unit::whole(i, o))
        .collect();
    Planner::new(origins, sites, options, units).run(None)
}

/// Re-plans after sites closed, capacities changed or origins changed.
///
/// Minimises travel plus [`PlanOptions::move_penalty`] for every household whose site
/// changes, starting from `previous`'s prices. Origins are matched by id; an origin whose
/// people or household size changed is planned afresh (its moves are not counted), and
/// households that were unplaced before may be placed without penalty.
pub fn replan(
    previous: &Plan,
    origins: &[Origin],
    sites: &[Site],
    options: &PlanOptions,
) -> Result<Plan, PlanError> {
    validate(origins, sites, options)?;
    let site_index: HashMap<u64, u32> = sites
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id, i as u32))
        .collect();
    let mut before: HashMap<u64, Vec<(Option<u64>, i64)>> = HashMap::new();
    for &(origin, site, people) in &previous.positions {
        before.entry(origin).or_default().push((site, people));
    }
    let mut units = Vec::new();
    for (i, o) in origins.iter().enumerate() {
        if o.people == 0 {
            continue;
        }
        let same = before
            .get(&o.id)
            .filter(|g| g.iter().map(|&(_, p)| p).sum::<i64>() == i64::from(o.people));
        match same {
            Some(g) => units.extend(g.iter().map(|&(site, people)| {
                let at = site.and_then(|id| site_index.get(&id).copied());
                Unit {
                    origin: i as u32,
                    people,
                    prev: at.filter(|&j| sites[j as usize].open),
                    was_unplaced: site.is_none(),
                }
            })),
            None => units.push(Unit::whole(i, o)),
        }
    }
    let warm: HashMap<u64, i64> = previous.prices.iter().copied().collect();
    let mut planner = Planner::new(origins, sites, options, units);
    let widened: HashMap<u64, usize> = previous.widened.iter().copied().collect();
    for (i, o) in origins.iter().enumerate() {
        if let Some(&k) = widened.get(&o.id) {
            planner.k[i] = planner.k[i].max(k.min(options.max_k));
        }
    }
    planner.previous = Some(&previous.assignments);
    planner.run(Some(&warm))
}

/// Builds the network that [`plan`] solves first (before any retry with more sites):
/// nodes are the origins with people (in order), then the sites, then one sink. The
/// benchmark hands exactly this network to both solvers.
pub fn evacuation_network(
    origins: &[Origin],
    sites: &[Site],
    options: &PlanOptions,
) -> Result<Network, PlanError> {
    validate(origins, sites, options)?;
    let units = origins
        .iter()
        .enumerate()
        .filter(|(_, o)| o.people > 0)
        .map(|(i, o)| Unit::whole(i, o))
        .collect();
    let mut planner = Planner::new(origins, sites, options, units);
    planner.find_candidates(None);
    let (t, _) = planner.transport()?;
    Ok(t.to_network())
}

fn validate(origins: &[Origin], sites: &[Site], options: &PlanOptions) -> Result<(), PlanError> {
    let bad = |m: String| Err(PlanError::InvalidInput(m));
    if options.k == 0 || options.max_k == 0 {
        return bad("k and max_k must be at least 1".into());
    }
    if options.unplaced_cost < 0 || options.priority_step < 0 || options.move_penalty < 0 {
        return bad("unplaced cost, priority step and move penalty must not be negative".into());
    }
    let mut ids = std::collections::HashSet::with_capacity(origins.len());
    for o in origins {
        if !ids.insert(o.id) {
            return Err(PlanError::DuplicateId {
                kind: "origin",
                id: o.id,
            });
        }
        if !o.point.is_valid() {
            return bad(format!("origin {} has coordinates off the globe", o.id));
        }
        if o.people > 0 && o.household_size == 0 {
            return bad(format!("origin {} has household size 0", o.id));
        }
        if o.max_distance_m.is_some_and(|m| m < 0) {
            return bad(format!("origin {} has a negative maximum distance", o.id));
        }
    }
    let mut ids = std::collections::HashSet::with_capacity(sites.len());
    for s in sites {
        if !ids.insert(s.id) {
            return Err(PlanError::DuplicateId {
                kind: "site",
                id: s.id,
            });
        }
        if !s.point.is_valid() {
            return bad(format!("site {} has coordinates off the globe", s.id));
        }
    }
    Ok(())
}

/// People of one origin that share a previous place in the flow (or all of them, when
/// planning afresh). The flow moves units; rounding turns each origin's flow back into
/// whole households.
#[derive(Debug, Clone)]
struct Unit {
    origin: u32,
    people: i64,
    /// Open site the people were at before (they pay the move penalty elsewhere).
    prev: Option<u32>,
    /// They were unplaced before.
    was_unplaced: bool,
}

impl Unit {
    fn whole(i: usize, o: &Origin) -> Unit {
        Unit {
            origin: i as u32,
            people: i64::from(o.people),
            prev: None,
            was_unplaced: false,
        }
    }
}

/// Whether applying `steps` keeps every site within capacity and every group
/// non-negative (the search does not track sites it passes twice).
fn repair_fits(t: &Transport, used: &[i64], groups: &[Group], steps: &[Step], size: u32) -> bool {
    let mut delta: HashMap<usize, i64> = HashMap::new();
    let mut taken: HashMap<usize, u32> = HashMap::new();
    for step in steps {
        let moving = if step.from == START {
            size
        } else {
            let g = &groups[step.from];
            let n = taken.entry(step.from).or_default();
            *n += 1;
            if *n > g.count {
                return false;
            }
            *delta.entry(t.arc_site(g.arc)).or_default() -= i64::from(g.size);
            g.size
        };
        *delta.entry(step.site).or_default() += i64::from(moving);
    }
    delta.iter().all(|(&j, &d)| used[j] + d <= t.capacity(j))
}

/// The unit among `first..end` that owns arc `a`.
fn unit_of(t: &Transport, first: usize, end: usize, a: usize) -> usize {
    (first..end)
        .find(|&ui| t.arcs(ui).contains(&a))
        .unwrap_or(first)
}

/// Households of one size, of one unit, on one arc.
#[derive(Debug, Clone, Copy)]
struct Group {
    unit: u32,
    arc: usize,
    count: u32,
    size: u32,
}

impl Group {
    fn new(unit: usize, arc: usize, count: u32, size: u32) -> Self {
        Group {
            unit: unit as u32,
            arc,
            count,
            size,
        }
    }
}

/// Most households scanned per site when looking for one to make room, and most
/// search states per household: bound the repair's cost on sites holding thousands.
const REPAIR_SCAN: usize = 256;
const REPAIR_STATES: usize = 100;
const REPAIR_DEPTH: usize = 8;

/// One step of a repair: a household put on `arc`, moving out of group `from` (or, for
/// the first step, the household being placed).
#[derive(Debug, Clone, Copy)]
struct Step {
    site: usize,
    /// Places still missing at `site` after this step.
    need: i64,
    cost: i128,
    parent: usize,
    from: usize,
    arc: usize,
}

const START: usize = usize::MAX;

/// The cheapest chain found for placing one household of `size` of unit `ui`: onto one
/// of its arcs, where each site short of room sends one of its households of at least
/// the missing size on to another of that household's sites, until a site has room.
/// A best-first search over (site, places missing), bounded by [`REPAIR_STATES`].
/// Returns the added cost and the steps, household being placed first.
fn best_repair(
    t: &Transport,
    used: &[i64],
    groups: &[Group],
    at_site: &[Vec<u32>],
    ui: usize,
    size: u32,
) -> Option<(i128, Vec<Step>)> {
    let free = |j: usize| t.capacity(j) - used[j];
    let mut arena: Vec<Step> = Vec::new();
    let mut queue: std::collections::BinaryHeap<std::cmp::Reverse<(i128, usize)>> =
        std::collections::BinaryHeap::new();
    let mut seen: HashMap<(usize, i64), i128> = HashMap::new();
    let mut best: Option<(i128, usize)> = None;
    let mut offer = |step: Step,
                     arena: &mut Vec<Step>,
                     queue: &mut std::collections::BinaryHeap<std::cmp::Reverse<(i128, usize)>>,
                     best: &mut Option<(i128, usize)>| {
        if best.is_some_and(|(b, _)| step.cost >= b) {
            return;
        }
        if step.need <= 0 {
            arena.push(step);
            *best = Some((step.cost, arena.len() - 1));
            return;
        }
        if seen
            .get(&(step.site, step.need))
            .is_some_and(|&c| c <= step.cost)
        {
            return;
        }
        seen.insert((step.site, step.need), step.cost);
        arena.push(step);
        queue.push(std::cmp::Reverse((step.cost, arena.len() - 1)));
    };
    for a in t.arcs(ui) {
        let j = t.arc_site(a);
        let step = Step {
            site: j,
            need: i64::from(size) - free(j),
            cost: i128::from(size) * i128::from(t.arc_cost(a)),
            parent: START,
            from: START,
            arc: a,
        };
        offer(step, &mut arena, &mut queue, &mut best);
    }
    let mut pops = 0;
    while let Some(std::cmp::Reverse((c, at))) = queue.pop() {
        if best.is_some_and(|(b, _)| c >= b) || pops == REPAIR_STATES {
            break;
        }
        pops += 1;
        let Step { site: j, need, .. } = arena[at];
        // Chains are simple paths of bounded length: a site passed twice could be
        // over-committed, and costs after rounding can make cycles look profitable.
        let mut path = Vec::new();
        let mut up = at;
        while up != START {
            path.push(arena[up].site);
            up = arena[up].parent;
        }
        if path.len() >= REPAIR_DEPTH {
            continue;
        }
        for &g in at_site[j].iter().rev().take(REPAIR_SCAN) {
            let other = groups[g as usize];
            if other.count == 0 || i64::from(other.size) < need {
                continue;
            }
            for a2 in t.arcs(other.unit as usize) {
                let j2 = t.arc_site(a2);
                if path.contains(&j2) {
                    continue;
                }
                let shift = i128::from(t.arc_cost(a2)) - i128::from(t.arc_cost(other.arc));
                let step = Step {
                    site: j2,
                    need: i64::from(other.size) - free(j2),
                    cost: c + i128::from(other.size) * shift,
                    parent: at,
                    from: g as usize,
                    arc: a2,
                };
                offer(step, &mut arena, &mut queue, &mut best);
            }
        }
    }
    let (cost, mut at) = best?;
    let mut steps = Vec::new();
    while at != START {
        steps.push(arena[at]);
        at = arena[at].parent;
    }
    steps.reverse();
    Some((cost, steps))
}

struct Planner<'a> {
    origins: &'a [Origin],
    sites: &'a [Site],
    options: &'a PlanOptions,
    units: Vec<Unit>,
    index: SiteIndex,
    /// Per origin: candidate sites with distances, the `k` used, whether `k` cut it short.
    cands: Vec<Vec<(u32, i64)>>,
    k: Vec<usize>,
    truncated: Vec<bool>,
    stats: PlanStats,
    /// The previous plan's assignments, when re-planning (for counting moves).
    previous: Option<&'a [Assignment]>,
}

impl<'a> Planner<'a> {
    fn new(
        origins: &'a [Origin],
        sites: &'a [Site],
        options: &'a PlanOptions,
        units: Vec<Unit>,
    ) -> Self {
        let index = SiteIndex::new(sites.iter().map(|s| s.point).collect(), |i| sites[i].open);
        Planner {
            origins,
            sites,
            options,
            units,
            index,
            cands: vec![Vec::new(); origins.len()],
            k: vec![options.k.min(options.max_k); origins.len()],
            truncated: vec![false; origins.len()],
            stats: PlanStats::default(),
            previous: None,
        }
    }

    /// Finds candidate sites for `only` (or every origin with people).
    fn find_candidates(&mut self, only: Option<&[usize]>) {
        let all: Vec<usize>;
        let list = match only {
            Some(l) => l,
            None => {
                all = (0..self.origins.len())
                    .filter(|&i| self.origins[i].people > 0)
                    .collect();
                &all
            }
        };
        let mut buf = Vec::new();
        for &i in list {
            let o = &self.origins[i];
            self.truncated[i] = self
                .index
                .nearest(o.point, self.k[i], o.max_distance_m, &mut buf);
            self.cands[i] = buf.clone();
        }
    }

    fn unplaced_cost(&self, o: &Origin) -> Result<i64, PlanError> {
        self.options
            .priority_step
            .checked_mul(i64::from(o.priority))
            .and_then(|x| x.checked_add(self.options.unplaced_cost))
            .ok_or(PlanError::Overflow("pricing an unplaced person"))
    }

    /// The transport network of the units, and each arc's travel cost without penalty.
    fn transport(&self) -> Result<(Transport, Vec<i64>), PlanError> {
        let mut t = Transport::new(self.sites.iter().map(|s| i64::from(s.capacity)).collect());
        let mut travel = Vec::new();
        let mut arcs: Vec<(u32, i64)> = Vec::new();
        for u in &self.units {
            let o = &self.origins[u.origin as usize];
            let penalty = match u.prev {
                // Per person, rounded up so a full household pays at least the penalty.
                Some(_) => {
                    let h = i64::from(o.household_size);
                    self.options
                        .move_penalty
                        .checked_add(h - 1)
                        .ok_or(PlanError::Overflow("spreading the move penalty"))?
                        / h
                }
                None => 0,
            };
            arcs.clear();
            let mut has_prev = false;
            for &(j, d) in &self.cands[u.origin as usize] {
                let site = &self.sites[j as usize];
                if let Some(c) = self.options.cost.cost(o, site, d) {
                    has_prev |= u.prev == Some(j);
                    arcs.push((j, c));
                }
            }
            // A household may stay where it was even if that site is no longer among
            // its k nearest (it may have got there on a retry).
            if let Some(p) = u.prev.filter(|_| !has_prev) {
                let site = &self.sites[p as usize];
                let d = haversine_m(o.point, site.point);
                let reach = site.open && o.max_distance_m.is_none_or(|m| d <= m);
                if let Some(c) = self.options.cost.cost(o, site, d).filter(|_| reach) {
                    arcs.push((p, c));
                }
            }
            travel.extend(arcs.iter().map(|&(_, c)| c));
            let mut priced = Vec::with_capacity(arcs.len());
            for &(j, c) in &arcs {
                let c = if u.prev.is_some_and(|p| p != j) {
                    c.checked_add(penalty)
                        .ok_or(PlanError::Overflow("adding the move penalty"))?
                } else {
                    c
                };
                priced.push((j, c));
            }
            t.add_origin(u.people, Some(self.unplaced_cost(o)?), priced);
        }
        Ok((t, travel))
    }

    fn run(mut self, warm: Option<&HashMap<u64, i64>>) -> Result<Plan, PlanError> {
        let start = Instant::now();
        self.find_candidates(None);
        // Units sharing a nearest site sit together, so the solver's per-site work walks
        // adjacent memory (it regroups cold solves itself, but not warm ones).
        let cands = &self.cands;
        self.units.sort_by_cached_key(|u| {
            (
                cands[u.origin as usize].first().map_or(u32::MAX, |c| c.0),
                u.origin,
            )
        });
        self.stats.build_time += start.elapsed();
        let mut warm: Option<Warm> = warm.map(|w| {
            let mut warm = Warm {
                potential: self
                    .sites
                    .iter()
                    .map(|s| w.get(&s.id).copied().unwrap_or(0))
                    .collect(),
                ..Warm::default()
            };
            // Each unit starts where it was.
            for u in &self.units {
                let at = match (u.prev, u.was_unplaced) {
                    (Some(j), _) => Some(j),
                    (None, true) => Some(UNPLACED),
                    (None, false) => None,
                };
                warm.push_origin(at.map(|s| (s, u.people)));
            }
            warm
        });
        let open = self.index.len();
        loop {
            let start = Instant::now();
            let (t, travel) = self.transport()?;
            self.stats.build_time += start.elapsed();
            let start = Instant::now();
            let flow = transport::solve(&t, warm.as_ref())?;
            self.stats.solve_time += start.elapsed();
            let s = &mut self.stats.solver;
            s.searches += flow.stats.searches;
            s.augmentations += flow.stats.augmentations;
            s.settled += flow.stats.settled;
            s.sites_built += flow.stats.sites_built;
            // An origin cut short by k and left (partly) unplaced gets more sites; the
            // re-solve starts from this solve's prices, so it costs little.
            let mut retry: Vec<usize> = Vec::new();
            for (ui, u) in self.units.iter().enumerate() {
                let i = u.origin as usize;
                if flow.unplaced_flow[ui] > 0
                    && self.truncated[i]
                    && self.k[i] < open.min(self.options.max_k)
                {
                    retry.push(i);
                }
            }
            retry.sort_unstable();
            retry.dedup();
            if retry.is_empty() {
                self.stats.arcs = t.num_arcs();
                return self.round(&t, &travel, &flow);
            }
            self.stats.retries += 1;
            let start = Instant::now();
            for &i in &retry {
                self.k[i] = self.widen(i, &flow.load, open);
            }
            self.find_candidates(Some(&retry));
            self.stats.build_time += start.elapsed();
            // Everyone starts where this solve put them; only the retried move.
            let mut next = Warm {
                potential: flow.potential.clone(),
                ..Warm::default()
            };
            for ui in 0..self.units.len() {
                let unplaced = flow.unplaced_flow[ui];
                next.push_origin(
                    t.arcs(ui)
                        .filter(|&a| flow.arc_flow[a] > 0)
                        .map(|a| (t.arc_site(a) as u32, flow.arc_flow[a]))
                        .chain((unplaced > 0).then_some((UNPLACED, unplaced))),
                );
            }
            warm = Some(next);
        }
    }

    /// A longer candidate list for origin `i`: up to the nearest site that has places left
    /// in the last solve. Wide lists are costly (every arc of an origin is a residual arc
    /// at each site it visits), so lists grow only as far as the room is.
    fn widen(&self, i: usize, load: &[i64], open: usize) -> usize {
        let o = &self.origins[i];
        let limit = open.min(self.options.max_k);
        let mut near = Vec::new();
        let mut k = self.k[i];
        loop {
            k = k.saturating_mul(2).min(limit);
            self.index.nearest(o.point, k, o.max_distance_m, &mut near);
            let room = near.iter().position(|&(j, d)| {
                let site = &self.sites[j as usize];
                load[j as usize] < i64::from(site.capacity)
                    && self.options.cost.cost(o, site, d).is_some()
            });
            if let Some(p) = room {
                return (p + 1).max(self.k[i] + 1).min(limit);
            }
            if k >= limit || near.len() < k {
                return k;
            }
        }
    }

    /// The cheapest open site with room for a household of `size` of unit `ui` among
    /// ever more of its origin's nearest sites (within its reach), with its travel cost
    /// and its cost including any move penalty.
    fn far_site(
        &self,
        ui: usize,
        size: u32,
        used: &[i64],
    ) -> Result<Option<(usize, i64, i64)>, PlanError> {
        let u = &self.units[ui];
        let o = &self.origins[u.origin as usize];
        let mut k = self.k[u.origin as usize].max(self.options.k);
        let open = self.index.len();
        let mut near = Vec::new();
        loop {
            k = k
                .saturating_mul(4)
                .min(open)
                .min(self.options.max_k.max(self.options.k));
            let more = self.index.nearest(o.point, k, o.max_distance_m, &mut near);
            let mut best: Option<(i64, usize, i64)> = None;
            for &(j, d) in &near {
                let j = j as usize;
                if self.sites[j].capacity as i64 - used[j] < i64::from(size) {
                    continue;
                }
                let Some(c) = self.options.cost.cost(o, &self.sites[j], d) else {
                    continue;
                };
                let priced = if u.prev.is_some_and(|p| p as usize != j) {
                    let h = i64::from(o.household_size);
                    c.checked_add(
                        self.options
                            .move_penalty
                            .checked_add(h - 1)
                            .ok_or(PlanError::Overflow("spreading the move penalty"))?
                            / h,
                    )
                    .ok_or(PlanError::Overflow("adding the move penalty"))?
                } else {
                    c
                };
                if best.is_none_or(|(b, _, _)| priced < b) {
                    best = Some((priced, j, c));
                }
            }
            if let Some((priced, j, c)) = best {
                return Ok(Some((j, c, priced)));
            }
            if !more || k >= open {
                return Ok(None);
            }
        }
    }

    /// Turns the optimal flow into whole households: each unit's households are packed
    /// into the places its flow holds at each site (cheapest site first); households
    /// that fit nowhere whole are then placed, cheapest first, where places are left.
    fn round(
        mut self,
        t: &Transport,
        travel: &[i64],
        flow: &TransportFlow,
    ) -> Result<Plan, PlanError> {
        let start = Instant::now();
        const OVF: PlanError = PlanError::Overflow("totalling the plan cost");
        let m = self.sites.len();
        let mut used = vec![0i64; m];
        let mut groups: Vec<Group> = Vec::new();
        let mut left: Vec<(u32, u32, u32)> = Vec::new(); // (unit, size, count)
        let mut dests: Vec<(i64, usize, i64)> = Vec::new();
        // Re-plans keep each household where it was while its site is open and has room;
        // only the rest follow the new flow.
        let mut kept_before: HashMap<u64, Vec<(u64, u32, u32)>> = HashMap::new();
        for a in self.previous.iter().flat_map(|p| p.iter()) {
            kept_before
                .entry(a.origin)
                .or_default()
                .push((a.site, a.households, a.people));
        }
        let site_index: HashMap<u64, usize> = self
            .sites
            .iter()
            .enumerate()
            .map(|(j, s)| (s.id, j))
            .collect();
        let mut kept_at: Vec<(usize, i64)> = Vec::new();
        // (unit, site, people, travel cost, priced cost) of households beyond their arcs
        let mut far: Vec<(u32, u32, u32, i64, i64)> = Vec::new();
        // An origin's units are consecutive; its flow over all of them is rounded at once.
        let mut first = 0;
        while first < self.units.len() {
            let i = self.units[first].origin;
            let mut end = first;
            while end < self.units.len() && self.units[end].origin == i {
                end += 1;
            }
            let o = &self.origins[i as usize];
            let h = o.household_size;
            let (mut full, mut rem) = (o.people / h, o.people % h);
            kept_at.clear();
            for &(site, hh, people) in kept_before.get(&o.id).into_iter().flatten() {
                let Some(&j) = site_index.get(&site) else {
                    continue;
                };
                // The cheapest of the origin's arcs to the site (its own unit's has no
                // penalty).
                let Some(a) = (first..end)
                    .flat_map(|ui| t.arcs(ui))
                    .filter(|&a| t.arc_site(a) == j)
                    .min_by_key(|&a| t.arc_cost(a))
                else {
                    // Placed beyond its arcs last time: it stays if the site still suits.
                    let site = &self.sites[j];
                    let d = haversine_m(o.point, site.point);
                    let reach = o.max_distance_m.is_none_or(|m| d <= m);
                    let cost = self
                        .options
                        .cost
                        .cost(o, site, d)
                        .filter(|_| site.open && reach);
                    if let Some(c) = cost {
                        let mut sizes = vec![h; (hh - u32::from(hh * h != people)) as usize];
                        if hh * h != people {
                            sizes.push(rem);
                        }
                        for size in sizes {
                            let has = if size == h { full > 0 } else { rem > 0 };
                            if has && t.capacity(j) - used[j] >= i64::from(size) {
                                used[j] += i64::from(size);
                                far.push((first as u32, j as u32, size, c, c));
                                kept_at.push((j, i64::from(size)));
                                if size == h && full > 0 {
                                    full -= 1;
                                } else {
                                    rem = 0;
                                }
                            }
                        }
                    }
                    continue;
                };
                let ui = unit_of(t, first, end, a);
                let short = hh * h != people;
                let mut take = |size: u32, count: u32, used: &mut [i64]| -> u32 {
                    let room = (t.capacity(j) - used[j]).max(0) / i64::from(size);
                    let n = u32::try_from(room).unwrap_or(u32::MAX).min(count);
                    if n > 0 {
                        used[j] += i64::from(n * size);
                        groups.push(Group::new(ui, a, n, size));
                        kept_at.push((j, i64::from(n * size)));
                    }
                    n
                };
                let full_here = if short { hh - 1 } else { hh };
                full -= take(h, full_here.min(full), &mut used);
                if short && rem > 0 && take(rem, 1, &mut used) == 1 {
                    rem = 0;
                }
            }
            dests.clear();
            for ui in first..end {
                for a in t.arcs(ui) {
                    let j = t.arc_site(a);
                    let kept: i64 = kept_at.iter().filter(|k| k.0 == j).map(|k| k.1).sum();
                    let x = flow.arc_flow[a] - kept;
                    if x > 0 {
                        dests.push((t.arc_cost(a), a, x));
                    }
                }
            }
            dests.sort_unstable();
            for &(_, a, x) in &dests {
                let ui = unit_of(t, first, end, a);
                let j = t.arc_site(a);
                let x = x.min(t.capacity(j) - used[j]);
                if x <= 0 {
                    continue;
                }
                let fit = u32::try_from(x / i64::from(h))
                    .unwrap_or(u32::MAX)
                    .min(full);
                let room = x - i64::from(fit) * i64::from(h);
                full -= fit;
                if fit > 0 {
                    used[j] += i64::from(fit * h);
                    groups.push(Group::new(ui, a, fit, h));
                }
                if rem > 0 && i64::from(rem) <= room {
                    used[j] += i64::from(rem);
                    groups.push(Group::new(ui, a, 1, rem));
                    rem = 0;
                }
            }
            if full > 0 {
                left.push((first as u32, h, full));
            }
            if rem > 0 {
                left.push((first as u32, rem, 1));
            }
            first = end;
        }
        let mut at_site: Vec<Vec<u32>> = vec![Vec::new(); m];
        for (g, group) in groups.iter().enumerate() {
            at_site[t.arc_site(group.arc)].push(g as u32);
        }
        // Vulnerable first, then large households (they are the hardest to fit).
        left.sort_by_key(|&(ui, size, _)| {
            let o = &self.origins[self.units[ui as usize].origin as usize];
            (std::cmp::Reverse(o.priority), std::cmp::Reverse(size), ui)
        });
        let mut unplaced: Vec<(u32, u32, u32)> = Vec::new(); // (unit, households, people)
        for &(ui, size, mut count) in &left {
            let o = &self.origins[self.units[ui as usize].origin as usize];
            let give_up = i128::from(size) * i128::from(self.unplaced_cost(o)?);
            while count > 0 {
                let repair = best_repair(t, &used, &groups, &at_site, ui as usize, size);
                let repair = repair
                    .filter(|(c, _)| *c < give_up)
                    .filter(|(_, steps)| repair_fits(t, &used, &groups, steps, size));
                match repair {
                    Some((_, steps)) => {
                        for step in &steps {
                            let moving = if step.from == START {
                                size
                            } else {
                                let g = &mut groups[step.from];
                                g.count -= 1;
                                used[t.arc_site(g.arc)] -= i64::from(g.size);
                                g.size
                            };
                            let unit = if step.from == START {
                                ui as usize
                            } else {
                                groups[step.from].unit as usize
                            };
                            used[step.site] += i64::from(moving);
                            at_site[step.site].push(groups.len() as u32);
                            groups.push(Group::new(unit, step.arc, 1, moving));
                        }
                        count -= 1;
                    }
                    None => match self.far_site(ui as usize, size, &used)? {
                        // Beyond its candidate sites: the same widening an origin gets
                        // when k leaves it unplaced, here for one whole household.
                        Some((j, travel_cost, priced)) => {
                            used[j] += i64::from(size);
                            far.push((ui, j as u32, size, travel_cost, priced));
                            count -= 1;
                        }
                        None => {
                            unplaced.push((ui, count, count * size));
                            count = 0;
                        }
                    },
                }
            }
        }
        let placed: Vec<(u32, usize, u32, u32)> = groups
            .iter()
            .filter(|g| g.count > 0)
            .map(|g| (g.unit, g.arc, g.count, g.count * g.size))
            .collect();

        let mut cost: i64 = 0;
        let mut moved_households = 0u64;
        let mut moved_people = 0u64;
        let mut placed_people = 0u64;
        let mut rows: Vec<(u32, u32, u32, u32, i64)> = Vec::with_capacity(placed.len());
        for &(ui, a, hh, people) in &placed {
            let u = &self.units[ui as usize];
            let j = t.arc_site(a);
            cost = i64::from(people)
                .checked_mul(t.arc_cost(a))
                .and_then(|x| x.checked_add(cost))
                .ok_or(OVF)?;
            placed_people += u64::from(people);
            rows.push((u.origin, j as u32, hh, people, travel[a]));
        }
        for &(ui, j, people, travel_cost, priced) in &far {
            cost = i64::from(people)
                .checked_mul(priced)
                .and_then(|x| x.checked_add(cost))
                .ok_or(OVF)?;
            placed_people += u64::from(people);
            rows.push((self.units[ui as usize].origin, j, 1, people, travel_cost));
        }
        let mut unplaced_people = 0u64;
        let mut gone: Vec<(u32, UnplacedReason, u32, u32)> = Vec::with_capacity(unplaced.len());
        for &(ui, hh, people) in &unplaced {
            let u = &self.units[ui as usize];
            let o = &self.origins[u.origin as usize];
            cost = i64::from(people)
                .checked_mul(self.unplaced_cost(o)?)
                .and_then(|x| x.checked_add(cost))
                .ok_or(OVF)?;
            unplaced_people += u64::from(people);
            let reason = if t.arcs(ui as usize).is_empty() {
                UnplacedReason::NoSiteInReach
            } else {
                UnplacedReason::CapacityExhausted
            };
            gone.push((u.origin, reason, hh, people));
        }
        rows.sort_unstable_by_key(|r| (r.0, r.1));
        let mut assignments: Vec<Assignment> = Vec::with_capacity(rows.len());
        for (o, j, hh, people, c) in rows {
            let origin = self.origins[o as usize].id;
            let site = self.sites[j as usize].id;
            match assignments.last_mut() {
                Some(last) if last.origin == origin && last.site == site => {
                    last.households += hh;
                    last.people += people;
                }
                _ => assignments.push(Assignment {
                    origin,
                    site,
                    households: hh,
                    people,
                    cost_per_person: c,
                }),
            }
        }
        gone.sort_unstable_by_key(|g| (g.0, g.1));
        let mut unplaced_rows: Vec<Unplaced> = Vec::with_capacity(gone.len());
        for (o, reason, hh, people) in gone {
            let origin = self.origins[o as usize].id;
            match unplaced_rows.last_mut() {
                Some(last) if last.origin == origin && last.reason == reason => {
                    last.households += hh;
                    last.people += people;
                }
                _ => unplaced_rows.push(Unplaced {
                    origin,
                    households: hh,
                    people,
                    reason,
                }),
            }
        }
        let prices = self
            .sites
            .iter()
            .zip(&flow.potential)
            .filter(|&(_, &p)| p != 0)
            .map(|(s, &p)| (s.id, p))
            .collect();
        if let Some(previous) = self.previous {
            // Households of one origin are interchangeable: those that moved are the ones
            // a site holds fewer of than before.
            let mut change: HashMap<(u64, u64), (i64, i64)> = HashMap::new();
            for a in previous {
                let e = change.entry((a.origin, a.site)).or_default();
                e.0 += i64::from(a.households);
                e.1 += i64::from(a.people);
            }
            for a in &assignments {
                if let Some(e) = change.get_mut(&(a.origin, a.site)) {
                    e.0 -= i64::from(a.households);
                    e.1 -= i64::from(a.people);
                }
            }
            for &(hh, people) in change.values() {
                moved_households += hh.max(0) as u64;
                moved_people += people.max(0) as u64;
            }
        }
        let mut positions: Vec<(u64, Option<u64>, i64)> = Vec::new();
        for (ui, u) in self.units.iter().enumerate() {
            let origin = self.origins[u.origin as usize].id;
            for a in t.arcs(ui) {
                if flow.arc_flow[a] > 0 {
                    positions.push((origin, Some(self.sites[t.arc_site(a)].id), flow.arc_flow[a]));
                }
            }
            if flow.unplaced_flow[ui] > 0 {
                positions.push((origin, None, flow.unplaced_flow[ui]));
            }
        }
        let widened = self
            .k
            .iter()
            .enumerate()
            .filter(|&(_, &k)| k > self.options.k)
            .map(|(i, &k)| (self.origins[i].id, k))
            .collect();
        self.stats.round_time = start.elapsed();
        Ok(Plan {
            assignments,
            unplaced: unplaced_rows,
            cost,
            flow_bound: flow.cost,
            gap: cost.checked_sub(flow.cost).ok_or(OVF)?,
            moved_households,
            moved_people,
            placed_people,
            unplaced_people,
            stats: self.stats,
            prices,
            widened,
            positions,
        })
    }
}
