//! Boundary import: a GeoJSON FeatureCollection (RFC 7946) of one level's regions → validated
//! WGS-84 [`RegionShape`]s, all or nothing.
//!
//! Every feature is checked on its own (properties, code, parent, geometry) and then, for
//! 单元网格, against the others: a grid must lie within its 村/居 and must not overlap its
//! siblings. All problems are collected (up to [`MAX_ERRORS`]) so a file can be fixed in one go.

use crate::geometry::{self, ShapeError};
use crate::{CoordSys, RegionShape};
use chengyun_domain::region::{RegionLevel, level_of_code};
use geo::{BooleanOps, BoundingRect, MultiPolygon, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::fmt;

/// Errors beyond this many are summarised in one last entry.
pub const MAX_ERRORS: usize = 100;

/// How to read a file.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportSpec {
    /// Every feature in the file is a region of this level.
    pub level: RegionLevel,
    /// Feature property holding the region code, e.g. `adcode`.
    pub code_property: String,
    /// Feature property holding the region name.
    pub name_property: String,
    /// Parent of every feature; when `None`, each keeps its current parent or, if new, the one
    /// its code implies.
    pub parent: Option<String>,
    /// Coordinate system of the file's coordinates.
    pub crs: CoordSys,
    pub tolerance: Tolerance,
}

/// How much digitising slack the 单元网格 checks allow.
///
/// Grids are drawn by the town on a base map, while 村/居 outlines come from elsewhere, so
/// shared borders never match exactly. A border digitised 1 m off along one side of a
/// 100 m × 100 m grid shifts 1 % of its area; a sliver that thin is slack, anything larger
/// is a grid drawn in the wrong place.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    /// Share of a grid's area that may lie outside its parent (default 1 %).
    pub outside_parent: f64,
    /// Share of the smaller grid's area two sibling grids may overlap (default 0.5 %: both
    /// sides of a shared border are drawn separately, each with about half the parent slack).
    pub sibling_overlap: f64,
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance {
            outside_parent: 0.01,
            sibling_overlap: 0.005,
        }
    }
}

/// A region already in the instance, as far as the import needs to know it.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownRegion {
    pub code: String,
    pub level: RegionLevel,
    pub parent: Option<String>,
    /// WGS-84; `None` when the region has no boundary yet.
    pub shape: Option<MultiPolygon<f64>>,
}

/// One problem in an import file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeatureError {
    /// 0-based index in `features`; `None` for problems with the file as a whole.
    pub feature: Option<usize>,
    /// Stable snake_case identifier (the [`ShapeError`] codes for geometry problems).
    pub code: &'static str,
    /// Chinese, naming the feature and the field.
    pub message: String,
}

/// Why a file was refused: every problem found, in feature order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportErrors(pub Vec<FeatureError>);

impl ImportErrors {
    /// `[{"feature": 2, "code": "ring_not_closed", "message": "…"}, …]` (`feature` is null for
    /// file-level problems).
    pub fn to_json(&self) -> Value {
        serde_json::to_value(&self.0).expect("feature errors serialise")
    }
}

impl fmt::Display for ImportErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}（{}）", e.message, e.code)?;
        }
        Ok(())
    }
}

impl std::error::Error for ImportErrors {}

/// Reads, checks and converts a boundary file. `known` is the instance's current hierarchy
/// (at least the parents and, for grids, the siblings). A code already in `known` is a
/// re-import: its name and shape are replaced.
pub fn parse_import(
    bytes: &[u8],
    spec: &ImportSpec,
    known: &[KnownRegion],
) -> Result<Vec<RegionShape>, ImportErrors> {
    let mut errors = Errors::default();
    let features = match read_features(bytes) {
        Ok(f) => f,
        Err(e) => return Err(ImportErrors(vec![e])),
    };
    let labels = Labels {
        single: features.single,
    };
    let known_by_code: HashMap<&str, &KnownRegion> =
        known.iter().map(|k| (k.code.as_str(), k)).collect();

    // Codes first, so parents and duplicates can be judged whatever the order.
    let mut first_with_code: HashMap<String, usize> = HashMap::new();
    let mut accepted = Vec::with_capacity(features.list.len());
    for (index, feature) in features.list.iter().enumerate() {
        if let Some(candidate) = check_feature(index, feature, spec, &labels, &mut errors) {
            if let Some(&first) = first_with_code.get(&candidate.code) {
                errors.push(
                    Some(index),
                    "duplicate_code",
                    format!(
                        "{}的代码“{}”与{}重复，同一文件中每个代码只能出现一次",
                        labels.feature(index, None),
                        candidate.code,
                        labels.feature(first, None)
                    ),
                );
                continue;
            }
            first_with_code.insert(candidate.code.clone(), index);
            accepted.push(candidate);
        }
    }
    for c in &mut accepted {
        c.parent_ok = check_parent(
            c,
            spec,
            &known_by_code,
            &first_with_code,
            &labels,
            &mut errors,
        );
    }
    if spec.level == RegionLevel::Grid && !errors.full() {
        check_grids(&accepted, spec, known, &known_by_code, &labels, &mut errors);
    }

    if !errors.list.is_empty() {
        return Err(errors.finish());
    }
    Ok(accepted
        .into_iter()
        .map(|c| RegionShape {
            code: c.code,
            name: c.name,
            level: spec.level,
            parent: c.parent,
            shape: c
                .shape
                .expect("accepted features without errors have a shape"),
            approximate: false,
        })
        .collect())
}

