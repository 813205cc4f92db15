//! Drives the real gRPC server in-process, the way Terraform does: start `serve`, read the
//! handshake line, connect (with AutoMTLS or plain TCP) and call the protocol's RPCs against
//! a small test provider.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;
use tfplugin::client::{ClientIdentity, Handshake};
use tfplugin::function::{Function, FunctionDefinition, FunctionError, Parameter};
use tfplugin::proto::attribute_path::step::Selector;
use tfplugin::proto::go_plugin::Empty;
use tfplugin::proto::go_plugin::grpc_controller_client::GrpcControllerClient;
use tfplugin::proto::provider_client::ProviderClient;
use tfplugin::proto::{self as wire};
use tfplugin::resource::{
    ApplyRequest, Context, DataSource, Identity, IdentityAttribute, IdentitySchema, ImportState,
    ListRequest, ListResource, Listed, ModifyPlan, Outcome, Plan, PlanRequest, Resource, Stored,
    UpgradeState,
};
use tfplugin::schema::{Attribute, Schema};
use tfplugin::{AttributePath, Diagnostic, Diagnostics, Launch, Provider, ServeError, Type, Value};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::timeout;
use tonic::transport::Channel;

/// Generous bound for anything that talks to the server; a hang fails the test instead.
const PATIENCE: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------------------
// The test provider
// ---------------------------------------------------------------------------------------

/// How `create` behaves; tests switch it through [`Shared`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum CreateMode {
    #[default]
    Succeed,
    /// The object is created, then a follow-up step fails.
    FailAfterCreating,
    /// Waits until Terraform asks the provider to stop, then returns what it created.
    WaitForStop,
}

/// How `update` and `delete` behave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum ChangeMode {
    #[default]
    Succeed,
    /// Azure refused the change: an error, and nothing to say about the object.
    Fail,
}

/// How `read` behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum ReadMode {
    #[default]
    Found,
    Gone,
    Fail,
}

#[derive(Debug, Default)]
struct Shared {
    create: CreateMode,
    read: ReadMode,
    change: ChangeMode,
    /// One entry per resource operation, like `create:alpha` or `delete:/things/alpha`.
    calls: Vec<String>,
}

type SharedState = Arc<Mutex<Shared>>;

struct TestProvider {
    thing: Arc<Thing>,
}

#[async_trait]
impl Provider for TestProvider {
    fn schema(&self) -> Schema {
        Schema::new(
            "The test provider.",
            vec![Attribute::optional("endpoint", Type::String).description("Where to go.")],
        )
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![self.thing.clone()]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        vec![Arc::new(Lookup)]
    }

    fn functions(&self) -> Vec<Arc<dyn Function>> {
        vec![Arc::new(Repeat)]
    }

    async fn configure(&self, _terraform_version: &str, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }
}

/// `test_thing`: schema version 1; version 0 called `name` `label`.
struct Thing {
    shared: SharedState,
}

fn thing_schema() -> Schema {
    let mut schema = Schema::new(
        "A **thing**.",
        vec![
            Attribute::required("name", Type::String)
                .requires_replace()
                .description("Its name."),
            Attribute::optional("size", Type::Number).whole_numbers(1..=100),
            Attribute::computed("id", Type::String),
            Attribute::optional("secret", Type::String)
                .sensitive()
                .write_only(),
        ],
    );
    schema.version = 1;
    schema
}

fn thing_type() -> Type {
    thing_schema().value_type()
}

impl Thing {
    fn record(&self, call: String) {
        self.shared.lock().unwrap().calls.push(call);
    }
}

/// The state of a created thing: the plan with its `id` settled and, deliberately, the
/// write-only secret copied in (the server must drop it).
fn created(request: &ApplyRequest) -> Value {
    let name = request
        .planned
        .attr("name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let mut state = request.planned.clone();
    if let Value::Object(attributes) = &mut state {
        attributes.insert("id".into(), format!("/things/{name}").into());
        let secret = request
            .config
            .attr("secret")
            .cloned()
            .unwrap_or(Value::Null);
        attributes.insert("secret".into(), secret);
    }
    state
}

#[async_trait]
impl Resource for Thing {
    fn type_name(&self) -> &'static str {
        "test_thing"
    }

    fn schema(&self) -> Schema {
        thing_schema()
    }

    async fn create(&self, ctx: &Context, request: ApplyRequest) -> Outcome<Stored> {
        let name = request
            .planned
            .attr("name")
            .and_then(Value::as_str)
            .unwrap_or("");
        self.record(format!("create:{name}"));
        let mode = self.shared.lock().unwrap().create;
        let state = Stored::new(created(&request));
        match mode {
            CreateMode::Succeed => Outcome::ok(state),
            CreateMode::FailAfterCreating => Outcome {
                value: Some(state),
                diagnostics: Diagnostic::error("Tagging failed", "The thing exists untagged.")
                    .into(),
            },
            CreateMode::WaitForStop => {
                ctx.stop.stopped().await;
                self.record("create stopped".into());
                Outcome::ok(state)
            }
        }
    }

    async fn read(&self, _ctx: &Context, current: Stored) -> Outcome<Stored> {
        let id = current
            .state
            .attr("id")
            .and_then(Value::as_str)
            .unwrap_or("");
        self.record(format!("read:{id}"));
        let mode = self.shared.lock().unwrap().read;
        match mode {
            ReadMode::Found => {
                // Someone resized it outside Terraform.
                let mut state = current.state.clone();
                if let Value::Object(attributes) = &mut state {
                    attributes.insert("size".into(), 7.into());
                }
                Outcome::ok(Stored { state, ..current })
            }
            ReadMode::Gone => Outcome::gone(),
            ReadMode::Fail => Outcome::failed(Diagnostic::error("Read failed", "The API is down.")),
        }
    }

    async fn update(&self, _ctx: &Context, request: ApplyRequest) -> Outcome<Stored> {
        let id = request
            .prior
            .state
            .attr("id")
            .and_then(Value::as_str)
            .unwrap_or("");
        self.record(format!("update:{id}"));
        match self.shared.lock().unwrap().change {
            ChangeMode::Succeed => Outcome::ok(Stored::new(request.planned)),
            ChangeMode::Fail => {
                Outcome::failed(Diagnostic::error("Update failed", "The API said 409."))
            }
        }
    }

    async fn delete(&self, _ctx: &Context, prior: Stored) -> Diagnostics {
        let id = prior.state.attr("id").and_then(Value::as_str).unwrap_or("");
        self.record(format!("delete:{id}"));
        match self.shared.lock().unwrap().change {
            ChangeMode::Succeed => Diagnostics::new(),
            ChangeMode::Fail => Diagnostic::error("Delete failed", "The API said 503.").into(),
        }
    }

    fn modify_plan(&self) -> Option<&dyn ModifyPlan> {
        Some(self)
    }

    fn import(&self) -> Option<&dyn ImportState> {
        Some(self)
    }

    fn upgrade_state(&self) -> Option<&dyn UpgradeState> {
        Some(self)
    }

    fn identity(&self) -> Option<&dyn Identity> {
        Some(self)
    }

    fn list(&self) -> Option<&dyn ListResource> {
        Some(self)
    }
}

