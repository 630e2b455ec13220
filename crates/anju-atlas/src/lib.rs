//! The administrative area tree of Chongqing (重庆市), embedded in the binary, with names in
//! Chinese and English, a point for every area, and district boundaries.
//!
//! The tree is the National Bureau of Statistics' 2023 division table: the municipality, its
//! 38 districts and counties, 1,031 towns and subdistricts and 11,270 villages and
//! communities. Sources and licences are in `data/chongqing/SOURCE.md`.
//!
//! Points of the municipality and the districts are their seats. No public source gives
//! points for towns and villages, so they are derived (spread inside the district, villages
//! clustered around their town) and flagged [`AtlasArea::point_approximate`]: a screen that
//! shows them must say they are approximate.
//!
//! Boundaries are the generalised ones embedded with the crate. Maps published in China need
//! a map review number (审图号), so a deployment can publish its own approved file instead
//! with [`Atlas::replace_boundaries`].

mod boundary;
mod data;
mod error;
mod names;
mod place;

use std::collections::BTreeMap;

use anju_core::area::GeoPoint;
use anju_core::{AreaCode, AreaLevel};
use serde::Serialize;
use serde_json::Value;

pub use boundary::parse_boundary_file;
pub use error::AtlasError;
pub use names::english_name;

use boundary::{RawBoundary, labelled_feature, read_features};
use data::{CITY_OUTLINE, DISTRICT_BOUNDARIES, Division};
use place::{Frame, Region, TownSpec, VillageSpec};

/// One area of the tree.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AtlasArea {
    pub code: AreaCode,
    /// The name people use: the NBS name, except that villages and communities drop the
    /// committee (东方广场社区居民委员会 → 东方广场社区).
    pub name_zh: String,
    /// The name exactly as in the NBS table.
    pub name_official: String,
    /// Official English for the municipality and the districts; below, pinyin with the kind
    /// of area translated (see [`english_name`]).
    pub name_en: String,
    pub point: GeoPoint,
    /// True when `point` is derived rather than surveyed (towns and villages).
    pub point_approximate: bool,
}

impl AtlasArea {
    pub fn level(&self) -> AreaLevel {
        self.code.level()
    }
}

/// The whole tree. Build it once and share it: it is immutable after construction, except
/// for swapping the published boundaries.
#[derive(Debug, Clone)]
pub struct Atlas {
    /// In code order, which puts every parent before its children and makes each subtree a
    /// contiguous run.
    areas: Vec<AtlasArea>,
    /// In code order: the municipality's outline, then the districts.
    boundaries: Vec<(AreaCode, String)>,
}

impl Atlas {
    /// Builds the atlas from the embedded data: reads the tables, checks them against each
    /// other, and derives the points. Deterministic: every build gives the same atlas.
    pub fn chongqing() -> Result<Atlas, AtlasError> {
        let divisions = data::read_divisions()?;
        let seats = data::read_seats(&divisions)?;
        let (outline, districts) = read_embedded_boundaries(&divisions)?;

        let total =
            1 + divisions.districts.len() + divisions.towns.len() + divisions.villages.len();
        let mut areas = Vec::with_capacity(total);
        let city = &divisions.city;
        areas.push(AtlasArea {
            code: city.code,
            name_zh: city.name.clone(),
            name_official: city.name.clone(),
            name_en: names::CITY_EN.to_owned(),
            point: seats[&city.code],
            point_approximate: false,
        });

        for district in &divisions.districts {
            let region = &districts[&district.code].1;
            let seat = seats[&district.code];
            let name_en = names::district_english(district.code).ok_or_else(|| {
                AtlasError::inconsistent(
                    data::COUNTIES.path,
                    format!(
                        "{} {} has no official English name in the crate's table",
                        district.code, district.name
                    ),
                )
            })?;
            if !region.contains(seat) {
                return Err(AtlasError::inconsistent(
                    DISTRICT_BOUNDARIES.path,
                    format!("the seat of {} lies outside its boundary", district.code),
                ));
            }
            areas.push(AtlasArea {
                code: district.code,
                name_zh: district.name.clone(),
                name_official: district.name.clone(),
                name_en: name_en.to_owned(),
                point: seat,
                point_approximate: false,
            });

            push_towns_and_villages(&mut areas, &divisions, district.code, region, seat);
        }
        // Already in code order by construction; sorting is cheap insurance that `get` and
        // `subtree` (binary searches) stay right if the construction changes.
        areas.sort_by_key(|a| a.code);

        let names: BTreeMap<AreaCode, &AtlasArea> = areas
            .iter()
            .filter(|a| a.level() <= AreaLevel::District)
            .map(|a| (a.code, a))
            .collect();
        let boundaries = std::iter::once((city.code, outline))
            .chain(
                districts
                    .into_iter()
                    .map(|(code, (geometry, _))| (code, geometry)),
            )
            .map(|(code, geometry)| {
                let area = names[&code];
                let text = labelled_feature(code, &area.name_zh, &area.name_en, &geometry);
                (code, text)
            })
            .collect();
        Ok(Atlas { areas, boundaries })
    }