/// Collects errors up to [`MAX_ERRORS`].
#[derive(Default)]
struct Errors {
    list: Vec<FeatureError>,
    dropped: usize,
}

impl Errors {
    fn push(&mut self, feature: Option<usize>, code: &'static str, message: String) {
        if self.full() {
            self.dropped += 1;
        } else {
            self.list.push(FeatureError {
                feature,
                code,
                message,
            });
        }
    }

    fn shape(&mut self, feature: usize, label: String, e: &ShapeError) {
        self.push(
            Some(feature),
            e.code(),
            format!("{label}的几何（geometry）不合格：{e}"),
        );
    }

    fn full(&self) -> bool {
        self.list.len() >= MAX_ERRORS
    }

    /// File-level problems first, then by feature; each feature's problems in the order found.
    fn finish(mut self) -> ImportErrors {
        self.list.sort_by_key(|e| e.feature.map_or(0, |i| i + 1));
        if self.dropped > 0 {
            self.list.push(FeatureError {
                feature: None,
                code: "too_many_errors",
                message: format!(
                    "问题太多，只列出前{MAX_ERRORS}个，另有{}个未列出",
                    self.dropped
                ),
            });
        }
        ImportErrors(self.list)
    }
}

/// Names features in messages the way users can find them in the file.
struct Labels {
    /// The file is a single Feature rather than a collection.
    single: bool,
}

impl Labels {
    /// `第3个要素（features[2]）` or, with its code, `第3个要素（features[2]，代码310115137001）`.
    fn feature(&self, index: usize, code: Option<&str>) -> String {
        let place = if self.single {
            "要素".to_owned()
        } else {
            format!("第{}个要素（features[{index}]", index + 1)
        };
        let close = if self.single { "" } else { "）" };
        match (code, self.single) {
            (Some(code), true) => format!("要素（代码{code}）"),
            (Some(code), false) => format!("{place}，代码{code}{close}"),
            (None, _) => format!("{place}{close}"),
        }
    }
}

struct Features {
    list: Vec<Value>,
    single: bool,
}

fn read_features(bytes: &[u8]) -> Result<Features, FeatureError> {
    let file_error = |code, message| FeatureError {
        feature: None,
        code,
        message,
    };
    // Windows editors like to start UTF-8 files with a byte-order mark.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let root: Value = serde_json::from_slice(bytes)
        .map_err(|e| file_error("invalid_json", json_error_message(&e)))?;
    let Value::Object(mut root) = root else {
        return Err(file_error(
            "not_feature_collection",
            "文件顶层不是 JSON 对象，应为 GeoJSON FeatureCollection".into(),
        ));
    };
    match root.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => match root.remove("features") {
            Some(Value::Array(list)) if !list.is_empty() => Ok(Features {
                list,
                single: false,
            }),
            Some(Value::Array(_)) => Err(file_error(
                "no_features",
                "FeatureCollection 的 features 是空数组，没有可导入的区划".into(),
            )),
            _ => Err(file_error(
                "not_feature_collection",
                "FeatureCollection 缺少 features 数组".into(),
            )),
        },
        Some("Feature") => Ok(Features {
            list: vec![Value::Object(root)],
            single: true,
        }),
        Some(other) => Err(file_error(
            "not_feature_collection",
            format!("文件顶层的类型（type）是“{other}”，应为 FeatureCollection（或单个 Feature）"),
        )),
        None => Err(file_error(
            "not_feature_collection",
            "文件顶层对象缺少类型（type），应为 FeatureCollection".into(),
        )),
    }
}

fn json_error_message(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    // serde_json's own text ends with " at line L column C", which is said in Chinese instead.
    let detail = e.to_string();
    let detail = detail.split(" at line ").next().unwrap_or_default();
    match e.classify() {
        Category::Eof => format!(
            "文件不是有效的 JSON：在第{}行第{}列意外结束（{detail}）",
            e.line(),
            e.column()
        ),
        _ => format!(
            "文件不是有效的 JSON：第{}行第{}列有语法错误（{detail}）",
            e.line(),
            e.column()
        ),
    }
}

