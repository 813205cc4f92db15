//! Round trips, golden bytes and error cases for the MessagePack and JSON value encodings.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use tfplugin::value::{
    DecodeError, Number, ObjectType, Refinements, Type, Value, decode_json, decode_msgpack,
    encode_json, encode_msgpack,
};

// ---------------------------------------------------------------------------------------
// Strategies.

const ATTRIBUTE_NAMES: &[&str] = &["id", "name", "tags", "a", "b_c", "x-y", ""];

fn leaf_type(allow_dynamic: bool) -> BoxedStrategy<Type> {
    if allow_dynamic {
        prop_oneof![
            Just(Type::Bool),
            Just(Type::Number),
            Just(Type::String),
            Just(Type::Dynamic),
        ]
        .boxed()
    } else {
        prop_oneof![Just(Type::Bool), Just(Type::Number), Just(Type::String)].boxed()
    }
}

fn object_type(attribute: BoxedStrategy<Type>) -> impl Strategy<Value = Type> {
    prop::collection::btree_map(prop::sample::select(ATTRIBUTE_NAMES), attribute, 0..4)
        .prop_flat_map(|attributes| {
            let names: Vec<String> = attributes.keys().map(|n| n.to_string()).collect();
            let optional = prop::sample::subsequence(names.clone(), 0..=names.len());
            (Just(attributes), optional)
        })
        .prop_map(|(attributes, optional)| {
            Type::Object(ObjectType {
                attributes: attributes
                    .into_iter()
                    .map(|(name, ty)| (name.to_owned(), ty))
                    .collect(),
                optional: optional.into_iter().collect::<BTreeSet<_>>(),
            })
        })
}

/// A random type of bounded depth.
fn any_type(allow_dynamic: bool) -> BoxedStrategy<Type> {
    leaf_type(allow_dynamic)
        .prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                inner.clone().prop_map(Type::list),
                inner.clone().prop_map(Type::set),
                inner.clone().prop_map(Type::map),
                object_type(inner.clone()),
                prop::collection::vec(inner, 0..4).prop_map(Type::Tuple),
            ]
        })
        .boxed()
}

/// What values to generate.
#[derive(Clone, Copy)]
struct Mode {
    /// Unknown values (MessagePack only).
    unknowns: bool,
    /// Only numbers that JSON carries unchanged.
    json: bool,
    /// How many more dynamic values may nest.
    dynamic_budget: u32,
}

fn any_string() -> BoxedStrategy<String> {
    prop_oneof![
        "[a-z0-9 ._-]{0,12}",
        prop::collection::vec(any::<char>(), 0..8).prop_map(String::from_iter),
    ]
    .boxed()
}

/// Big numbers that survive both encodings as `Number::Big`: not `i64` integers and not
/// exactly representable as `f64` (they end in a 1 that is past f64's precision or in the
/// fraction).
fn big_number() -> BoxedStrategy<Number> {
    "-?[1-9][0-9]{19,30}1(\\.[0-9]{0,5}1)?"
        .prop_map(Number::Big)
        .boxed()
}

fn any_number(json: bool) -> BoxedStrategy<Number> {
    // Small dyadic fractions: exact in f64 and written exactly by Display.
    let dyadic = (any::<i16>(), 0..9u32).prop_map(|(numerator, shift)| {
        Number::Float(f64::from(numerator) / f64::from(1u32 << shift))
    });
    if json {
        prop_oneof![any::<i64>().prop_map(Number::Int), dyadic, big_number()].boxed()
    } else {
        prop_oneof![
            any::<i64>().prop_map(Number::Int),
            dyadic,
            any::<f64>()
                .prop_filter("not NaN", |f| !f.is_nan())
                .prop_map(Number::Float),
            Just(Number::Float(f64::INFINITY)),
            Just(Number::Float(f64::NEG_INFINITY)),
            big_number(),
        ]
        .boxed()
    }
}

/// Refinements that apply to `ty` and that the encoding carries.
fn refinements(ty: &Type) -> BoxedStrategy<Refinements> {
    let not_null = any::<bool>();
    match ty {
        Type::Dynamic => Just(Refinements::default()).boxed(),
        Type::String => (not_null, prop::option::of("[a-z]{1,10}|\\PC{1,20}"))
            .prop_map(|(not_null, string_prefix)| Refinements {
                not_null,
                string_prefix,
                ..Refinements::default()
            })
            .boxed(),
        Type::Number => {
            let bound = || prop::option::of((any_number(false), any::<bool>()));
            (not_null, bound(), bound())
                .prop_map(|(not_null, number_lower, number_upper)| Refinements {
                    not_null,
                    number_lower,
                    number_upper,
                    ..Refinements::default()
                })
                .boxed()
        }
        Type::List(_) | Type::Set(_) | Type::Map(_) => {
            let bound = || prop::option::of(prop_oneof![0..10u64, any::<u64>()]);
            (not_null, bound(), bound())
                .prop_map(|(not_null, length_lower, length_upper)| Refinements {
                    not_null,
                    length_lower,
                    length_upper,
                    ..Refinements::default()
                })
                .boxed()
        }
        _ => not_null
            .prop_map(|not_null| Refinements {
                not_null,
                ..Refinements::default()
            })
            .boxed(),
    }
}

