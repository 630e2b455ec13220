//! Exact min-cost flow on the evacuation shape, searched over sites rather than origins.
//!
//! The network is origins → sites → sink, plus an optional origin → sink ("unplaced") arc
//! per origin, every origin arc able to carry the origin's whole supply. Origins are
//! never nodes of the search: an origin with flow at site `a` and an arc to site `b` is a
//! residual arc `a → b` of cost `c(o,b) − c(o,a)`, so the shortest-path searches run over
//! the few sites instead of the many origins. `docs/solver.md` gives the argument.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::PlanError;
use crate::flow::Network;
use crate::radix::RadixHeap;

const NONE: u32 = u32::MAX;
/// `Pred::out_arc` of a backward step that places an unplaced origin.
const VIA_UNPLACED: u32 = u32::MAX - 1;

/// Upper bound on the warm-start price passes before the exact phase.
const PRICE_PASSES: usize = 30;

/// A bipartite evacuation network: origins with supply, sites with capacity, one sink.
#[derive(Debug, Clone, Default)]
pub struct Transport {
    supply: Vec<i64>,
    arc_start: Vec<usize>,
    arc_site: Vec<u32>,
    arc_cost: Vec<i64>,
    unplaced_cost: Vec<i64>,
    has_unplaced: Vec<bool>,
    capacity: Vec<i64>,
}

impl Transport {
    /// A network with these site capacities and no origins yet.
    pub fn new(capacity: Vec<i64>) -> Self {
        Transport {
            arc_start: vec![0],
            capacity,
            ..Transport::default()
        }
    }

    /// Adds an origin; returns its index. Each arc is `(site, cost per unit)`; `unplaced`
    /// is the per-unit cost of its arc straight to the sink, if it has one.
    pub fn add_origin(
        &mut self,
        supply: i64,
        unplaced: Option<i64>,
        arcs: impl IntoIterator<Item = (u32, i64)>,
    ) -> usize {
        for (site, cost) in arcs {
            self.arc_site.push(site);
            self.arc_cost.push(cost);
        }
        self.arc_start.push(self.arc_site.len());
        self.supply.push(supply);
        self.unplaced_cost.push(unplaced.unwrap_or(0));
        self.has_unplaced.push(unplaced.is_some());
        self.supply.len() - 1
    }

    pub fn num_origins(&self) -> usize {
        self.supply.len()
    }

    pub fn num_sites(&self) -> usize {
        self.capacity.len()
    }

    pub fn num_arcs(&self) -> usize {
        self.arc_site.len()
    }

    /// Arc indices of origin `o`, in the order they were added.
    pub fn arcs(&self, o: usize) -> std::ops::Range<usize> {
        self.arc_start[o]..self.arc_start[o + 1]
    }

    pub fn arc_site(&self, a: usize) -> usize {
        self.arc_site[a] as usize
    }

    pub fn arc_cost(&self, a: usize) -> i64 {
        self.arc_cost[a]
    }

    pub fn unplaced_cost(&self, o: usize) -> Option<i64> {
        self.has_unplaced[o].then_some(self.unplaced_cost[o])
    }

    pub fn capacity(&self, j: usize) -> i64 {
        self.capacity[j]
    }

    /// The same network as a general [`Network`]: origins are nodes `0..n`, sites
    /// `n..n+m`, the sink `n+m`. Origin arcs carry the origin's supply, site arcs the
    /// site's capacity at cost 0.
    pub fn to_network(&self) -> Network {
        let n = self.num_origins();
        let m = self.num_sites();
        let sink = n + m;
        let unplaced = self.has_unplaced.iter().filter(|&&u| u).count();
        let mut net = Network::with_capacity(n + m + 1, self.num_arcs() + unplaced + m);
        let mut total = 0i64;
        for o in 0..n {
            net.set_supply(o, self.supply[o]);
            total = total.saturating_add(self.supply[o]);
            for a in self.arcs(o) {
                net.add_arc(o, n + self.arc_site(a), self.supply[o], self.arc_cost[a]);
            }
            if let Some(u) = self.unplaced_cost(o) {
                net.add_arc(o, sink, self.supply[o], u);
            }
        }
        for j in 0..m {
            net.add_arc(n + j, sink, self.capacity[j], 0);
        }
        net.set_supply(sink, -total);
        net
    }
}

/// Work counters of one solve, for the benchmark report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SolveStats {
    /// Shortest-path searches run.
    pub searches: u64,
    /// Augmenting paths applied.
    pub augmentations: u64,
    /// Sites settled over all searches.
    pub settled: u64,
    /// Sites whose residual-arc heaps were built (the rest were never searched).
    pub sites_built: u64,
    /// Searches that ended by leaving someone unplaced, and the sites they settled.
    pub unplaced_exits: u64,
    pub unplaced_settled: u64,
}

/// An optimal flow and the site prices that certify it.
#[derive(Debug, Clone)]
pub struct TransportFlow {
    pub arc_flow: Vec<i64>,
    pub unplaced_flow: Vec<i64>,
    pub load: Vec<i64>,
    /// Site potentials (the sink's is 0); `−potential` is the price of a place at the site.
    pub potential: Vec<i64>,
    pub cost: i64,
    pub stats: SolveStats,
}