/// A feature that passed its own checks (its shape may still be missing after a geometry
/// error, so that its code still counts for duplicates and siblings).
struct Candidate {
    index: usize,
    code: String,
    name: String,
    parent: Option<String>,
    /// The parent exists and fits.
    parent_ok: bool,
    /// WGS-84, validated.
    shape: Option<MultiPolygon<f64>>,
}

/// Properties and geometry of one feature; `None` when its code is unusable.
fn check_feature(
    index: usize,
    feature: &Value,
    spec: &ImportSpec,
    labels: &Labels,
    errors: &mut Errors,
) -> Option<Candidate> {
    let label = labels.feature(index, None);
    let Some(object) = feature
        .as_object()
        .filter(|o| o.get("type").and_then(Value::as_str) == Some("Feature"))
    else {
        errors.push(
            Some(index),
            "not_a_feature",
            format!("{label}不是 GeoJSON Feature（应为 {{\"type\": \"Feature\", …}}）"),
        );
        return None;
    };
    let properties = object.get("properties").and_then(Value::as_object);
    let property = |name: &str| {
        properties
            .and_then(|p| p.get(name))
            .filter(|v| !v.is_null())
    };

    let code = match property(&spec.code_property) {
        None => {
            errors.push(
                Some(index),
                "missing_code",
                format!(
                    "{label}缺少代码属性“{}”（properties.{0}）",
                    spec.code_property
                ),
            );
            None
        }
        Some(Value::String(s)) if s.trim().is_empty() => {
            errors.push(
                Some(index),
                "missing_code",
                format!("{label}的代码属性“{}”为空", spec.code_property),
            );
            None
        }
        Some(Value::String(s)) => Some(s.trim().to_owned()),
        // Some tools write adcodes as numbers.
        Some(Value::Number(n)) if n.is_u64() => Some(n.to_string()),
        Some(other) => {
            errors.push(
                Some(index),
                "missing_code",
                format!(
                    "{label}的代码属性“{}”应为文本或整数，实际是{other}",
                    spec.code_property
                ),
            );
            None
        }
    };
    let name = match property(&spec.name_property) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Some(Value::String(_)) => {
            errors.push(
                Some(index),
                "missing_name",
                format!("{label}的名称属性“{}”为空", spec.name_property),
            );
            None
        }
        None => {
            errors.push(
                Some(index),
                "missing_name",
                format!(
                    "{label}缺少名称属性“{}”（properties.{0}）",
                    spec.name_property
                ),
            );
            None
        }
        Some(other) => {
            errors.push(
                Some(index),
                "missing_name",
                format!(
                    "{label}的名称属性“{}”应为文本，实际是{other}",
                    spec.name_property
                ),
            );
            None
        }
    };
    let code = code.filter(|code| {
        let fits = level_of_code(code) == Some(spec.level);
        if !fits {
            errors.push(
                Some(index),
                "bad_code",
                format!(
                    "{label}的代码“{code}”（属性“{}”）不是{}代码：应为{}",
                    spec.code_property,
                    spec.level.label(),
                    code_format(spec.level)
                ),
            );
        }
        fits
    });
    let label = labels.feature(index, code.as_deref());
    let shape = check_geometry(index, object.get("geometry"), spec, &label, errors);
    Some(Candidate {
        index,
        code: code?,
        name: name.unwrap_or_default(),
        parent: None,
        parent_ok: false,
        shape,
    })
}

fn code_format(level: RegionLevel) -> &'static str {
    match level {
        RegionLevel::City => "6位数字且以0000结尾（如310000）",
        RegionLevel::District => "6位数字（如310115）",
        RegionLevel::Town => "9位数字（如310115137）",
        RegionLevel::Area => "所属街镇的9位代码加P和2位序号（如310115137P01）",
        RegionLevel::Village => "12位数字（如310115137001）",
        RegionLevel::Grid => "15位数字，即所属村/居的12位代码加3位序号（如310115137001001）",
    }
}

fn check_geometry(
    index: usize,
    geometry: Option<&Value>,
    spec: &ImportSpec,
    label: &str,
    errors: &mut Errors,
) -> Option<MultiPolygon<f64>> {
    let Some(geometry) = geometry.filter(|g| !g.is_null()) else {
        errors.push(
            Some(index),
            "missing_geometry",
            format!("{label}没有几何（geometry 为空）"),
        );
        return None;
    };
    let parsed = match geojson::Geometry::deserialize(geometry) {
        Ok(g) => g,
        Err(e) => {
            errors.push(
                Some(index),
                "invalid_geometry",
                format!("{label}的几何（geometry）无法读取：{e}"),
            );
            return None;
        }
    };
    let result = geometry::shape_from_geojson(&parsed).and_then(|raw| {
        // Checked as given first, so errors quote the file's own coordinates; then again after
        // conversion, which moves every point a little.
        geometry::validate(&raw)?;
        let shape = geometry::transform(&raw, spec.crs);
        if shape != raw {
            geometry::validate(&shape)?;
        }
        Ok(shape)
    });
    result
        .map_err(|e| errors.shape(index, label.to_owned(), &e))
        .ok()
}

