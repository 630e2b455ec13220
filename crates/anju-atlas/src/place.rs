//! Derived points for towns and villages.
//!
//! No public source gives coordinates below the district seats, so the atlas derives them:
//! inside the right district, spread so that a map stays readable, and bit-identical on every
//! run and platform. For the last, the random stream is ChaCha8 seeded from the area code,
//! floats are made from its bits here rather than by `rand`'s distributions (whose algorithms
//! may change between versions), and only `+ - * /`, `sqrt` and `round` are used, whose results IEEE 754
//! defines to the bit; `sin`/`cos` are avoided because their last bit differs between libms.

use anju_core::AreaCode;
use anju_core::area::GeoPoint;
use geo::{BoundingRect, Contains, MultiPolygon, Point};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

/// Candidates drawn per town; the one farthest from the towns already placed wins
/// (Mitchell's best-candidate), which spreads towns far more evenly than plain sampling.
const TOWN_CANDIDATES: usize = 16;
/// Fewer candidates per village: villages are many and only need to avoid their siblings.
const VILLAGE_CANDIDATES: usize = 8;
/// Subdistricts (街道) are a district's urban core: they go within this many km times the
/// square root of their number from the seat, so 11 of them share a disc of about 8 km radius.
const URBAN_KM_PER_SQRT: f64 = 2.5;
/// Communities (社区) are a town's built-up centre: they stay within this share of the
/// radius that its villages (村) use.
const COMMUNITY_SHARE: f64 = 0.4;
/// Tries to land one sample inside the district before giving up on that candidate.
const SAMPLE_TRIES: usize = 200;
/// Halvings of a village's offset toward its town before falling back to the town's point.
const SHRINK_STEPS: usize = 10;

/// A district's shape with its bounding box, for fast rejection of far-off points.
pub(crate) struct Region {
    shape: MultiPolygon<f64>,
    min: (f64, f64),
    max: (f64, f64),
}

impl Region {
    /// `None` for a shape with no coordinates.
    pub fn new(shape: MultiPolygon<f64>) -> Option<Region> {
        let rect = shape.bounding_rect()?;
        Some(Region {
            min: (rect.min().x, rect.min().y),
            max: (rect.max().x, rect.max().y),
            shape,
        })
    }

    /// Distance in km from `p` to the nearest border of the district.
    fn border_km(&self, frame: Frame, p: GeoPoint) -> f64 {
        let mut nearest = f64::INFINITY;
        for polygon in &self.shape {
            for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
                for line in ring.lines() {
                    let a = frame.km_from(p, line.start.x, line.start.y);
                    let b = frame.km_from(p, line.end.x, line.end.y);
                    nearest = nearest.min(origin_to_segment(a, b));
                }
            }
        }
        nearest
    }

    /// Strictly inside: a point on the border counts as outside.
    pub fn contains(&self, p: GeoPoint) -> bool {
        p.lon > self.min.0
            && p.lon < self.max.0
            && p.lat > self.min.1
            && p.lat < self.max.1
            && self.shape.contains(&Point::new(p.lon, p.lat))
    }
}

/// Random numbers for one area, the same for its code on every run and platform.
struct Stream(ChaCha8Rng);

impl Stream {
    fn for_code(code: AreaCode) -> Self {
        Stream(ChaCha8Rng::seed_from_u64(code.padded().unsigned_abs()))
    }

    /// Uniform in [0, 1), from the top 53 bits.
    fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in the unit disc, by rejection from the square (no trigonometry).
    fn in_disc(&mut self) -> (f64, f64) {
        loop {
            let x = self.unit() * 2.0 - 1.0;
            let y = self.unit() * 2.0 - 1.0;
            if x * x + y * y <= 1.0 {
                return (x, y);
            }
        }
    }
}

/// A local flat frame in km around a latitude: plenty accurate across one district.
#[derive(Clone, Copy)]
pub(crate) struct Frame {
    km_per_lon: f64,
    km_per_lat: f64,
}

impl Frame {
    pub fn at(lat: f64) -> Frame {
        Frame {
            km_per_lon: 111.320 * cos_degrees(lat).max(0.01),
            km_per_lat: 110.574,
        }
    }

    pub fn distance_km(self, a: GeoPoint, b: GeoPoint) -> f64 {
        let dx = (a.lon - b.lon) * self.km_per_lon;
        let dy = (a.lat - b.lat) * self.km_per_lat;
        (dx * dx + dy * dy).sqrt()
    }

