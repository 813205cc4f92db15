//! `provider::amlsecure::cidrs_overlap`: whether two lists of IPv4 ranges share any address.

use tfplugin::Value;
use tfplugin::function::{Function, FunctionDefinition, FunctionError, Parameter};
use tfplugin::value::Type;

use super::cidr_list_argument;
use crate::rules::addresses;

/// `cidrs_overlap(a, b)`: whether any range of one list shares an address with any of the other.
pub struct CidrsOverlap;

impl Function for CidrsOverlap {
    fn name(&self) -> &'static str {
        "cidrs_overlap"
    }

    fn definition(&self) -> FunctionDefinition {
        FunctionDefinition {
            summary: "Whether two lists of IPv4 ranges share any address".into(),
            description: "Returns `true` when any IPv4 CIDR range in `a` overlaps any range in \
                `b` (one contains the other, or they share addresses), `false` otherwise. Use it \
                in `precondition` blocks, for example to keep an AKS service CIDR out of a \
                virtual network's address space.\n\n\
                Example: `provider::amlsecure::cidrs_overlap([\"10.0.0.0/16\"], [\"10.0.3.0/24\"])` \
                is `true`."
                .into(),
            parameters: vec![
                Parameter::new("a", Type::list(Type::String), "IPv4 CIDR ranges."),
                Parameter::new("b", Type::list(Type::String), "IPv4 CIDR ranges."),
            ],
            variadic: None,
            returns: Type::Bool,
        }
    }

    fn call(&self, arguments: &[Value]) -> Result<Value, FunctionError> {
        let a = cidr_list_argument(arguments, 0)?;
        let b = cidr_list_argument(arguments, 1)?;
        Ok(Value::Bool(
            !addresses::overlapping_pairs(&a, &b).is_empty(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> Value {
        Value::List(items.iter().map(|s| Value::from(*s)).collect())
    }

    fn call(a: &[&str], b: &[&str]) -> Result<Value, FunctionError> {
        CidrsOverlap.call(&[list(a), list(b)])
    }

    #[test]
    fn overlap_table() {
        let cases: &[(&[&str], &[&str], bool)] = &[
            (&["10.0.0.0/16"], &["10.0.3.0/24"], true),
            (&["10.0.3.0/24"], &["10.0.0.0/16"], true),
            (&["10.0.0.0/24"], &["10.0.1.0/24"], false),
            (&["10.0.0.0/23"], &["10.0.1.0/24"], true),
            (
                &["192.168.0.0/16", "10.0.0.0/8"],
                &["172.16.0.0/12", "10.9.0.0/16"],
                true,
            ),
            (&["192.168.0.0/16"], &["172.16.0.0/12"], false),
            (&[], &["10.0.0.0/8"], false),
            (&[], &[], false),
            (&["0.0.0.0/0"], &["255.255.255.255/32"], true),
        ];
        for (a, b, expected) in cases {
            assert_eq!(call(a, b), Ok(Value::Bool(*expected)), "{a:?} {b:?}");
        }
    }

    #[test]
    fn bad_elements_name_argument_and_index() {
        let error = call(&["10.0.0.0/16"], &["10.1.0.0/16", "10.2.0.1/16"]).unwrap_err();
        assert_eq!(error.argument, Some(1));
        assert!(
            error.message.starts_with("element 1: "),
            "{}",
            error.message
        );
        assert!(error.message.contains("10.2.0.0/16"), "{}", error.message);

        let error = call(&["2001:db8::/32"], &[]).unwrap_err();
        assert_eq!(error.argument, Some(0));
        assert!(error.message.contains("IPv6"), "{}", error.message);

        let error = CidrsOverlap
            .call(&[Value::List(vec![Value::Null]), list(&[])])
            .unwrap_err();
        assert_eq!(error.argument, Some(0));
        assert!(
            error.message.contains("element 0 is null"),
            "{}",
            error.message
        );
    }
}
