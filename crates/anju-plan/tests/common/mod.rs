//! Independent checks for the solver: a cycle-cancelling reference solver and an
//! optimality certificate, both written without reference to the crate's algorithms.

#![allow(dead_code, clippy::unwrap_used)]

use anju_plan::Network;

/// Residual edge of the reference solver.
#[derive(Clone, Copy)]
struct Edge {
    to: usize,
    cap: i128,
    cost: i128,
    rev: usize,
}

struct Residual {
    adj: Vec<Vec<Edge>>,
}

impl Residual {
    fn new(n: usize) -> Self {
        Residual {
            adj: vec![Vec::new(); n],
        }
    }

    fn add(&mut self, u: usize, v: usize, cap: i128, cost: i128) -> (usize, usize) {
        let iu = self.adj[u].len();
        let iv = self.adj[v].len() + usize::from(u == v);
        self.adj[u].push(Edge {
            to: v,
            cap,
            cost,
            rev: iv,
        });
        self.adj[v].push(Edge {
            to: u,
            cap: 0,
            cost: -cost,
            rev: iu,
        });
        (u, iu)
    }

    fn push(&mut self, u: usize, i: usize, amount: i128) {
        let e = self.adj[u][i];
        self.adj[u][i].cap -= amount;
        self.adj[e.to][e.rev].cap += amount;
    }

    /// Edmonds–Karp; returns the flow sent.
    fn max_flow(&mut self, s: usize, t: usize) -> i128 {
        let n = self.adj.len();
        let mut total = 0;
        loop {
            let mut pred: Vec<Option<(usize, usize)>> = vec![None; n];
            let mut queue = std::collections::VecDeque::from([s]);
            let mut seen = vec![false; n];
            seen[s] = true;
            while let Some(u) = queue.pop_front() {
                for (i, e) in self.adj[u].iter().enumerate() {
                    if e.cap > 0 && !seen[e.to] {
                        seen[e.to] = true;
                        pred[e.to] = Some((u, i));
                        queue.push_back(e.to);
                    }
                }
            }
            if !seen[t] {
                return total;
            }
            let mut amount = i128::MAX;
            let mut v = t;
            while let Some((u, i)) = pred[v] {
                amount = amount.min(self.adj[u][i].cap);
                v = u;
            }
            let mut v = t;
            while let Some((u, i)) = pred[v] {
                self.push(u, i, amount);
                v = u;
            }
            total += amount;
        }
    }

    /// Bellman–Ford from a virtual root joined to every node; a negative cycle if any,
    /// as (node, edge index) steps.
    fn negative_cycle(&self) -> Option<Vec<(usize, usize)>> {
        let n = self.adj.len();
        let mut dist = vec![0i128; n];
        let mut pred: Vec<Option<(usize, usize)>> = vec![None; n];
        let mut last = None;
        for _ in 0..=n {
            last = None;
            for u in 0..n {
                for (i, e) in self.adj[u].iter().enumerate() {
                    if e.cap > 0 && dist[u] + e.cost < dist[e.to] {
                        dist[e.to] = dist[u] + e.cost;
                        pred[e.to] = Some((u, i));
                        last = Some(e.to);
                    }
                }
            }
            last?;
        }
        let mut v = last?;
        for _ in 0..n {
            v = pred[v].unwrap().0;
        }
        let start = v;
        let mut cycle = Vec::new();
        loop {
            let (u, i) = pred[v].unwrap();
            cycle.push((u, i));
            v = u;
            if v == start {
                break;
            }
        }
        Some(cycle)
    }
}

/// Minimum cost by a feasible max-flow followed by negative-cycle cancelling (Klein).
/// `None` when the supplies cannot be routed.
pub fn reference_cost(net: &Network) -> Option<i128> {
    let n = net.num_nodes();
    let (s, t) = (n, n + 1);
    let mut r = Residual::new(n + 2);
    let mut handles = Vec::new();
    for a in 0..net.num_arcs() {
        let (u, v, cap, cost) = net.arc(a);
        handles.push(r.add(u, v, i128::from(cap), i128::from(cost)));
    }
    let mut need = 0;
    for v in 0..n {
        let sup = i128::from(net.supply(v));
        if sup > 0 {
            r.add(s, v, sup, 0);
            need += sup;
        } else if sup < 0 {
            r.add(v, t, -sup, 0);
        }
    }
    if r.max_flow(s, t) != need {
        return None;
    }
    while let Some(cycle) = r.negative_cycle() {
        let amount = cycle.iter().map(|&(u, i)| r.adj[u][i].cap).min().unwrap();
        for &(u, i) in &cycle {
            r.push(u, i, amount);
        }
    }
    let mut cost = 0;
    for (a, &(u, i)) in handles.iter().enumerate() {
        let (_, _, cap, c) = net.arc(a);
        let flow = i128::from(cap) - r.adj[u][i].cap;
        cost += flow * i128::from(c);
    }
    Some(cost)
}

/// Checks that `flow` is feasible (bounds, conservation) and optimal (no negative cycle
/// in its residual network); panics with the reason otherwise.
pub fn assert_optimal(net: &Network, flow: &[i64]) {
    let n = net.num_nodes();
    assert_eq!(flow.len(), net.num_arcs());
    let mut balance = vec![0i128; n];
    let mut r = Residual::new(n);
    for (a, &f) in flow.iter().enumerate() {
        let (u, v, cap, cost) = net.arc(a);
        assert!(0 <= f && f <= cap, "arc {a}: flow {f} outside [0, {cap}]");
        balance[u] += i128::from(f);
        balance[v] -= i128::from(f);
        let (_, i) = r.add(u, v, i128::from(cap), i128::from(cost));
        r.push(u, i, i128::from(f));
    }
    for (v, &b) in balance.iter().enumerate() {
        assert_eq!(
            b,
            i128::from(net.supply(v)),
            "flow not conserved at node {v}"
        );
    }
    assert!(
        r.negative_cycle().is_none(),
        "residual network has a negative cycle: flow is not optimal"
    );
}
