//! Geometry of risk points, hazard zones and sites: what is accepted, what is repaired,
//! what is refused — each with a report that names the feature and the problem.
//!
//! Repaired: an unclosed ring (closed by repeating its first position) and coordinates
//! given as `[latitude, longitude]` (swapped, when the geometry lies outside the area as
//! given but inside it swapped: GeoJSON is `[longitude, latitude]`, yet many spreadsheets
//! and GPS tools write the other order). Refused: self-intersecting rings, too few
//! positions, non-numeric or off-globe coordinates, geometry types other than Point and
//! Polygon, and geometry outside the area. The predicates are `geo`'s.

use geo::{Contains, Coord, Intersects, LineString, MultiPolygon, Polygon, Validation};
use serde::Serialize;
use serde_json::Value;

use crate::area::GeoPoint;

/// A risk point, a hazard zone (one polygon with optional holes, rings closed) or a site.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    Point(GeoPoint),
    Polygon(Vec<Vec<GeoPoint>>),
}

impl Shape {
    /// GeoJSON geometry, `[longitude, latitude]`.
    pub fn to_geojson(&self) -> Value {
        match self {
            Shape::Point(p) => serde_json::json!({"type": "Point", "coordinates": [p.lon, p.lat]}),
            Shape::Polygon(rings) => serde_json::json!({
                "type": "Polygon",
                "coordinates": rings.iter()
                    .map(|r| r.iter().map(|p| vec![p.lon, p.lat]).collect::<Vec<_>>())
                    .collect::<Vec<_>>()
            }),
        }
    }

    /// The representative point: the point itself, or the exterior ring's mean vertex.
    pub fn anchor(&self) -> GeoPoint {
        match self {
            Shape::Point(p) => *p,
            Shape::Polygon(rings) => {
                let ring = rings.first().map(Vec::as_slice).unwrap_or_default();
                // The closing position repeats the first; leave it out of the mean.
                let open = &ring[..ring.len().saturating_sub(1)];
                let n = open.len().max(1) as f64;
                let (lon, lat) = open
                    .iter()
                    .fold((0.0, 0.0), |(a, b), p| (a + p.lon, b + p.lat));
                GeoPoint {
                    lon: lon / n,
                    lat: lat / n,
                }
            }
        }
    }

    /// `(min_lon, min_lat, max_lon, max_lat)`.
    pub fn bbox(&self) -> (f64, f64, f64, f64) {
        let pts: Vec<GeoPoint> = match self {
            Shape::Point(p) => vec![*p],
            Shape::Polygon(rings) => rings.iter().flatten().copied().collect(),
        };
        pts.iter().fold(
            (f64::MAX, f64::MAX, f64::MIN, f64::MIN),
            |(a, b, c, d), p| (a.min(p.lon), b.min(p.lat), c.max(p.lon), d.max(p.lat)),
        )
    }

    /// Whether a point lies inside the zone (for a point shape: never; use a radius).
    pub fn contains_point(&self, p: GeoPoint) -> bool {
        match self {
            Shape::Point(_) => false,
            Shape::Polygon(rings) => polygon(rings).contains(&geo::Point::new(p.lon, p.lat)),
        }
    }
}

fn line(ring: &[GeoPoint]) -> LineString<f64> {
    LineString::from(
        ring.iter()
            .map(|p| Coord { x: p.lon, y: p.lat })
            .collect::<Vec<_>>(),
    )
}

fn polygon(rings: &[Vec<GeoPoint>]) -> Polygon<f64> {
    let mut it = rings.iter();
    let exterior = it
        .next()
        .map(|r| line(r))
        .unwrap_or_else(|| LineString::new(vec![]));
    Polygon::new(exterior, it.map(|r| line(r)).collect())
}

/// The region a geometry must lie in: an area's boundary when it is known, otherwise a
/// bounding box (Chongqing's by default).
#[derive(Debug, Clone)]
pub struct Region {
    bbox: (f64, f64, f64, f64),
    shape: Option<MultiPolygon<f64>>,
}

