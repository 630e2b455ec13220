//! A general min-cost-flow API: nodes with supplies, arcs with `i64` capacity and cost.
//!
//! Networks of the evacuation shape (supply nodes → zero-supply nodes → one demand node,
//! plus supply → demand arcs) go to the site-level solver in [`crate::transport`]; any
//! other network goes to a plain successive-shortest-path solver. Both are exact.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::PlanError;
use crate::transport::{self, SolveStats, Transport};

/// A directed network. Node indices are `0..num_nodes`; supplies are positive at
/// sources, negative at demands and must sum to zero.
#[derive(Debug, Clone, Default)]
pub struct Network {
    supply: Vec<i64>,
    tail: Vec<u32>,
    head: Vec<u32>,
    capacity: Vec<i64>,
    cost: Vec<i64>,
}

/// Which algorithm solved a network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// The site-level successive-shortest-path solver for the evacuation shape.
    Transport,
    /// Plain successive shortest paths over all nodes.
    General,
}

/// An optimal flow.
#[derive(Debug, Clone)]
pub struct FlowSolution {
    /// Total cost, `Σ flow × cost`.
    pub cost: i64,
    /// Flow on each arc, in the order the arcs were added.
    pub flow: Vec<i64>,
    pub method: Method,
    /// Work counters of the transport solver (zero for the general one).
    pub stats: SolveStats,
}

impl Network {
    pub fn new(num_nodes: usize) -> Self {
        Network {
            supply: vec![0; num_nodes],
            ..Network::default()
        }
    }

    pub fn with_capacity(num_nodes: usize, num_arcs: usize) -> Self {
        Network {
            supply: vec![0; num_nodes],
            tail: Vec::with_capacity(num_arcs),
            head: Vec::with_capacity(num_arcs),
            capacity: Vec::with_capacity(num_arcs),
            cost: Vec::with_capacity(num_arcs),
        }
    }

    pub fn num_nodes(&self) -> usize {
        self.supply.len()
    }

    pub fn num_arcs(&self) -> usize {
        self.tail.len()
    }

    /// Sets a node's supply (negative for a demand).
    ///
    /// # Panics
    /// If `node` is not a node of the network.
    pub fn set_supply(&mut self, node: usize, supply: i64) {
        self.supply[node] = supply;
    }

    pub fn supply(&self, node: usize) -> i64 {
        self.supply[node]
    }

    /// Adds an arc and returns its index. Endpoints are checked by [`min_cost_flow`].
    pub fn add_arc(&mut self, tail: usize, head: usize, capacity: i64, cost: i64) -> usize {
        self.tail.push(u32::try_from(tail).unwrap_or(u32::MAX));
        self.head.push(u32::try_from(head).unwrap_or(u32::MAX));
        self.capacity.push(capacity);
        self.cost.push(cost);
        self.tail.len() - 1
    }

    /// `(tail, head, capacity, cost)` of arc `a`.
    pub fn arc(&self, a: usize) -> (usize, usize, i64, i64) {
        (
            self.tail[a] as usize,
            self.head[a] as usize,
            self.capacity[a],
            self.cost[a],
        )
    }

    fn validate(&self) -> Result<(), PlanError> {
        let n = self.supply.len();
        if n >= u32::MAX as usize {
            return Err(PlanError::InvalidInput("too many nodes".into()));
        }
        for a in 0..self.num_arcs() {
            let (t, h, cap, _) = self.arc(a);
            if t >= n || h >= n {
                return Err(PlanError::InvalidInput(format!(
                    "arc {a} joins {t} and {h} but there are {n} nodes"
                )));
            }
            if cap < 0 {
                return Err(PlanError::InvalidInput(format!(
                    "arc {a} has negative capacity {cap}"
                )));
            }
        }
        let sum: i128 = self.supply.iter().map(|&s| i128::from(s)).sum();
        if sum != 0 {
            return Err(PlanError::Unbalanced(sum));
        }
        Ok(())
    }

    /// Total cost of a flow on this network, checked.
    pub fn cost_of(&self, flow: &[i64]) -> Result<i64, PlanError> {
        let mut total: i64 = 0;
        for (a, &f) in flow.iter().enumerate() {
            if f != 0 {
                total = f
                    .checked_mul(self.cost[a])
                    .and_then(|x| x.checked_add(total))
                    .ok_or(PlanError::Overflow("totalling the cost"))?;
            }
        }
        Ok(total)
    }
}

/// Solves `net` to optimality.
///
/// Errors: [`PlanError::Unbalanced`] if supplies do not sum to zero,
/// [`PlanError::Infeasible`] if they cannot all be routed, [`PlanError::Overflow`] if an
/// intermediate or the total cost leaves `i64`, [`PlanError::InvalidInput`] for arcs
/// with a bad endpoint or a negative capacity.
pub fn min_cost_flow(net: &Network) -> Result<FlowSolution, PlanError> {
    net.validate()?;
    match TransportShape::detect(net) {
        Some(shape) => shape.solve(net),
        None => general(net),
    }
}

