//! The admin API under `/_emulator` (no auth; the emulator listens on loopback only).
//!
//! | request | effect |
//! |---|---|
//! | `GET /_emulator` | the ready-line document |
//! | `POST /_emulator/faults` | add a fault (object) or faults (array) → `{"ids":[..]}`; fields in [`super::faults`] |
//! | `GET`/`DELETE /_emulator/faults` | list (with `fired`: how often faults took effect, cleared ones too) / clear faults |
//! | `GET`/`PUT /_emulator/throttle` | `{"reads":{"capacity","refill_per_sec"},"writes":{..}}` (refills buckets) |
//! | `GET`/`PUT /_emulator/lro` | `{"polls":N,"duration_ms":MS,"retry_after":S}`: operations run MS (default 500) and answer N polls first (default 0) |
//! | `GET`/`PUT /_emulator/latency` | `{"min_ms":N,"max_ms":M}`: every ARM request waits N to M ms before it is answered |
//! | `GET`/`PUT /_emulator/usages` | `{"limits":{"NetworkSecurityGroups":5},"extra":{"PublicIPAddresses":3}}` (merged) |
//! | `GET /_emulator/service-tags` | the Service Tags list as ARM answers it |
//! | `PUT /_emulator/service-tags` | `{"name":"BatchNodeManagement.WestEurope","addressPrefixes":[..]}` replaces a tag's prefixes, bumps change numbers |
//! | `GET`/`DELETE /_emulator/requests` | request counts / reset them |
//! | `POST /_emulator/tokens/expire` | every token handed out so far expires |
//! | `POST /_emulator/seed` | `{"id":ARM id,"merge":{..},"provisioning_state":"Failed"}` merge-patches a stored resource (read-only fields too) and sets the provisioning state it reports (`Succeeded`, `Failed`, `Creating`, `Updating`, `Deleting`), as Azure leaves a resource it could not finish |
//! | `POST /_emulator/reset` | forget all resources, operations, faults and counts; default service tags |
//! | `GET /_emulator/msi/token` | App Service managed identity endpoint (`X-IDENTITY-HEADER`) |
//! | `GET /_emulator/oidc/github` | GitHub Actions' OIDC token service (`oidc_request_token`) |
//! | `POST /_emulator/oidc/ado` | Azure DevOps' OIDC token service (`ado_access_token`) |

use super::engine::render;
use super::http::{Incoming, Reply};
use super::ids::key_of;
use super::service_tags::ServiceTags;
use super::state::Emulator;
use super::store::ProvState;
use super::throttle::BucketSize;
use super::types::kind::merge_patch;
use serde_json::{Value, json};

