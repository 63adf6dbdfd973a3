//! GeoReport's XML: the same documents as the JSON answers, written element by element. Arrays
//! repeat an element named for their items (`services` → `service`); text is escaped and
//! characters XML 1.0 cannot carry are dropped.

use serde_json::Value;

/// The element name of the items of an array element.
fn item_name(list: &str) -> &'static str {
    match list {
        "services" => "service",
        "attributes" => "attribute",
        "values" => "value",
        "service_requests" => "request",
        "service_request_updates" => "request_update",
        "errors" => "error",
        "endpoints" => "endpoint",
        "formats" => "format",
        "keywords" => "keyword",
        "timeline" => "step",
        _ => "item",
    }
}

/// The whole document: `root` holds `value` (an array's items, or an object's fields).
pub fn document(root: &str, value: &Value) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    element(&mut out, root, value);
    out
}

fn element(out: &mut String, name: &str, value: &Value) {
    match value {
        Value::Null => {
            out.push('<');
            out.push_str(name);
            out.push_str("/>");
        }
        Value::Array(items) => {
            open(out, name);
            let item = item_name(name);
            for v in items {
                element(out, item, v);
            }
            close(out, name);
        }
        Value::Object(fields) => {
            open(out, name);
            for (k, v) in fields {
                element(out, k, v);
            }
            close(out, name);
        }
        Value::String(s) => {
            open(out, name);
            escape_into(out, s);
            close(out, name);
        }
        Value::Bool(b) => {
            open(out, name);
            out.push_str(if *b { "true" } else { "false" });
            close(out, name);
        }
        Value::Number(n) => {
            open(out, name);
            out.push_str(&n.to_string());
            close(out, name);
        }
    }
}

fn open(out: &mut String, name: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
}

fn close(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn writes_georeport_shapes_with_escaping() {
        let doc = super::document(
            "service_requests",
            &json!([{"service_request_id": "1", "description": "<b>A&B</b>\u{1}", "lat": 31.5, "media_url": null}]),
        );
        assert!(doc.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<service_requests><request>"), "{doc}");
        for part in ["<service_request_id>1</service_request_id>", "<description>&lt;b&gt;A&amp;B&lt;/b&gt;</description>", "<lat>31.5</lat>", "<media_url/>"] {
            assert!(doc.contains(part), "{part} in {doc}");
        }
        assert!(doc.ends_with("</request></service_requests>"));
        let doc = super::document("service_definition", &json!({"attributes": [{"values": [{"key": "a", "name": "甲"}]}]}));
        assert!(doc.contains("<attributes><attribute><values><value><key>a</key><name>甲</name></value></values></attribute></attributes>"));
    }
}
