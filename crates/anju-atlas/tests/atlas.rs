//! The atlas as the rest of Anju sees it, through the public API only.

use std::collections::{BTreeMap, HashSet};
use std::sync::OnceLock;

use anju_atlas::{Atlas, AtlasArea, AtlasError, parse_boundary_file};
use anju_core::{AreaCode, AreaLevel};
use serde_json::Value;

/// Built once per test binary: a debug build of the whole atlas is not free.
fn atlas() -> &'static Atlas {
    static ATLAS: OnceLock<Atlas> = OnceLock::new();
    ATLAS.get_or_init(|| Atlas::chongqing().expect("the embedded data builds"))
}

fn code(s: &str) -> AreaCode {
    AreaCode::parse(s).expect("a valid code in the test")
}

fn area(s: &str) -> &'static AtlasArea {
    atlas().get(code(s)).expect("the area is in the atlas")
}

#[test]
fn counts_match_the_nbs_table() {
    let mut counts = BTreeMap::new();
    for a in atlas().areas() {
        *counts.entry(a.level()).or_insert(0usize) += 1;
    }
    assert_eq!(counts[&AreaLevel::City], 1);
    assert_eq!(counts[&AreaLevel::District], 38);
    assert_eq!(counts[&AreaLevel::Town], 1_031);
    assert_eq!(counts[&AreaLevel::Village], 11_270);
    assert_eq!(atlas().areas().len(), 1 + 38 + 1_031 + 11_270);
}

#[test]
fn codes_are_valid_ordered_and_parented() {
    let areas = atlas().areas();
    for pair in areas.windows(2) {
        assert!(
            pair[0].code < pair[1].code,
            "{:?} before {:?}",
            pair[0].code,
            pair[1].code
        );
    }
    let mut seen = HashSet::new();
    for a in areas {
        assert_eq!(AreaCode::parse(&a.code.to_string()), Ok(a.code));
        if let Some(parent) = a.code.parent() {
            assert!(
                seen.contains(&parent),
                "{} comes before its parent {parent}",
                a.code
            );
        } else {
            assert_eq!(a.code, code("50"));
        }
        seen.insert(a.code);
    }
}

#[test]
fn statistical_groupings_are_not_areas() {
    // 5001 市辖区 and 5002 县 group districts in the NBS table; districts hang under 50.
    let districts: Vec<&AtlasArea> = atlas().children(code("50")).collect();
    assert_eq!(districts.len(), 38);
    for d in &districts {
        assert_eq!(d.level(), AreaLevel::District);
        assert_eq!(d.code.parent(), Some(code("50")));
    }
    for a in atlas().areas() {
        assert!(!a.name_official.contains("市辖区"), "{}", a.code);
        assert_ne!(a.name_official, "县", "{}", a.code);
    }
    assert!(atlas().get(code("500100")).is_none());
    assert!(atlas().get(code("500200")).is_none());
    // Retired seat codes were mapped to today's districts, not kept.
    assert!(atlas().get(code("500228")).is_none());
    assert!(atlas().get(code("500232")).is_none());
}

#[test]
fn names_follow_the_rules() {
    let city = area("50");
    assert_eq!(
        (city.name_zh.as_str(), city.name_en.as_str()),
        ("重庆市", "Chongqing")
    );

    let town = area("500101001");
    assert_eq!(town.name_zh, "高笋塘街道");
    assert_eq!(town.name_en, "Gaosuntang Subdistrict");

    let community = area("500101001001");
    assert_eq!(community.name_official, "东方广场社区居民委员会");
    assert_eq!(community.name_zh, "东方广场社区");
    assert_eq!(community.name_en, "Dongfangguangchang Community");

    for (c, en) in [
        ("500101", "Wanzhou District"),
        ("500229", "Chengkou County"),
        ("500240", "Shizhu Tujia Autonomous County"),
        ("500241", "Xiushan Tujia and Miao Autonomous County"),
        ("500242", "Youyang Tujia and Miao Autonomous County"),
        ("500243", "Pengshui Miao and Tujia Autonomous County"),
        ("500155", "Liangping District"),
        ("500156", "Wulong District"),
    ] {
        assert_eq!(area(c).name_en, en);
    }
    assert_eq!(area("500101238").name_en, "Dibao Tujia Ethnic Township");
}

