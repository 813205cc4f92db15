//! The JSON encoding of values, as Terraform's `cty/json` package writes it; Terraform uses
//! it for stored state handed to `UpgradeResourceState`.
//!
//! Values are plain JSON by their type; a value at a dynamic position is wrapped as
//! `{"value": ..., "type": <type JSON>}`. Unknown values cannot be written. Numbers keep
//! their full text: the parser here is hand-written rather than serde_json's so that no
//! precision is lost and nesting is bounded by the type.

use std::collections::BTreeMap;

use super::msgpack::{
    MAX_DEPTH, Path, Step, dynamic_type_of, infinity_text, mismatch, object_attributes,
    split_decimal, wrap_dynamic, write_json_string,
};
use super::{DecodeError, EncodeError, Number, Type, Value};

/// Encodes a wholly-known `value`, which must conform to `ty`, as JSON.
pub fn encode_json(value: &Value, ty: &Type) -> Result<Vec<u8>, EncodeError> {
    let mut out = String::new();
    encode(&mut out, value, ty, &Path::ROOT)?;
    Ok(out.into_bytes())
}

/// Decodes JSON as a value of type `ty`. Object attributes absent from the JSON decode as
/// null, as stored state may omit them.
pub fn decode_json(bytes: &[u8], ty: &Type) -> Result<Value, DecodeError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|err| Path::ROOT.decode_error(format!("JSON is not valid UTF-8: {err}")))?;
    let mut parser = Parser { text, pos: 0 };
    let value = decode(&mut parser, ty, &Path::ROOT)?;
    parser.whitespace();
    if parser.pos != text.len() {
        return Err(Path::ROOT.decode_error(format!(
            "unexpected {} after the value",
            parser.describe_next()
        )));
    }
    Ok(value)
}

/// Classifies number text: an `i64` when it is an integer in range, a float when the text is
/// exactly an `f64` value (like `1.5`, but not `0.1`), and otherwise the text itself.
fn number_from_text(text: &str) -> Option<Number> {
    if let Some(infinity) = infinity_text(text) {
        return Some(Number::Float(infinity));
    }
    split_decimal(text)?;
    if let Ok(int) = text.parse::<i64>() {
        return Some(Number::Int(int));
    }
    Some(match exact_f64(text) {
        Some(float) => Number::Float(float),
        None => Number::Big(text.to_owned()),
    })
}

/// The `f64` whose value is exactly that of the decimal text, if there is one.
fn exact_f64(text: &str) -> Option<f64> {
    let float: f64 = text.parse().ok()?;
    if !float.is_finite() {
        return None;
    }
    // Every finite f64 has at most 767 significant decimal digits, so this is exact.
    let expansion = format!("{:.800e}", float.abs());
    let wanted = normalize_decimal(text)?;
    (normalize_decimal(&expansion)? == wanted).then_some(float)
}

/// Decimal text as (significant digits without leading or trailing zeros, exponent) such
/// that the magnitude is `0.DIGITS × 10^exponent`; zero is `("", 0)`.
fn normalize_decimal(text: &str) -> Option<(String, i64)> {
    let (_, integer, fraction, exponent) = split_decimal(text)?;
    let exponent: i64 = match exponent {
        Some(exponent) => exponent.parse().ok()?,
        None => 0,
    };
    let digits: String = integer.chars().chain(fraction.chars()).collect();
    let leading = digits.len() - digits.trim_start_matches('0').len();
    let significant = digits.trim_start_matches('0').trim_end_matches('0');
    if significant.is_empty() {
        return Some((String::new(), 0));
    }
    let point = i64::try_from(integer.len())
        .ok()?
        .checked_sub(i64::try_from(leading).ok()?)?
        .checked_add(exponent)?;
    Some((significant.to_owned(), point))
}

// ---------------------------------------------------------------------------------------
// Encoding.

