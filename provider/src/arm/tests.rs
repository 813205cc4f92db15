//! ARM client tests against in-process mock servers on 127.0.0.1 (plain HTTP, and one over
//! HTTPS with a generated CA). No traffic leaves loopback.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{HeaderMap, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite};

use super::*;

const SUB: &str = "/subscriptions/00000000-0000-0000-0000-000000000001";

fn compute_id() -> String {
    format!(
        "{SUB}/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/computes/cpu"
    )
}

fn subnet_id() -> String {
    format!(
        "{SUB}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/compute"
    )
}

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    query: String,
    headers: HeaderMap,
    body: String,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

#[derive(Debug, Clone)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
    delay: Duration,
}

fn reply(status: u16, body: Value) -> Reply {
    Reply {
        status,
        headers: Vec::new(),
        body: if body.is_null() {
            String::new()
        } else {
            body.to_string()
        },
        delay: Duration::ZERO,
    }
}

impl Reply {
    fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// `(request, n)` → reply, where `n` counts earlier requests with the same method and path.
type Script = Arc<dyn Fn(&Seen, usize) -> Reply + Send + Sync>;

#[derive(Clone)]
struct ServerState {
    script: Script,
    seen: Arc<Mutex<Vec<Seen>>>,
    counters: Arc<Mutex<HashMap<String, usize>>>,
}

struct MockServer {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl MockServer {
    fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn summary(&self) -> Vec<String> {
        self.requests()
            .iter()
            .map(|s| format!("{} {}", s.method, s.path))
            .collect()
    }
}

async fn handle(
    state: ServerState,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|body| body.to_bytes())
        .unwrap_or_default();
    let seen = Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or_default().to_owned(),
        headers: parts.headers.clone(),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let n = {
        let mut counters = state.counters.lock().unwrap();
        let counter = counters
            .entry(format!(
                "{} {}",
                seen.method,
                seen.path.to_ascii_lowercase()
            ))
            .or_default();
        *counter += 1;
        *counter - 1
    };
    state.seen.lock().unwrap().push(seen.clone());
    let answer = (state.script)(&seen, n);
    if !answer.delay.is_zero() {
        tokio::time::sleep(answer.delay).await;
    }
    let mut response = Response::builder()
        .status(StatusCode::from_u16(answer.status).unwrap())
        .header("content-type", "application/json");
    for (name, value) in &answer.headers {
        response = response.header(name, value);
    }
    Ok(response.body(Full::new(Bytes::from(answer.body))).unwrap())
}

fn server_state(script: Script) -> ServerState {
    ServerState {
        script,
        seen: Arc::default(),
        counters: Arc::default(),
    }
}

/// Answers HTTP/1 requests on one connection, plain or TLS, in the background.
fn serve_connection(io: impl AsyncRead + AsyncWrite + Unpin + Send + 'static, state: ServerState) {
    let service = hyper::service::service_fn(move |request| handle(state.clone(), request));
    tokio::spawn(async move {
        let _ = hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(io), service)
            .await;
    });
}

/// Starts a plain-HTTP mock; `build` gets the base URL (for absolute LRO URLs).
async fn start(build: impl FnOnce(String) -> Script) -> MockServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = server_state(build(base.clone()));
    let seen = state.seen.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            serve_connection(stream, state.clone());
        }
    });
    MockServer { base, seen }
}

fn client_for(base: &str) -> ArmClient {
    client_with(
        base,
        ArmClientOptions {
            user_agent_suffix: Some("unit-test".to_owned()),
            retry: RetryPolicy::fast(),
            poll: PollPolicy::fast(),
        },
    )
}

fn client_with(base: &str, options: ArmClientOptions) -> ArmClient {
    let http = http::build_http_client(&HttpSettings {
        use_env_proxy: false,
        ..Default::default()
    })
    .unwrap();
    let cloud = Cloud::public().with_resource_manager(base.parse().unwrap());
    ArmClient::new(
        http,
        &cloud,
        Arc::new(StaticTokenSource(Secret::new("test-token"))),
        options,
    )
}

fn ctx() -> CallContext {
    CallContext::background().with_timeout(Duration::from_secs(20))
}

fn aml_body(state: &str) -> Value {
    json!({
        "id": compute_id(),
        "name": "cpu",
        "type": "Microsoft.MachineLearningServices/workspaces/computes",
        "location": "eastus",
        "properties": {
            "computeType": "AmlCompute",
            "provisioningState": state,
            "properties": {
                "vmSize": "STANDARD_D2_V2",
                "scaleSettings": {"maxNodeCount": 4, "minNodeCount": 0},
                "subnet": {"id": subnet_id()},
                "allocationState": "Steady"
            }
        }
    })
}

fn aml_request() -> models::ComputeResource {
    models::ComputeResource {
        location: Some("eastus".into()),
        properties: models::Compute {
            compute_type: "AmlCompute".into(),
            properties: Some(models::ComputeProperties::AmlCompute(
                models::AmlComputeProperties {
                    vm_size: Some("STANDARD_D2_V2".into()),
                    scale_settings: Some(models::ScaleSettings {
                        max_node_count: 4,
                        min_node_count: Some(0),
                        node_idle_time_before_scale_down: Some("PT120S".into()),
                    }),
                    subnet: Some(models::SubResource::new(subnet_id())),
                    enable_node_public_ip: Some(false),
                    ..Default::default()
                },
            )),
            ..Default::default()
        },
        ..Default::default()
    }
}

// ---------------------------------------------------------------------------------------
// Plain requests, headers, retries, errors

#[tokio::test]
async fn get_sends_auth_request_id_user_agent_and_api_version() {
    let server = start(|_| Arc::new(|_: &Seen, _| reply(200, aml_body("Succeeded")))).await;
    let client = client_for(&server.base);
    let compute: models::ComputeResource = client
        .get(&ctx(), &compute_id(), api_version::MACHINE_LEARNING)
        .await
        .unwrap();
    assert_eq!(
        compute.aml_compute().unwrap().vm_size.as_deref(),
        Some("STANDARD_D2_V2")
    );
    let seen = &server.requests()[0];
    assert_eq!(seen.method, "GET");
    assert_eq!(seen.path, compute_id());
    assert_eq!(seen.query, "api-version=2024-04-01");
    assert_eq!(seen.header("authorization"), Some("Bearer test-token"));
    assert_eq!(
        seen.header("user-agent"),
        Some(concat!(
            "terraform-provider-amlsecure/",
            env!("CARGO_PKG_VERSION"),
            " unit-test"
        ))
    );
    let request_id = seen.header("x-ms-client-request-id").unwrap();
    assert_eq!(request_id.len(), 36);
}

