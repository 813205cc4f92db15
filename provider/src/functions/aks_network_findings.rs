//! `provider::amlsecure::aks_network_findings`: the AKS network rules an address plan breaks,
//! checked without Azure.

use tfplugin::Value;
use tfplugin::function::{Function, FunctionDefinition, FunctionError, Parameter};
use tfplugin::value::Type;

use super::{argument_error, cidr_list_argument, string_argument};
use crate::rules::Profile;
use crate::rules::addresses;
use crate::rules::aks::{AksNetwork, check_aks_network};

/// `aks_network_findings(...)`: the AKS network rules an address plan breaks.
pub struct AksNetworkFindings;

impl Function for AksNetworkFindings {
    fn name(&self) -> &'static str {
        "aks_network_findings"
    }

    fn definition(&self) -> FunctionDefinition {
        let mut docker_bridge = Parameter::new(
            "docker_bridge_cidr",
            Type::String,
            "The Docker bridge address, like `172.17.0.1/16`, or `null` when not set.",
        );
        docker_bridge.allow_null = true;
        FunctionDefinition {
            summary: "AKS network rules an address plan breaks".into(),
            description: "Checks an AKS cluster's network settings against the Azure Machine \
                Learning virtual network guidance and returns one sentence per broken rule, \
                naming the rule ID, the numbers and the fix; an empty list when all is well. \
                Rules: the service CIDR must not overlap the virtual network, its subnets or \
                peered networks, nor AKS's reserved ranges (169.254.0.0/16, 172.30.0.0/16, \
                172.31.0.0/16, 192.0.2.0/24), and must be no larger than a /12; the DNS service \
                IP must lie inside the service CIDR and not be its network, first (.1) or \
                broadcast address; the Docker bridge must not overlap the virtual network or the \
                service CIDR; under today's guidance it is deprecated by AKS.\n\n\
                Provider functions do not see the provider block, so the guidance profile is an \
                optional last argument: `\"2019\"` (the default, as the provider's `guidance`) or \
                `\"current\"`, which also reports a Docker bridge address as deprecated (AMLS208).\n\n\
                Example: `provider::amlsecure::aks_network_findings(\"10.0.0.0/16\", \"10.0.0.10\", \
                null, [\"10.0.0.0/8\"])` returns one finding, `AMLS201`; \
                `provider::amlsecure::aks_network_findings(\"10.240.0.0/16\", \"10.240.0.10\", \
                \"172.17.0.1/16\", [\"10.0.0.0/16\"], \"current\")` returns `AMLS208`."
                .into(),
            parameters: vec![
                Parameter::new(
                    "service_cidr",
                    Type::String,
                    "The Kubernetes service address range, like `10.0.0.0/16`.",
                ),
                Parameter::new(
                    "dns_service_ip",
                    Type::String,
                    "The cluster DNS service address, like `10.0.0.10`.",
                ),
                docker_bridge,
                Parameter::new(
                    "vnet_prefixes",
                    Type::list(Type::String),
                    "Address ranges the cluster must not collide with: the virtual network's \
                    address spaces and subnets, and those of its peered networks. All of them are \
                    held to AKS's reserved ranges (AMLS209), which AKS requires only of the \
                    cluster's own network: leave peerings out when they use those ranges.",
                ),
            ],
            variadic: Some(Parameter::new(
                "guidance",
                Type::String,
                "Optional: the guidance profile to check under, `\"2019\"` (default) or `\"current\"`, as the provider's `guidance` argument. At most one.",
            )),
            returns: Type::list(Type::String),
        }
    }

    fn call(&self, arguments: &[Value]) -> Result<Value, FunctionError> {
        let service_cidr = addresses::parse_cidr(string_argument(arguments, 0)?)
            .map_err(|e| argument_error(0, e))?;
        let dns_service_ip = addresses::parse_ipv4(string_argument(arguments, 1)?)
            .map_err(|e| argument_error(1, e))?;
        let docker_bridge_cidr = match arguments.get(2).and_then(Value::as_str) {
            None | Some("") => None,
            Some(text) => Some(addresses::parse_host_cidr(text).map_err(|e| argument_error(2, e))?),
        };
        let vnet_prefixes = cidr_list_argument(arguments, 3)?;
        let profile = match &arguments[4.min(arguments.len())..] {
            [] => Profile::default(),
            [guidance] => {
                let text = guidance.as_str().ok_or_else(|| {
                    FunctionError::in_argument(4, "guidance is null; use \"2019\" or \"current\"")
                })?;
                Profile::parse(text).ok_or_else(|| {
                    FunctionError::in_argument(
                        4,
                        format!("{text:?} is no guidance profile; use \"2019\" or \"current\""),
                    )
                })?
            }
            [_, ..] => {
                return Err(FunctionError::in_argument(
                    5,
                    "takes at most one guidance argument, \"2019\" or \"current\"",
                ));
            }
        };
        let findings = check_aks_network(
            &AksNetwork {
                service_cidr,
                dns_service_ip,
                docker_bridge_cidr,
                vnet_prefixes,
                peered_prefixes: Vec::new(),
                network_known: true,
            },
            profile,
        );
        Ok(Value::List(
            findings
                .iter()
                .map(|f| Value::String(f.to_string()))
                .collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(
        service_cidr: &str,
        dns_service_ip: &str,
        docker_bridge: Option<&str>,
        vnet: &[&str],
    ) -> Result<Vec<String>, FunctionError> {
        call_under(service_cidr, dns_service_ip, docker_bridge, vnet, &[])
    }

    /// `call` with the variadic guidance arguments.
    fn call_under(
        service_cidr: &str,
        dns_service_ip: &str,
        docker_bridge: Option<&str>,
        vnet: &[&str],
        guidance: &[Value],
    ) -> Result<Vec<String>, FunctionError> {
        let mut arguments = vec![
            Value::from(service_cidr),
            Value::from(dns_service_ip),
            docker_bridge.map_or(Value::Null, Value::from),
            Value::List(vnet.iter().map(|s| Value::from(*s)).collect()),
        ];
        arguments.extend(guidance.iter().cloned());
        let result = AksNetworkFindings.call(&arguments)?;
        Ok(result
            .as_elements()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect())
    }

    fn ids(findings: &[String]) -> Vec<&str> {
        findings.iter().map(|f| &f[..7]).collect()
    }

    #[test]
    fn a_sound_plan_has_no_findings() {
        let findings = call("10.240.0.0/16", "10.240.0.10", None, &["10.0.0.0/16"]).unwrap();
        assert!(findings.is_empty(), "{findings:?}");
        let empty_bridge = call("10.240.0.0/16", "10.240.0.10", Some(""), &[]).unwrap();
        assert!(empty_bridge.is_empty());
    }

    #[test]
    fn each_broken_rule_is_one_sentence_with_its_id() {
        let overlap = call("10.0.0.0/16", "10.0.0.10", None, &["10.0.0.0/8"]).unwrap();
        assert_eq!(ids(&overlap), ["AMLS201"]);
        assert!(overlap[0].contains("10.0.0.0/8"), "{}", overlap[0]);

        let dns_outside = call("10.240.0.0/16", "10.0.0.10", None, &[]).unwrap();
        assert_eq!(ids(&dns_outside), ["AMLS205"]);

        let dns_first = call("10.240.0.0/16", "10.240.0.1", None, &[]).unwrap();
        assert_eq!(ids(&dns_first), ["AMLS206"]);

        let bridge = call("10.240.0.0/16", "10.240.0.10", Some("172.17.0.1/16"), &[]).unwrap();
        assert!(bridge.is_empty(), "2019 asks for a bridge: {bridge:?}");

        let bridge_clash = call(
            "10.240.0.0/16",
            "10.240.0.10",
            Some("10.0.0.1/16"),
            &["10.0.0.0/16"],
        )
        .unwrap();
        assert_eq!(ids(&bridge_clash), ["AMLS207"]);
    }

    #[test]
    fn the_guidance_argument_picks_the_profile() {
        let bridge = |guidance: &[Value]| {
            call_under(
                "10.240.0.0/16",
                "10.240.0.10",
                Some("10.0.0.1/16"),
                &["10.0.0.0/16"],
                guidance,
            )
        };
        assert_eq!(ids(&bridge(&["2019".into()]).unwrap()), ["AMLS207"]);
        assert_eq!(
            ids(&bridge(&["current".into()]).unwrap()),
            ["AMLS207", "AMLS208"]
        );
        assert_eq!(
            ids(&bridge(&["Current".into()]).unwrap()),
            ["AMLS207", "AMLS208"]
        );
        for (guidance, position, says) in [
            (
                vec![Value::from("2024")],
                4,
                "\"2024\" is no guidance profile",
            ),
            (vec![Value::Null], 4, "guidance is null"),
            (vec!["2019".into(), "current".into()], 5, "at most one"),
        ] {
            let error = bridge(&guidance).unwrap_err();
            assert_eq!(error.argument, Some(position), "{guidance:?}");
            assert!(error.message.contains(says), "{}", error.message);
        }
    }

    /// One call with a bad argument: the arguments, then the position and text expected.
    struct BadCall {
        arguments: (
            &'static str,
            &'static str,
            Option<&'static str>,
            &'static [&'static str],
        ),
        position: usize,
        says: &'static str,
    }

    #[test]
    fn bad_arguments_name_their_position() {
        let cases = [
            BadCall {
                arguments: ("10.0.0.1/16", "10.0.0.10", None, &[]),
                position: 0,
                says: "use 10.0.0.0/16",
            },
            BadCall {
                arguments: ("fd00::/108", "10.0.0.10", None, &[]),
                position: 0,
                says: "IPv6",
            },
            BadCall {
                arguments: ("10.0.0.0/16", "10.0.0.300", None, &[]),
                position: 1,
                says: "not an IPv4 address",
            },
            BadCall {
                arguments: ("10.0.0.0/16", "10.0.0.10", Some("bridge"), &[]),
                position: 2,
                says: "not an IPv4 CIDR",
            },
            BadCall {
                arguments: ("10.0.0.0/16", "10.0.0.10", None, &["10.0.0.0/8", "x"]),
                position: 3,
                says: "element 1: ",
            },
        ];
        for case in cases {
            let (service, dns, bridge, vnet) = case.arguments;
            let error = call(service, dns, bridge, vnet).unwrap_err();
            assert_eq!(error.argument, Some(case.position), "{error:?}");
            assert!(error.message.contains(case.says), "{}", error.message);
        }
    }
}