fn encode(out: &mut String, value: &Value, ty: &Type, path: &Path<'_>) -> Result<(), EncodeError> {
    if path.depth > MAX_DEPTH {
        return Err(path.encode_error(format!("value is nested more than {MAX_DEPTH} levels deep")));
    }
    if let Value::Unknown(_) = value {
        return Err(path.encode_error("unknown values cannot be encoded as JSON"));
    }
    if *ty == Type::Dynamic {
        return encode_dynamic(out, value, path);
    }
    match (ty, value) {
        (_, Value::Null) => out.push_str("null"),
        (_, Value::Dynamic(inner_ty, inner)) if inner_ty == ty => encode(out, inner, ty, path)?,
        (Type::Bool, Value::Bool(b)) => out.push_str(if *b { "true" } else { "false" }),
        (Type::Number, Value::Number(n)) => write_number(out, n, path)?,
        (Type::String, Value::String(s)) => write_json_string(out, s),
        (Type::List(element), Value::List(items)) | (Type::Set(element), Value::Set(items)) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                encode(out, item, element, &path.child(Step::Index(index)))?;
            }
            out.push(']');
        }
        (Type::Tuple(elements), Value::Tuple(items)) => {
            if elements.len() != items.len() {
                return Err(path.encode_error(format!(
                    "expected a tuple of {} elements, found {}",
                    elements.len(),
                    items.len()
                )));
            }
            out.push('[');
            for (index, (item, element)) in items.iter().zip(elements).enumerate() {
                if index > 0 {
                    out.push(',');
                }
                encode(out, item, element, &path.child(Step::Index(index)))?;
            }
            out.push(']');
        }
        (Type::Map(element), Value::Map(entries)) => {
            out.push('{');
            for (index, (key, item)) in entries.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_json_string(out, key);
                out.push(':');
                encode(out, item, element, &path.child(Step::Key(key)))?;
            }
            out.push('}');
        }
        (Type::Object(object), Value::Object(values)) => {
            out.push('{');
            let attributes = object_attributes(object, values, path)?;
            for (index, (name, ty, item)) in attributes.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_json_string(out, name);
                out.push(':');
                encode(out, item, ty, &path.child(Step::Attr(name)))?;
            }
            out.push('}');
        }
        _ => return Err(mismatch(path, ty, value)),
    }
    Ok(())
}

fn encode_dynamic(out: &mut String, value: &Value, path: &Path<'_>) -> Result<(), EncodeError> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Dynamic(Type::Dynamic, inner) => encode(out, inner, &Type::Dynamic, &path.nested())?,
        _ => {
            let (ty, inner) = dynamic_type_of(value, path)?;
            out.push_str("{\"value\":");
            encode(out, inner, &ty, &path.nested())?;
            out.push_str(",\"type\":");
            out.push_str(&ty.to_json().to_string());
            out.push('}');
        }
    }
    Ok(())
}

