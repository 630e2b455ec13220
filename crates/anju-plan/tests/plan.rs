//! Plans: whole households, reasons for the unplaced, degenerate inputs, re-planning.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::Arc;

use anju_plan::{
    CostTable, Origin, Plan, PlanError, PlanOptions, Point, Site, UnplacedReason, haversine_m,
    plan, replan,
};
use proptest::prelude::*;

fn p(lon: f64, lat: f64) -> Point {
    Point::new(lon, lat)
}

fn options() -> PlanOptions {
    PlanOptions::default()
}

fn unplaced_cost(o: &Origin, opt: &PlanOptions) -> i64 {
    opt.unplaced_cost + i64::from(o.priority) * opt.priority_step
}

/// Everything a plan promises, checked from its rows alone.
fn check_plan(origins: &[Origin], sites: &[Site], plan: &Plan, opt: &PlanOptions) {
    let by_id: HashMap<u64, &Origin> = origins.iter().map(|o| (o.id, o)).collect();
    let site_by_id: HashMap<u64, &Site> = sites.iter().map(|s| (s.id, s)).collect();
    let mut households: HashMap<u64, u32> = HashMap::new();
    let mut people: HashMap<u64, u32> = HashMap::new();
    let mut partial: HashMap<u64, u32> = HashMap::new();
    let mut load: HashMap<u64, u64> = HashMap::new();
    let mut cost: i64 = 0;
    let mut rows = Vec::new();
    for a in &plan.assignments {
        let s = site_by_id[&a.site];
        assert!(s.open, "household sent to closed site {}", a.site);
        *load.entry(a.site).or_default() += u64::from(a.people);
        rows.push((a.origin, a.households, a.people));
        if plan.moved_households == 0 {
            cost += i64::from(a.people) * a.cost_per_person;
        }
    }
    for u in &plan.unplaced {
        rows.push((u.origin, u.households, u.people));
        cost += i64::from(u.people) * unplaced_cost(by_id[&u.origin], opt);
    }
    for (origin, hh, ppl) in rows {
        let o = by_id[&origin];
        let h = o.household_size;
        assert!(hh > 0);
        *households.entry(origin).or_default() += hh;
        *people.entry(origin).or_default() += ppl;
        if ppl != hh * h {
            // Only the one smaller household may make a row short, and only by its shortfall.
            let rem = o.people % h;
            assert!(
                rem > 0,
                "origin {origin}: a row of {hh} households has {ppl} people"
            );
            assert_eq!(
                ppl,
                (hh - 1) * h + rem,
                "origin {origin}: a household was split"
            );
            *partial.entry(origin).or_default() += 1;
        }
    }
    for o in origins {
        assert_eq!(
            households.get(&o.id).copied().unwrap_or(0),
            o.households(),
            "origin {}",
            o.id
        );
        assert_eq!(
            people.get(&o.id).copied().unwrap_or(0),
            o.people,
            "origin {}",
            o.id
        );
        assert!(
            partial.get(&o.id).copied().unwrap_or(0) <= 1,
            "origin {}: remainder household twice",
            o.id
        );
    }
    for (site, l) in load {
        assert!(
            l <= u64::from(site_by_id[&site].capacity),
            "site {site} over capacity"
        );
    }
    assert!(plan.gap >= 0);
    assert_eq!(plan.gap, plan.cost - plan.flow_bound);
    if plan.moved_households == 0 && plan.stats.retries == 0 {
        assert_eq!(cost, plan.cost, "reported cost differs from the rows");
    }
}

fn grid_site(id: u64, x: f64, y: f64, cap: u32) -> Site {
    Site::new(id, p(106.5 + x * 0.01, 29.5 + y * 0.01), cap)
}

fn grid_origin(id: u64, x: f64, y: f64, people: u32, size: u32) -> Origin {
    Origin::new(id, p(106.5 + x * 0.01, 29.5 + y * 0.01), people, size)
}

#[test]
fn no_origins() {
    let sites = vec![grid_site(1, 0.0, 0.0, 10)];
    let got = plan(&[], &sites, &options()).unwrap();
    assert!(got.assignments.is_empty() && got.unplaced.is_empty());
    assert_eq!((got.cost, got.flow_bound, got.gap), (0, 0, 0));
}

