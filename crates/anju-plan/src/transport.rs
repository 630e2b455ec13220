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

const NONE: u32 = u32::MAX;

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

/// Solves to optimality. `warm` are site potentials of an earlier, related solve; they
/// change only how much work is needed, never the optimum.
pub fn solve(t: &Transport, warm: Option<&[i64]>) -> Result<TransportFlow, PlanError> {
    let mut s = Solver::new(t, warm)?;
    s.place_at_cheapest()?;
    s.release_priced_slack()?;
    s.drain_excess()?;
    s.finish()
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
    /// Per built site: sorted `(neighbour site, heap index)`.
    nbrs: Vec<Vec<(u32, u32)>>,
    /// Heap `(a,b)` holds `(c(o,b) − c(o,a), arc at a, arc at b)` for origins at `a`.
    /// Keys do not depend on potentials, so entries stay ordered as prices move;
    /// entries of origins that left `a` are dropped lazily when they surface.
    heaps: Vec<MoveHeap>,
    /// Per site: `(U(o) − c(o,a), arc at a)`, the cost of leaving an origin unplaced.
    exits: Vec<ExitHeap>,
    dist: Vec<i64>,
    seen: Vec<u32>,
    done: Vec<u32>,
    round: u32,
    pred: Vec<Pred>,
    pq: BinaryHeap<Reverse<(i64, u32)>>,
    settled: Vec<u32>,
    path: Vec<Pred>,
    mark: Vec<u32>,
    mark_round: u32,
    stats: SolveStats,
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
            nbrs: vec![Vec::new(); m],
            heaps: Vec::new(),
            exits: vec![BinaryHeap::new(); m],
            dist: vec![0; m + 1],
            seen: vec![0; m + 1],
            done: vec![0; m + 1],
            round: 0,
            pred: vec![NO_PRED; m + 1],
            pq: BinaryHeap::new(),
            settled: Vec::new(),
            path: Vec::new(),
            mark: vec![0; m],
            mark_round: 0,
            stats: SolveStats::default(),
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

    fn current_reduced(&self, o: usize) -> Result<Option<i64>, PlanError> {
        if self.unplaced[o] > 0 {
            return Ok(Some(self.t.unplaced_cost[o]));
        }
        for a in self.t.arcs(o) {
            if self.flow[a] > 0 {
                return self.reduced(a).map(Some);
            }
        }
        Ok(None)
    }

    /// A site with spare places must have price zero (its arc to the sink is unused).
    /// Warm prices can break that; lowering such a price to zero draws in the origins
    /// that now prefer the site, which may free places (and so lower prices) elsewhere.
    /// Each site is lowered at most once, so this ends.
    fn release_priced_slack(&mut self) -> Result<(), PlanError> {
        let t = self.t;
        let mut queue: Vec<usize> = (0..self.m)
            .filter(|&j| self.pi[j] < 0 && self.load[j] < t.capacity[j])
            .collect();
        while let Some(j) = queue.pop() {
            if !(self.pi[j] < 0 && self.load[j] < t.capacity[j]) {
                continue;
            }
            self.pi[j] = 0;
            for i in self.rev_start[j]..self.rev_start[j + 1] {
                let r = self.rev_arc[i] as usize;
                let o = self.arc_origin[r] as usize;
                let Some(current) = self.current_reduced(o)? else {
                    continue;
                };
                if t.arc_cost[r] >= current {
                    continue;
                }
                for a in t.arcs(o) {
                    if self.flow[a] > 0 {
                        let sa = t.arc_site[a] as usize;
                        self.load[sa] -= self.flow[a];
                        self.flow[a] = 0;
                        if self.pi[sa] < 0 && self.load[sa] < t.capacity[sa] {
                            queue.push(sa);
                        }
                    }
                }
                self.unplaced[o] = 0;
                self.flow[r] = t.supply[o];
                self.load[j] += t.supply[o];
            }
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
        let list = &self.nbrs[a];
        match list.binary_search_by_key(&b, |&(s, _)| s) {
            Ok(i) => list[i].1 as usize,
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
            let h = self.lookup(a, b);
            self.heaps[h].push(Reverse((t.arc_cost[q] - cr, r as u32, q as u32)));
        }
        if t.has_unplaced[o] {
            self.exits[a].push(Reverse((t.unplaced_cost[o] - cr, r as u32)));
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
        let base = self.heaps.len();
        self.nbrs[a] = list
            .iter()
            .enumerate()
            .map(|(i, &b)| (b, (base + i) as u32))
            .collect();
        self.heaps.resize_with(base + list.len(), BinaryHeap::new);
        for i in self.rev_start[a]..self.rev_start[a + 1] {
            let r = self.rev_arc[i] as usize;
            if self.flow[r] > 0 {
                self.push_entries(a, r);
            }
        }
    }

    fn relax(&mut self, v: usize, d: i64, p: Pred) {
        if self.seen[v] != self.round || d < self.dist[v] {
            self.seen[v] = self.round;
            self.dist[v] = d;
            self.pred[v] = p;
            self.pq.push(Reverse((d, v as u32)));
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
        self.pq.push(Reverse((0, s as u32)));
        while let Some(Reverse((d, v))) = self.pq.pop() {
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
                debug_assert_eq!(pv, 0, "a site with spare places is priced");
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
            if self.seen[sink] != round || d < self.dist[sink] {
                let heap = &mut self.exits[v];
                while let Some(&Reverse((key, r))) = heap.peek() {
                    if self.flow[r as usize] > 0 {
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
                        break;
                    }
                    heap.pop();
                }
            }
            for i in 0..self.nbrs[v].len() {
                let (b, h) = self.nbrs[v][i];
                let b = b as usize;
                if self.done[b] == round {
                    continue;
                }
                let heap = &mut self.heaps[h as usize];
                while let Some(&Reverse((key, r, q))) = heap.peek() {
                    if self.flow[r as usize] > 0 {
                        let rc = key
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
                                out_arc: r,
                                in_arc: q,
                            },
                        );
                        break;
                    }
                    heap.pop();
                }
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
