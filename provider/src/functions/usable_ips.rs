//! `provider::amlsecure::usable_ips`: the addresses Azure lets resources use in a subnet.

use tfplugin::Value;
use tfplugin::function::{Function, FunctionDefinition, FunctionError, Parameter};
use tfplugin::value::Type;

use super::{argument_error, string_argument};
use crate::rules::addresses;

/// `usable_ips(cidr)`: how many addresses of a subnet Azure lets resources use.
pub struct UsableIps;

impl Function for UsableIps {
    fn name(&self) -> &'static str {
        "usable_ips"
    }

    fn definition(&self) -> FunctionDefinition {
        FunctionDefinition {
            summary: "Addresses Azure lets you use in a subnet".into(),
            description: "Returns the number of IP addresses resources can use in an Azure subnet \
                of the given IPv4 CIDR range: its size minus the 5 addresses Azure reserves in \
                every subnet (network, default gateway, two for Azure DNS, broadcast). Each Azure \
                Machine Learning compute node takes one. Azure subnets range from /2 to /29.\n\n\
                Example: `provider::amlsecure::usable_ips(\"10.0.1.0/24\")` is `251`."
                .into(),
            parameters: vec![Parameter::new(
                "cidr",
                Type::String,
                "The subnet's IPv4 range, like `10.0.1.0/24`.",
            )],
            variadic: None,
            returns: Type::Number,
        }
    }

    fn call(&self, arguments: &[Value]) -> Result<Value, FunctionError> {
        let text = string_argument(arguments, 0)?;
        let net = addresses::parse_cidr(text).map_err(|e| argument_error(0, e))?;
        let usable = addresses::usable_ips(net).map_err(|e| argument_error(0, e))?;
        Ok(Value::from(usable as i64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(cidr: &str) -> Result<Value, FunctionError> {
        UsableIps.call(&[Value::from(cidr)])
    }

    #[test]
    fn subtracts_azure_reserved_addresses() {
        for (cidr, usable) in [
            ("10.0.1.0/24", 251),
            ("10.0.0.0/29", 3),
            ("10.0.0.0/16", 65_531),
            ("0.0.0.0/2", (1i64 << 30) - 5),
        ] {
            assert_eq!(call(cidr), Ok(Value::from(usable)), "{cidr}");
        }
    }

    #[test]
    fn bad_arguments_name_the_argument() {
        for (cidr, expected) in [
            ("10.0.1.5/24", "use 10.0.1.0/24"),
            ("fd00::/64", "IPv6"),
            ("10.0.0.0/30", "/29"),
            ("0.0.0.0/1", "/2"),
            ("banana", "not an IPv4 CIDR"),
            ("10.0.0.0", "single address"),
        ] {
            let error = call(cidr).unwrap_err();
            assert_eq!(error.argument, Some(0), "{cidr}");
            assert!(
                error.message.contains(expected),
                "{cidr}: {}",
                error.message
            );
        }
    }
}