/// Marks an unplaced position in [`Warm::place`].
pub const UNPLACED: u32 = u32::MAX;

/// A warm start from an earlier, related solve: its site potentials and, optionally,
/// where each origin's flow was. It changes only how much work is needed, never the
/// optimum.
#[derive(Debug, Clone, Default)]
pub struct Warm {
    pub potential: Vec<i64>,
    /// Origin `o`'s earlier positions are `place[place_start[o]..place_start[o + 1]]`,
    /// each `(site or UNPLACED, amount)`. Empty `place_start` means no positions.
    pub place_start: Vec<usize>,
    pub place: Vec<(u32, i64)>,
}

impl Warm {
    pub fn push_origin(&mut self, places: impl IntoIterator<Item = (u32, i64)>) {
        if self.place_start.is_empty() {
            self.place_start.push(0);
        }
        self.place.extend(places);
        self.place_start.push(self.place.len());
    }
}

/// Solves to optimality.
pub fn solve(t: &Transport, warm: Option<&Warm>) -> Result<TransportFlow, PlanError> {
    let warm_places = warm.filter(|w| !w.place_start.is_empty());
    if let Some(w) = warm_places
        && w.place_start.len() != t.num_origins() + 1
    {
        return Err(PlanError::InvalidInput(format!(
            "warm positions for {} origins, expected {}",
            w.place_start.len() - 1,
            t.num_origins()
        )));
    }
    // A warm start with positions leaves little work, less than regrouping would cost.
    let grouped;
    let (inner, order) = match warm_places {
        Some(_) => (t, None),
        None => {
            let (g, order) = grouped_by_site(t);
            grouped = g;
            (&grouped, Some(order))
        }
    };
    let places = warm_places.cloned().unwrap_or_default();
    let mut s = Solver::new(inner, warm.map(|w| w.potential.as_slice()))?;
    s.places = places;
    s.place_at_cheapest()?;
    s.fill_priced_slack()?;
    s.raise_prices(PRICE_PASSES)?;
    s.drain_excess()?;
    let mut flow = s.finish()?;
    if let Some(order) = order {
        // Back to the caller's order of origins and arcs.
        let mut arc_flow = vec![0; t.num_arcs()];
        let mut unplaced_flow = vec![0; t.num_origins()];
        for (i, &o) in order.iter().enumerate() {
            let o = o as usize;
            unplaced_flow[o] = flow.unplaced_flow[i];
            for (a, b) in t.arcs(o).zip(inner.arcs(i)) {
                arc_flow[a] = flow.arc_flow[b];
            }
        }
        flow.arc_flow = arc_flow;
        flow.unplaced_flow = unplaced_flow;
    }
    Ok(flow)
}

/// The same network with origins reordered by their cheapest site, so that the origins
/// a site holds, and their arcs, sit together in memory. Searches and heap builds walk
/// exactly those groups; in input order every step would be a cache miss.
fn grouped_by_site(t: &Transport) -> (Transport, Vec<u32>) {
    let n = t.num_origins();
    let home = |o: usize| -> u32 {
        t.arcs(o)
            .min_by_key(|&a| t.arc_cost[a])
            .map_or(u32::MAX, |a| t.arc_site[a])
    };
    let mut order: Vec<(u32, u32)> = (0..n).map(|o| (home(o), o as u32)).collect();
    order.sort_unstable();
    let mut inner = Transport {
        supply: Vec::with_capacity(n),
        arc_start: Vec::with_capacity(n + 1),
        arc_site: Vec::with_capacity(t.num_arcs()),
        arc_cost: Vec::with_capacity(t.num_arcs()),
        unplaced_cost: Vec::with_capacity(n),
        has_unplaced: Vec::with_capacity(n),
        capacity: t.capacity.clone(),
    };
    inner.arc_start.push(0);
    for &(_, o) in &order {
        let o = o as usize;
        let arcs = t.arcs(o);
        inner.arc_site.extend_from_slice(&t.arc_site[arcs.clone()]);
        inner.arc_cost.extend_from_slice(&t.arc_cost[arcs]);
        inner.arc_start.push(inner.arc_site.len());
        inner.supply.push(t.supply[o]);
        inner.unplaced_cost.push(t.unplaced_cost[o]);
        inner.has_unplaced.push(t.has_unplaced[o]);
    }
    (inner, order.into_iter().map(|(_, o)| o).collect())
}

#[derive(Debug, Clone, Copy)]
struct Pred {
    from: u32,
    /// Arc the moving origin leaves at `from`; `NONE` for a site's own spare capacity.
    out_arc: u32,
    /// Arc it arrives on; `NONE` when it goes to the sink unplaced.
    in_arc: u32,
}

const NO_PRED: Pred = Pred {
    from: NONE,
    out_arc: NONE,
    in_arc: NONE,
};

type MoveHeap = BinaryHeap<Reverse<(i64, u32, u32)>>;

/// A residual arc between two sites, with the cheapest origin that can take it
/// (`out_arc == NONE` when no origin at the tail has an arc to the head).
#[derive(Debug, Clone, Copy)]
struct Nbr {
    to: u32,
    out_arc: u32,
    in_arc: u32,
    key: i64,
}
type ExitHeap = BinaryHeap<Reverse<(i64, u32)>>;

