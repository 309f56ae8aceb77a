//! OData query options: which ones an operation takes (others are a 400 naming them, as Graph
//! answers), and `$select`, `$top`, `$skip`, `$count`, `$orderby` and the page-size preference.
//!
//! `$top` is the page size, as in Graph's Outlook APIs: the docs' example asks `$top=1` and gets
//! one item with a `@odata.nextLink` carrying `$top=1&$skip=1`. Options without a `$` (such as
//! `disposalType`) are left to the operation.

use axum::http::HeaderMap;

use super::error::GraphError;
use super::filter::Kind;

/// The query string, decoded into pairs in order. `Debug` shows the option names only: a value
/// may be a secret (the import URL's `authtoken`).
#[derive(Clone, Default)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl std::fmt::Debug for Query {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.pairs.iter().map(|(key, _)| key))
            .finish()
    }
}

impl Query {
    /// Decodes a query string (`+` is a space, as form encoding and OData clients write it).
    pub fn parse(raw: Option<&str>) -> Result<Query, GraphError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or_default())
            .map_err(|error| {
                GraphError::bad_request(format!("The query string is malformed: {error}."))
            })?;
        Ok(Query { pairs })
    }

    /// The value of an option (OData option names compared without regard to case).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Refuses a `$` option the operation does not take, or one given twice.
    pub fn allow_only(&self, allowed: &[&str]) -> Result<(), GraphError> {
        for (index, (key, _)) in self.pairs.iter().enumerate() {
            if !key.starts_with('$') {
                continue;
            }
            if !allowed
                .iter()
                .any(|option| option.eq_ignore_ascii_case(key))
            {
                return Err(GraphError::bad_request(format!(
                    "Query option '{key}' is not allowed for this request. Allowed: {}.",
                    if allowed.is_empty() {
                        "none".to_string()
                    } else {
                        allowed.join(", ")
                    }
                )));
            }
            if self.pairs[..index]
                .iter()
                .any(|(earlier, _)| earlier.eq_ignore_ascii_case(key))
            {
                return Err(GraphError::bad_request(format!(
                    "Query option '{key}' was specified more than once; it must be specified at most once."
                )));
            }
        }
        Ok(())
    }

    /// The pairs with some options replaced: `set` pairs are appended after removing every
    /// option of the same name.
    pub fn with(&self, set: &[(&str, String)]) -> Vec<(String, String)> {
        let mut pairs: Vec<(String, String)> = self
            .pairs
            .iter()
            .filter(|(key, _)| !set.iter().any(|(name, _)| name.eq_ignore_ascii_case(key)))
            .cloned()
            .collect();
        pairs.extend(
            set.iter()
                .map(|(name, value)| (name.to_string(), value.clone())),
        );
        pairs
    }
}

/// `$select`: the properties asked for, as the type spells them, or `None` for all.
pub fn select(
    query: &Query,
    properties: &[&'static str],
    type_name: &str,
) -> Result<Option<Vec<&'static str>>, GraphError> {
    let Some(text) = query.get("$select") else {
        return Ok(None);
    };
    let mut selected = Vec::new();
    for name in text
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
    {
        let property = properties
            .iter()
            .copied()
            .find(|property| property.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                GraphError::bad_request(format!(
                    "Could not find a property named '{name}' on type '{type_name}'."
                ))
            })?;
        if !selected.contains(&property) {
            selected.push(property);
        }
    }
    Ok(Some(selected))
}

/// A non-negative integer option.
fn number(query: &Query, name: &str) -> Result<Option<usize>, GraphError> {
    query
        .get(name)
        .map(|text| {
            text.trim().parse::<usize>().map_err(|_| {
                GraphError::bad_request(format!(
                    "Invalid value '{text}' for query option {name}: it must be a non-negative integer."
                ))
            })
        })
        .transpose()
}

/// `$top`.
pub fn top(query: &Query) -> Result<Option<usize>, GraphError> {
    number(query, "$top")
}

/// `$skip`.
pub fn skip(query: &Query) -> Result<usize, GraphError> {
    Ok(number(query, "$skip")?.unwrap_or(0))
}

/// `$count=true|false`.
pub fn count(query: &Query) -> Result<bool, GraphError> {
    match query.get("$count").map(str::to_ascii_lowercase).as_deref() {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(GraphError::bad_request(format!(
            "Invalid value '{other}' for query option $count: it must be true or false."
        ))),
    }
}

