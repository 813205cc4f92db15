//! The generic ARM engine: api-version and scope checks, GET/list/PUT/PATCH/DELETE over
//! the store, ETags, and long-running operations. Type-specific behaviour comes from
//! [`Kind`] hooks.

use super::api_version::check_api_version;
use super::faults::LroFault;
use super::http::not_found;
use super::http::{ArmError, ArmResult, Incoming, Reply, guid};
use super::ids::{ResId, key_of};
use super::lro::{OpAction, OpSpec, Operation, Outcome};
use super::state::State;
use super::store::{Entry, ProvState};
use super::types::kind::{self, DeleteStyle, Kind, PutStyle};
use super::types::{self, kind_for};
use serde_json::{Value, json};

/// Which operation URL a path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollKind {
    Status,
    Result,
}

/// `/subscriptions/{s}/providers/{ns}/locations/{loc}/operationStatuses|operationResults/{id}`.
pub fn operation_path(path: &str) -> Option<(PollKind, String)> {
    let segs: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    match segs.as_slice() {
        ["", subs, _, providers, _, locations, _, which, id]
            if subs.eq_ignore_ascii_case("subscriptions")
                && providers.eq_ignore_ascii_case("providers")
                && locations.eq_ignore_ascii_case("locations") =>
        {
            if which.eq_ignore_ascii_case("operationStatuses") {
                Some((PollKind::Status, id.to_string()))
            } else if which.eq_ignore_ascii_case("operationResults") {
                Some((PollKind::Result, id.to_string()))
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Handles one authenticated, unthrottled ARM request.
pub fn dispatch(st: &mut State, req: &Incoming, lro: LroFault) -> Reply {
    match route(st, req, lro) {
        Ok(reply) => reply,
        Err(error) => error.reply(),
    }
}

fn route(st: &mut State, req: &Incoming, lro: LroFault) -> ArmResult<Reply> {
    if let Some((kind, id)) = operation_path(&req.path) {
        return Ok(poll(st, kind, &id));
    }
    if let Some(reply) = types::network::subscription_route(st, req) {
        return reply;
    }
    if let Some(reply) = types::network::service_tags_route(st, req) {
        return reply;
    }
    if let Some(reply) = super::policy::route(
        &mut st.policies,
        super::policy::Scopes {
            subscription_id: &st.subscription_id,
            store: &st.store,
        },
        req,
    ) {
        return reply;
    }
    let Some(id) = ResId::parse(&req.path) else {
        return Err(ArmError::new(
            404,
            "NotFound",
            format!(
                "No HTTP resource was found that matches the request URI '{}'.",
                req.path
            ),
        ));
    };
    let pinned = check_api_version(req, &id.namespace)?;
    if !id.subscription.eq_ignore_ascii_case(&st.subscription_id) {
        return Err(ArmError::new(
            404,
            "SubscriptionNotFound",
            format!("The subscription '{}' could not be found.", id.subscription),
        ));
    }
    if let Some(reply) = types::network::special_get(st, req, &id) {
        return reply;
    }
    let Some(kind) = kind_for(&id.type_key()) else {
        return Err(ArmError::bad_request(
            "InvalidResourceType",
            format!(
                "The resource type '{}' could not be found in the namespace '{}' for api version '{pinned}'.",
                id.types.join("/"),
                id.namespace
            ),
        ));
    };
    match (req.method.as_str(), id.is_collection()) {
        ("GET", true) => list(st, req, &id, kind),
        ("GET", false) => get(st, &id),
        ("PUT", false) => put(st, req, &id, kind, pinned, lro),
        ("PATCH", false) => patch(st, req, &id, kind),
        ("DELETE", false) => delete(st, req, &id, kind, pinned, lro),
        (method, _) => Err(ArmError::new(
            405,
            "HttpMethodNotAllowed",
            format!(
                "The HTTP method '{method}' is not supported at '{}'.",
                req.path
            ),
        )),
    }
}

/// 404s for a missing resource group or ancestor.
fn check_scope(st: &State, id: &ResId, writing: bool) -> ArmResult<()> {
    if id.is_resource_group() {
        return Ok(());
    }
    if let (Some(rg), Some(rg_key)) = (&id.resource_group, id.resource_group_key())
        && !st.store.contains(&rg_key)
    {
        return Err(ArmError::new(
            404,
            "ResourceGroupNotFound",
            format!("Resource group '{rg}' could not be found."),
        ));
    }
    let mut ancestors = Vec::new();
    let mut cursor = id.parent();
    while let Some(p) = cursor {
        cursor = p.parent();
        ancestors.push(p);
    }
    for ancestor in ancestors.iter().rev() {
        if !st.store.contains(&ancestor.key()) {
            return Err(if writing {
                ArmError::new(
                    404,
                    "ParentResourceNotFound",
                    format!(
                        "Can not perform requested operation on nested resource. Parent resource '{}' not found.",
                        ancestor.names.join("/")
                    ),
                )
            } else {
                not_found(ancestor)
            });
        }
    }
    Ok(())
}

fn missing(id: &ResId) -> ArmError {
    if id.is_resource_group() {
        ArmError::new(
            404,
            "ResourceGroupNotFound",
            format!("Resource group '{}' could not be found.", id.name()),
        )
    } else {
        not_found(id)
    }
}

/// The resource as clients see it: stored body + etag + provisioning state + embedded
/// children + computed fields.
pub fn render(st: &State, entry: &Entry) -> Value {
    let Some(kind) = kind_for(&entry.type_key) else {
        return entry.body.clone();
    };
    let mut out = entry.body.clone();
    if let Some(etag) = &entry.etag {
        out["etag"] = json!(etag);
    }
    if let Some(text) = (kind.wire().provisioning_state)(entry.state) {
        kind::props(&mut out).insert("provisioningState".into(), json!(text));
    }
    let key = key_of(&entry.id);
    for emb in kind.embedded() {
        let child_key = format!("{}/{}", entry.type_key, emb.child_type.to_ascii_lowercase());
        let children: Vec<Value> = st
            .store
            .children(&key, &child_key)
            .into_iter()
            .map(|c| render(st, c))
            .collect();
        kind::props(&mut out).insert(emb.property.into(), Value::Array(children));
    }
    kind.decorate(st, entry, &mut out);
    out
}

fn get(st: &State, id: &ResId) -> ArmResult<Reply> {
    check_scope(st, id, false)?;
    let entry = st.store.get(&id.key()).ok_or_else(|| missing(id))?;
    Ok(Reply::json(200, render(st, entry)))
}

fn list(st: &State, req: &Incoming, id: &ResId, kind: &dyn Kind) -> ArmResult<Reply> {
    let type_key = id.type_key();
    let entries = if let Some(listed) = kind.list(st, id, req) {
        listed?
    } else if let Some(parent) = id.parent() {
        check_scope(st, &parent, false)?;
        if !st.store.contains(&parent.key()) {
            return Err(not_found(&parent));
        }
        st.store.children(&parent.key(), &type_key)
    } else if let Some(rg_key) = id.resource_group_key() {
        if !st.store.contains(&rg_key) {
            return Err(ArmError::new(
                404,
                "ResourceGroupNotFound",
                format!(
                    "Resource group '{}' could not be found.",
                    id.resource_group.as_deref().unwrap_or("")
                ),
            ));
        }
        st.store.of_type(&rg_key, &type_key)
    } else {
        st.store.of_type(
            &format!("/subscriptions/{}", id.subscription.to_ascii_lowercase()),
            &type_key,
        )
    };
    let value: Vec<Value> = entries.into_iter().map(|e| render(st, e)).collect();
    Ok(Reply::json(200, json!({ "value": value })))
}

fn check_preconditions(req: &Incoming, existing: Option<&Entry>) -> ArmResult<()> {
    let failed = || {
        ArmError::new(
            412,
            "PreconditionFailed",
            "The condition specified using HTTP conditional header(s) is not met.",
        )
    };
    if let Some(if_match) = req.header("if-match").map(str::trim) {
        match existing {
            None => return Err(failed()),
            Some(e) if if_match != "*" && e.etag.as_deref() != Some(if_match) => {
                return Err(failed());
            }
            _ => {}
        }
    }
    if req.header("if-none-match").map(str::trim) == Some("*") && existing.is_some() {
        return Err(failed());
    }
    Ok(())
}

pub fn new_etag() -> String {
    format!("W/\"{}\"", guid())
}

/// Gives every ancestor with an ETag a new one (a child write changes its parent).
fn bump_ancestor_etags(st: &mut State, id: &ResId) {
    let mut cursor = id.parent();
    while let Some(p) = cursor {
        if let Some(e) = st.store.get_mut(&p.key())
            && e.etag.is_some()
        {
            e.etag = Some(new_etag());
        }
        cursor = p.parent();
    }
}

fn put(
    st: &mut State,
    req: &Incoming,
    id: &ResId,
    kind: &'static dyn Kind,
    api_version: &str,
    lro: LroFault,
) -> ArmResult<Reply> {
    check_scope(st, id, true)?;
    let key = id.key();
    let existing = st.store.get(&key).cloned();
    check_preconditions(req, existing.as_ref())?;
    if existing
        .as_ref()
        .is_some_and(|e| e.state == ProvState::Deleting)
    {
        return Err(ArmError::new(
            409,
            "AnotherOperationInProgress",
            format!("Another operation (delete) is in progress on '{}'.", id.raw),
        ));
    }
    let body = req.json()?.ok_or_else(|| {
        ArmError::bad_request("InvalidRequestContent", "The request content was empty.")
    })?;
    if !body.is_object() {
        return Err(ArmError::bad_request(
            "InvalidRequestContent",
            "The request content must be a JSON object.",
        ));
    }
    kind.validate(st, id, &body, existing.as_ref())?;

    // Embedded child arrays: the PUT replaces the set of children.
    let mut body = body;
    let mut embedded = Vec::new();
    for emb in kind.embedded() {
        let items = kind::props(&mut body)
            .remove(emb.property)
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default();
        let child_type_key = format!("{}/{}", id.type_key(), emb.child_type.to_ascii_lowercase());
        for child in st.store.children(&key, &child_type_key) {
            let kept = items.iter().any(|item| {
                item.get("name").and_then(Value::as_str).is_some_and(|n| {
                    child
                        .id
                        .rsplit('/')
                        .next()
                        .is_some_and(|c| c.eq_ignore_ascii_case(n))
                })
            });
            if !kept && let Some(child_kind) = kind_for(&child.type_key) {
                child_kind.check_delete(st, child)?;
            }
        }
        embedded.push((emb, child_type_key, items));
    }

    let mut body = kind.fill(st, id, body, existing.as_ref());
    let stored_id = existing
        .as_ref()
        .map(|e| e.id.clone())
        .unwrap_or(id.raw.clone());
    set_envelope(&mut body, &stored_id, kind);
    let created = existing.is_none();
    let (state, op) = match kind.wire().put {
        PutStyle::Sync { .. } => (ProvState::Succeeded, None),
        PutStyle::AsyncOperation => {
            let state = kind.initial_state(&body, created);
            (state, Some(()))
        }
    };
    let etag = kind.wire().etag.then(new_etag);
    let entry = Entry {
        id: stored_id.clone(),
        type_key: id.type_key(),
        body,
        etag: etag.clone(),
        state,
    };
    st.store.insert(key.clone(), entry);
    if kind.wire().etag {
        bump_ancestor_etags(st, id);
    }

    for (emb, child_type_key, items) in embedded {
        let Some(child_kind) = kind_for(&child_type_key) else {
            continue;
        };
        let names: Vec<String> = items
            .iter()
            .filter_map(|i| i.get("name").and_then(Value::as_str))
            .map(str::to_ascii_lowercase)
            .collect();
        let stale: Vec<String> = st
            .store
            .children(&key, &child_type_key)
            .into_iter()
            .filter(|c| {
                !names.contains(&c.id.rsplit('/').next().unwrap_or("").to_ascii_lowercase())
            })
            .map(|c| key_of(&c.id))
            .collect();
        for stale_key in stale {
            remove_tree(st, &stale_key, false);
        }
        for item in items {
            let Some(name) = item.get("name").and_then(Value::as_str).map(str::to_owned) else {
                continue;
            };
            let child_raw = format!("{stored_id}/{}/{name}", emb.child_type);
            let Some(child_id) = ResId::parse(&child_raw) else {
                continue;
            };
            let previous = st.store.get(&child_id.key()).cloned();
            let mut child_body = child_kind.fill(st, &child_id, item, previous.as_ref());
            let child_stored_id = previous.as_ref().map(|p| p.id.clone()).unwrap_or(child_raw);
            set_envelope(&mut child_body, &child_stored_id, child_kind);
            st.store.insert(
                child_id.key(),
                Entry {
                    id: child_stored_id,
                    type_key: child_type_key.clone(),
                    body: child_body,
                    etag: child_kind
                        .wire()
                        .etag
                        .then(|| etag.clone().unwrap_or_else(new_etag)),
                    state,
                },
            );
        }
    }
    kind.after_write(st, &key, existing.as_ref());

    let entry = st.store.get(&key).cloned().expect("just stored");
    let status = match kind.wire().put {
        PutStyle::Sync { created: c } if created => c,
        PutStyle::AsyncOperation if created => kind.wire().async_created_status,
        _ => 200,
    };
    let mut reply = Reply::json(status, render(st, &entry));
    if op.is_some() {
        let location = kind.location(st, &entry);
        let op = st.ops.start(OpSpec {
            subscription: &id.subscription,
            namespace: &id.namespace,
            location: &location,
            api_version,
            action: OpAction::Put { key },
            outcome: lro.outcome.unwrap_or(Outcome::Succeeded),
            duration: lro.duration,
        });
        // Azure may say when to poll; without it clients wait their default (15 s here).
        reply = reply
            .header(
                "Azure-AsyncOperation",
                format!(
                    "{}{}?api-version={api_version}",
                    st.base_url,
                    op.status_path()
                ),
            )
            .header("Retry-After", st.ops.retry_after.to_string());
    }
    Ok(reply)
}

fn set_envelope(body: &mut Value, id: &str, kind: &dyn Kind) {
    let name = id.rsplit('/').next().unwrap_or_default().to_owned();
    if let Some(obj) = body.as_object_mut() {
        obj.insert("id".into(), json!(id));
        obj.insert("name".into(), json!(name));
        obj.insert("type".into(), json!(kind.type_name()));
    }
}

fn patch(st: &mut State, req: &Incoming, id: &ResId, kind: &'static dyn Kind) -> ArmResult<Reply> {
    check_scope(st, id, false)?;
    let key = id.key();
    let existing = st.store.get(&key).cloned().ok_or_else(|| missing(id))?;
    check_preconditions(req, Some(&existing))?;
    let body = req.json()?.unwrap_or_else(|| json!({}));
    if !body.is_object() {
        return Err(ArmError::bad_request(
            "InvalidRequestContent",
            "The request content must be a JSON object.",
        ));
    }
    let mut new_body = kind.patch(st, &existing, &body)?;
    set_envelope(&mut new_body, &existing.id, kind);
    if let Some(entry) = st.store.get_mut(&key) {
        entry.body = new_body;
        if entry.etag.is_some() {
            entry.etag = Some(new_etag());
        }
    }
    kind.after_write(st, &key, Some(&existing));
    let entry = st.store.get(&key).cloned().expect("stored");
    Ok(Reply::json(200, render(st, &entry)))
}

fn delete(
    st: &mut State,
    req: &Incoming,
    id: &ResId,
    kind: &'static dyn Kind,
    api_version: &str,
    lro: LroFault,
) -> ArmResult<Reply> {
    let detach = kind.delete_params(req)?;
    if let Err(e) = check_scope(st, id, false) {
        return if e.code == "ResourceGroupNotFound" {
            Err(e)
        } else {
            Ok(Reply::new(204))
        };
    }
    let key = id.key();
    let Some(entry) = st.store.get(&key).cloned() else {
        return if kind.wire().delete_missing_is_204 {
            Ok(Reply::new(204))
        } else {
            Err(missing(id))
        };
    };
    check_preconditions(req, Some(&entry))?;
    kind.check_delete(st, &entry)?;
    let style = kind.wire().delete;
    if style == DeleteStyle::Sync {
        remove_tree(st, &key, detach);
        bump_ancestor_etags(st, id);
        return Ok(Reply::new(200));
    }
    for k in st.store.tree_keys(&key) {
        if let Some(e) = st.store.get_mut(&k) {
            e.state = ProvState::Deleting;
        }
    }
    let location = kind.location(st, &entry);
    let op = st.ops.start(OpSpec {
        subscription: &id.subscription,
        namespace: &id.namespace,
        location: &location,
        api_version,
        action: OpAction::Delete { key, detach },
        outcome: lro.outcome.unwrap_or(Outcome::Succeeded),
        duration: lro.duration,
    });
    let mut reply = Reply::new(202)
        .header(
            "Location",
            format!(
                "{}{}?api-version={api_version}",
                st.base_url,
                op.result_path()
            ),
        )
        .header("Retry-After", st.ops.retry_after.to_string());
    if style == DeleteStyle::AsyncOperationAndLocation {
        reply = reply.header(
            "Azure-AsyncOperation",
            format!(
                "{}{}?api-version={api_version}",
                st.base_url,
                op.status_path()
            ),
        );
    }
    Ok(reply)
}

/// Removes `key` and everything below it, running each type's `on_removed`.
pub fn remove_tree(st: &mut State, key: &str, detach: bool) {
    for k in st.store.tree_keys(key) {
        if let Some(entry) = st.store.remove(&k)
            && let Some(kind) = kind_for(&entry.type_key)
        {
            kind.on_removed(st, &entry, detach);
            if let Some(also) = kind.also_removes(&entry, detach) {
                remove_tree(st, &also, false);
            }
        }
    }
}

fn poll(st: &mut State, which: PollKind, op_id: &str) -> Reply {
    let Some(op) = st.ops.poll(op_id) else {
        return ArmError::new(
            404,
            "OperationNotFound",
            format!("The operation '{op_id}' was not found."),
        )
        .reply();
    };
    let retry_after = st.ops.retry_after.to_string();
    match which {
        PollKind::Status => {
            let reply = Reply::json(200, op.status_body());
            if op.done() {
                reply
            } else {
                reply.header("Retry-After", retry_after)
            }
        }
        PollKind::Result if !op.done() => Reply::new(202)
            .header(
                "Location",
                format!(
                    "{}{}?api-version={}",
                    st.base_url,
                    op.result_path(),
                    op.api_version
                ),
            )
            .header("Retry-After", retry_after),
        PollKind::Result => match (&op.outcome, &op.action) {
            (Outcome::Succeeded, OpAction::Delete { .. }) => Reply::new(204),
            (Outcome::Succeeded, OpAction::Put { key }) => match st.store.get(key) {
                Some(entry) => Reply::json(200, render(st, entry)),
                None => Reply::new(204),
            },
            (Outcome::Failed(e) | Outcome::Canceled(e), _) => e.reply(),
        },
    }
}

/// Finishes the operations whose time is up, as Azure would have meanwhile. Runs before every
/// request, so whatever a client reads reflects the time that passed.
pub fn advance(st: &mut State) {
    for op in st.ops.due(std::time::Instant::now()) {
        complete(st, &op);
    }
}

fn complete(st: &mut State, op: &Operation) {
    match (&op.action, &op.outcome) {
        (OpAction::Put { key }, outcome) => {
            let state = if outcome.error().is_some() {
                ProvState::Failed
            } else {
                ProvState::Succeeded
            };
            for k in st.store.tree_keys(key) {
                if let Some(e) = st.store.get_mut(&k)
                    && matches!(e.state, ProvState::Creating | ProvState::Updating)
                {
                    e.state = state;
                }
            }
        }
        (OpAction::Delete { key, detach }, Outcome::Succeeded) => {
            remove_tree(st, key, *detach);
            if let Some(id) = st_id(key) {
                bump_ancestor_etags(st, &id);
            }
        }
        (OpAction::Delete { key, .. }, _) => {
            for k in st.store.tree_keys(key) {
                if let Some(e) = st.store.get_mut(&k) {
                    e.state = ProvState::Failed;
                }
            }
        }
    }
}

fn st_id(key: &str) -> Option<ResId> {
    ResId::parse(key)
}