/// A value conforming to `ty`: null, unknown (when the mode allows) or known.
fn any_value(ty: &Type, mode: Mode) -> BoxedStrategy<Value> {
    let known = known_value(ty, mode);
    if mode.unknowns {
        prop_oneof![
            1 => Just(Value::Null),
            1 => refinements(ty).prop_map(Value::Unknown),
            6 => known,
        ]
        .boxed()
    } else {
        prop_oneof![1 => Just(Value::Null), 6 => known].boxed()
    }
}

/// A known, non-null value of type `ty`.
fn known_value(ty: &Type, mode: Mode) -> BoxedStrategy<Value> {
    match ty {
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::Number => any_number(mode.json).prop_map(Value::Number).boxed(),
        Type::String => any_string().prop_map(Value::String).boxed(),
        Type::List(element) => prop::collection::vec(any_value(element, mode), 0..4)
            .prop_map(Value::List)
            .boxed(),
        Type::Set(element) => prop::collection::vec(any_value(element, mode), 0..4)
            .prop_map(Value::Set)
            .boxed(),
        Type::Map(element) => {
            prop::collection::btree_map(any_string(), any_value(element, mode), 0..4)
                .prop_map(Value::Map)
                .boxed()
        }
        Type::Object(object) => {
            let names: Vec<String> = object.attributes.keys().cloned().collect();
            let values: Vec<_> = object
                .attributes
                .values()
                .map(|ty| any_value(ty, mode))
                .collect();
            values
                .prop_map(move |values| {
                    Value::Object(
                        names
                            .iter()
                            .cloned()
                            .zip(values)
                            .collect::<BTreeMap<_, _>>(),
                    )
                })
                .boxed()
        }
        Type::Tuple(elements) => elements
            .iter()
            .map(|ty| any_value(ty, mode))
            .collect::<Vec<_>>()
            .prop_map(Value::Tuple)
            .boxed(),
        Type::Dynamic => {
            let inner_mode = Mode {
                dynamic_budget: mode.dynamic_budget.saturating_sub(1),
                ..mode
            };
            any_type(mode.dynamic_budget > 0)
                .prop_filter("a concrete wrapper type", |ty| *ty != Type::Dynamic)
                .prop_flat_map(move |ty| {
                    known_value(&ty, inner_mode)
                        .prop_map(move |value| Value::Dynamic(ty.clone(), Box::new(value)))
                })
                .boxed()
        }
    }
}

fn typed_value(mode: Mode) -> impl Strategy<Value = (Type, Value)> {
    any_type(true).prop_flat_map(move |ty| (Just(ty.clone()), any_value(&ty, mode)))
}

const MSGPACK: Mode = Mode {
    unknowns: true,
    json: false,
    dynamic_budget: 2,
};

