//! The JSON encoding of values, as Terraform's `cty/json` package writes it; Terraform uses
//! it for stored state handed to `UpgradeResourceState`.
//!
//! Values are plain JSON by their type; a value at a dynamic position is wrapped as
//! `{"value": ..., "type": <type JSON>}`. Unknown values cannot be written. Numbers keep
//! their full text: serde_json parses with `arbitrary_precision`, so no digit is lost.

use std::collections::BTreeMap;

use serde_json::Value as Json;

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
    let json: Json = serde_json::from_slice(bytes)
        .map_err(|err| Path::ROOT.decode_error(format!("invalid JSON: {err}")))?;
    decode(&json, ty, &Path::ROOT)
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

/// A JSON value's kind, for error messages.
fn describe(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "a bool",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

fn expected(what: &str, found: &Json, path: &Path<'_>) -> DecodeError {
    path.decode_error(format!("{what} is required, found {}", describe(found)))
}

fn decode(json: &Json, ty: &Type, path: &Path<'_>) -> Result<Value, DecodeError> {
    path.check_depth()?;
    if json.is_null() {
        return Ok(Value::Null);
    }
    Ok(match ty {
        Type::Dynamic => return decode_dynamic(json, path),
        // Like Terraform, accept the string forms that convert to the wanted primitive.
        Type::Bool => match json {
            Json::Bool(b) => Value::Bool(*b),
            Json::String(text) => match text.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                other => {
                    return Err(path.decode_error(format!("bool is required, found {other:?}")));
                }
            },
            other => return Err(expected("bool", other, path)),
        },
        Type::Number => match json {
            Json::Number(number) => {
                let text = number.to_string();
                Value::Number(
                    number_from_text(&text)
                        .ok_or_else(|| path.decode_error(format!("invalid number {text:?}")))?,
                )
            }
            Json::String(text) => Value::Number(number_from_text(text).ok_or_else(|| {
                path.decode_error(format!("number is required, found string {text:?}"))
            })?),
            other => return Err(expected("number", other, path)),
        },
        Type::String => match json {
            Json::String(text) => Value::String(text.clone()),
            Json::Number(number) => Value::String(number.to_string()),
            Json::Bool(b) => Value::String(b.to_string()),
            other => return Err(expected("string", other, path)),
        },
        Type::List(element) => Value::List(decode_elements(json, element, path, "list")?),
        Type::Set(element) => Value::Set(decode_elements(json, element, path, "set")?),
        Type::Tuple(elements) => {
            let Json::Array(items) = json else {
                return Err(expected("tuple", json, path));
            };
            if items.len() != elements.len() {
                return Err(path.decode_error(format!(
                    "tuple of {} elements is required, found {}",
                    elements.len(),
                    items.len()
                )));
            }
            let decoded = items
                .iter()
                .zip(elements)
                .enumerate()
                .map(|(index, (item, element))| {
                    decode(item, element, &path.child(Step::Index(index)))
                })
                .collect::<Result<_, _>>()?;
            Value::Tuple(decoded)
        }
        Type::Map(element) => {
            let Json::Object(members) = json else {
                return Err(expected("map", json, path));
            };
            let entries = members
                .iter()
                .map(|(key, item)| {
                    let value = decode(item, element, &path.child(Step::Key(key)))?;
                    Ok((key.clone(), value))
                })
                .collect::<Result<_, DecodeError>>()?;
            Value::Map(entries)
        }
        Type::Object(object) => {
            let Json::Object(members) = json else {
                return Err(expected("object", json, path));
            };
            // Attributes absent from stored state are null; attributes a later schema dropped
            // are simply not carried forward.
            let attributes = object
                .attributes
                .iter()
                .map(|(name, attr_ty)| {
                    let value = match members.get(name) {
                        Some(item) => decode(item, attr_ty, &path.child(Step::Attr(name)))?,
                        None => Value::Null,
                    };
                    Ok((name.clone(), value))
                })
                .collect::<Result<BTreeMap<_, _>, DecodeError>>()?;
            Value::Object(attributes)
        }
    })
}

fn decode_elements(
    json: &Json,
    element: &Type,
    path: &Path<'_>,
    what: &str,
) -> Result<Vec<Value>, DecodeError> {
    let Json::Array(items) = json else {
        return Err(expected(what, json, path));
    };
    items
        .iter()
        .enumerate()
        .map(|(index, item)| decode(item, element, &path.child(Step::Index(index))))
        .collect()
}

fn decode_dynamic(json: &Json, path: &Path<'_>) -> Result<Value, DecodeError> {
    let Json::Object(members) = json else {
        return Err(expected(
            "dynamic value ({\"value\": ..., \"type\": ...})",
            json,
            path,
        ));
    };
    if let Some(other) = members
        .keys()
        .find(|key| !matches!(key.as_str(), "value" | "type"))
    {
        return Err(path.decode_error(format!("unexpected key {other:?} in a dynamic value")));
    }
    let ty = members
        .get("type")
        .ok_or_else(|| path.decode_error("dynamic value has no \"type\""))?;
    let ty = Type::from_json(ty)
        .map_err(|err| path.decode_error(format!("invalid type of a dynamic value: {err}")))?;
    let value = members
        .get("value")
        .ok_or_else(|| path.decode_error("dynamic value has no \"value\""))?;
    let value = decode(value, &ty, &path.nested())?;
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
    fn numbers_keep_their_full_text() {
        let numbers = Type::List(Box::new(Type::Number));
        let decoded = decode_json(b"[0.1, 123456789012345678901234567890]", &numbers);
        assert_eq!(
            decoded.unwrap(),
            Value::List(vec![
                Value::Number(Number::Big("0.1".into())),
                Value::Number(Number::Big("123456789012345678901234567890".into())),
            ])
        );
        let as_string = decode_json(b"1.50", &Type::String).unwrap();
        assert_eq!(as_string, Value::String("1.50".into()));
    }

    #[test]
    fn invalid_json_is_an_error() {
        for bad in ["", "[1,]", "01", "1.", r#""\x""#, "[1] 2", r#"{"a" 1}"#] {
            let numbers = Type::List(Box::new(Type::Number));
            assert!(decode_json(bad.as_bytes(), &numbers).is_err(), "{bad:?}");
        }
    }
}