#[test]
fn every_name_is_filled_in() {
    for a in atlas().areas() {
        assert!(
            !a.name_zh.is_empty() && !a.name_official.is_empty(),
            "{}",
            a.code
        );
        assert!(!a.name_en.is_empty(), "{}", a.code);
        assert!(
            a.name_en.is_ascii() || a.name_en.contains('ü'),
            "{} {}",
            a.code,
            a.name_en
        );
        assert!(!a.name_zh.ends_with("委员会"), "{} {}", a.code, a.name_zh);
        let suffix_en = match a.level() {
            AreaLevel::City => continue,
            AreaLevel::District => &["District", "County"][..],
            AreaLevel::Town => &["Subdistrict", "Town", "Township"][..],
            AreaLevel::Village => &["Village", "Community", "Community Workstation"][..],
        };
        assert!(
            suffix_en.iter().any(|s| a.name_en.ends_with(s)),
            "{} {} → {}",
            a.code,
            a.name_zh,
            a.name_en
        );
    }
}

#[test]
fn every_district_has_a_boundary_and_an_english_name() {
    let boundaries = atlas().boundaries();
    assert_eq!(boundaries.len(), 39);
    assert_eq!(boundaries[0].0, code("50"));
    for d in atlas().children(code("50")) {
        assert!(d.name_en.ends_with("District") || d.name_en.ends_with("County"));
        let text = atlas()
            .boundary(d.code)
            .expect("every district has a boundary");
        let feature: Value = serde_json::from_str(text).expect("a boundary is JSON");
        assert_eq!(feature["type"], "Feature");
        assert_eq!(feature["properties"]["code"], d.code.to_string());
        assert_eq!(feature["properties"]["name_zh"], d.name_zh);
        assert_eq!(feature["properties"]["name_en"], d.name_en);
        assert_eq!(feature["geometry"]["type"], "MultiPolygon");
    }
    let outline: Value = serde_json::from_str(&boundaries[0].1).expect("the outline is JSON");
    assert_eq!(outline["properties"]["name_en"], "Chongqing");
}

/// Rings of a district's (Multi)Polygon, read back from the published feature text.
fn polygons(feature_text: &str) -> Vec<Vec<Vec<(f64, f64)>>> {
    let feature: Value = serde_json::from_str(feature_text).expect("a boundary is JSON");
    let ring = |r: &Value| -> Vec<(f64, f64)> {
        r.as_array()
            .expect("a ring is an array")
            .iter()
            .map(|p| {
                let lon = p[0].as_f64().expect("a longitude");
                let lat = p[1].as_f64().expect("a latitude");
                (lon, lat)
            })
            .collect()
    };
    let polygon = |p: &Value| -> Vec<Vec<(f64, f64)>> {
        p.as_array()
            .expect("a polygon is an array")
            .iter()
            .map(ring)
            .collect()
    };
    let coordinates = &feature["geometry"]["coordinates"];
    match feature["geometry"]["type"].as_str() {
        Some("Polygon") => vec![polygon(coordinates)],
        Some("MultiPolygon") => coordinates
            .as_array()
            .expect("polygons")
            .iter()
            .map(polygon)
            .collect(),
        other => panic!("unexpected geometry {other:?}"),
    }
}

/// Even-odd ray casting, written independently of the `geo` predicate the crate uses.
fn inside(polygons: &[Vec<Vec<(f64, f64)>>], (x, y): (f64, f64)) -> bool {
    polygons.iter().any(|rings| {
        let mut odd = false;
        for ring in rings {
            for (i, &(x1, y1)) in ring.iter().enumerate() {
                let (x2, y2) = ring[(i + 1) % ring.len()];
                if (y1 > y) != (y2 > y) && x < (x2 - x1) * (y - y1) / (y2 - y1) + x1 {
                    odd = !odd;
                }
            }
        }
        odd
    })
}