#[test]
fn no_sites_everyone_unplaced_with_reason() {
    let origins = vec![
        grid_origin(1, 0.0, 0.0, 5, 2),
        grid_origin(2, 1.0, 0.0, 3, 3),
    ];
    let got = plan(&origins, &[], &options()).unwrap();
    assert!(got.assignments.is_empty());
    assert_eq!(got.unplaced.len(), 2);
    assert!(
        got.unplaced
            .iter()
            .all(|u| u.reason == UnplacedReason::NoSiteInReach)
    );
    assert_eq!(got.unplaced_people, 8);
    check_plan(&origins, &[], &got, &options());
}

#[test]
fn one_site() {
    let origins = vec![
        grid_origin(1, 0.0, 0.0, 4, 2),
        grid_origin(2, 3.0, 0.0, 4, 4),
    ];
    let sites = vec![grid_site(9, 1.0, 0.0, 6)];
    let got = plan(&origins, &sites, &options()).unwrap();
    check_plan(&origins, &sites, &got, &options());
    // Both households of origin 1 fit (4 people, 1 km) beside nothing else.
    assert_eq!(got.placed_people, 4);
    assert_eq!(got.assignments[0].origin, 1);
    assert_eq!(got.unplaced[0].reason, UnplacedReason::CapacityExhausted);
}

#[test]
fn zero_capacities() {
    let origins = vec![grid_origin(1, 0.0, 0.0, 4, 2)];
    let sites = vec![grid_site(1, 0.0, 0.0, 0), grid_site(2, 1.0, 1.0, 0)];
    let got = plan(&origins, &sites, &options()).unwrap();
    assert_eq!(got.unplaced.len(), 1);
    assert_eq!(got.unplaced[0].reason, UnplacedReason::CapacityExhausted);
    check_plan(&origins, &sites, &got, &options());
}

#[test]
fn co_located_points() {
    let origins: Vec<Origin> = (0..6).map(|i| grid_origin(i, 0.0, 0.0, 3, 3)).collect();
    let sites: Vec<Site> = (0..3).map(|i| grid_site(i, 0.0, 0.0, 6)).collect();
    let got = plan(&origins, &sites, &options()).unwrap();
    check_plan(&origins, &sites, &got, &options());
    assert_eq!(got.cost, 0);
    assert_eq!(got.placed_people, 18);
}

#[test]
fn all_sites_closed() {
    let origins = vec![grid_origin(1, 0.0, 0.0, 4, 2)];
    let mut sites = vec![grid_site(1, 0.0, 0.0, 10), grid_site(2, 1.0, 1.0, 10)];
    for s in &mut sites {
        s.open = false;
    }
    let got = plan(&origins, &sites, &options()).unwrap();
    assert_eq!(got.unplaced[0].reason, UnplacedReason::NoSiteInReach);
    assert_eq!(got.unplaced[0].households, 2);
}

#[test]
fn maximum_distance_limits_reach() {
    let mut o = grid_origin(1, 0.0, 0.0, 2, 2);
    o.max_distance_m = Some(500);
    let sites = vec![grid_site(1, 1.0, 0.0, 10)];
    let got = plan(&[o], &sites, &options()).unwrap();
    assert_eq!(got.unplaced[0].reason, UnplacedReason::NoSiteInReach);
}

#[test]
fn costs_near_i64_limits_are_an_error_not_a_wrong_answer() {
    let origins = vec![grid_origin(1, 0.0, 0.0, 4, 2)];
    let sites = vec![grid_site(7, 1.0, 0.0, 10)];
    let mut table = CostTable::new();
    table.insert(1, 7, i64::MAX / 3);
    let opt = PlanOptions {
        cost: Arc::new(table.clone()),
        unplaced_cost: i64::MAX / 2,
        ..options()
    };
    // Four people at i64::MAX / 3 each: the optimum itself does not fit.
    assert!(matches!(
        plan(&origins, &sites, &opt),
        Err(PlanError::Overflow(_))
    ));
    // One person does fit, and the answer is exact.
    table.insert(2, 7, i64::MAX / 3);
    let one = vec![grid_origin(2, 0.0, 0.0, 1, 1)];
    let opt = PlanOptions {
        cost: Arc::new(table),
        unplaced_cost: i64::MAX / 2,
        ..options()
    };
    assert_eq!(plan(&one, &sites, &opt).unwrap().cost, i64::MAX / 3);
    let opt = PlanOptions {
        unplaced_cost: i64::MAX,
        priority_step: 1,
        ..options()
    };
    let mut vulnerable = origins.clone();
    vulnerable[0].priority = 1;
    assert!(matches!(
        plan(&vulnerable, &sites, &opt),
        Err(PlanError::Overflow(_))
    ));
}