struct Solver<'a> {
    t: &'a Transport,
    m: usize,
    arc_origin: Vec<u32>,
    rev_start: Vec<usize>,
    rev_arc: Vec<u32>,
    flow: Vec<i64>,
    unplaced: Vec<i64>,
    load: Vec<i64>,
    pi: Vec<i64>,
    built: Vec<bool>,
    /// Per built site: its range in `nbr` (start, end).
    nbr_range: Vec<(u32, u32)>,
    /// Residual arcs `a → b`, grouped by `a` and sorted by `b`, each with the cheapest
    /// valid entry of its heap copied in, so a search reads them in one sequential pass.
    nbr: Vec<Nbr>,
    /// `heaps[i]` belongs to `nbr[i]` and holds `(c(o,b) − c(o,a), arc at a, arc at b)`
    /// for origins at `a`. Keys do not depend on potentials, so entries stay ordered as
    /// prices move; entries of origins that left `a` are dropped when they surface.
    heaps: Vec<MoveHeap>,
    /// Per site: `(U(o) − c(o,a), arc at a)`, the cost of leaving an origin unplaced,
    /// with its cheapest valid entry copied into `exit_top`.
    exits: Vec<ExitHeap>,
    exit_top: Vec<(i64, u32)>,
    dist: Vec<i64>,
    seen: Vec<u32>,
    done: Vec<u32>,
    round: u32,
    pred: Vec<Pred>,
    pq: RadixHeap,
    settled: Vec<u32>,
    path: Vec<Pred>,
    mark: Vec<u32>,
    mark_round: u32,
    /// Scratch while building a site: neighbour site → position in its list.
    slot: Vec<u32>,
    stats: SolveStats,
    /// Warm-start positions, in the solver's origin order.
    places: Warm,
}

impl<'a> Solver<'a> {
    fn new(t: &'a Transport, warm: Option<&[i64]>) -> Result<Self, PlanError> {
        let n = t.num_origins();
        let m = t.num_sites();
        let arcs = t.num_arcs();
        if arcs >= NONE as usize || m >= (NONE - 1) as usize || n >= NONE as usize {
            return Err(PlanError::InvalidInput(
                "network too large for 32-bit indices".into(),
            ));
        }
        let mut total: i64 = 0;
        for &s in &t.supply {
            if s < 0 {
                return Err(PlanError::InvalidInput("negative origin supply".into()));
            }
            // Every flow and load is bounded by the total supply, so checking it once
            // lets the augmentations use plain arithmetic.
            total = total
                .checked_add(s)
                .ok_or(PlanError::Overflow("summing supplies"))?;
        }
        for &c in &t.capacity {
            if c < 0 {
                return Err(PlanError::InvalidInput("negative site capacity".into()));
            }
        }
        let mut arc_origin = vec![0u32; arcs];
        let mut rev_start = vec![0usize; m + 1];
        for o in 0..n {
            // Residual arcs compare two costs of one origin; checking the spread here
            // once keeps the hot loops free of checks on those differences.
            let costs = t.arc_cost[t.arcs(o)]
                .iter()
                .copied()
                .chain(t.unplaced_cost(o));
            let (lo, hi) = costs.fold((i64::MAX, i64::MIN), |(lo, hi), c| (lo.min(c), hi.max(c)));
            if lo <= hi && hi.checked_sub(lo).is_none() {
                return Err(PlanError::Overflow("comparing the costs of one origin"));
            }
            for a in t.arcs(o) {
                let j = t.arc_site[a] as usize;
                if j >= m {
                    return Err(PlanError::InvalidInput(format!("arc to site {j} of {m}")));
                }
                arc_origin[a] = o as u32;
                rev_start[j + 1] += 1;
            }
        }
        for j in 0..m {
            rev_start[j + 1] += rev_start[j];
        }
        let mut fill = rev_start.clone();
        let mut rev_arc = vec![0u32; arcs];
        for (a, &j) in t.arc_site.iter().enumerate() {
            let j = j as usize;
            rev_arc[fill[j]] = a as u32;
            fill[j] += 1;
        }
        let pi = match warm {
            None => vec![0; m],
            Some(w) if w.len() == m => w.iter().map(|&p| p.min(0)).collect(),
            Some(w) => {
                return Err(PlanError::InvalidInput(format!(
                    "{} warm potentials for {m} sites",
                    w.len()
                )));
            }
        };
        Ok(Solver {
            t,
            m,
            arc_origin,
            rev_start,
            rev_arc,
            flow: vec![0; arcs],
            unplaced: vec![0; n],
            load: vec![0; m],
            pi,
            built: vec![false; m],
            nbr_range: vec![(0, 0); m],
            nbr: Vec::new(),
            heaps: Vec::new(),
            exits: vec![BinaryHeap::new(); m],
            exit_top: vec![(0, NONE); m],
            dist: vec![0; m + 1],
            seen: vec![0; m + 1],
            done: vec![0; m + 1],
            round: 0,
            pred: vec![NO_PRED; m + 1],
            pq: RadixHeap::new(),
            settled: Vec::new(),
            path: Vec::new(),
            mark: vec![0; m],
            slot: vec![0; m],
            mark_round: 0,
            stats: SolveStats::default(),
            places: Warm::default(),
        })
    }