#[tokio::test]
async fn retries_429_honouring_retry_after() {
    let server = start(|_| {
        Arc::new(|_: &Seen, n| match n {
            0 => reply(
                429,
                json!({"error": {"code": "TooManyRequests", "message": "slow down"}}),
            )
            .header("retry-after", "1"),
            _ => reply(200, aml_body("Succeeded")),
        })
    })
    .await;
    let client = client_for(&server.base);
    let started = Instant::now();
    let _: Value = client
        .get(&ctx(), &compute_id(), api_version::MACHINE_LEARNING)
        .await
        .unwrap();
    assert_eq!(server.requests().len(), 2);
    // The fast policy's own backoff is ~10 ms: a 1 s wait came from Retry-After.
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    let ids: Vec<_> = server
        .requests()
        .iter()
        .map(|s| s.header("x-ms-client-request-id").unwrap().to_owned())
        .collect();
    assert_eq!(
        ids[0], ids[1],
        "one logical request keeps its client request id"
    );
}

#[tokio::test]
async fn retries_503_then_succeeds() {
    let server = start(|_| {
        Arc::new(|_: &Seen, n| match n {
            0 | 1 => reply(
                503,
                json!({"error": {"code": "ServiceUnavailable", "message": "busy"}}),
            ),
            _ => reply(200, json!({"ok": true})),
        })
    })
    .await;
    let client = client_for(&server.base);
    let value: Value = client
        .get(&ctx(), &compute_id(), api_version::MACHINE_LEARNING)
        .await
        .unwrap();
    assert_eq!(value["ok"], true);
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn retries_put_on_another_operation_codes() {
    let server = start(|_| {
        Arc::new(|seen: &Seen, n| match (seen.method.as_str(), n) {
            ("PUT", 0) => reply(
                429,
                json!({"error": {"code": "RetryableErrorDueToAnotherOperation", "message": "Operation on subnet is in progress."}}),
            )
            .header("retry-after", "0"),
            ("PUT", 1) => reply(409, json!({"error": {"code": "AnotherOperationInProgress", "message": "busy"}})),
            ("PUT", _) => reply(200, json!({"id": subnet_id(), "properties": {"addressPrefix": "10.0.0.0/24", "provisioningState": "Succeeded"}})),
            _ => reply(500, Value::Null),
        })
    })
    .await;
    let client = client_for(&server.base);
    let subnet: models::Subnet = client
        .put(
            &ctx(),
            &subnet_id(),
            api_version::NETWORK,
            &json!({"properties": {"addressPrefix": "10.0.0.0/24"}}),
        )
        .await
        .unwrap();
    assert_eq!(subnet.prefixes(), vec!["10.0.0.0/24"]);
    let seen = server.requests();
    assert_eq!(seen.len(), 3);
    assert!(
        seen.iter()
            .all(|s| s.body == r#"{"properties":{"addressPrefix":"10.0.0.0/24"}}"#)
    );
}

#[tokio::test]
async fn no_retry_on_400_and_error_is_parsed_with_correlation_id() {
    let server = start(|_| {
        Arc::new(|_: &Seen, _| {
            reply(
                400,
                json!({"error": {"code": "NetcfgInvalidSubnet", "message": "Subnet 'compute' is not valid in virtual network 'vnet'.", "target": "addressPrefix", "details": []}}),
            )
            .header("x-ms-request-id", "req-1")
            .header("x-ms-correlation-request-id", "corr-1")
        })
    })
    .await;
    let client = client_for(&server.base);
    let err = client
        .put::<_, Value>(&ctx(), &subnet_id(), api_version::NETWORK, &json!({}))
        .await
        .unwrap_err();
    assert_eq!(server.requests().len(), 1);
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.code(), Some("NetcfgInvalidSubnet"));
    assert_eq!(err.correlation_id(), Some("corr-1"));
    assert_eq!(
        err.detail().unwrap().target.as_deref(),
        Some("addressPrefix")
    );
    let text = err.to_string();
    assert!(
        text.contains("PUT") && text.contains("HTTP 400") && text.contains("corr-1"),
        "{text}"
    );
    assert!(!text.contains("test-token"), "{text}");
}

#[tokio::test]
async fn request_id_is_the_fallback_correlation_id_and_404_is_not_found() {
    let server = start(|_| {
        Arc::new(|_: &Seen, _| {
            reply(
                404,
                json!({"error": {"code": "ResourceNotFound", "message": "not found"}}),
            )
            .header("x-ms-request-id", "req-404")
        })
    })
    .await;
    let client = client_for(&server.base);
    let err = client
        .get::<Value>(&ctx(), &subnet_id(), api_version::NETWORK)
        .await
        .unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(err.correlation_id(), Some("req-404"));
    let none: Option<Value> = client
        .get_optional(&ctx(), &subnet_id(), api_version::NETWORK)
        .await
        .unwrap();
    assert!(none.is_none());
}

#[tokio::test]
async fn post_is_not_retried_on_503_but_is_on_429() {
    let server = start(|_| {
        Arc::new(|seen: &Seen, n| {
            if seen.path.ends_with("/listKeys") {
                reply(
                    503,
                    json!({"error": {"code": "ServiceUnavailable", "message": "down"}}),
                )
            } else if n == 0 {
                reply(
                    429,
                    json!({"error": {"code": "TooManyRequests", "message": "x"}}),
                )
                .header("retry-after", "0")
            } else {
                reply(200, json!({"started": true}))
            }
        })
    })
    .await;
    let client = client_for(&server.base);
    let err = client
        .post::<Value>(
            &ctx(),
            &format!("{}/listKeys", compute_id()),
            api_version::MACHINE_LEARNING,
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    let started: Option<Value> = client
        .post(
            &ctx(),
            &format!("{}/start", compute_id()),
            api_version::MACHINE_LEARNING,
            Some(&json!({})),
        )
        .await
        .unwrap();
    assert_eq!(started.unwrap()["started"], true);
    assert_eq!(
        server
            .summary()
            .iter()
            .filter(|s| s.ends_with("/listKeys"))
            .count(),
        1
    );
    assert_eq!(
        server
            .summary()
            .iter()
            .filter(|s| s.ends_with("/start"))
            .count(),
        2
    );
}

#[tokio::test]
async fn connection_errors_are_retried_then_reported() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    drop(listener);
    let client = client_for(&format!("http://{addr}"));
    let err = client
        .get::<Value>(&ctx(), &compute_id(), api_version::MACHINE_LEARNING)
        .await
        .unwrap_err();
    assert!(matches!(err, ArmError::Transport { .. }), "{err:?}");
    assert!(err.to_string().contains("could not reach"), "{err}");
}

#[tokio::test]
async fn list_follows_next_link() {
    let server = start(|base| {
        Arc::new(move |seen: &Seen, _| {
            if seen.query.contains("page=2") {
                reply(200, json!({"value": [{"id": "b", "currentValue": 2.0, "limit": 3.0}]}))
            } else {
                reply(200, json!({"value": [{"id": "a"}], "nextLink": format!("{base}{}?api-version=2024-01-01&page=2", seen.path)}))
            }
        })
    })
    .await;
    let client = client_for(&server.base);
    let usages: Vec<models::VirtualNetworkUsage> = client
        .list(
            &ctx(),
            &format!(
                "{SUB}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/vnet/usages"
            ),
            api_version::NETWORK,
        )
        .await
        .unwrap();
    assert_eq!(usages.len(), 2);
    assert_eq!(usages[1].limit, Some(3.0));
}

#[tokio::test]
async fn urls_from_other_origins_are_refused() {
    let server = start(|_| {
        Arc::new(|seen: &Seen, _| match seen.method.as_str() {
            "PUT" => reply(201, aml_body("Creating"))
                .header("azure-asyncoperation", "http://127.0.0.2:9/operations/1"),
            _ => reply(200, json!({"status": "Succeeded"})),
        })
    })
    .await;
    let client = client_for(&server.base);
    let err = client
        .put::<_, Value>(
            &ctx(),
            &compute_id(),
            api_version::MACHINE_LEARNING,
            &aml_request(),
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("refusing to send credentials"),
        "{err}"
    );
    assert_eq!(server.requests().len(), 1);
}

// ---------------------------------------------------------------------------------------
// Long-running operations

#[tokio::test]
async fn lro_via_azure_async_operation_succeeds() {
    let server = start(|base| {
        Arc::new(move |seen: &Seen, n| match seen.method.as_str() {
            "PUT" => reply(201, aml_body("Creating"))
                .header("azure-asyncoperation", format!("{base}{SUB}/providers/Microsoft.MachineLearningServices/locations/eastus/computeOperationsStatus/op1?api-version=2024-04-01"))
                .header("retry-after", "10")
                .header("x-ms-correlation-request-id", "corr-put"),
            "GET" if seen.path.contains("computeOperationsStatus") => match n {
                0 | 1 => reply(200, json!({"status": "InProgress"})),
                _ => reply(200, json!({"status": "Succeeded"})),
            },
            _ => reply(200, aml_body("Succeeded")),
        })
    })
    .await;
    let client = client_for(&server.base);
    let started = Instant::now();
    let compute: models::ComputeResource = client
        .put(
            &ctx(),
            &compute_id(),
            api_version::MACHINE_LEARNING,
            &aml_request(),
        )
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "poll policy caps Retry-After: 10"
    );
    assert_eq!(
        compute.properties.provisioning_state.as_deref(),
        Some("Succeeded")
    );
    let summary = server.summary();
    assert_eq!(summary.len(), 5, "{summary:?}");
    assert!(summary[0].starts_with("PUT "));
    assert!(
        summary[1..4]
            .iter()
            .all(|s| s.contains("computeOperationsStatus"))
    );
    assert_eq!(summary[4], format!("GET {}", compute_id()));
    // The PUT body carries no read-only fields.
    let put: Value = serde_json::from_str(&server.requests()[0].body).unwrap();
    assert_eq!(put["properties"]["computeType"], "AmlCompute");
    assert!(put["properties"].get("provisioningState").is_none());
    assert_eq!(put["properties"]["properties"]["enableNodePublicIp"], false);
}

