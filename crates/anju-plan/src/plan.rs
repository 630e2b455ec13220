//! Evacuation plans: households to settlement sites, whole, at least total cost.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::PlanError;
use crate::cost::{CostSource, Distance};
use crate::flow::Network;
use crate::geo::{Point, SiteIndex, haversine_m};
use crate::transport::{self, SolveStats, Transport, TransportFlow};

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
}

impl Plan {
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
    let mut before: HashMap<u64, Vec<(Option<u64>, u32, u32)>> = HashMap::new();
    for a in &previous.assignments {
        before
            .entry(a.origin)
            .or_default()
            .push((Some(a.site), a.households, a.people));
    }
    for u in &previous.unplaced {
        before
            .entry(u.origin)
            .or_default()
            .push((None, u.households, u.people));
    }
    let mut units = Vec::new();
    for (i, o) in origins.iter().enumerate() {
        if o.people == 0 {
            continue;
        }
        let groups = before
            .get(&o.id)
            .and_then(|g| Unit::from_previous(i, o, g, &site_index));
        match groups {
            Some(g) => units.extend(g),
            None => units.push(Unit::whole(i, o)),
        }
    }
    let warm: HashMap<u64, i64> = previous.prices.iter().copied().collect();
    Planner::new(origins, sites, options, units).run(Some(&warm))
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

/// Households of one origin that share a previous site (or all of them, when planning
/// afresh). The flow moves units; rounding splits them back into households.
#[derive(Debug, Clone)]
struct Unit {
    origin: u32,
    /// Households of the origin's full size.
    full: u32,
    /// Size of the one smaller household, 0 if none.
    rem: u32,
    /// Site the households were at before, by id (for counting moves).
    prev_id: Option<u64>,
    /// Its index, when it still exists (for the move penalty).
    prev: Option<u32>,
}

impl Unit {
    fn whole(i: usize, o: &Origin) -> Unit {
        Unit {
            origin: i as u32,
            full: o.people / o.household_size,
            rem: o.people % o.household_size,
            prev_id: None,
            prev: None,
        }
    }

    fn from_previous(
        i: usize,
        o: &Origin,
        groups: &[(Option<u64>, u32, u32)],
        site_index: &HashMap<u64, u32>,
    ) -> Option<Vec<Unit>> {
        let h = o.household_size;
        let people: u64 = groups.iter().map(|g| u64::from(g.2)).sum();
        let households: u64 = groups.iter().map(|g| u64::from(g.1)).sum();
        if people != u64::from(o.people) || households != u64::from(o.households()) {
            return None;
        }
        let mut units = Vec::with_capacity(groups.len());
        for &(site, hh, p) in groups {
            if hh == 0 {
                return None;
            }
            let (full, rem) = if u64::from(p) == u64::from(hh) * u64::from(h) {
                (hh, 0)
            } else {
                let rem = p.checked_sub((hh - 1).checked_mul(h)?)?;
                if rem == 0 || rem >= h {
                    return None;
                }
                (hh - 1, rem)
            };
            units.push(Unit {
                origin: i as u32,
                full,
                rem,
                prev_id: site,
                prev: site.and_then(|s| site_index.get(&s).copied()),
            });
        }
        Some(units)
    }

    fn people(&self, h: u32) -> i64 {
        i64::from(self.full) * i64::from(h) + i64::from(self.rem)
    }
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

/// Most households scanned per site when looking for one to make room; bounds the
/// repair's cost on sites holding thousands.
const REPAIR_SCAN: usize = 2_048;

/// The cheapest way to place one household of `size` of unit `ui`: on one of its arcs
/// with room, or on one where moving a single other household elsewhere makes room.
/// Returns the added cost and `(arc, Some((group moved, its new arc)))`.
#[allow(clippy::type_complexity)]
fn best_repair(
    t: &Transport,
    used: &[i64],
    groups: &[Group],
    at_site: &[Vec<u32>],
    ui: usize,
    size: u32,
) -> Option<(i128, (usize, Option<(usize, usize)>))> {
    let free = |j: usize| t.capacity(j) - used[j];
    let mut best: Option<(i128, (usize, Option<(usize, usize)>))> = None;
    for a in t.arcs(ui) {
        let j = t.arc_site(a);
        let here = i128::from(size) * i128::from(t.arc_cost(a));
        if best.is_some_and(|(b, _)| here >= b) {
            continue;
        }
        let need = i64::from(size) - free(j);
        if need <= 0 {
            best = Some((here, (a, None)));
            continue;
        }
        for &g in at_site[j].iter().rev().take(REPAIR_SCAN) {
            let other = groups[g as usize];
            if other.count == 0 || i64::from(other.size) < need {
                continue;
            }
            for a2 in t.arcs(other.unit as usize) {
                let j2 = t.arc_site(a2);
                if j2 == j || free(j2) < i64::from(other.size) {
                    continue;
                }
                let shift = i128::from(t.arc_cost(a2)) - i128::from(t.arc_cost(other.arc));
                let c = here + i128::from(other.size) * shift;
                if best.is_none_or(|(b, _)| c < b) {
                    best = Some((c, (a, Some((g as usize, a2)))));
                }
            }
        }
    }
    best
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
                if site.open && o.max_distance_m.is_none_or(|m| d <= m) {
                    if let Some(c) = self.options.cost.cost(o, site, d) {
                        arcs.push((p, c));
                    }
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
            t.add_origin(
                u.people(o.household_size),
                Some(self.unplaced_cost(o)?),
                priced,
            );
        }
        Ok((t, travel))
    }