/// Chongqing municipality's extent with a small margin, `(min_lon, min_lat, max_lon, max_lat)`.
pub const CHONGQING_BBOX: (f64, f64, f64, f64) = (105.2, 28.1, 110.3, 32.3);

impl Default for Region {
    fn default() -> Self {
        Region {
            bbox: CHONGQING_BBOX,
            shape: None,
        }
    }
}

impl Region {
    pub fn bbox(bbox: (f64, f64, f64, f64)) -> Self {
        Region { bbox, shape: None }
    }

    /// An area's boundary as stored (a GeoJSON Feature, Polygon or MultiPolygon); `None`
    /// if it cannot be read, so the caller falls back to a box.
    pub fn from_boundary(geojson: &str) -> Option<Self> {
        let v: Value = serde_json::from_str(geojson).ok()?;
        let g = if v["type"] == "Feature" {
            &v["geometry"]
        } else {
            &v
        };
        let polys: Vec<Vec<Vec<[f64; 2]>>> = match g["type"].as_str()? {
            "Polygon" => vec![serde_json::from_value(g["coordinates"].clone()).ok()?],
            "MultiPolygon" => serde_json::from_value(g["coordinates"].clone()).ok()?,
            _ => return None,
        };
        let shape = MultiPolygon::new(
            polys
                .into_iter()
                .map(|rings| {
                    let mut it = rings.into_iter().map(|r| {
                        LineString::from(
                            r.into_iter()
                                .map(|[x, y]| Coord { x, y })
                                .collect::<Vec<_>>(),
                        )
                    });
                    let ext = it.next().unwrap_or_else(|| LineString::new(vec![]));
                    Polygon::new(ext, it.collect())
                })
                .collect(),
        );
        let bbox = geo::BoundingRect::bounding_rect(&shape)?;
        Some(Region {
            bbox: (bbox.min().x, bbox.min().y, bbox.max().x, bbox.max().y),
            shape: Some(shape),
        })
    }

    fn in_box(&self, p: GeoPoint) -> bool {
        let (a, b, c, d) = self.bbox;
        (a..=c).contains(&p.lon) && (b..=d).contains(&p.lat)
    }

    pub fn contains_point(&self, p: GeoPoint) -> bool {
        match &self.shape {
            Some(s) => s.intersects(&geo::Point::new(p.lon, p.lat)),
            None => self.in_box(p),
        }
    }

