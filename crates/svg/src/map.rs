//! Region maps: the children (or grids) of a region as SVG paths, coloured by a count.
//!
//! The map contract (docs/console.md): the root is
//! `<svg class="map" viewBox="0 0 W H" data-bbox="minLon,minLat,maxLon,maxLat">` and the
//! projection is linear — x = (lon−minLon)/(maxLon−minLon)·W, y = (maxLat−lat)/(maxLat−minLat)·H —
//! so a click on the picture can be turned back into WGS-84 lon/lat ([`Projection::unproject`]).
//! Each area is `<path data-code data-name>` with a `<title>`.

use geo::{BoundingRect, InteriorPoint, MultiPolygon, Rect};

use crate::scale::{Classes, SHADES};
use crate::text::{escape, truncate, width};
use crate::{empty_note, num, open_svg};

/// One region drawn on the map (WGS-84 outline).
#[derive(Debug, Clone)]
pub struct Area {
    pub code: String,
    pub name: String,
    pub shape: MultiPolygon<f64>,
    /// The count the area is coloured by (`None`: not shaded).
    pub value: Option<u64>,
}

/// What to draw.
#[derive(Debug, Clone)]
pub struct MapSpec {
    /// Accessible name and tooltip of the whole map, e.g. "航头镇 各村居未结案件".
    pub title: String,
    /// Width of the picture in user units; the height follows the region's shape.
    pub width: f64,
    pub areas: Vec<Area>,
    /// Colour areas by their value and draw a legend headed by this text (e.g. "未结案件").
    pub legend: Option<String>,
    /// A WGS-84 point (lon, lat) to mark.
    pub point: Option<(f64, f64)>,
    /// One region to outline (it may or may not be among the areas).
    pub highlight: Option<Area>,
    /// Draw the areas' names.
    pub labels: bool,
}

impl Default for MapSpec {
    fn default() -> Self {
        MapSpec { title: String::new(), width: 800.0, areas: vec![], legend: None, point: None, highlight: None, labels: true }
    }
}

/// The linear projection between WGS-84 degrees and the picture's user units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Projection {
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
    pub width: f64,
    pub height: f64,
}

impl Projection {
    /// A projection of `bbox` (padded by `pad` of its size on every side) whose height keeps
    /// ground distances in proportion (a degree of longitude is cos(lat) of a degree of latitude).
    pub fn fit(bbox: Rect<f64>, width: f64, pad: f64) -> Projection {
        let (min, max) = (bbox.min(), bbox.max());
        let mid_lat = (min.y + max.y) / 2.0;
        // a point or a line still gets a small square around it
        let lon_span = (max.x - min.x).max(1e-4);
        let lat_span = (max.y - min.y).max(1e-4);
        let (cx, cy) = ((min.x + max.x) / 2.0, (min.y + max.y) / 2.0);
        let lon_span = lon_span * (1.0 + 2.0 * pad);
        let lat_span = lat_span * (1.0 + 2.0 * pad);
        let k = mid_lat.to_radians().cos().max(0.1);
        let height = (width * lat_span / (lon_span * k)).clamp(width * 0.4, width * 1.6).round();
        Projection {
            min_lon: cx - lon_span / 2.0,
            max_lon: cx + lon_span / 2.0,
            min_lat: cy - lat_span / 2.0,
            max_lat: cy + lat_span / 2.0,
            width,
            height,
        }
    }

    pub fn project(&self, lon: f64, lat: f64) -> (f64, f64) {
        (
            (lon - self.min_lon) / (self.max_lon - self.min_lon) * self.width,
            (self.max_lat - lat) / (self.max_lat - self.min_lat) * self.height,
        )
    }

    pub fn unproject(&self, x: f64, y: f64) -> (f64, f64) {
        (
            self.min_lon + x / self.width * (self.max_lon - self.min_lon),
            self.max_lat - y / self.height * (self.max_lat - self.min_lat),
        )
    }

    /// The `data-bbox` attribute: "minLon,minLat,maxLon,maxLat".
    pub fn bbox_attr(&self) -> String {
        format!("{:.7},{:.7},{:.7},{:.7}", self.min_lon, self.min_lat, self.max_lon, self.max_lat)
    }
}