/// The parent a new region of `level` hangs under, by its code.
fn parent_by_code(code: &str, level: RegionLevel) -> Option<String> {
    match level {
        RegionLevel::City => None,
        RegionLevel::District => Some(format!("{}0000", &code[..2])),
        RegionLevel::Town => Some(code[..6].to_owned()),
        RegionLevel::Area | RegionLevel::Village => Some(code[..9].to_owned()),
        RegionLevel::Grid => Some(code[..12].to_owned()),
    }
}

/// Whether a child's code belongs under its parent's (the rule `RegionTree` enforces).
fn code_fits_parent(code: &str, level: RegionLevel, parent: &str) -> bool {
    match level {
        RegionLevel::City => false,
        RegionLevel::District => parent.get(..2) == code.get(..2),
        // under the town itself or under one of its 片区
        RegionLevel::Village => parent.get(..9) == code.get(..9),
        RegionLevel::Town | RegionLevel::Area | RegionLevel::Grid => code.starts_with(parent),
    }
}

/// Resolves and checks a candidate's parent; records it on the candidate.
fn check_parent(
    c: &mut Candidate,
    spec: &ImportSpec,
    known: &HashMap<&str, &KnownRegion>,
    in_file: &HashMap<String, usize>,
    labels: &Labels,
    errors: &mut Errors,
) -> bool {
    let label = labels.feature(c.index, Some(&c.code));
    let existing = known.get(c.code.as_str()).and_then(|k| k.parent.clone());
    let (parent, source) = if let Some(p) = &spec.parent {
        (Some(p.clone()), "导入时指定的上级")
    } else if let Some(p) = existing {
        (Some(p), "该区划现有的上级")
    } else {
        (parent_by_code(&c.code, spec.level), "由代码推得的上级")
    };
    c.parent = parent.clone();
    let allowed = spec.level.parent_levels();
    let Some(parent) = parent else {
        // Only a 市 has none, and it needs none.
        return allowed.is_empty();
    };
    if allowed.is_empty() {
        errors.push(
            Some(c.index),
            "bad_parent_level",
            format!("{label}是市级区划，不能有上级，却指定了“{parent}”"),
        );
        return false;
    }
    let parent_level = match known.get(parent.as_str()) {
        Some(k) => k.level,
        None if in_file.contains_key(&parent) => spec.level,
        None => {
            errors.push(
                Some(c.index),
                "unknown_parent",
                format!(
                    "{label}的上级“{parent}”（{source}）不存在：既不在已有区划中，也不在本文件中"
                ),
            );
            return false;
        }
    };
    if !allowed.contains(&parent_level) {
        let expected: Vec<&str> = allowed.iter().map(|l| l.label()).collect();
        errors.push(
            Some(c.index),
            "bad_parent_level",
            format!(
                "{label}的上级“{parent}”（{source}）是{}，{}只能隶属于{}",
                parent_level.label(),
                spec.level.label(),
                expected.join("或")
            ),
        );
        return false;
    }
    if !code_fits_parent(&c.code, spec.level, &parent) {
        errors.push(
            Some(c.index),
            "code_parent_mismatch",
            format!("{label}的代码与上级“{parent}”（{source}）的代码不一致"),
        );
        return false;
    }
    true
}

// ---------------------------------------------------------------------------------------------
// 单元网格: within the parent, not overlapping siblings

/// A grid taking part in the cross checks: one from the file or a known sibling it does not
/// replace.
struct Cell<'a> {
    code: &'a str,
    parent: &'a str,
    shape: &'a MultiPolygon<f64>,
    bbox: Rect<f64>,
    area: f64,
    /// Index of the feature, `None` for a known grid.
    feature: Option<usize>,
}

impl<'a> Cell<'a> {
    fn new(
        code: &'a str,
        parent: &'a str,
        shape: &'a MultiPolygon<f64>,
        feature: Option<usize>,
    ) -> Option<Self> {
        let bbox = shape.bounding_rect()?;
        Some(Cell {
            code,
            parent,
            shape,
            bbox,
            area: geometry::area_m2(shape),
            feature,
        })
    }
}

/// A grid's bounding box in the R-tree, with its index in the cell list.
type Boxed = GeomWithData<Rectangle<[f64; 2]>, usize>;