    fn run(mut self, warm: Option<&HashMap<u64, i64>>) -> Result<Plan, PlanError> {
        let start = Instant::now();
        self.find_candidates(None);
        self.stats.build_time += start.elapsed();
        let mut potential: Option<Vec<i64>> = warm.map(|w| {
            self.sites
                .iter()
                .map(|s| w.get(&s.id).copied().unwrap_or(0))
                .collect()
        });
        let open = self.index.len();
        loop {
            let start = Instant::now();
            let (t, travel) = self.transport()?;
            self.stats.build_time += start.elapsed();
            let start = Instant::now();
            let flow = transport::solve(&t, potential.as_deref())?;
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
            for &i in &retry {
                self.k[i] = self.k[i]
                    .saturating_mul(2)
                    .min(open)
                    .min(self.options.max_k);
            }
            let start = Instant::now();
            self.find_candidates(Some(&retry));
            self.stats.build_time += start.elapsed();
            potential = Some(flow.potential);
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
        for (ui, u) in self.units.iter().enumerate() {
            let h = self.origins[u.origin as usize].household_size;
            dests.clear();
            for a in t.arcs(ui) {
                if flow.arc_flow[a] > 0 {
                    dests.push((t.arc_cost(a), a, flow.arc_flow[a]));
                }
            }
            dests.sort_unstable();
            let (mut full, mut rem) = (u.full, u.rem);
            for &(_, a, x) in &dests {
                let fit = u32::try_from(x / i64::from(h))
                    .unwrap_or(u32::MAX)
                    .min(full);
                let room = x - i64::from(fit) * i64::from(h);
                full -= fit;
                if fit > 0 {
                    used[t.arc_site(a)] += i64::from(fit * h);
                    groups.push(Group::new(ui, a, fit, h));
                }
                if rem > 0 && i64::from(rem) <= room {
                    used[t.arc_site(a)] += i64::from(rem);
                    groups.push(Group::new(ui, a, 1, rem));
                    rem = 0;
                }
            }
            if full > 0 {
                left.push((ui as u32, h, full));
            }
            if rem > 0 {
                left.push((ui as u32, rem, 1));
            }
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
                match best_repair(t, &used, &groups, &at_site, ui as usize, size) {
                    Some((c, repair)) if c < give_up => {
                        let (a, evict) = repair;
                        if let Some((g, a2)) = evict {
                            let moved = groups[g];
                            groups[g].count -= 1;
                            used[t.arc_site(moved.arc)] -= i64::from(moved.size);
                            used[t.arc_site(a2)] += i64::from(moved.size);
                            at_site[t.arc_site(a2)].push(groups.len() as u32);
                            groups.push(Group::new(moved.unit as usize, a2, 1, moved.size));
                        }
                        used[t.arc_site(a)] += i64::from(size);
                        at_site[t.arc_site(a)].push(groups.len() as u32);
                        groups.push(Group::new(ui as usize, a, 1, size));
                        count -= 1;
                    }
                    _ => {
                        unplaced.push((ui, count, count * size));
                        count = 0;
                    }
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
            if u.prev_id.is_some_and(|p| p != self.sites[j].id) {
                moved_households += u64::from(hh);
                moved_people += u64::from(people);
            }
            placed_people += u64::from(people);
            rows.push((u.origin, j as u32, hh, people, travel[a]));
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
            if u.prev_id.is_some() {
                moved_households += u64::from(hh);
                moved_people += u64::from(people);
            }
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
        })
    }
}
