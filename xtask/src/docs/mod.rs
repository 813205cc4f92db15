//! `cargo xtask docs [--check]`: the registry's documentation, generated.
//!
//! Every page under `docs/` is written here, from three sources:
//! - what the built provider tells Terraform: its schema (`GetProviderSchema`): descriptions,
//!   types, Required / Optional / Read-Only, nested blocks (`timeouts` with their defaults),
//!   sensitive and write-only arguments, list resources' `config` blocks, function
//!   signatures; and its resources' identities (`GetResourceIdentitySchemas`);
//! - the examples: `examples/provider/provider.tf`, `examples/resources/<type>/resource.tf`,
//!   `import.sh` and `import-by-identity.tf`, `examples/data-sources/<type>/data-source.tf`,
//!   `examples/list-resources/<type>/list-resource.tfquery.hcl`,
//!   `examples/functions/<name>/function.tf`, and whole files a guide embeds;
//! - the templates in `xtask/templates/`: the hand-written prose around the generated parts
//!   (see its README), and the rule catalogue for the rules reference.
//!
//! `docs/` holds nothing else: a page without a source is removed (or, with `--check`, an
//! error), so after a schema change `make docs` is all it takes.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use terraform_provider_amlsecure::rules::CATALOGUE;
use tfplugin::proto;

use crate::plugin::ProviderSchemas;
use crate::workspace_root;

mod examples;
mod schema;
mod template;

use schema::Type;

const PROVIDER: &str = "amlsecure";

pub fn run(args: &[String]) -> Result<(), String> {
    let check = match args {
        [] => false,
        [flag] if flag == "--check" => true,
        _ => return Err("usage: cargo xtask docs [--check]".into()),
    };
    // `--bin` without `--package`: the binary the tests build, with the workspace's features.
    let binary = crate::cargo_build(
        &[
            "--quiet",
            "--locked",
            "--bin",
            "terraform-provider-amlsecure",
        ],
        "terraform-provider-amlsecure",
        &[],
    )?;
    let schemas = crate::plugin::provider_schemas(&binary)?;
    let root = workspace_root();
    let pages = Generator::new(&root, &schemas).pages()?;
    let docs = root.join("docs");
    if check {
        let problems = compare(&docs, &pages)?;
        if !problems.is_empty() {
            return Err(format!(
                "docs/ differs from what the generator writes; run `make docs` and commit the result:\n  {}",
                problems.join("\n  ")
            ));
        }
        println!("docs/ is up to date ({} pages)", pages.len());
    } else {
        write(&docs, &pages)?;
        println!("wrote {} pages into docs/", pages.len());
    }
    Ok(())
}

/// Pages by path under `docs/`.
type Pages = BTreeMap<PathBuf, String>;

struct Generator<'a> {
    root: &'a Path,
    templates: PathBuf,
    schema: &'a proto::get_provider_schema::Response,
    identities: &'a HashMap<String, proto::ResourceIdentitySchema>,
}

/// What kind of page, for its title and front matter.
#[derive(Clone, Copy)]
enum Kind {
    Resource,
    DataSource,
}

impl Kind {
    fn title(self) -> &'static str {
        match self {
            Kind::Resource => "Resource",
            Kind::DataSource => "Data Source",
        }
    }

    /// Folder under `docs/`, `examples/` and the templates.
    fn folder(self) -> &'static str {
        match self {
            Kind::Resource => "resources",
            Kind::DataSource => "data-sources",
        }
    }

    fn example_file(self) -> &'static str {
        match self {
            Kind::Resource => "resource.tf",
            Kind::DataSource => "data-source.tf",
        }
    }

    fn default_template(self) -> &'static str {
        match self {
            Kind::Resource => "resource.md",
            Kind::DataSource => "data-source.md",
        }
    }
}