    /// Every area, in code order (parents before children).
    pub fn areas(&self) -> &[AtlasArea] {
        &self.areas
    }

    pub fn get(&self, code: AreaCode) -> Option<&AtlasArea> {
        self.areas
            .binary_search_by_key(&code, |a| a.code)
            .ok()
            .map(|i| &self.areas[i])
    }

    /// The area and everything below it, in code order; empty for an unknown code.
    pub fn subtree(&self, code: AreaCode) -> &[AtlasArea] {
        let (lo, hi) = code.subtree_range();
        let start = self.areas.partition_point(|a| a.code.padded() < lo);
        let end = self.areas.partition_point(|a| a.code.padded() < hi);
        let run = &self.areas[start..end];
        if run.first().map(|a| a.code) == Some(code) {
            run
        } else {
            &[]
        }
    }

    /// The areas directly below `code`, in code order; none for an unknown code or a village.
    pub fn children(&self, code: AreaCode) -> impl Iterator<Item = &AtlasArea> {
        let mut rest = self.subtree(code).get(1..).unwrap_or_default();
        // Every parent is present, so the first area after a child's own subtree is the
        // next child: hop from child to child without visiting grandchildren.
        std::iter::from_fn(move || {
            let (child, tail) = rest.split_first()?;
            let skip = tail.partition_point(|a| child.code.contains(a.code));
            rest = &tail[skip..];
            Some(child)
        })
    }

    /// GeoJSON Feature texts with properties `code`, `name_zh` and `name_en`, in code order:
    /// the municipality's outline and every district, unless replaced.
    pub fn boundaries(&self) -> &[(AreaCode, String)] {
        &self.boundaries
    }

    pub fn boundary(&self, code: AreaCode) -> Option<&str> {
        self.boundaries
            .binary_search_by_key(&code, |(c, _)| *c)
            .ok()
            .map(|i| self.boundaries[i].1.as_str())
    }

    /// Publishes a deployment's own boundary file (see [`parse_boundary_file`] for its
    /// form) instead of the embedded boundaries. Every feature must be an area of the atlas;
    /// the file need not cover them all. Points are not recomputed: they stay derived from
    /// the embedded boundaries, which is within their stated approximation.
    pub fn replace_boundaries(&mut self, geojson_text: &str) -> Result<(), AtlasError> {
        let file = boundary::DEPLOYMENT_FILE;
        let raw = read_features(file, geojson_text, |index, properties| {
            boundary::code_from_properties(file, index, properties)
        })?;
        let mut boundaries = Vec::with_capacity(raw.len());
        for b in raw {
            let Some(area) = self.get(b.code) else {
                return Err(AtlasError::geojson(
                    file,
                    Some(b.index),
                    "properties.adcode",
                    format!("code {} is not an area of the atlas", b.code),
                ));
            };
            let text = labelled_feature(b.code, &area.name_zh, &area.name_en, &b.geometry);
            boundaries.push((b.code, text));
        }
        boundaries.sort_by_key(|b| b.0);
        self.boundaries = boundaries;
        Ok(())
    }
}

