//! The `tfplugin6.Provider` gRPC service: decodes Terraform's requests, calls the
//! provider's resources, data sources and functions, and encodes their answers.
//!
//! Problems a user can act on travel as diagnostics; gRPC errors are kept for requests
//! Terraform itself got wrong (an unknown resource type).

use std::collections::BTreeMap;
use std::sync::Arc;

use tonic::{Request, Response, Status};

use crate::diagnostics::{AttributePath, Diagnostic, Diagnostics};
use crate::function::{Function, FunctionDefinition, FunctionError};
use crate::plan::{default_plan, settle_replacements};
use crate::proto::{self, provider_server::Provider as ProviderService};
use crate::provider::Provider;
use crate::resource::{
    ApplyRequest, Context, DataSource, ListRequest, Outcome, PlanRequest, Resource, Stored,
};
use crate::schema::{Block, Schema};
use crate::stop::{StopHandle, StopSignal, stop_channel};
use crate::value::{self, Type, Value};

/// Everything the provider offers, gathered once at start-up: schemas are static.
struct Catalog {
    provider_schema: Schema,
    resources: BTreeMap<String, (Arc<dyn Resource>, Schema)>,
    data_sources: BTreeMap<String, (Arc<dyn DataSource>, Schema)>,
    /// Resources that are also list resources, with their `config` block schema.
    list_resources: BTreeMap<String, (Arc<dyn Resource>, Schema)>,
    functions: BTreeMap<String, (Arc<dyn Function>, FunctionDefinition)>,
    schema_response: proto::get_provider_schema::Response,
}

pub(crate) struct ProviderServer {
    provider: Arc<dyn Provider>,
    catalog: Arc<Catalog>,
    stop_handle: Arc<StopHandle>,
    stop: StopSignal,
}

fn capabilities() -> proto::ServerCapabilities {
    proto::ServerCapabilities {
        plan_destroy: false,
        // Schemas never change within a version, so Terraform may use its cache.
        get_provider_schema_optional: true,
        move_resource_state: false,
    }
}

impl ProviderServer {
    pub(crate) fn new(provider: Arc<dyn Provider>) -> ProviderServer {
        let resources: BTreeMap<_, _> = provider
            .resources()
            .into_iter()
            .map(|r| (r.type_name().to_owned(), (r.clone(), r.schema())))
            .collect();
        let data_sources: BTreeMap<_, _> = provider
            .data_sources()
            .into_iter()
            .map(|d| (d.type_name().to_owned(), (d.clone(), d.schema())))
            .collect();
        let list_resources: BTreeMap<_, _> = resources
            .iter()
            .filter_map(|(name, (resource, _))| {
                let schema = resource.list()?.list_schema();
                Some((name.clone(), (resource.clone(), schema)))
            })
            .collect();
        let functions: BTreeMap<_, _> = provider
            .functions()
            .into_iter()
            .map(|f| (f.name().to_owned(), (f.clone(), f.definition())))
            .collect();
        let provider_schema = provider.schema();
        let schema_response = proto::get_provider_schema::Response {
            provider: Some((&provider_schema).into()),
            resource_schemas: resources
                .iter()
                .map(|(name, (_, schema))| (name.clone(), schema.into()))
                .collect(),
            data_source_schemas: data_sources
                .iter()
                .map(|(name, (_, schema))| (name.clone(), schema.into()))
                .collect(),
            functions: functions
                .iter()
                .map(|(name, (_, definition))| (name.clone(), definition.into()))
                .collect(),
            list_resource_schemas: list_resources
                .iter()
                .map(|(name, (_, schema))| (name.clone(), schema.into()))
                .collect(),
            server_capabilities: Some(capabilities()),
            ..Default::default()
        };
        let (stop_handle, stop) = stop_channel();
        ProviderServer {
            provider,
            catalog: Arc::new(Catalog {
                provider_schema,
                resources,
                data_sources,
                list_resources,
                functions,
                schema_response,
            }),
            stop_handle: Arc::new(stop_handle),
            stop,
        }
    }

    fn context(&self) -> Context {
        Context {
            stop: self.stop.clone(),
        }
    }

    fn resource(&self, type_name: &str) -> Result<&(Arc<dyn Resource>, Schema), Status> {
        self.catalog.resources.get(type_name).ok_or_else(|| {
            Status::not_found(format!("no resource type {type_name:?} in this provider"))
        })
    }

    fn list_resource(&self, type_name: &str) -> Result<&(Arc<dyn Resource>, Schema), Status> {
        self.catalog.list_resources.get(type_name).ok_or_else(|| {
            Status::not_found(format!("no list resource {type_name:?} in this provider"))
        })
    }