impl<'a> Generator<'a> {
    fn new(root: &'a Path, schemas: &'a ProviderSchemas) -> Generator<'a> {
        Generator {
            root,
            templates: root.join("xtask/templates"),
            schema: &schemas.schema,
            identities: &schemas.identities,
        }
    }

    fn pages(&self) -> Result<Pages, String> {
        let mut pages = Pages::new();
        for (kind, schemas) in [
            (Kind::Resource, &self.schema.resource_schemas),
            (Kind::DataSource, &self.schema.data_source_schemas),
        ] {
            for (name, schema) in sorted(schemas) {
                let short = short_name(name)?;
                let page = self.schema_page(kind, name, schema)?;
                pages.insert(Path::new(kind.folder()).join(format!("{short}.md")), page);
            }
        }
        for (name, function) in sorted(&self.schema.functions) {
            pages.insert(
                Path::new("functions").join(format!("{name}.md")),
                self.function_page(name, function)?,
            );
        }
        for guide in self.guide_templates()? {
            pages.insert(Path::new("guides").join(&guide), self.guide_page(&guide)?);
        }
        pages.insert("index.md".into(), self.index_page(&pages)?);
        self.refuse_stale_templates(&pages)?;
        self.refuse_stale_examples()?;
        for (path, page) in &pages {
            check_rule_ids(path, page)?;
            check_links(self.root, path, page, &pages)?;
        }
        check_pages_cited_in_code(&self.root.join("provider/src"), &pages)?;
        Ok(pages)
    }

    fn template(&self, specific: &str, default: Option<&str>) -> Result<(String, String), String> {
        let path = self.templates.join(specific);
        let path = match default {
            Some(default) if !path.exists() => self.templates.join(default),
            _ => path,
        };
        let origin = self.relative(&path);
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{origin}: {e}"))?;
        Ok((text, origin))
    }

    fn relative(&self, path: &Path) -> String {
        path.strip_prefix(self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }

    fn read(&self, relative: &str) -> Result<String, String> {
        std::fs::read_to_string(self.root.join(relative)).map_err(|e| format!("{relative}: {e}"))
    }

    /// A file of the repository as a fenced code block.
    fn code_block(&self, language: &str, relative: &str) -> Result<String, String> {
        let text = self.read(relative)?;
        Ok(format!("```{language}\n{}\n```", text.trim_end()))
    }

    /// Placeholders every template may use.
    fn common(&self, name: &str, argument: Option<&str>) -> Result<Option<String>, String> {
        Ok(match (name, argument) {
            ("tffile", Some(path)) => Some(self.code_block("terraform", path)?),
            ("rules", None) => Some(rules_table()),
            _ => None,
        })
    }

    fn schema_page(
        &self,
        kind: Kind,
        name: &str,
        schema: &proto::Schema,
    ) -> Result<String, String> {
        let short = short_name(name)?;
        let block = schema
            .block
            .as_ref()
            .ok_or_else(|| format!("{name} has no schema block"))?;
        let description = block.description.trim();
        if description.is_empty() {
            return Err(format!("{name}: its schema has no description"));
        }
        let example = format!("examples/{}/{name}/{}", kind.folder(), kind.example_file());
        let import = format!("examples/{}/{name}/import.sh", kind.folder());
        let (template, origin) = self.template(
            &format!("{}/{short}.md", kind.folder()),
            Some(kind.default_template()),
        )?;
        require_placeholder(&template, &origin, "schema")?;
        // Only resources have identities and list resources; a page must show what it has.
        let (identity, listing) = match kind {
            Kind::Resource => (
                self.identities.get(name),
                self.schema.list_resource_schemas.get(name),
            ),
            Kind::DataSource => (None, None),
        };
        if identity.is_some() {
            require_placeholder(&template, &origin, "identity")?;
        }
        if listing.is_some() {
            require_placeholder(&template, &origin, "list_resource")?;
        }
        let body = template::fill(&template, &origin, |placeholder, argument| {
            Ok(match (placeholder, argument) {
                ("name", None) => Some(name.to_owned()),
                ("description", None) => Some(description.to_owned()),
                ("example", None) => Some(self.code_block("terraform", &example)?),
                ("schema", None) => Some(schema::section(block)?),
                ("import", None) if self.root.join(&import).exists() => {
                    Some(self.import_section(name, &import)?)
                }
                ("import", None) => Some(String::new()),
                ("identity", None) => Some(self.identity_section(name, block, identity)?),
                ("list_resource", None) => Some(self.list_section(name, block, listing)?),
                _ => self.common(placeholder, argument)?,
            })
        })?;
        Ok(front_matter(
            &format!("{name} {} - {PROVIDER}", kind.title()),
            description,
        ) + &body)
    }

    /// `## Import`: the `import` block form and the `terraform import` command of `import.sh`.
    fn import_section(&self, name: &str, import: &str) -> Result<String, String> {
        let script = self.read(import)?;
        let command = script.replace("\\\n", " ");
        let (address, id) = command
            .lines()
            .find_map(|line| {
                let mut words = line
                    .trim()
                    .strip_prefix("terraform import ")?
                    .split_whitespace();
                let address = words.next()?;
                let id = words.next()?.trim_matches(|c| c == '"' || c == '\'');
                Some((address.to_owned(), id.to_owned()))
            })
            .ok_or_else(|| format!("{import}: no `terraform import ADDRESS ID` line"))?;
        if !address.starts_with(&format!("{name}.")) {
            return Err(format!("{import}: imports {address}, not a {name}"));
        }
        Ok(format!(
            "## Import\n\n\
             In Terraform 1.5 and later, an [`import` block](https://developer.hashicorp.com/terraform/language/import) \
             adopts an existing `{name}` into state:\n\n\
             ```terraform\nimport {{\n  to = {address}\n  id = \"{}\"\n}}\n```\n\n\
             The [`terraform import` command](https://developer.hashicorp.com/terraform/cli/commands/import) does the same:\n\n\
             ```shell\n{}\n```",
            id.replace('\\', "\\\\").replace('"', "\\\""),
            script.trim_end()
        ))
    }

    /// The rest of `## Import` for a resource with an identity (Terraform 1.12 and later): the
    /// `import` block by identity of `import-by-identity.tf`, and the identity's attributes.
    /// Empty for a resource without one; an example without an identity, or an identity
    /// without an example, is an error.
    fn identity_section(
        &self,
        name: &str,
        block: &proto::schema::Block,
        identity: Option<&proto::ResourceIdentitySchema>,
    ) -> Result<String, String> {
        let example = format!("examples/resources/{name}/import-by-identity.tf");
        let identity = match (identity, self.root.join(&example).exists()) {
            (None, false) => return Ok(String::new()),
            (None, true) => {
                return Err(format!(
                    "{example}: the provider reports no identity for {name}"
                ));
            }
            (Some(_), false) => {
                return Err(format!(
                    "{name} has an identity: {example} shows how to import by it"
                ));
            }
            (Some(identity), true) => identity,
        };
        let required: Vec<&str> = identity
            .identity_attributes
            .iter()
            .filter(|a| a.required_for_import)
            .map(|a| a.name.as_str())
            .collect();
        let known: Vec<&str> = identity
            .identity_attributes
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        examples::check_identity_import(&example, &self.read(&example)?, name, &known, &required)?;
        Ok(format!(
            "Terraform 1.12 and later can import by identity instead; `terraform plan \
             -generate-config-out=generated.tf` then writes the configuration too{}.\n\n\
             {}\n\n\
             ### Identity\n\n\
             Terraform 1.12 and later store this identity beside the state:\n\n{}",
            generated_configuration_lacks(block),
            self.code_block("terraform", &example)?,
            schema::identity_attributes(identity)?
        ))
    }

    /// `## List resource (`terraform query`)` for a resource that is also a list resource
    /// (Terraform 1.14 and later): what it finds, the example `list` block of
    /// `examples/list-resources/<type>/list-resource.tfquery.hcl`, and the arguments of its
    /// `config` block. Empty for other resources; an example without a list resource, or a
    /// list resource without an example, is an error.
    fn list_section(
        &self,
        name: &str,
        block: &proto::schema::Block,
        listing: Option<&proto::Schema>,
    ) -> Result<String, String> {
        let example = format!("examples/list-resources/{name}/list-resource.tfquery.hcl");
        let listing = match (listing, self.root.join(&example).exists()) {
            (None, false) => return Ok(String::new()),
            (None, true) => {
                return Err(format!(
                    "{example}: the provider has no list resource {name}"
                ));
            }
            (Some(_), false) => {
                return Err(format!(
                    "{name} is a list resource: {example} shows a `list` block for it"
                ));
            }
            (Some(listing), true) => listing,
        };
        let config = listing
            .block
            .as_ref()
            .ok_or_else(|| format!("list resource {name} has no schema block"))?;
        let description = config.description.trim();
        if description.is_empty() {
            return Err(format!(
                "list resource {name}: its schema has no description"
            ));
        }
        let known: Vec<&str> = config.attributes.iter().map(|a| a.name.as_str()).collect();
        let required: Vec<&str> = config
            .attributes
            .iter()
            .filter(|a| a.required)
            .map(|a| a.name.as_str())
            .collect();
        examples::check_list_block(&example, &self.read(&example)?, name, &known, &required)?;
        Ok(format!(
            "{LIST_HEADING}\n\n\
             {description}\n\n\
             Terraform 1.14 and later run the `list` blocks of `.tfquery.hcl` files with \
             [`terraform query`](https://developer.hashicorp.com/terraform/cli/commands/query); \
             `terraform query -generate-config-out=generated.tf` writes an `import` block (by \
             identity) and the configuration for each result{}.\n\n\
             {}\n\n\
             {}",
            generated_configuration_lacks(block),
            self.code_block("terraform", &example)?,
            schema::list_config(config)?
        ))
    }

    fn function_page(&self, name: &str, function: &proto::Function) -> Result<String, String> {
        let summary = function.summary.trim();
        if summary.is_empty() {
            return Err(format!("function {name} has no summary"));
        }
        let (template, origin) =
            self.template(&format!("functions/{name}.md"), Some("function.md"))?;
        let example = format!("examples/functions/{name}/function.tf");
        let body = template::fill(&template, &origin, |placeholder, argument| {
            Ok(match (placeholder, argument) {
                ("name", None) => Some(name.to_owned()),
                ("summary", None) => Some(summary.to_owned()),
                ("description", None) => Some(function.description.trim().to_owned()),
                ("example", None) => Some(self.code_block("terraform", &example)?),
                ("signature", None) => Some(signature(name, function)?),
                ("arguments", None) => Some(arguments(function)?),
                _ => self.common(placeholder, argument)?,
            })
        })?;
        Ok(front_matter(&format!("{name} function - {PROVIDER}"), summary) + &body)
    }

    /// File names of `templates/guides/*.md`.
    fn guide_templates(&self) -> Result<Vec<String>, String> {
        let dir = self.templates.join("guides");
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".md"))
            .collect();
        names.sort();
        Ok(names)
    }

    fn guide_page(&self, file: &str) -> Result<String, String> {
        let (template, origin) = self.template(&format!("guides/{file}"), None)?;
        let body = template::fill(&template, &origin, |placeholder, argument| {
            self.common(placeholder, argument)
        })?;
        let (title, description) = heading_and_lead(&body)
            .ok_or_else(|| format!("{origin}: starts with a `# Title` and a paragraph"))?;
        Ok(front_matter(&format!("{title} - {PROVIDER}"), &description) + &body)
    }

    fn index_page(&self, pages: &Pages) -> Result<String, String> {
        let provider = self
            .schema
            .provider
            .as_ref()
            .and_then(|s| s.block.as_ref())
            .ok_or("the provider block has no schema")?;
        let (template, origin) = self.template("index.md", None)?;
        require_placeholder(&template, &origin, "schema")?;
        if !self.schema.list_resource_schemas.is_empty() {
            require_placeholder(&template, &origin, "list_resources")?;
        }
        let list = |kind: Kind, schemas: &std::collections::HashMap<String, proto::Schema>| {
            sorted(schemas)
                .into_iter()
                .map(|(name, schema)| {
                    let description = schema.block.as_ref().map_or("", |b| &b.description);
                    Ok(format!(
                        "- [`{name}`]({}/{}.md): {}\n",
                        kind.folder(),
                        short_name(name)?,
                        first_sentence(description)
                    ))
                })
                .collect::<Result<String, String>>()
        };
        let body = template::fill(&template, &origin, |placeholder, argument| {
            Ok(match (placeholder, argument) {
                ("description", None) => Some(provider.description.trim().to_owned()),
                ("example", None) => {
                    Some(self.code_block("terraform", "examples/provider/provider.tf")?)
                }
                ("schema", None) => Some(schema::section(provider)?),
                ("resources", None) => Some(list(Kind::Resource, &self.schema.resource_schemas)?),
                ("list_resources", None) => Some(
                    sorted(&self.schema.list_resource_schemas)
                        .into_iter()
                        .map(|(name, schema)| {
                            let description = schema.block.as_ref().map_or("", |b| &b.description);
                            Ok(format!(
                                "- [`{name}`](resources/{}.md#{}): {}\n",
                                short_name(name)?,
                                slug(LIST_HEADING),
                                first_sentence(description)
                            ))
                        })
                        .collect::<Result<String, String>>()?,
                ),
                ("data_sources", None) => {
                    Some(list(Kind::DataSource, &self.schema.data_source_schemas)?)
                }
                ("functions", None) => Some(
                    sorted(&self.schema.functions)
                        .into_iter()
                        .map(|(name, f)| {
                            format!("- [`{name}`](functions/{name}.md): {}\n", f.summary.trim())
                        })
                        .collect(),
                ),
                ("guides", None) => Some(
                    pages
                        .iter()
                        .filter(|(path, _)| path.starts_with("guides"))
                        .map(|(path, page)| {
                            let (title, lead) =
                                heading_and_lead(after_front_matter(page)).unwrap_or_default();
                            format!(
                                "- [{title}]({}): {}\n",
                                path.display(),
                                first_sentence(&lead)
                            )
                        })
                        .collect(),
                ),
                _ => self.common(placeholder, argument)?,
            })
        })?;
        Ok(front_matter(
            &format!("Provider: {PROVIDER}"),
            provider.description.trim(),
        ) + &body)
    }

    /// A template for a resource, data source or function the provider does not have is a
    /// leftover of a rename: say so rather than let its prose vanish.
    fn refuse_stale_templates(&self, pages: &Pages) -> Result<(), String> {
        for folder in ["resources", "data-sources", "functions"] {
            let dir = self.templates.join(folder);
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.filter_map(Result::ok) {
                let page = Path::new(folder).join(entry.file_name());
                if !pages.contains_key(&page) {
                    return Err(format!(
                        "{}: the provider has no such {folder} page (renamed?)",
                        self.relative(&entry.path())
                    ));
                }
            }
        }
        Ok(())
    }
}

