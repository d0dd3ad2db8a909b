# Tags and labels. Every resource Packer creates carries the cib-* keys, so the
# cleanup sweeper can find leftovers by build id and expiry.

locals {
  # When this attempt started (UTC), for names that must differ between attempts.
  attempt = formatdate("YYYYMMDDhhmmss", timestamp())

  # No source AMI given: let the filter pick the newest Canonical Ubuntu 24.04.
  # Given: leave the filter empty (no filters, no owners), so Packer 1.6.6 and
  # current Packer look the AMI up by id only (a non-empty filter is ANDed with
  # source_ami and would hide e.g. a private base AMI).
  aws_source_ami_filters = var.aws_source_ami == "" ? {
    name                  = "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"
    architecture          = "x86_64"
    "root-device-type"    = "ebs"
    "virtualization-type" = "hvm"
  } : {}
  aws_source_ami_owners = var.aws_source_ami == "" ? ["099720109477"] : []

  # Common to the instance, its volumes, the AMI and its snapshots.
  cib_tags = {
    "cib-build-id"   = var.build_id
    "cib-request-id" = var.request_id
    "cib-phase"      = "build"
    "cib-expires-at" = var.expires_at
  }

  # What the image itself describes (AMI and snapshots).
  cib_image_tags = merge(local.cib_tags, {
    "cib-kubevirt-version"   = var.kubevirt_version
    "cib-kubernetes-version" = var.kubernetes_version
    "cib-cdi-version"        = var.cdi_version
    "Name"                   = var.image_name
  })

  cib_run_tags = merge(local.cib_tags, {
    "Name" = "cib-build-${var.image_name}"
  })

  # GCP label values allow only [a-z0-9_-], at most 63 characters:
  # lower-case and replace anything else with "-" (v1.8.2 -> v1-8-2).
  gcp_labels = {
    "cib-build-id"   = substr(regex_replace(lower(var.build_id), "[^a-z0-9_-]", "-"), 0, 63)
    "cib-request-id" = substr(regex_replace(lower(var.request_id), "[^a-z0-9_-]", "-"), 0, 63)
    "cib-phase"      = "build"
    "cib-expires-at" = substr(regex_replace(lower(var.expires_at), "[^a-z0-9_-]", "-"), 0, 63)
  }
  gcp_image_labels = merge(local.gcp_labels, {
    "cib-kubevirt-version"   = substr(regex_replace(lower(var.kubevirt_version), "[^a-z0-9_-]", "-"), 0, 63)
    "cib-kubernetes-version" = substr(regex_replace(lower(var.kubernetes_version), "[^a-z0-9_-]", "-"), 0, 63)
    "cib-cdi-version"        = substr(regex_replace(lower(var.cdi_version), "[^a-z0-9_-]", "-"), 0, 63)
  })
  # Instance (and, in 1.6.6, boot disk) name: must start with a letter, [-a-z0-9], <= 63.
  # The sweeper can match the unlabelled temporary disk by this name.
  gcp_instance_name = substr("cib-build-${regex_replace(lower(var.build_id), "[^a-z0-9-]", "-")}", 0, 63)

  image_description = "KubeVirt ${var.kubevirt_version} + CDI ${var.cdi_version} on Kubernetes ${var.kubernetes_version} (single node, installed at first boot). Build ${var.build_id}."

  # Environment for installer/bake.sh (real sources only).
  bake_env = [
    "KUBEVIRT_VERSION=${var.kubevirt_version}",
    "CDI_VERSION=${var.cdi_version}",
    "KUBERNETES_VERSION=${var.kubernetes_version}",
    "CIB_ADMIN_USER=${var.ssh_username}",
    "CIB_INSTALLER_SRC=/tmp/cib-installer",
    "DEBIAN_FRONTEND=noninteractive",
  ]
}
