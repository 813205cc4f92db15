//! Templates: Markdown with `{{ name }}` and `{{ name "argument" }}` placeholders, each
//! replaced by what the page offers under that name. An unknown placeholder is an error.

/// Fills `template` (read from `origin`, for messages) by asking `value` for each placeholder.
pub fn fill(
    template: &str,
    origin: &str,
    mut value: impl FnMut(&str, Option<&str>) -> Result<Option<String>, String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(template.len() * 2);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find("}}")
            .ok_or_else(|| format!("{origin}: unclosed {{{{"))?;
        let inner = rest[start + 2..start + end].trim();
        let (name, argument) = match inner.split_once(char::is_whitespace) {
            Some((name, argument)) => {
                let argument = argument.trim();
                let unquoted = argument
                    .strip_prefix('"')
                    .and_then(|a| a.strip_suffix('"'))
                    .ok_or_else(|| format!("{origin}: {{{{ {inner} }}}}: quote the argument"))?;
                (name, Some(unquoted))
            }
            None => (inner, None),
        };
        let filled = value(name, argument)
            .map_err(|e| format!("{origin}: {{{{ {inner} }}}}: {e}"))?
            .ok_or_else(|| format!("{origin}: unknown placeholder {{{{ {inner} }}}}"))?;
        out.push_str(&filled);
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    Ok(tidy(&out))
}

/// At most one blank line in a row (an empty placeholder leaves none), one final newline.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_lines = 0;
    let mut in_code = false;
    for line in text.trim().lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        }
        if line.trim().is_empty() && !in_code {
            blank_lines += 1;
            if blank_lines > 1 {
                continue;
            }
        } else {
            blank_lines = 0;
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(name: &str, argument: Option<&str>) -> Result<Option<String>, String> {
        Ok(match (name, argument) {
            ("title", None) => Some("Hello".into()),
            ("empty", None) => Some(String::new()),
            ("file", Some(path)) => Some(format!("<{path}>")),
            _ => None,
        })
    }

    #[test]
    fn fills_placeholders_and_tidies_blank_lines() {
        let text = "# {{ title }}\n\n{{ empty }}\n\n{{file \"a/b.tf\"}}  \n";
        assert_eq!(fill(text, "t.md", values).unwrap(), "# Hello\n\n<a/b.tf>\n");
    }

    #[test]
    fn unknown_or_malformed_placeholders_are_errors() {
        let unknown = fill("{{ nope }}", "t.md", values).unwrap_err();
        assert!(
            unknown.contains("t.md: unknown placeholder {{ nope }}"),
            "{unknown}"
        );
        assert!(
            fill("{{ title", "t.md", values)
                .unwrap_err()
                .contains("unclosed")
        );
        assert!(
            fill("{{ file a.tf }}", "t.md", values)
                .unwrap_err()
                .contains("quote")
        );
    }
}
