//! Benchmark driver for `bench/solver/run.sh`.
//!
//! - `gen --origins N --sites M --seed S [--k K] --out FILE` writes a seeded
//!   Chongqing-like instance as the exact network `anju_plan::plan` solves.
//! - `solve FILE` solves that network with `anju_plan::min_cost_flow`, timing only the
//!   solve, and prints one `key=value` line.
//! - `replan --origins N --sites M --seed S` plans, closes the fullest site, re-plans,
//!   and prints the re-plan's solver time.
//!
//! The network file is little-endian: `ANJUNET1`, u64 nodes, u64 arcs, i64 supplies,
//! i32 tails, i32 heads, i64 capacities, i64 costs. OR-Tools reads the same file.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::time::Instant;

use anju_plan::{Network, Origin, PlanOptions, Point, Site, min_cost_flow};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

const MAGIC: &[u8; 8] = b"ANJUNET1";

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let get = |name: &str| -> Option<&str> {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map(String::as_str)
    };
    let num = |name: &str, default: usize| -> Res<usize> {
        Ok(get(name).map(str::parse).transpose()?.unwrap_or(default))
    };
    match args.first().map(String::as_str) {
        Some("gen") => {
            let (origins, sites) = instance(
                num("--origins", 100_000)?,
                num("--sites", 10_000)?,
                num("--seed", 1)? as u64,
            );
            let options = PlanOptions {
                k: num("--k", 8)?,
                ..PlanOptions::default()
            };
            let start = Instant::now();
            let net = anju_plan::evacuation_network(&origins, &sites, &options)?;
            let build = start.elapsed().as_secs_f64();
            let out = get("--out").ok_or("--out FILE is required")?;
            write_network(&net, out)?;
            let people: u64 = origins.iter().map(|o| u64::from(o.people)).sum();
            let places: u64 = sites.iter().map(|s| u64::from(s.capacity)).sum();
            println!(
                "nodes={} arcs={} people={people} places={places} build_s={build:.3}",
                net.num_nodes(),
                net.num_arcs()
            );
        }
        Some("solve") => {
            let path = args.get(1).ok_or("solve FILE")?;
            let net = read_network(path)?;
            let cpu0 = cpu_seconds();
            let start = Instant::now();
            let sol = min_cost_flow(&net)?;
            let secs = start.elapsed().as_secs_f64();
            let cpu = cpu_seconds() - cpu0;
            println!(
                "solver=anju cost={} seconds={secs:.3} cpu_seconds={cpu:.2} peak_kib={} method={:?} searches={} augmentations={} settled={} sites_built={} unplaced_exits={} unplaced_settled={}",
                sol.cost,
                peak_kib(),
                sol.method,
                sol.stats.searches,
                sol.stats.augmentations,
                sol.stats.settled,
                sol.stats.sites_built,
                sol.stats.unplaced_exits,
                sol.stats.unplaced_settled
            );
        }
        Some("replan") => {
            let (origins, mut sites) = instance(
                num("--origins", 100_000)?,
                num("--sites", 10_000)?,
                num("--seed", 1)? as u64,
            );
            let options = PlanOptions::default();
            let start = Instant::now();
            let first = anju_plan::plan(&origins, &sites, &options)?;
            let plan_s = start.elapsed().as_secs_f64();
            let loads = first.site_loads();
            let (&closed, &load) = loads
                .iter()
                .max_by_key(|&(id, load)| (load, std::cmp::Reverse(id)))
                .ok_or("no site has anyone")?;
            for s in &mut sites {
                if s.id == closed {
                    s.open = false;
                }
            }
            let start = Instant::now();
            let second = anju_plan::replan(&first, &origins, &sites, &options)?;
            let replan_s = start.elapsed().as_secs_f64();
            println!(
                "plan_s={plan_s:.3} plan_build_s={:.3} plan_round_s={:.3} plan_retries={} plan_solve_s={:.3} plan_gap={} plan_bound={} plan_unplaced={} closed_site={closed} closed_load={load} \
                 replan_s={replan_s:.3} replan_solve_s={:.4} replan_build_s={:.3} moved_households={} moved_people={} replan_gap={} replan_unplaced={} searches={} sites_built={} peak_kib={}",
                first.stats.build_time.as_secs_f64(),
                first.stats.round_time.as_secs_f64(),
                first.stats.retries,
                first.stats.solve_time.as_secs_f64(),
                first.gap,
                first.flow_bound,
                first.unplaced_people,
                second.stats.solve_time.as_secs_f64(),
                second.stats.build_time.as_secs_f64(),
                second.moved_households,
                second.moved_people,
                second.gap,
                second.unplaced_people,
                second.stats.solver.searches,
                second.stats.solver.sites_built,
                peak_kib()
            );
        }
        _ => {
            return Err("usage: solver_bench gen|solve|replan ...".into());
        }
    }
    Ok(())
}

/// Box–Muller: one standard normal draw.
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u: f64 = rng.random_range(f64::EPSILON..1.0);
    let v: f64 = rng.random();
    (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
}