fn check_grids(
    accepted: &[Candidate],
    spec: &ImportSpec,
    known: &[KnownRegion],
    known_by_code: &HashMap<&str, &KnownRegion>,
    labels: &Labels,
    errors: &mut Errors,
) {
    let mut cells: Vec<Cell> = accepted
        .iter()
        .filter(|c| c.parent_ok)
        .filter_map(|c| {
            Cell::new(
                &c.code,
                c.parent.as_deref()?,
                c.shape.as_ref()?,
                Some(c.index),
            )
        })
        .collect();
    let in_file: HashSet<&str> = accepted.iter().map(|c| c.code.as_str()).collect();
    let parents: HashSet<&str> = cells.iter().map(|c| c.parent).collect();
    cells.extend(known.iter().filter_map(|k| {
        let parent = k.parent.as_deref()?;
        let sibling = k.level == RegionLevel::Grid
            && parents.contains(parent)
            && !in_file.contains(k.code.as_str());
        if sibling {
            Cell::new(&k.code, parent, k.shape.as_ref()?, None)
        } else {
            None
        }
    }));

    for c in cells.iter().filter(|c| c.feature.is_some()) {
        if let Some(parent_shape) = known_by_code.get(c.parent).and_then(|k| k.shape.as_ref()) {
            check_within_parent(
                c,
                parent_shape,
                spec.tolerance.outside_parent,
                labels,
                errors,
            );
        }
    }

    let corners = |r: &Rect<f64>| ([r.min().x, r.min().y], [r.max().x, r.max().y]);
    let tree: RTree<Boxed> = RTree::bulk_load(
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let (min, max) = corners(&c.bbox);
                Boxed::new(Rectangle::from_corners(min, max), i)
            })
            .collect(),
    );
    for (i, a) in cells.iter().enumerate() {
        if a.feature.is_none() {
            continue;
        }
        let (min, max) = corners(&a.bbox);
        let mut siblings: Vec<usize> = tree
            .locate_in_envelope_intersecting(AABB::from_corners(min, max))
            .map(|b| b.data)
            .filter(|&j| {
                let b = &cells[j];
                // each pair of file grids once (on the later one); pairs with known grids here
                let unseen = b.feature.is_none() || j < i;
                // boxes that merely touch (neighbours in a regular lattice) share no area
                unseen && b.parent == a.parent && boxes_share_area(&a.bbox, &b.bbox)
            })
            .collect();
        siblings.sort_unstable();
        for j in siblings {
            if errors.full() {
                return;
            }
            check_sibling_overlap(a, &cells[j], spec.tolerance.sibling_overlap, labels, errors);
        }
    }
}

fn check_sibling_overlap(a: &Cell, b: &Cell, tolerance: f64, labels: &Labels, errors: &mut Errors) {
    let smaller = a.area.min(b.area);
    if smaller <= 0.0 {
        return;
    }
    let overlap = geometry::area_m2(&a.shape.intersection(b.shape));
    if overlap / smaller <= tolerance {
        return;
    }
    let feature = a
        .feature
        .expect("overlaps are reported on a grid from the file");
    let other = match b.feature {
        Some(f) => labels.feature(f, Some(b.code)),
        None => format!("已有单元网格“{}”", b.code),
    };
    errors.push(
        Some(feature),
        "sibling_overlap",
        format!(
            "{}与{other}重叠{:.0}㎡，占较小网格面积的{}，超过允许的{}",
            labels.feature(feature, Some(a.code)),
            overlap,
            percent(overlap / smaller),
            percent(tolerance)
        ),
    );
}

fn check_within_parent(
    c: &Cell,
    parent: &MultiPolygon<f64>,
    tolerance: f64,
    labels: &Labels,
    errors: &mut Errors,
) {
    let outside = outside_area(c.shape, parent);
    if c.area > 0.0 && outside / c.area > tolerance {
        let feature = c
            .feature
            .expect("only file grids are checked against their parent");
        errors.push(
            Some(feature),
            "outside_parent",
            format!(
                "{}有{:.0}㎡（占网格面积的{}）在上级“{}”的边界之外，超过允许的{}",
                labels.feature(feature, Some(c.code)),
                outside,
                percent(outside / c.area),
                c.parent,
                percent(tolerance)
            ),
        );
    }
}

/// Area of `shape` outside `parent`, in ㎡. Only the piece of the parent within the shape's
/// bounding box matters, and clipping it first keeps the overlay small even when the parent
/// has thousands of vertices.
fn outside_area(shape: &MultiPolygon<f64>, parent: &MultiPolygon<f64>) -> f64 {
    let Some(bbox) = shape.bounding_rect() else {
        return 0.0;
    };
    let local = geometry::clip_to_rect(parent, &bbox);
    if local.0.is_empty() {
        return geometry::area_m2(shape);
    }
    geometry::area_m2(&shape.difference(&local))
}

