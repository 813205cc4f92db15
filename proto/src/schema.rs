//! Schemas: what a provider, resource or data source accepts and records, described the
//! way Terraform needs to decode configuration, render plans and write documentation.

use std::ops::RangeInclusive;

use crate::diagnostics::{AttributePath, Diagnostic, Diagnostics};
use crate::proto;
use crate::value::{Number, ObjectType, Type, Value};

/// The schema of a provider configuration, resource or data source.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    /// Bumped whenever stored state must be upgraded to match.
    pub version: i64,
    pub block: Block,
}

#[derive(Debug, Clone, Default)]
pub struct Block {
    /// Markdown.
    pub description: String,
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
    pub deprecated: bool,
}

/// Whether the configuration must, may or cannot set an attribute, and whether the
/// provider fills it in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Required,
    Optional,
    /// Set by the provider only.
    Computed,
    /// Set by configuration, or by the provider when configuration leaves it out.
    OptionalComputed,
}

#[derive(Debug, Clone)]
pub struct Attribute {
    pub name: String,
    pub kind: AttributeKind,
    pub presence: Presence,
    /// Markdown.
    pub description: String,
    /// Hidden in plan output and logs.
    pub sensitive: bool,
    /// Accepted in configuration but never stored in state or plan (secrets).
    pub write_only: bool,
    pub deprecated: bool,
    /// Not sent to Terraform: changing this attribute replaces the resource, which the
    /// server's default plan reports for it.
    pub requires_replace: bool,
    /// For a number (or a collection of numbers): every value must be a whole number in
    /// this range, which the server checks before the provider sees the configuration.
    pub whole_numbers: Option<RangeInclusive<i64>>,
    /// For a string: the only values accepted, spelled as Azure spells them.
    pub one_of: Option<&'static [&'static str]>,
    /// For a string, or the strings of a collection: blank is refused.
    pub not_blank: bool,
    /// For a string, or the strings of a collection: values that differ only in ASCII letter
    /// case are the same value (ARM IDs), so a change of case alone never replaces the
    /// resource (see [`Attribute::same_value`]).
    pub ignore_case: bool,
}

#[derive(Debug, Clone)]
pub enum AttributeKind {
    Typed(Type),
    /// An attribute whose value is one or more objects with their own attribute schemas.
    Nested(Nesting, Vec<Attribute>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    Single,
    List,
    Set,
    Map,
}

#[derive(Debug, Clone)]
pub struct NestedBlock {
    pub type_name: String,
    pub nesting: Nesting,
    pub block: Block,
    pub min_items: i64,
    pub max_items: i64,
}

impl Attribute {
    pub fn new(name: impl Into<String>, ty: Type, presence: Presence) -> Attribute {
        Attribute {
            name: name.into(),
            kind: AttributeKind::Typed(ty),
            presence,
            description: String::new(),
            sensitive: false,
            write_only: false,
            deprecated: false,
            requires_replace: false,
            whole_numbers: None,
            one_of: None,
            not_blank: false,
            ignore_case: false,
        }
    }

    pub fn nested(
        name: impl Into<String>,
        nesting: Nesting,
        attributes: Vec<Attribute>,
        presence: Presence,
    ) -> Attribute {
        Attribute {
            kind: AttributeKind::Nested(nesting, attributes),
            ..Attribute::new(name, Type::Dynamic, presence)
        }
    }

    pub fn required(name: impl Into<String>, ty: Type) -> Attribute {
        Attribute::new(name, ty, Presence::Required)
    }

    pub fn optional(name: impl Into<String>, ty: Type) -> Attribute {
        Attribute::new(name, ty, Presence::Optional)
    }

    pub fn computed(name: impl Into<String>, ty: Type) -> Attribute {
        Attribute::new(name, ty, Presence::Computed)
    }

    pub fn optional_computed(name: impl Into<String>, ty: Type) -> Attribute {
        Attribute::new(name, ty, Presence::OptionalComputed)
    }

    pub fn description(mut self, markdown: impl Into<String>) -> Attribute {
        self.description = markdown.into();
        self
    }

    pub fn sensitive(mut self) -> Attribute {
        self.sensitive = true;
        self
    }

    pub fn write_only(mut self) -> Attribute {
        self.write_only = true;
        self
    }

    pub fn requires_replace(mut self) -> Attribute {
        self.requires_replace = true;
        self
    }

    /// Accepts only these strings (an Azure enum).
    pub fn one_of(mut self, values: &'static [&'static str]) -> Attribute {
        self.one_of = Some(values);
        self
    }

