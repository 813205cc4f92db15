//! Reading attributes of configuration, plan and state objects, keeping Terraform's three
//! cases apart: set, not set, and not known until apply.

use super::Value;

/// An attribute's value as a resource sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Field<T> {
    /// Not set.
    Null,
    /// Set, but only known at apply (it comes from a resource not yet created).
    Unknown,
    Known(T),
}

impl<T> Field<T> {
    pub fn known(self) -> Option<T> {
        match self {
            Field::Known(value) => Some(value),
            _ => None,
        }
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Field::Unknown)
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Field<U> {
        match self {
            Field::Null => Field::Null,
            Field::Unknown => Field::Unknown,
            Field::Known(value) => Field::Known(f(value)),
        }
    }

    /// The value, or `default` when not set; `None` while unknown.
    pub fn or_default_when_null(self, default: T) -> Option<T> {
        match self {
            Field::Null => Some(default),
            Field::Unknown => None,
            Field::Known(value) => Some(value),
        }
    }
}

impl Value {
    fn field<T>(&self, name: &str, read: impl FnOnce(&Value) -> Option<T>) -> Field<T> {
        match self.attr(name) {
            None | Some(Value::Null) => Field::Null,
            Some(value) if !value.is_wholly_known() => Field::Unknown,
            Some(value) => read(value).map_or(Field::Null, Field::Known),
        }
    }

    pub fn str_field(&self, name: &str) -> Field<String> {
        self.field(name, |v| v.as_str().map(str::to_owned))
    }

    pub fn i64_field(&self, name: &str) -> Field<i64> {
        self.field(name, Value::as_i64)
    }

    pub fn bool_field(&self, name: &str) -> Field<bool> {
        self.field(name, Value::as_bool)
    }

    /// A list or set of strings; null elements are skipped.
    pub fn strings_field(&self, name: &str) -> Field<Vec<String>> {
        self.field(name, |v| {
            v.as_elements().map(|items| {
                items
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_owned))
                    .collect()
            })
        })
    }

    /// A map of strings.
    pub fn string_map_field(&self, name: &str) -> Field<Vec<(String, String)>> {
        self.field(name, |v| match v {
            Value::Map(entries) => Some(
                entries
                    .iter()
                    .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
                    .collect(),
            ),
            _ => None,
        })
    }

    /// An object value from attribute names and values.
    pub fn object<'a>(attributes: impl IntoIterator<Item = (&'a str, Value)>) -> Value {
        Value::Object(
            attributes
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value))
                .collect(),
        )
    }

    /// Replaces (or adds) one attribute of an object value.
    pub fn set_attr(&mut self, name: &str, value: Value) {
        if let Value::Object(attributes) = self {
            attributes.insert(name.to_owned(), value);
        }
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(value: Option<T>) -> Value {
        value.map_or(Value::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_distinguish_null_unknown_and_known() {
        let object = Value::object([
            ("name", "c1".into()),
            ("size", Value::unknown()),
            ("count", Value::Null),
            ("tags", Value::List(vec!["a".into(), Value::unknown()])),
            ("max", 4.into()),
        ]);
        assert_eq!(object.str_field("name"), Field::Known("c1".to_owned()));
        assert_eq!(object.str_field("size"), Field::Unknown);
        assert_eq!(object.i64_field("count"), Field::Null);
        assert_eq!(object.i64_field("missing"), Field::Null);
        assert_eq!(object.strings_field("tags"), Field::Unknown);
        assert_eq!(object.i64_field("max"), Field::Known(4));
        assert_eq!(object.i64_field("count").or_default_when_null(0), Some(0));
        assert_eq!(object.i64_field("size").or_default_when_null(0), None);
    }

    #[test]
    fn objects_are_built_and_updated() {
        let mut object = Value::object([
            ("a", Value::from(Some("x"))),
            ("b", Value::from(None::<i64>)),
        ]);
        object.set_attr("b", 2.into());
        assert_eq!(object.attr("a"), Some(&"x".into()));
        assert_eq!(object.attr("b"), Some(&2.into()));
    }
}