    fn data_source(&self, type_name: &str) -> Result<&(Arc<dyn DataSource>, Schema), Status> {
        self.catalog.data_sources.get(type_name).ok_or_else(|| {
            Status::not_found(format!("no data source {type_name:?} in this provider"))
        })
    }
}

fn decode(value: Option<&proto::DynamicValue>, ty: &Type) -> Result<Value, Diagnostic> {
    let decoded = match value {
        Some(v) if !v.msgpack.is_empty() => value::decode_msgpack(&v.msgpack, ty),
        Some(v) if !v.json.is_empty() => value::decode_json(&v.json, ty),
        _ => return Ok(Value::Null),
    };
    decoded.map_err(|e| {
        Diagnostic::error(
            "Terraform sent a value the provider cannot read",
            format!("{e}. This is a bug in the provider or Terraform; please report it."),
        )
    })
}

fn encode(value: &Value, ty: &Type) -> Result<proto::DynamicValue, Diagnostic> {
    value::encode_msgpack(value, ty)
        .map(|msgpack| proto::DynamicValue {
            msgpack,
            json: Vec::new(),
        })
        .map_err(|e| {
            Diagnostic::error(
                "The provider produced a value that does not match its schema",
                format!("{e}. This is a bug in the provider; please report it."),
            )
        })
}

/// Clears write-only attributes, also those of nested blocks, which must never be stored.
fn without_write_only(schema: &Schema, mut state: Value) -> Value {
    clear_write_only(&schema.block, &mut state);
    state
}

fn clear_write_only(block: &Block, value: &mut Value) {
    let Value::Object(attributes) = value else {
        return;
    };
    for attribute in block.attributes.iter().filter(|a| a.write_only) {
        attributes.insert(attribute.name.clone(), Value::Null);
    }
    for nested in &block.blocks {
        match attributes.get_mut(&nested.type_name) {
            Some(Value::List(items) | Value::Set(items)) => {
                for item in items {
                    clear_write_only(&nested.block, item);
                }
            }
            Some(Value::Map(items)) => {
                for item in items.values_mut() {
                    clear_write_only(&nested.block, item);
                }
            }
            Some(single) => clear_write_only(&nested.block, single),
            None => {}
        }
    }
}

/// The write-only attributes `config` sets, at their paths (nested blocks included).
fn write_only_set(block: &Block, config: &Value, at: &AttributePath) -> Vec<AttributePath> {
    let mut found: Vec<AttributePath> = block
        .attributes
        .iter()
        .filter(|a| a.write_only && config.attr(&a.name).is_some_and(|v| !v.is_null()))
        .map(|a| at.clone().attr(a.name.clone()))
        .collect();
    for nested in &block.blocks {
        let Some(value) = config.attr(&nested.type_name).filter(|v| !v.is_null()) else {
            continue;
        };
        let here = at.clone().attr(nested.type_name.clone());
        match value.as_elements() {
            Some(items) => {
                for (index, item) in items.iter().enumerate() {
                    found.extend(write_only_set(
                        &nested.block,
                        item,
                        &here.clone().index(index as i64),
                    ));
                }
            }
            None => found.extend(write_only_set(&nested.block, value, &here)),
        }
    }
    found
}

fn identity_data(resource: &dyn Resource, state: &Value) -> Option<proto::ResourceIdentityData> {
    let identity = resource.identity()?;
    if state.is_null() {
        return None;
    }
    let value = identity.identity_of(state);
    let ty = identity.identity_schema().value_type();
    let encoded = encode(&value, &ty).ok()?;
    Some(proto::ResourceIdentityData {
        identity_data: Some(encoded),
    })
}

type RpcResult<T> = Result<Response<T>, Status>;

/// Collects diagnostics through an operation: `try_step!` records an error and answers.
macro_rules! try_step {
    ($result:expr, $diagnostics:ident, $respond:expr) => {
        match $result {
            Ok(value) => value,
            Err(diagnostic) => {
                $diagnostics.push(diagnostic);
                return $respond($diagnostics);
            }
        }
    };
}

#[tonic::async_trait]
impl ProviderService for ProviderServer {
    async fn get_metadata(
        &self,
        _: Request<proto::get_metadata::Request>,
    ) -> RpcResult<proto::get_metadata::Response> {
        use proto::get_metadata::{
            DataSourceMetadata, FunctionMetadata, ResourceMetadata, Response as Metadata,
        };
        let catalog = &self.catalog;
        Ok(Response::new(Metadata {
            server_capabilities: Some(capabilities()),
            resources: catalog
                .resources
                .keys()
                .map(|type_name| ResourceMetadata {
                    type_name: type_name.clone(),
                })
                .collect(),
            data_sources: catalog
                .data_sources
                .keys()
                .map(|type_name| DataSourceMetadata {
                    type_name: type_name.clone(),
                })
                .collect(),
            functions: catalog
                .functions
                .keys()
                .map(|name| FunctionMetadata { name: name.clone() })
                .collect(),
            list_resources: catalog
                .list_resources
                .keys()
                .map(|type_name| proto::get_metadata::ListResourceMetadata {
                    type_name: type_name.clone(),
                })
                .collect(),
            ..Default::default()
        }))
    }

