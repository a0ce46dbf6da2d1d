/**
 * The `lab` profile of the built-in demo configuration: the text of examples/profiles/lab.yaml, kept identical
 * (test/unit/config-examples.test.ts checks it) so that it ships with the compiled output.
 */
export const LAB_PROFILE_YAML = `# A profile: what the bot may create in the Slack channels bound to it, and where.
# The profile's name is this file's name without .yaml ("lab"). Unknown keys are errors (usually typos).
# Strings may use \${ENV_VAR} references (write $\${ for a literal "\${").

# Cluster (a key under \`clusters:\` in pve-chatops.yaml) this profile provisions on.
cluster: lab
# Proxmox pool every guest is put in; the quota below is checked against it. Create it beforehand.
pool: chatops
# Storage for new disks (a clone's target storage, a container's rootfs).
storage: local-lvm
# Bridge of the guests' first NIC (net0), and optionally its VLAN tag (1-4094).
bridge: vmbr0
# vlan: 20

# VMIDs: templates live in \`templates\`; new guests get the lowest free ID in \`auto\`.
# Ranges are "min-max" within 100-999999999 and must not overlap. Two profiles on the same cluster must not
# share an \`auto\` range (their bots would race for the same IDs).
vmidRanges: { templates: "9000-9999", auto: "500-8999" }

# Node choice for new guests: least-loaded (most free memory) | spread (fewest guests of this pool) | pack.
placement: least-loaded          # least-loaded | spread | pack

# Sizes users pick with --size. memoryMb in MiB, diskGb in GiB (the template's disk is grown to this size).
sizes:
  small:  { cores: 1, memoryMb: 2048, diskGb: 20 }
  medium: { cores: 2, memoryMb: 4096, diskGb: 40 }
  large:  { cores: 4, memoryMb: 8192, diskGb: 80 }

# Image aliases users pick with --image. Each is exactly one of:
#   template: <vmid>          a VM template to clone (nesting: true allows nested virtualisation)
#   templateName: <name>      a VM template found by name
#   ostemplate: <volid>       a container template (a storage's vztmpl content)
#   iso: <volid>              an installer ISO (a storage's iso content)
images:
  ubuntu24: { template: 9000 }                                  # VM: clone this template
  debian12: { templateName: debian12-template }
  ubuntu24-ct: { ostemplate: "local:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst" }
  alpine320: { ostemplate: "local:vztmpl/alpine-3.20-default_20240908_amd64.tar.xz" }
# Image used when a user gives none, for VMs and for containers (must be aliases above).
defaultImage: { vm: ubuntu24, ct: ubuntu24-ct }

# Upper limits for all guests of the pool together.
quota: { cores: 64, memoryMb: 131072, diskGb: 2000 }

# CPU type for guests that must live-migrate between hosts of different CPU generations.
migratableCpuType: kvm64
# Tags added to every guest this profile creates (Proxmox tag syntax: [a-z0-9_][a-z0-9_-+.]*).
tags: [chatops]
# Cloud-init: default user, public SSH keys added to every VM (and container), DNS settings.
ciUser: ubuntu
sshKeys: []
# nameserver: 192.0.2.53
# searchdomain: lab.example
# Container swap in MiB.
swapMb: 512
# How long to wait for a new guest: the QEMU guest agent, an IP address, SSH on port 22 (seconds);
# sshHandshake: true also completes an SSH handshake instead of only a TCP connect.
readiness: { agentTimeoutSec: 300, ipTimeoutSec: 300, sshTimeoutSec: 180, sshHandshake: false }
# Seconds a clean shutdown may take during a teardown; after that the guest is stopped hard.
shutdownTimeoutSec: 60
# Jobs of this profile running at once (within the cluster's maxJobs); more wait in a queue. Unlimited if absent.
# maxJobs: 4

# Who may run what in channels bound to this profile: Slack user IDs (U…), user-group IDs (S…) or "*".
# User-group membership comes from Slack's usergroups.users.list (cached briefly).
permissions:
  list: ["*"]
  provision: ["S0INFRA", "U0ALICE"]
  teardown: ["S0INFRA"]

# Actions that need a second person. approvers: users/groups who may approve; selfApprove: may the requester
# approve their own request; expiresMinutes: the request lapses after this; bulkThreshold: above this many
# guests the approver must type the count.
approvals:
  teardown: { approvers: ["S0LEADS", "U0BOB"], selfApprove: false, expiresMinutes: 30, bulkThreshold: 5 }
  upgrade:  { approvers: ["S0LEADS"], selfApprove: false, expiresMinutes: 30 }
`;