#[tokio::test]
async fn lro_via_azure_async_operation_fails_with_error() {
    let server = start(|base| {
        Arc::new(move |seen: &Seen, n| match seen.method.as_str() {
            "PUT" => reply(201, aml_body("Creating"))
                .header("azure-asyncoperation", format!("{base}/operations/op2"))
                .header("x-ms-correlation-request-id", "corr-failed"),
            _ => match n {
                0 => reply(200, json!({"status": "Running"})),
                _ => reply(200, json!({"status": "Failed", "error": {"code": "BadArgument", "message": "Subnet has no free IP addresses", "target": "subnet"}})),
            },
        })
    })
    .await;
    let client = client_for(&server.base);
    let err = client
        .put::<_, Value>(
            &ctx(),
            &compute_id(),
            api_version::MACHINE_LEARNING,
            &aml_request(),
        )
        .await
        .unwrap_err();
    let ArmError::OperationFailed {
        status,
        error,
        progress,
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(status, "Failed");
    assert_eq!(error.as_ref().unwrap().code, "BadArgument");
    assert_eq!(progress.resource_id.as_deref(), Some(compute_id().as_str()));
    assert_eq!(progress.correlation_id.as_deref(), Some("corr-failed"));
    let text = err.to_string();
    assert!(
        text.contains("Subnet has no free IP addresses") && text.contains("corr-failed"),
        "{text}"
    );
}

#[tokio::test]
async fn lro_via_location() {
    let server = start(|base| {
        Arc::new(move |seen: &Seen, n| match (seen.method.as_str(), seen.path.as_str()) {
            ("PUT", _) => reply(202, Value::Null).header("location", format!("{base}/operationResults/op3")),
            ("GET", "/operationResults/op3") => match n {
                0 | 1 => reply(202, Value::Null).header("retry-after", "1"),
                _ => reply(200, json!({})),
            },
            _ => reply(200, json!({"id": "ws", "location": "eastus", "properties": {"provisioningState": "Succeeded", "storageAccount": "sa"}})),
        })
    })
    .await;
    let client = client_for(&server.base);
    let ws_id = format!(
        "{SUB}/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws"
    );
    let ws: models::Workspace = client
        .put(
            &ctx(),
            &ws_id,
            api_version::MACHINE_LEARNING,
            &json!({"location": "eastus"}),
        )
        .await
        .unwrap();
    assert_eq!(ws.properties.storage_account.as_deref(), Some("sa"));
    assert_eq!(
        server.summary(),
        vec![
            format!("PUT {ws_id}"),
            "GET /operationResults/op3".to_owned(),
            "GET /operationResults/op3".to_owned(),
            "GET /operationResults/op3".to_owned(),
            format!("GET {ws_id}"),
        ]
    );
}

#[tokio::test]
async fn lro_via_provisioning_state() {
    let server = start(|_| {
        Arc::new(|seen: &Seen, n| match seen.method.as_str() {
            "PUT" => reply(201, aml_body("Creating")),
            _ => match n {
                0 => reply(200, aml_body("Updating")),
                _ => reply(200, aml_body("Succeeded")),
            },
        })
    })
    .await;
    let client = client_for(&server.base);
    let compute: models::ComputeResource = client
        .put(
            &ctx(),
            &compute_id(),
            api_version::MACHINE_LEARNING,
            &aml_request(),
        )
        .await
        .unwrap();
    assert_eq!(
        compute.properties.provisioning_state.as_deref(),
        Some("Succeeded")
    );
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn a_read_waits_out_an_operation_still_running() {
    let server = start(|_| {
        Arc::new(|_: &Seen, n| match n {
            0 | 1 => reply(200, aml_body("Updating")),
            2 => reply(200, aml_body("Failed")),
            _ => reply(200, aml_body("Succeeded")),
        })
    })
    .await;
    let client = client_for(&server.base);
    let compute: models::ComputeResource = client
        .get_settled(&ctx(), &compute_id(), api_version::MACHINE_LEARNING)
        .await
        .unwrap();
    // A failed resource is an answer, not an error: the caller reports it as it is.
    assert_eq!(
        compute.properties.provisioning_state.as_deref(),
        Some("Failed")
    );
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn lro_provisioning_state_failed_reports_provisioning_errors() {
    let server = start(|_| {
        Arc::new(|seen: &Seen, _| match seen.method.as_str() {
            "PUT" => reply(201, aml_body("Creating")),
            _ => {
                let mut body = aml_body("Failed");
                body["properties"]["provisioningErrors"] =
                    json!([{"error": {"code": "QuotaExceeded", "message": "Not enough cores"}}]);
                reply(200, body)
            }
        })
    })
    .await;
    let client = client_for(&server.base);
    let err = client
        .put::<_, Value>(
            &ctx(),
            &compute_id(),
            api_version::MACHINE_LEARNING,
            &aml_request(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("QuotaExceeded"));
    assert_eq!(
        err.progress().unwrap().last_status.as_deref(),
        Some("Failed")
    );
}

#[tokio::test]
async fn delete_lro_via_location_and_query_parameters() {
    let server = start(|base| {
        Arc::new(
            move |seen: &Seen, n| match (seen.method.as_str(), seen.path.as_str()) {
                ("DELETE", _) => reply(202, Value::Null)
                    .header("location", format!("{base}/operationResults/del1")),
                (_, "/operationResults/del1") if n == 0 => reply(202, Value::Null),
                _ => reply(204, Value::Null),
            },
        )
    })
    .await;
    let client = client_for(&server.base);
    client
        .delete(
            &ctx(),
            &compute_id(),
            api_version::MACHINE_LEARNING,
            &[("underlyingResourceAction", "Delete")],
        )
        .await
        .unwrap();
    let seen = server.requests();
    assert_eq!(
        seen[0].query,
        "api-version=2024-04-01&underlyingResourceAction=Delete"
    );
    assert_eq!(seen.len(), 3);
}

#[tokio::test]
async fn delete_lro_via_async_operation_and_via_get_until_404() {
    let server = start(|base| {
        Arc::new(
            move |seen: &Seen, n| match (seen.method.as_str(), seen.path.as_str()) {
                ("DELETE", p) if p.ends_with("/ao") => reply(202, Value::Null)
                    .header("azure-asyncoperation", format!("{base}/operations/del2"))
                    .header("location", format!("{base}/operationResults/del2")),
                ("GET", "/operations/del2") => match n {
                    0 => reply(200, json!({"status": "Deleting"})),
                    _ => reply(200, json!({"status": "Succeeded"})),
                },
                ("DELETE", _) => reply(202, Value::Null),
                ("GET", _) => match n {
                    0 => reply(
                        200,
                        json!({"properties": {"provisioningState": "Deleting"}}),
                    ),
                    _ => reply(
                        404,
                        json!({"error": {"code": "ResourceNotFound", "message": "gone"}}),
                    ),
                },
                _ => reply(500, Value::Null),
            },
        )
    })
    .await;
    let client = client_for(&server.base);
    let base_id =
        format!("{SUB}/resourceGroups/net/providers/Microsoft.Network/networkSecurityGroups");
    client
        .delete(&ctx(), &format!("{base_id}/ao"), api_version::NETWORK, &[])
        .await
        .unwrap();
    client
        .delete(
            &ctx(),
            &format!("{base_id}/plain"),
            api_version::NETWORK,
            &[],
        )
        .await
        .unwrap();
    let summary = server.summary();
    assert_eq!(
        summary
            .iter()
            .filter(|s| s.contains("/operations/del2"))
            .count(),
        2,
        "{summary:?}"
    );
    assert!(
        !summary.iter().any(|s| s.contains("operationResults")),
        "{summary:?}"
    );
    assert_eq!(
        summary
            .iter()
            .filter(|s| *s == &format!("GET {base_id}/plain"))
            .count(),
        2
    );
}

#[tokio::test]
async fn delete_of_a_missing_resource_succeeds() {
    let server = start(|_| {
        Arc::new(|_: &Seen, _| {
            reply(
                404,
                json!({"error": {"code": "ResourceNotFound", "message": "gone"}}),
            )
        })
    })
    .await;
    let client = client_for(&server.base);
    client
        .delete(
            &ctx(),
            &compute_id(),
            api_version::MACHINE_LEARNING,
            &[("underlyingResourceAction", "Delete")],
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn deadline_exceeded_keeps_what_is_known() {
    let server = start(|base| {
        Arc::new(move |seen: &Seen, _| match seen.method.as_str() {
            "PUT" => reply(201, aml_body("Creating"))
                .header("azure-asyncoperation", format!("{base}/operations/slow"))
                .header("x-ms-correlation-request-id", "corr-slow"),
            _ => reply(200, json!({"status": "InProgress"})),
        })
    })
    .await;
    let client = client_for(&server.base);
    let started = Instant::now();
    let ctx = CallContext::background().with_timeout(Duration::from_millis(300));
    let err = client
        .put::<_, Value>(
            &ctx,
            &compute_id(),
            api_version::MACHINE_LEARNING,
            &aml_request(),
        )
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let ArmError::Timeout {
        operation,
        progress,
        ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(operation, &format!("PUT {}", compute_id()));
    assert_eq!(progress.resource_id.as_deref(), Some(compute_id().as_str()));
    assert_eq!(progress.last_status.as_deref(), Some("InProgress"));
    assert_eq!(progress.correlation_id.as_deref(), Some("corr-slow"));
    assert!(
        progress
            .operation_url
            .as_deref()
            .unwrap()
            .ends_with("/operations/slow")
    );
    assert!(err.to_string().contains("timeout"), "{err}");
}

#[tokio::test]
async fn deadline_cuts_a_long_retry_after() {
    let server = start(|_| {
        Arc::new(|_: &Seen, _| {
            reply(
                429,
                json!({"error": {"code": "TooManyRequests", "message": "later"}}),
            )
            .header("retry-after", "30")
        })
    })
    .await;
    let client = client_for(&server.base);
    let started = Instant::now();
    let ctx = CallContext::background().with_timeout(Duration::from_secs(2));
    let err = client
        .get::<Value>(&ctx, &compute_id(), api_version::MACHINE_LEARNING)
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1));
    let ArmError::Timeout {
        last_error: Some(last),
        ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(last.status(), Some(429));
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn cancellation_returns_promptly() {
    let server =
        start(|_| Arc::new(|_: &Seen, _| reply(200, json!({})).delay(Duration::from_secs(10))))
            .await;
    let client = client_for(&server.base);
    let token = CancellationToken::new();
    let ctx = CallContext::new(token.clone());
    let cancel = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        cancel.cancel();
    });
    let started = Instant::now();
    let err = client
        .get::<Value>(&ctx, &compute_id(), api_version::MACHINE_LEARNING)
        .await
        .unwrap_err();
    assert!(err.is_cancelled(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn cancelling_an_lro_keeps_the_resource_id() {
    let server = start(|base| {
        Arc::new(move |seen: &Seen, _| match seen.method.as_str() {
            "PUT" => reply(201, aml_body("Creating"))
                .header("azure-asyncoperation", format!("{base}/operations/forever")),
            _ => reply(200, json!({"status": "InProgress"})),
        })
    })
    .await;
    let client = client_for(&server.base);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let ctx = CallContext::new(cancel_on(async move {
        let _ = stop_rx.await;
    }));
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let _ = stop_tx.send(());
    });
    let err = client
        .put::<_, Value>(
            &ctx,
            &compute_id(),
            api_version::MACHINE_LEARNING,
            &aml_request(),
        )
        .await
        .unwrap_err();
    let ArmError::Cancelled { progress, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(progress.resource_id.as_deref(), Some(compute_id().as_str()));
    assert_eq!(progress.last_status.as_deref(), Some("InProgress"));
}

// ---------------------------------------------------------------------------------------
// Read cache

#[tokio::test]
async fn ten_concurrent_cached_gets_cost_one_request() {
    let server = start(|_| {
        Arc::new(|seen: &Seen, _| match seen.method.as_str() {
            "GET" => reply(
                200,
                json!({"id": subnet_id(), "properties": {"addressPrefix": "10.0.0.0/24"}}),
            )
            .delay(Duration::from_millis(100)),
            _ => reply(
                200,
                json!({"id": subnet_id(), "properties": {"addressPrefix": "10.0.1.0/24"}}),
            ),
        })
    })
    .await;
    let client = client_for(&server.base);
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move {
                let id = if i % 2 == 0 {
                    subnet_id()
                } else {
                    subnet_id().to_uppercase()
                };
                client
                    .get_cached::<models::Subnet>(&ctx(), &id, api_version::NETWORK)
                    .await
                    .unwrap()
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().prefixes(), vec!["10.0.0.0/24"]);
    }
    assert_eq!(server.requests().len(), 1);

    // A write invalidates: the next cached read goes to ARM again.
    let _: Value = client
        .put(
            &ctx(),
            &subnet_id(),
            api_version::NETWORK,
            &json!({"properties": {"addressPrefix": "10.0.1.0/24"}}),
        )
        .await
        .unwrap();
    let _: models::Subnet = client
        .get_cached(&ctx(), &subnet_id(), api_version::NETWORK)
        .await
        .unwrap();
    let _: models::Subnet = client
        .get_cached(&ctx(), &subnet_id(), api_version::NETWORK)
        .await
        .unwrap();
    assert_eq!(
        server
            .summary()
            .iter()
            .filter(|s| s.starts_with("GET"))
            .count(),
        2
    );
}

// ---------------------------------------------------------------------------------------
// HTTPS with a generated CA, and a real azure_identity client-secret credential

struct TestPki {
    _dir: tempfile::TempDir,
    ca_file: std::path::PathBuf,
    acceptor: tokio_rustls::TlsAcceptor,
}

fn test_pki() -> TestPki {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
        SanType,
    };
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "amlsecure unit-test CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);

    let leaf_key = KeyPair::generate().unwrap();
    let mut leaf_params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    leaf_params
        .subject_alt_names
        .push(SanType::IpAddress(std::net::IpAddr::from([127, 0, 0, 1])));
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("test-ca.pem");
    std::fs::write(&ca_file, ca_cert.pem()).unwrap();

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
        )
        .unwrap();
    TestPki {
        _dir: dir,
        ca_file,
        acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
    }
}

async fn start_tls(
    acceptor: tokio_rustls::TlsAcceptor,
    build: impl FnOnce(String) -> Script,
) -> MockServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("https://{}", listener.local_addr().unwrap());
    let state = server_state(build(base.clone()));
    let seen = state.seen.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let state = state.clone();
            tokio::spawn(async move {
                if let Ok(tls) = acceptor.accept(stream).await {
                    serve_connection(tls, state);
                }
            });
        }
    });
    MockServer { base, seen }
}