    fn reduced(&self, a: usize) -> Result<i64, PlanError> {
        self.t.arc_cost[a]
            .checked_sub(self.pi[self.t.arc_site[a] as usize])
            .ok_or(PlanError::Overflow("pricing an arc"))
    }

    /// Puts every origin wholly on its cheapest arc at the current prices. That is dual
    /// feasible from the start; what remains wrong is only sites over capacity.
    fn place_at_cheapest(&mut self) -> Result<(), PlanError> {
        let t = self.t;
        for o in 0..t.num_origins() {
            let sup = t.supply[o];
            if sup == 0 {
                continue;
            }
            let mut best: Option<(i64, usize)> = None;
            for a in t.arcs(o) {
                let rc = self.reduced(a)?;
                if best.is_none_or(|(b, _)| rc < b) {
                    best = Some((rc, a));
                }
            }
            let unplaced = t.has_unplaced[o] && best.is_none_or(|(b, _)| t.unplaced_cost[o] < b);
            // Where the origin was before, if every part of that is still among its
            // cheapest places: keeping it keeps the loads the earlier solve balanced.
            if self.try_warm_place(o, best.map(|(b, _)| b))? {
                continue;
            }
            match best {
                _ if unplaced => self.unplaced[o] = sup,
                Some((_, a)) => {
                    self.flow[a] = sup;
                    self.load[t.arc_site[a] as usize] += sup;
                }
                None => return Err(PlanError::Infeasible),
            }
        }
        Ok(())
    }

    /// Puts origin `o` where the warm start says it was, if every part of that is at
    /// the least reduced cost `best` (over its arcs). Returns whether it did.
    fn try_warm_place(&mut self, o: usize, best: Option<i64>) -> Result<bool, PlanError> {
        let t = self.t;
        if self.places.place_start.is_empty() {
            return Ok(false);
        }
        let range = self.places.place_start[o]..self.places.place_start[o + 1];
        if range.is_empty() {
            return Ok(false);
        }
        let min = match (best, t.has_unplaced[o]) {
            (Some(b), true) => b.min(t.unplaced_cost[o]),
            (Some(b), false) => b,
            (None, true) => t.unplaced_cost[o],
            (None, false) => return Ok(false),
        };
        let mut total = 0i64;
        for i in range.clone() {
            let (site, amount) = self.places.place[i];
            if amount <= 0 {
                return Ok(false);
            }
            total = total.saturating_add(amount);
            let cheapest = if site == UNPLACED {
                t.has_unplaced[o] && t.unplaced_cost[o] == min
            } else {
                let mut ok = false;
                for a in t.arcs(o) {
                    if t.arc_site[a] == site && self.reduced(a)? == min {
                        ok = true;
                        break;
                    }
                }
                ok
            };
            if !cheapest {
                return Ok(false);
            }
        }
        if total != t.supply[o] {
            return Ok(false);
        }
        for i in range {
            let (site, amount) = self.places.place[i];
            if site == UNPLACED {
                self.unplaced[o] += amount;
                continue;
            }
            for a in t.arcs(o) {
                if t.arc_site[a] == site && self.reduced(a)? == min {
                    self.flow[a] += amount;
                    self.load[site as usize] += amount;
                    break;
                }
            }
        }
        Ok(true)
    }

    /// A site with spare places must not be priced (its arc to the sink is unused), but
    /// warm starts leave some that are: origins that moved away from it, or capacity that
    /// grew. Each such site is treated as demand for its spare places and filled along
    /// shortest paths, searched backwards from it, from the sink or an overloaded site.
    fn fill_priced_slack(&mut self) -> Result<(), PlanError> {
        for j in 0..self.m {
            while self.pi[j] < 0 && self.load[j] < self.t.capacity[j] {
                let source = self.search_back(j)?;
                self.augment_back(j, source);
            }
        }
        Ok(())
    }

    /// Flow `v` sends to the sink, counting the deficit site `j` as full.
    fn to_sink(&self, v: usize, j: usize) -> i64 {
        if v == j {
            self.t.capacity[v]
        } else {
            self.load[v].min(self.t.capacity[v])
        }
    }