#[test]
fn every_point_lies_inside_its_district() {
    let shapes: BTreeMap<AreaCode, _> = atlas()
        .boundaries()
        .iter()
        .map(|(c, text)| (*c, polygons(text)))
        .collect();
    let mut checked = 0;
    for a in atlas().areas() {
        let Some(district) = a.code.district() else {
            assert!(inside(&shapes[&a.code], (a.point.lon, a.point.lat)));
            continue;
        };
        let shape = &shapes[&district];
        assert!(
            inside(shape, (a.point.lon, a.point.lat)),
            "{} {} at {:?} is outside {district}",
            a.code,
            a.name_zh,
            a.point
        );
        checked += 1;
    }
    assert_eq!(checked, 38 + 1_031 + 11_270);
}

#[test]
fn seats_are_exact_and_derived_points_are_flagged() {
    for a in atlas().areas() {
        assert_eq!(
            a.point_approximate,
            a.level() >= AreaLevel::Town,
            "{}",
            a.code
        );
    }
    let city = area("50");
    assert_eq!((city.point.lon, city.point.lat), (106.551643, 29.562849));
    // 梁平 and 武隆 take their seats from the rows under their old county codes.
    let liangping = area("500155");
    assert_eq!(
        (liangping.point.lon, liangping.point.lat),
        (107.769568, 30.654233)
    );
    let wulong = area("500156");
    assert_eq!(
        (wulong.point.lon, wulong.point.lat),
        (107.760025, 29.325601)
    );
}

/// Distance in km on a local flat frame: enough to check spacing within a district.
fn km(a: &AtlasArea, b: &AtlasArea) -> f64 {
    let dx = (a.point.lon - b.point.lon) * 111.32 * a.point.lat.to_radians().cos();
    let dy = (a.point.lat - b.point.lat) * 110.574;
    (dx * dx + dy * dy).sqrt()
}

#[test]
fn points_are_spread_and_clustered() {
    let mut positions = HashSet::new();
    for a in atlas()
        .areas()
        .iter()
        .filter(|a| a.level() >= AreaLevel::Town)
    {
        assert!(
            positions.insert((a.point.lon.to_bits(), a.point.lat.to_bits())),
            "{} shares its point with another area",
            a.code
        );
    }
    for town in atlas()
        .areas()
        .iter()
        .filter(|a| a.level() == AreaLevel::Town)
    {
        for village in atlas().children(town.code) {
            let d = km(town, village);
            assert!(d <= 4.01, "{} is {d:.1} km from its town", village.code);
        }
    }
    // Towns of one district keep apart: in each district, the closest pair of towns is
    // farther apart than a tenth of the typical spacing (area / count).
    for district in atlas().children(code("50")) {
        let towns: Vec<&AtlasArea> = atlas().children(district.code).collect();
        let closest = towns
            .iter()
            .enumerate()
            .flat_map(|(i, a)| towns[i + 1..].iter().map(move |b| km(a, b)))
            .fold(f64::INFINITY, f64::min);
        assert!(
            closest > 0.2,
            "{}: two towns {closest:.2} km apart",
            district.code
        );
    }
}

#[test]
fn children_and_subtrees() {
    let atlas = atlas();
    let towns: usize = atlas
        .children(code("50"))
        .map(|d| atlas.children(d.code).count())
        .sum();
    assert_eq!(towns, 1_031);
    let villages: usize = atlas
        .areas()
        .iter()
        .filter(|a| a.level() == AreaLevel::Town)
        .map(|t| atlas.children(t.code).count())
        .sum();
    assert_eq!(villages, 11_270);
    let yuzhong = code("500103");
    assert!(
        atlas
            .children(yuzhong)
            .all(|t| t.code.parent() == Some(yuzhong))
    );
    assert_eq!(atlas.subtree(code("50")).len(), atlas.areas().len());
    assert_eq!(atlas.subtree(code("500101001001")).len(), 1);
    assert_eq!(atlas.children(code("500101001001")).count(), 0);
    assert_eq!(atlas.children(code("509999")).count(), 0);
    assert!(atlas.subtree(code("509999")).is_empty());
    assert!(atlas.get(code("11")).is_none());
}

