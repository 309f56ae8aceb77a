//! Reading the JSON bodies of the users API's writes: an object whose members are matched to
//! the type's properties without regard to case (msgraph-sdk writes action parameters in
//! PascalCase, most clients camelCase), an unknown member refused by name, and values read
//! with errors that name the property (`conditions.subjectContains`).

use serde_json::{Map, Value};

use super::context::GraphRequest;
use super::error::GraphError;

/// The request body as a JSON object.
pub fn object(request: &GraphRequest) -> Result<Map<String, Value>, GraphError> {
    match serde_json::from_slice::<Value>(&request.body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(GraphError::bad_request(
            "The request body must be a JSON object.",
        )),
        Err(error) => Err(GraphError::bad_request(format!(
            "The request body is not valid JSON: {error}."
        ))),
    }
}

/// The members of `object`, each under the property name it matched. `@odata.*` annotations
/// are skipped; any other name not in `properties` is a 400 naming it (prefixed with `path`).
pub fn members<'v>(
    object: &'v Map<String, Value>,
    properties: &[&'static str],
    type_name: &str,
    path: &str,
) -> Result<Vec<(&'static str, &'v Value)>, GraphError> {
    let mut found = Vec::new();
    for (key, value) in object {
        if key.starts_with("@odata.") || key.starts_with("@") {
            continue;
        }
        let property = properties
            .iter()
            .copied()
            .find(|property| property.eq_ignore_ascii_case(key))
            .ok_or_else(|| {
                GraphError::bad_request(format!(
                    "The property '{}' does not exist on type '{type_name}'. Make sure to only use property names that are defined by the type.",
                    qualified(path, key)
                ))
            })?;
        found.push((property, value));
    }
    Ok(found)
}

/// `path.name`, or `name` at the top.
pub fn qualified(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// A 400 for a value of the wrong JSON type.
pub fn wrong_type(name: &str, expected: &str) -> GraphError {
    GraphError::bad_request(format!(
        "The value of property '{name}' is not valid: expected {expected}."
    ))
}

/// A string value.
pub fn string<'v>(value: &'v Value, name: &str) -> Result<&'v str, GraphError> {
    value.as_str().ok_or_else(|| wrong_type(name, "a string"))
}

/// A boolean value.
pub fn boolean(value: &Value, name: &str) -> Result<bool, GraphError> {
    value
        .as_bool()
        .ok_or_else(|| wrong_type(name, "true or false"))
}

/// A 32-bit integer value.
pub fn int32(value: &Value, name: &str) -> Result<i32, GraphError> {
    value
        .as_i64()
        .and_then(|number| i32::try_from(number).ok())
        .ok_or_else(|| wrong_type(name, "a 32-bit integer"))
}

/// An object value.
pub fn object_value<'v>(
    value: &'v Value,
    name: &str,
) -> Result<&'v Map<String, Value>, GraphError> {
    value
        .as_object()
        .ok_or_else(|| wrong_type(name, "an object"))
}

/// An array of strings.
pub fn strings(value: &Value, name: &str) -> Result<Vec<String>, GraphError> {
    value
        .as_array()
        .and_then(|values| {
            values
                .iter()
                .map(|value| value.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
        })
        .ok_or_else(|| wrong_type(name, "an array of strings"))
}

/// An enum member of `members` (Graph's lowerCamel names, compared without case): its index.
pub fn enum_member(value: &Value, name: &str, members: &[&str]) -> Result<usize, GraphError> {
    let text = string(value, name)?;
    members
        .iter()
        .position(|member| member.eq_ignore_ascii_case(text))
        .ok_or_else(|| {
            GraphError::bad_request(format!(
                "The value '{text}' of property '{name}' is not valid; it is one of {}.",
                members.join(", ")
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn members_match_without_case_and_unknown_ones_are_named() {
        let body = json!({"DisplayName": "x", "@odata.type": "#t", "sequence": 2});
        let object = body.as_object().expect("object");
        let found = members(object, &["displayName", "sequence"], "t", "").expect("known");
        assert_eq!(found.len(), 2);
        assert!(found.iter().any(|(name, _)| *name == "displayName"));
        let error = members(object, &["sequence"], "t", "conditions").expect_err("unknown");
        assert!(
            error.message.contains("'conditions.DisplayName'"),
            "{}",
            error.message
        );
        assert!(int32(&json!("2"), "sequence")
            .expect_err("type")
            .message
            .contains("'sequence'"));
        assert_eq!(
            enum_member(&json!("High"), "importance", &["low", "normal", "high"]).ok(),
            Some(2)
        );
    }
}