    /// Dijkstra backwards from deficit site `j`: an arc `k → v` is an origin at `k` that
    /// could move to `v`. Ends at the sink (a site giving up flow it sends there, or an
    /// unplaced origin) or at an overloaded site. Settled sites get `π += D − d`.
    fn search_back(&mut self, j: usize) -> Result<usize, PlanError> {
        const OVF: PlanError = PlanError::Overflow("searching for a shortest path");
        let t = self.t;
        self.next_round();
        self.stats.searches += 1;
        let sink = self.m;
        let round = self.round;
        self.pq.clear();
        self.settled.clear();
        self.seen[j] = round;
        self.dist[j] = 0;
        self.pq.push(0, j as u32);
        while let Some((d, v)) = self.pq.pop() {
            let v = v as usize;
            if self.done[v] == round || d > self.dist[v] {
                continue;
            }
            self.done[v] = round;
            if v == sink || (v != j && self.load[v] > t.capacity[v]) {
                for &u in &self.settled {
                    let u = u as usize;
                    self.pi[u] = self.pi[u].checked_add(d - self.dist[u]).ok_or(OVF)?;
                }
                return Ok(v);
            }
            self.settled.push(v as u32);
            let pv = self.pi[v];
            if self.to_sink(v, j) > 0 {
                let nd = d.checked_sub(pv).ok_or(OVF)?;
                self.relax(
                    sink,
                    nd,
                    Pred {
                        from: v as u32,
                        out_arc: NONE,
                        in_arc: NONE,
                    },
                );
            }
            for i in self.rev_start[v]..self.rev_start[v + 1] {
                let r = self.rev_arc[i] as usize;
                let o = self.arc_origin[r] as usize;
                let cr = t.arc_cost[r].checked_sub(pv).ok_or(OVF)?;
                if self.unplaced[o] > 0 {
                    let nd = cr
                        .checked_sub(t.unplaced_cost[o])
                        .and_then(|x| x.checked_add(d))
                        .ok_or(OVF)?;
                    self.relax(
                        sink,
                        nd,
                        Pred {
                            from: v as u32,
                            out_arc: VIA_UNPLACED,
                            in_arc: r as u32,
                        },
                    );
                }
                for p in t.arcs(o) {
                    let k = t.arc_site[p] as usize;
                    if self.flow[p] == 0 || k == v || self.done[k] == round {
                        continue;
                    }
                    let nd = t.arc_cost[p]
                        .checked_sub(self.pi[k])
                        .and_then(|here| cr.checked_sub(here))
                        .and_then(|rc| d.checked_add(rc))
                        .ok_or(OVF)?;
                    self.relax(
                        k,
                        nd,
                        Pred {
                            from: v as u32,
                            out_arc: p as u32,
                            in_arc: r as u32,
                        },
                    );
                }
            }
        }
        Err(PlanError::Infeasible)
    }

    fn augment_back(&mut self, j: usize, source: usize) {
        let t = self.t;
        let sink = self.m;
        self.stats.augmentations += 1;
        let mut delta = t.capacity[j] - self.load[j];
        if source != sink {
            delta = delta.min(self.load[source] - t.capacity[source]);
        }
        let mut v = source;
        while v != j {
            let p = self.pred[v];
            let room = match p.out_arc {
                NONE => self.to_sink(p.from as usize, j),
                VIA_UNPLACED => self.unplaced[self.arc_origin[p.in_arc as usize] as usize],
                out => self.flow[out as usize],
            };
            delta = delta.min(room);
            v = p.from as usize;
        }
        // Straight from the sink to `j`: no origin is worth moving, and the price update
        // has already brought `j`'s price to zero.
        if self.pred[source].from as usize == j && self.pred[source].out_arc == NONE {
            return;
        }
        let mut v = source;
        while v != j {
            let p = self.pred[v];
            let w = p.from as usize;
            match p.out_arc {
                NONE => {}
                VIA_UNPLACED => {
                    let r = p.in_arc as usize;
                    self.unplaced[self.arc_origin[r] as usize] -= delta;
                    self.flow[r] += delta;
                    self.load[w] += delta;
                }
                out => {
                    self.flow[out as usize] -= delta;
                    self.load[v] -= delta;
                    self.flow[p.in_arc as usize] += delta;
                    self.load[w] += delta;
                }
            }
            v = w;
        }
    }

    /// Cheap warm start for the exact phase: each overloaded site's price rises just
    /// enough for its excess to leave, the origins that care least going first to their
    /// next-cheapest place. Every origin stays on a cheapest arc and every site left with
    /// spare places keeps price zero, so the state stays dual feasible and the exact
    /// phase that follows is unaffected except in how much work is left to it.
    fn raise_prices(&mut self, passes: usize) -> Result<(), PlanError> {
        const OVF: PlanError = PlanError::Overflow("raising prices");
        let t = self.t;
        let excess =
            |s: &Self| -> i64 { (0..s.m).map(|j| (s.load[j] - t.capacity[j]).max(0)).sum() };
        let mut before = excess(self);
        let mut cand: Vec<(i64, u32, u32)> = Vec::new();
        for _ in 0..passes {
            if before == 0 {
                break;
            }
            for j in 0..self.m {
                if self.load[j] <= t.capacity[j] {
                    continue;
                }
                let pj = self.pi[j];
                cand.clear();
                for i in self.rev_start[j]..self.rev_start[j + 1] {
                    let r = self.rev_arc[i] as usize;
                    if self.flow[r] == 0 {
                        continue;
                    }
                    let o = self.arc_origin[r] as usize;
                    let here = t.arc_cost[r].checked_sub(pj).ok_or(OVF)?;
                    let mut alt: Option<(i64, u32)> = None;
                    for q in t.arcs(o) {
                        if t.arc_site[q] as usize == j {
                            continue;
                        }
                        let rc = self.reduced(q)?;
                        if alt.is_none_or(|(b, _)| rc < b) {
                            alt = Some((rc, q as u32));
                        }
                    }
                    if t.has_unplaced[o] && alt.is_none_or(|(b, _)| t.unplaced_cost[o] < b) {
                        alt = Some((t.unplaced_cost[o], NONE));
                    }
                    if let Some((rc, q)) = alt {
                        cand.push((rc.checked_sub(here).ok_or(OVF)?, r as u32, q));
                    }
                }
                cand.sort_unstable();
                let mut need = self.load[j] - t.capacity[j];
                let mut margin = 0;
                for &(mg, r, q) in &cand {
                    let r = r as usize;
                    let take = self.flow[r].min(need);
                    self.flow[r] -= take;
                    self.load[j] -= take;
                    if q == NONE {
                        self.unplaced[self.arc_origin[r] as usize] += take;
                    } else {
                        self.flow[q as usize] += take;
                        self.load[t.arc_site[q as usize] as usize] += take;
                    }
                    need -= take;
                    margin = mg;
                    if need == 0 {
                        break;
                    }
                }
                self.pi[j] = pj.checked_sub(margin).ok_or(OVF)?;
            }
            let after = excess(self);
            // Neighbouring overloaded sites can trade the same people back and forth in
            // small steps; once a pass gains little, the exact phase is cheaper.
            if after * 10 > before * 9 {
                break;
            }
            before = after;
        }
        Ok(())
    }