fn list_config_type() -> Type {
    Type::object([("prefix", Type::String)])
}

/// Lists three things named `<prefix>a`, `<prefix>b` and `<prefix>c`; `b` comes with a
/// warning, and an empty prefix is refused after them.
#[async_trait]
impl ListResource for Thing {
    fn list_schema(&self) -> Schema {
        Schema::new(
            "Things by name prefix.",
            vec![Attribute::optional("prefix", Type::String)],
        )
    }

    async fn validate_list(&self, config: &Value) -> Diagnostics {
        match config.attr("prefix").and_then(Value::as_str) {
            Some(p) if p.contains(' ') => Diagnostic::error("Bad prefix", "No spaces.")
                .at(AttributePath::attribute("prefix"))
                .into(),
            _ => Diagnostics::new(),
        }
    }

    async fn list(&self, _ctx: &Context, request: ListRequest) -> Outcome<Vec<Listed>> {
        let prefix = request
            .config
            .attr("prefix")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        self.record(format!("list:{prefix}:{}", request.include_resource_object));
        let found = ["a", "b", "c"]
            .into_iter()
            .map(|n| {
                let name = format!("{prefix}{n}");
                Listed {
                    display_name: format!("Thing {name}"),
                    state: thing(
                        &name,
                        Value::Null,
                        format!("/things/{name}").into(),
                        "s".into(),
                    ),
                    diagnostics: if n == "b" {
                        Diagnostic::warning("Odd thing", "b is odd.").into()
                    } else {
                        Diagnostics::new()
                    },
                }
            })
            .collect();
        Outcome {
            value: Some(found),
            diagnostics: if prefix.is_empty() {
                Diagnostic::error("No prefix", "Give a prefix.").into()
            } else {
                Diagnostics::new()
            },
        }
    }
}

#[async_trait]
impl ModifyPlan for Thing {
    async fn modify_plan(
        &self,
        _ctx: &Context,
        _request: &PlanRequest,
        plan: &mut Plan,
    ) -> Diagnostics {
        match plan.planned.attr("size").and_then(Value::as_i64) {
            Some(size) if size > 10 => {
                Diagnostic::error("Too big", format!("size {size} is above 10."))
                    .at(AttributePath::attribute("size"))
                    .into()
            }
            _ => Diagnostics::new(),
        }
    }
}

#[async_trait]
impl ImportState for Thing {
    async fn import_state(&self, _ctx: &Context, id: &str) -> Outcome<Stored> {
        self.record(format!("import:{id}"));
        Outcome::ok(Stored::new(thing(
            id,
            Value::Null,
            format!("/things/{id}").into(),
            Value::Null,
        )))
    }
}

impl UpgradeState for Thing {
    fn upgrade_state(&self, version: i64, json: &serde_json::Value) -> Outcome<Value> {
        if version != 0 {
            return Outcome::failed(Diagnostic::error("Unknown version", version.to_string()));
        }
        let text = |key: &str| match json.get(key).and_then(serde_json::Value::as_str) {
            Some(s) => Value::from(s),
            None => Value::Null,
        };
        let size = match json.get("size").and_then(serde_json::Value::as_i64) {
            Some(size) => Value::from(size),
            None => Value::Null,
        };
        Outcome::ok(thing_value(text("label"), size, text("id"), Value::Null))
    }
}

fn identity_type() -> Type {
    Type::object([("name", Type::String)])
}

impl Identity for Thing {
    fn identity_schema(&self) -> IdentitySchema {
        IdentitySchema {
            version: 0,
            attributes: vec![IdentityAttribute {
                name: "name".into(),
                ty: Type::String,
                description: "The thing's name.".into(),
                required_for_import: true,
            }],
        }
    }

    fn identity_of(&self, state: &Value) -> Value {
        object(&[("name", state.attr("name").cloned().unwrap_or(Value::Null))])
    }

    fn import_id(&self, identity: &Value) -> Option<String> {
        identity
            .attr("name")
            .and_then(Value::as_str)
            .map(str::to_owned)
    }
}

/// `test_lookup`: echoes its input.
struct Lookup;

#[async_trait]
impl DataSource for Lookup {
    fn type_name(&self) -> &'static str {
        "test_lookup"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "Looks things up.",
            vec![
                Attribute::required("name", Type::String),
                Attribute::computed("value", Type::String),
            ],
        )
    }

    async fn read(&self, _ctx: &Context, config: Value) -> Outcome<Value> {
        let name = config.attr("name").and_then(Value::as_str).unwrap_or("");
        Outcome::ok(object(&[
            ("name", name.into()),
            ("value", format!("value of {name}").into()),
        ]))
    }
}

/// `repeat(text, times)`: `text` repeated `times` times.
struct Repeat;

