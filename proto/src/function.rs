//! Provider-defined functions (Terraform 1.8+): `provider::NAME::FUNCTION(...)` in HCL.

use crate::proto;
use crate::value::{Type, Value};

/// A function a provider offers. Functions are pure: same arguments, same result, no IO.
pub trait Function: Send + Sync {
    fn name(&self) -> &'static str;
    fn definition(&self) -> FunctionDefinition;
    /// Runs the function. `arguments` holds one value per parameter, in order (then one per
    /// variadic argument), already checked against the parameter types by Terraform.
    fn call(&self, arguments: &[Value]) -> Result<Value, FunctionError>;
}

#[derive(Debug, Clone)]
pub struct FunctionDefinition {
    /// One line, shown in editor hints.
    pub summary: String,
    /// Markdown.
    pub description: String,
    pub parameters: Vec<Parameter>,
    pub variadic: Option<Parameter>,
    pub returns: Type,
}

#[derive(Debug, Clone)]
pub struct Parameter {
    pub name: String,
    pub ty: Type,
    /// Markdown.
    pub description: String,
    /// When false, Terraform rejects a null argument before calling the provider.
    pub allow_null: bool,
    /// When false, Terraform returns an unknown result for unknown arguments without
    /// calling the provider.
    pub allow_unknown: bool,
}

impl Parameter {
    pub fn new(name: impl Into<String>, ty: Type, description: impl Into<String>) -> Parameter {
        Parameter {
            name: name.into(),
            ty,
            description: description.into(),
            allow_null: false,
            allow_unknown: false,
        }
    }
}

/// Why a call failed; Terraform shows it pointing at the argument when one is named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionError {
    pub message: String,
    /// Zero-based position of the argument at fault.
    pub argument: Option<usize>,
}

impl FunctionError {
    pub fn new(message: impl Into<String>) -> FunctionError {
        FunctionError {
            message: message.into(),
            argument: None,
        }
    }

    pub fn in_argument(argument: usize, message: impl Into<String>) -> FunctionError {
        FunctionError {
            message: message.into(),
            argument: Some(argument),
        }
    }
}

impl FunctionDefinition {
    /// The type each argument is encoded with: its parameter's, or the variadic one's.
    pub(crate) fn argument_type(&self, position: usize) -> Option<&Type> {
        self.parameters
            .get(position)
            .or(self.variadic.as_ref())
            .map(|p| &p.ty)
    }
}

impl From<&Parameter> for proto::function::Parameter {
    fn from(parameter: &Parameter) -> proto::function::Parameter {
        proto::function::Parameter {
            name: parameter.name.clone(),
            r#type: parameter.ty.to_json_bytes(),
            allow_null_value: parameter.allow_null,
            allow_unknown_values: parameter.allow_unknown,
            description: parameter.description.clone(),
            description_kind: proto::StringKind::Markdown.into(),
        }
    }
}

impl From<&FunctionDefinition> for proto::Function {
    fn from(definition: &FunctionDefinition) -> proto::Function {
        proto::Function {
            parameters: definition.parameters.iter().map(Into::into).collect(),
            variadic_parameter: definition.variadic.as_ref().map(Into::into),
            r#return: Some(proto::function::Return {
                r#type: definition.returns.to_json_bytes(),
            }),
            summary: definition.summary.clone(),
            description: definition.description.clone(),
            description_kind: proto::StringKind::Markdown.into(),
            deprecation_message: String::new(),
        }
    }
}

impl From<FunctionError> for proto::FunctionError {
    fn from(error: FunctionError) -> proto::FunctionError {
        proto::FunctionError {
            text: error.message,
            function_argument: error.argument.map(|a| a as i64),
        }
    }
}