const JSON: Mode = Mode {
    unknowns: false,
    json: true,
    dynamic_budget: 2,
};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn msgpack_round_trips((ty, value) in typed_value(MSGPACK)) {
        let bytes = encode_msgpack(&value, &ty).unwrap();
        let decoded = decode_msgpack(&bytes, &ty).unwrap();
        prop_assert_eq!(&decoded, &value);
        // Encoding is deterministic.
        prop_assert_eq!(encode_msgpack(&decoded, &ty).unwrap(), bytes);
    }

    #[test]
    fn json_round_trips((ty, value) in typed_value(JSON)) {
        prop_assert!(value.is_wholly_known());
        let bytes = encode_json(&value, &ty).unwrap();
        prop_assert!(serde_json::from_slice::<serde_json::Value>(&bytes).is_ok(), "not JSON: {}", String::from_utf8_lossy(&bytes));
        let decoded = decode_json(&bytes, &ty).unwrap();
        prop_assert_eq!(&decoded, &value);
        // The same values travel through MessagePack too.
        let packed = encode_msgpack(&value, &ty).unwrap();
        prop_assert_eq!(decode_msgpack(&packed, &ty).unwrap(), value);
    }

    #[test]
    fn msgpack_decoding_never_panics(
        ty in any_type(true),
        bytes in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let _ = decode_msgpack(&bytes, &ty);
    }

    #[test]
    fn msgpack_decoding_mutated_input_never_panics(
        (ty, value) in typed_value(MSGPACK),
        cut in any::<prop::sample::Index>(),
        flip in any::<(prop::sample::Index, u8)>(),
    ) {
        let bytes = encode_msgpack(&value, &ty).unwrap();
        // Every proper prefix of a value is an error, never a panic.
        let truncated = &bytes[..cut.index(bytes.len())];
        prop_assert!(decode_msgpack(truncated, &ty).is_err());
        let mut mutated = bytes.clone();
        let at = flip.0.index(mutated.len());
        mutated[at] ^= flip.1;
        let _ = decode_msgpack(&mutated, &ty);
    }

    #[test]
    fn json_decoding_never_panics(
        ty in any_type(true),
        text in "[\\[\\]{}\",:0-9a-z.eE+\\- \\\\u]{0,40}",
    ) {
        let _ = decode_json(text.as_bytes(), &ty);
    }

    #[test]
    fn json_decoding_mutated_input_never_panics(
        (ty, value) in typed_value(JSON),
        cut in any::<prop::sample::Index>(),
        flip in any::<(prop::sample::Index, u8)>(),
    ) {
        let bytes = encode_json(&value, &ty).unwrap();
        let _ = decode_json(&bytes[..cut.index(bytes.len())], &ty);
        let mut mutated = bytes.clone();
        let at = flip.0.index(mutated.len());
        mutated[at] ^= flip.1;
        let _ = decode_json(&mutated, &ty);
    }
}

// ---------------------------------------------------------------------------------------
// Golden encodings, worked out from go-cty's `cty/msgpack` and `cty/json`.

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn unhex(text: &str) -> Vec<u8> {
    text.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect()
}

/// Checks that `value` encodes to exactly `expected` and that those bytes decode back.
fn golden_msgpack(value: Value, ty: &Type, expected: &str) {
    let bytes = encode_msgpack(&value, ty).unwrap();
    assert_eq!(hex(&bytes), expected, "encoding {value:?}");
    assert_eq!(decode_msgpack(&bytes, ty).unwrap(), value);
}

fn golden_json(value: Value, ty: &Type, expected: &str) {
    let bytes = encode_json(&value, ty).unwrap();
    assert_eq!(String::from_utf8(bytes.clone()).unwrap(), expected);
    assert_eq!(decode_json(&bytes, ty).unwrap(), value);
}

fn object(entries: &[(&str, Value)]) -> Value {
    Value::Object(
        entries
            .iter()
            .map(|(name, value)| (name.to_string(), value.clone()))
            .collect(),
    )
}

#[test]
fn msgpack_golden_primitives() {
    golden_msgpack(Value::Null, &Type::String, "c0");
    golden_msgpack(Value::Bool(true), &Type::Bool, "c3");
    golden_msgpack(Value::Bool(false), &Type::Bool, "c2");
    golden_msgpack(Value::string("x"), &Type::String, "a1 78");
    golden_msgpack(Value::string(""), &Type::String, "a0");
    golden_msgpack(
        Value::string("a".repeat(32)),
        &Type::String,
        &format!("d9 20{}", " 61".repeat(32)),
    );
    golden_msgpack(Value::from(1), &Type::Number, "01");
    golden_msgpack(Value::from(-1), &Type::Number, "ff");
    golden_msgpack(Value::from(200), &Type::Number, "cc c8");
    golden_msgpack(Value::from(-200), &Type::Number, "d1 ff 38");
    golden_msgpack(
        Value::Number(Number::Float(1.5)),
        &Type::Number,
        "cb 3f f8 00 00 00 00 00 00",
    );
    golden_msgpack(
        Value::Number(Number::Float(f64::INFINITY)),
        &Type::Number,
        "cb 7f f0 00 00 00 00 00 00",
    );
    golden_msgpack(
        Value::Number(Number::Float(f64::NEG_INFINITY)),
        &Type::Number,
        "cb ff f0 00 00 00 00 00 00",
    );
    // Too large for i64: its decimal text, as a string.
    golden_msgpack(
        Value::Number(Number::Big("123456789012345678901234567890".into())),
        &Type::Number,
        "be 31 32 33 34 35 36 37 38 39 30 31 32 33 34 35 36 37 38 39 30 31 32 33 34 35 36 37 38 39 30",
    );
}