/// A Chongqing-like instance: ~1,000 towns and ~8,000 villages over the municipality's
/// extent, sites clustered around towns (σ ≈ 1.5 km), origins around villages
/// (σ ≈ 0.5 km), villages around towns (σ ≈ 6 km). Each origin is 1–3 households of
/// 1–5 people (the last household may be smaller); 10 % have priority 1, 2 % priority 2.
/// Places total 1.2 × people, spread over sites by a random weight in [0.5, 1.5), so
/// some towns have too few places nearby and the rest must absorb their people.
fn instance(n: usize, m: usize, seed: u64) -> (Vec<Origin>, Vec<Site>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (lon0, lon1, lat0, lat1) = (105.29, 110.19, 28.16, 32.20);
    let towns: Vec<(f64, f64)> = (0..1000)
        .map(|_| (rng.random_range(lon0..lon1), rng.random_range(lat0..lat1)))
        .collect();
    let around = |rng: &mut ChaCha8Rng, c: (f64, f64), sigma_km: f64| {
        let dlat = sigma_km / 111.2;
        let dlon = dlat / c.1.to_radians().cos();
        let lon = (c.0 + normal(rng) * dlon).clamp(-180.0, 180.0);
        let lat = (c.1 + normal(rng) * dlat).clamp(-90.0, 90.0);
        (lon, lat)
    };
    let villages: Vec<(f64, f64)> = (0..8000)
        .map(|_| {
            let t = towns[rng.random_range(0..towns.len())];
            around(&mut rng, t, 6.0)
        })
        .collect();
    let mut people_total: u64 = 0;
    let origins: Vec<Origin> = (0..n)
        .map(|i| {
            let v = villages[rng.random_range(0..villages.len())];
            let (lon, lat) = around(&mut rng, v, 0.5);
            let households: u32 = rng.random_range(1..=3);
            let size: u32 = rng.random_range(1..=5);
            let short: u32 = rng.random_range(0..size);
            let people = households * size - short;
            people_total += u64::from(people);
            let roll: f64 = rng.random();
            let priority = if roll < 0.02 {
                2
            } else if roll < 0.12 {
                1
            } else {
                0
            };
            Origin {
                priority,
                ..Origin::new(i as u64, Point::new(lon, lat), people, size)
            }
        })
        .collect();
    let weights: Vec<f64> = (0..m).map(|_| rng.random_range(0.5..1.5)).collect();
    let wsum: f64 = weights.iter().sum();
    let places = 1.2 * people_total as f64;
    let sites: Vec<Site> = (0..m)
        .map(|j| {
            let t = towns[rng.random_range(0..towns.len())];
            let (lon, lat) = around(&mut rng, t, 1.5);
            let cap = (places * weights[j] / wsum).floor() as u32;
            Site::new(j as u64, Point::new(lon, lat), cap)
        })
        .collect();
    (origins, sites)
}

fn write_network(net: &Network, path: &str) -> Res<()> {
    let mut w = BufWriter::new(File::create(path)?);
    w.write_all(MAGIC)?;
    w.write_all(&(net.num_nodes() as u64).to_le_bytes())?;
    w.write_all(&(net.num_arcs() as u64).to_le_bytes())?;
    for v in 0..net.num_nodes() {
        w.write_all(&net.supply(v).to_le_bytes())?;
    }
    let arcs: Vec<_> = (0..net.num_arcs()).map(|a| net.arc(a)).collect();
    for &(t, _, _, _) in &arcs {
        w.write_all(&i32::try_from(t)?.to_le_bytes())?;
    }
    for &(_, h, _, _) in &arcs {
        w.write_all(&i32::try_from(h)?.to_le_bytes())?;
    }
    for &(_, _, c, _) in &arcs {
        w.write_all(&c.to_le_bytes())?;
    }
    for &(_, _, _, c) in &arcs {
        w.write_all(&c.to_le_bytes())?;
    }
    w.flush()?;
    Ok(())
}

fn read_network(path: &str) -> Res<Network> {
    let mut bytes = Vec::new();
    File::open(path)?.read_to_end(&mut bytes)?;
    if bytes.len() < 24 || &bytes[..8] != MAGIC {
        return Err("not an ANJUNET1 file".into());
    }
    let u64_at = |i: usize| -> Res<u64> { Ok(u64::from_le_bytes(bytes[i..i + 8].try_into()?)) };
    let nodes = usize::try_from(u64_at(8)?)?;
    let arcs = usize::try_from(u64_at(16)?)?;
    if bytes.len() != 24 + nodes * 8 + arcs * 24 {
        return Err("truncated network file".into());
    }
    let i64s = |at: usize, len: usize| -> Vec<i64> {
        bytes[at..at + len * 8]
            .chunks_exact(8)
            .map(|c| i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect()
    };
    let i32s = |at: usize, len: usize| -> Vec<i32> {
        bytes[at..at + len * 4]
            .chunks_exact(4)
            .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    };
    let supply = i64s(24, nodes);
    let base = 24 + nodes * 8;
    let tails = i32s(base, arcs);
    let heads = i32s(base + arcs * 4, arcs);
    let caps = i64s(base + arcs * 8, arcs);
    let costs = i64s(base + arcs * 16, arcs);
    drop(bytes);
    let mut net = Network::with_capacity(nodes, arcs);
    for (v, &s) in supply.iter().enumerate() {
        net.set_supply(v, s);
    }
    for a in 0..arcs {
        net.add_arc(
            usize::try_from(tails[a])?,
            usize::try_from(heads[a])?,
            caps[a],
            costs[a],
        );
    }
    Ok(net)
}

/// CPU time (user + system) this process has used, from /proc (10 ms resolution). Wall
/// time on a shared machine includes waiting for a core; this does not.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the parenthesised command name; utime and stime are 14 and 15.
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            let utime: f64 = f.get(11)?.parse().ok()?;
            let stime: f64 = f.get(12)?.parse().ok()?;
            Some((utime + stime) / 100.0)
        })
        .unwrap_or(0.0)
}

/// Peak resident memory of this process (VmHWM), in KiB.
fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}
