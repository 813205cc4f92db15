//! Schemas: what a provider, resource or data source accepts and records, described the
//! way Terraform needs to decode configuration, render plans and write documentation.

use crate::proto;
use crate::value::{ObjectType, Type};

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
}
