//! What every resource type is to the engine: the [`Kind`] hooks, how its PUT and DELETE
//! answer, and the body helpers the types share.

use crate::emulator::http::{ArmError, ArmResult, Incoming};
use crate::emulator::ids::ResId;
use crate::emulator::state::State;
use crate::emulator::store::{Entry, ProvState};
use serde_json::{Map, Value};

/// How a PUT answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutStyle {
    /// Done at once: `created` status for a new resource, 200 for an update.
    Sync { created: u16 },
    /// 201 (new) or 200 (update) with `Azure-AsyncOperation`; the resource is
    /// `Creating`/`Updating` until the operation finishes.
    AsyncOperation,
}

/// How a DELETE of an existing resource answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteStyle {
    /// 200, gone at once.
    Sync,
    /// 202 + `Location`; gone when the operation finishes.
    Location,
    /// 202 + `Azure-AsyncOperation` + `Location`.
    AsyncOperationAndLocation,
}

/// A child collection that the parent's body also carries (`properties.subnets`, ...).
/// Children are stored as their own entries; the parent renders them.
#[derive(Debug)]
pub struct Embedded {
    pub property: &'static str,
    pub child_type: &'static str,
}

/// How a type answers on the wire, as its spec describes: the same for every type of a
/// resource provider more often than not (see `network::NETWORK`), so it is data.
#[derive(Debug, Clone, Copy)]
pub struct Wire {
    /// Whether the resource carries an `etag` that `If-Match` is checked against.
    pub etag: bool,
    pub put: PutStyle,
    /// The status of an asynchronous PUT that creates the resource (some specs say 200).
    pub async_created_status: u16,
    pub delete: DeleteStyle,
    /// Whether DELETE of a missing resource answers 204 (else 404).
    pub delete_missing_is_204: bool,
    /// The `properties.provisioningState` text of a state; `None` = no such field.
    pub provisioning_state: fn(ProvState) -> Option<&'static str>,
}

impl Wire {
    /// No etag, 201 for an asynchronous create, 204 for deleting what is missing, and the
    /// provisioning states by their usual names.
    pub const fn new(put: PutStyle, delete: DeleteStyle) -> Wire {
        Wire {
            etag: false,
            put,
            async_created_status: 201,
            delete,
            delete_missing_is_204: true,
            provisioning_state: |state| Some(state.as_str()),
        }
    }
}

pub trait Kind: Sync {
    /// Canonical type, e.g. `Microsoft.Network/virtualNetworks/subnets`.
    fn type_name(&self) -> &'static str;

    /// How its PUT, DELETE and provisioning state answer.
    fn wire(&self) -> Wire;

    fn embedded(&self) -> &'static [Embedded] {
        &[]
    }

    /// Checks a PUT body (embedded child arrays included) against the state.
    fn validate(
        &self,
        _st: &State,
        _id: &ResId,
        _body: &Value,
        _existing: Option<&Entry>,
    ) -> ArmResult<()> {
        Ok(())
    }

    /// Normalises a body to store: drops read-only input, fills defaults. Also applied
    /// to embedded children. The engine sets `id`, `name` and `type` afterwards.
    fn fill(&self, _st: &State, _id: &ResId, body: Value, _existing: Option<&Entry>) -> Value {
        body
    }

    /// Provisioning state while an asynchronous PUT runs.
    fn initial_state(&self, _body: &Value, created: bool) -> ProvState {
        if created {
            ProvState::Creating
        } else {
            ProvState::Updating
        }
    }

    /// Adds computed, read-only fields to a rendered resource.
    fn decorate(&self, _st: &State, _entry: &Entry, _out: &mut Value) {}

    /// The entries a list of this type at `collection` answers, when they are not simply
    /// those stored under its scope (inherited locks); `None` for the generic listing.
    fn list<'a>(
        &self,
        _st: &'a State,
        _collection: &ResId,
        _req: &Incoming,
    ) -> Option<ArmResult<Vec<&'a Entry>>> {
        None
    }

    /// Side effects after a PUT or PATCH stored `key`.
    fn after_write(&self, _st: &mut State, _key: &str, _previous: Option<&Entry>) {}

    /// PATCH: the new body. Default: tags only (`UpdateTags`).
    fn patch(&self, _st: &State, entry: &Entry, patch: &Value) -> ArmResult<Value> {
        patch_tags(entry, patch)
    }

    /// Reads DELETE query parameters; returns `detach`.
    fn delete_params(&self, _request: &Incoming) -> ArmResult<bool> {
        Ok(false)
    }

    /// Refuses deleting a resource still in use.
    fn check_delete(&self, _st: &State, _entry: &Entry) -> ArmResult<()> {
        Ok(())
    }

    /// Side effects once the resource is gone.
    fn on_removed(&self, _st: &mut State, _entry: &Entry, _detach: bool) {}

    /// What else goes when this resource is deleted (the engine removes it with everything
    /// below it): a key of the store, or `None`.
    fn also_removes(&self, _entry: &Entry, _detach: bool) -> Option<String> {
        None
    }

    /// Location for operation URLs.
    fn location(&self, st: &State, entry: &Entry) -> String {
        entry
            .body
            .get("location")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| {
                // Children use their top-level ancestor's location.
                let parent = crate::emulator::ids::truncate_id(&entry.id, 1)?;
                st.store
                    .get(&crate::emulator::ids::key_of(&parent))?
                    .body
                    .get("location")?
                    .as_str()
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| "global".into())
    }
}

/// `UpdateTags`: replaces `tags` when given.
pub fn patch_tags(entry: &Entry, patch: &Value) -> ArmResult<Value> {
    let mut body = entry.body.clone();
    if let Some(tags) = patch.get("tags") {
        body["tags"] = tags.clone();
    }
    Ok(body)
}

/// RFC 7386 JSON merge patch.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match (target.as_object_mut(), patch.as_object()) {
        (Some(t), Some(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else if v.is_object() && t.get(k).is_some_and(Value::is_object) {
                    merge_patch(t.get_mut(k).expect("present"), v);
                } else {
                    t.insert(k.clone(), v.clone());
                }
            }
        }
        _ => *target = patch.clone(),
    }
}

/// `body.properties`, created when absent.
pub fn props(body: &mut Value) -> &mut Map<String, Value> {
    if !body.get("properties").is_some_and(Value::is_object) {
        body["properties"] = Value::Object(Map::new());
    }
    body["properties"].as_object_mut().expect("object")
}

pub fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

/// 400 `InvalidRequestContent` for a missing required field.
pub fn require(body: &Value, pointer: &str, what: &str) -> ArmResult<()> {
    match body.pointer(pointer) {
        Some(v) if !v.is_null() => Ok(()),
        _ => Err(ArmError::bad_request(
            "InvalidRequestContent",
            format!("The request content is missing the required property '{what}'."),
        )
        .with_target(what.to_owned())),
    }
}

pub fn require_location(body: &Value) -> ArmResult<()> {
    match body.get("location").and_then(Value::as_str) {
        Some(l) if !l.is_empty() => Ok(()),
        _ => Err(ArmError::bad_request(
            "LocationRequired",
            "The location property is required for this definition.",
        )),
    }
}

/// Removes read-only fields a client may have echoed back.
pub fn drop_fields(body: &mut Value, pointer_parent: &str, fields: &[&str]) {
    if let Some(obj) = body
        .pointer_mut(pointer_parent)
        .and_then(Value::as_object_mut)
    {
        for f in fields {
            obj.remove(*f);
        }
    }
}
