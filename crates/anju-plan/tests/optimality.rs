//! The solver's optimum against independent methods on many small random networks.

#![allow(clippy::unwrap_used)]

mod common;

use anju_plan::{Method, Network, PlanError, min_cost_flow, min_cost_flow_general};
use common::{assert_optimal, reference_cost};
use proptest::prelude::*;

/// An evacuation-shaped network: origins → sites → sink, and optionally origin → sink.
#[derive(Debug, Clone)]
struct Shape {
    supplies: Vec<i64>,
    capacities: Vec<i64>,
    /// (origin, site, cost)
    arcs: Vec<(usize, usize, i64)>,
    unplaced: Vec<Option<i64>>,
}

impl Shape {
    fn network(&self) -> Network {
        let n = self.supplies.len();
        let m = self.capacities.len();
        let sink = n + m;
        let mut net = Network::new(n + m + 1);
        let total: i64 = self.supplies.iter().sum();
        for (o, &s) in self.supplies.iter().enumerate() {
            net.set_supply(o, s);
        }
        net.set_supply(sink, -total);
        for &(o, j, c) in &self.arcs {
            net.add_arc(o, n + j, self.supplies[o], c);
        }
        for (o, u) in self.unplaced.iter().enumerate() {
            if let Some(u) = u {
                net.add_arc(o, sink, self.supplies[o], *u);
            }
        }
        for (j, &c) in self.capacities.iter().enumerate() {
            net.add_arc(n + j, sink, c, 0);
        }
        net
    }
}

fn shape(
    max_origins: usize,
    max_sites: usize,
    max_cost: i64,
    unplaced_always: bool,
) -> impl Strategy<Value = Shape> {
    (1..=max_origins, 1..=max_sites).prop_flat_map(move |(n, m)| {
        (
            prop::collection::vec(1i64..=9, n),
            prop::collection::vec(0i64..=15, m),
            prop::collection::vec((0..n, 0..m, -max_cost / 4..=max_cost), 0..=n * m + 2),
            prop::collection::vec((any::<u8>(), 0..=2 * max_cost), n),
        )
            .prop_map(move |(supplies, capacities, arcs, unplaced)| Shape {
                supplies,
                capacities,
                arcs,
                unplaced: unplaced
                    .into_iter()
                    .map(|(roll, u)| (unplaced_always || roll < 153).then_some(u))
                    .collect(),
            })
    })
}

/// A general network: arbitrary arcs (cycles, negative costs, parallel arcs, self-loops).
fn general_network() -> impl Strategy<Value = Network> {
    (2usize..=7).prop_flat_map(|n| {
        (
            prop::collection::vec((0..n, 0..n, 0i64..=12, -8i64..=30), 0..=20),
            prop::collection::vec(-6i64..=6, n),
        )
            .prop_map(move |(arcs, mut supplies)| {
                let sum: i64 = supplies.iter().sum();
                supplies[0] -= sum;
                let mut net = Network::new(n);
                for (v, &s) in supplies.iter().enumerate() {
                    net.set_supply(v, s);
                }
                for (u, v, cap, cost) in arcs {
                    net.add_arc(u, v, cap, cost);
                }
                net
            })
    })
}

fn check(net: &Network, expect_method: Option<Method>) {
    let want = reference_cost(net);
    let got = min_cost_flow(net);
    let general = min_cost_flow_general(net);
    match (want, &got) {
        (None, Err(PlanError::Infeasible)) => {
            assert!(matches!(general, Err(PlanError::Infeasible)));
        }
        (Some(cost), Ok(sol)) => {
            assert_eq!(
                i128::from(sol.cost),
                cost,
                "optimum differs from cycle cancelling"
            );
            assert_optimal(net, &sol.flow);
            if let Some(m) = expect_method {
                assert_eq!(sol.method, m);
            }
            let g = general.unwrap();
            assert_eq!(g.cost, sol.cost);
            assert_optimal(net, &g.flow);
        }
        (want, got) => panic!("reference {want:?}, solver {got:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 600,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn transport_shape_matches_reference(s in shape(8, 5, 60, false)) {
        check(&s.network(), Some(Method::Transport));
    }

    #[test]
    fn contended_transport_matches_reference(s in shape(14, 4, 1_000, true)) {
        check(&s.network(), Some(Method::Transport));
    }

    #[test]
    fn general_networks_match_reference(net in general_network()) {
        check(&net, None);
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 300,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Costs near the i64 limits: the solver either errs with `Overflow` or is exact.
    #[test]
    fn huge_costs_are_exact_or_an_overflow_error(
        s in shape(6, 3, 60, false),
        scale in prop::sample::select(vec![1i64 << 40, 1 << 55, 1 << 58, 1 << 60, i64::MAX / 64]),
    ) {
        let mut s = s;
        for arc in &mut s.arcs {
            arc.2 = arc.2.saturating_mul(scale);
        }
        for u in s.unplaced.iter_mut().flatten() {
            *u = u.saturating_mul(scale);
        }
        let net = s.network();
        let want = reference_cost(&net);
        for got in [min_cost_flow(&net), min_cost_flow_general(&net)] {
            match (&want, got) {
                (_, Err(PlanError::Overflow(_))) => {}
                (None, Err(PlanError::Infeasible)) => {}
                (Some(c), Ok(sol)) => {
                    prop_assert_eq!(i128::from(sol.cost), *c);
                    assert_optimal(&net, &sol.flow);
                }
                (want, got) => panic!("reference {want:?}, solver {got:?}"),
            }
        }
    }
}

/// Many origins over few sites with ties everywhere: co-located origins with equal costs.
#[test]
fn ties_everywhere() {
    let s = Shape {
        supplies: vec![3; 12],
        capacities: vec![7, 7, 7, 0],
        arcs: (0..12)
            .flat_map(|o| (0..4).map(move |j| (o, j, 10)))
            .collect(),
        unplaced: vec![Some(100); 12],
    };
    check(&s.network(), Some(Method::Transport));
}

/// Deterministic larger instances (hundreds of origins) against the certificate.
#[test]
fn medium_random_instances_are_optimal() {
    use rand::{Rng, SeedableRng};
    for seed in 0..6u64 {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let n = 300;
        let m = 25;
        let mut s = Shape {
            supplies: (0..n).map(|_| rng.random_range(1..=6)).collect(),
            capacities: (0..m).map(|_| rng.random_range(0..=80)).collect(),
            arcs: Vec::new(),
            unplaced: (0..n)
                .map(|_| Some(rng.random_range(5_000..=6_000)))
                .collect(),
        };
        // Points on a line: each origin's arcs go to nearby sites, as with k-nearest.
        let site_x: Vec<i64> = (0..m).map(|_| rng.random_range(0..10_000)).collect();
        for o in 0..n {
            let x: i64 = rng.random_range(0..10_000);
            let mut by_distance: Vec<(i64, usize)> =
                (0..m).map(|j| ((site_x[j] - x).abs(), j)).collect();
            by_distance.sort();
            for &(d, j) in by_distance.iter().take(4) {
                s.arcs.push((o, j, d));
            }
        }
        let net = s.network();
        let sol = min_cost_flow(&net).unwrap();
        assert_eq!(sol.method, Method::Transport);
        assert_optimal(&net, &sol.flow);
        assert_eq!(min_cost_flow_general(&net).unwrap().cost, sol.cost);
    }
}