/// Solves with the general algorithm even when the network has the evacuation shape;
/// tests use it to cross-check the transport solver.
pub fn min_cost_flow_general(net: &Network) -> Result<FlowSolution, PlanError> {
    net.validate()?;
    general(net)
}

/// How an evacuation-shaped network maps onto [`Transport`].
struct TransportShape {
    transport: Transport,
    /// Network arc of each transport arc.
    arc_of: Vec<usize>,
    /// Network arc of each origin's unplaced arc, `usize::MAX` if none.
    unplaced_of: Vec<usize>,
    /// Network arc of each site's arc to the sink, `usize::MAX` if none.
    site_arc: Vec<usize>,
}

impl TransportShape {
    fn detect(net: &Network) -> Option<TransportShape> {
        const NO: usize = usize::MAX;
        let n = net.num_nodes();
        let mut sinks = (0..n).filter(|&v| net.supply[v] < 0);
        let sink = sinks.next()?;
        if sinks.next().is_some() {
            return None;
        }
        // Zero-supply nodes are sites; each gets a dense index.
        let mut site_index = vec![u32::MAX; n];
        let mut sites = 0u32;
        for (v, index) in site_index.iter_mut().enumerate() {
            if net.supply[v] == 0 && v != sink {
                *index = sites;
                sites += 1;
            }
        }
        let mut site_arc = vec![NO; sites as usize];
        let mut capacity = vec![0i64; sites as usize];
        let mut site_cost = vec![0i64; sites as usize];
        let mut unplaced_of = vec![NO; n];
        let mut origin_arcs = vec![0usize; n + 1];
        for a in 0..net.num_arcs() {
            let (t, h, cap, cost) = net.arc(a);
            if cap == 0 {
                continue;
            }
            let source = net.supply[t] > 0;
            if source && h == sink {
                if unplaced_of[t] != NO || cap < net.supply[t] {
                    return None;
                }
                unplaced_of[t] = a;
            } else if source && site_index[h] != u32::MAX {
                if cap < net.supply[t] {
                    return None;
                }
                origin_arcs[t + 1] += 1;
            } else if site_index[t] != u32::MAX && h == sink {
                let j = site_index[t] as usize;
                if site_arc[j] != NO {
                    return None;
                }
                site_arc[j] = a;
                capacity[j] = cap;
                site_cost[j] = cost;
            } else {
                return None;
            }
        }
        for v in 0..n {
            origin_arcs[v + 1] += origin_arcs[v];
        }
        let mut fill = origin_arcs.clone();
        let mut by_origin = vec![0usize; origin_arcs[n]];
        for a in 0..net.num_arcs() {
            let (t, h, cap, _) = net.arc(a);
            if cap > 0 && net.supply[t] > 0 && site_index[h] != u32::MAX {
                by_origin[fill[t]] = a;
                fill[t] += 1;
            }
        }
        let mut transport = Transport::new(capacity);
        let mut arc_of = Vec::with_capacity(by_origin.len());
        let mut unplaced = Vec::new();
        for v in 0..n {
            if net.supply[v] <= 0 {
                continue;
            }
            let arcs = &by_origin[origin_arcs[v]..origin_arcs[v + 1]];
            let mut list = Vec::with_capacity(arcs.len());
            for &a in arcs {
                let (_, h, _, cost) = net.arc(a);
                let j = site_index[h];
                // A site's own arc cost is paid by every unit through it; folding it
                // into the origin arcs keeps the transport sink arcs free.
                let c = cost.checked_add(site_cost[j as usize])?;
                list.push((j, c));
                arc_of.push(a);
            }
            let u = unplaced_of[v];
            transport.add_origin(net.supply[v], (u != NO).then(|| net.cost[u]), list);
            unplaced.push(u);
        }
        Some(TransportShape {
            transport,
            arc_of,
            unplaced_of: unplaced,
            site_arc,
        })
    }

    fn solve(self, net: &Network) -> Result<FlowSolution, PlanError> {
        let sol = transport::solve(&self.transport, None)?;
        let mut flow = vec![0i64; net.num_arcs()];
        for (i, &a) in self.arc_of.iter().enumerate() {
            flow[a] += sol.arc_flow[i];
        }
        for (o, &a) in self.unplaced_of.iter().enumerate() {
            if a != usize::MAX {
                flow[a] += sol.unplaced_flow[o];
            }
        }
        for (j, &a) in self.site_arc.iter().enumerate() {
            if a != usize::MAX {
                flow[a] += sol.load[j];
            }
        }
        Ok(FlowSolution {
            cost: net.cost_of(&flow)?,
            flow,
            method: Method::Transport,
            stats: sol.stats,
        })
    }
}