    async fn get_provider_schema(
        &self,
        _: Request<proto::get_provider_schema::Request>,
    ) -> RpcResult<proto::get_provider_schema::Response> {
        Ok(Response::new(self.catalog.schema_response.clone()))
    }

    async fn get_resource_identity_schemas(
        &self,
        _: Request<proto::get_resource_identity_schemas::Request>,
    ) -> RpcResult<proto::get_resource_identity_schemas::Response> {
        let identity_schemas = self
            .catalog
            .resources
            .iter()
            .filter_map(|(name, (resource, _))| {
                let schema = resource.identity()?.identity_schema();
                let attributes = schema
                    .attributes
                    .iter()
                    .map(|a| proto::resource_identity_schema::IdentityAttribute {
                        name: a.name.clone(),
                        r#type: a.ty.to_json_bytes(),
                        required_for_import: a.required_for_import,
                        optional_for_import: !a.required_for_import,
                        description: a.description.clone(),
                    })
                    .collect();
                Some((
                    name.clone(),
                    proto::ResourceIdentitySchema {
                        version: schema.version,
                        identity_attributes: attributes,
                    },
                ))
            })
            .collect();
        Ok(Response::new(
            proto::get_resource_identity_schemas::Response {
                identity_schemas,
                diagnostics: Vec::new(),
            },
        ))
    }

    async fn upgrade_resource_identity(
        &self,
        request: Request<proto::upgrade_resource_identity::Request>,
    ) -> RpcResult<proto::upgrade_resource_identity::Response> {
        let request = request.into_inner();
        tracing::debug!(rpc = "UpgradeResourceIdentity", type_name = %request.type_name);
        let (resource, _) = self.resource(&request.type_name)?;
        let respond = |diagnostics: Diagnostics, upgraded_identity| {
            Ok(Response::new(proto::upgrade_resource_identity::Response {
                upgraded_identity,
                diagnostics: diagnostics.into_proto(),
            }))
        };
        let mut diagnostics = Diagnostics::new();
        let Some(identity) = resource.identity() else {
            diagnostics.error(
                "No resource identity",
                format!("{} has no identity to upgrade.", request.type_name),
            );
            return respond(diagnostics, None);
        };
        let schema = identity.identity_schema();
        // Every identity schema is still at its first version: only that one can be read.
        if request.version != schema.version {
            diagnostics.error(
                "Identity of an unknown version",
                format!(
                    "This {} identity was stored with identity schema version {}, but this provider knows only version {}.",
                    request.type_name, request.version, schema.version
                ),
            );
            return respond(diagnostics, None);
        }
        let raw = request.raw_identity.unwrap_or_default();
        let value = match value::decode_json(&raw.json, &schema.value_type()) {
            Ok(value) => value,
            Err(e) => {
                diagnostics.error("Stored identity does not match its schema", e.to_string());
                return respond(diagnostics, None);
            }
        };
        match encode(&value, &schema.value_type()) {
            Ok(encoded) => respond(
                diagnostics,
                Some(proto::ResourceIdentityData {
                    identity_data: Some(encoded),
                }),
            ),
            Err(d) => {
                diagnostics.push(d);
                respond(diagnostics, None)
            }
        }
    }

    async fn validate_provider_config(
        &self,
        request: Request<proto::validate_provider_config::Request>,
    ) -> RpcResult<proto::validate_provider_config::Response> {
        let request = request.into_inner();
        let respond = |diagnostics: Diagnostics| {
            Ok(Response::new(proto::validate_provider_config::Response {
                diagnostics: diagnostics.into_proto(),
            }))
        };
        let mut diagnostics = Diagnostics::new();
        let ty = self.catalog.provider_schema.value_type();
        let config = try_step!(decode(request.config.as_ref(), &ty), diagnostics, respond);
        diagnostics.extend(self.catalog.provider_schema.block.check_config(&config));
        diagnostics.extend(self.provider.validate(&config).await);
        respond(diagnostics)
    }

