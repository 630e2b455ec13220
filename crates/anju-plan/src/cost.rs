//! Where arc costs come from: straight-line distance, or an imported travel-cost table.

use std::collections::HashMap;
use std::fmt;
use std::io::BufRead;

use crate::{Origin, PlanError, Site};

/// The cost of moving one person from an origin to a site.
///
/// Candidate sites are always chosen by great-circle distance (the `k` nearest); the
/// cost source then prices each candidate. `None` means the site cannot be reached from
/// the origin (the arc is dropped).
pub trait CostSource: Send + Sync + fmt::Debug {
    fn cost(&self, origin: &Origin, site: &Site, distance_m: i64) -> Option<i64>;
}

/// Haversine distance in metres (the default).
#[derive(Debug, Clone, Copy, Default)]
pub struct Distance;

impl CostSource for Distance {
    fn cost(&self, _: &Origin, _: &Site, distance_m: i64) -> Option<i64> {
        Some(distance_m)
    }
}

/// An imported origin × site cost table, e.g. road travel times in seconds.
#[derive(Debug, Clone, Default)]
pub struct CostTable {
    costs: HashMap<(u64, u64), i64>,
    distance_when_missing: bool,
}

impl CostTable {
    pub fn new() -> Self {
        CostTable::default()
    }

    /// Pairs missing from the table fall back to distance instead of being unreachable.
    /// Only sensible when the table's unit is metres.
    pub fn with_distance_when_missing(mut self, yes: bool) -> Self {
        self.distance_when_missing = yes;
        self
    }

    pub fn insert(&mut self, origin: u64, site: u64, cost: i64) {
        self.costs.insert((origin, site), cost);
    }

    pub fn get(&self, origin: u64, site: u64) -> Option<i64> {
        self.costs.get(&(origin, site)).copied()
    }

    pub fn len(&self) -> usize {
        self.costs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.costs.is_empty()
    }

    /// Reads `origin_id,site_id,cost` lines. Blank lines, `#` comments and a header line
    /// whose first field is not a number are skipped.
    pub fn from_csv(reader: impl BufRead) -> Result<Self, PlanError> {
        let mut table = CostTable::new();
        for (i, line) in reader.lines().enumerate() {
            let line_no = i + 1;
            let line = line.map_err(|e| PlanError::Import {
                line: line_no,
                message: e.to_string(),
            })?;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            if line_no == 1 && fields[0].parse::<u64>().is_err() {
                continue;
            }
            let bad = |message: String| PlanError::Import {
                line: line_no,
                message,
            };
            let [o, s, c] = fields[..] else {
                return Err(bad(format!("expected 3 fields, found {}", fields.len())));
            };
            let o = o.parse().map_err(|_| bad(format!("bad origin id {o:?}")))?;
            let s = s.parse().map_err(|_| bad(format!("bad site id {s:?}")))?;
            let c = c.parse().map_err(|_| bad(format!("bad cost {c:?}")))?;
            table.insert(o, s, c);
        }
        Ok(table)
    }
}

impl CostSource for CostTable {
    fn cost(&self, origin: &Origin, site: &Site, distance_m: i64) -> Option<i64> {
        self.get(origin.id, site.id)
            .or(self.distance_when_missing.then_some(distance_m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_csv_with_header_and_comments() {
        let text = "origin,site,seconds\n# road times\n1,10,300\n\n2, 10 ,450\n";
        let t = CostTable::from_csv(text.as_bytes()).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t.get(2, 10), Some(450));
        assert_eq!(t.get(3, 10), None);
    }

    #[test]
    fn rejects_bad_lines() {
        let err = CostTable::from_csv("1,2,3\n1,2\n".as_bytes()).unwrap_err();
        assert!(matches!(err, PlanError::Import { line: 2, .. }));
        let err = CostTable::from_csv("1,2,x\n".as_bytes()).unwrap_err();
        assert!(matches!(err, PlanError::Import { line: 1, .. }));
    }
}