#[test]
fn msgpack_golden_collections() {
    let ty = Type::object([("a", Type::String)]);
    golden_msgpack(object(&[("a", "x".into())]), &ty, "81 a1 61 a1 78");
    // Attributes in name order, nulls included.
    let ty = Type::object([("b", Type::Bool), ("a", Type::Number)]);
    golden_msgpack(
        object(&[("a", Value::Null), ("b", true.into())]),
        &ty,
        "82 a1 61 c0 a1 62 c3",
    );
    golden_msgpack(
        Value::List(vec!["a".into(), "b".into()]),
        &Type::list(Type::String),
        "92 a1 61 a1 62",
    );
    golden_msgpack(
        Value::Set(vec!["b".into(), "a".into()]),
        &Type::set(Type::String),
        "92 a1 62 a1 61",
    );
    golden_msgpack(
        Value::Map(BTreeMap::from([("k".to_string(), Value::from(7))])),
        &Type::map(Type::Number),
        "81 a1 6b 07",
    );
    golden_msgpack(
        Value::Tuple(vec![true.into(), "s".into()]),
        &Type::Tuple(vec![Type::Bool, Type::String]),
        "92 c3 a1 73",
    );
    golden_msgpack(Value::List(vec![]), &Type::list(Type::String), "90");
    let many: Vec<Value> = (0..16).map(Value::from).collect();
    let bytes = encode_msgpack(&Value::List(many), &Type::list(Type::Number)).unwrap();
    assert_eq!(hex(&bytes[..3]), "dc 00 10");
}

#[test]
fn msgpack_golden_unknowns() {
    golden_msgpack(Value::unknown(), &Type::String, "d4 00 00");
    golden_msgpack(Value::unknown(), &Type::Dynamic, "d4 00 00");
    golden_msgpack(Value::unknown(), &Type::list(Type::String), "d4 00 00");
    // Not null, prefix "foo": a fixext8 (d7) of type 12 holding {1: false, 2: "foo"}.
    golden_msgpack(
        Value::Unknown(Refinements {
            not_null: true,
            string_prefix: Some("foo".into()),
            ..Refinements::default()
        }),
        &Type::String,
        "d7 0c 82 01 c2 02 a3 66 6f 6f",
    );
    // Prefix only: five bytes of body need an ext8.
    golden_msgpack(
        Value::Unknown(Refinements {
            string_prefix: Some("ab".into()),
            ..Refinements::default()
        }),
        &Type::String,
        "c7 05 0c 81 02 a2 61 62",
    );
    // Not null only: {1: false} is three bytes.
    golden_msgpack(
        Value::Unknown(Refinements {
            not_null: true,
            ..Refinements::default()
        }),
        &Type::Bool,
        "c7 03 0c 81 01 c2",
    );
    // Number at least 0 (inclusive), below 10 (exclusive).
    golden_msgpack(
        Value::Unknown(Refinements {
            not_null: true,
            number_lower: Some((Number::Int(0), true)),
            number_upper: Some((Number::Int(10), false)),
            ..Refinements::default()
        }),
        &Type::Number,
        "c7 0b 0c 83 01 c2 03 92 00 c3 04 92 0a c2",
    );
    // A list of 1 to 5 elements.
    golden_msgpack(
        Value::Unknown(Refinements {
            length_lower: Some(1),
            length_upper: Some(5),
            ..Refinements::default()
        }),
        &Type::list(Type::String),
        "c7 05 0c 82 05 01 06 05",
    );
}

#[test]
fn msgpack_golden_dynamic() {
    // ["\"string\"" as bin, "hello"]
    golden_msgpack(
        Value::Dynamic(Type::String, Box::new("hello".into())),
        &Type::Dynamic,
        "92 c4 08 22 73 74 72 69 6e 67 22 a5 68 65 6c 6c 6f",
    );
    let list = Value::Dynamic(
        Type::list(Type::Bool),
        Box::new(Value::List(vec![true.into()])),
    );
    let mut expected = "92 c4 0f".to_string();
    for b in br#"["list","bool"]"# {
        expected.push_str(&format!(" {b:02x}"));
    }
    expected.push_str(" 91 c3");
    golden_msgpack(list, &Type::Dynamic, &expected);
    golden_msgpack(Value::Null, &Type::Dynamic, "c0");
    // An object attribute of dynamic type.
    let ty = Type::object([("d", Type::Dynamic)]);
    golden_msgpack(
        object(&[("d", Value::Dynamic(Type::Bool, Box::new(true.into())))]),
        &ty,
        "81 a1 64 92 c4 06 22 62 6f 6f 6c 22 c3",
    );
}