pub fn handle(emu: &Emulator, req: &Incoming) -> Reply {
    let path = req.path.trim_end_matches('/').to_ascii_lowercase();
    let body = serde_json::from_slice::<Value>(&req.body).unwrap_or(Value::Null);
    let mut st = emu.state.lock().unwrap_or_else(|e| e.into_inner());
    super::engine::advance(&mut st);
    let method = req.method.as_str();
    match (method, path.as_str()) {
        ("GET", "/_emulator") => Reply::json(200, emu.ready.clone()),
        ("GET", "/_emulator/msi/token") => st.auth.managed_identity(req),
        ("GET", "/_emulator/oidc/github") => st.auth.github_oidc(req),
        ("POST", "/_emulator/oidc/ado") => st.auth.ado_oidc(req),
        ("POST", "/_emulator/faults") => {
            let specs = match &body {
                Value::Array(items) => items.clone(),
                other => vec![other.clone()],
            };
            let mut ids = Vec::new();
            for spec in &specs {
                match st.faults.add(spec) {
                    Ok(id) => ids.push(id),
                    Err(e) => return bad(&e),
                }
            }
            Reply::json(201, json!({ "ids": ids }))
        }
        ("GET", "/_emulator/faults") => Reply::json(
            200,
            json!({"faults": st.faults.list(), "fired": st.faults.fired()}),
        ),
        ("DELETE", "/_emulator/faults") => {
            st.faults.clear();
            Reply::new(204)
        }
        ("PUT" | "POST", "/_emulator/throttle") => {
            let size = |key: &str, current: BucketSize| -> Result<BucketSize, String> {
                let Some(spec) = body.get(key) else {
                    return Ok(current);
                };
                let number = |f: &str, d: f64| spec.get(f).and_then(Value::as_f64).unwrap_or(d);
                let size = BucketSize {
                    capacity: number("capacity", current.capacity),
                    refill_per_sec: number("refill_per_sec", current.refill_per_sec),
                };
                if size.capacity < 0.0 || size.refill_per_sec < 0.0 {
                    return Err(format!("{key}: capacity and refill_per_sec must be >= 0"));
                }
                Ok(size)
            };
            let (reads, writes) = match (
                size("reads", st.throttle.reads),
                size("writes", st.throttle.writes),
            ) {
                (Ok(r), Ok(w)) => (r, w),
                (Err(e), _) | (_, Err(e)) => return bad(&e),
            };
            st.throttle.configure(reads, writes);
            Reply::json(200, throttle_json(reads, writes))
        }
        ("GET", "/_emulator/throttle") => {
            Reply::json(200, throttle_json(st.throttle.reads, st.throttle.writes))
        }
        ("PUT" | "POST", "/_emulator/lro") => {
            if let Some(polls) = body.get("polls").and_then(Value::as_u64) {
                st.ops.polls = polls as u32;
            }
            if let Some(retry) = body.get("retry_after").and_then(Value::as_u64) {
                st.ops.retry_after = retry as u32;
            }
            if let Some(ms) = body.get("duration_ms").and_then(Value::as_u64) {
                st.ops.duration = std::time::Duration::from_millis(ms);
            }
            Reply::json(200, lro_json(&st.ops))
        }
        ("GET", "/_emulator/lro") => Reply::json(200, lro_json(&st.ops)),
        ("PUT" | "POST", "/_emulator/latency") => {
            let number = |key: &str| body.get(key).and_then(Value::as_u64);
            let (Some(min_ms), max_ms) = (number("min_ms"), number("max_ms")) else {
                return bad("latency needs min_ms (and max_ms for a range)");
            };
            let max_ms = max_ms.unwrap_or(min_ms);
            if max_ms < min_ms {
                return bad("latency: max_ms is below min_ms");
            }
            st.latency = super::state::Latency { min_ms, max_ms };
            Reply::json(200, st.latency.to_json())
        }
        ("GET", "/_emulator/latency") => Reply::json(200, st.latency.to_json()),
        ("PUT" | "POST", "/_emulator/usages") => {
            let usages = &mut st.usages;
            for (field, target) in [("limits", &mut usages.limits), ("extra", &mut usages.extra)] {
                for (name, value) in body
                    .get(field)
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    match value.as_u64() {
                        Some(n) => {
                            target.insert(name.clone(), n);
                        }
                        None => return bad(&format!("{field}.{name} must be a number")),
                    }
                }
            }
            Reply::json(
                200,
                json!({"limits": st.usages.limits, "extra": st.usages.extra}),
            )
        }
        ("GET", "/_emulator/usages") => Reply::json(
            200,
            json!({"limits": st.usages.limits, "extra": st.usages.extra}),
        ),
        ("GET", "/_emulator/service-tags") => {
            let subscription = st.subscription_id.clone();
            Reply::json(200, st.service_tags.list_json(&subscription))
        }
        ("PUT" | "POST", "/_emulator/service-tags") => {
            let Some(name) = body.get("name").and_then(Value::as_str) else {
                return bad("service-tags needs a name");
            };
            let Some(prefixes) = body
                .get("addressPrefixes")
                .and_then(Value::as_array)
                .and_then(|list| list.iter().map(|p| p.as_str().map(str::to_owned)).collect())
            else {
                return bad("service-tags needs addressPrefixes, a list of strings");
            };
            match st.service_tags.replace(name, prefixes) {
                Some(tag) => Reply::json(200, ServiceTags::tag_json(tag)),
                None => Reply::json(
                    404,
                    json!({"error": {"code": "NotFound", "message": format!("no service tag {name}")}}),
                ),
            }
        }
        ("GET", "/_emulator/requests") => Reply::json(200, st.counts.to_json()),
        ("DELETE", "/_emulator/requests") => {
            st.counts = Default::default();
            Reply::new(204)
        }
        ("POST", "/_emulator/tokens/expire") => {
            st.auth.expire_all();
            Reply::new(204)
        }
        ("POST", "/_emulator/seed") => {
            let Some(id) = body.get("id").and_then(Value::as_str) else {
                return bad("seed needs an id");
            };
            let merge = body.get("merge").cloned().unwrap_or(json!({}));
            let state = match body.get("provisioning_state").map(Value::as_str) {
                None => None,
                Some(text) => match text.and_then(ProvState::parse) {
                    Some(state) => Some(state),
                    None => {
                        return bad(
                            "provisioning_state must be one of Succeeded, Failed, Creating, Updating, Deleting",
                        );
                    }
                },
            };
            let Some(entry) = st.store.get_mut(&key_of(id)) else {
                return Reply::json(
                    404,
                    json!({"error": {"code": "ResourceNotFound", "message": format!("{id} is not stored")}}),
                );
            };
            merge_patch(&mut entry.body, &merge);
            if let Some(state) = state {
                entry.state = state;
            }
            let entry = entry.clone();
            Reply::json(200, render(&st, &entry))
        }
        ("POST", "/_emulator/reset") => {
            st.store.clear();
            st.ops.clear();
            st.faults.clear();
            st.counts = Default::default();
            st.service_tags = ServiceTags::default();
            st.policies = Default::default();
            Reply::new(204)
        }
        _ => Reply::json(
            404,
            json!({"error": {"code": "NotFound", "message": format!("No admin route {method} {}", req.path)}}),
        ),
    }
}

fn bad(message: &str) -> Reply {
    Reply::json(
        400,
        json!({"error": {"code": "BadRequest", "message": message}}),
    )
}

fn lro_json(ops: &super::lro::Operations) -> Value {
    json!({"polls": ops.polls, "duration_ms": ops.duration.as_millis() as u64,
        "retry_after": ops.retry_after})
}

fn throttle_json(reads: BucketSize, writes: BucketSize) -> Value {
    json!({
        "reads": {"capacity": reads.capacity, "refill_per_sec": reads.refill_per_sec},
        "writes": {"capacity": writes.capacity, "refill_per_sec": writes.refill_per_sec},
    })
}
