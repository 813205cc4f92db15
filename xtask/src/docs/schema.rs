//! The `## Schema` section of a page, from a schema as the provider sends it: attributes and
//! blocks grouped as Required, Optional and Read-Only, each with its type, flags and
//! description, and one `Nested Schema` section per nested block, nested attribute or object.

use std::collections::BTreeMap;

use serde_json::Value as Json;
use tfplugin::proto::ResourceIdentitySchema;
use tfplugin::proto::schema::{Attribute, Block, NestedBlock, nested_block, object};

/// A value type, decoded from its JSON form (`"string"`, `["list","string"]`, ...).
#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    Primitive(&'static str),
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(BTreeMap<String, Type>),
    Tuple(Vec<Type>),
}

impl Type {
    pub fn from_json_bytes(bytes: &[u8]) -> Result<Type, String> {
        let json: Json = serde_json::from_slice(bytes)
            .map_err(|e| format!("type {:?}: {e}", String::from_utf8_lossy(bytes)))?;
        Type::from_json(&json)
    }

    fn from_json(json: &Json) -> Result<Type, String> {
        let unknown = || format!("unknown type {json}");
        match json {
            Json::String(name) => Ok(Type::Primitive(match name.as_str() {
                "string" => "string",
                "number" => "number",
                "bool" => "bool",
                "dynamic" => "dynamic",
                _ => return Err(unknown()),
            })),
            Json::Array(parts) => match (parts.first().and_then(Json::as_str), parts.get(1)) {
                (Some("list"), Some(element)) => {
                    Ok(Type::List(Box::new(Type::from_json(element)?)))
                }
                (Some("set"), Some(element)) => Ok(Type::Set(Box::new(Type::from_json(element)?))),
                (Some("map"), Some(element)) => Ok(Type::Map(Box::new(Type::from_json(element)?))),
                (Some("object"), Some(Json::Object(fields))) => Ok(Type::Object(
                    fields
                        .iter()
                        .map(|(name, ty)| Ok((name.clone(), Type::from_json(ty)?)))
                        .collect::<Result<_, String>>()?,
                )),
                (Some("tuple"), Some(Json::Array(elements))) => Ok(Type::Tuple(
                    elements
                        .iter()
                        .map(Type::from_json)
                        .collect::<Result<_, _>>()?,
                )),
                _ => Err(unknown()),
            },
            _ => Err(unknown()),
        }
    }

    /// As the docs name it: `String`, `List of Object`, ...
    pub fn label(&self) -> String {
        match self {
            Type::Primitive("bool") => "Boolean".into(),
            Type::Primitive(name) => capitalised(name),
            Type::List(element) => format!("List of {}", element.label()),
            Type::Set(element) => format!("Set of {}", element.label()),
            Type::Map(element) => format!("Map of {}", element.label()),
            Type::Object(_) => "Object".into(),
            Type::Tuple(_) => "Tuple".into(),
        }
    }

    /// As Terraform's type syntax writes it, for function signatures: `list of string`.
    pub fn signature(&self) -> String {
        self.label().to_lowercase().replace("boolean", "bool")
    }

    /// The fields of the object this type holds, directly or as the element of a collection.
    fn object_fields(&self) -> Option<&BTreeMap<String, Type>> {
        match self {
            Type::Object(fields) => Some(fields),
            Type::List(element) | Type::Set(element) | Type::Map(element) => match &**element {
                Type::Object(fields) => Some(fields),
                _ => None,
            },
            _ => None,
        }
    }
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Group {
    Required,
    Optional,
    ReadOnly,
}

impl Group {
    fn title(self) -> &'static str {
        match self {
            Group::Required => "Required",
            Group::Optional => "Optional",
            Group::ReadOnly => "Read-Only",
        }
    }

    fn of_attribute(attribute: &Attribute) -> Group {
        if attribute.required {
            Group::Required
        } else if attribute.optional {
            Group::Optional
        } else {
            Group::ReadOnly
        }
    }

