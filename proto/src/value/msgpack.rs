//! The MessagePack encoding of values, as Terraform's `cty/msgpack` package writes it.
//!
//! Layout, by the expected type:
//! - null is `nil`; an unknown value is an extension: type 0 with a one-byte body when
//!   nothing is known about it, or type 12 whose body is a map of refinements;
//! - bool, string: the MessagePack bool and string;
//! - number: an integer when it fits `i64`, a float64 when it is not integral, otherwise
//!   its decimal text as a string;
//! - list, set, tuple: arrays; map and object: maps with string keys (an object always
//!   carries every attribute of its type);
//! - dynamic: a known value is `[type JSON as bytes, value encoded with that type]`; a null
//!   or unknown one is a bare `nil` or unknown.
//!
//! This module also holds the pieces that the JSON encoding shares: paths for error
//! messages, number text handling and type names.
//!
//! Written on `rmp`'s low-level markers rather than a serde format: no msgpack crate knows
//! cty's unknown-value extension, and values are decoded by their expected type.

use std::collections::BTreeMap;

use rmp::Marker;

use super::{DecodeError, EncodeError, Number, Refinements, Type, Value};

/// How deeply values may nest before decoding gives up, so that hostile input cannot
/// exhaust the stack.
pub(super) const MAX_DEPTH: usize = 128;

/// The extension type of an unknown value carrying refinements.
const EXT_REFINED_UNKNOWN: i8 = 12;
/// The largest refinement body Terraform accepts.
const MAX_REFINEMENT_BODY: usize = 1024;
/// String prefix refinements longer than this are shortened before encoding.
const MAX_PREFIX_LEN: usize = 256;

const REFINE_NULLNESS: i64 = 1;
const REFINE_STRING_PREFIX: i64 = 2;
const REFINE_NUMBER_LOWER: i64 = 3;
const REFINE_NUMBER_UPPER: i64 = 4;
const REFINE_LENGTH_LOWER: i64 = 5;
const REFINE_LENGTH_UPPER: i64 = 6;

/// Encodes `value`, which must conform to `ty`, the way Terraform expects a `DynamicValue`'s
/// `msgpack` field.
pub fn encode_msgpack(value: &Value, ty: &Type) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    encode(&mut out, value, ty, &Path::ROOT)?;
    Ok(out)
}

/// Decodes MessagePack bytes from Terraform as a value of type `ty`. The whole input must be
/// one value.
pub fn decode_msgpack(bytes: &[u8], ty: &Type) -> Result<Value, DecodeError> {
    let mut reader = Reader { bytes, pos: 0 };
    let value = decode(&mut reader, ty, &Path::ROOT)?;
    if reader.pos != bytes.len() {
        return Err(Path::ROOT.decode_error(format!(
            "{} unexpected bytes after the value",
            bytes.len() - reader.pos
        )));
    }
    Ok(value)
}

// ---------------------------------------------------------------------------------------
// Shared with the JSON encoding.

/// One step from a value into a part of it.
#[derive(Clone, Copy)]
pub(super) enum Step<'a> {
    Attr(&'a str),
    Index(usize),
    Key(&'a str),
}

/// Where the value being worked on sits inside the whole, kept as a chain of borrowed
/// frames so that nothing is allocated unless an error needs the text.
pub(super) struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    step: Option<Step<'a>>,
    /// How many values enclose this one, counting dynamic wrappers.
    pub(super) depth: usize,
}

impl<'a> Path<'a> {
    pub(super) const ROOT: Path<'static> = Path {
        parent: None,
        step: None,
        depth: 0,
    };

    pub(super) fn child<'b>(&'b self, step: Step<'b>) -> Path<'b>
    where
        'a: 'b,
    {
        Path {
            parent: Some(self),
            step: Some(step),
            depth: self.depth + 1,
        }
    }

    /// The same place, one level deeper: the value inside a dynamic wrapper.
    pub(super) fn nested<'b>(&'b self) -> Path<'b>
    where
        'a: 'b,
    {
        Path {
            parent: Some(self),
            step: None,
            depth: self.depth + 1,
        }
    }

    pub(super) fn render(&self) -> String {
        let mut steps = Vec::new();
        let mut at = Some(self);
        while let Some(path) = at {
            if let Some(step) = path.step {
                steps.push(step);
            }
            at = path.parent;
        }
        let mut out = String::new();
        for step in steps.iter().rev() {
            match step {
                Step::Attr(name) => {
                    out.push('.');
                    out.push_str(name);
                }
                Step::Index(index) => {
                    out.push('[');
                    out.push_str(&index.to_string());
                    out.push(']');
                }
                Step::Key(key) => {
                    out.push('[');
                    write_json_string(&mut out, key);
                    out.push(']');
                }
            }
        }
        out
    }

    pub(super) fn decode_error(&self, message: impl Into<String>) -> DecodeError {
        DecodeError {
            path: self.render(),
            message: message.into(),
        }
    }

    pub(super) fn encode_error(&self, message: impl Into<String>) -> EncodeError {
        EncodeError {
            path: self.render(),
            message: message.into(),
        }
    }

    pub(super) fn check_depth(&self) -> Result<(), DecodeError> {
        if self.depth > MAX_DEPTH {
            Err(self.decode_error(format!("value is nested more than {MAX_DEPTH} levels deep")))
        } else {
            Ok(())
        }
    }
}

/// Appends `s` as a JSON string literal.
pub(super) fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A short description of a type for error messages.
pub(super) fn type_name(ty: &Type) -> String {
    match ty {
        Type::Bool => "bool".into(),
        Type::Number => "number".into(),
        Type::String => "string".into(),
        Type::Dynamic => "dynamic".into(),
        Type::List(element) => format!("list of {}", type_name(element)),
        Type::Set(element) => format!("set of {}", type_name(element)),
        Type::Map(element) => format!("map of {}", type_name(element)),
        Type::Object(_) => "object".into(),
        Type::Tuple(_) => "tuple".into(),
    }
}