    fn drain_excess(&mut self) -> Result<(), PlanError> {
        let over: Vec<usize> = (0..self.m)
            .filter(|&j| self.load[j] > self.t.capacity[j])
            .collect();
        for s in over {
            // Augmentations never add load to a site without spare places, so each
            // overloaded site is drained once and stays drained.
            while self.load[s] > self.t.capacity[s] {
                self.search(s)?;
                self.augment(s);
            }
        }
        Ok(())
    }

    fn next_round(&mut self) {
        if self.round == u32::MAX {
            self.seen.fill(0);
            self.done.fill(0);
            self.round = 0;
        }
        self.round += 1;
    }

    fn lookup(&self, a: usize, b: u32) -> usize {
        let (lo, hi) = self.nbr_range[a];
        let (lo, hi) = (lo as usize, hi as usize);
        match self.nbr[lo..hi].binary_search_by_key(&b, |n| n.to) {
            Ok(i) => lo + i,
            // Neighbour lists are built from every origin with an arc to the site, so
            // any origin that can be at `a` finds all of its other sites here.
            Err(_) => unreachable!("site {b} missing from neighbours of {a}"),
        }
    }

    /// Records that the origin of arc `r` now has flow at site `a`. Differences of one
    /// origin's costs were checked in `new`, so the keys cannot overflow.
    fn push_entries(&mut self, a: usize, r: usize) {
        let t = self.t;
        let o = self.arc_origin[r] as usize;
        let cr = t.arc_cost[r];
        for q in t.arcs(o) {
            let b = t.arc_site[q];
            if b as usize == a {
                continue;
            }
            let i = self.lookup(a, b);
            let key = t.arc_cost[q] - cr;
            self.heaps[i].push(Reverse((key, r as u32, q as u32)));
            let n = &mut self.nbr[i];
            if n.out_arc == NONE || key < n.key {
                *n = Nbr {
                    to: b,
                    out_arc: r as u32,
                    in_arc: q as u32,
                    key,
                };
            }
        }
        if t.has_unplaced[o] {
            let key = t.unplaced_cost[o] - cr;
            self.exits[a].push(Reverse((key, r as u32)));
            let top = &mut self.exit_top[a];
            if top.1 == NONE || key < top.0 {
                *top = (key, r as u32);
            }
        }
    }

    /// Records that the origin of arc `r` has left site `a`: where it was the cached
    /// cheapest entry, the next valid one takes its place.
    fn depart(&mut self, a: usize, r: usize) {
        let t = self.t;
        let o = self.arc_origin[r] as usize;
        for q in t.arcs(o) {
            let b = t.arc_site[q];
            if b as usize == a {
                continue;
            }
            let i = self.lookup(a, b);
            if self.nbr[i].out_arc != r as u32 {
                continue;
            }
            let heap = &mut self.heaps[i];
            let n = &mut self.nbr[i];
            n.out_arc = NONE;
            while let Some(&Reverse((key, out, inn))) = heap.peek() {
                if self.flow[out as usize] > 0 {
                    n.out_arc = out;
                    n.in_arc = inn;
                    n.key = key;
                    break;
                }
                heap.pop();
            }
        }
        if self.exit_top[a].1 == r as u32 {
            let heap = &mut self.exits[a];
            let top = &mut self.exit_top[a];
            top.1 = NONE;
            while let Some(&Reverse((key, out))) = heap.peek() {
                if self.flow[out as usize] > 0 {
                    *top = (key, out);
                    break;
                }
                heap.pop();
            }
        }
    }