    /// Refuses empty or blank strings.
    pub fn not_blank(mut self) -> Attribute {
        self.not_blank = true;
        self
    }

    /// Values differing only in letter case are the same value: changing the case of one in
    /// configuration updates it in place, never replaces the resource.
    pub fn ignore_case(mut self) -> Attribute {
        self.ignore_case = true;
        self
    }

    /// Whether `a` and `b` are the same value of this attribute: equal, or for an
    /// [`Attribute::ignore_case`] attribute equal but for ASCII letter case.
    pub fn same_value(&self, a: &Value, b: &Value) -> bool {
        if self.ignore_case {
            a.eq_ignoring_case(b)
        } else {
            a == b
        }
    }

    /// Accepts only whole numbers in `range` (Azure's int32 fields would otherwise wrap).
    pub fn whole_numbers(mut self, range: RangeInclusive<i64>) -> Attribute {
        self.whole_numbers = Some(range);
        self
    }

    pub fn is_computed(&self) -> bool {
        matches!(
            self.presence,
            Presence::Computed | Presence::OptionalComputed
        )
    }

    /// The type of this attribute's value.
    pub fn value_type(&self) -> Type {
        match &self.kind {
            AttributeKind::Typed(ty) => ty.clone(),
            AttributeKind::Nested(nesting, attributes) => {
                let object = Type::Object(object_type(attributes));
                nesting.wrap(object)
            }
        }
    }
}

impl Nesting {
    fn wrap(self, object: Type) -> Type {
        match self {
            Nesting::Single => object,
            Nesting::List => Type::list(object),
            Nesting::Set => Type::set(object),
            Nesting::Map => Type::map(object),
        }
    }
}

impl Block {
    /// The object type of values this block decodes to: attributes by name, nested blocks
    /// as lists, sets, maps or single objects.
    pub fn value_type(&self) -> Type {
        let mut object = object_type(&self.attributes);
        for nested in &self.blocks {
            let inner = nested.block.value_type();
            object
                .attributes
                .insert(nested.type_name.clone(), nested.nesting.wrap(inner));
        }
        Type::Object(object)
    }

    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// Whether two objects of this block hold the same values: each attribute compared by
    /// [`Attribute::same_value`], nested blocks by equality except those named in
    /// `ignoring` (like `timeouts`, which configure the provider, not the object).
    pub fn same_values(&self, a: &Value, b: &Value, ignoring: &[&str]) -> bool {
        let field = |value: &Value, name: &str| value.attr(name).cloned().unwrap_or(Value::Null);
        self.attributes
            .iter()
            .filter(|attribute| !ignoring.contains(&attribute.name.as_str()))
            .all(|attribute| {
                attribute.same_value(&field(a, &attribute.name), &field(b, &attribute.name))
            })
            && self
                .blocks
                .iter()
                .filter(|nested| !ignoring.contains(&nested.type_name.as_str()))
                .all(|nested| field(a, &nested.type_name) == field(b, &nested.type_name))
    }
}

impl Schema {
    pub fn new(description: impl Into<String>, attributes: Vec<Attribute>) -> Schema {
        Schema {
            version: 0,
            block: Block {
                description: description.into(),
                attributes,
                ..Block::default()
            },
        }
    }

    pub fn value_type(&self) -> Type {
        self.block.value_type()
    }

    /// A value of this schema with every attribute and block null: where a state or a
    /// configuration built field by field starts.
    pub fn null_value(&self) -> Value {
        let mut value = Value::object(
            self.block
                .attributes
                .iter()
                .map(|a| (a.name.as_str(), Value::Null)),
        );
        for block in &self.block.blocks {
            value.set_attr(&block.type_name, Value::Null);
        }
        value
    }
}

fn object_type(attributes: &[Attribute]) -> ObjectType {
    ObjectType {
        attributes: attributes
            .iter()
            .map(|a| (a.name.clone(), a.value_type()))
            .collect(),
        optional: Default::default(),
    }
}

impl Block {
    /// What the schema alone says of a configuration: required arguments set, numbers whole
    /// and in range. Unknown values pass; they are checked again when known.
    pub fn check_config(&self, config: &Value) -> Diagnostics {
        let mut diagnostics = Diagnostics::new();
        self.check_at(config, &AttributePath::root(), &mut diagnostics);
        diagnostics
    }