    fn of_block(nested: &NestedBlock) -> Group {
        let block = nested.block.as_ref();
        let all_computed = block.is_some_and(|b| {
            b.attributes.iter().all(|a| !a.required && !a.optional)
                && b.block_types
                    .iter()
                    .all(|n| Group::of_block(n) == Group::ReadOnly)
        });
        if nested.min_items > 0 {
            Group::Required
        } else if all_computed {
            Group::ReadOnly
        } else {
            Group::Optional
        }
    }
}

/// One line of a group.
struct Entry {
    group: Group,
    name: String,
    line: String,
}

/// A nested schema still to render: its anchor, dotted path, and content.
enum Nested<'a> {
    Block(&'a Block),
    Attributes(&'a [Attribute]),
    Object(BTreeMap<String, Type>, Group),
}

struct Pending<'a> {
    anchor: String,
    path: String,
    nested: Nested<'a>,
}

/// The whole `## Schema` section for a resource, data source or provider block.
pub fn section(block: &Block) -> Result<String, String> {
    let mut out = String::from("## Schema\n");
    let mut pending = Vec::new();
    let entries = block_entries(block, "", &mut pending)?;
    for (group, lines) in grouped(entries, &mut pending) {
        out.push_str(&format!("\n### {}\n\n{lines}", group.title()));
    }
    render_pending(&mut out, pending)?;
    Ok(out)
}

/// The arguments of a list resource's `config` block, under a `### Configuration` heading of
/// the resource's page; anchors start `list--` so they cannot clash with the resource's own.
pub fn list_config(block: &Block) -> Result<String, String> {
    let mut out = String::from("### Configuration\n\nArguments of the `config` block:\n");
    let mut pending = Vec::new();
    let entries = block_entries(block, "list--", &mut pending)?;
    for (group, lines) in grouped(entries, &mut pending) {
        out.push_str(&format!("\n{}:\n\n{lines}", group.title()));
    }
    render_pending(&mut out, pending)?;
    Ok(out)
}