#[test]
fn invalid_inputs_are_rejected() {
    let sites = vec![grid_site(1, 0.0, 0.0, 10)];
    let bad_size = vec![grid_origin(1, 0.0, 0.0, 4, 0)];
    assert!(matches!(
        plan(&bad_size, &sites, &options()),
        Err(PlanError::InvalidInput(_))
    ));
    let dup = vec![
        grid_origin(1, 0.0, 0.0, 4, 2),
        grid_origin(1, 1.0, 0.0, 4, 2),
    ];
    assert!(matches!(
        plan(&dup, &sites, &options()),
        Err(PlanError::DuplicateId {
            kind: "origin",
            id: 1
        })
    ));
    let off = vec![Origin::new(1, p(200.0, 0.0), 1, 1)];
    assert!(matches!(
        plan(&off, &sites, &options()),
        Err(PlanError::InvalidInput(_))
    ));
    let k0 = PlanOptions { k: 0, ..options() };
    assert!(matches!(
        plan(&[], &sites, &k0),
        Err(PlanError::InvalidInput(_))
    ));
}

#[test]
fn vulnerable_are_placed_first() {
    let mut a = grid_origin(1, 0.0, 0.0, 2, 2);
    let mut b = grid_origin(2, 0.1, 0.0, 2, 2);
    a.priority = 0;
    b.priority = 2;
    let sites = vec![grid_site(1, 5.0, 0.0, 2)];
    let got = plan(&[a.clone(), b.clone()], &sites, &options()).unwrap();
    assert_eq!(got.assignments.len(), 1);
    assert_eq!(got.assignments[0].origin, 2);
    check_plan(&[a, b], &sites, &got, &options());
}

#[test]
fn origins_cut_short_by_k_are_retried() {
    // The nearest site is full; the second-nearest has room but is beyond k = 1.
    let origins = vec![grid_origin(1, 0.0, 0.0, 3, 3)];
    let sites = vec![grid_site(1, 0.5, 0.0, 0), grid_site(2, 3.0, 0.0, 5)];
    let opt = PlanOptions { k: 1, ..options() };
    let got = plan(&origins, &sites, &opt).unwrap();
    assert!(got.unplaced.is_empty());
    assert_eq!(got.assignments[0].site, 2);
    assert!(got.stats.retries >= 1);
}

#[test]
fn cost_table_replaces_distance() {
    let origins = vec![grid_origin(1, 0.0, 0.0, 2, 2)];
    let sites = vec![grid_site(1, 1.0, 0.0, 10), grid_site(2, 4.0, 0.0, 10)];
    let table = CostTable::from_csv("origin,site,seconds\n1,1,900\n1,2,300\n".as_bytes()).unwrap();
    let opt = PlanOptions {
        cost: Arc::new(table),
        ..options()
    };
    let got = plan(&origins, &sites, &opt).unwrap();
    assert_eq!(got.assignments[0].site, 2);
    assert_eq!(got.assignments[0].cost_per_person, 300);
    assert_eq!(got.cost, 600);
    // A pair missing from the table is unreachable.
    let table = CostTable::from_csv("1,9,1\n".as_bytes()).unwrap();
    let opt = PlanOptions {
        cost: Arc::new(table),
        ..options()
    };
    let got = plan(&origins, &sites, &opt).unwrap();
    assert_eq!(got.unplaced[0].reason, UnplacedReason::NoSiteInReach);
}