    fn check_at(&self, config: &Value, path: &AttributePath, diagnostics: &mut Diagnostics) {
        for attribute in &self.attributes {
            let at = path.clone().attr(attribute.name.clone());
            let value = config.attr(&attribute.name).unwrap_or(&Value::Null);
            if attribute.presence == Presence::Required && value.is_null() {
                diagnostics.push(
                    Diagnostic::error(
                        "Missing required argument",
                        format!(
                            "The argument \"{}\" is required, but it is null.",
                            attribute.name
                        ),
                    )
                    .at(at.clone()),
                );
            }
            if let Some(range) = &attribute.whole_numbers {
                check_numbers(value, range, &at, &attribute.name, diagnostics);
            }
            if let (Some(allowed), Some(text)) = (attribute.one_of, value.as_str())
                && !allowed.contains(&text)
            {
                let suggestion = allowed
                    .iter()
                    .find(|a| a.eq_ignore_ascii_case(text))
                    .map(|a| format!(" (did you mean {a:?}?)"))
                    .unwrap_or_default();
                diagnostics.push(
                    Diagnostic::error(
                        "Invalid value",
                        format!(
                            "{text:?} is not a value {} takes{suggestion}: use one of {}.",
                            attribute.name,
                            allowed
                                .iter()
                                .map(|a| format!("{a:?}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                    .at(at.clone()),
                );
            }
            if attribute.not_blank {
                check_not_blank(value, &at, &attribute.name, diagnostics);
            }
        }
        for nested in &self.blocks {
            if let Some(block) = config.attr(&nested.type_name).filter(|b| !b.is_null()) {
                let at = path.clone().attr(nested.type_name.clone());
                match nested.nesting {
                    Nesting::Single => nested.block.check_at(block, &at, diagnostics),
                    _ => {
                        for (index, item) in
                            block.as_elements().unwrap_or_default().iter().enumerate()
                        {
                            nested.block.check_at(
                                item,
                                &at.clone().index(index as i64),
                                diagnostics,
                            );
                        }
                    }
                }
            }
        }
    }
}

/// `value`, or every string of a collection, not blank.
fn check_not_blank(value: &Value, at: &AttributePath, name: &str, diagnostics: &mut Diagnostics) {
    match value {
        Value::String(text) if text.trim().is_empty() => diagnostics.push(
            Diagnostic::error("Empty value", format!("{name} cannot be empty.")).at(at.clone()),
        ),
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
            for (index, item) in items.iter().enumerate() {
                check_not_blank(item, &at.clone().index(index as i64), name, diagnostics);
            }
        }
        Value::Dynamic(_, inner) => check_not_blank(inner, at, name, diagnostics),
        _ => {}
    }
}

/// Every number in `value` (itself, or the elements of a list, set or map) whole and in `range`.
fn check_numbers(
    value: &Value,
    range: &RangeInclusive<i64>,
    at: &AttributePath,
    name: &str,
    diagnostics: &mut Diagnostics,
) {
    let wanted = || {
        format!(
            "{name} takes whole numbers from {} to {}.",
            range.start(),
            range.end()
        )
    };
    match value {
        Value::Number(number) => {
            let problem = match number {
                Number::Int(i) if range.contains(i) => None,
                Number::Int(i) => Some(format!("{i} is out of range: {}", wanted())),
                Number::Float(f) if f.fract() != 0.0 => {
                    Some(format!("{f} is not a whole number: {}", wanted()))
                }
                Number::Float(f) => Some(format!("{f} is out of range: {}", wanted())),
                Number::Big(text) => Some(format!("{text} is out of range: {}", wanted())),
            };
            if let Some(detail) = problem {
                diagnostics.push(Diagnostic::error("Invalid number", detail).at(at.clone()));
            }
        }
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
            for (index, item) in items.iter().enumerate() {
                check_numbers(
                    item,
                    range,
                    &at.clone().index(index as i64),
                    name,
                    diagnostics,
                );
            }
        }
        Value::Map(entries) => {
            for (key, item) in entries {
                check_numbers(item, range, &at.clone().key(key.clone()), name, diagnostics);
            }
        }
        Value::Dynamic(_, inner) => check_numbers(inner, range, at, name, diagnostics),
        _ => {}
    }
}

impl From<&Schema> for proto::Schema {
    fn from(schema: &Schema) -> proto::Schema {
        proto::Schema {
            version: schema.version,
            block: Some((&schema.block).into()),
        }
    }
}

impl From<&Block> for proto::schema::Block {
    fn from(block: &Block) -> proto::schema::Block {
        proto::schema::Block {
            version: 0,
            attributes: block.attributes.iter().map(Into::into).collect(),
            block_types: block.blocks.iter().map(Into::into).collect(),
            description: block.description.clone(),
            description_kind: proto::StringKind::Markdown.into(),
            deprecated: block.deprecated,
        }
    }
}

impl From<&Attribute> for proto::schema::Attribute {
    fn from(attribute: &Attribute) -> proto::schema::Attribute {
        let (ty, nested_type) = match &attribute.kind {
            AttributeKind::Typed(ty) => (ty.to_json_bytes(), None),
            AttributeKind::Nested(nesting, attributes) => {
                let nesting = match nesting {
                    Nesting::Single => proto::schema::object::NestingMode::Single,
                    Nesting::List => proto::schema::object::NestingMode::List,
                    Nesting::Set => proto::schema::object::NestingMode::Set,
                    Nesting::Map => proto::schema::object::NestingMode::Map,
                };
                let object = proto::schema::Object {
                    attributes: attributes.iter().map(Into::into).collect(),
                    nesting: nesting.into(),
                };
                (Vec::new(), Some(object))
            }
        };
        proto::schema::Attribute {
            name: attribute.name.clone(),
            r#type: ty,
            nested_type,
            description: attribute.description.clone(),
            required: attribute.presence == Presence::Required,
            optional: matches!(
                attribute.presence,
                Presence::Optional | Presence::OptionalComputed
            ),
            computed: matches!(
                attribute.presence,
                Presence::Computed | Presence::OptionalComputed
            ),
            sensitive: attribute.sensitive,
            description_kind: proto::StringKind::Markdown.into(),
            deprecated: attribute.deprecated,
            write_only: attribute.write_only,
        }
    }
}

impl From<&NestedBlock> for proto::schema::NestedBlock {
    fn from(nested: &NestedBlock) -> proto::schema::NestedBlock {
        use proto::schema::nested_block::NestingMode;
        let nesting = match nested.nesting {
            Nesting::Single => NestingMode::Single,
            Nesting::List => NestingMode::List,
            Nesting::Set => NestingMode::Set,
            Nesting::Map => NestingMode::Map,
        };
        proto::schema::NestedBlock {
            type_name: nested.type_name.clone(),
            block: Some((&nested.block).into()),
            nesting: nesting.into(),
            min_items: nested.min_items,
            max_items: nested.max_items,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> Schema {
        let mut schema = Schema::new(
            "A thing.",
            vec![
                Attribute::required("name", Type::String).description("Its name."),
                Attribute::optional("password", Type::String)
                    .sensitive()
                    .write_only(),
                Attribute::computed("id", Type::String),
                Attribute::nested(
                    "rules",
                    Nesting::List,
                    vec![Attribute::required("port", Type::Number)],
                    Presence::Optional,
                ),
            ],
        );
        schema.block.blocks.push(NestedBlock {
            type_name: "timeouts".into(),
            nesting: Nesting::Single,
            block: Block {
                attributes: vec![Attribute::optional("create", Type::String)],
                ..Block::default()
            },
            min_items: 0,
            max_items: 0,
        });
        schema
    }

    #[test]
    fn value_type_covers_attributes_nested_attributes_and_blocks() {
        let expected = Type::object([
            ("name", Type::String),
            ("password", Type::String),
            ("id", Type::String),
            ("rules", Type::list(Type::object([("port", Type::Number)]))),
            ("timeouts", Type::object([("create", Type::String)])),
        ]);
        assert_eq!(example().value_type(), expected);
    }

    #[test]
    fn checks_required_arguments_and_whole_numbers() {
        let schema = Schema::new(
            "",
            vec![
                Attribute::required("name", Type::String),
                Attribute::optional("count", Type::Number).whole_numbers(1..=2_147_483_647),
                Attribute::optional("priorities", Type::map(Type::Number))
                    .whole_numbers(100..=4096),
            ],
        );
        let config = |name: Value, count: Value, priorities: Value| {
            Value::object([("name", name), ("count", count), ("priorities", priorities)])
        };
        let faults = |config: &Value| -> Vec<(String, String)> {
            schema
                .block
                .check_config(config)
                .iter()
                .map(|d| (d.attribute.as_ref().unwrap().to_string(), d.detail.clone()))
                .collect()
        };
        let sound = config("a".into(), 5.into(), Value::Null);
        assert!(faults(&sound).is_empty());
        let unknown = config(Value::unknown(), Value::unknown(), Value::unknown());
        assert!(faults(&unknown).is_empty(), "unknown values wait");

        let missing = faults(&config(Value::Null, Value::Null, Value::Null));
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].0, "name");

        for (count, words) in [
            (
                Value::Number(Number::Int(4_294_967_300)),
                "4294967300 is out of range",
            ),
            (
                Value::Number(Number::Float(1.5)),
                "1.5 is not a whole number",
            ),
            (Value::Number(Number::Float(1e20)), "is out of range"),
            (Value::Number(Number::Int(0)), "0 is out of range"),
        ] {
            let found = faults(&config("a".into(), count, Value::Null));
            assert_eq!(found.len(), 1, "{words}");
            assert_eq!(found[0].0, "count");
            assert!(found[0].1.contains(words), "{}", found[0].1);
            assert!(
                found[0].1.contains("from 1 to 2147483647"),
                "{}",
                found[0].1
            );
        }
        let priorities = Value::Map(
            [(
                "batch_inbound".to_owned(),
                Value::Number(Number::Float(200.5)),
            )]
            .into(),
        );
        let found = faults(&config("a".into(), Value::Null, priorities));
        assert_eq!(found[0].0, "priorities[\"batch_inbound\"]");
    }

    #[test]
    fn checks_enums_and_blank_strings() {
        let schema = Schema::new(
            "",
            vec![
                Attribute::optional("purpose", Type::String).one_of(&["FastProd", "DevTest"]),
                Attribute::optional("size", Type::String).not_blank(),
            ],
        );
        let check = |purpose: &str, size: &str| {
            schema
                .block
                .check_config(&Value::object([
                    ("purpose", purpose.into()),
                    ("size", size.into()),
                ]))
                .iter()
                .map(|d| format!("{}: {}", d.attribute.as_ref().unwrap(), d.detail))
                .collect::<Vec<_>>()
        };
        assert!(check("DevTest", "Standard_D2").is_empty());
        let found = check("fastprod", " ");
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].starts_with("purpose: "), "{found:?}");
        assert!(found[0].contains("did you mean \"FastProd\""), "{found:?}");
        assert!(found[1].starts_with("size: "), "{found:?}");
        assert!(check("Prod", "x")[0].contains("\"FastProd\", \"DevTest\""));
    }