    /// Where (`lon`, `lat`) lies from `origin`, in km east and north.
    fn km_from(self, origin: GeoPoint, lon: f64, lat: f64) -> (f64, f64) {
        (
            (lon - origin.lon) * self.km_per_lon,
            (lat - origin.lat) * self.km_per_lat,
        )
    }

    fn offset(self, from: GeoPoint, (east_km, north_km): (f64, f64)) -> Option<GeoPoint> {
        at_micro_degrees(
            from.lon + east_km / self.km_per_lon,
            from.lat + north_km / self.km_per_lat,
        )
    }
}

/// cos by its Taylor series in plain arithmetic (see the module doc for why not `f64::cos`);
/// the error is below 3e-7 up to the poles and far smaller at Chongqing's 28–32°.
fn cos_degrees(degrees: f64) -> f64 {
    let x = degrees * (std::f64::consts::PI / 180.0);
    let x2 = x * x;
    let mut term = 1.0;
    let mut sum = 1.0;
    for n in 1..=6 {
        let k = (2 * n) as f64;
        term *= -x2 / ((k - 1.0) * k);
        sum += term;
    }
    sum
}

/// Distance from the origin to the segment `a`–`b`.
fn origin_to_segment(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let length2 = dx * dx + dy * dy;
    let t = if length2 > 0.0 {
        (-(a.0 * dx + a.1 * dy) / length2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (x, y) = (a.0 + t * dx, a.1 + t * dy);
    (x * x + y * y).sqrt()
}

/// Rounds to a millionth of a degree (about 0.1 m), so that points print compactly and the
/// containment check is made on the very values that are stored.
fn at_micro_degrees(lon: f64, lat: f64) -> Option<GeoPoint> {
    GeoPoint::new((lon * 1e6).round() / 1e6, (lat * 1e6).round() / 1e6)
}

/// Among `candidates`, the one whose nearest placed point is farthest; the first on ties.
/// `border` adds the distance to the district's border, doubled as if the district were
/// mirrored there: without it the farthest point is too often right on the border.
fn best_candidate(
    frame: Frame,
    placed: &[GeoPoint],
    border: Option<&Region>,
    candidates: impl Iterator<Item = GeoPoint>,
) -> Option<GeoPoint> {
    let mut best: Option<(f64, GeoPoint)> = None;
    for candidate in candidates {
        let to_border = border.map_or(f64::INFINITY, |r| 2.0 * r.border_km(frame, candidate));
        let nearest = placed
            .iter()
            .map(|&p| frame.distance_km(p, candidate))
            .fold(to_border, f64::min);
        if best.is_none_or(|(score, _)| nearest > score) {
            best = Some((nearest, candidate));
        }
    }
    best.map(|(_, p)| p)
}

/// What placement needs to know of a town.
pub(crate) struct TownSpec {
    pub code: AreaCode,
    /// A 街道, as opposed to a 镇 or 乡.
    pub subdistrict: bool,
}

/// Points for a district's towns, in the order given.
///
/// In a district that also has towns and townships, subdistricts go near the seat (they are
/// the urban core) and the rest spread over the whole district, away from them and from each
/// other. In an all-urban district everything spreads over the whole district.
pub(crate) fn place_towns(region: &Region, seat: GeoPoint, towns: &[TownSpec]) -> Vec<GeoPoint> {
    let frame = Frame::at(seat.lat);
    let subdistricts = towns.iter().filter(|t| t.subdistrict).count();
    let urban_km =
        (subdistricts < towns.len()).then(|| URBAN_KM_PER_SQRT * (subdistricts as f64).sqrt());

    // Subdistricts first so that the rest are pushed away from the urban core.
    let mut order: Vec<usize> = (0..towns.len()).collect();
    order.sort_by_key(|&i| !towns[i].subdistrict);

    let mut points = vec![seat; towns.len()];
    let mut placed = Vec::with_capacity(towns.len());
    for i in order {
        let town = &towns[i];
        let mut stream = Stream::for_code(town.code);
        let near_seat = urban_km.filter(|_| town.subdistrict);
        let candidates = (0..TOWN_CANDIDATES).filter_map(|_| match near_seat {
            Some(km) => sample_disc(region, frame, seat, km, &mut stream)
                .or_else(|| sample_region(region, &mut stream)),
            None => sample_region(region, &mut stream),
        });
        // The seat is inside the district (a test checks it), so it is a safe last resort.
        let point = best_candidate(frame, &placed, Some(region), candidates).unwrap_or(seat);
        points[i] = point;
        placed.push(point);
    }
    points
}

/// Uniform inside the district, by rejection from its bounding box.
fn sample_region(region: &Region, stream: &mut Stream) -> Option<GeoPoint> {
    (0..SAMPLE_TRIES).find_map(|_| {
        let lon = region.min.0 + stream.unit() * (region.max.0 - region.min.0);
        let lat = region.min.1 + stream.unit() * (region.max.1 - region.min.1);
        at_micro_degrees(lon, lat).filter(|&p| region.contains(p))
    })
}

/// Uniform in the part of a disc that lies inside the district.
fn sample_disc(
    region: &Region,
    frame: Frame,
    centre: GeoPoint,
    radius_km: f64,
    stream: &mut Stream,
) -> Option<GeoPoint> {
    (0..SAMPLE_TRIES).find_map(|_| {
        let (x, y) = stream.in_disc();
        frame
            .offset(centre, (x * radius_km, y * radius_km))
            .filter(|&p| region.contains(p))
    })
}

/// What placement needs to know of a village.
pub(crate) struct VillageSpec {
    pub code: AreaCode,
    /// A 社区 (community), as opposed to a 村 (village).
    pub community: bool,
}

/// The radius, in km, within which a town's villages are placed: half the distance to the
/// nearest other town, so that neighbouring towns' villages do not mingle, within bounds that
/// keep a lone town's villages near it and a crowded town's villages apart.
pub(crate) fn village_radius_km(nearest_town_km: Option<f64>) -> f64 {
    nearest_town_km.map_or(4.0, |d| (d * 0.5).clamp(0.3, 4.0))
}

/// Points for one town's villages, clustered around the town's point and inside the
/// district: a sample that falls outside is pulled halfway back toward the town until it is
/// inside (the town's point itself is inside).
pub(crate) fn place_villages(
    region: &Region,
    town: GeoPoint,
    radius_km: f64,
    villages: &[VillageSpec],
) -> Vec<GeoPoint> {
    let frame = Frame::at(town.lat);
    let mut placed = Vec::with_capacity(villages.len());
    for village in villages {
        let mut stream = Stream::for_code(village.code);
        let radius = if village.community {
            radius_km * COMMUNITY_SHARE
        } else {
            radius_km
        };
        let candidates = (0..VILLAGE_CANDIDATES).filter_map(|_| {
            let (x, y) = stream.in_disc();
            let mut scale = radius;
            (0..SHRINK_STEPS).find_map(|_| {
                let p = frame
                    .offset(town, (x * scale, y * scale))
                    .filter(|&p| region.contains(p));
                scale *= 0.5;
                p
            })
        });
        let point = best_candidate(frame, &placed, None, candidates).unwrap_or(town);
        placed.push(point);
    }
    placed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cos_is_accurate_enough() {
        for d in [0.0, 28.0, 29.5, 32.2, 60.0, 89.0] {
            let err = (cos_degrees(d) - d.to_radians().cos()).abs();
            assert!(err < 3e-7, "cos({d}°) off by {err}");
        }
    }

    #[test]
    fn unit_stays_in_range() {
        let mut s = Stream::for_code(AreaCode::parse("500101").expect("valid code"));
        for _ in 0..10_000 {
            let u = s.unit();
            assert!((0.0..1.0).contains(&u));
        }
    }

    #[test]
    fn segment_distance() {
        assert_eq!(origin_to_segment((3.0, -1.0), (3.0, 1.0)), 3.0);
        assert_eq!(origin_to_segment((3.0, 4.0), (6.0, 8.0)), 5.0);
        assert_eq!(origin_to_segment((3.0, 4.0), (3.0, 4.0)), 5.0);
    }

    #[test]
    fn frame_distances_match_a_degree() {
        let f = Frame::at(30.0);
        let a = GeoPoint {
            lon: 106.0,
            lat: 30.0,
        };
        let north = GeoPoint {
            lon: 106.0,
            lat: 31.0,
        };
        let east = GeoPoint {
            lon: 107.0,
            lat: 30.0,
        };
        assert!((f.distance_km(a, north) - 110.574).abs() < 1e-9);
        assert!((f.distance_km(a, east) - 96.41).abs() < 0.01);
    }
}