impl Generator<'_> {
    /// An example folder for a resource, data source, list resource or function the provider
    /// does not have would document nothing: a leftover of a rename, like a stale template.
    fn refuse_stale_examples(&self) -> Result<(), String> {
        let folders: [(&str, &str, Vec<&String>); 4] = [
            (
                "resources",
                "resource",
                self.schema.resource_schemas.keys().collect(),
            ),
            (
                "data-sources",
                "data source",
                self.schema.data_source_schemas.keys().collect(),
            ),
            (
                "list-resources",
                "list resource",
                self.schema.list_resource_schemas.keys().collect(),
            ),
            (
                "functions",
                "function",
                self.schema.functions.keys().collect(),
            ),
        ];
        for (folder, kind, names) in folders {
            let dir = self.root.join("examples").join(folder);
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.filter_map(Result::ok) {
                let file_name = entry.file_name().to_string_lossy().into_owned();
                if entry.path().is_dir() && !names.iter().any(|n| **n == file_name) {
                    return Err(format!(
                        "examples/{folder}/{file_name}: the provider has no {kind} of that name (renamed?)"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The heading of a resource page's list resource section; the index links to its anchor.
const LIST_HEADING: &str = "## List resource (`terraform query`)";

/// What configuration Terraform writes for an imported or listed object leaves out: the
/// write-only arguments, which are never read back (empty when the schema has none).
fn generated_configuration_lacks(block: &proto::schema::Block) -> String {
    let mut write_only: Vec<String> = block
        .attributes
        .iter()
        .filter(|a| a.write_only)
        .map(|a| format!("`{}`", a.name))
        .collect();
    write_only.sort();
    match write_only.as_slice() {
        [] => String::new(),
        [only] => format!(
            ", except the write-only {only}, which is never read back: add it before applying"
        ),
        [init @ .., last] => format!(
            ", except the write-only {} and {last}, which are never read back: add them before applying",
            init.join(", ")
        ),
    }
}

fn sorted<V>(map: &std::collections::HashMap<String, V>) -> Vec<(&String, &V)> {
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries
}

fn short_name(type_name: &str) -> Result<&str, String> {
    type_name
        .strip_prefix(&format!("{PROVIDER}_"))
        .ok_or_else(|| format!("{type_name} does not start with {PROVIDER}_"))
}

fn require_placeholder(template: &str, origin: &str, name: &str) -> Result<(), String> {
    let placeholder = format!("{{{{ {name} }}}}");
    if template.contains(&placeholder) {
        Ok(())
    } else {
        Err(format!("{origin}: lacks {placeholder}"))
    }
}

/// YAML front matter as the registry reads it.
fn front_matter(title: &str, description: &str) -> String {
    let quoted = title.replace('\\', "\\\\").replace('"', "\\\"");
    let mut out = format!("---\npage_title: \"{quoted}\"\nsubcategory: \"\"\ndescription: |-\n");
    for line in description.trim().lines() {
        if line.trim().is_empty() {
            out.push('\n');
        } else {
            out.push_str(&format!("  {}\n", line.trim_end()));
        }
    }
    out.push_str("---\n\n");
    out
}

fn after_front_matter(page: &str) -> &str {
    page.strip_prefix("---\n")
        .and_then(|rest| rest.split_once("\n---\n"))
        .map_or(page, |(_, body)| body)
}

/// The `# Title` of a page and the paragraph after it, joined into one line.
fn heading_and_lead(body: &str) -> Option<(String, String)> {
    let body = body.trim_start();
    let (first, rest) = body.split_once('\n')?;
    let title = first.strip_prefix("# ")?.trim().to_owned();
    let lead = rest
        .trim_start()
        .split("\n\n")
        .next()?
        .lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ");
    (!lead.is_empty()).then_some((title, lead))
}

/// Up to the first full stop that ends a sentence.
fn first_sentence(text: &str) -> String {
    let text = text.trim();
    let end = text.find(". ").map_or(text.len(), |at| at + 1);
    text[..end].to_owned()
}

fn signature(name: &str, function: &proto::Function) -> Result<String, String> {
    let mut parameters = Vec::new();
    for parameter in &function.parameters {
        parameters.push(format!(
            "{} {}",
            parameter.name,
            Type::from_json_bytes(&parameter.r#type)?.signature()
        ));
    }
    if let Some(variadic) = &function.variadic_parameter {
        parameters.push(format!(
            "{}... {}",
            variadic.name,
            Type::from_json_bytes(&variadic.r#type)?.signature()
        ));
    }
    let returns = function
        .r#return
        .as_ref()
        .ok_or_else(|| format!("function {name} has no return type"))?;
    Ok(format!(
        "```text\n{name}({}) {}\n```",
        parameters.join(", "),
        Type::from_json_bytes(&returns.r#type)?.signature()
    ))
}

fn arguments(function: &proto::Function) -> Result<String, String> {
    let mut out = String::new();
    let variadic = function.variadic_parameter.iter().map(|p| (p, true));
    for (position, (parameter, is_variadic)) in function
        .parameters
        .iter()
        .map(|p| (p, false))
        .chain(variadic)
        .enumerate()
    {
        let mut label = Type::from_json_bytes(&parameter.r#type)?.label();
        if parameter.allow_null_value {
            label.push_str(", Nullable");
        }
        if is_variadic {
            label.push_str(", Variadic");
        }
        out.push_str(&format!(
            "{}. `{}` ({label}) {}\n",
            position + 1,
            parameter.name,
            parameter.description.trim()
        ));
    }
    Ok(out)
}

/// The rules reference, one row per rule of the catalogue.
fn rules_table() -> String {
    let mut table = String::from("| ID | Severity | Rule | Seed section |\n|---|---|---|---|\n");
    for rule in CATALOGUE {
        table.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            rule.id, rule.severity, rule.title, rule.seed_section
        ));
    }
    table
}

/// Every `AMLSnnn` a page cites is a rule of the catalogue.
fn check_rule_ids(path: &Path, page: &str) -> Result<(), String> {
    for (at, _) in page.match_indices("AMLS") {
        let digits: String = page[at + 4..].chars().take(3).collect();
        if digits.len() == 3 && digits.chars().all(|c| c.is_ascii_digit()) {
            let id = format!("AMLS{digits}");
            if !CATALOGUE.iter().any(|rule| rule.id == id) {
                return Err(format!(
                    "docs/{} cites {id}, which is no rule",
                    path.display()
                ));
            }
        }
    }
    Ok(())
}

/// Every relative link of a page leads to a generated page or to a file of the repository,
/// and a link to a place in a generated page (`#anchor`) to a heading or anchor there.
fn check_links(root: &Path, path: &Path, page: &str, pages: &Pages) -> Result<(), String> {
    for (at, _) in page.match_indices("](") {
        let link = &page[at + 2..];
        let Some(end) = link.find(')') else {
            continue;
        };
        let link = &link[..end];
        if link.contains("://") || link.starts_with("mailto:") {
            continue;
        }
        let (target, fragment) = link.split_once('#').unwrap_or((link, ""));
        let broken = || format!("docs/{}: broken link {link}", path.display());
        let linked = if target.is_empty() {
            Some(page)
        } else {
            let resolved = normalise(&path.parent().unwrap_or(Path::new("")).join(target));
            match pages.get(&resolved) {
                Some(linked) => Some(linked.as_str()),
                None if root.join("docs").join(&resolved).exists() => None,
                None => return Err(broken()),
            }
        };
        if let Some(linked) = linked
            && !fragment.is_empty()
            && !anchors(linked).contains(fragment)
        {
            return Err(broken());
        }
    }
    Ok(())
}

/// The places a link can name in a page: its headings, as the registry and GitHub turn them
/// into anchors, and its `<a id="...">` anchors.
fn anchors(page: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut in_code = false;
    for line in page.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.starts_with('#') {
            found.insert(slug(line));
        } else if let Some(id) = line
            .trim()
            .strip_prefix("<a id=\"")
            .and_then(|rest| rest.split_once('"'))
            .map(|(id, _)| id)
        {
            found.insert(id.to_owned());
        }
    }
    found
}

/// A heading's anchor: its text in lower case, spaces as hyphens, punctuation other than `-`
/// and `_` left out.
fn slug(heading: &str) -> String {
    heading
        .trim_start_matches('#')
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// Messages that send users to `docs/<page>.md` (a rule ID unknown to `disabled_rules`, say)
/// name a page that is generated.
fn check_pages_cited_in_code(dir: &Path, pages: &Pages) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            check_pages_cited_in_code(&path, pages)?;
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        for (at, _) in text.match_indices("docs/") {
            let rest = &text[at + 5..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || "-_/.".contains(c)))
                .unwrap_or(rest.len());
            let Some(page) = rest[..end].trim_end_matches('.').strip_suffix(".md") else {
                continue;
            };
            if !pages.contains_key(Path::new(&format!("{page}.md"))) {
                return Err(format!(
                    "{} points users at docs/{page}.md, which is not generated",
                    path.display()
                ));
            }
        }
    }
    Ok(())
}

/// `a/../b` as `b`, without touching the file system.
fn normalise(path: &Path) -> PathBuf {
    let mut parts: Vec<std::path::Component> = Vec::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir
                if parts
                    .last()
                    .is_some_and(|p| matches!(p, std::path::Component::Normal(_))) =>
            {
                parts.pop();
            }
            std::path::Component::CurDir => {}
            other => parts.push(other),
        }
    }
    parts.iter().collect()
}

/// Every file under `docs/`, relative to it.
fn existing(docs: &Path) -> Result<BTreeSet<PathBuf>, String> {
    fn walk(dir: &Path, base: &Path, found: &mut BTreeSet<PathBuf>) -> Result<(), String> {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Ok(());
        };
        for entry in entries {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.is_dir() {
                walk(&path, base, found)?;
            } else {
                found.insert(path.strip_prefix(base).expect("under docs/").to_path_buf());
            }
        }
        Ok(())
    }
    let mut found = BTreeSet::new();
    walk(docs, docs, &mut found)?;
    Ok(found)
}

fn compare(docs: &Path, pages: &Pages) -> Result<Vec<String>, String> {
    let mut problems = Vec::new();
    let on_disk = existing(docs)?;
    for (path, page) in pages {
        match std::fs::read_to_string(docs.join(path)) {
            Ok(text) if text == *page => {}
            Ok(_) => problems.push(format!("docs/{} differs", path.display())),
            Err(_) => problems.push(format!("docs/{} is missing", path.display())),
        }
    }
    for path in on_disk.iter().filter(|p| !pages.contains_key(*p)) {
        problems.push(format!("docs/{} is not generated", path.display()));
    }
    Ok(problems)
}

fn write(docs: &Path, pages: &Pages) -> Result<(), String> {
    for path in existing(docs)?.iter().filter(|p| !pages.contains_key(*p)) {
        std::fs::remove_file(docs.join(path))
            .map_err(|e| format!("docs/{}: {e}", path.display()))?;
        println!("removed docs/{}", path.display());
    }
    for (path, page) in pages {
        let full = docs.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        if std::fs::read_to_string(&full).ok().as_deref() != Some(page.as_str()) {
            std::fs::write(&full, page).map_err(|e| format!("{}: {e}", full.display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_quotes_the_title_and_indents_the_description() {
        assert_eq!(
            front_matter("a \"b\"", "One.\n\nTwo."),
            "---\npage_title: \"a \\\"b\\\"\"\nsubcategory: \"\"\ndescription: |-\n  One.\n\n  Two.\n---\n\n"
        );
    }

    #[test]
    fn first_sentence_stops_at_a_full_stop() {
        assert_eq!(first_sentence("A cluster. With more."), "A cluster.");
        assert_eq!(first_sentence("No stop"), "No stop");
    }

    #[test]
    fn heading_and_lead_read_the_title_and_first_paragraph() {
        let body = "# A guide\n\nFirst line\nsecond line.\n\nMore.";
        assert_eq!(
            heading_and_lead(body),
            Some(("A guide".into(), "First line second line.".into()))
        );
    }

    #[test]
    fn links_resolve_against_the_page_folder() {
        assert_eq!(
            normalise(Path::new("resources/../guides/rules.md")),
            PathBuf::from("guides/rules.md")
        );
    }

    #[test]
    fn anchors_are_headings_and_named_anchors() {
        let page = "# Title\n\n## List resource (`terraform query`)\n\n```\n# not a heading\n```\n<a id=\"nestedatt--x\"></a>\n";
        let found: Vec<String> = anchors(page).into_iter().collect();
        assert_eq!(
            found,
            ["list-resource-terraform-query", "nestedatt--x", "title"]
        );
    }

    #[test]
    fn links_to_missing_anchors_are_broken() {
        let mut pages = Pages::new();
        pages.insert(
            "a.md".into(),
            "## Here\n\n[there](b.md#gone) [here](#here)\n".into(),
        );
        pages.insert("b.md".into(), "## Present\n".into());
        let root = Path::new("/nonexistent");
        let error = check_links(root, Path::new("a.md"), &pages[Path::new("a.md")], &pages);
        assert_eq!(error.unwrap_err(), "docs/a.md: broken link b.md#gone");
        pages.insert("b.md".into(), "## Gone\n".into());
        check_links(root, Path::new("a.md"), &pages[Path::new("a.md")], &pages).unwrap();
    }

    #[test]
    fn write_only_arguments_are_named_as_missing_from_generated_configuration() {
        use tfplugin::schema::{Attribute as A, Schema};
        use tfplugin::value::Type as T;
        let block = |attributes| {
            proto::Schema::from(&Schema::new("x", attributes))
                .block
                .unwrap()
        };
        assert_eq!(
            generated_configuration_lacks(&block(vec![A::required("name", T::String)])),
            ""
        );
        assert_eq!(
            generated_configuration_lacks(&block(vec![
                A::optional("password", T::String).write_only(),
                A::optional("key", T::String).write_only(),
            ])),
            ", except the write-only `key` and `password`, which are never read back: add them before applying"
        );
    }

    /// A repository with one resource that has an identity and is a list resource.
    mod generator {
        use super::*;
        use tfplugin::schema::{Attribute as A, Schema};
        use tfplugin::value::Type as T;

        const TYPE: &str = "amlsecure_thing";

        fn schemas() -> ProviderSchemas {
            let resource = Schema::new(
                "A thing.",
                vec![A::required("name", T::String), A::computed("id", T::String)],
            );
            let listing = Schema::new(
                "Finds the things of a group. More.",
                vec![A::required("group_id", T::String)],
            );
            let mut schema = proto::get_provider_schema::Response {
                provider: Some((&Schema::new("The provider.", vec![])).into()),
                ..Default::default()
            };
            schema
                .resource_schemas
                .insert(TYPE.into(), (&resource).into());
            schema
                .list_resource_schemas
                .insert(TYPE.into(), (&listing).into());
            let attribute =
                |name: &str, required| proto::resource_identity_schema::IdentityAttribute {
                    name: name.into(),
                    r#type: b"\"string\"".to_vec(),
                    required_for_import: required,
                    optional_for_import: !required,
                    description: format!("The {name}."),
                };
            let identity = proto::ResourceIdentitySchema {
                version: 0,
                identity_attributes: vec![attribute("group", true), attribute("name", true)],
            };
            ProviderSchemas {
                schema,
                identities: HashMap::from([(TYPE.to_owned(), identity)]),
            }
        }

        fn repository() -> tempfile::TempDir {
            let root = tempfile::tempdir().unwrap();
            let files = [
                (
                    "xtask/templates/index.md",
                    "# P\n\n{{ schema }}\n\n{{ resources }}\n\n{{ list_resources }}\n",
                ),
                (
                    "xtask/templates/resource.md",
                    "# {{ name }}\n\n{{ example }}\n\n{{ schema }}\n\n{{ list_resource }}\n\n{{ import }}\n\n{{ identity }}\n",
                ),
                (
                    "examples/provider/provider.tf",
                    "provider \"amlsecure\" {}\n",
                ),
                (
                    "examples/resources/amlsecure_thing/resource.tf",
                    "resource \"amlsecure_thing\" \"a\" {}\n",
                ),
                (
                    "examples/resources/amlsecure_thing/import.sh",
                    "terraform import amlsecure_thing.a /things/a\n",
                ),
                (
                    "examples/resources/amlsecure_thing/import-by-identity.tf",
                    "import {\n  to = amlsecure_thing.a\n  identity = {\n    group = \"g\"\n    name  = \"a\"\n  }\n}\n",
                ),
                (
                    "examples/list-resources/amlsecure_thing/list-resource.tfquery.hcl",
                    "list \"amlsecure_thing\" \"all\" {\n  provider = amlsecure\n  config {\n    group_id = \"/groups/g\"\n  }\n}\n",
                ),
            ];
            for (path, text) in files {
                let path = root.path().join(path);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, text).unwrap();
            }
            for dir in ["xtask/templates/guides", "provider/src"] {
                std::fs::create_dir_all(root.path().join(dir)).unwrap();
            }
            root
        }

        fn generate(root: &Path) -> Result<Pages, String> {
            Generator::new(root, &schemas()).pages()
        }

        #[test]
        fn resource_pages_show_the_identity_and_the_list_resource() {
            let root = repository();
            let pages = generate(root.path()).unwrap();
            let page = &pages[Path::new("resources/thing.md")];
            for part in [
                "## List resource (`terraform query`)\n\nFinds the things of a group. More.\n",
                "list \"amlsecure_thing\" \"all\" {",
                "Required:\n\n- `group_id` (String)\n",
                "identity = {",
                "### Identity\n\nTerraform 1.12 and later store this identity beside the state:\n\n- `group` (String) The group. Required for import.\n- `name` (String) The name. Required for import.\n",
            ] {
                assert!(page.contains(part), "{part:?} is not in:\n{page}");
            }
            assert!(pages[Path::new("index.md")].contains(
                "- [`amlsecure_thing`](resources/thing.md#list-resource-terraform-query): Finds the things of a group.\n"
            ));
        }

        #[test]
        fn missing_or_stale_examples_and_placeholders_are_refused() {
            let root = repository();
            let path = |relative: &str| root.path().join(relative);
            let identity = "examples/resources/amlsecure_thing/import-by-identity.tf";
            let listing = "examples/list-resources/amlsecure_thing/list-resource.tfquery.hcl";

            let text = std::fs::read_to_string(path(identity)).unwrap();
            std::fs::write(path(identity), text.replace("    group = \"g\"\n", "")).unwrap();
            assert!(
                generate(root.path())
                    .unwrap_err()
                    .ends_with("`identity` lacks the required group")
            );
            std::fs::remove_file(path(identity)).unwrap();
            assert!(generate(root.path()).unwrap_err().ends_with(&format!(
                "amlsecure_thing has an identity: {identity} shows how to import by it"
            )));
            std::fs::write(path(identity), text).unwrap();

            let text = std::fs::read_to_string(path(listing)).unwrap();
            std::fs::write(path(listing), text.replace("group_id", "group_name")).unwrap();
            assert!(
                generate(root.path())
                    .unwrap_err()
                    .contains("`config` names group_name")
            );
            std::fs::write(path(listing), text).unwrap();

            std::fs::create_dir_all(path("examples/list-resources/amlsecure_gone")).unwrap();
            assert_eq!(
                generate(root.path()).unwrap_err(),
                "examples/list-resources/amlsecure_gone: the provider has no list resource of that name (renamed?)"
            );
            std::fs::remove_dir(path("examples/list-resources/amlsecure_gone")).unwrap();

            let template = path("xtask/templates/resource.md");
            let text = std::fs::read_to_string(&template).unwrap();
            std::fs::write(&template, text.replace("{{ identity }}", "")).unwrap();
            assert_eq!(
                generate(root.path()).unwrap_err(),
                "xtask/templates/resource.md: lacks {{ identity }}"
            );
            std::fs::write(&template, text).unwrap();
            generate(root.path()).unwrap();
        }
    }

    #[test]
    fn every_rule_is_in_the_table_once() {
        let table = rules_table();
        for rule in CATALOGUE {
            assert_eq!(table.matches(&format!("| {} |", rule.id)).count(), 1);
        }
    }
}