fn write_number(out: &mut String, number: &Number, path: &Path<'_>) -> Result<(), EncodeError> {
    match number {
        Number::Int(int) => out.push_str(&int.to_string()),
        Number::Float(float) if !float.is_finite() => {
            return Err(path.encode_error(format!("{float} cannot be encoded as JSON")));
        }
        Number::Float(float) => {
            // Display never uses an exponent; keep a point so that it reads back as a float.
            let text = float.to_string();
            out.push_str(&text);
            if !text.contains('.') {
                out.push_str(".0");
            }
        }
        Number::Big(text) => {
            if infinity_text(text).is_some() {
                return Err(path.encode_error(format!("{text} cannot be encoded as JSON")));
            }
            // Rewrite the looser number text cty accepts into JSON's grammar.
            let Some((negative, integer, fraction, exponent)) = split_decimal(text) else {
                return Err(path.encode_error(format!("{text:?} is not a decimal number")));
            };
            if negative {
                out.push('-');
            }
            let integer = integer.trim_start_matches('0');
            out.push_str(if integer.is_empty() { "0" } else { integer });
            if !fraction.is_empty() {
                out.push('.');
                out.push_str(fraction);
            }
            if let Some(exponent) = exponent {
                out.push('e');
                out.push_str(exponent);
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Decoding.

struct Parser<'t> {
    text: &'t str,
    pos: usize,
}

impl<'t> Parser<'t> {
    fn whitespace(&mut self) {
        let rest = &self.text[self.pos..];
        let trimmed = rest.trim_start_matches([' ', '\t', '\n', '\r']);
        self.pos += rest.len() - trimmed.len();
    }

    fn peek(&mut self) -> Option<u8> {
        self.whitespace();
        self.text.as_bytes().get(self.pos).copied()
    }

    /// What comes next, for error messages.
    fn describe_next(&mut self) -> String {
        match self.peek() {
            None => "end of input".into(),
            Some(b'"') => "a string".into(),
            Some(b'{') => "an object".into(),
            Some(b'[') => "an array".into(),
            Some(b't' | b'f') => "a bool".into(),
            Some(b'n') => "null".into(),
            Some(b'-' | b'0'..=b'9') => "a number".into(),
            Some(_) => match self.text[self.pos..].chars().next() {
                Some(c) => format!("character {c:?}"),
                None => "end of input".into(),
            },
        }
    }

    fn expected(&mut self, what: &str, path: &Path<'_>) -> DecodeError {
        let found = self.describe_next();
        path.decode_error(format!("{what} is required, found {found}"))
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn require(&mut self, byte: u8, path: &Path<'_>) -> Result<(), DecodeError> {
        if self.eat(byte) {
            Ok(())
        } else {
            let found = self.describe_next();
            Err(path.decode_error(format!("expected '{}', found {found}", byte as char)))
        }
    }

    fn literal(&mut self, word: &str) -> bool {
        self.whitespace();
        let rest = &self.text[self.pos..];
        let followed_by_word_char = rest
            .as_bytes()
            .get(word.len())
            .is_some_and(|b| b.is_ascii_alphanumeric());
        if rest.starts_with(word) && !followed_by_word_char {
            self.pos += word.len();
            true
        } else {
            false
        }
    }

    fn bool(&mut self) -> Option<bool> {
        if self.literal("true") {
            Some(true)
        } else if self.literal("false") {
            Some(false)
        } else {
            None
        }
    }

    /// JSON number text, checked against JSON's grammar.
    fn number_text(&mut self, path: &Path<'_>) -> Result<&'t str, DecodeError> {
        self.whitespace();
        let bytes = self.text.as_bytes();
        let start = self.pos;
        let mut at = start;
        let digits = |at: &mut usize| {
            let from = *at;
            while bytes.get(*at).is_some_and(u8::is_ascii_digit) {
                *at += 1;
            }
            *at - from
        };
        if bytes.get(at) == Some(&b'-') {
            at += 1;
        }
        let integer_start = at;
        let integer_digits = digits(&mut at);
        let mut valid = integer_digits == 1 || (integer_digits > 1 && bytes[integer_start] != b'0');
        if valid && bytes.get(at) == Some(&b'.') {
            at += 1;
            valid = digits(&mut at) > 0;
        }
        if valid && matches!(bytes.get(at), Some(b'e' | b'E')) {
            at += 1;
            if matches!(bytes.get(at), Some(b'+' | b'-')) {
                at += 1;
            }
            valid = digits(&mut at) > 0;
        }
        if !valid {
            return Err(path.decode_error(format!(
                "invalid JSON number {:?}",
                &self.text[start..at.min(self.text.len())]
            )));
        }
        self.pos = at;
        Ok(&self.text[start..at])
    }

    /// A JSON string literal, with its escapes resolved.
    fn string(&mut self, path: &Path<'_>, what: &str) -> Result<String, DecodeError> {
        if !self.eat(b'"') {
            return Err(self.expected(what, path));
        }
        let bytes = self.text.as_bytes();
        let mut out = String::new();
        loop {
            let run_start = self.pos;
            while bytes
                .get(self.pos)
                .is_some_and(|&b| b != b'"' && b != b'\\' && b >= 0x20)
            {
                self.pos += 1;
            }
            out.push_str(&self.text[run_start..self.pos]);
            match bytes.get(self.pos) {
                None => return Err(path.decode_error(format!("unterminated {what}"))),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let escape = bytes.get(self.pos).copied();
                    self.pos += 1;
                    match escape {
                        Some(b'"') => out.push('"'),
                        Some(b'\\') => out.push('\\'),
                        Some(b'/') => out.push('/'),
                        Some(b'b') => out.push('\u{08}'),
                        Some(b'f') => out.push('\u{0c}'),
                        Some(b'n') => out.push('\n'),
                        Some(b'r') => out.push('\r'),
                        Some(b't') => out.push('\t'),
                        Some(b'u') => out.push(self.unicode_escape(path)?),
                        _ => return Err(path.decode_error(format!("invalid escape in {what}"))),
                    }
                }
                Some(_) => {
                    return Err(path.decode_error(format!("control character in {what}")));
                }
            }
        }
    }

    fn hex4(&mut self, path: &Path<'_>) -> Result<u32, DecodeError> {
        let hex = self
            .text
            .get(self.pos..self.pos + 4)
            .filter(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| path.decode_error("invalid \\u escape"))?;
        self.pos += 4;
        u32::from_str_radix(hex, 16).map_err(|_| path.decode_error("invalid \\u escape"))
    }

    /// The character of a `\u` escape whose `\u` has been read; a UTF-16 surrogate pair
    /// spans two escapes. An unpaired surrogate becomes U+FFFD, as Go's decoder does.
    fn unicode_escape(&mut self, path: &Path<'_>) -> Result<char, DecodeError> {
        let first = self.hex4(path)?;
        if (0xD800..0xDC00).contains(&first) && self.text[self.pos..].starts_with("\\u") {
            let save = self.pos;
            self.pos += 2;
            let second = self.hex4(path)?;
            if (0xDC00..0xE000).contains(&second) {
                let combined = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                return Ok(char::from_u32(combined).unwrap_or('\u{FFFD}'));
            }
            self.pos = save;
        }
        Ok(char::from_u32(first).unwrap_or('\u{FFFD}'))
    }

    /// Steps over one JSON value of any kind and returns its text.
    fn skip(&mut self, path: &Path<'_>) -> Result<&'t str, DecodeError> {
        self.whitespace();
        let start = self.pos;
        let mut stream = serde_json::Deserializer::from_str(&self.text[start..])
            .into_iter::<serde_json::Value>();
        match stream.next() {
            Some(Ok(_)) => {
                self.pos = start + stream.byte_offset();
                Ok(&self.text[start..self.pos])
            }
            Some(Err(err)) => Err(path.decode_error(format!("invalid JSON: {err}"))),
            None => Err(path.decode_error("unexpected end of input")),
        }
    }

    /// Calls `each` for every element of a JSON array, with its index.
    fn array(
        &mut self,
        path: &Path<'_>,
        what: &str,
        mut each: impl FnMut(&mut Self, usize) -> Result<(), DecodeError>,
    ) -> Result<(), DecodeError> {
        if !self.eat(b'[') {
            return Err(self.expected(what, path));
        }
        if self.eat(b']') {
            return Ok(());
        }
        let mut index = 0;
        loop {
            each(self, index)?;
            index += 1;
            if self.eat(b']') {
                return Ok(());
            }
            self.require(b',', path)?;
        }
    }

    /// Calls `each` for every member of a JSON object, with its key.
    fn object(
        &mut self,
        path: &Path<'_>,
        what: &str,
        mut each: impl FnMut(&mut Self, String) -> Result<(), DecodeError>,
    ) -> Result<(), DecodeError> {
        if !self.eat(b'{') {
            return Err(self.expected(what, path));
        }
        if self.eat(b'}') {
            return Ok(());
        }
        loop {
            let key = self.string(path, "object key")?;
            self.require(b':', path)?;
            each(self, key)?;
            if self.eat(b'}') {
                return Ok(());
            }
            self.require(b',', path)?;
        }
    }
}

fn decode(parser: &mut Parser<'_>, ty: &Type, path: &Path<'_>) -> Result<Value, DecodeError> {
    path.check_depth()?;
    if parser.literal("null") {
        return Ok(Value::Null);
    }
    Ok(match ty {
        Type::Dynamic => return decode_dynamic(parser, path),
        // Like Terraform, accept the string forms that convert to the wanted primitive.
        Type::Bool => match parser.peek() {
            Some(b'"') => match parser.string(path, "bool")?.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                other => {
                    return Err(path.decode_error(format!("bool is required, found {other:?}")));
                }
            },
            _ => match parser.bool() {
                Some(b) => Value::Bool(b),
                None => return Err(parser.expected("bool", path)),
            },
        },
        Type::Number => match parser.peek() {
            Some(b'"') => {
                let text = parser.string(path, "number")?;
                Value::Number(number_from_text(&text).ok_or_else(|| {
                    path.decode_error(format!("number is required, found string {text:?}"))
                })?)
            }
            Some(b'-' | b'0'..=b'9') => {
                let text = parser.number_text(path)?;
                Value::Number(
                    number_from_text(text)
                        .ok_or_else(|| path.decode_error(format!("invalid number {text:?}")))?,
                )
            }
            _ => return Err(parser.expected("number", path)),
        },
        Type::String => match parser.peek() {
            Some(b'"') => Value::String(parser.string(path, "string")?),
            Some(b'-' | b'0'..=b'9') => Value::String(parser.number_text(path)?.to_owned()),
            _ => match parser.bool() {
                Some(b) => Value::String(b.to_string()),
                None => return Err(parser.expected("string", path)),
            },
        },
        Type::List(element) => Value::List(decode_elements(parser, element, path, "list")?),
        Type::Set(element) => Value::Set(decode_elements(parser, element, path, "set")?),
        Type::Tuple(elements) => {
            let mut items = Vec::with_capacity(elements.len());
            parser.array(path, "tuple", |parser, index| {
                let item_path = path.child(Step::Index(index));
                let Some(element) = elements.get(index) else {
                    return Err(path.decode_error(format!(
                        "tuple of {} elements is required, found more",
                        elements.len()
                    )));
                };
                items.push(decode(parser, element, &item_path)?);
                Ok(())
            })?;
            if items.len() != elements.len() {
                return Err(path.decode_error(format!(
                    "tuple of {} elements is required, found {}",
                    elements.len(),
                    items.len()
                )));
            }
            Value::Tuple(items)
        }
        Type::Map(element) => {
            let mut entries = BTreeMap::new();
            parser.object(path, "map", |parser, key| {
                let item = decode(parser, element, &path.child(Step::Key(&key)))?;
                entries.insert(key, item);
                Ok(())
            })?;
            Value::Map(entries)
        }
        Type::Object(object) => {
            let mut attributes = BTreeMap::new();
            parser.object(path, "object", |parser, name| {
                let attr_path = path.child(Step::Attr(&name));
                // Stored state may hold attributes a later schema dropped; they are
                // simply not carried forward.
                let Some(attr_ty) = object.attributes.get(&name) else {
                    parser.skip(&attr_path)?;
                    return Ok(());
                };
                let item = decode(parser, attr_ty, &attr_path)?;
                attributes.insert(name, item);
                Ok(())
            })?;
            for name in object.attributes.keys() {
                if !attributes.contains_key(name) {
                    attributes.insert(name.clone(), Value::Null);
                }
            }
            Value::Object(attributes)
        }
    })
}

fn decode_elements(
    parser: &mut Parser<'_>,
    element: &Type,
    path: &Path<'_>,
    what: &str,
) -> Result<Vec<Value>, DecodeError> {
    let mut items = Vec::new();
    parser.array(path, what, |parser, index| {
        items.push(decode(parser, element, &path.child(Step::Index(index)))?);
        Ok(())
    })?;
    Ok(items)
}

fn decode_dynamic(parser: &mut Parser<'_>, path: &Path<'_>) -> Result<Value, DecodeError> {
    let mut ty = None;
    let mut value_text = None;
    let what = "dynamic value ({\"value\": ..., \"type\": ...})";
    parser.object(path, what, |parser, key| {
        match key.as_str() {
            "type" => {
                let text = parser.skip(path)?;
                let parsed = serde_json::from_str::<serde_json::Value>(text)
                    .map_err(|err| err.to_string())
                    .and_then(|json| Type::from_json(&json))
                    .map_err(|err| {
                        path.decode_error(format!("invalid type of a dynamic value: {err}"))
                    })?;
                ty = Some(parsed);
            }
            "value" => value_text = Some(parser.skip(path)?),
            other => {
                return Err(
                    path.decode_error(format!("unexpected key {other:?} in a dynamic value"))
                );
            }
        }
        Ok(())
    })?;
    let ty = ty.ok_or_else(|| path.decode_error("dynamic value has no \"type\""))?;
    let text = value_text.ok_or_else(|| path.decode_error("dynamic value has no \"value\""))?;
    let mut inner = Parser { text, pos: 0 };
    let value = decode(&mut inner, &ty, &path.nested())?;
    Ok(wrap_dynamic(ty, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_classification() {
        assert_eq!(number_from_text("12"), Some(Number::Int(12)));
        assert_eq!(number_from_text("-12"), Some(Number::Int(-12)));
        assert_eq!(number_from_text("1.5"), Some(Number::Float(1.5)));
        assert_eq!(number_from_text("1.0"), Some(Number::Float(1.0)));
        assert_eq!(number_from_text("2.5e3"), Some(Number::Float(2500.0)));
        assert_eq!(number_from_text("-0.125"), Some(Number::Float(-0.125)));
        assert_eq!(number_from_text("0.1"), Some(Number::Big("0.1".into())));
        assert_eq!(
            number_from_text("9223372036854775808"),
            Some(Number::Float(9223372036854775808.0))
        );
        assert_eq!(
            number_from_text("9223372036854775809"),
            Some(Number::Big("9223372036854775809".into()))
        );
        assert_eq!(number_from_text("1e400"), Some(Number::Big("1e400".into())));
        assert_eq!(
            number_from_text("1e-400"),
            Some(Number::Big("1e-400".into()))
        );
        assert_eq!(
            number_from_text("1e99999999999999999999"),
            Some(Number::Big("1e99999999999999999999".into()))
        );
        // 2^-60, exactly representable with 42 significant digits.
        let tiny = "0.000000000000000000867361737988403547205962240695953369140625";
        assert_eq!(number_from_text(tiny), Some(Number::Float(2f64.powi(-60))));
        assert_eq!(number_from_text("x"), None);
    }

    #[test]
    fn numbers_written_as_json() {
        let write = |n: Number| {
            let mut out = String::new();
            write_number(&mut out, &n, &Path::ROOT).map(|()| out)
        };
        assert_eq!(write(Number::Int(-3)).unwrap(), "-3");
        assert_eq!(write(Number::Float(2.0)).unwrap(), "2.0");
        assert_eq!(write(Number::Float(0.5)).unwrap(), "0.5");
        assert_eq!(
            write(Number::Float(1e21)).unwrap(),
            "1000000000000000000000.0"
        );
        assert_eq!(write(Number::Big("+.5e+3".into())).unwrap(), "0.5e+3");
        assert_eq!(write(Number::Big("-007".into())).unwrap(), "-7");
        assert!(write(Number::Float(f64::INFINITY)).is_err());
        assert!(write(Number::Float(f64::NAN)).is_err());
        assert!(write(Number::Big("+Inf".into())).is_err());
        assert!(write(Number::Big("ten".into())).is_err());
    }

    #[test]
    fn strings_with_escapes() {
        let mut parser = Parser {
            text: r#""a\"b\\c\/\n\u00e9\ud83d\ude00\ud800x""#,
            pos: 0,
        };
        let s = parser.string(&Path::ROOT, "string").unwrap();
        assert_eq!(s, "a\"b\\c/\né😀\u{FFFD}x");
        for bad in [r#""abc"#, "\"a\u{1}\"", r#""\x""#, r#""\u12""#] {
            let mut parser = Parser { text: bad, pos: 0 };
            assert!(parser.string(&Path::ROOT, "string").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn json_number_grammar() {
        for good in ["0", "-0", "12", "1.5", "1e5", "1E+5", "-1.5e-5"] {
            let mut parser = Parser { text: good, pos: 0 };
            assert_eq!(parser.number_text(&Path::ROOT).unwrap(), good);
        }
        for bad in ["-", "01", "1.", "1e", "-x", "1.e5"] {
            let mut parser = Parser { text: bad, pos: 0 };
            assert!(parser.number_text(&Path::ROOT).is_err(), "{bad:?}");
        }
    }
}