/// `$orderby=property [asc|desc]` over one property: the property and whether descending.
pub fn orderby(
    query: &Query,
    properties: &[(&'static str, Kind)],
    type_name: &str,
) -> Result<Option<(&'static str, bool)>, GraphError> {
    let Some(text) = query.get("$orderby") else {
        return Ok(None);
    };
    let mut words = text.split_whitespace();
    let name = words.next().unwrap_or_default();
    let descending = match words.next().map(str::to_ascii_lowercase).as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(other) => {
            return Err(GraphError::bad_request(format!(
                "Invalid $orderby direction '{other}': write asc or desc."
            )))
        }
    };
    if text.contains(',') || words.next().is_some() {
        return Err(GraphError::bad_request(
            "$orderby takes one property here, optionally followed by asc or desc.",
        ));
    }
    let property = properties
        .iter()
        .find(|(property, _)| property.eq_ignore_ascii_case(name))
        .map(|(property, _)| *property)
        .ok_or_else(|| {
            GraphError::bad_request(format!(
                "Could not find a property named '{name}' on type '{type_name}'."
            ))
        })?;
    Ok(Some((property, descending)))
}

/// `Prefer: odata.maxpagesize=N`, if the client sent it.
pub fn max_page_size(headers: &HeaderMap) -> Result<Option<usize>, GraphError> {
    for value in headers.get_all("prefer") {
        let text = value.to_str().unwrap_or_default();
        for preference in text.split(',') {
            let Some((name, size)) = preference.trim().split_once('=') else {
                continue;
            };
            if name.trim().eq_ignore_ascii_case("odata.maxpagesize") {
                return size
                    .trim()
                    .trim_matches('"')
                    .parse::<usize>()
                    .ok()
                    .filter(|size| *size > 0)
                    .map(Some)
                    .ok_or_else(|| {
                        GraphError::bad_request(format!(
                            "Prefer odata.maxpagesize must be a positive integer, not '{size}'."
                        ))
                    });
            }
        }
    }
    Ok(None)
}

/// A URL: `base` followed by the encoded query pairs, if any.
pub fn link(base: &str, pairs: &[(String, String)]) -> String {
    if pairs.is_empty() {
        return base.to_string();
    }
    format!(
        "{base}?{}",
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_checked_and_read() {
        let query = Query::parse(Some(
            "%24filter=createdDateTime+ge+2021-08-21&%24select=type%2Csize&%24top=1&disposalType=x",
        ))
        .expect("parses");
        assert!(query.allow_only(&["$filter", "$select", "$top"]).is_ok());
        let refused = query
            .allow_only(&["$select"])
            .expect_err("$filter not allowed");
        assert!(refused.message.contains("$filter"), "{}", refused.message);
        assert_eq!(query.get("$filter"), Some("createdDateTime ge 2021-08-21"));
        assert_eq!(
            select(&query, &["id", "type", "size"], "t").expect("valid"),
            Some(vec!["type", "size"])
        );
        assert_eq!(top(&query).expect("number"), Some(1));
        let next = link("http://x/items", &query.with(&[("$skip", "1".into())]));
        assert!(
            next.ends_with("%24top=1&disposalType=x&%24skip=1"),
            "{next}"
        );
        let secret = Query::parse(Some("authtoken=s3cret")).expect("parses");
        assert!(!format!("{secret:?}").contains("s3cret"));
        let twice = Query::parse(Some("$top=1&$top=2")).expect("parses");
        assert!(twice.allow_only(&["$top"]).is_err());
        assert!(top(&Query::parse(Some("$top=-1")).expect("parses")).is_err());
    }

    #[test]
    fn page_size_preference() {
        let mut headers = HeaderMap::new();
        assert_eq!(max_page_size(&headers).expect("none"), None);
        headers.insert(
            "prefer",
            "odata.track-changes, odata.maxpagesize=2"
                .parse()
                .expect("value"),
        );
        assert_eq!(max_page_size(&headers).expect("given"), Some(2));
        headers.insert("prefer", "odata.maxpagesize=none".parse().expect("value"));
        assert!(max_page_size(&headers).is_err());
    }
}