#[tokio::test]
async fn https_with_test_ca_and_client_secret_credential() {
    let pki = test_pki();
    let token_requests = Arc::new(AtomicUsize::new(0));
    let counter = token_requests.clone();
    let server = start_tls(pki.acceptor.clone(), move |_| {
        Arc::new(move |seen: &Seen, _| {
            if seen.path.ends_with("/oauth2/v2.0/token") {
                counter.fetch_add(1, Ordering::SeqCst);
                return reply(200, json!({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": "aad-issued-token"}));
            }
            if seen.header("authorization") == Some("Bearer aad-issued-token") {
                reply(200, json!({"id": subnet_id(), "properties": {"addressPrefix": "10.1.0.0/24"}}))
            } else {
                reply(401, json!({"error": {"code": "InvalidAuthenticationToken", "message": "bad token"}}))
            }
        })
    })
    .await;

    let base: reqwest::Url = server.base.parse().unwrap();
    // As from SSL_CERT_FILE: the env lookup is injected so no process state changes.
    let ca_file = pki.ca_file.clone();
    let mut http_settings = HttpSettings::from_env_with(move |name| {
        (name == "SSL_CERT_FILE").then(|| ca_file.clone().into_os_string())
    });
    http_settings.use_env_proxy = false;
    let settings = ArmSettings {
        cloud: Cloud::public()
            .with_resource_manager(base.clone())
            .with_authority_host(base.clone()),
        auth: AuthSettings {
            tenant_id: Some("00000000-0000-0000-0000-0000000000aa".into()),
            client_id: Some("11111111-1111-1111-1111-111111111111".into()),
            client_secret: Some(Secret::new("very-secret-value")),
            use_cli: false,
            ..Default::default()
        },
        http: http_settings,
        metadata_host: None,
        client: ArmClientOptions {
            retry: RetryPolicy::fast(),
            poll: PollPolicy::fast(),
            ..Default::default()
        },
    };
    let client = connect(&settings).await.unwrap();
    assert!(!format!("{client:?} {settings:?}").contains("very-secret-value"));
    for _ in 0..2 {
        let subnet: models::Subnet = client
            .get(&ctx(), &subnet_id(), api_version::NETWORK)
            .await
            .unwrap();
        assert_eq!(subnet.prefixes(), vec!["10.1.0.0/24"]);
    }
    assert_eq!(token_requests.load(Ordering::SeqCst), 1, "token cached");
    let token_request = server
        .requests()
        .into_iter()
        .find(|s| s.path.ends_with("/token"))
        .unwrap();
    assert_eq!(
        token_request.path,
        "/00000000-0000-0000-0000-0000000000aa/oauth2/v2.0/token"
    );
    assert!(token_request.body.contains("grant_type=client_credentials"));
    assert!(
        token_request
            .body
            .contains("scope=https%3A%2F%2Fmanagement.azure.com%2F.default")
    );

    // Without the test CA the same server is not trusted.
    let untrusted = ArmSettings {
        http: HttpSettings {
            use_env_proxy: false,
            ..Default::default()
        },
        ..settings.clone()
    };
    let client =
        connect_with_token(&untrusted, Arc::new(StaticTokenSource(Secret::new("x")))).unwrap();
    let err = client
        .get::<Value>(&ctx(), &subnet_id(), api_version::NETWORK)
        .await
        .unwrap_err();
    assert!(matches!(err, ArmError::Transport { .. }), "{err:?}");
    assert!(
        err.to_string().to_ascii_lowercase().contains("certificate"),
        "{err}"
    );
}

#[tokio::test]
async fn failed_token_request_names_the_method_not_the_secret() {
    let pki = test_pki();
    let server = start_tls(pki.acceptor.clone(), |_| {
        Arc::new(|_: &Seen, _| {
            // As Entra writes it: the description repeats the IDs on `\r\n` lines.
            reply(401, json!({"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 5d1e\r\nCorrelation ID: 9c2f\r\nTimestamp: 2026-11-26 10:00:00Z", "error_codes": [7000215], "trace_id": "5d1e", "correlation_id": "9c2f"}))
        })
    })
    .await;
    let base: reqwest::Url = server.base.parse().unwrap();
    let settings = ArmSettings {
        cloud: Cloud::public()
            .with_resource_manager(base.clone())
            .with_authority_host(base),
        auth: AuthSettings {
            tenant_id: Some("tenant1".into()),
            client_id: Some("client1".into()),
            client_secret: Some(Secret::new("wrong-secret-value")),
            ..Default::default()
        },
        metadata_host: None,
        http: HttpSettings {
            extra_ca_files: vec![pki.ca_file.clone()],
            use_env_proxy: false,
            ..Default::default()
        },
        client: ArmClientOptions {
            retry: RetryPolicy::fast(),
            ..Default::default()
        },
    };
    let client = connect(&settings).await.unwrap();
    let err = client
        .get::<Value>(&ctx(), &subnet_id(), api_version::NETWORK)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ArmError::Auth { .. }), "{err:?}");
    assert!(
        text.contains("client secret")
            && text.contains(
                "AADSTS7000215: Invalid client secret provided. (trace ID 5d1e, correlation ID 9c2f)"
            ),
        "{text}"
    );
    assert!(!text.contains("wrong-secret-value"), "{text}");
    assert!(
        server.requests().iter().all(|s| s.path.ends_with("/token")),
        "no ARM call without a token"
    );
}

// ---------------------------------------------------------------------------------------
// Managed identity: the metadata service flavour (configurable endpoint, `Metadata: true`,
// user-assigned by client ID) and App Service's (`X-IDENTITY-HEADER`).

async fn managed_identity_server() -> MockServer {
    start(|_| {
        Arc::new(|seen: &Seen, _| {
            if seen.path == "/metadata/identity/oauth2/token" {
                if seen.header("metadata") != Some("true") {
                    return reply(400, json!({"error": "invalid_request", "error_description": "Required metadata header not specified"}));
                }
                if !seen.query.contains("client_id=user-assigned-1") {
                    return reply(400, json!({"error": "invalid_request", "error_description": "Identity not found"}));
                }
                reply(200, json!({"access_token": "imds-token", "expires_on": "4102444800", "expires_in": "3599", "resource": "https://management.azure.com/", "token_type": "Bearer"}))
            } else if seen.path == "/msi/token" {
                reply(200, json!({"access_token": "app-service-token", "expires_on": "4102444800", "resource": "https://management.azure.com/", "token_type": "Bearer"}))
            } else if matches!(seen.header("authorization"), Some("Bearer imds-token" | "Bearer app-service-token")) {
                reply(200, json!({"id": subnet_id(), "properties": {"addressPrefix": "10.2.0.0/24"}}))
            } else {
                reply(401, json!({"error": {"code": "InvalidAuthenticationToken", "message": "bad token"}}))
            }
        })
    })
    .await
}

fn msi_settings(base: &str, auth: AuthSettings) -> ArmSettings {
    ArmSettings {
        cloud: Cloud::public().with_resource_manager(base.parse().unwrap()),
        metadata_host: None,
        auth,
        http: HttpSettings {
            use_env_proxy: false,
            ..Default::default()
        },
        client: ArmClientOptions::default(),
    }
}

#[tokio::test]
async fn managed_identity_via_a_configured_metadata_endpoint() {
    let server = managed_identity_server().await;
    let auth = AuthSettings {
        use_msi: true,
        client_id: Some("user-assigned-1".into()),
        msi_endpoint: Some(format!("{}/metadata/identity/oauth2/token", server.base)),
        ..Default::default()
    };
    let client = connect(&msi_settings(&server.base, auth)).await.unwrap();
    let subnet: models::Subnet = client
        .get(&ctx(), &subnet_id(), api_version::NETWORK)
        .await
        .unwrap();
    assert_eq!(subnet.prefixes(), vec!["10.2.0.0/24"]);
    let token_request = server
        .requests()
        .into_iter()
        .find(|s| s.path == "/metadata/identity/oauth2/token")
        .expect("token request");
    assert_eq!(token_request.header("metadata"), Some("true"));
    assert!(
        token_request.query.contains("api-version=2018-02-01")
            && token_request
                .query
                .contains("resource=https%3A%2F%2Fmanagement.azure.com%2F"),
        "{}",
        token_request.query
    );

    // An unknown user-assigned identity reads as the service said it.
    let auth = AuthSettings {
        use_msi: true,
        client_id: Some("nobody".into()),
        msi_endpoint: Some(format!("{}/metadata/identity/oauth2/token", server.base)),
        ..Default::default()
    };
    let client = connect(&msi_settings(&server.base, auth)).await.unwrap();
    let err = client
        .get::<Value>(&ctx(), &subnet_id(), api_version::NETWORK)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("client ID nobody") && err.contains("invalid_request: Identity not found"),
        "{err}"
    );
}

