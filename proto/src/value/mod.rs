//! Terraform values and types, and their two wire encodings.
//!
//! Terraform's type system (cty) travels as JSON type descriptions in schemas, and values
//! travel as `DynamicValue`s: MessagePack normally, JSON for stored state being upgraded.
//! A value cannot be decoded without the type it is expected to have, so every decoder
//! takes a [`Type`].

mod field;
mod json;
mod msgpack;

use std::collections::{BTreeMap, BTreeSet};

pub use field::Field;
pub use json::{decode_json, encode_json};
pub use msgpack::{decode_msgpack, encode_msgpack};

/// A Terraform type constraint.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Type {
    Bool,
    Number,
    String,
    /// Any type, decided per value (`dynamic` / `any` in HCL).
    Dynamic,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(ObjectType),
    Tuple(Vec<Type>),
}

/// An object type: named attributes, some of which may be optional (only meaningful in
/// function parameters and nested attribute types).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ObjectType {
    pub attributes: BTreeMap<String, Type>,
    pub optional: BTreeSet<String>,
}

/// A Terraform value. Collections hold values of their element type; a value positioned
/// where the type is [`Type::Dynamic`] is carried as [`Value::Dynamic`] with its concrete type.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    /// Not known until apply. Refinements narrow what it can become.
    Unknown(Refinements),
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    Set(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Object(BTreeMap<String, Value>),
    Tuple(Vec<Value>),
    /// A known, non-null value whose type was decided at run time.
    Dynamic(Type, Box<Value>),
}

/// A Terraform number. cty numbers are arbitrary precision; most fit an `i64` or `f64`,
/// and the rest travel as their decimal text.
#[derive(Debug, Clone, PartialEq)]
pub enum Number {
    Int(i64),
    Float(f64),
    /// A number too large or too precise for `i64`/`f64`, as decimal text.
    Big(String),
}

/// What Terraform already knows about an unknown value ("refined unknowns", Terraform 1.6+).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Refinements {
    /// The value will definitely not be null.
    pub not_null: bool,
    /// A string value will start with this prefix.
    pub string_prefix: Option<String>,
    /// A number will be at least (`.1`: or equal to) this.
    pub number_lower: Option<(Number, bool)>,
    /// A number will be at most (`.1`: or equal to) this.
    pub number_upper: Option<(Number, bool)>,
    /// A collection will have at least this many elements.
    pub length_lower: Option<u64>,
    /// A collection will have at most this many elements.
    pub length_upper: Option<u64>,
}

/// Why bytes could not be decoded as a value of the expected type.
#[derive(Debug, thiserror::Error)]
#[error("{}", located(path, message))]
pub struct DecodeError {
    /// Where in the value the problem is, like `.subnets[2]`; empty for the root.
    pub path: String,
    pub message: String,
}

/// Why a value could not be encoded as the given type.
#[derive(Debug, thiserror::Error)]
#[error("{}", located(path, message))]
pub struct EncodeError {
    /// Where in the value the problem is, like `.subnets[2]`; empty for the root.
    pub path: String,
    pub message: String,
}

fn located(path: &str, message: &str) -> String {
    if path.is_empty() {
        message.to_owned()
    } else {
        format!("{path}: {message}")
    }
}