    /// A zone may reach beyond its area (slopes do not follow boundaries) but must touch it.
    fn touches(&self, shape: &Shape) -> bool {
        match shape {
            Shape::Point(p) => self.contains_point(*p),
            Shape::Polygon(rings) => {
                let poly = polygon(rings);
                match &self.shape {
                    Some(s) => s.intersects(&poly),
                    None => {
                        let (a, b, c, d) = self.bbox;
                        let rect = geo::Rect::new(Coord { x: a, y: b }, Coord { x: c, y: d });
                        rect.intersects(&poly)
                    }
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GeometryProblem {
    /// Not a GeoJSON Point or Polygon, or coordinates that are not numbers.
    Malformed,
    /// A ring whose last position differs from its first (repaired: closed).
    UnclosedRing,
    /// Fewer than three distinct positions in a ring.
    TooFewPositions,
    /// A ring crosses itself, or rings cross each other.
    SelfIntersecting,
    /// `[latitude, longitude]` instead of `[longitude, latitude]` (repaired: swapped).
    SwappedCoordinates,
    /// Off the globe: longitude beyond ±180 or latitude beyond ±90.
    OffGlobe,
    /// Outside the area it is filed under.
    OutsideArea,
}

/// One finding about one feature: refused, or repaired (`repaired` true).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct GeometryIssue {
    /// Index of the feature in the collection (0 for a single geometry).
    pub feature: usize,
    pub problem: GeometryProblem,
    pub repaired: bool,
    pub message: String,
}

impl GeometryIssue {
    fn new(feature: usize, problem: GeometryProblem, repaired: bool, message: String) -> Self {
        GeometryIssue {
            feature,
            problem,
            repaired,
            message,
        }
    }
}

/// A geometry that passed, with the repairs made to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub shape: Shape,
    pub repairs: Vec<GeometryIssue>,
}

fn positions(v: &Value) -> Option<Vec<[f64; 2]>> {
    v.as_array()?
        .iter()
        .map(|p| {
            let a = p.as_array()?;
            // A third value (altitude) is allowed by GeoJSON and ignored.
            if a.len() < 2 {
                return None;
            }
            Some([a[0].as_f64()?, a[1].as_f64()?])
        })
        .collect()
}

/// Checks a GeoJSON geometry (Point or Polygon) against `region`. `allowed` limits the
/// kinds (`true` for points only, as sites are). Every problem is reported, repairs included.
pub fn check(
    feature: usize,
    geometry: &Value,
    region: &Region,
    points_only: bool,
) -> Result<Checked, Vec<GeometryIssue>> {
    let refuse =
        |problem, message: String| vec![GeometryIssue::new(feature, problem, false, message)];
    let kind = geometry["type"].as_str().unwrap_or("");
    let mut rings: Vec<Vec<[f64; 2]>> = match kind {
        "Point" => match positions(&Value::Array(vec![geometry["coordinates"].clone()])) {
            Some(p) => vec![p],
            None => {
                return Err(refuse(
                    GeometryProblem::Malformed,
                    "a Point needs coordinates [longitude, latitude]".into(),
                ));
            }
        },
        "Polygon" if !points_only => {
            let Some(rs) = geometry["coordinates"].as_array() else {
                return Err(refuse(
                    GeometryProblem::Malformed,
                    "a Polygon needs coordinates: a list of rings".into(),
                ));
            };
            let mut out = Vec::new();
            for (i, r) in rs.iter().enumerate() {
                match positions(r) {
                    Some(p) => out.push(p),
                    None => {
                        return Err(refuse(
                            GeometryProblem::Malformed,
                            format!("ring {i} is not a list of [longitude, latitude] positions"),
                        ));
                    }
                }
            }
            if out.is_empty() {
                return Err(refuse(
                    GeometryProblem::Malformed,
                    "a Polygon without rings".into(),
                ));
            }
            out
        }
        other => {
            let want = if points_only {
                "a Point"
            } else {
                "a Point or a Polygon"
            };
            return Err(refuse(
                GeometryProblem::Malformed,
                format!("{want} is expected, not {other:?}"),
            ));
        }
    };
    let mut repairs = Vec::new();
    let is_polygon = kind == "Polygon";
    if is_polygon {
        for (i, r) in rings.iter_mut().enumerate() {
            let distinct = {
                let mut d: Vec<[f64; 2]> = Vec::new();
                for p in r.iter() {
                    if !d.contains(p) {
                        d.push(*p);
                    }
                }
                d.len()
            };
            if distinct < 3 {
                return Err(refuse(
                    GeometryProblem::TooFewPositions,
                    format!("ring {i} has {distinct} distinct positions; at least 3 are needed"),
                ));
            }
            if r.first() != r.last() {
                if let Some(&first) = r.first() {
                    r.push(first);
                }
                repairs.push(GeometryIssue::new(
                    feature,
                    GeometryProblem::UnclosedRing,
                    true,
                    format!("ring {i} was not closed; its first position was repeated at the end"),
                ));
            }
        }
    }
    if rings
        .iter()
        .flatten()
        .any(|[x, y]| !x.is_finite() || !y.is_finite())
    {
        return Err(refuse(
            GeometryProblem::Malformed,
            "a coordinate is not a finite number".into(),
        ));
    }
    let build = |rings: &[Vec<[f64; 2]>]| -> Option<Shape> {
        let rings: Option<Vec<Vec<GeoPoint>>> = rings
            .iter()
            .map(|r| r.iter().map(|&[x, y]| GeoPoint::new(x, y)).collect())
            .collect();
        let rings = rings?;
        Some(if is_polygon {
            Shape::Polygon(rings)
        } else {
            Shape::Point(rings[0][0])
        })
    };
    let swapped: Vec<Vec<[f64; 2]>> = rings
        .iter()
        .map(|r| r.iter().map(|&[x, y]| [y, x]).collect())
        .collect();
    let as_given = build(&rings);
    let shape = match (as_given, build(&swapped)) {
        (Some(s), _) if region.touches(&s) => s,
        (given, Some(s)) if region.touches(&s) => {
            repairs.push(GeometryIssue::new(
                feature,
                GeometryProblem::SwappedCoordinates,
                true,
                "the coordinates were [latitude, longitude]; they were swapped to [longitude, latitude]"
                    .into(),
            ));
            let _ = given;
            s
        }
        (None, _) => {
            return Err(refuse(
                GeometryProblem::OffGlobe,
                "a coordinate is off the globe (longitude −180…180, latitude −90…90)".into(),
            ));
        }
        (Some(s), _) => {
            let a = s.anchor();
            return Err(refuse(
                GeometryProblem::OutsideArea,
                format!(
                    "the geometry (near {:.5}, {:.5}) lies outside its area",
                    a.lon, a.lat
                ),
            ));
        }
    };
    if let Shape::Polygon(rings) = &shape {
        let errs = polygon(rings).validation_errors();
        if !errs.is_empty() {
            let msg = errs
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("; ");
            let problem = if errs.iter().all(|e| {
                matches!(
                    e,
                    geo::algorithm::validation::InvalidPolygon::TooFewPointsInRing(_)
                )
            }) {
                GeometryProblem::TooFewPositions
            } else {
                GeometryProblem::SelfIntersecting
            };
            return Err(refuse(problem, msg));
        }
    }
    Ok(Checked { shape, repairs })
}

/// Checks a site's (or any record's) point against its area, swapping it if it was
/// written latitude first.
pub fn check_point(
    feature: usize,
    p: (f64, f64),
    region: &Region,
) -> Result<Checked, Vec<GeometryIssue>> {
    check(
        feature,
        &serde_json::json!({"type": "Point", "coordinates": [p.0, p.1]}),
        region,
        true,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn square(lon: f64, lat: f64, d: f64) -> Vec<[f64; 2]> {
        vec![
            [lon, lat],
            [lon + d, lat],
            [lon + d, lat + d],
            [lon, lat + d],
            [lon, lat],
        ]
    }

    fn poly(rings: Vec<Vec<[f64; 2]>>) -> Value {
        json!({"type": "Polygon", "coordinates": rings})
    }

    fn problems(r: &Result<Checked, Vec<GeometryIssue>>) -> Vec<(GeometryProblem, bool)> {
        match r {
            Ok(c) => c.repairs.iter().map(|i| (i.problem, i.repaired)).collect(),
            Err(e) => e.iter().map(|i| (i.problem, i.repaired)).collect(),
        }
    }

    #[test]
    fn a_good_zone_passes_untouched() {
        let r = check(
            0,
            &poly(vec![square(108.4, 30.8, 0.01)]),
            &Region::default(),
            false,
        );
        let c = r.expect("valid");
        assert!(c.repairs.is_empty());
        assert!(c.shape.contains_point(GeoPoint {
            lon: 108.405,
            lat: 30.805
        }));
        assert!(!c.shape.contains_point(GeoPoint {
            lon: 108.5,
            lat: 30.805
        }));
    }

    #[test]
    fn an_unclosed_ring_is_closed() {
        let mut ring = square(108.4, 30.8, 0.01);
        ring.pop();
        let r = check(3, &poly(vec![ring]), &Region::default(), false);
        assert_eq!(problems(&r), [(GeometryProblem::UnclosedRing, true)]);
        let c = r.expect("repaired");
        assert_eq!(c.repairs[0].feature, 3);
        let Shape::Polygon(rings) = c.shape else {
            panic!("a polygon")
        };
        assert_eq!(rings[0].first(), rings[0].last());
        assert_eq!(rings[0].len(), 5);
    }

    #[test]
    fn a_bow_tie_is_refused() {
        let ring = vec![
            [108.4, 30.8],
            [108.41, 30.81],
            [108.41, 30.8],
            [108.4, 30.81],
            [108.4, 30.8],
        ];
        let r = check(7, &poly(vec![ring]), &Region::default(), false);
        assert_eq!(problems(&r), [(GeometryProblem::SelfIntersecting, false)]);
        let e = r.expect_err("refused");
        assert_eq!(e[0].feature, 7);
        assert!(
            e[0].message.contains("self-intersection"),
            "{}",
            e[0].message
        );
    }

    #[test]
    fn latitude_first_is_swapped() {
        let r = check(
            1,
            &json!({"type": "Point", "coordinates": [30.8, 108.4]}),
            &Region::default(),
            true,
        );
        assert_eq!(problems(&r), [(GeometryProblem::SwappedCoordinates, true)]);
        assert_eq!(
            r.expect("repaired").shape,
            Shape::Point(GeoPoint {
                lon: 108.4,
                lat: 30.8
            })
        );
        // A polygon written latitude first, and unclosed: both repairs reported.
        let mut ring: Vec<[f64; 2]> = square(108.4, 30.8, 0.01)
            .into_iter()
            .map(|[x, y]| [y, x])
            .collect();
        ring.pop();
        let r = check(2, &poly(vec![ring]), &Region::default(), false);
        assert_eq!(
            problems(&r),
            [
                (GeometryProblem::UnclosedRing, true),
                (GeometryProblem::SwappedCoordinates, true)
            ]
        );
    }

    #[test]
    fn outside_the_area_is_refused() {
        // Beijing, in either order, is not in Chongqing.
        let r = check(
            0,
            &json!({"type": "Point", "coordinates": [116.4, 39.9]}),
            &Region::default(),
            true,
        );
        assert_eq!(problems(&r), [(GeometryProblem::OutsideArea, false)]);
        // Inside Chongqing but outside a village's boundary.
        let village = Region::from_boundary(
            &json!({"type": "Feature", "properties": {}, "geometry": poly(vec![square(108.0, 30.0, 0.1)])}).to_string(),
        )
        .expect("boundary");
        let r = check(4, &poly(vec![square(108.4, 30.8, 0.01)]), &village, false);
        assert_eq!(problems(&r), [(GeometryProblem::OutsideArea, false)]);
        // A zone that reaches over the boundary is fine.
        assert!(check(0, &poly(vec![square(108.09, 30.09, 0.05)]), &village, false).is_ok());
    }

    #[test]
    fn malformed_and_degenerate_are_refused() {
        let r = check(
            0,
            &json!({"type": "LineString", "coordinates": [[108.4, 30.8], [108.5, 30.9]]}),
            &Region::default(),
            false,
        );
        assert_eq!(problems(&r), [(GeometryProblem::Malformed, false)]);
        let r = check(
            0,
            &json!({"type": "Polygon", "coordinates": [[[108.4, 30.8], [108.5, 30.9], [108.4, 30.8]]]}),
            &Region::default(),
            false,
        );
        assert_eq!(problems(&r), [(GeometryProblem::TooFewPositions, false)]);
        let r = check(
            0,
            &json!({"type": "Point", "coordinates": ["108.4", 30.8]}),
            &Region::default(),
            true,
        );
        assert_eq!(problems(&r), [(GeometryProblem::Malformed, false)]);
        let r = check(
            0,
            &json!({"type": "Point", "coordinates": [200.0, 95.0]}),
            &Region::default(),
            true,
        );
        assert_eq!(problems(&r), [(GeometryProblem::OffGlobe, false)]);
        // Sites are points only.
        let r = check(
            0,
            &poly(vec![square(108.4, 30.8, 0.01)]),
            &Region::default(),
            true,
        );
        assert_eq!(problems(&r), [(GeometryProblem::Malformed, false)]);
    }
}