/// A short description of what kind of value this is, for error messages.
pub(super) fn value_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Unknown(_) => "an unknown value",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::List(_) => "a list",
        Value::Set(_) => "a set",
        Value::Map(_) => "a map",
        Value::Object(_) => "an object",
        Value::Tuple(_) => "a tuple",
        Value::Dynamic(..) => "a dynamic value",
    }
}

/// The error for a value that does not fit the type it is being encoded as.
pub(super) fn mismatch(path: &Path<'_>, ty: &Type, value: &Value) -> EncodeError {
    path.encode_error(format!(
        "expected {}, found {}",
        type_name(ty),
        value_kind(value)
    ))
}

/// The type to record for a known value at a dynamic position. Values that are not
/// [`Value::Dynamic`] are accepted only when their type is evident: bools, numbers, strings.
pub(super) fn dynamic_type_of<'v>(
    value: &'v Value,
    path: &Path<'_>,
) -> Result<(Type, &'v Value), EncodeError> {
    match value {
        Value::Dynamic(ty, inner) => Ok((ty.clone(), inner)),
        Value::Bool(_) => Ok((Type::Bool, value)),
        Value::Number(_) => Ok((Type::Number, value)),
        Value::String(_) => Ok((Type::String, value)),
        other => Err(path.encode_error(format!(
            "{} at a dynamic position must be wrapped in Value::Dynamic with its type",
            value_kind(other)
        ))),
    }
}

/// The object attribute values to encode, in attribute order: every attribute of the type
/// must be present except optional ones, which default to null; extra ones are an error.
pub(super) fn object_attributes<'v>(
    object: &'v super::ObjectType,
    values: &'v BTreeMap<String, Value>,
    path: &Path<'_>,
) -> Result<Vec<(&'v str, &'v Type, &'v Value)>, EncodeError> {
    static NULL: Value = Value::Null;
    if let Some(extra) = values
        .keys()
        .find(|name| !object.attributes.contains_key(*name))
    {
        return Err(path
            .child(Step::Attr(extra))
            .encode_error("attribute is not part of the object type"));
    }
    object
        .attributes
        .iter()
        .map(|(name, ty)| match values.get(name) {
            Some(value) => Ok((name.as_str(), ty, value)),
            None if object.optional.contains(name) => Ok((name.as_str(), ty, &NULL)),
            None => Err(path
                .child(Step::Attr(name))
                .encode_error("attribute is missing (use Value::Null for a null attribute)")),
        })
        .collect()
}