    async fn configure_provider(
        &self,
        request: Request<proto::configure_provider::Request>,
    ) -> RpcResult<proto::configure_provider::Response> {
        let request = request.into_inner();
        let respond = |diagnostics: Diagnostics| {
            Ok(Response::new(proto::configure_provider::Response {
                diagnostics: diagnostics.into_proto(),
            }))
        };
        let mut diagnostics = Diagnostics::new();
        let ty = self.catalog.provider_schema.value_type();
        let config = try_step!(decode(request.config.as_ref(), &ty), diagnostics, respond);
        diagnostics.extend(
            self.provider
                .configure(&request.terraform_version, &config)
                .await,
        );
        respond(diagnostics)
    }

    async fn validate_resource_config(
        &self,
        request: Request<proto::validate_resource_config::Request>,
    ) -> RpcResult<proto::validate_resource_config::Response> {
        let request = request.into_inner();
        tracing::debug!(rpc = "ValidateResourceConfig", type_name = %request.type_name);
        let (resource, schema) = self.resource(&request.type_name)?;
        let respond = |diagnostics: Diagnostics| {
            Ok(Response::new(proto::validate_resource_config::Response {
                diagnostics: diagnostics.into_proto(),
            }))
        };
        let mut diagnostics = Diagnostics::new();
        let config = try_step!(
            decode(request.config.as_ref(), &schema.value_type()),
            diagnostics,
            respond
        );
        let write_only_allowed = request
            .client_capabilities
            .is_some_and(|c| c.write_only_attributes_allowed);
        if !write_only_allowed {
            for at in write_only_set(&schema.block, &config, &AttributePath::root()) {
                diagnostics.push(
                    Diagnostic::error(
                        "Write-only attribute needs a newer Terraform",
                        format!(
                            "{at} is write-only: it is never stored in state. Terraform 1.11 or later is needed to set it."
                        ),
                    )
                    .at(at),
                );
            }
        }
        diagnostics.extend(schema.block.check_config(&config));
        diagnostics.extend(resource.validate(&config).await);
        respond(diagnostics)
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<proto::validate_data_resource_config::Request>,
    ) -> RpcResult<proto::validate_data_resource_config::Response> {
        let request = request.into_inner();
        tracing::debug!(rpc = "ValidateDataResourceConfig", type_name = %request.type_name);
        let (data_source, schema) = self.data_source(&request.type_name)?;
        let respond = |diagnostics: Diagnostics| {
            Ok(Response::new(
                proto::validate_data_resource_config::Response {
                    diagnostics: diagnostics.into_proto(),
                },
            ))
        };
        let mut diagnostics = Diagnostics::new();
        let config = try_step!(
            decode(request.config.as_ref(), &schema.value_type()),
            diagnostics,
            respond
        );
        diagnostics.extend(schema.block.check_config(&config));
        diagnostics.extend(data_source.validate(&config).await);
        respond(diagnostics)
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<proto::upgrade_resource_state::Request>,
    ) -> RpcResult<proto::upgrade_resource_state::Response> {
        let request = request.into_inner();
        tracing::debug!(rpc = "UpgradeResourceState", type_name = %request.type_name);
        let (resource, schema) = self.resource(&request.type_name)?;
        let respond = |diagnostics: Diagnostics| {
            Ok(Response::new(proto::upgrade_resource_state::Response {
                upgraded_state: None,
                diagnostics: diagnostics.into_proto(),
            }))
        };
        let mut diagnostics = Diagnostics::new();
        let raw = request.raw_state.unwrap_or_default();
        if raw.json.is_empty() {
            diagnostics.error(
                "State in an unsupported format",
                "This state was written in the flatmap format of Terraform 0.11 and older, which this provider never wrote.",
            );
            return respond(diagnostics);
        }
        let ty = schema.value_type();
        let state = if request.version == schema.version {
            try_step!(
                value::decode_json(&raw.json, &ty).map_err(|e| Diagnostic::error(
                    "Stored state does not match the schema",
                    e.to_string()
                )),
                diagnostics,
                respond
            )
        } else if request.version > schema.version {
            diagnostics.error(
                "State written by a newer provider",
                format!(
                    "This {} was stored with schema version {}, but this provider knows version {}. Use the provider version that wrote it, or newer.",
                    request.type_name, request.version, schema.version
                ),
            );
            return respond(diagnostics);
        } else {
            let Some(upgrader) = resource.upgrade_state() else {
                diagnostics.error(
                    "No state upgrade available",
                    format!(
                        "{} state of schema version {} cannot be upgraded to version {}.",
                        request.type_name, request.version, schema.version
                    ),
                );
                return respond(diagnostics);
            };
            let json: serde_json::Value = try_step!(
                serde_json::from_slice(&raw.json).map_err(|e| Diagnostic::error(
                    "Stored state is not valid JSON",
                    e.to_string()
                )),
                diagnostics,
                respond
            );
            let outcome = upgrader.upgrade_state(request.version, &json);
            diagnostics.extend(outcome.diagnostics);
            match outcome.value {
                Some(state) => state,
                None => return respond(diagnostics),
            }
        };
        let upgraded_state = try_step!(encode(&state, &ty), diagnostics, respond);
        Ok(Response::new(proto::upgrade_resource_state::Response {
            upgraded_state: Some(upgraded_state),
            diagnostics: diagnostics.into_proto(),
        }))
    }