#[test]
fn msgpack_dynamic_conveniences() {
    // Primitive values at a dynamic position carry their evident type.
    let bytes = encode_msgpack(&Value::from(true), &Type::Dynamic).unwrap();
    assert_eq!(hex(&bytes), "92 c4 06 22 62 6f 6f 6c 22 c3");
    // A type JSON sent as a msgpack string is accepted too, and a typed null is just null.
    let mut bytes = vec![0x92, 0xa8];
    bytes.extend_from_slice(b"\"string\"");
    bytes.push(0xc0);
    assert_eq!(decode_msgpack(&bytes, &Type::Dynamic).unwrap(), Value::Null);
    // Refinements are not written for an unknown of unknown type.
    let refined = Value::Unknown(Refinements {
        not_null: true,
        ..Refinements::default()
    });
    assert_eq!(
        hex(&encode_msgpack(&refined, &Type::Dynamic).unwrap()),
        "d4 00 00"
    );
    // ...and ignored when read.
    assert_eq!(
        decode_msgpack(&unhex("c7 03 0c 81 01 c2"), &Type::Dynamic).unwrap(),
        Value::unknown()
    );
}

#[test]
fn msgpack_decodes_every_number_form() {
    let cases: &[(&str, Number)] = &[
        ("05", Number::Int(5)),
        ("e0", Number::Int(-32)),
        ("cc ff", Number::Int(255)),
        ("cd 01 00", Number::Int(256)),
        ("ce 00 01 00 00", Number::Int(65536)),
        ("cf 00 00 00 00 00 00 00 05", Number::Int(5)),
        (
            "cf ff ff ff ff ff ff ff ff",
            Number::Big("18446744073709551615".into()),
        ),
        ("d0 80", Number::Int(-128)),
        ("d1 80 00", Number::Int(-32768)),
        ("d2 80 00 00 00", Number::Int(i64::from(i32::MIN))),
        ("d3 80 00 00 00 00 00 00 00", Number::Int(i64::MIN)),
        ("ca 3f c0 00 00", Number::Float(1.5)),
        ("cb 3f f8 00 00 00 00 00 00", Number::Float(1.5)),
        ("a2 34 32", Number::Int(42)),
        ("a3 30 2e 31", Number::Big("0.1".into())),
        ("a4 2b 49 6e 66", Number::Float(f64::INFINITY)),
        ("a4 2d 49 6e 66", Number::Float(f64::NEG_INFINITY)),
    ];
    for (bytes, number) in cases {
        assert_eq!(
            decode_msgpack(&unhex(bytes), &Type::Number).unwrap(),
            Value::Number(number.clone()),
            "decoding {bytes}"
        );
    }
}

#[test]
fn msgpack_refinement_decoding() {
    // Nullness true collapses to null.
    assert_eq!(
        decode_msgpack(&unhex("c7 03 0c 81 01 c3"), &Type::String).unwrap(),
        Value::Null
    );
    // Unknown refinement keys are skipped, trailing body bytes ignored.
    assert_eq!(
        decode_msgpack(&unhex("c7 08 0c 82 09 92 01 a1 78 01 c2"), &Type::String).unwrap(),
        Value::Unknown(Refinements {
            not_null: true,
            ..Refinements::default()
        })
    );
    assert_eq!(
        decode_msgpack(&unhex("c7 05 0c 81 01 c2 ff ff"), &Type::String).unwrap(),
        Value::Unknown(Refinements {
            not_null: true,
            ..Refinements::default()
        })
    );
    // Any one-byte extension is a plain unknown; so is a zero-length one.
    assert_eq!(
        decode_msgpack(&unhex("d4 05 07"), &Type::Bool).unwrap(),
        Value::unknown()
    );
    assert_eq!(
        decode_msgpack(&unhex("c7 00 00"), &Type::Bool).unwrap(),
        Value::unknown()
    );
    // Refinements that do not fit the type are errors.
    for (bytes, ty) in [
        ("c7 05 0c 81 02 a2 61 62", Type::Number),
        ("c7 05 0c 81 03 92 00 c3", Type::String),
        ("c7 03 0c 81 05 01", Type::Tuple(vec![])),
        // Not a map, a bad extension type, a negative length.
        ("c7 03 0c 91 01 c2", Type::String),
        ("c7 03 0d 81 01 c2", Type::String),
        ("c7 03 0c 81 05 ff", Type::list(Type::Bool)),
        // A truncated body.
        ("c7 03 0c 82 01 c2", Type::String),
    ] {
        assert!(
            decode_msgpack(&unhex(bytes), &ty).is_err(),
            "{bytes} as {ty:?} decoded"
        );
    }
    // Oversize refinements are refused.
    let mut oversize = vec![
        0xc9, 0x00, 0x00, 0x04, 0x01, 0x0c, 0x81, 0x02, 0xda, 0x03, 0xfe,
    ];
    oversize.extend(std::iter::repeat_n(b'a', 0x3fe));
    assert!(decode_msgpack(&oversize, &Type::String).is_err());
}

