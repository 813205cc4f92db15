//! HTTPS server: TLS accept, request routing (token endpoints, admin API, ARM), common
//! ARM headers, throttling, fault injection and the traffic log.

use super::admin;
use super::engine::{self, operation_path};
use super::faults::Effect;
use super::http::{ArmError, Incoming, Reply, guid, random_token};
use super::state::Emulator;
use super::throttle::Kind as Bucket;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use rustls::ServerConfig;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// Accepts connections until the task is dropped.
pub async fn serve(listener: TcpListener, tls: Arc<ServerConfig>, emu: Arc<Emulator>) {
    let acceptor = TlsAcceptor::from(tls);
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let emu = emu.clone();
        tokio::spawn(async move {
            let Ok(stream) = acceptor.accept(tcp).await else {
                return;
            };
            let service = service_fn(move |req| {
                let emu = emu.clone();
                async move { handle(emu, req).await }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn handle(
    emu: Arc<Emulator>,
    req: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, std::io::Error> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let incoming = Incoming {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or("").to_owned(),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.to_vec(),
    };
    match route(&emu, &incoming).await {
        Some(reply) => Ok(to_response(reply)),
        // Returning an error makes hyper close the connection without an answer.
        None => Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "injected fault: connection dropped",
        )),
    }
}

fn to_response(reply: Reply) -> Response<Full<Bytes>> {
    let has_body = reply.body.is_some();
    let has_content_type = reply.header_value("content-type").is_some();
    let body = reply
        .body
        .map(|b| Bytes::from(serde_json::to_vec(&b).expect("JSON serialises")))
        .unwrap_or_default();
    let mut response = Response::builder().status(reply.status);
    for (name, value) in &reply.headers {
        response = response.header(name, value);
    }
    if has_body && !has_content_type {
        response = response.header("content-type", "application/json; charset=utf-8");
    }
    response.body(Full::new(body)).unwrap_or_else(|_| {
        let mut fallback = Response::new(Full::new(Bytes::new()));
        *fallback.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
        fallback
    })
}

fn with_content_type(reply: Reply) -> Reply {
    if reply.body.is_some() && reply.header_value("content-type").is_none() {
        reply.header("content-type", "application/json; charset=utf-8")
    } else {
        reply
    }
}

async fn route(emu: &Emulator, req: &Incoming) -> Option<Reply> {
    let segs: Vec<&str> = req.path.trim_end_matches('/').split('/').collect();
    if segs
        .get(1)
        .is_some_and(|s| s.eq_ignore_ascii_case("_emulator"))
    {
        return Some(with_content_type(admin::handle(emu, req)));
    }
    let entra = {
        let mut st = emu.state.lock().unwrap_or_else(|e| e.into_inner());
        match (req.method.as_str(), segs.as_slice()) {
            ("POST", ["", tenant, "oauth2", "v2.0", "token"]) => {
                Some(st.auth.token_endpoint(tenant, req, &emu.base_url))
            }
            ("GET", ["", "metadata", "identity", "oauth2", "token"]) => {
                Some(st.auth.metadata_service(req))
            }
            ("GET", ["", "metadata", "endpoints"]) => Some(st.auth.cloud_metadata(&emu.base_url)),
            ("GET", ["", tenant, "v2.0", ".well-known", "openid-configuration"])
            | ("GET", ["", tenant, ".well-known", "openid-configuration"]) => {
                Some(st.auth.openid_configuration(tenant, &emu.base_url))
            }
            ("GET", ["", "common", "discovery", "instance"]) => {
                Some(st.auth.instance_discovery(&emu.base_url))
            }
            _ => None,
        }
    };
    if let Some(reply) = entra {
        return Some(with_content_type(
            reply
                .header("x-ms-request-id", guid())
                .header("cache-control", "no-store, no-cache"),
        ));
    }
    arm_exchange(emu, req).await
}

fn subscription_of(path: &str) -> String {
    let segs: Vec<&str> = path.split('/').collect();
    match segs.as_slice() {
        ["", subs, sub, ..] if subs.eq_ignore_ascii_case("subscriptions") => sub.to_string(),
        _ => String::new(),
    }
}

/// One ARM request: auth, faults, throttling, dispatch, headers, log.
async fn arm_exchange(emu: &Emulator, req: &Incoming) -> Option<Reply> {
    let lro_poll = operation_path(&req.path).is_some();
    let subscription = subscription_of(&req.path);
    let bucket = if matches!(req.method.as_str(), "GET" | "HEAD") {
        Bucket::Read
    } else {
        Bucket::Write
    };
    let latency = emu
        .state
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .latency
        .draw();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let (rejected, effect) = {
        let mut st = emu.state.lock().unwrap_or_else(|e| e.into_inner());
        engine::advance(&mut st);
        st.counts.record(&req.method, &req.path, lro_poll);
        let authority = format!("{}/", emu.base_url);
        match st.auth.reject(req, &authority) {
            Some(reply) => (Some(reply), Effect::default()),
            None => (None, st.faults.take(req)),
        }
    };
    if effect.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(effect.delay_ms)).await;
    }
    if effect.drop_connection {
        return None;
    }
    let mut st = emu.state.lock().unwrap_or_else(|e| e.into_inner());
    let (reply, remaining) = if let Some(reply) = rejected {
        (reply, st.throttle.remaining(&subscription, bucket))
    } else if let Some((error, retry_after)) = effect.error {
        let mut reply = error.reply();
        if let Some(secs) = retry_after {
            reply = reply.header("Retry-After", secs.to_string());
        }
        (reply, st.throttle.remaining(&subscription, bucket))
    } else {
        match st.throttle.take(&subscription, bucket) {
            Err(retry_after) => {
                st.counts
                    .record_throttled(&req.method, &req.path, bucket == Bucket::Read);
                (
                    ArmError::new(
                        429,
                        "TooManyRequests",
                        format!(
                            "The request is being throttled as the limit has been reached for operation type - {}. For more information, see - https://aka.ms/armthrottling",
                            if bucket == Bucket::Read { "Read" } else { "Write" }
                        ),
                    )
                    .reply()
                    .header("Retry-After", retry_after.to_string()),
                    0,
                )
            }
            Ok(remaining) => (engine::dispatch(&mut st, req, effect.lro), remaining),
        }
    };
    if (200..300).contains(&reply.status) {
        st.faults.note_answered(req);
    }
    if effect.expire_tokens {
        st.auth.expire_all();
    }
    drop(st);
    let correlation = req
        .header("x-ms-correlation-request-id")
        .map(str::to_owned)
        .unwrap_or_else(guid);
    let request_id = guid();
    let mut reply = reply
        .header("x-ms-request-id", request_id.clone())
        .header("x-ms-correlation-request-id", correlation)
        .header(
            "x-ms-routing-request-id",
            format!("LOCAL:{}:{request_id}", random_token::<4>()),
        )
        .header(
            if bucket == Bucket::Read {
                "x-ms-ratelimit-remaining-subscription-reads"
            } else {
                "x-ms-ratelimit-remaining-subscription-writes"
            },
            remaining.to_string(),
        );
    if req
        .header("x-ms-return-client-request-id")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        && let Some(client_id) = req.header("x-ms-client-request-id")
    {
        reply = reply.header("x-ms-client-request-id", client_id.to_owned());
    }
    let reply = with_content_type(reply);
    emu.log.record(req, &reply, lro_poll);
    // The request took effect; the client never hears of it.
    (!effect.drop_after).then_some(reply)
}
