//! Writing a set's children: one PUT per changed child and one DELETE per child no longer
//! wanted, in an order that never closes what must stay open, stopping at the first failure.
//! The state then records what exists, so a failed apply forgets nothing.

use std::collections::{BTreeMap, BTreeSet};

use tfplugin::{Diagnostic, Diagnostics};

use super::{ChildSet, OwnedChild};
use crate::arm::{ArmClient, ArmError, CallContext};
use crate::session::arm_diagnostic;

fn child_id<S: ChildSet>(parent_id: &str, name: &str) -> String {
    let segment = S::COLLECTION.segment;
    format!("{}/{segment}/{name}", parent_id.trim_end_matches('/'))
}

async fn remove<S: ChildSet>(
    arm: &ArmClient,
    call: &CallContext,
    parent_id: &str,
    child: &S::Child,
) -> Result<(), Diagnostic> {
    let c = &S::COLLECTION;
    arm.delete(
        call,
        &child_id::<S>(parent_id, child.name()),
        c.api_version,
        &[],
    )
    .await
    .map_err(|error| {
        arm_diagnostic(
            &format!("Removing {} '{}' failed", c.child, child.name()),
            &error,
        )
    })
}

/// Brings the children from `existing` to `wanted`: removes the unwanted ones that close
/// something, writes the wanted ones that are missing or differ, then removes the other
/// unwanted ones, each group in the order given. Returns what exists afterwards (the wanted
/// children in order, then leftovers not yet removed) and the failure that stopped it.
pub(super) async fn converge<S: ChildSet>(
    arm: &ArmClient,
    call: &CallContext,
    parent_id: &str,
    existing: Vec<S::Child>,
    wanted: &[S::Child],
) -> (Vec<S::Child>, Option<Diagnostic>) {
    let c = &S::COLLECTION;
    let key = |child: &S::Child| child.name().to_ascii_lowercase();
    let wanted_keys: BTreeSet<String> = wanted.iter().map(key).collect();
    let (removed_first, removed_last): (Vec<S::Child>, Vec<S::Child>) = (existing.iter())
        .filter(|child| !wanted_keys.contains(&key(child)))
        .cloned()
        .partition(OwnedChild::closes);
    // What exists of ours, by lower-case name, kept current as writes succeed.
    let mut current: BTreeMap<String, S::Child> = existing
        .into_iter()
        .map(|child| (key(&child), child))
        .collect();
    let mut changed: Vec<&S::Child> = (wanted.iter())
        .filter(|w| !current.get(&key(w)).is_some_and(|live| live.is_as(w)))
        .collect();
    changed.sort_by_key(|child| child.closes());

    let mut failure = None;
    'writes: {
        for child in &removed_first {
            if let Err(d) = remove::<S>(arm, call, parent_id, child).await {
                failure = Some(d);
                break 'writes;
            }
            current.remove(&key(child));
        }
        for child in changed {
            let written: Result<<S::Child as OwnedChild>::Arm, ArmError> = arm
                .put(
                    call,
                    &child_id::<S>(parent_id, child.name()),
                    c.api_version,
                    &child.to_arm(),
                )
                .await;
            match written {
                Ok(answer) => {
                    current.insert(key(child), S::Child::from_answer(&answer, child));
                }
                Err(e) => {
                    // Unless ARM refused it, Azure may hold the child: record it as written,
                    // and the next refresh keeps it only if it is there.
                    if !e.write_refused() {
                        current.insert(key(child), child.clone());
                    }
                    failure = Some(arm_diagnostic(
                        &format!("Writing {} '{}' failed", c.child, child.name()),
                        &e,
                    ));
                    break 'writes;
                }
            }
        }
        for child in &removed_last {
            if let Err(d) = remove::<S>(arm, call, parent_id, child).await {
                failure = Some(d);
                break 'writes;
            }
            current.remove(&key(child));
        }
    }

    let mut recorded = Vec::new();
    for child in wanted {
        if let Some(live) = current.remove(&key(child)) {
            recorded.push(live);
        }
    }
    recorded.extend(current.into_values());
    (recorded, failure)
}

/// Removes every child of `owned` (a destroy), those that close something first, stopping
/// at the first failure.
pub(super) async fn remove_all<S: ChildSet>(
    arm: &ArmClient,
    call: &CallContext,
    parent_id: &str,
    mut owned: Vec<S::Child>,
) -> Diagnostics {
    owned.sort_by_key(|child| !child.closes());
    for child in &owned {
        if let Err(d) = remove::<S>(arm, call, parent_id, child).await {
            return d.into();
        }
    }
    Diagnostics::new()
}