/// Brute force over whole households: every household to one candidate site or unplaced.
fn brute_force(origins: &[Origin], sites: &[Site], opt: &PlanOptions) -> i64 {
    let mut households: Vec<(usize, u32)> = Vec::new();
    for (i, o) in origins.iter().enumerate() {
        let h = o.household_size;
        for k in 0..o.households() {
            let size = if k + 1 == o.households() && o.people % h != 0 {
                o.people % h
            } else {
                h
            };
            households.push((i, size));
        }
    }
    let mut best = i64::MAX;
    let mut choice = vec![0usize; households.len()];
    let options = sites.len() + 1;
    loop {
        let mut load = vec![0u32; sites.len()];
        let mut cost = 0i64;
        let mut ok = true;
        for (k, &(i, size)) in households.iter().enumerate() {
            let o = &origins[i];
            if choice[k] == sites.len() {
                cost += i64::from(size) * unplaced_cost(o, opt);
            } else {
                let s = &sites[choice[k]];
                load[choice[k]] += size;
                if !s.open || load[choice[k]] > s.capacity {
                    ok = false;
                    break;
                }
                cost += i64::from(size) * haversine_m(o.point, s.point);
            }
        }
        if ok {
            best = best.min(cost);
        }
        let mut k = 0;
        loop {
            if k == choice.len() {
                return best;
            }
            choice[k] += 1;
            if choice[k] < options {
                break;
            }
            choice[k] = 0;
            k += 1;
        }
    }
}

