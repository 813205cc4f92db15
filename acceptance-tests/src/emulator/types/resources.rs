//! Microsoft.Resources 2024-03-01: resource groups.

use super::kind::{DeleteStyle, Kind, PutStyle, Wire, merge_patch, require_location};
use crate::emulator::http::ArmResult;
use crate::emulator::ids::ResId;
use crate::emulator::state::State;
use crate::emulator::store::Entry;
use serde_json::{Value, json};

pub static KINDS: &[&dyn Kind] = &[&ResourceGroups];

pub struct ResourceGroups;

impl Kind for ResourceGroups {
    fn type_name(&self) -> &'static str {
        "Microsoft.Resources/resourceGroups"
    }
    fn wire(&self) -> Wire {
        // DELETE: 202 + `Location`; everything in the group goes when the operation finishes.
        Wire {
            delete_missing_is_204: false,
            ..Wire::new(PutStyle::Sync { created: 201 }, DeleteStyle::Location)
        }
    }

    fn validate(&self, _: &State, _: &ResId, body: &Value, _: Option<&Entry>) -> ArmResult<()> {
        require_location(body)
    }

    fn fill(&self, _: &State, _: &ResId, body: Value, existing: Option<&Entry>) -> Value {
        let mut out = json!({
            "location": body["location"],
            "properties": {},
        });
        if let Some(existing) = existing {
            // The location of a group cannot change.
            out["location"] = existing.body["location"].clone();
        }
        for field in ["tags", "managedBy"] {
            if let Some(v) = body.get(field) {
                out[field] = v.clone();
            }
        }
        out
    }

    fn patch(&self, _: &State, entry: &Entry, patch: &Value) -> ArmResult<Value> {
        let mut body = entry.body.clone();
        for field in ["tags", "managedBy"] {
            if let Some(v) = patch.get(field) {
                merge_patch(&mut body[field], v);
                if field == "tags" {
                    body["tags"] = v.clone();
                }
            }
        }
        Ok(body)
    }
}