    async fn read_resource(
        &self,
        request: Request<proto::read_resource::Request>,
    ) -> RpcResult<proto::read_resource::Response> {
        let request = request.into_inner();
        tracing::debug!(rpc = "ReadResource", type_name = %request.type_name);
        let (resource, schema) = self.resource(&request.type_name)?;
        let ty = schema.value_type();
        let respond_with = |diagnostics: Diagnostics, new_state, private, new_identity| {
            Ok(Response::new(proto::read_resource::Response {
                new_state,
                diagnostics: diagnostics.into_proto(),
                private,
                deferred: None,
                new_identity,
            }))
        };
        let respond = |diagnostics: Diagnostics| {
            respond_with(
                diagnostics,
                request.current_state.clone(),
                request.private.clone(),
                None,
            )
        };
        let mut diagnostics = Diagnostics::new();
        let current = try_step!(
            decode(request.current_state.as_ref(), &ty),
            diagnostics,
            respond
        );
        let outcome = resource
            .read(
                &self.context(),
                Stored {
                    state: current,
                    private: request.private.clone(),
                },
            )
            .await;
        diagnostics.extend(outcome.diagnostics);
        match outcome.value {
            Some(stored) => {
                let state = without_write_only(schema, stored.state);
                let encoded = try_step!(encode(&state, &ty), diagnostics, respond);
                let identity = identity_data(resource.as_ref(), &state);
                respond_with(diagnostics, Some(encoded), stored.private, identity)
            }
            // Failed to read: keep what Terraform knew.
            None if diagnostics.has_errors() => respond(diagnostics),
            // Gone: a null state tells Terraform to plan its creation.
            None => {
                let null = try_step!(encode(&Value::Null, &ty), diagnostics, respond);
                respond_with(diagnostics, Some(null), Vec::new(), None)
            }
        }
    }

    async fn plan_resource_change(
        &self,
        request: Request<proto::plan_resource_change::Request>,
    ) -> RpcResult<proto::plan_resource_change::Response> {
        let request = request.into_inner();
        tracing::debug!(rpc = "PlanResourceChange", type_name = %request.type_name);
        let (resource, schema) = self.resource(&request.type_name)?;
        let ty = schema.value_type();
        let respond = |diagnostics: Diagnostics| {
            Ok(Response::new(proto::plan_resource_change::Response {
                diagnostics: diagnostics.into_proto(),
                ..Default::default()
            }))
        };
        let mut diagnostics = Diagnostics::new();
        let prior = try_step!(
            decode(request.prior_state.as_ref(), &ty),
            diagnostics,
            respond
        );
        let proposed = try_step!(
            decode(request.proposed_new_state.as_ref(), &ty),
            diagnostics,
            respond
        );
        let config = try_step!(decode(request.config.as_ref(), &ty), diagnostics, respond);
        // Values unknown at validation may be known now.
        diagnostics.extend(schema.block.check_config(&config));
        if diagnostics.has_errors() {
            return respond(diagnostics);
        }
        let mut plan = default_plan(&schema.block, &prior, &proposed, &config);
        plan.private = request.prior_private.clone();
        if let (false, Some(modifier)) = (proposed.is_null(), resource.modify_plan()) {
            let planning = PlanRequest {
                prior: Stored {
                    state: prior,
                    private: request.prior_private,
                },
                proposed,
                config,
            };
            diagnostics.extend(
                modifier
                    .modify_plan(&self.context(), &planning, &mut plan)
                    .await,
            );
            if diagnostics.has_errors() {
                return respond(diagnostics);
            }
            settle_replacements(&schema.block, &planning.prior.state, &mut plan);
        }
        let planned_state = try_step!(encode(&plan.planned, &ty), diagnostics, respond);
        Ok(Response::new(proto::plan_resource_change::Response {
            planned_state: Some(planned_state),
            requires_replace: plan.requires_replace.iter().map(Into::into).collect(),
            planned_private: plan.private,
            diagnostics: diagnostics.into_proto(),
            legacy_type_system: false,
            deferred: None,
            planned_identity: request.prior_identity,
        }))
    }