/// Successive shortest paths with potentials over the whole network.
///
/// Negative-cost arcs are saturated first, so every residual arc starts with a
/// non-negative cost and all-zero potentials are valid without Bellman–Ford.
fn general(net: &Network) -> Result<FlowSolution, PlanError> {
    const OVF: PlanError = PlanError::Overflow("finding a shortest path");
    let n = net.num_nodes();
    let arcs = net.num_arcs();
    // Residual edge 2a is arc a forward, 2a+1 its reverse.
    let mut start = vec![0usize; n + 1];
    for a in 0..arcs {
        let (t, h, _, _) = net.arc(a);
        start[t + 1] += 1;
        start[h + 1] += 1;
    }
    for v in 0..n {
        start[v + 1] += start[v];
    }
    let mut fill = start.clone();
    let mut adj = vec![0usize; 2 * arcs];
    for a in 0..arcs {
        let (t, h, _, _) = net.arc(a);
        adj[fill[t]] = 2 * a;
        fill[t] += 1;
        adj[fill[h]] = 2 * a + 1;
        fill[h] += 1;
    }
    let mut flow = vec![0i64; arcs];
    let mut excess: Vec<i64> = net.supply.clone();
    for (a, f) in flow.iter_mut().enumerate() {
        let (t, h, cap, cost) = net.arc(a);
        if cost < 0 && cap > 0 {
            *f = cap;
            excess[t] = excess[t]
                .checked_sub(cap)
                .ok_or(PlanError::Overflow("saturating negative arcs"))?;
            excess[h] = excess[h]
                .checked_add(cap)
                .ok_or(PlanError::Overflow("saturating negative arcs"))?;
        }
    }
    let residual = |flow: &[i64], e: usize| -> (usize, usize, i64, i64) {
        let a = e / 2;
        let (t, h, cap, cost) = net.arc(a);
        if e.is_multiple_of(2) {
            (t, h, cap - flow[a], cost)
        } else {
            // Negating i64::MIN is the only way this can fail.
            (h, t, flow[a], cost.checked_neg().unwrap_or(i64::MAX))
        }
    };
    if net.cost.contains(&i64::MIN) {
        return Err(PlanError::Overflow("negating a cost"));
    }
    let mut pi = vec![0i64; n];
    let mut dist = vec![0i64; n];
    let mut seen = vec![0u32; n];
    let mut done = vec![0u32; n];
    let mut pred = vec![usize::MAX; n];
    let mut root = vec![0usize; n];
    let mut round = 0u32;
    let mut settled = Vec::new();
    let mut pq: BinaryHeap<Reverse<(i64, usize)>> = BinaryHeap::new();
    loop {
        if !excess.iter().any(|&e| e > 0) {
            break;
        }
        round += 1;
        pq.clear();
        settled.clear();
        for v in 0..n {
            if excess[v] > 0 {
                seen[v] = round;
                dist[v] = 0;
                pred[v] = usize::MAX;
                root[v] = v;
                pq.push(Reverse((0, v)));
            }
        }
        let mut target = None;
        while let Some(Reverse((d, v))) = pq.pop() {
            if done[v] == round || d > dist[v] {
                continue;
            }
            done[v] = round;
            if excess[v] < 0 {
                target = Some((v, d));
                break;
            }
            settled.push(v);
            for &e in &adj[start[v]..start[v + 1]] {
                let (_, w, room, cost) = residual(&flow, e);
                if room <= 0 || done[w] == round {
                    continue;
                }
                let rc = cost
                    .checked_add(pi[v])
                    .and_then(|x| x.checked_sub(pi[w]))
                    .ok_or(OVF)?;
                let nd = d.checked_add(rc).ok_or(OVF)?;
                if seen[w] != round || nd < dist[w] {
                    seen[w] = round;
                    dist[w] = nd;
                    pred[w] = e;
                    root[w] = root[v];
                    pq.push(Reverse((nd, w)));
                }
            }
        }
        let Some((t, big_d)) = target else {
            return Err(PlanError::Infeasible);
        };
        for &v in &settled {
            pi[v] = pi[v].checked_add(dist[v] - big_d).ok_or(OVF)?;
        }
        let s = root[t];
        let mut delta = excess[s].min(-excess[t]);
        let mut v = t;
        while v != s {
            let e = pred[v];
            let (from, _, room, _) = residual(&flow, e);
            delta = delta.min(room);
            v = from;
        }
        let mut v = t;
        while v != s {
            let e = pred[v];
            let a = e / 2;
            let (from, _, _, _) = residual(&flow, e);
            if e.is_multiple_of(2) {
                flow[a] += delta;
            } else {
                flow[a] -= delta;
            }
            v = from;
        }
        excess[s] -= delta;
        excess[t] += delta;
    }
    Ok(FlowSolution {
        cost: net.cost_of(&flow)?,
        flow,
        method: Method::General,
        stats: SolveStats::default(),
    })
}
