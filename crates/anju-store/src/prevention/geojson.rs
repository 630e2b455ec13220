//! GeoJSON in and out for risks and sites, CSV in for sites. An import is all or nothing:
//! every bad feature (or row) is reported by its index (or line), and nothing is stored
//! unless all are good. Repairs (closed rings, swapped coordinates) are reported too.

use anju_core::geometry::{GeometryIssue, Shape};
use anju_core::prevention::{Facility, RiskInput, SiteInput};
use anju_core::{Scope, ValidationError};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use super::RiskRefusal;
use crate::page::ListQuery;
use crate::{Result, Store};

/// One refused feature or row: its index in `features` (or its CSV line), the field or
/// geometry at fault and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeatureError {
    /// Index in `features`; for CSV, the line number (the header is line 1).
    pub feature: usize,
    pub field: String,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GeoImportReport {
    /// Records stored: all of them, or none when `errors` is not empty.
    pub imported: usize,
    pub repairs: Vec<GeometryIssue>,
    pub errors: Vec<FeatureError>,
}

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

fn field_errors(feature: usize, v: ValidationError) -> Vec<FeatureError> {
    v.errors
        .into_iter()
        .map(|e| FeatureError {
            feature,
            field: e.field,
            code: e.code.to_owned(),
            message: e.message,
        })
        .collect()
}

fn geometry_errors(issues: Vec<GeometryIssue>) -> Vec<FeatureError> {
    issues
        .into_iter()
        .map(|i| FeatureError {
            feature: i.feature,
            field: "geometry".into(),
            code: serde_json::to_value(i.problem)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            message: i.message,
        })
        .collect()
}

fn features(text: &str) -> std::result::Result<Vec<Value>, Vec<FeatureError>> {
    let refuse = |m: String| {
        vec![FeatureError {
            feature: 0,
            field: "".into(),
            code: "malformed".into(),
            message: m,
        }]
    };
    let v: Value = serde_json::from_str(text).map_err(|e| refuse(format!("not JSON: {e}")))?;
    match v["type"].as_str() {
        Some("FeatureCollection") => v["features"]
            .as_array()
            .cloned()
            .ok_or_else(|| refuse("a FeatureCollection needs features".into())),
        Some("Feature") => Ok(vec![v]),
        _ => Err(refuse("a GeoJSON FeatureCollection is expected".into())),
    }
}

