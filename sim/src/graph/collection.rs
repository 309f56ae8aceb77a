//! Collection replies: a page of objects with `@odata.context`, `@odata.count` when asked
//! for, and `@odata.nextLink` while more remain (server-driven paging with `$skip`).

use serde_json::Value;

use super::context::MailboxContext;
use super::error::GraphError;
use super::json::JsonObject;
use super::query;

/// One page of a list and the link to the next.
pub struct Page<T> {
    /// The objects on this page.
    pub values: Vec<T>,
    /// The number of objects in the whole (filtered) list, if `$count=true`.
    pub count: Option<usize>,
    /// The next page's URL, if there is one.
    pub next_link: Option<String>,
}

/// Cuts the page `$skip`/`$top` ask for out of `all`; the page size is `$top`, else the
/// configured default, and never more than the configured maximum.
pub fn page<T>(ctx: &MailboxContext<'_>, all: Vec<T>) -> Result<Page<T>, GraphError> {
    let config = &ctx.sim.config.graph;
    let requested = query::top(&ctx.request.query)?;
    let size = requested
        .unwrap_or(config.default_page_size)
        .min(config.max_page_size);
    let skip = query::skip(&ctx.request.query)?;
    let total = all.len();
    let count = query::count(&ctx.request.query)?.then_some(total);
    let values: Vec<T> = all.into_iter().skip(skip).take(size).collect();
    let next_link = (size > 0 && skip + size < total).then(|| {
        ctx.request.link_with(
            &ctx.request
                .query
                .with(&[("$skip", (skip + size).to_string())]),
        )
    });
    Ok(Page {
        values,
        count,
        next_link,
    })
}

/// The JSON of a collection page whose objects are already JSON text.
pub fn collection_json(
    context: &str,
    values: &[String],
    count: Option<usize>,
    next_link: Option<&str>,
    delta_link: Option<&str>,
) -> String {
    let mut object = JsonObject::new().string("@odata.context", context);
    if let Some(count) = count {
        object = object.value("@odata.count", Value::from(count));
    }
    object = object.raw("value", &format!("[{}]", values.join(",")));
    if let Some(next) = next_link {
        object = object.string("@odata.nextLink", next);
    }
    if let Some(delta) = delta_link {
        object = object.string("@odata.deltaLink", delta);
    }
    object.finish()
}