fn boxes_share_area(a: &Rect<f64>, b: &Rect<f64>) -> bool {
    a.min().x < b.max().x && b.min().x < a.max().x && a.min().y < b.max().y && b.min().y < a.max().y
}

/// `0.5%`, with as many decimals as a small share needs.
fn percent(share: f64) -> String {
    let p = share * 100.0;
    if p >= 10.0 {
        format!("{p:.0}%")
    } else if p >= 1.0 {
        format!("{p:.1}%")
    } else {
        format!("{p:.2}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Coord, LineString, Polygon};
    use serde_json::json;

    /// A rectangle in 航头镇's neighbourhood, as a GeoJSON Polygon.
    fn rect_geometry(x0: f64, y0: f64, x1: f64, y1: f64) -> Value {
        json!({"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]})
    }

    fn rect_shape(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
        let g: geojson::Geometry = serde_json::from_value(rect_geometry(x0, y0, x1, y1)).unwrap();
        geometry::shape_from_geojson(&g).unwrap()
    }

    fn feature(code: &str, name: &str, geometry: Value) -> Value {
        json!({"type": "Feature", "properties": {"code": code, "name": name}, "geometry": geometry})
    }

    fn collection(features: Vec<Value>) -> Vec<u8> {
        serde_json::to_vec(&json!({"type": "FeatureCollection", "features": features})).unwrap()
    }

    fn spec(level: RegionLevel) -> ImportSpec {
        ImportSpec {
            level,
            code_property: "code".into(),
            name_property: "name".into(),
            parent: None,
            crs: CoordSys::Wgs84,
            tolerance: Tolerance::default(),
        }
    }

    fn known(
        code: &str,
        level: RegionLevel,
        parent: Option<&str>,
        shape: Option<MultiPolygon<f64>>,
    ) -> KnownRegion {
        KnownRegion {
            code: code.into(),
            level,
            parent: parent.map(Into::into),
            shape,
        }
    }

    /// 航头镇 with two villages, the first 1 km × 1 km with one existing grid in its south-west.
    fn town() -> Vec<KnownRegion> {
        vec![
            known("310115", RegionLevel::District, Some("310000"), None),
            known("310115137", RegionLevel::Town, Some("310115"), None),
            known("310115137P01", RegionLevel::Area, Some("310115137"), None),
            known(
                "310115137001",
                RegionLevel::Village,
                Some("310115137"),
                Some(rect_shape(121.60, 31.05, 121.61, 31.06)),
            ),
            known(
                "310115137002",
                RegionLevel::Village,
                Some("310115137P01"),
                None,
            ),
            known(
                "310115137001001",
                RegionLevel::Grid,
                Some("310115137001"),
                Some(rect_shape(121.60, 31.05, 121.605, 31.055)),
            ),
        ]
    }

    fn codes(e: &ImportErrors) -> Vec<(Option<usize>, &'static str)> {
        e.0.iter().map(|e| (e.feature, e.code)).collect()
    }

    #[test]
    fn grids_tiling_their_village_import_and_replace_the_old_ones() {
        let bytes = collection(vec![
            feature(
                "310115137001001",
                "一号网格",
                rect_geometry(121.60, 31.05, 121.605, 31.06),
            ),
            feature(
                "310115137001002",
                "二号网格",
                rect_geometry(121.605, 31.05, 121.61, 31.06),
            ),
        ]);
        let shapes = parse_import(&bytes, &spec(RegionLevel::Grid), &town()).unwrap();
        assert_eq!(shapes.len(), 2);
        assert_eq!(shapes[0].code, "310115137001001");
        assert_eq!(shapes[0].name, "一号网格");
        assert_eq!(shapes[0].parent.as_deref(), Some("310115137001"));
        assert!(!shapes[0].approximate);
    }

    #[test]
    fn a_known_sibling_that_stays_counts_for_overlaps() {
        let bytes = collection(vec![feature(
            "310115137001002",
            "二号网格",
            rect_geometry(121.60, 31.05, 121.61, 31.06),
        )]);
        let e = parse_import(&bytes, &spec(RegionLevel::Grid), &town()).unwrap_err();
        assert_eq!(codes(&e), [(Some(0), "sibling_overlap")]);
        assert!(
            e.0[0].message.contains("已有单元网格“310115137001001”"),
            "{}",
            e.0[0].message
        );
        // 0.005° × 0.005° of a 0.005° × 0.005° grid: all of the smaller one
        assert!(e.0[0].message.contains("100%"), "{}", e.0[0].message);
    }

    #[test]
    fn small_digitising_slack_is_tolerated() {
        // 0.5 % of the grid outside the village, 0.25 % of its neighbour overlapped
        let bytes = collection(vec![
            feature(
                "310115137001001",
                "一号网格",
                rect_geometry(121.599975, 31.05, 121.6050125, 31.06),
            ),
            feature(
                "310115137001002",
                "二号网格",
                rect_geometry(121.605, 31.05, 121.61, 31.06),
            ),
        ]);
        parse_import(&bytes, &spec(RegionLevel::Grid), &town()).unwrap();
        let mut strict = spec(RegionLevel::Grid);
        strict.tolerance = Tolerance {
            outside_parent: 0.001,
            sibling_overlap: 0.001,
        };
        let e = parse_import(&bytes, &strict, &town()).unwrap_err();
        assert_eq!(
            codes(&e),
            [(Some(0), "outside_parent"), (Some(1), "sibling_overlap")]
        );
        assert!(
            e.0[0].message.contains("在上级“310115137001”的边界之外"),
            "{}",
            e.0[0].message
        );
    }

    #[test]
    fn parents_come_from_the_spec_the_known_region_or_the_code() {
        let village = |code: &str| {
            collection(vec![feature(
                code,
                "村",
                rect_geometry(121.60, 31.05, 121.61, 31.06),
            )])
        };
        // new village: its town, by code
        let shapes = parse_import(
            &village("310115137003"),
            &spec(RegionLevel::Village),
            &town(),
        )
        .unwrap();
        assert_eq!(shapes[0].parent.as_deref(), Some("310115137"));
        // re-imported village: keeps its 片区
        let shapes = parse_import(
            &village("310115137002"),
            &spec(RegionLevel::Village),
            &town(),
        )
        .unwrap();
        assert_eq!(shapes[0].parent.as_deref(), Some("310115137P01"));
        // given explicitly
        let mut under_area = spec(RegionLevel::Village);
        under_area.parent = Some("310115137P01".into());
        let shapes = parse_import(&village("310115137003"), &under_area, &town()).unwrap();
        assert_eq!(shapes[0].parent.as_deref(), Some("310115137P01"));

        let mut wrong = spec(RegionLevel::Village);
        wrong.parent = Some("310115".into());
        let e = parse_import(&village("310115137003"), &wrong, &town()).unwrap_err();
        assert_eq!(codes(&e), [(Some(0), "bad_parent_level")]);
        assert!(
            e.0[0].message.contains("村/居只能隶属于街镇或社区/片区"),
            "{}",
            e.0[0].message
        );

        let mut elsewhere = spec(RegionLevel::Village);
        elsewhere.parent = Some("310115137".into());
        let e = parse_import(&village("310115138003"), &elsewhere, &town()).unwrap_err();
        assert_eq!(codes(&e), [(Some(0), "code_parent_mismatch")]);

        let e = parse_import(
            &village("310115199003"),
            &spec(RegionLevel::Village),
            &town(),
        )
        .unwrap_err();
        assert_eq!(codes(&e), [(Some(0), "unknown_parent")]);
        assert!(
            e.0[0]
                .message
                .contains("上级“310115199”（由代码推得的上级）不存在"),
            "{}",
            e.0[0].message
        );
    }

    #[test]
    fn every_problem_is_listed_up_to_the_cap() {
        let bytes = collection(
            (0..150).map(|i| json!({"type": "Feature", "properties": {"name": format!("网格{i}")}, "geometry": null})).collect(),
        );
        let e = parse_import(&bytes, &spec(RegionLevel::Grid), &town()).unwrap_err();
        assert_eq!(e.0.len(), MAX_ERRORS + 1);
        assert_eq!(e.0[0].feature, Some(0));
        assert_eq!(
            e.0[1].feature,
            Some(0),
            "missing code and missing geometry, both"
        );
        let last = e.0.last().unwrap();
        assert_eq!((last.feature, last.code), (None, "too_many_errors"));
        assert!(last.message.contains("另有200个未列出"), "{}", last.message);
    }

    #[test]
    fn errors_as_json_and_text() {
        let bytes = collection(vec![
            feature(
                "310115137001003",
                "三号网格",
                rect_geometry(121.606, 31.056, 121.609, 31.059),
            ),
            json!({"type": "Feature", "properties": {"code": "310115137001004", "name": " "},
                   "geometry": rect_geometry(121.606, 31.051, 121.609, 31.054)}),
        ]);
        let e = parse_import(&bytes, &spec(RegionLevel::Grid), &town()).unwrap_err();
        let message = "第2个要素（features[1]）的名称属性“name”为空";
        assert_eq!(
            e.to_json(),
            json!([{"feature": 1, "code": "missing_name", "message": message}])
        );
        assert_eq!(e.to_string(), format!("{message}（missing_name）"));
    }

    #[test]
    fn file_level_problems() {
        let e = parse_import(
            b"{\"type\": \"FeatureCollection\",\n \"features\": [}",
            &spec(RegionLevel::Grid),
            &town(),
        )
        .unwrap_err();
        assert_eq!(codes(&e), [(None, "invalid_json")]);
        assert!(e.0[0].message.contains("第2行第15列"), "{}", e.0[0].message);
        let e = parse_import(
            b"{\"type\": \"FeatureCollection\", \"features\": []}",
            &spec(RegionLevel::Grid),
            &town(),
        )
        .unwrap_err();
        assert_eq!(codes(&e), [(None, "no_features")]);
        let e = parse_import(b"[1, 2]", &spec(RegionLevel::Grid), &town()).unwrap_err();
        assert_eq!(codes(&e), [(None, "not_feature_collection")]);
    }

    #[test]
    fn a_single_feature_with_a_numeric_code_and_a_bom() {
        let f = json!({"type": "Feature", "properties": {"code": 310115137003_u64, "name": "新村"},
                       "geometry": rect_geometry(121.60, 31.05, 121.61, 31.06)});
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend(serde_json::to_vec(&f).unwrap());
        let shapes = parse_import(&bytes, &spec(RegionLevel::Village), &town()).unwrap();
        assert_eq!(shapes[0].code, "310115137003");
        let mut town_level = spec(RegionLevel::Town);
        town_level.code_property = "adcode".into();
        let e = parse_import(&bytes, &town_level, &town()).unwrap_err();
        assert_eq!(codes(&e), [(Some(0), "missing_code")]);
        assert_eq!(
            e.0[0].message,
            "要素缺少代码属性“adcode”（properties.adcode）"
        );
    }

    #[test]
    fn gcj02_files_are_stored_in_wgs84() {
        let mut gcj = spec(RegionLevel::Village);
        gcj.crs = CoordSys::Gcj02;
        let bytes = collection(vec![feature(
            "310115137003",
            "新村",
            rect_geometry(121.60, 31.05, 121.61, 31.06),
        )]);
        let shapes = parse_import(&bytes, &gcj, &town()).unwrap();
        let first = shapes[0].shape.0[0].exterior().0[0];
        let back = crate::coord::wgs84_to_gcj02(crate::coord::LonLat::new(first.x, first.y));
        assert!(
            (back.lon - 121.60).abs() < 1e-9 && (back.lat - 31.05).abs() < 1e-9,
            "{back:?}"
        );
    }

    /// Clipping the parent to the grid's box first gives the same answer as the full overlay.
    #[test]
    fn outside_area_matches_the_full_overlay() {
        // a concave village (a U) with a hole in one arm
        let u = LineString::from(vec![
            (121.60, 31.05),
            (121.63, 31.05),
            (121.63, 31.08),
            (121.62, 31.08),
            (121.62, 31.06),
            (121.61, 31.06),
            (121.61, 31.08),
            (121.60, 31.08),
            (121.60, 31.05),
        ]);
        let hole = LineString::from(vec![
            (121.602, 31.065),
            (121.606, 31.065),
            (121.606, 31.07),
            (121.602, 31.065),
        ]);
        let parent = MultiPolygon::new(vec![Polygon::new(u, vec![hole])]);
        geometry::validate(&parent).unwrap();
        let probes = [
            rect_shape(121.605, 31.055, 121.625, 31.075), // across the gap of the U
            rect_shape(121.601, 31.064, 121.607, 31.071), // around the hole
            rect_shape(121.590, 31.040, 121.640, 31.090), // around everything
            rect_shape(121.611, 31.062, 121.619, 31.079), // in the gap, wholly outside
            rect_shape(121.621, 31.051, 121.629, 31.059), // wholly inside
        ];
        for probe in probes {
            let full = geometry::area_m2(&probe.difference(&parent));
            let fast = outside_area(&probe, &parent);
            assert!(
                (full - fast).abs() < 1e-3 * full.max(1.0),
                "{full} vs {fast} for {probe:?}"
            );
        }
        let triangle = MultiPolygon::new(vec![Polygon::new(
            LineString::new(vec![
                Coord {
                    x: 121.60,
                    y: 31.05,
                },
                Coord {
                    x: 121.70,
                    y: 31.05,
                },
                Coord {
                    x: 121.60,
                    y: 31.15,
                },
            ]),
            vec![],
        )]);
        assert!(
            geometry::clip_to_rect(
                &triangle,
                &rect_shape(121.68, 31.13, 121.69, 31.14)
                    .bounding_rect()
                    .unwrap()
            )
            .0
            .is_empty()
        );
    }
}