    async fn apply_resource_change(
        &self,
        request: Request<proto::apply_resource_change::Request>,
    ) -> RpcResult<proto::apply_resource_change::Response> {
        let request = request.into_inner();
        tracing::debug!(rpc = "ApplyResourceChange", type_name = %request.type_name);
        let (resource, schema) = self.resource(&request.type_name)?;
        let ty = schema.value_type();
        // An operation that failed without saying what exists leaves the object as it was:
        // the prior state and its private data (for a destroy, what restoring needs), which
        // Terraform stores from this answer, not from what it had.
        let respond = |diagnostics: Diagnostics| {
            Ok(Response::new(proto::apply_resource_change::Response {
                new_state: request.prior_state.clone(),
                private: request.planned_private.clone(),
                diagnostics: diagnostics.into_proto(),
                ..Default::default()
            }))
        };
        let mut diagnostics = Diagnostics::new();
        let prior = try_step!(
            decode(request.prior_state.as_ref(), &ty),
            diagnostics,
            respond
        );
        let planned = try_step!(
            decode(request.planned_state.as_ref(), &ty),
            diagnostics,
            respond
        );
        let config = try_step!(decode(request.config.as_ref(), &ty), diagnostics, respond);
        let ctx = self.context();
        let outcome: Outcome<Stored> = if planned.is_null() {
            let prior = Stored {
                state: prior,
                private: request.planned_private.clone(),
            };
            let deleted = resource.delete(&ctx, prior).await;
            if deleted.has_errors() {
                diagnostics.extend(deleted);
                return respond(diagnostics);
            }
            Outcome {
                value: Some(Stored::new(Value::Null)),
                diagnostics: deleted,
            }
        } else {
            // Every value is known now: check again what validation could only check in
            // part, before anything is written.
            let invalid: Diagnostics = schema
                .block
                .check_config(&config)
                .into_iter()
                .chain(resource.validate(&config).await)
                .filter(Diagnostic::is_error)
                .collect();
            if invalid.has_errors() {
                diagnostics.extend(invalid);
                return respond(diagnostics);
            }
            let creating = prior.is_null();
            let apply = ApplyRequest {
                prior: Stored {
                    state: prior,
                    private: request.planned_private.clone(),
                },
                planned,
                planned_private: request.planned_private.clone(),
                config,
            };
            if creating {
                resource.create(&ctx, apply).await
            } else {
                resource.update(&ctx, apply).await
            }
        };
        diagnostics.extend(outcome.diagnostics);
        let Some(stored) = outcome.value else {
            return respond(diagnostics);
        };
        let state = without_write_only(schema, stored.state);
        let new_state = try_step!(encode(&state, &ty), diagnostics, respond);
        Ok(Response::new(proto::apply_resource_change::Response {
            new_identity: identity_data(resource.as_ref(), &state),
            new_state: Some(new_state),
            private: stored.private,
            diagnostics: diagnostics.into_proto(),
            legacy_type_system: false,
        }))
    }

    async fn import_resource_state(
        &self,
        request: Request<proto::import_resource_state::Request>,
    ) -> RpcResult<proto::import_resource_state::Response> {
        let request = request.into_inner();
        tracing::debug!(rpc = "ImportResourceState", type_name = %request.type_name);
        let (resource, schema) = self.resource(&request.type_name)?;
        let respond = |diagnostics: Diagnostics| {
            Ok(Response::new(proto::import_resource_state::Response {
                diagnostics: diagnostics.into_proto(),
                ..Default::default()
            }))
        };
        let mut diagnostics = Diagnostics::new();
        let Some(importer) = resource.import() else {
            diagnostics.error(
                "Import not supported",
                format!("{} cannot be imported.", request.type_name),
            );
            return respond(diagnostics);
        };
        let id = match (request.id.is_empty(), request.identity, resource.identity()) {
            (false, _, _) => request.id,
            (true, Some(data), Some(identity)) => {
                let ty = identity.identity_schema().value_type();
                let value = try_step!(
                    decode(data.identity_data.as_ref(), &ty),
                    diagnostics,
                    respond
                );
                try_step!(
                    identity.import_id(&value).ok_or_else(|| Diagnostic::error(
                        "Incomplete identity",
                        format!(
                            "The identity given does not name one {}.",
                            request.type_name
                        )
                    )),
                    diagnostics,
                    respond
                )
            }
            _ => {
                diagnostics.error("Missing import ID", "Give the ID of the object to import.");
                return respond(diagnostics);
            }
        };
        let outcome = importer.import_state(&self.context(), &id).await;
        diagnostics.extend(outcome.diagnostics);
        let Some(stored) = outcome.value else {
            return respond(diagnostics);
        };
        let state = without_write_only(schema, stored.state);
        let encoded = try_step!(encode(&state, &schema.value_type()), diagnostics, respond);
        Ok(Response::new(proto::import_resource_state::Response {
            imported_resources: vec![proto::import_resource_state::ImportedResource {
                type_name: request.type_name.clone(),
                identity: identity_data(resource.as_ref(), &state),
                state: Some(encoded),
                private: stored.private,
            }],
            diagnostics: diagnostics.into_proto(),
            deferred: None,
        }))
    }