impl Value {
    pub fn unknown() -> Value {
        Value::Unknown(Refinements::default())
    }

    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown(_))
    }

    /// True when neither this value nor anything inside it is unknown.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown(_) => false,
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                items.iter().all(Value::is_wholly_known)
            }
            Value::Map(entries) | Value::Object(entries) => {
                entries.values().all(Value::is_wholly_known)
            }
            Value::Dynamic(_, inner) => inner.is_wholly_known(),
            _ => true,
        }
    }

    /// Equality in which strings, also inside collections, compare without regard to ASCII
    /// letter case. Set elements match in any order.
    pub fn eq_ignoring_case(&self, other: &Value) -> bool {
        let all_pairs = |a: &[Value], b: &[Value]| {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.eq_ignoring_case(y))
        };
        match (self, other) {
            (Value::String(a), Value::String(b)) => a.eq_ignore_ascii_case(b),
            (Value::List(a), Value::List(b)) | (Value::Tuple(a), Value::Tuple(b)) => {
                all_pairs(a, b)
            }
            (Value::Set(a), Value::Set(b)) => {
                a.len() == b.len()
                    && a.iter().all(|x| b.iter().any(|y| x.eq_ignoring_case(y)))
                    && b.iter().all(|y| a.iter().any(|x| x.eq_ignoring_case(y)))
            }
            (Value::Map(a), Value::Map(b)) | (Value::Object(a), Value::Object(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(key, x)| b.get(key).is_some_and(|y| x.eq_ignoring_case(y)))
            }
            (Value::Dynamic(ta, a), Value::Dynamic(tb, b)) => ta == tb && a.eq_ignoring_case(b),
            (a, b) => a == b,
        }
    }

    /// An attribute of an object value; `None` when this is not an object or has no such
    /// attribute.
    pub fn attr(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Object(attributes) => attributes.get(name),
            Value::Dynamic(_, inner) => inner.attr(name),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            Value::Dynamic(_, inner) => inner.as_str(),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::Dynamic(_, inner) => inner.as_bool(),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(Number::Int(i)) => Some(*i),
            Value::Number(Number::Float(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => {
                Some(*f as i64)
            }
            Value::Dynamic(_, inner) => inner.as_i64(),
            _ => None,
        }
    }

    /// The elements of a list, set or tuple.
    pub fn as_elements(&self) -> Option<&[Value]> {
        match self {
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => Some(items),
            Value::Dynamic(_, inner) => inner.as_elements(),
            _ => None,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Number(Number::Int(i))
    }
}

impl Type {
    pub fn list(element: Type) -> Type {
        Type::List(Box::new(element))
    }

    pub fn set(element: Type) -> Type {
        Type::Set(Box::new(element))
    }

    pub fn map(element: Type) -> Type {
        Type::Map(Box::new(element))
    }

    pub fn object<'a>(attributes: impl IntoIterator<Item = (&'a str, Type)>) -> Type {
        Type::Object(ObjectType {
            attributes: attributes
                .into_iter()
                .map(|(name, ty)| (name.to_owned(), ty))
                .collect(),
            optional: BTreeSet::new(),
        })
    }

    /// The cty JSON type description used in schemas: `"string"`, `["list","string"]`,
    /// `["object",{"a":"bool"}]`, `["object",{...},["optional_attr"]]`, `["tuple",[...]]`,
    /// `"dynamic"`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Type::Bool => json!("bool"),
            Type::Number => json!("number"),
            Type::String => json!("string"),
            Type::Dynamic => json!("dynamic"),
            Type::List(element) => json!(["list", element.to_json()]),
            Type::Set(element) => json!(["set", element.to_json()]),
            Type::Map(element) => json!(["map", element.to_json()]),
            Type::Object(object) => {
                let attributes: serde_json::Map<String, serde_json::Value> = object
                    .attributes
                    .iter()
                    .map(|(name, ty)| (name.clone(), ty.to_json()))
                    .collect();
                if object.optional.is_empty() {
                    json!(["object", attributes])
                } else {
                    json!(["object", attributes, object.optional])
                }
            }
            Type::Tuple(elements) => {
                json!([
                    "tuple",
                    elements.iter().map(Type::to_json).collect::<Vec<_>>()
                ])
            }
        }
    }

    /// The JSON description as bytes, as schemas and functions carry it.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        self.to_json().to_string().into_bytes()
    }

    /// Parses a cty JSON type description.
    pub fn from_json(json: &serde_json::Value) -> Result<Type, String> {
        use serde_json::Value as J;
        match json {
            J::String(name) => match name.as_str() {
                "bool" => Ok(Type::Bool),
                "number" => Ok(Type::Number),
                "string" => Ok(Type::String),
                "dynamic" => Ok(Type::Dynamic),
                other => Err(format!("unknown primitive type {other:?}")),
            },
            J::Array(parts) => match (parts.first().and_then(J::as_str), parts.len()) {
                (Some("list"), 2) => Ok(Type::list(Type::from_json(&parts[1])?)),
                (Some("set"), 2) => Ok(Type::set(Type::from_json(&parts[1])?)),
                (Some("map"), 2) => Ok(Type::map(Type::from_json(&parts[1])?)),
                (Some("tuple"), 2) => {
                    let elements = parts[1].as_array().ok_or("tuple elements must be a list")?;
                    Ok(Type::Tuple(
                        elements
                            .iter()
                            .map(Type::from_json)
                            .collect::<Result<_, _>>()?,
                    ))
                }
                (Some("object"), 2 | 3) => {
                    let attributes = parts[1]
                        .as_object()
                        .ok_or("object attributes must be a map")?
                        .iter()
                        .map(|(name, ty)| Ok((name.clone(), Type::from_json(ty)?)))
                        .collect::<Result<_, String>>()?;
                    let optional = match parts.get(2) {
                        Some(names) => names
                            .as_array()
                            .ok_or("optional attributes must be a list")?
                            .iter()
                            .map(|n| {
                                n.as_str()
                                    .map(str::to_owned)
                                    .ok_or("optional names are strings")
                            })
                            .collect::<Result<_, _>>()?,
                        None => BTreeSet::new(),
                    };
                    Ok(Type::Object(ObjectType {
                        attributes,
                        optional,
                    }))
                }
                _ => Err(format!("unknown type description {json}")),
            },
            _ => Err(format!("unknown type description {json}")),
        }
    }
}