#[tokio::test]
async fn managed_identity_via_app_service_identity_endpoint() {
    let server = managed_identity_server().await;
    let auth = AuthSettings {
        use_msi: true,
        app_service_identity: Some((
            format!("{}/msi/token", server.base),
            Secret::new("unit-test-identity-header"),
        )),
        ..Default::default()
    };
    let client = connect(&msi_settings(&server.base, auth)).await.unwrap();
    let subnet: models::Subnet = client
        .get(&ctx(), &subnet_id(), api_version::NETWORK)
        .await
        .unwrap();
    assert_eq!(subnet.prefixes(), vec!["10.2.0.0/24"]);
    let token_request = server
        .requests()
        .into_iter()
        .find(|s| s.path == "/msi/token")
        .expect("token request");
    assert_eq!(
        token_request.header("x-identity-header"),
        Some("unit-test-identity-header")
    );
    assert!(token_request.query.contains("api-version=2019-08-01"));
}

#[tokio::test]
async fn managed_identity_waits_while_the_metadata_service_starts() {
    let server = start(|_| {
        Arc::new(|seen: &Seen, n| {
            if seen.path == "/metadata/identity/oauth2/token" {
                if n == 0 {
                    return reply(410, json!({"error": "unavailable", "error_description": "Identity service starting"}));
                }
                reply(200, json!({"access_token": "late-token", "expires_on": "4102444800"}))
            } else if seen.header("authorization") == Some("Bearer late-token") {
                reply(200, json!({"id": subnet_id(), "properties": {"addressPrefix": "10.2.0.0/24"}}))
            } else {
                reply(401, json!({"error": {"code": "InvalidAuthenticationToken", "message": "bad token"}}))
            }
        })
    })
    .await;
    let auth = AuthSettings {
        use_msi: true,
        msi_endpoint: Some(format!("{}/metadata/identity/oauth2/token", server.base)),
        ..Default::default()
    };
    let client = connect(&msi_settings(&server.base, auth)).await.unwrap();
    let subnet: models::Subnet = client
        .get(&ctx(), &subnet_id(), api_version::NETWORK)
        .await
        .unwrap();
    assert_eq!(subnet.prefixes(), vec!["10.2.0.0/24"]);
    let tries = server
        .requests()
        .iter()
        .filter(|s| s.path == "/metadata/identity/oauth2/token")
        .count();
    assert_eq!(tries, 2);
}