    async fn read_data_source(
        &self,
        request: Request<proto::read_data_source::Request>,
    ) -> RpcResult<proto::read_data_source::Response> {
        let request = request.into_inner();
        tracing::debug!(rpc = "ReadDataSource", type_name = %request.type_name);
        let (data_source, schema) = self.data_source(&request.type_name)?;
        let ty = schema.value_type();
        let respond = |diagnostics: Diagnostics| {
            Ok(Response::new(proto::read_data_source::Response {
                diagnostics: diagnostics.into_proto(),
                ..Default::default()
            }))
        };
        let mut diagnostics = Diagnostics::new();
        let config = try_step!(decode(request.config.as_ref(), &ty), diagnostics, respond);
        let outcome = data_source.read(&self.context(), config).await;
        diagnostics.extend(outcome.diagnostics);
        let Some(state) = outcome.value else {
            return respond(diagnostics);
        };
        let state = try_step!(encode(&state, &ty), diagnostics, respond);
        Ok(Response::new(proto::read_data_source::Response {
            state: Some(state),
            diagnostics: diagnostics.into_proto(),
            deferred: None,
        }))
    }

    async fn validate_list_resource_config(
        &self,
        request: Request<proto::validate_list_resource_config::Request>,
    ) -> RpcResult<proto::validate_list_resource_config::Response> {
        let request = request.into_inner();
        tracing::debug!(rpc = "ValidateListResourceConfig", type_name = %request.type_name);
        let (resource, schema) = self.list_resource(&request.type_name)?;
        let respond = |diagnostics: Diagnostics| {
            Ok(Response::new(
                proto::validate_list_resource_config::Response {
                    diagnostics: diagnostics.into_proto(),
                },
            ))
        };
        let mut diagnostics = Diagnostics::new();
        let config = try_step!(
            decode(request.config.as_ref(), &schema.value_type()),
            diagnostics,
            respond
        );
        if let Some(list) = resource.list() {
            diagnostics.extend(list.validate_list(&config).await);
        }
        respond(diagnostics)
    }

    async fn list_resource(
        &self,
        request: Request<proto::list_resource::Request>,
    ) -> RpcResult<tonic::codegen::BoxStream<proto::list_resource::Event>> {
        let request = request.into_inner();
        tracing::debug!(rpc = "ListResource", type_name = %request.type_name);
        let (resource, list_schema) = self.list_resource(&request.type_name)?;
        let (_, schema) = self.resource(&request.type_name)?;
        let failed = |diagnostics: Diagnostics| proto::list_resource::Event {
            diagnostic: diagnostics.into_proto(),
            ..Default::default()
        };
        let events = match (
            decode(request.config.as_ref(), &list_schema.value_type()),
            resource.list(),
        ) {
            (Err(diagnostic), _) => vec![failed(diagnostic.into())],
            (Ok(_), None) => Vec::new(),
            (Ok(config), Some(list)) => {
                let listing = ListRequest {
                    config,
                    include_resource_object: request.include_resource_object,
                    limit: request.limit,
                };
                let outcome = list.list(&self.context(), listing).await;
                let mut events: Vec<_> = outcome
                    .value
                    .unwrap_or_default()
                    .into_iter()
                    .take(usize::try_from(request.limit.max(0)).unwrap_or(usize::MAX))
                    .map(|listed| {
                        let state = without_write_only(schema, listed.state);
                        let mut diagnostics = listed.diagnostics;
                        let resource_object = if request.include_resource_object {
                            match encode(&state, &schema.value_type()) {
                                Ok(encoded) => Some(encoded),
                                Err(d) => {
                                    diagnostics.push(d);
                                    None
                                }
                            }
                        } else {
                            None
                        };
                        proto::list_resource::Event {
                            identity: identity_data(resource.as_ref(), &state),
                            display_name: listed.display_name,
                            resource_object,
                            diagnostic: diagnostics.into_proto(),
                        }
                    })
                    .collect();
                // Errors about the whole listing come last: Terraform stops at the first
                // event with errors and keeps what came before.
                if !outcome.diagnostics.is_empty() {
                    events.push(failed(outcome.diagnostics));
                }
                events
            }
        };
        Ok(Response::new(Box::pin(tokio_stream::iter(
            events.into_iter().map(Ok),
        ))))
    }

    async fn get_functions(
        &self,
        _: Request<proto::get_functions::Request>,
    ) -> RpcResult<proto::get_functions::Response> {
        Ok(Response::new(proto::get_functions::Response {
            functions: self.catalog.schema_response.functions.clone(),
            diagnostics: Vec::new(),
        }))
    }