#[test]
fn msgpack_long_prefixes_are_shortened() {
    let value = Value::Unknown(Refinements {
        string_prefix: Some("a".repeat(1000)),
        ..Refinements::default()
    });
    let bytes = encode_msgpack(&value, &Type::String).unwrap();
    assert_eq!(
        decode_msgpack(&bytes, &Type::String).unwrap(),
        Value::Unknown(Refinements {
            string_prefix: Some("a".repeat(255)),
            ..Refinements::default()
        })
    );
}

#[test]
fn json_golden() {
    golden_json(Value::string("hello"), &Type::String, r#""hello""#);
    golden_json(Value::from(15), &Type::Number, "15");
    golden_json(Value::Number(Number::Float(2.5)), &Type::Number, "2.5");
    golden_json(Value::Bool(true), &Type::Bool, "true");
    golden_json(Value::Null, &Type::Number, "null");
    golden_json(
        Value::List(vec![true.into(), false.into()]),
        &Type::list(Type::Bool),
        "[true,false]",
    );
    golden_json(Value::Map(BTreeMap::new()), &Type::map(Type::Bool), "{}");
    golden_json(
        object(&[("yes", true.into()), ("no", false.into())]),
        &Type::object([("yes", Type::Bool), ("no", Type::Bool)]),
        r#"{"no":false,"yes":true}"#,
    );
    golden_json(
        Value::Dynamic(Type::String, Box::new("hello".into())),
        &Type::Dynamic,
        r#"{"value":"hello","type":"string"}"#,
    );
    golden_json(
        Value::Dynamic(
            Type::list(Type::Bool),
            Box::new(Value::List(vec![true.into(), false.into()])),
        ),
        &Type::Dynamic,
        r#"{"value":[true,false],"type":["list","bool"]}"#,
    );
    golden_json(
        object(&[
            ("dynamic", Value::Dynamic(Type::Bool, Box::new(true.into()))),
            ("static", true.into()),
        ]),
        &Type::object([("dynamic", Type::Dynamic), ("static", Type::Bool)]),
        r#"{"dynamic":{"value":true,"type":"bool"},"static":true}"#,
    );
    golden_json(
        Value::string("quote\" backslash\\ newline\n nul\u{0}"),
        &Type::String,
        r#""quote\" backslash\\ newline\n nul\u0000""#,
    );
    golden_json(
        Value::Number(Number::Big("123456789012345678901234567890.5".into())),
        &Type::Number,
        "123456789012345678901234567890.5",
    );
}

#[test]
fn json_decoding_is_lenient_like_terraform() {
    let ty = Type::object([("a", Type::String), ("b", Type::Number), ("c", Type::Bool)]);
    // Absent attributes are null; whitespace is allowed; strings convert to primitives.
    assert_eq!(
        decode_json(b" { \"b\" : \"5\" } ", &ty).unwrap(),
        object(&[("a", Value::Null), ("b", 5.into()), ("c", Value::Null)])
    );
    assert_eq!(
        decode_json(br#"{"a": 12.50, "c": "true"}"#, &ty).unwrap(),
        object(&[
            ("a", "12.50".into()),
            ("b", Value::Null),
            ("c", true.into())
        ])
    );
    assert_eq!(
        decode_json(b"true", &Type::String).unwrap(),
        Value::string("true")
    );
    assert_eq!(
        decode_json(b"0.1", &Type::Number).unwrap(),
        Value::Number(Number::Big("0.1".into()))
    );
    assert_eq!(
        decode_json(br#"{"type":"number","value":1e3}"#, &Type::Dynamic).unwrap(),
        Value::Dynamic(Type::Number, Box::new(Value::Number(Number::Float(1000.0))))
    );
    assert_eq!(
        decode_json(br#"{"value":null,"type":"string"}"#, &Type::Dynamic).unwrap(),
        Value::Null
    );
    assert_eq!(
        decode_json(br#""\u00e9\ud83d\ude00""#, &Type::String).unwrap(),
        Value::string("é😀")
    );
}

// ---------------------------------------------------------------------------------------
// Errors.

fn msgpack_error(bytes: &str, ty: &Type) -> DecodeError {
    match decode_msgpack(&unhex(bytes), ty) {
        Ok(value) => panic!("{bytes} decoded as {value:?}"),
        Err(err) => err,
    }
}

fn json_error(text: &str, ty: &Type) -> DecodeError {
    match decode_json(text.as_bytes(), ty) {
        Ok(value) => panic!("{text} decoded as {value:?}"),
        Err(err) => err,
    }
}

fn subnets_type() -> Type {
    Type::object([(
        "subnets",
        Type::list(Type::object([("cidr", Type::String)])),
    )])
}

#[test]
fn msgpack_errors() {
    // Wrong type.
    let err = msgpack_error("a1 78", &Type::Bool);
    assert_eq!(err.path, "");
    assert!(err.message.contains("bool is required"), "{err}");
    // The path leads to the problem: .subnets[1].cidr is a number.
    let err = msgpack_error(
        "81 a7 73 75 62 6e 65 74 73 92 81 a4 63 69 64 72 a1 61 81 a4 63 69 64 72 05",
        &subnets_type(),
    );
    assert_eq!(err.path, ".subnets[1].cidr");
    assert!(err.message.contains("string is required"), "{err}");
    assert_eq!(
        err.to_string(),
        format!(".subnets[1].cidr: {}", err.message)
    );
    // Map keys appear quoted.
    let err = msgpack_error("81 a1 6b a1 78", &Type::map(Type::Number));
    assert_eq!(err.path, r#"["k"]"#);
    // Truncated input, at every length.
    let full = unhex("81 a7 73 75 62 6e 65 74 73 91 81 a4 63 69 64 72 a1 61");
    assert!(decode_msgpack(&full, &subnets_type()).is_ok());
    for len in 0..full.len() {
        assert!(decode_msgpack(&full[..len], &subnets_type()).is_err());
    }
    // Missing, extra and repeated attributes.
    let ty = Type::object([("a", Type::String), ("b", Type::String)]);
    let err = msgpack_error("81 a1 61 a1 78", &ty);
    assert_eq!(err.path, ".b");
    assert!(err.message.contains("missing"), "{err}");
    let err = msgpack_error("83 a1 61 a1 78 a1 62 c0 a1 63 c0", &ty);
    assert_eq!(err.path, ".c");
    assert!(err.message.contains("unsupported attribute"), "{err}");
    let err = msgpack_error("82 a1 61 a1 78 a1 61 c0", &ty);
    assert_eq!(err.path, ".a");
    // Trailing garbage.
    let err = msgpack_error("c3 00", &Type::Bool);
    assert!(err.message.contains("unexpected bytes"), "{err}");
    // Huge declared lengths are refused up front.
    msgpack_error("dd ff ff ff ff c0", &Type::list(Type::Bool));
    msgpack_error("df ff ff ff ff c0", &Type::map(Type::Bool));
    msgpack_error("db ff ff ff ff 61", &Type::String);
    // Tuple length, dynamic shape, invalid UTF-8, NaN, bad number text, reserved byte.
    msgpack_error("91 c3", &Type::Tuple(vec![Type::Bool, Type::Bool]));
    msgpack_error("93 c4 01 22 c0 c0", &Type::Dynamic);
    msgpack_error("92 c4 05 22 6e 6f 70 65 c0", &Type::Dynamic);
    msgpack_error("a2 ff fe", &Type::String);
    msgpack_error("cb 7f f8 00 00 00 00 00 01", &Type::Number);
    msgpack_error("a3 61 62 63", &Type::Number);
    msgpack_error("c1", &Type::Bool);
}

#[test]
fn msgpack_deep_nesting_is_refused() {
    // 100,000 nested dynamic values: ["[\"list\",\"dynamic\"]", [ ... ]]
    let ty_json = br#"["list","dynamic"]"#;
    let mut bytes = Vec::new();
    for _ in 0..100_000 {
        bytes.extend_from_slice(&[0x92, 0xc4, ty_json.len() as u8]);
        bytes.extend_from_slice(ty_json);
        bytes.push(0x91);
    }
    bytes.push(0xc0);
    let err = decode_msgpack(&bytes, &Type::Dynamic).unwrap_err();
    assert!(err.message.contains("nested"), "{err}");
}

#[test]
fn json_deep_nesting_is_refused() {
    let mut text = String::new();
    for _ in 0..100_000 {
        text.push_str(r#"{"type":["list","dynamic"],"value":["#);
    }
    let err = decode_json(text.as_bytes(), &Type::Dynamic).unwrap_err();
    assert!(!err.message.is_empty());
}

#[test]
fn json_errors() {
    // Malformed JSON is reported where it is in the text.
    let err = json_error(
        r#"{"subnets":[{"cidr":"a"},{"cidr":tru}]}"#,
        &subnets_type(),
    );
    assert!(err.message.contains("line 1 column 37"), "{err}");
    let err = json_error(
        r#"{"subnets":[{"cidr":"a"},{"cidr":5.5.5}]}"#,
        &subnets_type(),
    );
    assert!(err.message.contains("line 1 column 37"), "{err}");
    let err = json_error(r#"{"subnets":[{"cidr":"a"},{"cidr":[]}]}"#, &subnets_type());
    assert_eq!(err.path, ".subnets[1].cidr");
    assert!(err.message.contains("string is required"), "{err}");
    // Attributes a later schema dropped are skipped, without losing number precision.
    let dropped = decode_json(
        br#"{"subnets":null,"other":{"deep":[1,2]},"big":123456789012345678901234567890}"#,
        &subnets_type(),
    )
    .unwrap();
    assert_eq!(
        dropped,
        Value::Object([("subnets".to_owned(), Value::Null)].into())
    );
    let err = json_error(r#"{"subnets":null,"other":[1,}"#, &subnets_type());
    assert!(err.message.contains("line 1 column 28"), "{err}");
    let err = json_error("true false", &Type::Bool);
    assert!(err.message.contains("trailing characters"), "{err}");
    json_error("", &Type::Bool);
    json_error("nul", &Type::Bool);
    json_error("nullx", &Type::Bool);
    json_error("[1,2", &Type::list(Type::Number));
    json_error("[1,]", &Type::list(Type::Number));
    json_error("[1 2]", &Type::list(Type::Number));
    json_error(r#"{"a" 1}"#, &Type::map(Type::Number));
    json_error(r#"{"a":1,}"#, &Type::map(Type::Number));
    json_error("[1]", &Type::Tuple(vec![Type::Number, Type::Number]));
    json_error("[1,2,3]", &Type::Tuple(vec![Type::Number, Type::Number]));
    json_error(r#""yes""#, &Type::Bool);
    json_error(r#""five""#, &Type::Number);
    json_error("01", &Type::Number);
    json_error(r#"{"value":1}"#, &Type::Dynamic);
    json_error(r#"{"type":"number"}"#, &Type::Dynamic);
    json_error(r#"{"type":"nope","value":1}"#, &Type::Dynamic);
    json_error(r#"{"type":"number","value":1,"extra":2}"#, &Type::Dynamic);
    json_error(r#"{"type":"number","value":"x"}"#, &Type::Dynamic);
    json_error("1", &Type::Dynamic);
    assert!(decode_json(b"\"\xff\"", &Type::String).is_err());
}

#[test]
fn encode_errors() {
    let ty = Type::object([("a", Type::String)]);
    // Wrong type, with a path.
    let err = encode_msgpack(&object(&[("a", 5.into())]), &ty).unwrap_err();
    assert_eq!(err.path, ".a");
    assert!(err.message.contains("expected string"), "{err}");
    let err = encode_json(&object(&[("a", 5.into())]), &ty).unwrap_err();
    assert_eq!(err.path, ".a");
    // Missing and extra attributes.
    let err = encode_msgpack(&object(&[]), &ty).unwrap_err();
    assert_eq!(err.path, ".a");
    let err = encode_msgpack(&object(&[("a", "x".into()), ("b", "y".into())]), &ty).unwrap_err();
    assert_eq!(err.path, ".b");
    // Unknowns have no JSON form.
    let value = Value::List(vec!["x".into(), Value::unknown()]);
    let err = encode_json(&value, &Type::list(Type::String)).unwrap_err();
    assert_eq!(err.path, "[1]");
    assert!(err.message.contains("unknown"), "{err}");
    // Nor does infinity; NaN has no form at all.
    let inf = Value::Number(Number::Float(f64::INFINITY));
    assert!(encode_json(&inf, &Type::Number).is_err());
    let nan = Value::Number(Number::Float(f64::NAN));
    assert!(encode_msgpack(&nan, &Type::Number).is_err());
    assert!(encode_msgpack(&Value::Number(Number::Big("1,5".into())), &Type::Number).is_err());
    // Tuple length, and a dynamic position holding a value without its type.
    assert!(encode_msgpack(&Value::Tuple(vec![]), &Type::Tuple(vec![Type::Bool])).is_err());
    assert!(encode_msgpack(&Value::List(vec![]), &Type::Dynamic).is_err());
    assert!(encode_json(&Value::List(vec![]), &Type::Dynamic).is_err());
    // A dynamic value whose type differs from a static position.
    let wrapped = Value::Dynamic(Type::Bool, Box::new(true.into()));
    assert!(encode_msgpack(&wrapped, &Type::String).is_err());
    assert_eq!(hex(&encode_msgpack(&wrapped, &Type::Bool).unwrap()), "c3");
}

#[test]
fn optional_attributes_default_to_null_when_encoding() {
    let ty = Type::Object(ObjectType {
        attributes: BTreeMap::from([
            ("a".to_string(), Type::String),
            ("b".to_string(), Type::String),
        ]),
        optional: BTreeSet::from(["b".to_string()]),
    });
    let bytes = encode_msgpack(&object(&[("a", "x".into())]), &ty).unwrap();
    assert_eq!(hex(&bytes), "82 a1 61 a1 78 a1 62 c0");
    let json = encode_json(&object(&[("a", "x".into())]), &ty).unwrap();
    assert_eq!(json, br#"{"a":"x","b":null}"#);
}
