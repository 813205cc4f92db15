//! `amlsecure_vm_attachment`: an existing Ubuntu virtual machine attached to a workspace
//! over SSH. Plan reads the VM, its network interface and subnet, and checks its image, its
//! virtual network, and both network security groups in front of it.

use crate::rules::attached::DEFAULT_SSH_PORT;
use async_trait::async_trait;
use tfplugin::{AttributePath, Diagnostics};

use super::ssh_attachment::{MachineFacts, MachineKind, SshAttachment, machine_network};
use crate::arm::models::compute::VirtualMachine;
use crate::arm::models::network::NetworkInterface;
use crate::arm::{ArmClient, ArmError, CallContext, ResourceId, api_version};
use crate::checks::facts;
use crate::rules::attached;
use crate::session::arm_diagnostic;

pub const TYPE_NAME: &str = "amlsecure_vm_attachment";

pub struct Vm;

pub type VmAttachment = SshAttachment<Vm>;

fn read_error(error: &ArmError) -> Diagnostics {
    arm_diagnostic("Cannot read the virtual machine to check it", error)
        .at(AttributePath::attribute(Vm::ID_ATTRIBUTE))
        .into()
}

#[async_trait]
impl MachineKind for Vm {
    const TYPE_NAME: &'static str = TYPE_NAME;
    const COMPUTE_TYPE: &'static str = "VirtualMachine";
    const ID_ATTRIBUTE: &'static str = "virtual_machine_id";
    const ARM_TYPE: &'static str = "Microsoft.Compute/virtualMachines";
    const API_VERSION: &'static str = api_version::COMPUTE;
    const NOUN: &'static str = "virtual machine";
    const DESCRIPTION: &'static str = "An existing virtual machine attached to an Azure Machine Learning workspace as a compute target, reached over SSH. `terraform plan` checks that it runs Ubuntu, sits in a virtual network in the workspace's subscription and region, and that the network security groups of its network interface and subnet let `AzureMachineLearning` reach its SSH port. Destroy detaches the VM and leaves it running; every change attaches it again.";
    const ADDRESS_DESCRIPTION: &'static str = "Address Azure ML connects to; defaults to the private IP address of the VM's primary network interface.";

    async fn inspect(
        arm: &ArmClient,
        ctx: &CallContext,
        machine: &ResourceId,
    ) -> Result<MachineFacts, Diagnostics> {
        let vm: VirtualMachine = arm
            .get_cached(ctx, machine.as_str(), api_version::COMPUTE)
            .await
            .map_err(|e| read_error(&e))?;
        let description = format!("virtual machine '{}'", machine.name());
        let findings =
            attached::check_vm_image(&facts::vm_image(&vm), machine.name(), Self::ID_ATTRIBUTE);
        let Some(nic_id) = vm.primary_network_interface() else {
            return Ok(MachineFacts {
                description,
                default_address: None,
                default_ssh_port: DEFAULT_SSH_PORT,
                findings,
                network: None,
                other_nsgs: Vec::new(),
                destinations: Vec::new(),
            });
        };
        let nic: NetworkInterface = arm
            .get_cached(ctx, nic_id, api_version::NETWORK)
            .await
            .map_err(|e| read_error(&e))?;
        let mut other_nsgs = Vec::new();
        if let Some(group) = &nic.properties.network_security_group {
            other_nsgs.push(
                facts::network_security_group(arm, ctx, &group.id)
                    .await
                    .map_err(|e| read_error(&e))?,
            );
        }
        let ip = nic.primary_ip_configuration();
        let address = ip.and_then(|c| c.private_ip_address.clone());
        let destinations = address
            .as_deref()
            .and_then(|a| a.parse::<std::net::Ipv4Addr>().ok())
            .map(|a| vec![ipnet::Ipv4Net::from(a)])
            .unwrap_or_default();
        let network = match ip.and_then(|c| c.subnet.as_ref()).map(|s| s.id.as_str()) {
            None => None,
            Some(subnet) => {
                Some(machine_network::<Self>(arm, ctx, subnet, &description, read_error).await?)
            }
        };
        Ok(MachineFacts {
            description,
            default_address: address,
            default_ssh_port: DEFAULT_SSH_PORT,
            findings,
            network,
            other_nsgs,
            destinations,
        })
    }
}