#[test]
fn builds_are_deterministic() {
    let again = Atlas::chongqing().expect("the embedded data builds");
    assert_eq!(again.areas(), atlas().areas());
    assert_eq!(again.boundaries(), atlas().boundaries());
    // Pinned so that a change of platform, dependency or algorithm that moves any point is
    // noticed; update it deliberately, never to make a failure go away.
    assert_eq!(format!("{:016x}", fingerprint(atlas())), "906a790b81d9afa0");
}

/// FNV-1a over every code and the bits of every point.
fn fingerprint(atlas: &Atlas) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325_u64;
    for a in atlas.areas() {
        let words = [
            a.code.padded().unsigned_abs(),
            a.point.lon.to_bits(),
            a.point.lat.to_bits(),
        ];
        for byte in words.iter().flat_map(|w| w.to_le_bytes()) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

#[test]
fn boundary_files_are_checked_and_named() {
    let good = r#"{"type":"Feature","properties":{"adcode":"500103"},"geometry":{"type":"Polygon","coordinates":[[[106.5,29.5],[106.6,29.5],[106.6,29.6],[106.5,29.5]]]}}"#;
    let bad = r#"{"type":"Feature","properties":{"adcode":"500104"},"geometry":{"type":"Polygon","coordinates":[[[106.5,29.5],[106.6,29.5]]]}}"#;
    let text = format!(r#"{{"type":"FeatureCollection","features":[{good},{bad}]}}"#);
    let err = parse_boundary_file(&text).expect_err("a two-position ring is rejected");
    assert!(matches!(
        err,
        AtlasError::GeoJson {
            feature: Some(1),
            ..
        }
    ));
    assert_eq!(
        err.to_string(),
        "boundary file: feature 1: field `geometry.coordinates[0]`: has 2 positions; a ring needs at least 4"
    );

    let text = format!(r#"{{"type":"FeatureCollection","features":[{good}]}}"#);
    let parsed = parse_boundary_file(&text).expect("a valid file");
    assert_eq!(parsed.len(), 1);
    assert_eq!(parsed[0].0, code("500103"));
}

#[test]
fn a_deployment_can_publish_its_own_boundaries() {
    let mut atlas = atlas().clone();
    let feature = |c: &str| {
        format!(
            r#"{{"type":"Feature","properties":{{"code":"{c}"}},"geometry":{{"type":"Polygon","coordinates":[[[106.5,29.5],[106.6,29.5],[106.6,29.6],[106.5,29.5]]]}}}}"#
        )
    };
    let text = format!(
        r#"{{"type":"FeatureCollection","features":[{},{}]}}"#,
        feature("500103"),
        feature("500000")
    );
    atlas.replace_boundaries(&text).expect("a valid file");
    let codes: Vec<String> = atlas
        .boundaries()
        .iter()
        .map(|(c, _)| c.to_string())
        .collect();
    assert_eq!(codes, ["50", "500103"]);
    let published: Value =
        serde_json::from_str(atlas.boundary(code("500103")).expect("replaced")).expect("JSON");
    assert_eq!(published["properties"]["name_en"], "Yuzhong District");

    let unknown = format!(
        r#"{{"type":"FeatureCollection","features":[{},{}]}}"#,
        feature("500103"),
        feature("110101")
    );
    let err = atlas
        .replace_boundaries(&unknown)
        .expect_err("Beijing is not in the atlas");
    assert_eq!(
        err.to_string(),
        "boundary file: feature 1: field `properties.adcode`: code 110101 is not an area of the atlas"
    );
    // A failed replacement leaves the published boundaries as they were.
    assert_eq!(atlas.boundaries().len(), 2);
}