    /// Builds a site's residual arcs the first time a search reaches it; most sites of a
    /// warm re-plan are never reached and never pay for this.
    fn ensure_built(&mut self, a: usize) {
        if self.built[a] {
            return;
        }
        self.built[a] = true;
        self.stats.sites_built += 1;
        let t = self.t;
        if self.mark_round == u32::MAX {
            self.mark.fill(0);
            self.mark_round = 0;
        }
        self.mark_round += 1;
        let mut list: Vec<u32> = Vec::new();
        for i in self.rev_start[a]..self.rev_start[a + 1] {
            let o = self.arc_origin[self.rev_arc[i] as usize] as usize;
            for q in t.arcs(o) {
                let b = t.arc_site[q];
                if b as usize != a && self.mark[b as usize] != self.mark_round {
                    self.mark[b as usize] = self.mark_round;
                    list.push(b);
                }
            }
        }
        list.sort_unstable();
        for (i, &b) in list.iter().enumerate() {
            self.slot[b as usize] = i as u32;
        }
        // Entries are gathered first and heapified once: linear instead of a sift per
        // entry, and each heap allocated at its final size.
        let mut groups: Vec<Vec<Reverse<(i64, u32, u32)>>> = vec![Vec::new(); list.len()];
        let mut exits: Vec<Reverse<(i64, u32)>> = Vec::new();
        for i in self.rev_start[a]..self.rev_start[a + 1] {
            let r = self.rev_arc[i] as usize;
            if self.flow[r] == 0 {
                continue;
            }
            let o = self.arc_origin[r] as usize;
            let cr = t.arc_cost[r];
            for q in t.arcs(o) {
                let b = t.arc_site[q] as usize;
                if b != a {
                    groups[self.slot[b] as usize].push(Reverse((
                        t.arc_cost[q] - cr,
                        r as u32,
                        q as u32,
                    )));
                }
            }
            if t.has_unplaced[o] {
                exits.push(Reverse((t.unplaced_cost[o] - cr, r as u32)));
            }
        }
        let base = self.nbr.len();
        for (b, group) in list.iter().zip(groups) {
            let heap = BinaryHeap::from(group);
            let n = match heap.peek() {
                Some(&Reverse((key, out, inn))) => Nbr {
                    to: *b,
                    out_arc: out,
                    in_arc: inn,
                    key,
                },
                None => Nbr {
                    to: *b,
                    out_arc: NONE,
                    in_arc: NONE,
                    key: 0,
                },
            };
            self.nbr.push(n);
            self.heaps.push(heap);
        }
        self.nbr_range[a] = (base as u32, self.nbr.len() as u32);
        let exits = BinaryHeap::from(exits);
        self.exit_top[a] = exits.peek().map_or((0, NONE), |&Reverse(e)| e);
        self.exits[a] = exits;
    }

    fn relax(&mut self, v: usize, d: i64, p: Pred) {
        let sink = self.m;
        // Nothing at or beyond the sink's tentative distance can be settled before it.
        if v != sink && self.seen[sink] == self.round && d >= self.dist[sink] {
            return;
        }
        if self.seen[v] != self.round || d < self.dist[v] {
            self.seen[v] = self.round;
            self.dist[v] = d;
            self.pred[v] = p;
            self.pq.push(d, v as u32);
        }
    }

    /// Dijkstra from overloaded site `s` to the sink over reduced costs, stopping at the
    /// sink. Settled sites then get `π += d − D`, which keeps every reduced cost
    /// non-negative and makes the found path's arcs all zero.
    fn search(&mut self, s: usize) -> Result<(), PlanError> {
        const OVF: PlanError = PlanError::Overflow("searching for a shortest path");
        self.next_round();
        self.stats.searches += 1;
        let sink = self.m;
        let round = self.round;
        self.pq.clear();
        self.settled.clear();
        self.seen[s] = round;
        self.dist[s] = 0;
        self.pq.push(0, s as u32);
        while let Some((d, v)) = self.pq.pop() {
            let v = v as usize;
            if self.done[v] == round || d > self.dist[v] {
                continue;
            }
            self.done[v] = round;
            if v == sink {
                if self.pred[sink].out_arc != NONE {
                    self.stats.unplaced_exits += 1;
                    self.stats.unplaced_settled += self.settled.len() as u64;
                }
                for &u in &self.settled {
                    let u = u as usize;
                    self.pi[u] = self.pi[u].checked_add(self.dist[u] - d).ok_or(OVF)?;
                }
                return Ok(());
            }
            self.settled.push(v as u32);
            self.stats.settled += 1;
            self.ensure_built(v);
            let pv = self.pi[v];
            if self.load[v] < self.t.capacity[v] {
                debug_assert!(pv >= 0, "a site with spare places is priced");
                let nd = d.checked_add(pv).ok_or(OVF)?;
                self.relax(
                    sink,
                    nd,
                    Pred {
                        from: v as u32,
                        out_arc: NONE,
                        in_arc: NONE,
                    },
                );
            }
            let (key, r) = self.exit_top[v];
            if r != NONE {
                let nd = key
                    .checked_add(pv)
                    .and_then(|x| x.checked_add(d))
                    .ok_or(OVF)?;
                self.relax(
                    sink,
                    nd,
                    Pred {
                        from: v as u32,
                        out_arc: r,
                        in_arc: NONE,
                    },
                );
            }
            let (lo, hi) = self.nbr_range[v];
            for i in lo as usize..hi as usize {
                let n = self.nbr[i];
                let b = n.to as usize;
                if n.out_arc == NONE || self.done[b] == round {
                    continue;
                }
                let rc = n
                    .key
                    .checked_add(pv)
                    .and_then(|x| x.checked_sub(self.pi[b]))
                    .ok_or(OVF)?;
                debug_assert!(rc >= 0, "negative reduced cost {rc}");
                let nd = d.checked_add(rc).ok_or(OVF)?;
                self.relax(
                    b,
                    nd,
                    Pred {
                        from: v as u32,
                        out_arc: n.out_arc,
                        in_arc: n.in_arc,
                    },
                );
            }
        }
        Err(PlanError::Infeasible)
    }