    #[test]
    fn wire_schema_carries_flags_and_markdown() {
        let wire = proto::Schema::from(&example());
        let block = wire.block.unwrap();
        let password = &block.attributes[1];
        assert!(password.sensitive && password.write_only && password.optional);
        assert!(!password.required && !password.computed);
        let id = &block.attributes[2];
        assert!(id.computed && !id.optional);
        assert_eq!(block.attributes[0].r#type, br#""string""#);
        assert_eq!(
            block.attributes[0].description_kind,
            proto::StringKind::Markdown as i32
        );
        let rules = block.attributes[3].nested_type.as_ref().unwrap();
        assert_eq!(
            rules.nesting,
            proto::schema::object::NestingMode::List as i32
        );
        assert!(block.attributes[3].r#type.is_empty());
        assert_eq!(block.block_types[0].type_name, "timeouts");
    }

    #[test]
    fn same_values_compare_ids_without_case_and_ignore_what_is_asked() {
        let block = Block {
            attributes: vec![
                Attribute::required("subnet_id", Type::String).ignore_case(),
                Attribute::required("name", Type::String),
            ],
            blocks: vec![NestedBlock {
                type_name: "timeouts".into(),
                nesting: Nesting::Single,
                block: Block::default(),
                min_items: 0,
                max_items: 0,
            }],
            ..Block::default()
        };
        let value = |subnet: &str, name: &str, timeout: &str| {
            Value::object([
                ("subnet_id", Value::from(subnet)),
                ("name", Value::from(name)),
                (
                    "timeouts",
                    Value::object([("create", Value::from(timeout))]),
                ),
            ])
        };
        let a = value("/S/RG/subnets/a", "c1", "30m");
        assert!(block.same_values(&a, &value("/s/rg/SUBNETS/A", "c1", "30m"), &[]));
        assert!(!block.same_values(&a, &value("/s/rg/subnets/a", "C1", "30m"), &[]));
        assert!(!block.same_values(&a, &value("/s/rg/subnets/a", "c1", "1h"), &[]));
        assert!(block.same_values(&a, &value("/s/rg/subnets/a", "c1", "1h"), &["timeouts"]));
    }
}