    async fn call_function(
        &self,
        request: Request<proto::call_function::Request>,
    ) -> RpcResult<proto::call_function::Response> {
        let request = request.into_inner();
        tracing::debug!(rpc = "CallFunction", name = %request.name);
        let respond = |error: FunctionError| {
            Ok(Response::new(proto::call_function::Response {
                result: None,
                error: Some(error.into()),
            }))
        };
        let Some((function, definition)) = self.catalog.functions.get(&request.name) else {
            return respond(FunctionError::new(format!(
                "this provider has no function named {:?}",
                request.name
            )));
        };
        let mut arguments = Vec::with_capacity(request.arguments.len());
        for (position, argument) in request.arguments.iter().enumerate() {
            let Some(ty) = definition.argument_type(position) else {
                return respond(FunctionError::new(format!(
                    "{} takes {} arguments, got {}",
                    request.name,
                    definition.parameters.len(),
                    request.arguments.len()
                )));
            };
            match decode(Some(argument), ty) {
                Ok(value) => arguments.push(value),
                Err(d) => return respond(FunctionError::in_argument(position, d.detail)),
            }
        }
        if arguments.len() < definition.parameters.len() {
            return respond(FunctionError::new(format!(
                "{} takes {} arguments, got {}",
                request.name,
                definition.parameters.len(),
                arguments.len()
            )));
        }
        match function.call(&arguments) {
            Ok(result) => match encode(&result, &definition.returns) {
                Ok(result) => Ok(Response::new(proto::call_function::Response {
                    result: Some(result),
                    error: None,
                })),
                Err(d) => respond(FunctionError::new(d.detail)),
            },
            Err(error) => respond(error),
        }
    }

    async fn stop_provider(
        &self,
        _: Request<proto::stop_provider::Request>,
    ) -> RpcResult<proto::stop_provider::Response> {
        tracing::info!("Terraform asked the provider to stop; in-flight operations are told");
        self.stop_handle.stop();
        Ok(Response::new(proto::stop_provider::Response {
            error: String::new(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Attribute, NestedBlock, Nesting};

    /// A top-level secret, and a `tls` block (single, or a list) holding one.
    fn schema(nesting: Nesting) -> Schema {
        let mut schema = Schema::new(
            "",
            vec![
                Attribute::required("name", Type::String),
                Attribute::optional("secret", Type::String).write_only(),
            ],
        );
        schema.block.blocks.push(NestedBlock {
            type_name: "tls".into(),
            nesting,
            block: Block {
                attributes: vec![
                    Attribute::optional("cname", Type::String),
                    Attribute::optional("key", Type::String).write_only(),
                ],
                ..Block::default()
            },
            min_items: 0,
            max_items: 1,
        });
        schema
    }

    fn tls(key: Value) -> Value {
        Value::object([("cname", "www.example.com".into()), ("key", key)])
    }

    fn thing(secret: Value, tls: Value) -> Value {
        Value::object([("name", "a".into()), ("secret", secret), ("tls", tls)])
    }

    #[test]
    fn write_only_attributes_of_nested_blocks_are_never_stored() {
        let single =
            without_write_only(&schema(Nesting::Single), thing("s".into(), tls("k".into())));
        assert_eq!(single, thing(Value::Null, tls(Value::Null)));
        let listed = without_write_only(
            &schema(Nesting::List),
            thing(Value::Null, Value::List(vec![tls("k".into())])),
        );
        assert_eq!(
            listed,
            thing(Value::Null, Value::List(vec![tls(Value::Null)]))
        );
        let without_block =
            without_write_only(&schema(Nesting::Single), thing("s".into(), Value::Null));
        assert_eq!(without_block, thing(Value::Null, Value::Null));
    }

    #[test]
    fn write_only_attributes_set_are_found_in_nested_blocks() {
        let paths = |schema: &Schema, config: &Value| -> Vec<String> {
            write_only_set(&schema.block, config, &AttributePath::root())
                .iter()
                .map(ToString::to_string)
                .collect()
        };
        let single = schema(Nesting::Single);
        assert_eq!(
            paths(&single, &thing("s".into(), tls("k".into()))),
            ["secret", "tls.key"]
        );
        assert!(paths(&single, &thing(Value::Null, tls(Value::Null))).is_empty());
        assert!(paths(&single, &thing(Value::Null, Value::Null)).is_empty());
        let list = schema(Nesting::List);
        assert_eq!(
            paths(
                &list,
                &thing(
                    Value::Null,
                    Value::List(vec![tls(Value::Null), tls("k".into())])
                )
            ),
            ["tls[1].key"]
        );
    }
}
