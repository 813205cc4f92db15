//! Microsoft.Authorization 2020-05-01: management locks at subscription and resource-group
//! scope (`locks.json`). A lock applies to everything below its scope, so a list at a
//! resource group also shows the subscription's locks, as Azure does; `$filter=atScope()`
//! keeps only locks at or above the listed scope. Locks are listed, not enforced: writes
//! under a lock still succeed here.

use super::kind::{DeleteStyle, Kind, PutStyle, Wire, require};
use crate::emulator::http::{ArmError, ArmResult, Incoming};
use crate::emulator::ids::ResId;
use crate::emulator::state::State;
use crate::emulator::store::Entry;
use serde_json::{Value, json};

pub static KINDS: &[&dyn Kind] = &[&Locks];

/// The store's type key of locks.
const TYPE_KEY: &str = "microsoft.authorization/locks";

pub const LOCK_LEVELS: [&str; 3] = ["NotSpecified", "CanNotDelete", "ReadOnly"];

pub struct Locks;

impl Kind for Locks {
    fn type_name(&self) -> &'static str {
        "Microsoft.Authorization/locks"
    }
    fn wire(&self) -> Wire {
        // 201 for a new lock, 200 for an update; locks have no provisioning state.
        Wire {
            provisioning_state: |_| None,
            ..Wire::new(PutStyle::Sync { created: 201 }, DeleteStyle::Sync)
        }
    }

    fn validate(&self, _: &State, _: &ResId, body: &Value, _: Option<&Entry>) -> ArmResult<()> {
        require(body, "/properties/level", "properties.level")?;
        let level = body.pointer("/properties/level").and_then(Value::as_str);
        if !level.is_some_and(|l| LOCK_LEVELS.iter().any(|k| k.eq_ignore_ascii_case(l))) {
            return Err(ArmError::bad_request(
                "LockLevelInvalid",
                format!(
                    "The lock level '{}' is invalid. Valid values are {}.",
                    level.unwrap_or_default(),
                    LOCK_LEVELS.join(", ")
                ),
            ));
        }
        if body
            .pointer("/properties/notes")
            .and_then(Value::as_str)
            .is_some_and(|n| n.chars().count() > 512)
        {
            return Err(ArmError::bad_request(
                "LockNotesTooLong",
                "The lock notes can have at most 512 characters.",
            ));
        }
        Ok(())
    }

    fn fill(&self, _: &State, _: &ResId, body: Value, _: Option<&Entry>) -> Value {
        let mut properties = json!({ "level": body["properties"]["level"] });
        for field in ["notes", "owners"] {
            if let Some(v) = body["properties"].get(field) {
                properties[field] = v.clone();
            }
        }
        json!({ "properties": properties })
    }

    fn list<'a>(
        &self,
        st: &'a State,
        collection: &ResId,
        req: &Incoming,
    ) -> Option<ArmResult<Vec<&'a Entry>>> {
        Some(list_locks(st, collection, req))
    }
}

/// `ListAtSubscriptionLevel` (every lock of the subscription) and `ListAtResourceGroupLevel`
/// (the group's locks, those of resources in it, and the subscription's, which it inherits).
fn list_locks<'a>(st: &'a State, collection: &ResId, req: &Incoming) -> ArmResult<Vec<&'a Entry>> {
    let at_scope_only = match req.query_param("$filter") {
        None => false,
        Some(f) if f.replace(' ', "").eq_ignore_ascii_case("atScope()") => true,
        Some(f) => {
            return Err(ArmError::bad_request(
                "InvalidFilter",
                format!("The filter '{f}' is not supported. Use 'atScope()' or no filter."),
            ));
        }
    };
    let subscription = format!(
        "/subscriptions/{}",
        collection.subscription.to_ascii_lowercase()
    );
    let subscription_locks = st
        .store
        .of_type(&subscription, TYPE_KEY)
        .into_iter()
        .filter(|e| scope_of(e) == subscription);
    let Some(rg_key) = collection.resource_group_key() else {
        return Ok(if at_scope_only {
            subscription_locks.collect()
        } else {
            st.store.of_type(&subscription, TYPE_KEY)
        });
    };
    if !st.store.contains(&rg_key) {
        return Err(ArmError::new(
            404,
            "ResourceGroupNotFound",
            format!(
                "Resource group '{}' could not be found.",
                collection.resource_group.as_deref().unwrap_or("")
            ),
        ));
    }
    let in_group = st
        .store
        .of_type(&rg_key, TYPE_KEY)
        .into_iter()
        .filter(|e| !at_scope_only || scope_of(e) == rg_key);
    Ok(subscription_locks.chain(in_group).collect())
}

/// The lower-case scope a lock is on: its id without `/providers/Microsoft.Authorization/locks/{name}`.
fn scope_of(entry: &Entry) -> String {
    let key = entry.id.to_ascii_lowercase();
    key.rsplitn(5, '/').last().unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::store::ProvState;

    #[test]
    fn scope_is_the_id_before_the_lock() {
        let entry = |id: &str| Entry {
            id: id.to_owned(),
            type_key: "microsoft.authorization/locks".into(),
            body: json!({}),
            etag: None,
            state: ProvState::Succeeded,
        };
        assert_eq!(
            scope_of(&entry(
                "/subscriptions/S/providers/Microsoft.Authorization/locks/keep"
            )),
            "/subscriptions/s"
        );
        assert_eq!(
            scope_of(&entry(
                "/subscriptions/s/resourceGroups/RG/providers/Microsoft.Authorization/locks/keep"
            )),
            "/subscriptions/s/resourcegroups/rg"
        );
    }
}