impl Function for Repeat {
    fn name(&self) -> &'static str {
        "repeat"
    }

    fn definition(&self) -> FunctionDefinition {
        FunctionDefinition {
            summary: "Repeats a string.".into(),
            description: "Repeats `text` `times` times.".into(),
            parameters: vec![
                Parameter::new("text", Type::String, "What to repeat."),
                Parameter::new("times", Type::Number, "How often."),
            ],
            variadic: None,
            returns: Type::String,
        }
    }

    fn call(&self, arguments: &[Value]) -> Result<Value, FunctionError> {
        let text = arguments[0].as_str().unwrap_or("");
        match arguments[1].as_i64() {
            Some(times) if times >= 0 => Ok(text.repeat(times as usize).into()),
            _ => Err(FunctionError::in_argument(
                1,
                "times must be a whole number, not negative",
            )),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------

fn object(entries: &[(&str, Value)]) -> Value {
    Value::Object(
        entries
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect::<BTreeMap<_, _>>(),
    )
}

fn thing_value(name: Value, size: Value, id: Value, secret: Value) -> Value {
    object(&[
        ("name", name),
        ("size", size),
        ("id", id),
        ("secret", secret),
    ])
}

/// A `test_thing` object value.
fn thing(name: &str, size: Value, id: Value, secret: Value) -> Value {
    thing_value(name.into(), size, id, secret)
}

fn dynamic(value: &Value, ty: &Type) -> wire::DynamicValue {
    wire::DynamicValue {
        msgpack: tfplugin::value::encode_msgpack(value, ty).expect("test value matches its type"),
        json: Vec::new(),
    }
}

/// A `test_thing` value as Terraform sends it.
fn thing_dv(value: &Value) -> Option<wire::DynamicValue> {
    Some(dynamic(value, &thing_type()))
}

fn decode_as(value: Option<&wire::DynamicValue>, ty: &Type) -> Value {
    let value = value.expect("a DynamicValue");
    assert!(value.json.is_empty(), "the provider answers in msgpack");
    tfplugin::value::decode_msgpack(&value.msgpack, ty).expect("the server's value decodes")
}

fn decode_thing(value: Option<&wire::DynamicValue>) -> Value {
    decode_as(value, &thing_type())
}

fn raw_json(json: serde_json::Value) -> Option<wire::RawState> {
    Some(wire::RawState {
        json: json.to_string().into_bytes(),
        flatmap: Default::default(),
    })
}

// ---------------------------------------------------------------------------------------
// Diagnostics
// ---------------------------------------------------------------------------------------

fn errors(diagnostics: &[wire::Diagnostic]) -> Vec<&wire::Diagnostic> {
    diagnostics
        .iter()
        .filter(|d| d.severity == wire::diagnostic::Severity::Error as i32)
        .collect()
}

fn steps(path: Option<&wire::AttributePath>) -> Vec<Selector> {
    path.map(|p| p.steps.iter().filter_map(|s| s.selector.clone()).collect())
        .unwrap_or_default()
}

fn attribute(name: &str) -> Vec<Selector> {
    vec![Selector::AttributeName(name.into())]
}

// ---------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------

struct Harness {
    line: String,
    handshake: Handshake,
    identity: ClientIdentity,
    channel: Channel,
    client: ProviderClient<Channel>,
    shared: SharedState,
    server: JoinHandle<Result<(), ServeError>>,
}

enum Transport {
    AutoMtls,
    PlainTcp,
}

/// Starts `serve` on a task, reads its handshake line, and connects as Terraform would.
async fn start(transport: Transport) -> Harness {
    let identity = ClientIdentity::generate().expect("client identity");
    let client_certificate = match transport {
        Transport::AutoMtls => Some(identity.certificate_pem.clone()),
        Transport::PlainTcp => None,
    };
    let launch = Launch {
        client_certificate,
        ports: (0, 0),
    };
    let shared = SharedState::default();
    let provider = Arc::new(TestProvider {
        thing: Arc::new(Thing {
            shared: shared.clone(),
        }),
    });
    let (sender, receiver) = oneshot::channel::<String>();
    let announce = move |line: &str| {
        sender
            .send(line.to_owned())
            .map_err(|_| std::io::Error::other("nobody reads the handshake"))
    };
    let server = tokio::spawn(tfplugin::serve(launch, provider, announce));
    let line = timeout(PATIENCE, receiver)
        .await
        .expect("serve announces within the timeout")
        .expect("serve announces a handshake line");
    let handshake = Handshake::parse(&line).expect("a valid handshake line");
    let channel = timeout(PATIENCE, handshake.connect(Some(&identity)))
        .await
        .expect("connects within the timeout")
        .expect("connects");
    Harness {
        line,
        handshake,
        identity,
        client: ProviderClient::new(channel.clone()),
        channel,
        shared,
        server,
    }
}

impl Harness {
    fn client(&self) -> ProviderClient<Channel> {
        self.client.clone()
    }

    fn set_create(&self, mode: CreateMode) {
        self.shared.lock().unwrap().create = mode;
    }

    fn set_change(&self, mode: ChangeMode) {
        self.shared.lock().unwrap().change = mode;
    }

    fn set_read(&self, mode: ReadMode) {
        self.shared.lock().unwrap().read = mode;
    }

    fn calls(&self) -> Vec<String> {
        self.shared.lock().unwrap().calls.clone()
    }

    async fn plan(
        &self,
        prior: &Value,
        proposed: &Value,
        config: &Value,
    ) -> wire::plan_resource_change::Response {
        let request = wire::plan_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: thing_dv(prior),
            proposed_new_state: thing_dv(proposed),
            config: thing_dv(config),
            client_capabilities: Some(wire::ClientCapabilities {
                deferral_allowed: false,
                write_only_attributes_allowed: true,
            }),
            ..Default::default()
        };
        timeout(PATIENCE, self.client().plan_resource_change(request))
            .await
            .expect("plans within the timeout")
            .expect("PlanResourceChange succeeds")
            .into_inner()
    }

    async fn apply(
        &self,
        prior: &Value,
        planned: &Value,
        config: &Value,
    ) -> wire::apply_resource_change::Response {
        timeout(
            PATIENCE,
            self.client()
                .apply_resource_change(apply_request(prior, planned, config)),
        )
        .await
        .expect("applies within the timeout")
        .expect("ApplyResourceChange succeeds")
        .into_inner()
    }

    async fn read(&self, current: &Value) -> wire::read_resource::Response {
        let request = wire::read_resource::Request {
            type_name: "test_thing".into(),
            current_state: thing_dv(current),
            private: b"private bytes".to_vec(),
            ..Default::default()
        };
        timeout(PATIENCE, self.client().read_resource(request))
            .await
            .expect("reads within the timeout")
            .expect("ReadResource succeeds")
            .into_inner()
    }

    async fn upgrade(
        &self,
        version: i64,
        json: serde_json::Value,
    ) -> wire::upgrade_resource_state::Response {
        let request = wire::upgrade_resource_state::Request {
            type_name: "test_thing".into(),
            version,
            raw_state: raw_json(json),
        };
        timeout(PATIENCE, self.client().upgrade_resource_state(request))
            .await
            .expect("upgrades within the timeout")
            .expect("UpgradeResourceState succeeds")
            .into_inner()
    }

    async fn import(
        &self,
        request: wire::import_resource_state::Request,
    ) -> wire::import_resource_state::Response {
        timeout(PATIENCE, self.client().import_resource_state(request))
            .await
            .expect("imports within the timeout")
            .expect("ImportResourceState succeeds")
            .into_inner()
    }

    async fn call(
        &self,
        name: &str,
        arguments: Vec<wire::DynamicValue>,
    ) -> wire::call_function::Response {
        let request = wire::call_function::Request {
            name: name.into(),
            arguments,
        };
        timeout(PATIENCE, self.client().call_function(request))
            .await
            .expect("calls within the timeout")
            .expect("CallFunction succeeds")
            .into_inner()
    }

    async fn schema(&self) -> wire::get_provider_schema::Response {
        timeout(
            PATIENCE,
            self.client()
                .get_provider_schema(wire::get_provider_schema::Request {}),
        )
        .await
        .expect("answers within the timeout")
        .expect("GetProviderSchema succeeds")
        .into_inner()
    }
}

fn apply_request(
    prior: &Value,
    planned: &Value,
    config: &Value,
) -> wire::apply_resource_change::Request {
    wire::apply_resource_change::Request {
        type_name: "test_thing".into(),
        prior_state: thing_dv(prior),
        planned_state: thing_dv(planned),
        config: thing_dv(config),
        planned_private: b"planned private".to_vec(),
        ..Default::default()
    }
}

/// Calls GetProviderSchema over a connection made with `identity` (or none); `Err` when
/// either the connection or the call fails.
async fn schema_as(handshake: &Handshake, identity: Option<&ClientIdentity>) -> Result<(), String> {
    let attempt = async {
        let channel = handshake
            .connect(identity)
            .await
            .map_err(|e| e.to_string())?;
        ProviderClient::new(channel)
            .get_provider_schema(wire::get_provider_schema::Request {})
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    };
    timeout(PATIENCE, attempt)
        .await
        .unwrap_or_else(|_| Err("timed out".into()))
}

/// A refusal must be prompt: the TLS handshake fails, the call does not just hang.
fn assert_refused(result: Result<(), String>, who: &str) {
    match result {
        Ok(()) => panic!("{who} got the schema"),
        Err(error) => assert_ne!(
            error, "timed out",
            "{who} was left hanging instead of refused"
        ),
    }
}

// ---------------------------------------------------------------------------------------
// 1. Handshake and AutoMTLS
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn handshake_line_has_six_fields_and_an_unpadded_certificate() {
    let harness = start(Transport::AutoMtls).await;
    let fields: Vec<&str> = harness.line.split('|').collect();
    assert_eq!(fields.len(), 6, "{}", harness.line);
    assert_eq!(&fields[..3], ["1", "6", "tcp"]);
    assert_eq!(fields[4], "grpc");
    assert_eq!(fields[3], harness.handshake.address.to_string());
    assert!(harness.handshake.address.ip().is_loopback());
    let certificate = fields[5];
    assert!(!certificate.is_empty());
    assert!(!certificate.contains('='), "padded base64: {certificate}");
    let der = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(certificate)
        .expect("unpadded standard base64");
    assert_eq!(
        harness
            .handshake
            .server_certificate
            .as_ref()
            .map(|c| c.as_ref()),
        Some(der.as_slice())
    );
    assert_eq!(der[0], 0x30, "a DER SEQUENCE");
}

#[tokio::test]
async fn the_announced_client_certificate_is_accepted() {
    let harness = start(Transport::AutoMtls).await;
    let schema = harness.schema().await;
    assert!(schema.resource_schemas.contains_key("test_thing"));
    assert_eq!(
        schema_as(&harness.handshake, Some(&harness.identity)).await,
        Ok(())
    );
}

#[tokio::test]
async fn a_different_client_certificate_is_refused() {
    let harness = start(Transport::AutoMtls).await;
    let stranger = ClientIdentity::generate().unwrap();
    let refused = schema_as(&harness.handshake, Some(&stranger)).await;
    assert_refused(refused, "a stranger");
    // The server goes on serving Terraform.
    assert_eq!(
        schema_as(&harness.handshake, Some(&harness.identity)).await,
        Ok(())
    );
}

#[tokio::test]
async fn a_client_without_certificate_is_refused() {
    let harness = start(Transport::AutoMtls).await;
    let refused = schema_as(&harness.handshake, None).await;
    assert_refused(refused, "a client without certificate");
}

#[tokio::test]
async fn a_plain_text_client_to_the_tls_server_is_refused() {
    let harness = start(Transport::AutoMtls).await;
    let plain = Handshake {
        server_certificate: None,
        ..harness.handshake.clone()
    };
    let refused = schema_as(&plain, None).await;
    assert_refused(refused, "a plain-text client");
}

#[tokio::test]
async fn an_idle_connection_does_not_hold_up_terraform() {
    let harness = start(Transport::AutoMtls).await;
    // Connects and never starts its TLS handshake.
    let _idle = tokio::net::TcpStream::connect(harness.handshake.address)
        .await
        .expect("TCP connect");
    assert_eq!(
        schema_as(&harness.handshake, Some(&harness.identity)).await,
        Ok(())
    );
}

#[tokio::test]
async fn plain_tcp_serves_without_tls() {
    let harness = start(Transport::PlainTcp).await;
    assert!(harness.line.ends_with("|grpc|"), "{}", harness.line);
    assert!(harness.handshake.server_certificate.is_none());
    let schema = harness.schema().await;
    assert!(schema.resource_schemas.contains_key("test_thing"));
}

// ---------------------------------------------------------------------------------------
// 2. Metadata and schemas
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn metadata_lists_resources_data_sources_and_functions() {
    let harness = start(Transport::AutoMtls).await;
    let metadata = harness
        .client()
        .get_metadata(wire::get_metadata::Request {})
        .await
        .unwrap()
        .into_inner();
    let resources: Vec<_> = metadata
        .resources
        .iter()
        .map(|r| r.type_name.as_str())
        .collect();
    let data_sources: Vec<_> = metadata
        .data_sources
        .iter()
        .map(|d| d.type_name.as_str())
        .collect();
    let functions: Vec<_> = metadata.functions.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(resources, ["test_thing"]);
    assert_eq!(data_sources, ["test_lookup"]);
    assert_eq!(functions, ["repeat"]);
    assert!(metadata.diagnostics.is_empty());
    assert!(
        metadata
            .server_capabilities
            .unwrap()
            .get_provider_schema_optional
    );
}

#[tokio::test]
async fn provider_schema_lists_everything_with_its_flags() {
    let harness = start(Transport::AutoMtls).await;
    let schema = harness.schema().await;
    let markdown = wire::StringKind::Markdown as i32;

    let provider = schema.provider.unwrap().block.unwrap();
    assert_eq!(provider.attributes.len(), 1);
    assert_eq!(provider.attributes[0].name, "endpoint");
    assert_eq!(provider.attributes[0].description, "Where to go.");

    assert_eq!(
        schema.resource_schemas.keys().collect::<Vec<_>>(),
        ["test_thing"]
    );
    assert_eq!(
        schema.data_source_schemas.keys().collect::<Vec<_>>(),
        ["test_lookup"]
    );
    assert_eq!(schema.functions.keys().collect::<Vec<_>>(), ["repeat"]);

    let thing = &schema.resource_schemas["test_thing"];
    assert_eq!(thing.version, 1);
    let block = thing.block.as_ref().unwrap();
    assert_eq!(block.description, "A **thing**.");
    assert_eq!(block.description_kind, markdown);
    let attribute = |name: &str| block.attributes.iter().find(|a| a.name == name).unwrap();

    let name = attribute("name");
    assert!(name.required && !name.optional && !name.computed);
    assert_eq!(name.r#type, br#""string""#);
    assert_eq!(name.description_kind, markdown);

    let id = attribute("id");
    assert!(id.computed && !id.optional && !id.required);

    let secret = attribute("secret");
    assert!(secret.sensitive && secret.write_only && secret.optional);
    assert!(!attribute("size").sensitive && !attribute("size").write_only);

    let repeat = &schema.functions["repeat"];
    let parameters: Vec<_> = repeat.parameters.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(parameters, ["text", "times"]);
    assert_eq!(repeat.r#return.as_ref().unwrap().r#type, br#""string""#);
    assert_eq!(repeat.description_kind, markdown);
}

#[tokio::test]
async fn identity_schemas_list_the_identity() {
    let harness = start(Transport::AutoMtls).await;
    let response = harness
        .client()
        .get_resource_identity_schemas(wire::get_resource_identity_schemas::Request {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        response.identity_schemas.keys().collect::<Vec<_>>(),
        ["test_thing"]
    );
    let identity = &response.identity_schemas["test_thing"];
    assert_eq!(identity.version, 0);
    assert_eq!(identity.identity_attributes.len(), 1);
    let name = &identity.identity_attributes[0];
    assert_eq!(name.name, "name");
    assert_eq!(name.r#type, br#""string""#);
    assert!(name.required_for_import && !name.optional_for_import);
}

#[tokio::test]
async fn data_source_reads_through_the_server() {
    let harness = start(Transport::AutoMtls).await;
    let ty = Type::object([("name", Type::String), ("value", Type::String)]);
    let config = object(&[("name", "x".into()), ("value", Value::Null)]);
    let response = harness
        .client()
        .read_data_source(wire::read_data_source::Request {
            type_name: "test_lookup".into(),
            config: Some(dynamic(&config, &ty)),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
    let state = decode_as(response.state.as_ref(), &ty);
    assert_eq!(state.attr("value"), Some(&"value of x".into()));
}

// ---------------------------------------------------------------------------------------
// 3. ValidateResourceConfig
// ---------------------------------------------------------------------------------------

async fn validate_with_secret(
    harness: &Harness,
    write_only_allowed: bool,
) -> Vec<wire::Diagnostic> {
    let config = thing("a", Value::Null, Value::Null, "hunter2".into());
    harness
        .client()
        .validate_resource_config(wire::validate_resource_config::Request {
            type_name: "test_thing".into(),
            config: thing_dv(&config),
            client_capabilities: Some(wire::ClientCapabilities {
                deferral_allowed: false,
                write_only_attributes_allowed: write_only_allowed,
            }),
        })
        .await
        .unwrap()
        .into_inner()
        .diagnostics
}

#[tokio::test]
async fn write_only_attribute_needs_a_terraform_that_allows_it() {
    let harness = start(Transport::AutoMtls).await;
    let diagnostics = validate_with_secret(&harness, false).await;
    let errors = errors(&diagnostics);
    assert_eq!(errors.len(), 1, "{diagnostics:?}");
    assert_eq!(steps(errors[0].attribute.as_ref()), attribute("secret"));
}

#[tokio::test]
async fn write_only_attribute_is_fine_when_allowed() {
    let harness = start(Transport::AutoMtls).await;
    let diagnostics = validate_with_secret(&harness, true).await;
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
}

// ---------------------------------------------------------------------------------------
// 4. PlanResourceChange
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn create_plans_unknown_id_and_null_secret() {
    let harness = start(Transport::AutoMtls).await;
    let config = thing("a", 3.into(), Value::Null, "hunter2".into());
    let response = harness.plan(&Value::Null, &config, &config).await;
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
    assert!(response.requires_replace.is_empty());
    let planned = decode_thing(response.planned_state.as_ref());
    assert!(
        matches!(planned.attr("id"), Some(Value::Unknown(_))),
        "{planned:?}"
    );
    assert_eq!(planned.attr("secret"), Some(&Value::Null));
    assert_eq!(planned.attr("name"), Some(&"a".into()));
    assert_eq!(planned.attr("size").and_then(Value::as_i64), Some(3));
}

#[tokio::test]
async fn changing_name_requires_replacement() {
    let harness = start(Transport::AutoMtls).await;
    let prior = thing("a", 3.into(), "/things/a".into(), Value::Null);
    let config = thing("b", 3.into(), Value::Null, Value::Null);
    let proposed = thing("b", 3.into(), "/things/a".into(), Value::Null);
    let response = harness.plan(&prior, &proposed, &config).await;
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
    let replace: Vec<_> = response
        .requires_replace
        .iter()
        .map(|p| steps(Some(p)))
        .collect();
    assert_eq!(replace, [attribute("name")]);
    let planned = decode_thing(response.planned_state.as_ref());
    assert_eq!(
        planned.attr("id"),
        Some(&"/things/a".into()),
        "update keeps the prior id"
    );
}

#[tokio::test]
async fn changing_size_alone_updates_in_place() {
    let harness = start(Transport::AutoMtls).await;
    let prior = thing("a", 3.into(), "/things/a".into(), Value::Null);
    let config = thing("a", 4.into(), Value::Null, Value::Null);
    let proposed = thing("a", 4.into(), "/things/a".into(), Value::Null);
    let response = harness.plan(&prior, &proposed, &config).await;
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
    assert!(
        response.requires_replace.is_empty(),
        "{:?}",
        response.requires_replace
    );
}

#[tokio::test]
async fn modify_plan_errors_point_at_their_attribute() {
    let harness = start(Transport::AutoMtls).await;
    let config = thing("a", 11.into(), Value::Null, Value::Null);
    let response = harness.plan(&Value::Null, &config, &config).await;
    let errors = errors(&response.diagnostics);
    assert_eq!(errors.len(), 1, "{:?}", response.diagnostics);
    assert_eq!(errors[0].summary, "Too big");
    assert_eq!(steps(errors[0].attribute.as_ref()), attribute("size"));
    assert!(response.planned_state.is_none());
}

#[tokio::test]
async fn unknown_configuration_values_plan_without_error() {
    let harness = start(Transport::AutoMtls).await;
    let config = thing("a", Value::unknown(), Value::Null, Value::Null);
    let response = harness.plan(&Value::Null, &config, &config).await;
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
    let planned = decode_thing(response.planned_state.as_ref());
    assert!(
        matches!(planned.attr("size"), Some(Value::Unknown(_))),
        "{planned:?}"
    );
}

// ---------------------------------------------------------------------------------------
// 5. ApplyResourceChange
// ---------------------------------------------------------------------------------------

fn planned_create(name: &str) -> (Value, Value) {
    let config = thing(name, 3.into(), Value::Null, "hunter2".into());
    let planned = thing(name, 3.into(), Value::unknown(), Value::Null);
    (planned, config)
}

#[tokio::test]
async fn values_known_only_at_apply_are_checked_before_create() {
    let harness = start(Transport::AutoMtls).await;
    // At plan the size came from another resource; at apply it is known, and no whole number.
    let config = thing(
        "a",
        Value::Number(tfplugin::value::Number::Float(1.5)),
        Value::Null,
        Value::Null,
    );
    let planned = thing(
        "a",
        Value::Number(tfplugin::value::Number::Float(1.5)),
        Value::unknown(),
        Value::Null,
    );
    let response = harness.apply(&Value::Null, &planned, &config).await;
    let errors = errors(&response.diagnostics);
    assert_eq!(errors.len(), 1, "{:?}", response.diagnostics);
    assert_eq!(errors[0].summary, "Invalid number");
    assert_eq!(steps(errors[0].attribute.as_ref()), attribute("size"));
    assert!(harness.calls().is_empty(), "nothing was created");
    assert_eq!(decode_thing(response.new_state.as_ref()), Value::Null);
}

#[tokio::test]
async fn a_required_argument_set_to_null_is_refused_at_validate() {
    let harness = start(Transport::AutoMtls).await;
    let config = thing_value(Value::Null, 3.into(), Value::Null, Value::Null);
    let diagnostics = harness
        .client()
        .validate_resource_config(wire::validate_resource_config::Request {
            type_name: "test_thing".into(),
            config: thing_dv(&config),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner()
        .diagnostics;
    let errors = errors(&diagnostics);
    assert_eq!(errors.len(), 1, "{diagnostics:?}");
    assert_eq!(errors[0].summary, "Missing required argument");
    assert_eq!(steps(errors[0].attribute.as_ref()), attribute("name"));
}

#[tokio::test]
async fn create_returns_state_with_id_and_identity() {
    let harness = start(Transport::AutoMtls).await;
    let (planned, config) = planned_create("a");
    let response = harness.apply(&Value::Null, &planned, &config).await;
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
    let state = decode_thing(response.new_state.as_ref());
    assert_eq!(state, thing("a", 3.into(), "/things/a".into(), Value::Null));
    let identity = response.new_identity.expect("an identity");
    assert_eq!(
        decode_as(identity.identity_data.as_ref(), &identity_type()),
        object(&[("name", "a".into())])
    );
    assert_eq!(harness.calls(), ["create:a"]);
}

#[tokio::test]
async fn update_returns_the_updated_state() {
    let harness = start(Transport::AutoMtls).await;
    let prior = thing("a", 3.into(), "/things/a".into(), Value::Null);
    let planned = thing("a", 5.into(), "/things/a".into(), Value::Null);
    let config = thing("a", 5.into(), Value::Null, Value::Null);
    let response = harness.apply(&prior, &planned, &config).await;
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
    assert_eq!(decode_thing(response.new_state.as_ref()), planned);
    assert_eq!(harness.calls(), ["update:/things/a"]);
}

#[tokio::test]
async fn delete_leaves_a_null_state() {
    let harness = start(Transport::AutoMtls).await;
    let prior = thing("a", 3.into(), "/things/a".into(), Value::Null);
    let response = harness.apply(&prior, &Value::Null, &Value::Null).await;
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
    assert_eq!(decode_thing(response.new_state.as_ref()), Value::Null);
    assert!(response.new_identity.is_none());
    assert_eq!(harness.calls(), ["delete:/things/a"]);
}

#[tokio::test]
async fn a_failed_delete_keeps_the_prior_state_and_private_data() {
    let harness = start(Transport::AutoMtls).await;
    harness.set_change(ChangeMode::Fail);
    let prior = thing("a", 3.into(), "/things/a".into(), Value::Null);
    let response = harness.apply(&prior, &Value::Null, &Value::Null).await;
    assert_eq!(errors(&response.diagnostics).len(), 1);
    assert_eq!(
        response.new_state,
        thing_dv(&prior),
        "unchanged, byte for byte"
    );
    // For a destroy, Terraform sends the prior private data as the planned one; it stores
    // what the answer holds, so dropping it here would lose what restoring needs.
    assert_eq!(response.private, b"planned private");
}

#[tokio::test]
async fn a_failed_update_keeps_the_prior_state_and_private_data() {
    let harness = start(Transport::AutoMtls).await;
    harness.set_change(ChangeMode::Fail);
    let prior = thing("a", 3.into(), "/things/a".into(), Value::Null);
    let planned = thing("a", 5.into(), "/things/a".into(), Value::Null);
    let response = harness.apply(&prior, &planned, &planned).await;
    assert_eq!(errors(&response.diagnostics).len(), 1);
    assert_eq!(response.new_state, thing_dv(&prior));
    assert_eq!(response.private, b"planned private");
}

#[tokio::test]
async fn a_create_that_fails_after_creating_keeps_the_new_state() {
    let harness = start(Transport::AutoMtls).await;
    harness.set_create(CreateMode::FailAfterCreating);
    let (planned, config) = planned_create("a");
    let response = harness.apply(&Value::Null, &planned, &config).await;
    let errors = errors(&response.diagnostics);
    assert_eq!(errors.len(), 1, "{:?}", response.diagnostics);
    assert_eq!(errors[0].summary, "Tagging failed");
    let state = decode_thing(response.new_state.as_ref());
    assert_eq!(
        state.attr("id"),
        Some(&"/things/a".into()),
        "the created thing is not forgotten"
    );
}

// ---------------------------------------------------------------------------------------
// 6. ReadResource
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn read_returns_the_refreshed_state() {
    let harness = start(Transport::AutoMtls).await;
    let current = thing("a", 3.into(), "/things/a".into(), Value::Null);
    let response = harness.read(&current).await;
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
    let state = decode_thing(response.new_state.as_ref());
    assert_eq!(state.attr("size").and_then(Value::as_i64), Some(7));
    assert_eq!(response.private, b"private bytes");
    assert!(response.new_identity.is_some());
    assert_eq!(harness.calls(), ["read:/things/a"]);
}

#[tokio::test]
async fn a_resource_gone_reads_as_null_without_errors() {
    let harness = start(Transport::AutoMtls).await;
    harness.set_read(ReadMode::Gone);
    let current = thing("a", 3.into(), "/things/a".into(), Value::Null);
    let response = harness.read(&current).await;
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
    assert_eq!(decode_thing(response.new_state.as_ref()), Value::Null);
}

#[tokio::test]
async fn a_failed_read_keeps_the_current_state() {
    let harness = start(Transport::AutoMtls).await;
    harness.set_read(ReadMode::Fail);
    let current = thing("a", 3.into(), "/things/a".into(), Value::Null);
    let response = harness.read(&current).await;
    let errors = errors(&response.diagnostics);
    assert_eq!(errors.len(), 1, "{:?}", response.diagnostics);
    assert_eq!(errors[0].summary, "Read failed");
    assert_eq!(
        response.new_state,
        thing_dv(&current),
        "unchanged, byte for byte"
    );
    assert_eq!(response.private, b"private bytes");
}

// ---------------------------------------------------------------------------------------
// 7. Import and state upgrades
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn import_by_id() {
    let harness = start(Transport::AutoMtls).await;
    let response = harness
        .import(wire::import_resource_state::Request {
            type_name: "test_thing".into(),
            id: "found".into(),
            ..Default::default()
        })
        .await;
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
    assert_eq!(response.imported_resources.len(), 1);
    let imported = &response.imported_resources[0];
    assert_eq!(imported.type_name, "test_thing");
    let state = decode_thing(imported.state.as_ref());
    assert_eq!(
        state,
        thing("found", Value::Null, "/things/found".into(), Value::Null)
    );
    let identity = imported.identity.as_ref().expect("an identity");
    assert_eq!(
        decode_as(identity.identity_data.as_ref(), &identity_type()),
        object(&[("name", "found".into())])
    );
    assert_eq!(harness.calls(), ["import:found"]);
}

#[tokio::test]
async fn import_by_identity() {
    let harness = start(Transport::AutoMtls).await;
    let identity = object(&[("name", "named".into())]);
    let response = harness
        .import(wire::import_resource_state::Request {
            type_name: "test_thing".into(),
            identity: Some(wire::ResourceIdentityData {
                identity_data: Some(dynamic(&identity, &identity_type())),
            }),
            ..Default::default()
        })
        .await;
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
    let state = decode_thing(response.imported_resources[0].state.as_ref());
    assert_eq!(state.attr("id"), Some(&"/things/named".into()));
    assert_eq!(harness.calls(), ["import:named"]);
}

#[tokio::test]
async fn import_without_id_or_identity_is_an_error() {
    let harness = start(Transport::AutoMtls).await;
    let response = harness
        .import(wire::import_resource_state::Request {
            type_name: "test_thing".into(),
            ..Default::default()
        })
        .await;
    assert_eq!(
        errors(&response.diagnostics).len(),
        1,
        "{:?}",
        response.diagnostics
    );
    assert!(response.imported_resources.is_empty());
    assert!(harness.calls().is_empty());
}

#[tokio::test]
async fn upgrade_from_version_zero_uses_the_upgrader() {
    let harness = start(Transport::AutoMtls).await;
    let response = harness
        .upgrade(
            0,
            serde_json::json!({"label": "old", "size": 2, "id": "/things/old"}),
        )
        .await;
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
    let state = decode_thing(response.upgraded_state.as_ref());
    assert_eq!(
        state,
        thing("old", 2.into(), "/things/old".into(), Value::Null)
    );
}

#[tokio::test]
async fn upgrade_at_the_current_version_prunes_removed_attributes() {
    let harness = start(Transport::AutoMtls).await;
    let response = harness
        .upgrade(
            1,
            serde_json::json!({
                "name": "a", "size": 3, "id": "/things/a", "secret": null,
                "removed_long_ago": "whatever"
            }),
        )
        .await;
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
    let state = decode_thing(response.upgraded_state.as_ref());
    assert_eq!(state, thing("a", 3.into(), "/things/a".into(), Value::Null));
}

#[tokio::test]
async fn upgrade_from_a_newer_version_is_an_error() {
    let harness = start(Transport::AutoMtls).await;
    let response = harness
        .upgrade(
            2,
            serde_json::json!({"name": "a", "size": 3, "id": "/things/a"}),
        )
        .await;
    let errors = errors(&response.diagnostics);
    assert_eq!(errors.len(), 1, "{:?}", response.diagnostics);
    assert_eq!(errors[0].summary, "State written by a newer provider");
    assert!(response.upgraded_state.is_none());
}

// ---------------------------------------------------------------------------------------
// 8. CallFunction
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn function_call_succeeds() {
    let harness = start(Transport::AutoMtls).await;
    let response = harness
        .call(
            "repeat",
            vec![
                dynamic(&"ab".into(), &Type::String),
                dynamic(&3.into(), &Type::Number),
            ],
        )
        .await;
    assert!(response.error.is_none(), "{:?}", response.error);
    assert_eq!(
        decode_as(response.result.as_ref(), &Type::String),
        "ababab".into()
    );
}

#[tokio::test]
async fn function_with_the_wrong_argument_count_fails() {
    let harness = start(Transport::AutoMtls).await;
    let too_few = harness
        .call("repeat", vec![dynamic(&"ab".into(), &Type::String)])
        .await;
    let error = too_few.error.expect("an error for too few arguments");
    assert!(
        error.text.contains("takes 2 arguments, got 1"),
        "{}",
        error.text
    );
    assert!(too_few.result.is_none());

    let (text, times) = (
        dynamic(&"ab".into(), &Type::String),
        dynamic(&2.into(), &Type::Number),
    );
    let too_many = harness
        .call("repeat", vec![text.clone(), times, text])
        .await;
    let error = too_many.error.expect("an error for too many arguments");
    assert!(
        error.text.contains("takes 2 arguments, got 3"),
        "{}",
        error.text
    );
}

#[tokio::test]
async fn function_errors_name_the_argument_at_fault() {
    let harness = start(Transport::AutoMtls).await;
    let response = harness
        .call(
            "repeat",
            vec![
                dynamic(&"ab".into(), &Type::String),
                dynamic(&(-1).into(), &Type::Number),
            ],
        )
        .await;
    let error = response.error.expect("an error for a negative count");
    assert_eq!(error.function_argument, Some(1));
    assert!(response.result.is_none());
}

#[tokio::test]
async fn an_unknown_function_fails() {
    let harness = start(Transport::AutoMtls).await;
    let response = harness.call("nope", Vec::new()).await;
    let error = response.error.expect("an error for an unknown function");
    assert!(error.text.contains("nope"), "{}", error.text);
    assert_eq!(error.function_argument, None);
}

// ---------------------------------------------------------------------------------------
// 9. StopProvider
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn stop_provider_lets_an_in_flight_apply_finish() {
    let harness = start(Transport::AutoMtls).await;
    harness.set_create(CreateMode::WaitForStop);
    let (planned, config) = planned_create("slow");
    let mut client = harness.client();
    let request = apply_request(&Value::Null, &planned, &config);
    let apply = tokio::spawn(async move { client.apply_resource_change(request).await });

    // Wait until create is running, and make sure it really waits for the stop.
    timeout(PATIENCE, async {
        while harness.calls().is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("create starts");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!apply.is_finished(), "create returned before the stop");
    assert_eq!(harness.calls(), ["create:slow"]);

    let stop = timeout(
        PATIENCE,
        harness
            .client()
            .stop_provider(wire::stop_provider::Request {}),
    )
    .await
    .expect("StopProvider answers within the timeout")
    .expect("StopProvider succeeds")
    .into_inner();
    assert_eq!(stop.error, "");

    let response = timeout(PATIENCE, apply)
        .await
        .expect("the apply finishes after StopProvider")
        .expect("the apply task does not panic")
        .expect("ApplyResourceChange succeeds")
        .into_inner();
    assert_eq!(harness.calls(), ["create:slow", "create stopped"]);
    let state = decode_thing(response.new_state.as_ref());
    assert_eq!(state.attr("id"), Some(&"/things/slow".into()));
}

// ---------------------------------------------------------------------------------------
// 10. GRPCController.Shutdown
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn controller_shutdown_makes_serve_return() {
    let harness = start(Transport::AutoMtls).await;
    // A call first, so that the connection is in use as it would be with Terraform.
    harness.schema().await;
    let mut controller = GrpcControllerClient::new(harness.channel.clone());
    timeout(PATIENCE, controller.shutdown(Empty {}))
        .await
        .expect("Shutdown answers within the timeout")
        .expect("Shutdown succeeds");
    let served = timeout(PATIENCE, harness.server)
        .await
        .expect("serve returns after Shutdown")
        .expect("the serve task does not panic");
    assert!(served.is_ok(), "{served:?}");
}

async fn list_events(
    harness: &Harness,
    prefix: &str,
    include_resource_object: bool,
    limit: i64,
) -> Vec<wire::list_resource::Event> {
    use tokio_stream::StreamExt;
    let config = object(&[("prefix", prefix.into())]);
    let mut stream = harness
        .client()
        .list_resource(wire::list_resource::Request {
            type_name: "test_thing".into(),
            config: Some(dynamic(&config, &list_config_type())),
            include_resource_object,
            limit,
        })
        .await
        .unwrap()
        .into_inner();
    let mut events = Vec::new();
    while let Some(event) = stream.next().await {
        events.push(event.unwrap());
    }
    events
}

#[tokio::test]
async fn list_resources_are_announced_with_their_config_schema() {
    let harness = start(Transport::AutoMtls).await;
    let schema = harness
        .client()
        .get_provider_schema(wire::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    let list = &schema.list_resource_schemas["test_thing"];
    let block = list.block.as_ref().unwrap();
    assert_eq!(block.attributes[0].name, "prefix");
    let metadata = harness
        .client()
        .get_metadata(wire::get_metadata::Request {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(metadata.list_resources[0].type_name, "test_thing");
}

#[tokio::test]
async fn list_streams_identities_names_and_objects_up_to_the_limit() {
    let harness = start(Transport::AutoMtls).await;
    let events = list_events(&harness, "x-", true, 10).await;
    assert_eq!(events.len(), 3);
    let names: Vec<_> = events
        .iter()
        .map(|e| {
            let identity = e.identity.as_ref().expect("identity");
            decode_as(identity.identity_data.as_ref(), &identity_type())
        })
        .collect();
    assert_eq!(
        names,
        ["x-a", "x-b", "x-c"].map(|n| object(&[("name", n.into())]))
    );
    assert_eq!(events[1].display_name, "Thing x-b");
    assert_eq!(events[1].diagnostic.len(), 1);
    assert!(errors(&events[1].diagnostic).is_empty());
    let object = decode_thing(events[0].resource_object.as_ref());
    assert_eq!(object.attr("id"), Some(&"/things/x-a".into()));
    assert_eq!(
        object.attr("secret"),
        Some(&Value::Null),
        "write-only dropped"
    );

    let limited = list_events(&harness, "x-", false, 2).await;
    assert_eq!(limited.len(), 2);
    assert!(limited.iter().all(|e| e.resource_object.is_none()));
    assert_eq!(harness.calls(), ["list:x-:true", "list:x-:false"]);
}

#[tokio::test]
async fn list_errors_come_after_what_was_found() {
    let harness = start(Transport::AutoMtls).await;
    let events = list_events(&harness, "", false, 10).await;
    assert_eq!(events.len(), 4);
    let last = events.last().unwrap();
    assert!(last.identity.is_none());
    assert_eq!(errors(&last.diagnostic)[0].summary, "No prefix");
}

#[tokio::test]
async fn list_config_is_validated() {
    let harness = start(Transport::AutoMtls).await;
    let config = object(&[("prefix", "a b".into())]);
    let response = harness
        .client()
        .validate_list_resource_config(wire::validate_list_resource_config::Request {
            type_name: "test_thing".into(),
            config: Some(dynamic(&config, &list_config_type())),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(errors(&response.diagnostics)[0].summary, "Bad prefix");
}

#[tokio::test]
async fn stored_identities_of_the_current_version_upgrade_to_themselves() {
    let harness = start(Transport::AutoMtls).await;
    let upgrade = |version: i64| {
        let mut client = harness.client();
        async move {
            client
                .upgrade_resource_identity(wire::upgrade_resource_identity::Request {
                    type_name: "test_thing".into(),
                    version,
                    raw_identity: Some(wire::RawState {
                        json: br#"{"name":"kept"}"#.to_vec(),
                        ..Default::default()
                    }),
                })
                .await
                .unwrap()
                .into_inner()
        }
    };
    let same = upgrade(0).await;
    assert!(same.diagnostics.is_empty(), "{:?}", same.diagnostics);
    let identity = same.upgraded_identity.expect("identity");
    assert_eq!(
        decode_as(identity.identity_data.as_ref(), &identity_type()),
        object(&[("name", "kept".into())])
    );
    let newer = upgrade(3).await;
    assert_eq!(errors(&newer.diagnostics).len(), 1);
    assert!(newer.upgraded_identity.is_none());
}