fn small_instance(max_household_size: u32) -> impl Strategy<Value = (Vec<Origin>, Vec<Site>)> {
    (
        prop::collection::vec(
            (
                0.0..4.0f64,
                0.0..4.0f64,
                1u32..=2,
                1u32..=max_household_size,
                0u32..=1,
                0u8..=1,
            ),
            1..=3,
        ),
        prop::collection::vec(
            (
                0.0..4.0f64,
                0.0..4.0f64,
                0u32..=6,
                prop::bool::weighted(0.85),
            ),
            1..=3,
        ),
    )
        .prop_map(|(os, ss)| {
            let origins = os
                .into_iter()
                .enumerate()
                .map(|(i, (x, y, hh, size, short, prio))| {
                    let short = short.min(size - 1);
                    let mut o = grid_origin(i as u64, x, y, hh * size - short, size);
                    o.priority = prio;
                    o
                })
                .collect();
            let sites = ss
                .into_iter()
                .enumerate()
                .map(|(j, (x, y, cap, open))| Site {
                    open,
                    ..grid_site(100 + j as u64, x, y, cap)
                })
                .collect();
            (origins, sites)
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 300,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// With households of one person the flow is the plan: no gap, and brute force agrees.
    #[test]
    fn single_person_households_match_brute_force((origins, sites) in small_instance(1)) {
        let opt = options();
        let got = plan(&origins, &sites, &opt).unwrap();
        check_plan(&origins, &sites, &got, &opt);
        prop_assert_eq!(got.gap, 0);
        prop_assert_eq!(got.cost, brute_force(&origins, &sites, &opt));
    }

    /// Whole households: the flow bound is below the best whole-household plan, the plan
    /// at or above it, and the gap is what separates them.
    #[test]
    fn whole_households_bracket_brute_force((origins, sites) in small_instance(3)) {
        let opt = options();
        let got = plan(&origins, &sites, &opt).unwrap();
        check_plan(&origins, &sites, &got, &opt);
        let best = brute_force(&origins, &sites, &opt);
        prop_assert!(got.flow_bound <= best, "bound {} above optimum {}", got.flow_bound, best);
        prop_assert!(got.cost >= best);
    }
}

fn town(seed: u64, n: usize, m: usize) -> (Vec<Origin>, Vec<Site>) {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let origins: Vec<Origin> = (0..n)
        .map(|i| {
            let size = rng.random_range(1..=5);
            let hh = rng.random_range(1..=3);
            let short = rng.random_range(0..size);
            let mut o = grid_origin(
                i as u64,
                rng.random_range(0.0..30.0),
                rng.random_range(0.0..30.0),
                hh * size - short,
                size,
            );
            o.priority = u8::from(rng.random_bool(0.1));
            o
        })
        .collect();
    let people: u32 = origins.iter().map(|o| o.people).sum();
    let sites = (0..m)
        .map(|j| {
            grid_site(
                j as u64,
                rng.random_range(0.0..30.0),
                rng.random_range(0.0..30.0),
                people * 12 / 10 / m as u32,
            )
        })
        .collect();
    (origins, sites)
}

#[test]
fn town_scale_plan_keeps_households_whole() {
    for seed in 0..4 {
        let (origins, sites) = town(seed, 2_000, 40);
        let opt = options();
        let got = plan(&origins, &sites, &opt).unwrap();
        check_plan(&origins, &sites, &got, &opt);
        assert!(got.relative_gap() < 0.01, "gap {}", got.relative_gap());
        let again = anju_plan::plan(&origins, &sites, &opt).unwrap();
        assert_eq!(
            again.assignments, got.assignments,
            "plans are deterministic"
        );
    }
}

#[test]
fn replan_after_closing_a_site() {
    let (origins, mut sites) = town(7, 2_000, 40);
    let opt = PlanOptions {
        move_penalty: 1_000_000,
        ..options()
    };
    let first = plan(&origins, &sites, &opt).unwrap();
    let loads = first.site_loads();
    let (&closed, _) = loads.iter().max_by_key(|&(id, l)| (*l, *id)).unwrap();
    let displaced: u64 = first
        .assignments
        .iter()
        .filter(|a| a.site == closed)
        .map(|a| u64::from(a.households))
        .sum();
    sites.iter_mut().find(|s| s.id == closed).unwrap().open = false;
    let second = replan(&first, &origins, &sites, &opt).unwrap();
    check_plan(&origins, &sites, &second, &opt);
    assert!(second.assignments.iter().all(|a| a.site != closed));
    // A heavy penalty moves those who must move, plus households pushed along to make
    // room for them where the sites they can reach are full; nobody else.
    assert!(second.moved_households >= displaced);
    assert!(
        second.moved_households <= 2 * displaced,
        "{} moved for {displaced} displaced",
        second.moved_households
    );
    // Nobody who could stay was moved without need: households at other sites stay put
    // unless they appear among the moved.
    let before: HashMap<(u64, u64), u32> = first
        .assignments
        .iter()
        .map(|a| ((a.origin, a.site), a.households))
        .collect();
    let kept: u64 = second
        .assignments
        .iter()
        .map(|a| {
            u64::from(
                before
                    .get(&(a.origin, a.site))
                    .copied()
                    .unwrap_or(0)
                    .min(a.households),
            )
        })
        .sum();
    let placed_before: u64 = first
        .assignments
        .iter()
        .map(|a| u64::from(a.households))
        .sum();
    assert_eq!(kept + second.moved_households, placed_before);
}

#[test]
fn replan_without_penalty_reaches_the_fresh_optimum() {
    let (origins, mut sites) = town(11, 1_500, 30);
    let opt = PlanOptions {
        move_penalty: 0,
        k: 30,
        ..options()
    };
    let first = plan(&origins, &sites, &opt).unwrap();
    sites[3].open = false;
    sites[5].capacity /= 3;
    sites[8].capacity *= 2;
    let warm = replan(&first, &origins, &sites, &opt).unwrap();
    let cold = plan(&origins, &sites, &opt).unwrap();
    check_plan(&origins, &sites, &warm, &opt);
    assert_eq!(warm.flow_bound, cold.flow_bound);
}

#[test]
fn replan_with_nothing_changed_moves_nobody() {
    let (origins, sites) = town(3, 1_000, 20);
    let opt = options();
    let first = plan(&origins, &sites, &opt).unwrap();
    let second = replan(&first, &origins, &sites, &opt).unwrap();
    assert_eq!(second.moved_households, 0);
    assert_eq!(second.assignments, first.assignments);
}

#[test]
fn a_restored_plan_replans_like_the_original() {
    // A stored plan comes back as assignments plus its state; re-planning it must give
    // exactly what re-planning the plan in memory gives.
    let (origins, mut sites) = town(5, 1_500, 30);
    let opt = options();
    let first = plan(&origins, &sites, &opt).unwrap();
    let restored = anju_plan::Plan::restore(
        first.assignments.clone(),
        first.unplaced.clone(),
        first.state(),
    );
    assert_eq!(restored.state(), first.state());
    sites[2].open = false;
    let a = replan(&first, &origins, &sites, &opt).unwrap();
    let b = replan(&restored, &origins, &sites, &opt).unwrap();
    check_plan(&origins, &sites, &b, &opt);
    assert_eq!(a.assignments, b.assignments);
    assert_eq!(a.moved_households, b.moved_households);
    assert_eq!(a.cost, b.cost);
}