    fn augment(&mut self, s: usize) {
        let t = self.t;
        self.stats.augmentations += 1;
        let mut path = std::mem::take(&mut self.path);
        path.clear();
        let mut v = self.m;
        while v != s {
            let p = self.pred[v];
            path.push(p);
            v = p.from as usize;
        }
        let mut delta = self.load[s] - t.capacity[s];
        for p in &path {
            let room = if p.out_arc == NONE {
                t.capacity[p.from as usize] - self.load[p.from as usize]
            } else {
                self.flow[p.out_arc as usize]
            };
            delta = delta.min(room);
        }
        debug_assert!(delta > 0);
        for p in path.iter().rev() {
            if p.out_arc == NONE {
                continue;
            }
            let r = p.out_arc as usize;
            self.flow[r] -= delta;
            self.load[p.from as usize] -= delta;
            if self.flow[r] == 0 {
                self.depart(p.from as usize, r);
            }
            if p.in_arc == NONE {
                self.unplaced[self.arc_origin[r] as usize] += delta;
            } else {
                let q = p.in_arc as usize;
                let b = t.arc_site[q] as usize;
                let arrived = self.flow[q] == 0;
                self.flow[q] += delta;
                self.load[b] += delta;
                if arrived && self.built[b] {
                    self.push_entries(b, q);
                }
            }
        }
        self.path = path;
    }

    fn finish(self) -> Result<TransportFlow, PlanError> {
        const OVF: PlanError = PlanError::Overflow("totalling the cost");
        let t = self.t;
        let mut cost: i64 = 0;
        for (a, &f) in self.flow.iter().enumerate() {
            if f != 0 {
                cost = f
                    .checked_mul(t.arc_cost[a])
                    .and_then(|x| x.checked_add(cost))
                    .ok_or(OVF)?;
            }
        }
        for (o, &f) in self.unplaced.iter().enumerate() {
            if f != 0 {
                cost = f
                    .checked_mul(t.unplaced_cost[o])
                    .and_then(|x| x.checked_add(cost))
                    .ok_or(OVF)?;
            }
        }
        Ok(TransportFlow {
            arc_flow: self.flow,
            unplaced_flow: self.unplaced,
            load: self.load,
            potential: self.pi,
            cost,
            stats: self.stats,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn problem() -> impl Strategy<Value = (Transport, Vec<i64>)> {
        (1usize..=10, 1usize..=5).prop_flat_map(|(n, m)| {
            (
                prop::collection::vec(0i64..=12, m),
                prop::collection::vec(
                    (
                        1i64..=6,
                        prop::collection::vec((0..m as u32, 0i64..=50), 0..=4),
                    ),
                    n,
                ),
                prop::collection::vec(-80i64..=10, m),
            )
                .prop_map(|(caps, origins, warm)| {
                    let mut t = Transport::new(caps);
                    for (supply, arcs) in origins {
                        t.add_origin(supply, Some(200), arcs);
                    }
                    (t, warm)
                })
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 500,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// Any warm prices, however wrong, reach the same optimum as a cold start.
        #[test]
        fn warm_start_reaches_the_cold_optimum((t, warm) in problem()) {
            let cold = solve(&t, None).unwrap();
            // Positions from the cold optimum, and arbitrary ones, with arbitrary prices.
            let mut exact = Warm { potential: warm.clone(), ..Warm::default() };
            let mut wild = Warm { potential: warm.clone(), ..Warm::default() };
            for o in 0..t.num_origins() {
                exact.push_origin(
                    t.arcs(o)
                        .filter(|&a| cold.arc_flow[a] > 0)
                        .map(|a| (t.arc_site[a], cold.arc_flow[a]))
                        .chain((cold.unplaced_flow[o] > 0).then_some((UNPLACED, cold.unplaced_flow[o]))),
                );
                let site = if o % 3 == 0 { UNPLACED } else { (o % t.num_sites()) as u32 };
                wild.push_origin([(site, t.supply[o])]);
            }
            let from_optimum = Warm { potential: cold.potential.clone(), ..exact.clone() };
            for w in [exact, wild, from_optimum] {
                prop_assert_eq!(solve(&t, Some(&w)).unwrap().cost, cold.cost);
            }
            let hot = solve(&t, Some(&Warm { potential: warm, ..Warm::default() })).unwrap();
            prop_assert_eq!(cold.cost, hot.cost);
            for sol in [&cold, &hot] {
                for o in 0..t.num_origins() {
                    let placed: i64 = t.arcs(o).map(|a| sol.arc_flow[a]).sum();
                    prop_assert_eq!(placed + sol.unplaced_flow[o], t.supply[o]);
                }
                for j in 0..t.num_sites() {
                    prop_assert!(sol.load[j] <= t.capacity[j]);
                    prop_assert!(sol.potential[j] <= 0);
                }
            }
        }
    }
}
