# Input variables. The build worker passes these with `-var name=value`; the
# names are part of its contract, so do not rename them.
#
# Required (no default): build_id, request_id, image_name, expires_at.
# Everything cloud-specific defaults to something harmless, so that
# `-only=amazon-ebs.aws` needs no GCP variables and `-only=googlecompute.gcp`
# needs no AWS variables (except gcp_project_id, which the GCP source needs).
#
# Credentials are never variables: AWS uses its standard chain (env, shared
# config/profile, instance role), GCP uses Application Default Credentials.
#
# Note: Packer 1.6.6's regex()/regexall()/can() misbehave in validation rules,
# so the rules below use regex_replace(), which works in 1.6.6 and current Packer.

# ---------------------------------------------------------------- identity

variable "build_id" {
  type        = string
  description = "Pipeline build id; tagged as cib-build-id on every resource."
  validation {
    condition     = length(var.build_id) > 0
    error_message = "The build_id variable must not be empty."
  }
}

variable "request_id" {
  type        = string
  description = "Pipeline request id; tagged as cib-request-id on every resource."
  validation {
    condition     = length(var.request_id) > 0
    error_message = "The request_id variable must not be empty."
  }
}

variable "image_name" {
  type        = string
  description = "AMI name / GCE image name. On GCP it must match [a-z]([-a-z0-9]*[a-z0-9])?, at most 63 characters."
  validation {
    condition     = length(var.image_name) >= 3
    error_message = "The image_name variable must have at least 3 characters."
  }
}

variable "expires_at" {
  type        = string
  description = "Epoch seconds (as a string) after which a sweeper may delete leftovers; tagged as cib-expires-at."
  validation {
    condition     = length(var.expires_at) > 0 && regex_replace(var.expires_at, "^[0-9]+$", "") == ""
    error_message = "The expires_at variable must be epoch seconds, e.g. 1767225600."
  }
}

# ---------------------------------------------------------------- versions (pinned, never "latest")

variable "kubevirt_version" {
  type        = string
  default     = "v1.8.2"
  description = "KubeVirt release installed at first boot (virtctl is baked)."
  validation {
    condition     = length(var.kubevirt_version) > 0 && regex_replace(var.kubevirt_version, "^v[0-9]+[.][0-9]+[.][0-9]+(-[0-9A-Za-z.]+)?$", "") == ""
    error_message = "The kubevirt_version variable must be a pinned version such as v1.8.2."
  }
}

variable "cdi_version" {
  type        = string
  default     = "v1.64.0"
  description = "Containerized Data Importer release installed at first boot."
  validation {
    condition     = length(var.cdi_version) > 0 && regex_replace(var.cdi_version, "^v[0-9]+[.][0-9]+[.][0-9]+(-[0-9A-Za-z.]+)?$", "") == ""
    error_message = "The cdi_version variable must be a pinned version such as v1.64.0."
  }
}

variable "kubernetes_version" {
  type        = string
  default     = "v1.35.0"
  description = "Exact Kubernetes version (kubeadm/kubelet/kubectl); the pkgs.k8s.io repo minor (v1.35) is derived from it."
  validation {
    condition     = length(var.kubernetes_version) > 0 && regex_replace(var.kubernetes_version, "^v[0-9]+[.][0-9]+[.][0-9]+$", "") == ""
    error_message = "The kubernetes_version variable must be a pinned version such as v1.35.0."
  }
}

# ---------------------------------------------------------------- common

variable "disk_size_gb" {
  type        = number
  default     = 30
  description = "Root disk size of the build instance, and so of the image."
}

variable "ssh_username" {
  type        = string
  default     = "ubuntu"
  description = "Login user of the base image (real sources only)."
}

# ---------------------------------------------------------------- AWS

variable "aws_region" {
  type    = string
  default = "us-east-1"
}

variable "aws_source_ami" {
  type        = string
  default     = ""
  description = "Base AMI id. Empty: newest Canonical Ubuntu 24.04 amd64 (owner 099720109477) via source_ami_filter."
}

variable "aws_instance_type" {
  type    = string
  default = "t3.large"
}

variable "aws_subnet_id" {
  type        = string
  default     = ""
  description = "Subnet for the build instance. Empty: the default VPC's default subnet."
}

variable "aws_ami_regions" {
  type        = list(string)
  default     = []
  description = "Extra regions the AMI is copied to (the build region is always included)."
}

variable "ec2_endpoint" {
  type        = string
  default     = ""
  description = "EC2 endpoint override; only the amazon-ebs.aws-emulated source uses it (e.g. http://127.0.0.1:5000 for moto)."
}

# Packer 1.6.6 (aws-sdk-go 1.36) retries each EC2 call max_retries times (its default: 10), waiting
# 0.5-1 s after the first throttled attempt, doubling up to a 150-300 s cap. One call is special: the
# AMI-name prevalidation (DescribeImages, "Error querying AMI") starts at retry number 11, so it gets
# max_retries - 11 retries, each after 150-300 s. 13 gives it two instead of none; the build is long
# anyway, and a failure there would cost a whole new request.
variable "aws_max_retries" {
  type        = number
  default     = 13
  description = "Packer's max_retries: how often it retries a throttled (RequestLimitExceeded) or failed EC2 API call, with exponential backoff. 0 means Packer's default (10)."
  validation {
    condition     = var.aws_max_retries >= 0
    error_message = "The aws_max_retries variable must not be negative."
  }
}

# ---------------------------------------------------------------- GCP

variable "gcp_project_id" {
  type        = string
  default     = ""
  description = "GCP project that owns the build instance and the image. Required for googlecompute.gcp."
}

variable "gcp_zone" {
  type    = string
  default = "us-central1-b"
}

variable "gcp_source_image_family" {
  type    = string
  default = "ubuntu-2404-lts-amd64"
}

variable "gcp_source_image_project" {
  type    = string
  default = "ubuntu-os-cloud"
}

variable "gcp_machine_type" {
  type    = string
  default = "e2-standard-2"
}