/// The SVG path data of a shape (rings closed with Z; holes drawn with the even-odd rule).
pub fn path_data(shape: &MultiPolygon<f64>, proj: &Projection) -> String {
    let mut d = String::new();
    for polygon in shape {
        for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
            let mut last: Option<(String, String)> = None;
            let mut n = 0;
            for c in ring.0.iter().take(ring.0.len().saturating_sub(1)) {
                let (x, y) = proj.project(c.x, c.y);
                let p = (num(x), num(y));
                if last.as_ref() == Some(&p) {
                    continue; // vertices closer than the picture's resolution
                }
                d.push_str(if n == 0 { "M" } else { "L" });
                d.push_str(&p.0);
                d.push(',');
                d.push_str(&p.1);
                last = Some(p);
                n += 1;
            }
            if n > 0 {
                d.push('Z');
            }
        }
    }
    d
}

fn union_bbox(rects: impl Iterator<Item = Rect<f64>>) -> Option<Rect<f64>> {
    rects.reduce(|a, b| {
        Rect::new(
            geo::coord! {x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y)},
            geo::coord! {x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y)},
        )
    })
}

/// Draws the map.
pub fn render(spec: &MapSpec) -> String {
    let rects = spec.areas.iter().chain(spec.highlight.as_ref()).filter_map(|a| a.shape.bounding_rect());
    let bbox = union_bbox(rects).or_else(|| {
        spec.point.map(|(lon, lat)| Rect::new(geo::coord! {x: lon - 0.01, y: lat - 0.01}, geo::coord! {x: lon + 0.01, y: lat + 0.01}))
    });
    let width = if spec.width > 0.0 { spec.width } else { 800.0 };
    let Some(bbox) = bbox else {
        // nothing to place: still a picture with the contract's attributes
        let proj = Projection { min_lon: 0.0, min_lat: 0.0, max_lon: 1.0, max_lat: 1.0, width, height: width * 0.6 };
        let mut out = String::new();
        open_svg(&mut out, "map", proj.width, proj.height, &spec.title, &format!(r#" data-bbox="{}""#, proj.bbox_attr()));
        empty_note(&mut out, proj.width, proj.height, "暂无区划边界");
        out.push_str("</svg>");
        return out;
    };
    let proj = Projection::fit(bbox, width, 0.04);
    let mut out = String::with_capacity(16 * 1024);
    open_svg(&mut out, "map", proj.width, proj.height, &spec.title, &format!(r#" data-bbox="{}""#, proj.bbox_attr()));

    let classes = spec.legend.as_ref().map(|_| Classes::for_max(spec.areas.iter().filter_map(|a| a.value).max().unwrap_or(0)));

    out.push_str(r##"<g class="areas" stroke="#ffffff" stroke-width="1.2" stroke-linejoin="round" fill-rule="evenodd">"##);
    for a in &spec.areas {
        let shade = match (&classes, a.value) {
            (Some(c), Some(v)) => c.class_of(v),
            _ => 0,
        };
        let tip = match a.value {
            Some(v) if spec.legend.is_some() => format!("{}：{} {}", a.name, spec.legend.as_deref().unwrap_or(""), v),
            _ => a.name.clone(),
        };
        let value_attr = a.value.map(|v| format!(r#" data-value="{v}""#)).unwrap_or_default();
        out.push_str(&format!(
            r#"<path class="area shade-{shade}" data-code="{code}" data-name="{name}"{value_attr} fill="{fill}" d="{d}"><title>{tip}</title></path>"#,
            code = escape(&a.code),
            name = escape(&a.name),
            fill = SHADES[shade],
            d = path_data(&a.shape, &proj),
            tip = escape(&tip),
        ));
    }
    out.push_str("</g>");

    if let Some(h) = &spec.highlight {
        out.push_str(&format!(
            r##"<path class="highlight" data-code="{}" data-name="{}" fill="none" stroke="#0b5cad" stroke-width="3.5" stroke-linejoin="round" pointer-events="none" d="{}"><title>{}</title></path>"##,
            escape(&h.code),
            escape(&h.name),
            path_data(&h.shape, &proj),
            escape(&h.name)
        ));
    }

    if spec.labels {
        out.push_str(r#"<g class="labels" text-anchor="middle" fill="currentColor" pointer-events="none">"#);
        for a in &spec.areas {
            label(&mut out, a, &proj, spec.legend.is_some());
        }
        out.push_str("</g>");
    }

    if let Some((lon, lat)) = spec.point {
        let (x, y) = proj.project(lon, lat);
        out.push_str(&format!(
            r##"<g class="marker" data-lon="{lon}" data-lat="{lat}" pointer-events="none"><title>位置 {lon:.6}, {lat:.6}</title><circle cx="{x}" cy="{y}" r="11" fill="#d63b3b" fill-opacity="0.25"/><circle cx="{x}" cy="{y}" r="5.5" fill="#d63b3b" stroke="#ffffff" stroke-width="2"/></g>"##,
            x = num(x),
            y = num(y)
        ));
    }

    if let (Some(title), Some(c)) = (&spec.legend, &classes) {
        legend(&mut out, title, c, &proj);
    }
    if spec.areas.is_empty() {
        empty_note(&mut out, proj.width, proj.height, "暂无区划边界");
    }
    out.push_str("</svg>");
    out
}

/// The area's name (and value) at a point inside it, sized to the area and cut to its width.
fn label(out: &mut String, a: &Area, proj: &Projection, with_value: bool) {
    let (Some(p), Some(r)) = (a.shape.interior_point(), a.shape.bounding_rect()) else { return };
    let (x0, y0) = proj.project(r.min().x, r.max().y);
    let (x1, y1) = proj.project(r.max().x, r.min().y);
    let (w, h) = (x1 - x0, y1 - y0);
    let size = (h / 4.0).clamp(10.0, 16.0);
    if h < size * 1.2 {
        return; // too small to carry text
    }
    let name = truncate(&a.name, w * 0.9, size);
    if name.is_empty() {
        return;
    }
    let (x, y) = proj.project(p.x(), p.y());
    let two_lines = with_value && a.value.is_some() && h >= size * 2.6;
    let y = if two_lines { y - size * 0.55 } else { y };
    out.push_str(&format!(
        r#"<text class="label" x="{x}" y="{y}" font-size="{s}" dominant-baseline="middle">{name}"#,
        x = num(x),
        y = num(y),
        s = num(size),
        name = escape(&name)
    ));
    if two_lines {
        let v = a.value.unwrap_or(0).to_string();
        if width(&v, size) <= w {
            out.push_str(&format!(r#"<tspan class="value" x="{}" dy="{}" font-weight="700">{v}</tspan>"#, num(x), num(size * 1.15)));
        }
    }
    out.push_str("</text>");
}

fn legend(out: &mut String, title: &str, classes: &Classes, proj: &Projection) {
    let rows = classes.legend();
    let size = 13.0;
    let row_h = size * 1.5;
    let text_w = rows.iter().map(|(_, l)| width(l, size)).fold(width(title, size), f64::max);
    let box_w = text_w + 34.0;
    let box_h = row_h * (rows.len() as f64 + 1.0) + 8.0;
    let x = proj.width - box_w - 6.0;
    let y = proj.height - box_h - 6.0;
    out.push_str(&format!(
        r##"<g class="legend" font-size="{s}" fill="currentColor"><rect class="legend-bg" x="{x}" y="{y}" width="{w}" height="{h}" rx="4" fill="#ffffff" fill-opacity="0.85"/><text x="{tx}" y="{ty}" dominant-baseline="middle" font-weight="700">{t}</text>"##,
        s = num(size),
        x = num(x),
        y = num(y),
        w = num(box_w),
        h = num(box_h),
        tx = num(x + 8.0),
        ty = num(y + 4.0 + row_h / 2.0),
        t = escape(title)
    ));
    for (i, (shade, label)) in rows.iter().enumerate() {
        let ry = y + 4.0 + row_h * (i as f64 + 1.0);
        out.push_str(&format!(
            r##"<rect class="shade-{shade}" x="{rx}" y="{ry}" width="16" height="{rh}" fill="{fill}" stroke="#8291a5" stroke-width="0.5"/><text x="{tx}" y="{ty}" dominant-baseline="middle">{l}</text>"##,
            rx = num(x + 8.0),
            ry = num(ry + 2.0),
            rh = num(row_h - 4.0),
            fill = SHADES[*shade],
            tx = num(x + 30.0),
            ty = num(ry + row_h / 2.0),
            l = escape(label)
        ));
    }
    out.push_str("</g>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{by_class, parse};
    use geo::polygon;

    fn square(lon: f64, lat: f64, side: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![polygon![
            (x: lon, y: lat), (x: lon + side, y: lat), (x: lon + side, y: lat + side), (x: lon, y: lat + side), (x: lon, y: lat)
        ]])
    }

    fn area(code: &str, name: &str, lon: f64, value: u64) -> Area {
        Area { code: code.into(), name: name.into(), shape: square(lon, 31.0, 0.02), value: Some(value) }
    }

    fn spec(areas: Vec<Area>) -> MapSpec {
        MapSpec { title: "航头镇 各村居未结案件".into(), areas, legend: Some("未结案件".into()), ..MapSpec::default() }
    }

    #[test]
    fn projection_round_trips() {
        let bbox = Rect::new(geo::coord! {x: 121.55, y: 31.0}, geo::coord! {x: 121.65, y: 31.08});
        let p = Projection::fit(bbox, 800.0, 0.04);
        for (lon, lat) in [(121.55, 31.0), (121.6, 31.04), (121.65, 31.08), (121.5999, 31.0123)] {
            let (x, y) = p.project(lon, lat);
            assert!((0.0..=p.width).contains(&x) && (0.0..=p.height).contains(&y));
            let (lon2, lat2) = p.unproject(x, y);
            assert!((lon - lon2).abs() < 1e-9 && (lat - lat2).abs() < 1e-9);
        }
        // corners of the bbox are the picture's corners
        assert_eq!(p.project(p.min_lon, p.max_lat), (0.0, 0.0));
        let (x, y) = p.project(p.max_lon, p.min_lat);
        assert!((x - p.width).abs() < 1e-9 && (y - p.height).abs() < 1e-9);
        // ground proportions: 0.1° lon × 0.08° lat at 31° N is about 9.5 km × 8.9 km
        assert!(p.height > 0.85 * p.width && p.height < 1.0 * p.width, "{p:?}");
    }

    #[test]
    fn contract_attributes_and_paths_match_the_projection() {
        let svg = render(&spec(vec![area("310115137201", "鹤东村", 121.6, 3), area("310115137202", "鹤丰村", 121.62, 0)]));
        let doc = parse(&svg);
        let root = doc.root_element();
        assert_eq!(root.attribute("class"), Some("map"));
        let bbox: Vec<f64> = root.attribute("data-bbox").unwrap().split(',').map(|v| v.parse().unwrap()).collect();
        let vb: Vec<f64> = root.attribute("viewBox").unwrap().split(' ').map(|v| v.parse().unwrap()).collect();
        assert_eq!(&vb[..2], &[0.0, 0.0]);
        let proj = Projection { min_lon: bbox[0], min_lat: bbox[1], max_lon: bbox[2], max_lat: bbox[3], width: vb[2], height: vb[3] };
        let paths = by_class(&doc, "area");
        assert_eq!(paths.len(), 2);
        let first = paths[0];
        assert_eq!(first.attribute("data-code"), Some("310115137201"));
        assert_eq!(first.attribute("data-name"), Some("鹤东村"));
        assert_eq!(first.attribute("data-value"), Some("3"));
        assert!(first.children().any(|c| c.tag_name().name() == "title" && c.text() == Some("鹤东村：未结案件 3")));
        // the path's first vertex, read back through data-bbox, is the square's corner
        let d = first.attribute("d").unwrap();
        let (x, y) = d[1..d.find('L').unwrap()].split_once(',').unwrap();
        let (lon, lat) = proj.unproject(x.parse().unwrap(), y.parse().unwrap());
        assert!((lon - 121.6).abs() < 1e-4 && (lat - 31.0).abs() < 1e-4, "{lon},{lat}");
        // the case-free village is neutral, the other is shaded
        assert!(first.attribute("class").unwrap().contains("shade-5"));
        assert!(paths[1].attribute("class").unwrap().contains("shade-0"));
        // a legend and labels
        assert_eq!(by_class(&doc, "legend").len(), 1);
        let labels: Vec<_> = by_class(&doc, "label").iter().map(|n| n.text().unwrap_or("").to_string()).collect();
        assert!(labels.contains(&"鹤东村".to_string()), "{labels:?}");
    }

    #[test]
    fn hostile_names_are_escaped() {
        let evil = r#"</title><script>alert("x")</script>&amp;'"#;
        let mut a = area("31011513720\"1", evil, 121.6, 1);
        a.name = format!("{evil}\u{1}");
        let svg = render(&MapSpec { title: evil.into(), ..spec(vec![a]) });
        assert!(!svg.contains("<script>"));
        let doc = parse(&svg);
        assert_eq!(doc.descendants().filter(|n| n.tag_name().name() == "script").count(), 0);
        let path = by_class(&doc, "area")[0];
        assert_eq!(path.attribute("data-name"), Some(format!("{evil} ").as_str()));
        assert_eq!(path.attribute("data-code"), Some("31011513720\"1"));
        assert_eq!(doc.root_element().attribute("aria-label"), Some(evil));
    }

    #[test]
    fn empty_data_still_makes_a_picture() {
        let svg = render(&MapSpec::default());
        let doc = parse(&svg);
        assert!(doc.root_element().attribute("data-bbox").is_some());
        assert_eq!(by_class(&doc, "empty").len(), 1);
        assert_eq!(by_class(&doc, "area").len(), 0);
        // a point alone centres the map on it
        let svg = render(&MapSpec { point: Some((121.6, 31.05)), ..MapSpec::default() });
        let doc = parse(&svg);
        let marker = by_class(&doc, "marker");
        assert_eq!(marker.len(), 1);
        let c = marker[0].children().rfind(|n| n.tag_name().name() == "circle").unwrap();
        assert_eq!(c.attribute("cx"), Some("400"));
    }

    #[test]
    fn marker_and_highlight() {
        let mut s = spec(vec![area("310115137201", "鹤东村", 121.6, 3), area("310115137202", "鹤丰村", 121.62, 0)]);
        s.point = Some((121.61, 31.01));
        s.highlight = Some(Area { code: "310115137201001".into(), name: "鹤东村第一网格".into(), shape: square(121.6, 31.0, 0.01), value: None });
        let svg = render(&s);
        let doc = parse(&svg);
        let h = by_class(&doc, "highlight");
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].attribute("data-code"), Some("310115137201001"));
        assert_eq!(h[0].attribute("fill"), Some("none"));
        let bbox: Vec<f64> = doc.root_element().attribute("data-bbox").unwrap().split(',').map(|v| v.parse().unwrap()).collect();
        let vb: Vec<f64> = doc.root_element().attribute("viewBox").unwrap().split(' ').map(|v| v.parse().unwrap()).collect();
        let proj = Projection { min_lon: bbox[0], min_lat: bbox[1], max_lon: bbox[2], max_lat: bbox[3], width: vb[2], height: vb[3] };
        let marker = by_class(&doc, "marker")[0];
        let c = marker.children().rfind(|n| n.tag_name().name() == "circle").unwrap();
        let (lon, lat) = proj.unproject(c.attribute("cx").unwrap().parse().unwrap(), c.attribute("cy").unwrap().parse().unwrap());
        assert!((lon - 121.61).abs() < 1e-4 && (lat - 31.01).abs() < 1e-4);
    }

    #[test]
    fn small_areas_get_no_crammed_labels() {
        let tiny = Area { code: "1".into(), name: "很长很长很长的网格名称".into(), shape: square(121.6, 31.0, 0.0004), value: Some(1) };
        let big = Area { code: "2".into(), name: "鹤东村".into(), shape: square(121.7, 31.1, 0.1), value: Some(1) };
        let svg = render(&spec(vec![tiny, big]));
        let doc = parse(&svg);
        let labels = by_class(&doc, "label");
        assert_eq!(labels.len(), 1);
        assert!(labels[0].text().unwrap().starts_with("鹤东村"));
    }
}