/// A resource's identity attributes, in the provider's order (that of the ARM ID they spell),
/// each saying whether an `import` block must give it.
pub fn identity_attributes(identity: &ResourceIdentitySchema) -> Result<String, String> {
    let mut out = String::new();
    for attribute in &identity.identity_attributes {
        let ty = Type::from_json_bytes(&attribute.r#type)
            .map_err(|e| format!("identity attribute {}: {e}", attribute.name))?;
        let import = if attribute.required_for_import {
            "Required for import."
        } else {
            "Optional for import."
        };
        let description = attribute.description.trim();
        let description = if description.is_empty() {
            import.to_owned()
        } else {
            format!("{description} {import}")
        };
        out.push_str(&entry_line(
            &attribute.name,
            &ty.label(),
            &description,
            None,
        ));
    }
    Ok(out)
}

fn render_pending(out: &mut String, mut pending: Vec<Pending<'_>>) -> Result<(), String> {
    let mut index = 0;
    while index < pending.len() {
        let mut more = Vec::new();
        let item = &pending[index];
        let prefix = format!("{}--", item.anchor);
        let entries = match &item.nested {
            Nested::Block(block) => block_entries(block, &prefix, &mut more)?,
            Nested::Attributes(attributes) => attributes_entries(attributes, &prefix, &mut more)?,
            Nested::Object(fields, group) => object_entries(fields, *group, &prefix, &mut more),
        };
        out.push_str(&format!(
            "\n<a id=\"{}\"></a>\n### Nested Schema for `{}`\n",
            item.anchor, item.path
        ));
        for (group, lines) in grouped(entries, &mut more) {
            out.push_str(&format!("\n{}:\n\n{lines}", group.title()));
        }
        let path = item.path.clone();
        for mut child in more {
            child.path = format!("{path}.{}", child.path);
            pending.push(child);
        }
        index += 1;
    }
    Ok(())
}

/// Entries by group, each group's lines sorted by name; their nested schemas in that order.
fn grouped(mut entries: Vec<Entry>, nested: &mut [Pending<'_>]) -> Vec<(Group, String)> {
    entries.sort_by(|a, b| (a.group, &a.name).cmp(&(b.group, &b.name)));
    nested.sort_by_key(|n| entries.iter().position(|e| e.name == n.path));
    let mut groups: Vec<(Group, String)> = Vec::new();
    for entry in entries {
        match groups.last_mut() {
            Some((group, lines)) if *group == entry.group => lines.push_str(&entry.line),
            _ => groups.push((entry.group, entry.line)),
        }
    }
    groups
}

fn block_entries<'a>(
    block: &'a Block,
    anchor_prefix: &str,
    pending: &mut Vec<Pending<'a>>,
) -> Result<Vec<Entry>, String> {
    let mut entries = attributes_entries(&block.attributes, anchor_prefix, pending)?;
    for nested in &block.block_types {
        let anchor = format!("{anchor_prefix}nestedblock--{}", nested.type_name);
        let kind = match nested_block::NestingMode::try_from(nested.nesting) {
            Ok(nested_block::NestingMode::List) => "Block List",
            Ok(nested_block::NestingMode::Set) => "Block Set",
            Ok(nested_block::NestingMode::Map) => "Block Map",
            _ => "Block",
        };
        let mut label = kind.to_owned();
        if nested.min_items > 0 {
            label.push_str(&format!(", Min: {}", nested.min_items));
        }
        if nested.max_items > 0 {
            label.push_str(&format!(", Max: {}", nested.max_items));
        }
        let inner = nested
            .block
            .as_ref()
            .ok_or_else(|| format!("block {} has no schema", nested.type_name))?;
        if inner.deprecated {
            label.push_str(", Deprecated");
        }
        entries.push(Entry {
            group: Group::of_block(nested),
            name: nested.type_name.clone(),
            line: entry_line(&nested.type_name, &label, &inner.description, Some(&anchor)),
        });
        pending.push(Pending {
            anchor,
            path: nested.type_name.clone(),
            nested: Nested::Block(inner),
        });
    }
    Ok(entries)
}

fn attributes_entries<'a>(
    attributes: &'a [Attribute],
    anchor_prefix: &str,
    pending: &mut Vec<Pending<'a>>,
) -> Result<Vec<Entry>, String> {
    let mut entries = Vec::new();
    for attribute in attributes {
        let group = Group::of_attribute(attribute);
        let (mut label, nested) = match &attribute.nested_type {
            Some(object) => {
                let kind = match object::NestingMode::try_from(object.nesting) {
                    Ok(object::NestingMode::List) => "Attributes List",
                    Ok(object::NestingMode::Set) => "Attributes Set",
                    Ok(object::NestingMode::Map) => "Attributes Map",
                    _ => "Attributes",
                };
                let anchor = format!("{anchor_prefix}nestedatt--{}", attribute.name);
                pending.push(Pending {
                    anchor: anchor.clone(),
                    path: attribute.name.clone(),
                    nested: Nested::Attributes(&object.attributes),
                });
                (kind.to_owned(), Some(anchor))
            }
            None => {
                let ty = Type::from_json_bytes(&attribute.r#type)
                    .map_err(|e| format!("attribute {}: {e}", attribute.name))?;
                let anchor = ty.object_fields().map(|fields| {
                    let anchor = format!("{anchor_prefix}nestedobjatt--{}", attribute.name);
                    pending.push(Pending {
                        anchor: anchor.clone(),
                        path: attribute.name.clone(),
                        nested: Nested::Object(fields.clone(), group),
                    });
                    anchor
                });
                (ty.label(), anchor)
            }
        };
        if attribute.sensitive {
            label.push_str(", Sensitive");
        }
        if attribute.write_only {
            label.push_str(", [Write-only](https://developer.hashicorp.com/terraform/language/resources/ephemeral#write-only-arguments)");
        }
        if attribute.deprecated {
            label.push_str(", Deprecated");
        }
        entries.push(Entry {
            group,
            name: attribute.name.clone(),
            line: entry_line(
                &attribute.name,
                &label,
                &attribute.description,
                nested.as_deref(),
            ),
        });
    }
    Ok(entries)
}

fn object_entries(
    fields: &BTreeMap<String, Type>,
    group: Group,
    anchor_prefix: &str,
    pending: &mut Vec<Pending<'_>>,
) -> Vec<Entry> {
    fields
        .iter()
        .map(|(name, ty)| {
            let anchor = ty.object_fields().map(|inner| {
                let anchor = format!("{anchor_prefix}nestedobjatt--{name}");
                pending.push(Pending {
                    anchor: anchor.clone(),
                    path: name.clone(),
                    nested: Nested::Object(inner.clone(), group),
                });
                anchor
            });
            Entry {
                group,
                name: name.clone(),
                line: entry_line(name, &ty.label(), "", anchor.as_deref()),
            }
        })
        .collect()
}

fn entry_line(name: &str, label: &str, description: &str, nested: Option<&str>) -> String {
    let mut line = format!("- `{name}` ({label})");
    let description = description.trim();
    if !description.is_empty() {
        line.push(' ');
        line.push_str(description);
    }
    if let Some(anchor) = nested {
        line.push_str(&format!(" (see [below for nested schema](#{anchor}))"));
    }
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin::proto;
    use tfplugin::schema::{
        Attribute as A, Block as B, NestedBlock as NB, Nesting, Presence, Schema,
    };
    use tfplugin::value::Type as T;

    fn wire(schema: &Schema) -> Block {
        proto::Schema::from(schema).block.unwrap()
    }

    #[test]
    fn groups_sorted_entries_with_flags_and_nested_sections() {
        let mut schema = Schema::new(
            "A thing.",
            vec![
                A::required("name", T::String).description("Its name."),
                A::optional("password", T::String)
                    .sensitive()
                    .write_only()
                    .description("Secret."),
                A::computed("id", T::String),
                A::optional("tags", T::map(T::String)),
                A::computed(
                    "findings",
                    T::list(T::object([("rule", T::String), ("count", T::Number)])),
                ),
                A::nested(
                    "rules",
                    Nesting::Set,
                    vec![A::required("port", T::Number).description("Port.")],
                    Presence::Optional,
                ),
            ],
        );
        schema.block.blocks.push(NB {
            type_name: "timeouts".into(),
            nesting: Nesting::Single,
            block: B {
                description: "Time limits.".into(),
                attributes: vec![
                    A::optional("create", T::String).description("Create (default `30m`)."),
                ],
                ..B::default()
            },
            min_items: 0,
            max_items: 0,
        });
        let expected = "## Schema

### Required

- `name` (String) Its name.

### Optional

- `password` (String, Sensitive, [Write-only](https://developer.hashicorp.com/terraform/language/resources/ephemeral#write-only-arguments)) Secret.
- `rules` (Attributes Set) (see [below for nested schema](#nestedatt--rules))
- `tags` (Map of String)
- `timeouts` (Block) Time limits. (see [below for nested schema](#nestedblock--timeouts))

### Read-Only

- `findings` (List of Object) (see [below for nested schema](#nestedobjatt--findings))
- `id` (String)

<a id=\"nestedatt--rules\"></a>
### Nested Schema for `rules`

Required:

- `port` (Number) Port.

<a id=\"nestedblock--timeouts\"></a>
### Nested Schema for `timeouts`

Optional:

- `create` (String) Create (default `30m`).

<a id=\"nestedobjatt--findings\"></a>
### Nested Schema for `findings`

Read-Only:

- `count` (Number)
- `rule` (String)
";
        assert_eq!(section(&wire(&schema)).unwrap(), expected);
    }

    #[test]
    fn types_read_from_json_and_named() {
        let ty = Type::from_json_bytes(br#"["list",["set","bool"]]"#).unwrap();
        assert_eq!(ty.label(), "List of Set of Boolean");
        assert_eq!(ty.signature(), "list of set of bool");
        assert!(Type::from_json_bytes(br#""float""#).is_err());
    }
}