/// Places a district's towns, then each town's villages around it, and appends them in code
/// order.
fn push_towns_and_villages(
    areas: &mut Vec<AtlasArea>,
    divisions: &data::Divisions,
    district: AreaCode,
    region: &Region,
    seat: GeoPoint,
) {
    let towns = within(&divisions.towns, district);
    let specs: Vec<TownSpec> = towns
        .iter()
        .map(|t| TownSpec {
            code: t.code,
            subdistrict: t.name.ends_with("街道"),
        })
        .collect();
    let town_points = place::place_towns(region, seat, &specs);
    let frame = Frame::at(seat.lat);
    for (i, (town, &point)) in towns.iter().zip(&town_points).enumerate() {
        areas.push(approximate(town, town.name.clone(), point));

        let nearest = town_points
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != i)
            .map(|(_, &p)| frame.distance_km(p, point))
            .reduce(f64::min);
        let villages = within(&divisions.villages, town.code);
        let short: Vec<String> = villages
            .iter()
            .map(|v| names::short_name(&v.name))
            .collect();
        let specs: Vec<VillageSpec> = villages
            .iter()
            .zip(&short)
            .map(|(v, s)| VillageSpec {
                code: v.code,
                community: s.ends_with("社区"),
            })
            .collect();
        let radius = place::village_radius_km(nearest);
        let points = place::place_villages(region, point, radius, &specs);
        for ((village, short), point) in villages.iter().zip(short).zip(points) {
            areas.push(approximate(village, short, point));
        }
    }
}

fn approximate(division: &Division, name_zh: String, point: GeoPoint) -> AtlasArea {
    let name_en = english_name(&name_zh);
    AtlasArea {
        code: division.code,
        name_zh,
        name_official: division.name.clone(),
        name_en,
        point,
        point_approximate: true,
    }
}

/// The rows of a code-ordered level that lie below `parent`.
fn within(level: &[Division], parent: AreaCode) -> &[Division] {
    let (lo, hi) = parent.subtree_range();
    let start = level.partition_point(|d| d.code.padded() < lo);
    let end = level.partition_point(|d| d.code.padded() < hi);
    &level[start..end]
}

/// Each district's geometry as published and its shape for point tests.
type DistrictBoundaries = BTreeMap<AreaCode, (Value, Region)>;

/// The municipality's outline and each district's boundary, checked against the tree: every
/// district has exactly one, and no feature names anything else.
fn read_embedded_boundaries(
    divisions: &data::Divisions,
) -> Result<(Value, DistrictBoundaries), AtlasError> {
    // The outline carries only a `gb` property (156500000): it is the municipality by
    // construction of the file.
    let city = divisions.city.code;
    let mut outline = read_features(CITY_OUTLINE.path, CITY_OUTLINE.text, |_, _| Ok(city))?;
    if outline.len() != 1 {
        return Err(AtlasError::geojson(
            CITY_OUTLINE.path,
            None,
            "features",
            format!("has {} features, expected the one outline", outline.len()),
        ));
    }
    let outline = outline.remove(0).geometry;

    let file = DISTRICT_BOUNDARIES.path;
    let raw = read_features(file, DISTRICT_BOUNDARIES.text, |index, properties| {
        boundary::code_from_properties(file, index, properties)
    })?;
    let mut districts = BTreeMap::new();
    for RawBoundary {
        index,
        code,
        geometry,
        shape,
    } in raw
    {
        if code.level() != AreaLevel::District
            || within(&divisions.districts, code).first().map(|d| d.code) != Some(code)
        {
            return Err(AtlasError::geojson(
                file,
                Some(index),
                "properties.adcode",
                format!("{code} is not a district of the NBS table"),
            ));
        }
        let Some(region) = Region::new(shape) else {
            return Err(AtlasError::geojson(
                file,
                Some(index),
                "geometry",
                "has no coordinates",
            ));
        };
        districts.insert(code, (geometry, region));
    }
    if let Some(d) = divisions
        .districts
        .iter()
        .find(|d| !districts.contains_key(&d.code))
    {
        return Err(AtlasError::inconsistent(
            file,
            format!("no boundary for {} {}", d.code, d.name),
        ));
    }
    Ok((outline, districts))
}
