# GCP source (real only: Compute Engine has no emulator and googlecompute has
# no endpoint override in Packer 1.6.6).
#
# labels       -> the build instance
# image_labels -> the image
# Packer 1.6.6 does not label the temporary boot disk; it is named like the
# instance (local.gcp_instance_name) and deleted by Packer after imaging.
# Label values are sanitised to [a-z0-9_-] (v1.8.2 -> v1-8-2).

source "googlecompute" "gcp" {
  project_id              = var.gcp_project_id
  zone                    = var.gcp_zone
  machine_type            = var.gcp_machine_type
  source_image_family     = var.gcp_source_image_family
  source_image_project_id = [var.gcp_source_image_project]

  disk_size     = var.disk_size_gb
  disk_type     = "pd-balanced"
  instance_name = local.gcp_instance_name

  image_name        = var.image_name
  image_description = local.image_description
  # Instances created from the image get nested virtualisation (/dev/kvm) on
  # Intel machine types, as the original pipeline did.
  image_licenses = ["projects/vm-options/global/licenses/enable-vmx"]

  labels       = local.gcp_labels
  image_labels = local.gcp_image_labels

  communicator = "ssh"
  ssh_username = var.ssh_username
  ssh_timeout  = "15m"
}