/// Infinity as number text, the way cty's number parser accepts it.
pub(super) fn infinity_text(text: &str) -> Option<f64> {
    match text {
        "Inf" | "+Inf" | "inf" | "+inf" => Some(f64::INFINITY),
        "-Inf" | "-inf" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

/// The parts of decimal number text `[+-]digits[.digits][(e|E)[+-]digits]` (digits may be
/// absent on one side of the point, not both): (negative, integer digits, fraction digits,
/// exponent text with its sign).
pub(super) fn split_decimal(text: &str) -> Option<(bool, &str, &str, Option<&str>)> {
    let (negative, rest) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(at) => (&rest[..at], Some(&rest[at + 1..])),
        None => (rest, None),
    };
    let (integer, fraction) = match mantissa.find('.') {
        Some(at) => (&mantissa[..at], &mantissa[at + 1..]),
        None => (mantissa, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if integer.is_empty() && fraction.is_empty() || !all_digits(integer) || !all_digits(fraction) {
        return None;
    }
    if let Some(exponent) = exponent {
        let digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        if digits.is_empty() || !all_digits(digits) {
            return None;
        }
    }
    Some((negative, integer, fraction, exponent))
}

/// Number text as Terraform sends it in a MessagePack string: infinity, an integer that
/// fits `i64`, or else kept as [`Number::Big`].
pub(super) fn number_from_text(text: &str) -> Option<Number> {
    if let Some(infinity) = infinity_text(text) {
        return Some(Number::Float(infinity));
    }
    split_decimal(text)?;
    Some(match text.parse::<i64>() {
        Ok(int) => Number::Int(int),
        Err(_) => Number::Big(text.to_owned()),
    })
}

// ---------------------------------------------------------------------------------------
// Encoding.

fn encode(out: &mut Vec<u8>, value: &Value, ty: &Type, path: &Path<'_>) -> Result<(), EncodeError> {
    if path.depth > MAX_DEPTH {
        return Err(path.encode_error(format!("value is nested more than {MAX_DEPTH} levels deep")));
    }
    if *ty == Type::Dynamic {
        return encode_dynamic(out, value, path);
    }
    match (ty, value) {
        (_, Value::Null) => out.push(Marker::Null.to_u8()),
        (_, Value::Unknown(refinements)) => encode_unknown(out, refinements, ty),
        (_, Value::Dynamic(inner_ty, inner)) if inner_ty == ty => encode(out, inner, ty, path)?,
        (Type::Bool, Value::Bool(b)) => put_bool(out, *b),
        (Type::Number, Value::Number(n)) => put_number(out, n, path)?,
        (Type::String, Value::String(s)) => put_str(out, s.as_bytes(), path)?,
        (Type::List(element), Value::List(items)) | (Type::Set(element), Value::Set(items)) => {
            put_array_len(out, items.len(), path)?;
            for (index, item) in items.iter().enumerate() {
                encode(out, item, element, &path.child(Step::Index(index)))?;
            }
        }
        (Type::Tuple(elements), Value::Tuple(items)) => {
            if elements.len() != items.len() {
                return Err(path.encode_error(format!(
                    "expected a tuple of {} elements, found {}",
                    elements.len(),
                    items.len()
                )));
            }
            put_array_len(out, items.len(), path)?;
            for (index, (item, element)) in items.iter().zip(elements).enumerate() {
                encode(out, item, element, &path.child(Step::Index(index)))?;
            }
        }
        (Type::Map(element), Value::Map(entries)) => {
            put_map_len(out, entries.len(), path)?;
            for (key, item) in entries {
                let path = path.child(Step::Key(key));
                put_str(out, key.as_bytes(), &path)?;
                encode(out, item, element, &path)?;
            }
        }
        (Type::Object(object), Value::Object(values)) => {
            let attributes = object_attributes(object, values, path)?;
            put_map_len(out, attributes.len(), path)?;
            for (name, ty, item) in attributes {
                let path = path.child(Step::Attr(name));
                put_str(out, name.as_bytes(), &path)?;
                encode(out, item, ty, &path)?;
            }
        }
        _ => return Err(mismatch(path, ty, value)),
    }
    Ok(())
}

fn encode_dynamic(out: &mut Vec<u8>, value: &Value, path: &Path<'_>) -> Result<(), EncodeError> {
    match value {
        Value::Null => out.push(Marker::Null.to_u8()),
        // Terraform never refines an unknown of unknown type.
        Value::Unknown(_) => put_plain_unknown(out),
        Value::Dynamic(Type::Dynamic, inner) => encode_dynamic(out, inner, &path.nested())?,
        _ => {
            let (ty, inner) = dynamic_type_of(value, path)?;
            out.push(Marker::FixArray(2).to_u8());
            put_bin(out, &ty.to_json_bytes(), path)?;
            encode(out, inner, &ty, &path.nested())?;
        }
    }
    Ok(())
}

fn put_plain_unknown(out: &mut Vec<u8>) {
    out.extend_from_slice(&[Marker::FixExt1.to_u8(), 0, 0]);
}

fn encode_unknown(out: &mut Vec<u8>, refinements: &Refinements, ty: &Type) {
    let mut body = refinement_body(refinements, ty, true);
    if body.len() > MAX_REFINEMENT_BODY {
        // Only very long number bounds get here; dropping a refinement loses nothing but
        // precision about what the value may become.
        body = refinement_body(refinements, ty, false);
    }
    match body.len() {
        0 => put_plain_unknown(out),
        len => {
            put_ext_header(out, EXT_REFINED_UNKNOWN, len);
            out.extend_from_slice(&body);
        }
    }
}

/// The refinement map for an unknown value of type `ty`, or nothing when no refinement
/// applies. Refinements that do not apply to the type are left out.
fn refinement_body(refinements: &Refinements, ty: &Type, with_number_bounds: bool) -> Vec<u8> {
    let mut entries = Vec::new();
    let mut count = 0;
    if refinements.not_null {
        count += 1;
        put_int(&mut entries, REFINE_NULLNESS);
        put_bool(&mut entries, false);
    }
    match ty {
        Type::Number if with_number_bounds => {
            for (key, bound) in [
                (REFINE_NUMBER_LOWER, &refinements.number_lower),
                (REFINE_NUMBER_UPPER, &refinements.number_upper),
            ] {
                let Some((number, inclusive)) = bound else {
                    continue;
                };
                let mut entry = Vec::new();
                entry.push(Marker::FixArray(2).to_u8());
                if put_number(&mut entry, number, &Path::ROOT).is_err() {
                    continue; // a NaN or malformed bound says nothing usable
                }
                put_bool(&mut entry, *inclusive);
                count += 1;
                put_int(&mut entries, key);
                entries.extend_from_slice(&entry);
            }
        }
        Type::String => {
            if let Some(prefix) = refinements.string_prefix.as_deref() {
                let prefix = shorten_prefix(prefix);
                if !prefix.is_empty() {
                    count += 1;
                    put_int(&mut entries, REFINE_STRING_PREFIX);
                    // Cannot fail: the prefix is at most MAX_PREFIX_LEN bytes.
                    let _ = put_str(&mut entries, prefix.as_bytes(), &Path::ROOT);
                }
            }
        }
        Type::List(_) | Type::Set(_) | Type::Map(_) => {
            for (key, bound) in [
                (REFINE_LENGTH_LOWER, refinements.length_lower),
                (REFINE_LENGTH_UPPER, refinements.length_upper),
            ] {
                if let Some(bound) = bound {
                    count += 1;
                    put_int(&mut entries, key);
                    put_uint(&mut entries, bound);
                }
            }
        }
        _ => {}
    }
    if count == 0 {
        return Vec::new();
    }
    let mut body = Vec::with_capacity(entries.len() + 1);
    // At most four entries, so always a fixmap.
    body.push(Marker::FixMap(count).to_u8());
    body.extend_from_slice(&entries);
    body
}

/// A string prefix short enough for Terraform's size limit. When it must be cut, the cut
/// goes between two ASCII characters (and not inside CRLF), so that the shorter prefix
/// cannot end in the middle of a character sequence that Unicode would treat as one.
fn shorten_prefix(prefix: &str) -> &str {
    if prefix.len() <= MAX_PREFIX_LEN {
        return prefix;
    }
    let bytes = prefix.as_bytes();
    let safe_cut = |at: usize| {
        let (before, after) = (bytes[at - 1], bytes[at]);
        before.is_ascii() && after.is_ascii() && !(before == b'\r' && after == b'\n')
    };
    let cut = (1..MAX_PREFIX_LEN)
        .rev()
        .find(|&at| safe_cut(at))
        .unwrap_or(0);
    &prefix[..cut]
}

fn put_bool(out: &mut Vec<u8>, b: bool) {
    out.push(if b { Marker::True } else { Marker::False }.to_u8());
}

fn put_int(out: &mut Vec<u8>, n: i64) {
    if n >= 0 {
        put_uint(out, n as u64);
    } else if n >= -32 {
        out.push(n as u8);
    } else if n >= i64::from(i8::MIN) {
        out.push(Marker::I8.to_u8());
        out.push(n as u8);
    } else if n >= i64::from(i16::MIN) {
        out.push(Marker::I16.to_u8());
        out.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= i64::from(i32::MIN) {
        out.push(Marker::I32.to_u8());
        out.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        out.push(Marker::I64.to_u8());
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn put_uint(out: &mut Vec<u8>, n: u64) {
    if n < 128 {
        out.push(n as u8);
    } else if n <= u64::from(u8::MAX) {
        out.push(Marker::U8.to_u8());
        out.push(n as u8);
    } else if n <= u64::from(u16::MAX) {
        out.push(Marker::U16.to_u8());
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else if n <= u64::from(u32::MAX) {
        out.push(Marker::U32.to_u8());
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(Marker::U64.to_u8());
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn put_f64(out: &mut Vec<u8>, f: f64) {
    out.push(Marker::F64.to_u8());
    out.extend_from_slice(&f.to_be_bytes());
}

fn put_number(out: &mut Vec<u8>, number: &Number, path: &Path<'_>) -> Result<(), EncodeError> {
    match number {
        Number::Int(int) => put_int(out, *int),
        Number::Float(float) if float.is_nan() => {
            return Err(path.encode_error("NaN is not a Terraform number"));
        }
        Number::Float(float) => put_f64(out, *float),
        Number::Big(text) => {
            if let Some(infinity) = infinity_text(text) {
                put_f64(out, infinity);
            } else if split_decimal(text).is_some() {
                put_str(out, text.as_bytes(), path)?;
            } else {
                return Err(path.encode_error(format!("{text:?} is not a decimal number")));
            }
        }
    }
    Ok(())
}

fn length_u32(len: usize, path: &Path<'_>) -> Result<u32, EncodeError> {
    u32::try_from(len).map_err(|_| path.encode_error("too long for MessagePack"))
}

fn put_str(out: &mut Vec<u8>, bytes: &[u8], path: &Path<'_>) -> Result<(), EncodeError> {
    let len = length_u32(bytes.len(), path)?;
    if len < 32 {
        out.push(Marker::FixStr(len as u8).to_u8());
    } else if len <= u32::from(u8::MAX) {
        out.push(Marker::Str8.to_u8());
        out.push(len as u8);
    } else if len <= u32::from(u16::MAX) {
        out.push(Marker::Str16.to_u8());
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(Marker::Str32.to_u8());
        out.extend_from_slice(&len.to_be_bytes());
    }
    out.extend_from_slice(bytes);
    Ok(())
}

fn put_bin(out: &mut Vec<u8>, bytes: &[u8], path: &Path<'_>) -> Result<(), EncodeError> {
    let len = length_u32(bytes.len(), path)?;
    if len <= u32::from(u8::MAX) {
        out.push(Marker::Bin8.to_u8());
        out.push(len as u8);
    } else if len <= u32::from(u16::MAX) {
        out.push(Marker::Bin16.to_u8());
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(Marker::Bin32.to_u8());
        out.extend_from_slice(&len.to_be_bytes());
    }
    out.extend_from_slice(bytes);
    Ok(())
}

fn put_array_len(out: &mut Vec<u8>, len: usize, path: &Path<'_>) -> Result<(), EncodeError> {
    let len = length_u32(len, path)?;
    if len < 16 {
        out.push(Marker::FixArray(len as u8).to_u8());
    } else if len <= u32::from(u16::MAX) {
        out.push(Marker::Array16.to_u8());
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(Marker::Array32.to_u8());
        out.extend_from_slice(&len.to_be_bytes());
    }
    Ok(())
}

fn put_map_len(out: &mut Vec<u8>, len: usize, path: &Path<'_>) -> Result<(), EncodeError> {
    let len = length_u32(len, path)?;
    if len < 16 {
        out.push(Marker::FixMap(len as u8).to_u8());
    } else if len <= u32::from(u16::MAX) {
        out.push(Marker::Map16.to_u8());
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(Marker::Map32.to_u8());
        out.extend_from_slice(&len.to_be_bytes());
    }
    Ok(())
}

/// Only called with refinement bodies, which are at most a few kilobytes.
fn put_ext_header(out: &mut Vec<u8>, ext_type: i8, len: usize) {
    match len {
        1 => out.push(Marker::FixExt1.to_u8()),
        2 => out.push(Marker::FixExt2.to_u8()),
        4 => out.push(Marker::FixExt4.to_u8()),
        8 => out.push(Marker::FixExt8.to_u8()),
        16 => out.push(Marker::FixExt16.to_u8()),
        len if len <= usize::from(u8::MAX) => {
            out.push(Marker::Ext8.to_u8());
            out.push(len as u8);
        }
        len => {
            out.push(Marker::Ext16.to_u8());
            out.extend_from_slice(&(len.min(usize::from(u16::MAX)) as u16).to_be_bytes());
        }
    }
    out.push(ext_type as u8);
}

// ---------------------------------------------------------------------------------------
// Decoding.

struct Reader<'b> {
    bytes: &'b [u8],
    pos: usize,
}

impl<'b> Reader<'b> {
    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn peek(&self, path: &Path<'_>) -> Result<Marker, DecodeError> {
        match self.bytes.get(self.pos) {
            Some(&byte) => Ok(Marker::from_u8(byte)),
            None => Err(path.decode_error("unexpected end of input")),
        }
    }

    fn take(&mut self, len: usize, path: &Path<'_>) -> Result<&'b [u8], DecodeError> {
        if len > self.remaining() {
            return Err(path.decode_error(format!(
                "unexpected end of input: {len} bytes needed, {} left",
                self.remaining()
            )));
        }
        let taken = &self.bytes[self.pos..self.pos + len];
        self.pos += len;
        Ok(taken)
    }

    fn array<const N: usize>(&mut self, path: &Path<'_>) -> Result<[u8; N], DecodeError> {
        let mut array = [0; N];
        array.copy_from_slice(self.take(N, path)?);
        Ok(array)
    }

    fn u8(&mut self, path: &Path<'_>) -> Result<u8, DecodeError> {
        Ok(self.take(1, path)?[0])
    }

    fn u16(&mut self, path: &Path<'_>) -> Result<u16, DecodeError> {
        self.array(path).map(u16::from_be_bytes)
    }

    fn u32(&mut self, path: &Path<'_>) -> Result<u32, DecodeError> {
        self.array(path).map(u32::from_be_bytes)
    }

    fn u64(&mut self, path: &Path<'_>) -> Result<u64, DecodeError> {
        self.array(path).map(u64::from_be_bytes)
    }

    /// Reads a marker and the length that follows it, for markers that have one.
    fn length(&mut self, marker: Marker, path: &Path<'_>) -> Result<usize, DecodeError> {
        let len = match marker {
            Marker::FixStr(len) | Marker::FixArray(len) | Marker::FixMap(len) => u32::from(len),
            Marker::Str8 | Marker::Bin8 | Marker::Ext8 => u32::from(self.u8(path)?),
            Marker::Str16 | Marker::Bin16 | Marker::Array16 | Marker::Map16 | Marker::Ext16 => {
                u32::from(self.u16(path)?)
            }
            Marker::Str32 | Marker::Bin32 | Marker::Array32 | Marker::Map32 | Marker::Ext32 => {
                self.u32(path)?
            }
            Marker::FixExt1 => 1,
            Marker::FixExt2 => 2,
            Marker::FixExt4 => 4,
            Marker::FixExt8 => 8,
            Marker::FixExt16 => 16,
            _ => 0,
        };
        usize::try_from(len).map_err(|_| path.decode_error("length does not fit in memory"))
    }

    /// The element count of an array, checked against what input remains.
    fn array_len(&mut self, path: &Path<'_>, what: &str) -> Result<usize, DecodeError> {
        let marker = self.peek(path)?;
        if !matches!(
            marker,
            Marker::FixArray(_) | Marker::Array16 | Marker::Array32
        ) {
            return Err(
                path.decode_error(format!("{what} is required, found {}", marker_name(marker)))
            );
        }
        self.pos += 1;
        let len = self.length(marker, path)?;
        if len > self.remaining() {
            return Err(path.decode_error(format!(
                "array of {len} elements is longer than the remaining input"
            )));
        }
        Ok(len)
    }

    /// The entry count of a map, checked against what input remains.
    fn map_len(&mut self, path: &Path<'_>, what: &str) -> Result<usize, DecodeError> {
        let marker = self.peek(path)?;
        if !matches!(marker, Marker::FixMap(_) | Marker::Map16 | Marker::Map32) {
            return Err(
                path.decode_error(format!("{what} is required, found {}", marker_name(marker)))
            );
        }
        self.pos += 1;
        let len = self.length(marker, path)?;
        if len > self.remaining() / 2 {
            return Err(path.decode_error(format!(
                "map of {len} entries is longer than the remaining input"
            )));
        }
        Ok(len)
    }

    /// The bytes of a string (or binary, which Terraform's decoder accepts in its place).
    fn str_bytes(&mut self, path: &Path<'_>, what: &str) -> Result<&'b [u8], DecodeError> {
        let marker = self.peek(path)?;
        if !matches!(
            marker,
            Marker::FixStr(_)
                | Marker::Str8
                | Marker::Str16
                | Marker::Str32
                | Marker::Bin8
                | Marker::Bin16
                | Marker::Bin32
        ) {
            return Err(
                path.decode_error(format!("{what} is required, found {}", marker_name(marker)))
            );
        }
        self.pos += 1;
        let len = self.length(marker, path)?;
        self.take(len, path)
    }

    fn string(&mut self, path: &Path<'_>, what: &str) -> Result<String, DecodeError> {
        let bytes = self.str_bytes(path, what)?;
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(s.to_owned()),
            Err(_) => Err(path.decode_error(format!("{what} is not valid UTF-8"))),
        }
    }

    fn bool(&mut self, path: &Path<'_>, what: &str) -> Result<bool, DecodeError> {
        match self.peek(path)? {
            Marker::True => {
                self.pos += 1;
                Ok(true)
            }
            Marker::False => {
                self.pos += 1;
                Ok(false)
            }
            other => {
                Err(path.decode_error(format!("{what} is required, found {}", marker_name(other))))
            }
        }
    }

    /// An integer of any width.
    fn integer(&mut self, path: &Path<'_>) -> Result<i128, DecodeError> {
        let marker = self.peek(path)?;
        self.pos += 1;
        Ok(match marker {
            Marker::FixPos(n) => i128::from(n),
            Marker::FixNeg(n) => i128::from(n),
            Marker::U8 => i128::from(self.u8(path)?),
            Marker::U16 => i128::from(self.u16(path)?),
            Marker::U32 => i128::from(self.u32(path)?),
            Marker::U64 => i128::from(self.u64(path)?),
            Marker::I8 => i128::from(self.u8(path)? as i8),
            Marker::I16 => i128::from(self.u16(path)? as i16),
            Marker::I32 => i128::from(self.u32(path)? as i32),
            Marker::I64 => i128::from(self.u64(path)? as i64),
            other => {
                self.pos -= 1;
                return Err(
                    path.decode_error(format!("integer is required, found {}", marker_name(other)))
                );
            }
        })
    }

    fn number(&mut self, path: &Path<'_>) -> Result<Number, DecodeError> {
        let marker = self.peek(path)?;
        match marker {
            Marker::FixPos(_)
            | Marker::FixNeg(_)
            | Marker::U8
            | Marker::U16
            | Marker::U32
            | Marker::U64
            | Marker::I8
            | Marker::I16
            | Marker::I32
            | Marker::I64 => {
                let int = self.integer(path)?;
                Ok(match i64::try_from(int) {
                    Ok(int) => Number::Int(int),
                    Err(_) => Number::Big(int.to_string()),
                })
            }
            Marker::F32 | Marker::F64 => {
                self.pos += 1;
                let float = if marker == Marker::F32 {
                    f64::from(f32::from_bits(self.u32(path)?))
                } else {
                    f64::from_bits(self.u64(path)?)
                };
                if float.is_nan() {
                    Err(path.decode_error("NaN is not a Terraform number"))
                } else {
                    Ok(Number::Float(float))
                }
            }
            Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => {
                let text = self.string(path, "number")?;
                number_from_text(&text).ok_or_else(|| {
                    path.decode_error(format!("number is required, found string {text:?}"))
                })
            }
            other => {
                Err(path.decode_error(format!("number is required, found {}", marker_name(other))))
            }
        }
    }

    /// Steps over one complete value of any kind, without recursion.
    fn skip(&mut self, path: &Path<'_>) -> Result<(), DecodeError> {
        let mut pending: usize = 1;
        while pending > 0 {
            pending -= 1;
            let marker = self.peek(path)?;
            self.pos += 1;
            match marker {
                Marker::FixArray(_) | Marker::Array16 | Marker::Array32 => {
                    let len = self.length(marker, path)?;
                    pending = pending.saturating_add(len);
                }
                Marker::FixMap(_) | Marker::Map16 | Marker::Map32 => {
                    let len = self.length(marker, path)?;
                    pending = pending.saturating_add(len.saturating_mul(2));
                }
                Marker::Ext8 | Marker::Ext16 | Marker::Ext32 => {
                    let len = self.length(marker, path)?;
                    self.take(len.saturating_add(1), path)?;
                }
                Marker::FixExt1
                | Marker::FixExt2
                | Marker::FixExt4
                | Marker::FixExt8
                | Marker::FixExt16 => {
                    let len = self.length(marker, path)?;
                    self.take(len + 1, path)?;
                }
                Marker::FixStr(_)
                | Marker::Str8
                | Marker::Str16
                | Marker::Str32
                | Marker::Bin8
                | Marker::Bin16
                | Marker::Bin32 => {
                    let len = self.length(marker, path)?;
                    self.take(len, path)?;
                }
                Marker::U8 | Marker::I8 => {
                    self.take(1, path)?;
                }
                Marker::U16 | Marker::I16 => {
                    self.take(2, path)?;
                }
                Marker::U32 | Marker::I32 | Marker::F32 => {
                    self.take(4, path)?;
                }
                Marker::U64 | Marker::I64 | Marker::F64 => {
                    self.take(8, path)?;
                }
                Marker::Reserved => {
                    return Err(path.decode_error("invalid MessagePack byte 0xc1"));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// What a MessagePack marker introduces, for error messages.
fn marker_name(marker: Marker) -> &'static str {
    match marker {
        Marker::FixPos(_)
        | Marker::FixNeg(_)
        | Marker::U8
        | Marker::U16
        | Marker::U32
        | Marker::U64
        | Marker::I8
        | Marker::I16
        | Marker::I32
        | Marker::I64 => "an integer",
        Marker::F32 | Marker::F64 => "a float",
        Marker::Null => "nil",
        Marker::True | Marker::False => "a bool",
        Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => "a string",
        Marker::Bin8 | Marker::Bin16 | Marker::Bin32 => "binary data",
        Marker::FixArray(_) | Marker::Array16 | Marker::Array32 => "an array",
        Marker::FixMap(_) | Marker::Map16 | Marker::Map32 => "a map",
        Marker::FixExt1
        | Marker::FixExt2
        | Marker::FixExt4
        | Marker::FixExt8
        | Marker::FixExt16
        | Marker::Ext8
        | Marker::Ext16
        | Marker::Ext32 => "an extension",
        Marker::Reserved => "the invalid byte 0xc1",
    }
}

fn is_ext(marker: Marker) -> bool {
    matches!(
        marker,
        Marker::FixExt1
            | Marker::FixExt2
            | Marker::FixExt4
            | Marker::FixExt8
            | Marker::FixExt16
            | Marker::Ext8
            | Marker::Ext16
            | Marker::Ext32
    )
}

fn decode(reader: &mut Reader<'_>, ty: &Type, path: &Path<'_>) -> Result<Value, DecodeError> {
    path.check_depth()?;
    let marker = reader.peek(path)?;
    if is_ext(marker) {
        return decode_unknown(reader, ty, path);
    }
    if marker == Marker::Null {
        reader.pos += 1;
        return Ok(Value::Null);
    }
    Ok(match ty {
        Type::Dynamic => return decode_dynamic(reader, path),
        Type::Bool => Value::Bool(reader.bool(path, "bool")?),
        Type::Number => Value::Number(reader.number(path)?),
        Type::String => Value::String(reader.string(path, "string")?),
        Type::List(element) => Value::List(decode_elements(reader, element, path, "list")?),
        Type::Set(element) => Value::Set(decode_elements(reader, element, path, "set")?),
        Type::Tuple(elements) => {
            let len = reader.array_len(path, "tuple")?;
            if len != elements.len() {
                return Err(path.decode_error(format!(
                    "tuple of {} elements is required, found {len}",
                    elements.len()
                )));
            }
            let mut items = Vec::with_capacity(len);
            for (index, element) in elements.iter().enumerate() {
                items.push(decode(reader, element, &path.child(Step::Index(index)))?);
            }
            Value::Tuple(items)
        }
        Type::Map(element) => {
            let len = reader.map_len(path, "map")?;
            let mut entries = BTreeMap::new();
            for _ in 0..len {
                let key = reader.string(path, "map key")?;
                let item = decode(reader, element, &path.child(Step::Key(&key)))?;
                entries.insert(key, item);
            }
            Value::Map(entries)
        }
        Type::Object(object) => {
            let len = reader.map_len(path, "object")?;
            let mut attributes = BTreeMap::new();
            for _ in 0..len {
                let name = reader.string(path, "attribute name")?;
                let attr_path = path.child(Step::Attr(&name));
                let Some(attr_ty) = object.attributes.get(&name) else {
                    return Err(attr_path.decode_error("unsupported attribute"));
                };
                if attributes.contains_key(&name) {
                    return Err(attr_path.decode_error("attribute appears more than once"));
                }
                let item = decode(reader, attr_ty, &attr_path)?;
                attributes.insert(name, item);
            }
            if let Some(missing) = object
                .attributes
                .keys()
                .find(|name| !attributes.contains_key(*name))
            {
                return Err(path
                    .child(Step::Attr(missing))
                    .decode_error("attribute is missing"));
            }
            Value::Object(attributes)
        }
    })
}

fn decode_elements(
    reader: &mut Reader<'_>,
    element: &Type,
    path: &Path<'_>,
    what: &str,
) -> Result<Vec<Value>, DecodeError> {
    let len = reader.array_len(path, what)?;
    let mut items = Vec::with_capacity(len);
    for index in 0..len {
        items.push(decode(reader, element, &path.child(Step::Index(index)))?);
    }
    Ok(items)
}

fn decode_dynamic(reader: &mut Reader<'_>, path: &Path<'_>) -> Result<Value, DecodeError> {
    let len = reader.array_len(path, "dynamic value ([type, value] array)")?;
    if len != 2 {
        return Err(path.decode_error(format!(
            "dynamic value must be a [type, value] array, found {len} elements"
        )));
    }
    let type_json = reader.str_bytes(path, "type of a dynamic value")?;
    let ty = serde_json::from_slice::<serde_json::Value>(type_json)
        .map_err(|err| err.to_string())
        .and_then(|json| Type::from_json(&json))
        .map_err(|err| path.decode_error(format!("invalid type of a dynamic value: {err}")))?;
    let value = decode(reader, &ty, &path.nested())?;
    Ok(wrap_dynamic(ty, value))
}

/// A value decoded at a dynamic position with the type that came with it.
pub(super) fn wrap_dynamic(ty: Type, value: Value) -> Value {
    match value {
        Value::Null | Value::Unknown(_) => value,
        value if ty == Type::Dynamic => value,
        value => Value::Dynamic(ty, Box::new(value)),
    }
}

fn decode_unknown(
    reader: &mut Reader<'_>,
    ty: &Type,
    path: &Path<'_>,
) -> Result<Value, DecodeError> {
    let marker = reader.peek(path)?;
    reader.pos += 1;
    let len = reader.length(marker, path)?;
    let ext_type = reader.u8(path)? as i8;
    let body = reader.take(len, path)?;
    if len <= 1 {
        return Ok(Value::unknown());
    }
    if ext_type != EXT_REFINED_UNKNOWN {
        return Err(path.decode_error(format!(
            "unsupported MessagePack extension type {ext_type} of {len} bytes"
        )));
    }
    if len > MAX_REFINEMENT_BODY {
        return Err(path.decode_error(format!(
            "unknown value refinements of {len} bytes exceed the {MAX_REFINEMENT_BODY}-byte limit"
        )));
    }
    let mut body = Reader {
        bytes: body,
        pos: 0,
    };
    let refinement_error =
        |message: &str| path.decode_error(format!("invalid unknown value refinements: {message}"));
    let entries = body
        .map_len(path, "refinement map")
        .map_err(|_| refinement_error("not a map"))?;
    if *ty == Type::Dynamic {
        return Ok(Value::unknown());
    }
    let mut refinements = Refinements::default();
    let mut definitely_null = false;
    for _ in 0..entries {
        let key = body
            .integer(path)
            .map_err(|_| refinement_error("keys must be integers"))?;
        match i64::try_from(key).unwrap_or(-1) {
            REFINE_NULLNESS => {
                let null = body
                    .bool(path, "nullness")
                    .map_err(|_| refinement_error("nullness must be a bool"))?;
                definitely_null = null;
                refinements.not_null = !null;
            }
            REFINE_STRING_PREFIX => {
                if *ty != Type::String {
                    return Err(refinement_error("string prefix for a non-string type"));
                }
                let prefix = body
                    .string(path, "string prefix")
                    .map_err(|_| refinement_error("string prefix must be a UTF-8 string"))?;
                refinements.string_prefix = Some(prefix);
            }
            key @ (REFINE_NUMBER_LOWER | REFINE_NUMBER_UPPER) => {
                if *ty != Type::Number {
                    return Err(refinement_error("number bound for a non-number type"));
                }
                let bound = decode_number_bound(&mut body, path)
                    .map_err(|_| refinement_error("number bound must be a [number, bool] array"))?;
                if key == REFINE_NUMBER_LOWER {
                    refinements.number_lower = Some(bound);
                } else {
                    refinements.number_upper = Some(bound);
                }
            }
            key @ (REFINE_LENGTH_LOWER | REFINE_LENGTH_UPPER) => {
                if !matches!(ty, Type::List(_) | Type::Set(_) | Type::Map(_)) {
                    return Err(refinement_error("length bound for a non-collection type"));
                }
                let bound = body
                    .integer(path)
                    .ok()
                    .and_then(|n| u64::try_from(n).ok())
                    .ok_or_else(|| {
                        refinement_error("length bound must be a non-negative integer")
                    })?;
                if key == REFINE_LENGTH_LOWER {
                    refinements.length_lower = Some(bound);
                } else {
                    refinements.length_upper = Some(bound);
                }
            }
            // Refinements from a newer Terraform: ignore them.
            _ => body
                .skip(path)
                .map_err(|_| refinement_error("truncated refinement"))?,
        }
    }
    // Anything after the map is reserved for future use and ignored.
    if definitely_null {
        return Ok(Value::Null);
    }
    Ok(Value::Unknown(refinements))
}

fn decode_number_bound(
    reader: &mut Reader<'_>,
    path: &Path<'_>,
) -> Result<(Number, bool), DecodeError> {
    if reader.array_len(path, "number bound")? != 2 {
        return Err(path.decode_error("number bound must have two elements"));
    }
    let number = reader.number(path)?;
    let inclusive = reader.bool(path, "inclusive flag")?;
    Ok((number, inclusive))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_rendering() {
        let root = Path::ROOT;
        let attr = root.child(Step::Attr("subnets"));
        let index = attr.child(Step::Index(2));
        let nested = index.nested();
        let key = nested.child(Step::Key("a\"b"));
        assert_eq!(root.render(), "");
        assert_eq!(index.render(), ".subnets[2]");
        assert_eq!(key.render(), ".subnets[2][\"a\\\"b\"]");
        assert_eq!(key.depth, 4);
    }

    #[test]
    fn decimal_text() {
        assert!(split_decimal("12").is_some());
        assert!(split_decimal("-1.5e+10").is_some());
        assert!(split_decimal(".5").is_some());
        assert!(split_decimal("5.").is_some());
        assert!(split_decimal("+5E3").is_some());
        for bad in [
            "", ".", "-", "1e", "1e+", "abc", "1.2.3", "0x10", "1_000", " 1", "--1",
        ] {
            assert!(split_decimal(bad).is_none(), "{bad:?} accepted");
        }
        assert_eq!(number_from_text("42"), Some(Number::Int(42)));
        assert_eq!(
            number_from_text("-Inf"),
            Some(Number::Float(f64::NEG_INFINITY))
        );
        assert_eq!(
            number_from_text("9223372036854775808"),
            Some(Number::Big("9223372036854775808".into()))
        );
        assert_eq!(number_from_text("1.5"), Some(Number::Big("1.5".into())));
        assert_eq!(number_from_text("one"), None);
    }

    #[test]
    fn integer_widths() {
        let cases: &[(i64, &[u8])] = &[
            (0, &[0x00]),
            (127, &[0x7f]),
            (128, &[0xcc, 0x80]),
            (256, &[0xcd, 0x01, 0x00]),
            (65536, &[0xce, 0x00, 0x01, 0x00, 0x00]),
            (1 << 32, &[0xcf, 0, 0, 0, 1, 0, 0, 0, 0]),
            (-1, &[0xff]),
            (-32, &[0xe0]),
            (-33, &[0xd0, 0xdf]),
            (-129, &[0xd1, 0xff, 0x7f]),
            (-32769, &[0xd2, 0xff, 0xff, 0x7f, 0xff]),
            (i64::MIN, &[0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0]),
        ];
        for (n, bytes) in cases {
            let mut out = Vec::new();
            put_int(&mut out, *n);
            assert_eq!(out, *bytes, "encoding {n}");
            let mut reader = Reader { bytes, pos: 0 };
            assert_eq!(reader.integer(&Path::ROOT).unwrap(), i128::from(*n));
        }
    }

    #[test]
    fn long_prefixes_are_cut_between_ascii_characters() {
        let short = "abc";
        assert_eq!(shorten_prefix(short), short);
        let long = "a".repeat(300);
        assert_eq!(shorten_prefix(&long).len(), MAX_PREFIX_LEN - 1);
        let mut mixed = "x".repeat(250);
        mixed.push_str(&"é".repeat(20));
        assert_eq!(shorten_prefix(&mixed), &mixed[..249]);
        assert_eq!(shorten_prefix(&"é".repeat(200)), "");
    }

    #[test]
    fn stepping_over_a_value_passes_its_nested_values() {
        // {1: [nil, "ab", 1.0f64], 2: ext} followed by 0x2a
        let mut bytes = vec![0x82, 0x01, 0x93, 0xc0, 0xa2, b'a', b'b', 0xcb];
        bytes.extend_from_slice(&1.0f64.to_be_bytes());
        bytes.extend_from_slice(&[0x02, 0xd4, 0x00, 0x00, 0x2a]);
        let mut reader = Reader {
            bytes: &bytes,
            pos: 0,
        };
        reader.skip(&Path::ROOT).unwrap();
        assert_eq!(reader.pos, bytes.len() - 1);
        let mut truncated = Reader {
            bytes: &bytes[..6],
            pos: 0,
        };
        assert!(truncated.skip(&Path::ROOT).is_err());
    }
}
