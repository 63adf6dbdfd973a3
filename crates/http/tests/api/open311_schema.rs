//! The facts of GeoReport v2's JSON Schemas (open311/schema-validation, `schema/georeport-v2/`),
//! written here as our own fixtures, plus the POST answer and the error list, which those files
//! do not cover. Every JSON answer of the Open311 tests is validated against them.

use serde_json::{json, Value};

fn nullable(t: Value) -> Value {
    json!({"anyOf": [t, {"type": "null"}]})
}

fn service() -> Value {
    json!({
        "type": "object",
        "required": ["service_code", "service_name", "metadata", "type"],
        "properties": {
            "service_code": {"type": "string"},
            "service_name": {"type": "string"},
            "description": nullable(json!({"type": "string"})),
            "metadata": {"type": "boolean"},
            "type": {"enum": ["realtime", "batch", "blackbox"]},
            "keywords": nullable(json!({"type": "string"})),
            "group": nullable(json!({"type": "string"})),
        }
    })
}

fn request() -> Value {
    let text = || nullable(json!({"type": "string"}));
    let time = || nullable(json!({"type": "string", "format": "date-time", "pattern": "\\+08:00$"}));
    json!({
        "type": "object",
        "required": ["service_request_id", "status", "service_code", "requested_datetime"],
        "properties": {
            "service_request_id": {"type": "string"},
            "status": {"enum": ["open", "closed"]},
            "status_notes": text(),
            "service_name": text(),
            "service_code": {"type": "string"},
            "description": nullable(json!({"type": "string", "maxLength": 4000})),
            "agency_responsible": text(),
            "service_notice": text(),
            "requested_datetime": {"type": "string", "format": "date-time", "pattern": "\\+08:00$"},
            "updated_datetime": time(),
            "expected_datetime": time(),
            "address": text(),
            "address_id": text(),
            "zipcode": text(),
            "lat": nullable(json!({"type": "number"})),
            "long": nullable(json!({"type": "number"})),
            "media_url": nullable(json!({"type": "string", "format": "uri"})),
        }
    })
}

/// A schema by name.
pub fn schema(name: &str) -> Value {
    match name {
        "services" => json!({"type": "array", "items": service()}),
        "service_definition" => json!({
            "type": "object",
            "required": ["service_code", "attributes"],
            "properties": {
                "service_code": {"type": "string"},
                "attributes": {"type": "array", "items": {
                    "type": "object",
                    "required": ["variable", "code", "datatype", "required"],
                    "properties": {
                        "variable": {"type": "boolean"},
                        "code": {"type": "string"},
                        "datatype": {"enum": ["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]},
                        "required": {"type": "boolean"},
                        "datatype_description": nullable(json!({"type": "string"})),
                        "order": nullable(json!({"type": "integer"})),
                        "description": nullable(json!({"type": "string"})),
                        "values": {"type": "array", "items": {
                            "type": "object",
                            "required": ["key", "name"],
                            "properties": {"key": {"type": "string"}, "name": {"type": "string"}}
                        }}
                    }
                }}
            }
        }),
        "requests" => json!({"type": "array", "items": request()}),
        "created" => json!({"type": "array", "minItems": 1, "maxItems": 1, "items": {
            "type": "object",
            "anyOf": [{"required": ["service_request_id"]}, {"required": ["token"]}],
            "properties": {
                "service_request_id": {"type": "string"},
                "token": {"type": "string"},
                "service_notice": nullable(json!({"type": "string"})),
                "account_id": nullable(json!({"type": "string"})),
            }
        }}),
        "tokens" => json!({"type": "array", "items": {
            "type": "object",
            "required": ["token"],
            "properties": {"service_request_id": {"type": "string"}, "token": {"type": "string"}}
        }}),
        "updates" => json!({"type": "array", "items": {
            "type": "object",
            "required": ["update_id", "service_request_id", "status", "updated_datetime"],
            "properties": {
                "update_id": {"type": "string"},
                "service_request_id": {"type": "string"},
                "status": {"enum": ["open", "closed"]},
                "updated_datetime": {"type": "string", "format": "date-time"},
                "description": nullable(json!({"type": "string"})),
                "media_url": nullable(json!({"type": "string"})),
            }
        }}),
        "errors" => json!({"type": "array", "minItems": 1, "items": {
            "type": "object",
            "required": ["code", "description"],
            "properties": {"code": {"type": "integer"}, "description": {"type": "string", "minLength": 1}}
        }}),
        other => panic!("no schema {other}"),
    }
}

/// Asserts `body` is valid against the named schema, with formats checked.
pub fn assert_valid(name: &str, body: &Value) {
    let validator = jsonschema::options().should_validate_formats(true).build(&schema(name)).expect("schema compiles");
    let problems: Vec<String> = validator.iter_errors(body).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(problems.is_empty(), "{name} schema: {problems:?}\n{body}");
}