fn facilities(v: &Value) -> std::result::Result<Vec<Facility>, String> {
    let names: Vec<String> = match v {
        Value::Array(a) => a.iter().map(s).collect(),
        Value::String(t) => t
            .split([',', '，', ';', '、', ' '])
            .filter(|x| !x.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => vec![],
    };
    names
        .iter()
        .map(|n| {
            Facility::parse(n.trim())
                .ok_or_else(|| format!("{n:?} is not a facility: one of {}", Facility::choices()))
        })
        .collect()
}

fn uuid_prop(v: &Value) -> Option<Uuid> {
    v.as_str().and_then(|s| Uuid::parse_str(s).ok())
}

impl Store {
    /// Imports risk points and zones from a GeoJSON FeatureCollection (properties
    /// `area`, `name`, `hazard`, `level`, optional `radius_m`, `note`, `id`).
    pub async fn import_risks_geojson(&self, scope: &Scope, text: &str) -> Result<GeoImportReport> {
        let feats = match features(text) {
            Ok(f) => f,
            Err(errors) => {
                return Ok(GeoImportReport {
                    imported: 0,
                    repairs: vec![],
                    errors,
                });
            }
        };
        let mut errors = Vec::new();
        let mut repairs = Vec::new();
        let mut good = Vec::new();
        for (i, f) in feats.iter().enumerate() {
            let p = &f["properties"];
            let input = RiskInput {
                id: uuid_prop(&p["id"]),
                area: s(&p["area"]),
                name: s(&p["name"]),
                hazard: s(&p["hazard"]),
                level: s(&p["level"]),
                geometry: f["geometry"].clone(),
                radius_m: p["radius_m"].as_i64(),
                monitor_officer_ids: vec![],
                note: s(&p["note"]),
            };
            match self.check_risk(scope, i, &input).await {
                Ok(Ok((risk, r))) => {
                    repairs.extend(r);
                    good.push((input.id.unwrap_or_else(Uuid::now_v7), risk));
                }
                Ok(Err(RiskRefusal::Fields(v))) => errors.extend(field_errors(i, v)),
                Ok(Err(RiskRefusal::Geometry(g))) => errors.extend(geometry_errors(g)),
                Err(crate::StoreError::Validation(v)) => errors.extend(field_errors(i, v)),
                Err(crate::StoreError::OutOfScope(a)) => errors.push(FeatureError {
                    feature: i,
                    field: "area".into(),
                    code: "out_of_scope".into(),
                    message: format!("the area {a} is outside your scope"),
                }),
                Err(e) => return Err(e),
            }
        }
        if !errors.is_empty() {
            return Ok(GeoImportReport {
                imported: 0,
                repairs,
                errors,
            });
        }
        self.insert_risks(scope, &good).await?;
        Ok(GeoImportReport {
            imported: good.len(),
            repairs,
            errors,
        })
    }

    /// Imports sites from a GeoJSON FeatureCollection of Points (properties `area`,
    /// `name`, `site_type`, `capacity`, optional `facilities`, `manager_name`,
    /// `manager_phone`, `address`, `status`, `id`).
    pub async fn import_sites_geojson(&self, scope: &Scope, text: &str) -> Result<GeoImportReport> {
        let feats = match features(text) {
            Ok(f) => f,
            Err(errors) => {
                return Ok(GeoImportReport {
                    imported: 0,
                    repairs: vec![],
                    errors,
                });
            }
        };
        let mut inputs = Vec::new();
        let mut errors = Vec::new();
        for (i, f) in feats.iter().enumerate() {
            let p = &f["properties"];
            let g = &f["geometry"];
            let coords = g["coordinates"].as_array();
            let (lon, lat) = match (g["type"].as_str(), coords) {
                (Some("Point"), Some(c)) if c.len() >= 2 => (
                    c[0].as_f64().unwrap_or(f64::NAN),
                    c[1].as_f64().unwrap_or(f64::NAN),
                ),
                _ => {
                    errors.push(FeatureError {
                        feature: i,
                        field: "geometry".into(),
                        code: "malformed".into(),
                        message: "a site is a Point [longitude, latitude]".into(),
                    });
                    continue;
                }
            };
            let fac = match facilities(&p["facilities"]) {
                Ok(f) => f,
                Err(m) => {
                    errors.push(FeatureError {
                        feature: i,
                        field: "facilities".into(),
                        code: "invalid_choice".into(),
                        message: m,
                    });
                    continue;
                }
            };
            inputs.push((
                i,
                SiteInput {
                    id: uuid_prop(&p["id"]),
                    area: s(&p["area"]),
                    name: s(&p["name"]),
                    site_type: s(&p["site_type"]),
                    lon,
                    lat,
                    capacity: p["capacity"].as_i64().unwrap_or(-1),
                    facilities: fac,
                    manager_name: s(&p["manager_name"]),
                    manager_phone: Some(s(&p["manager_phone"])),
                    address: s(&p["address"]),
                    status: Some(s(&p["status"])),
                },
            ));
        }
        self.finish_site_import(scope, inputs, errors).await
    }

    /// Imports sites from CSV (UTF-8) with English or Chinese headers: name/名称,
    /// area/区划代码, site_type/类型, lon/经度, lat/纬度, capacity/容量, facilities/设施,
    /// manager_name/负责人, manager_phone/负责人电话, address/地址, status/状态.
    pub async fn import_sites_csv(&self, scope: &Scope, text: &str) -> Result<GeoImportReport> {
        let mut rd = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let headers: Vec<String> = match rd.headers() {
            Ok(h) => h.iter().map(|h| h.trim().to_owned()).collect(),
            Err(e) => {
                return Ok(GeoImportReport {
                    imported: 0,
                    repairs: vec![],
                    errors: vec![FeatureError {
                        feature: 1,
                        field: "".into(),
                        code: "malformed".into(),
                        message: e.to_string(),
                    }],
                });
            }
        };
        let col = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
        let cols = [
            col(&["name", "名称"]),
            col(&["area", "区划代码"]),
            col(&["site_type", "类型"]),
            col(&["lon", "经度"]),
            col(&["lat", "纬度"]),
            col(&["capacity", "容量"]),
            col(&["facilities", "设施"]),
            col(&["manager_name", "负责人"]),
            col(&["manager_phone", "负责人电话"]),
            col(&["address", "地址"]),
            col(&["status", "状态"]),
            col(&["id", "ID"]),
        ];
        let mut errors = Vec::new();
        let mut inputs = Vec::new();
        for (n, rec) in rd.records().enumerate() {
            let line = n + 2;
            let rec = match rec {
                Ok(r) => r,
                Err(e) => {
                    errors.push(FeatureError {
                        feature: line,
                        field: "".into(),
                        code: "malformed".into(),
                        message: e.to_string(),
                    });
                    continue;
                }
            };
            let get = |i: usize| {
                cols[i]
                    .and_then(|c| rec.get(c))
                    .unwrap_or("")
                    .trim()
                    .to_owned()
            };
            let num = |i: usize| get(i).parse::<f64>().unwrap_or(f64::NAN);
            let fac = match facilities(&Value::String(get(6))) {
                Ok(f) => f,
                Err(m) => {
                    errors.push(FeatureError {
                        feature: line,
                        field: "facilities".into(),
                        code: "invalid_choice".into(),
                        message: m,
                    });
                    continue;
                }
            };
            inputs.push((
                line,
                SiteInput {
                    id: Uuid::parse_str(&get(11)).ok(),
                    area: get(1),
                    name: get(0),
                    site_type: get(2),
                    lon: num(3),
                    lat: num(4),
                    capacity: get(5).parse().unwrap_or(-1),
                    facilities: fac,
                    manager_name: get(7),
                    manager_phone: Some(get(8)),
                    address: get(9),
                    status: Some(get(10)),
                },
            ));
        }
        self.finish_site_import(scope, inputs, errors).await
    }

    async fn finish_site_import(
        &self,
        scope: &Scope,
        inputs: Vec<(usize, SiteInput)>,
        mut errors: Vec<FeatureError>,
    ) -> Result<GeoImportReport> {
        let mut repairs = Vec::new();
        let mut good = Vec::new();
        for (i, input) in inputs {
            let site = match input.validate() {
                Ok(s) => s,
                Err(v) => {
                    errors.extend(field_errors(i, v));
                    continue;
                }
            };
            match self.check_site(scope, i, site).await {
                Ok(Ok((site, r))) => {
                    repairs.extend(r);
                    good.push((input.id.unwrap_or_else(Uuid::now_v7), site));
                }
                Ok(Err(g)) => errors.extend(geometry_errors(g)),
                Err(crate::StoreError::Validation(v)) => errors.extend(field_errors(i, v)),
                Err(crate::StoreError::OutOfScope(a)) => errors.push(FeatureError {
                    feature: i,
                    field: "area".into(),
                    code: "out_of_scope".into(),
                    message: format!("the area {a} is outside your scope"),
                }),
                Err(e) => return Err(e),
            }
        }
        if !errors.is_empty() {
            return Ok(GeoImportReport {
                imported: 0,
                repairs,
                errors,
            });
        }
        self.insert_sites(scope, &good).await?;
        Ok(GeoImportReport {
            imported: good.len(),
            repairs,
            errors,
        })
    }

    /// Risks in the caller's scope (under `area`) as a FeatureCollection.
    pub async fn export_risks_geojson(
        &self,
        scope: &Scope,
        q: &super::PreventionQuery,
    ) -> Result<Value> {
        let mut out = Vec::new();
        let mut q = q.clone();
        q.list.limit = Some(500);
        loop {
            let page = self.list_risks(scope, &q).await?;
            for r in page.items {
                out.push(json!({"type": "Feature", "id": r.id, "geometry": r.geometry, "properties": {
                    "id": r.id, "area": r.area, "name": r.name, "hazard": r.hazard, "level": r.level,
                    "radius_m": r.radius_m, "note": r.note, "threatened_households": r.threatened_households}}));
            }
            match page.next_cursor {
                Some(c) => q.list.cursor = Some(c),
                None => break,
            }
        }
        Ok(json!({"type": "FeatureCollection", "features": out}))
    }

    /// Sites in the caller's scope (under `area`) as a FeatureCollection.
    pub async fn export_sites_geojson(&self, scope: &Scope, q: &ListQuery) -> Result<Value> {
        let mut out = Vec::new();
        let mut q = q.clone();
        q.limit = Some(500);
        loop {
            let page = self.list_sites(scope, &q).await?;
            for s in page.items {
                let shape = Shape::Point(s.point);
                out.push(json!({"type": "Feature", "id": s.id, "geometry": shape.to_geojson(), "properties": {
                    "id": s.id, "area": s.area, "name": s.name, "site_type": s.site_type, "capacity": s.capacity,
                    "facilities": s.facilities, "manager_name": s.manager_name, "manager_phone": s.manager_phone,
                    "address": s.address, "status": s.status}}));
            }
            match page.next_cursor {
                Some(c) => q.cursor = Some(c),
                None => break,
            }
        }
        Ok(json!({"type": "FeatureCollection", "features": out}))
    }
}