/// Tokens `token-1`, `token-2`, ... ; a refused one is never handed out again.
#[derive(Debug, Default)]
struct RenewingTokens {
    issued: AtomicUsize,
    refused: Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl TokenSource for RenewingTokens {
    async fn token(&self) -> Result<AccessToken, ArmError> {
        let refused = self.refused.lock().unwrap().clone();
        let current = format!("token-{}", self.issued.load(Ordering::SeqCst) + 1);
        if refused.contains(&current) {
            self.issued.fetch_add(1, Ordering::SeqCst);
        }
        Ok(AccessToken {
            token: Secret::new(format!("token-{}", self.issued.load(Ordering::SeqCst) + 1)),
            expires_on: std::time::SystemTime::now() + Duration::from_secs(3600),
        })
    }

    async fn rejected(&self, token: &AccessToken) {
        self.refused
            .lock()
            .unwrap()
            .push(token.token.expose().to_owned());
    }
}

#[tokio::test]
async fn a_refused_token_is_renewed_and_the_request_retried() {
    // The token was revoked while an operation ran: ARM says 401 until a new one comes.
    let server = start(|_| {
        Arc::new(|seen: &Seen, _| match seen.header("authorization") {
            Some("Bearer token-1") => reply(
                401,
                json!({"error": {"code": "ExpiredAuthenticationToken", "message": "expired"}}),
            ),
            _ => reply(200, aml_body("Succeeded")),
        })
    })
    .await;
    let http = http::build_http_client(&HttpSettings {
        use_env_proxy: false,
        ..Default::default()
    })
    .unwrap();
    let cloud = Cloud::public().with_resource_manager(server.base.parse().unwrap());
    let tokens = Arc::new(RenewingTokens::default());
    let client = ArmClient::new(
        http,
        &cloud,
        tokens.clone(),
        ArmClientOptions {
            retry: RetryPolicy::fast(),
            poll: PollPolicy::fast(),
            ..Default::default()
        },
    );
    let _: Value = client
        .get(&ctx(), &compute_id(), api_version::MACHINE_LEARNING)
        .await
        .unwrap();
    let used: Vec<_> = server
        .requests()
        .iter()
        .map(|s| s.header("authorization").unwrap().to_owned())
        .collect();
    assert_eq!(used, ["Bearer token-1", "Bearer token-2"]);
}

#[tokio::test]
async fn a_wrong_credential_is_not_retried_forever() {
    let server = start(|_| {
        Arc::new(|_: &Seen, _| {
            reply(
                401,
                json!({"error": {"code": "InvalidAuthenticationToken", "message": "no"}}),
            )
        })
    })
    .await;
    let client = client_for(&server.base);
    let err = client
        .get::<Value>(&ctx(), &compute_id(), api_version::MACHINE_LEARNING)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(server.requests().len(), 3, "the first try and two renewals");
}

#[tokio::test]
async fn throttling_is_retried_until_the_deadline_not_a_count() {
    // Twice the policy's attempts of 429, then an answer: a throttled request only waits.
    let attempts = RetryPolicy::fast().max_attempts as usize;
    let server = start(move |_| {
        Arc::new(move |_: &Seen, n| {
            if n < 2 * attempts {
                reply(
                    429,
                    json!({"error": {"code": "TooManyRequests", "message": "later"}}),
                )
                .header("retry-after-ms", "5")
            } else {
                reply(200, json!({"ok": true}))
            }
        })
    })
    .await;
    let client = client_for(&server.base);
    let value: Value = client
        .get(&ctx(), &compute_id(), api_version::MACHINE_LEARNING)
        .await
        .unwrap();
    assert_eq!(value["ok"], true);
    assert_eq!(server.requests().len(), 2 * attempts + 1);

    // Server errors still give up after the policy's attempts.
    let server = start(|_| {
        Arc::new(|_: &Seen, _| {
            reply(
                500,
                json!({"error": {"code": "InternalServerError", "message": "boom"}}),
            )
        })
    })
    .await;
    let client = client_for(&server.base);
    let err = client
        .get::<Value>(&ctx(), &compute_id(), api_version::MACHINE_LEARNING)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert_eq!(server.requests().len(), attempts);
}

#[tokio::test]
async fn a_429_holds_back_the_other_requests_of_its_bucket() {
    // The first request is throttled for 1 s; requests sent meanwhile wait for the bucket
    // instead of each collecting its own 429.
    let server = start(|_| {
        Arc::new(|seen: &Seen, n| match (seen.path.ends_with("/first"), n) {
            (true, 0) => reply(
                429,
                json!({"error": {"code": "TooManyRequests", "message": "later"}}),
            )
            .header("retry-after", "1")
            .header("x-ms-ratelimit-remaining-subscription-reads", "0"),
            _ => reply(200, json!({"ok": true}))
                .header("x-ms-ratelimit-remaining-subscription-reads", "100"),
        })
    })
    .await;
    let client = client_for(&server.base);
    let first = format!("{}/first", compute_id());
    let started = Instant::now();
    let throttled = {
        let client = client.clone();
        tokio::spawn(async move {
            client
                .get::<Value>(&ctx(), &first, api_version::MACHINE_LEARNING)
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let others: Vec<_> = (0..5)
        .map(|i| {
            let client = client.clone();
            let id = format!("{}/other{i}", compute_id());
            tokio::spawn(async move {
                client
                    .get::<Value>(&ctx(), &id, api_version::MACHINE_LEARNING)
                    .await
            })
        })
        .collect();
    for other in others {
        other.await.unwrap().unwrap();
    }
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "the others waited for the bucket: {:?}",
        started.elapsed()
    );
    throttled.await.unwrap().unwrap();
    assert_eq!(server.requests().len(), 7, "one 429 in all");
}

#[tokio::test]
async fn a_not_found_refresh_is_read_twice() {
    let server = start(|_| {
        Arc::new(|_: &Seen, n| match n {
            0 => reply(
                404,
                json!({"error": {"code": "ResourceNotFound", "message": "not yet"}}),
            ),
            _ => reply(200, aml_body("Succeeded")),
        })
    })
    .await;
    let client = client_for(&server.base);
    let found: Option<Value> = client
        .get_existing(&ctx(), &compute_id(), api_version::MACHINE_LEARNING)
        .await
        .unwrap();
    assert!(found.is_some(), "one 404 is not enough to drop a resource");

    let server = start(|_| {
        Arc::new(|_: &Seen, _| {
            reply(
                404,
                json!({"error": {"code": "ResourceNotFound", "message": "gone"}}),
            )
        })
    })
    .await;
    let client = client_for(&server.base);
    let found: Option<Value> = client
        .get_existing(&ctx(), &compute_id(), api_version::MACHINE_LEARNING)
        .await
        .unwrap();
    assert!(found.is_none());
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn only_a_client_error_to_the_write_itself_proves_it_was_refused() {
    let api = |method: &str, status: u16| ArmError::Api {
        method: method.into(),
        path: compute_id(),
        status,
        error: Box::default(),
        correlation_id: None,
        retry_after: None,
    };
    assert!(api("PUT", 400).write_refused());
    assert!(api("PUT", 409).write_refused());
    assert!(!api("PUT", 500).write_refused(), "a 500 may follow a write");
    assert!(!api("GET", 404).write_refused(), "a read after the write");
    assert!(
        !ArmError::Transport {
            operation: "PUT".into(),
            message: "connection reset".into()
        }
        .write_refused()
    );
    assert!(
        !ArmError::OperationFailed {
            status: "Failed".into(),
            error: None,
            progress: Box::default()
        }
        .write_refused()
    );
}
