//! Great-circle distances and the nearest-site index.

use rstar::RTree;
use rstar::primitives::GeomWithData;

/// A point in WGS84/CGCS2000 degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub lon: f64,
    pub lat: f64,
}

impl Point {
    pub fn new(lon: f64, lat: f64) -> Self {
        Point { lon, lat }
    }

    pub fn is_valid(self) -> bool {
        (-180.0..=180.0).contains(&self.lon) && (-90.0..=90.0).contains(&self.lat)
    }
}

/// Mean Earth radius (IUGG), in metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Haversine distance in whole metres.
pub fn haversine_m(a: Point, b: Point) -> i64 {
    let (la1, la2) = (a.lat.to_radians(), b.lat.to_radians());
    let dlat = la2 - la1;
    let dlon = (b.lon - a.lon).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlon / 2.0).sin().powi(2);
    let c = 2.0 * h.sqrt().min(1.0).asin();
    (EARTH_RADIUS_M * c).round() as i64
}

/// Chord distance on the unit sphere grows with great-circle distance, so Euclidean
/// nearest neighbours in 3-D are great-circle nearest neighbours, with no trouble at the
/// antimeridian or the poles.
fn unit_vector(p: Point) -> [f64; 3] {
    let (lat, lon) = (p.lat.to_radians(), p.lon.to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

/// R-tree over the open sites.
pub(crate) struct SiteIndex {
    tree: RTree<GeomWithData<[f64; 3], u32>>,
    points: Vec<Point>,
}

impl SiteIndex {
    /// Indexes the sites for which `include` holds; results name sites by their position in
    /// `points`.
    pub(crate) fn new(points: Vec<Point>, include: impl Fn(usize) -> bool) -> Self {
        let items = points
            .iter()
            .enumerate()
            .filter(|&(i, _)| include(i))
            .map(|(i, &p)| GeomWithData::new(unit_vector(p), i as u32))
            .collect();
        SiteIndex {
            tree: RTree::bulk_load(items),
            points,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.tree.size()
    }

    /// The `k` nearest indexed sites within `max_m` of `p`, nearest first, with their
    /// haversine distances. Returns whether more sites within reach were left out
    /// because of `k`.
    pub(crate) fn nearest(
        &self,
        p: Point,
        k: usize,
        max_m: Option<i64>,
        out: &mut Vec<(u32, i64)>,
    ) -> bool {
        out.clear();
        for item in self.tree.nearest_neighbor_iter(&unit_vector(p)) {
            let d = haversine_m(p, self.points[item.data as usize]);
            if max_m.is_some_and(|m| d > m) {
                return false;
            }
            if out.len() == k {
                return true;
            }
            out.push((item.data, d));
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haversine_known_distances() {
        // One degree of latitude is about 111.2 km on the mean sphere.
        let d = haversine_m(Point::new(106.5, 29.5), Point::new(106.5, 30.5));
        assert!((111_100..111_300).contains(&d), "{d}");
        assert_eq!(haversine_m(Point::new(1.0, 2.0), Point::new(1.0, 2.0)), 0);
        let anti = haversine_m(Point::new(0.0, 0.0), Point::new(180.0, 0.0));
        assert!((20_015_000..20_016_000).contains(&anti), "{anti}");
    }

    #[test]
    fn nearest_matches_brute_force() {
        let pts: Vec<Point> = (0..200)
            .map(|i| {
                let f = i as f64;
                Point::new(106.0 + (f * 0.37).sin(), 29.0 + (f * 0.71).cos())
            })
            .collect();
        let index = SiteIndex::new(pts.clone(), |i| i % 3 != 0);
        let q = Point::new(106.2, 29.3);
        let mut out = Vec::new();
        let truncated = index.nearest(q, 5, None, &mut out);
        assert!(truncated);
        let mut brute: Vec<(i64, usize)> = (0..pts.len())
            .filter(|i| i % 3 != 0)
            .map(|i| (haversine_m(q, pts[i]), i))
            .collect();
        brute.sort();
        let got: Vec<i64> = out.iter().map(|&(_, d)| d).collect();
        let want: Vec<i64> = brute[..5].iter().map(|&(d, _)| d).collect();
        assert_eq!(got, want);
        let within = index.nearest(q, 100, Some(want[2]), &mut out);
        assert!(!within);
        assert_eq!(out.len(), 3);
    }
}
