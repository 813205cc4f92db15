//! `amlsecure_hdinsight_attachment`: an existing HDInsight cluster attached to a workspace
//! over SSH. Plan reads the cluster and its subnet, and checks its virtual network and the
//! subnet's network security group.

use crate::rules::attached::DEFAULT_SSH_PORT;
use async_trait::async_trait;
use tfplugin::{AttributePath, Diagnostics};

use super::ssh_attachment::{MachineFacts, MachineKind, SshAttachment, machine_network};
use crate::arm::models::hdinsight::HdInsightCluster;
use crate::arm::{ArmClient, ArmError, CallContext, ResourceId, api_version};
use crate::session::arm_diagnostic;

pub const TYPE_NAME: &str = "amlsecure_hdinsight_attachment";

pub struct HdInsight;

pub type HdInsightAttachment = SshAttachment<HdInsight>;

fn read_error(error: &ArmError) -> Diagnostics {
    arm_diagnostic("Cannot read the HDInsight cluster to check it", error)
        .at(AttributePath::attribute(HdInsight::ID_ATTRIBUTE))
        .into()
}

#[async_trait]
impl MachineKind for HdInsight {
    const TYPE_NAME: &'static str = TYPE_NAME;
    const COMPUTE_TYPE: &'static str = "HDInsight";
    const ID_ATTRIBUTE: &'static str = "hdinsight_cluster_id";
    const ARM_TYPE: &'static str = "Microsoft.HDInsight/clusters";
    const API_VERSION: &'static str = api_version::HDINSIGHT;
    const NOUN: &'static str = "HDInsight cluster";
    const DESCRIPTION: &'static str = "An existing HDInsight cluster attached to an Azure Machine Learning workspace as a compute target, reached over SSH on its head node. `terraform plan` checks that the cluster sits in a virtual network in the workspace's subscription and region, and that its subnet's network security group lets `AzureMachineLearning` reach the SSH port. Destroy detaches the cluster and leaves it running; every change attaches it again.";
    const ADDRESS_DESCRIPTION: &'static str = "Address Azure ML connects to; defaults to the host of the cluster's SSH endpoint (`<cluster>-ssh.azurehdinsight.net`).";

    async fn inspect(
        arm: &ArmClient,
        ctx: &CallContext,
        machine: &ResourceId,
    ) -> Result<MachineFacts, Diagnostics> {
        let cluster: HdInsightCluster = arm
            .get_cached(ctx, machine.as_str(), api_version::HDINSIGHT)
            .await
            .map_err(|e| read_error(&e))?;
        let description = format!("HDInsight cluster '{}'", machine.name());
        let endpoint = cluster.ssh_endpoint();
        let network = match cluster.subnet_id() {
            None => None,
            Some(subnet) => {
                Some(machine_network::<Self>(arm, ctx, subnet, &description, read_error).await?)
            }
        };
        Ok(MachineFacts {
            default_address: endpoint.map(|(host, _)| host.to_owned()),
            default_ssh_port: endpoint
                .and_then(|(_, port)| port)
                .and_then(|p| u16::try_from(p).ok())
                .unwrap_or(DEFAULT_SSH_PORT),
            findings: Vec::new(),
            destinations: network
                .as_ref()
                .map(|n| n.subnet_prefixes.clone())
                .unwrap_or_default(),
            network,
            other_nsgs: Vec::new(),
            description,
        })
    }
}
