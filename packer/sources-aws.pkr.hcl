# AWS sources.
#
# amazon-ebs.aws           the real build: SSH in, run the provisioners, snapshot.
# amazon-ebs.aws-emulated  the same settings against an EC2 endpoint override
#                          (moto in tests) with no communicator: no provisioners
#                          run, Packer only launches, stops, images, copies and
#                          tags. Used to exercise the worker end to end.
#
# Tagging: tags (AMI, and AMI copies), snapshot_tags, run_tags (instance),
# run_volume_tags (volumes while the instance runs). Packer 1.6.6 tags AMIs and
# snapshots with CreateTags after CreateImage, which moto supports. Packer's
# temporary key pair and security group cannot be tagged: the key pair is named
# packer_cib_<build_id>_<attempt time>, the security group packer_<uuid>. The time
# keeps a retry after a killed attempt from colliding with a key pair that attempt
# could not delete (CreateKeyPair would fail on the duplicate name).
#
# Throttling (RequestLimitExceeded): max_retries (var.aws_max_retries, see
# variables.pkr.hcl) retries every EC2 call with exponential backoff. Waiters
# (aws_polling) keep polling through throttled polls; an explicit aws_polling
# block takes precedence over AWS_MAX_ATTEMPTS / AWS_POLL_DELAY_SECONDS.
#
# Current Packer (amazon plugin >= 1.0) also attaches run_tags to the AMI and its
# snapshots inside CreateImage; moto 5.2.1 answers that with HTTP 500 (snapshot
# TagSpecification not implemented). Against moto with current Packer, add
# `skip_ami_run_tags = true` to aws-emulated (Packer 1.6.6 rejects that key).

source "amazon-ebs" "aws" {
  region        = var.aws_region
  instance_type = var.aws_instance_type
  subnet_id     = var.aws_subnet_id
  max_retries   = var.aws_max_retries
  # With an explicit subnet, ask for a public IP so Packer can SSH in from
  # outside the VPC; default-VPC subnets assign one anyway.
  associate_public_ip_address = var.aws_subnet_id != ""

  source_ami = var.aws_source_ami
  source_ami_filter {
    filters     = local.aws_source_ami_filters
    owners      = local.aws_source_ami_owners
    most_recent = true
  }

  ami_name        = var.image_name
  ami_description = local.image_description
  ami_regions     = var.aws_ami_regions

  # Packer 1.6.6 rejects gp3 without explicit throughput and iops; these are
  # the gp3 baseline (free).
  launch_block_device_mappings {
    device_name           = "/dev/sda1"
    volume_size           = var.disk_size_gb
    volume_type           = "gp3"
    throughput            = 125
    iops                  = 3000
    delete_on_termination = true
  }

  tags            = local.cib_image_tags
  snapshot_tags   = local.cib_image_tags
  run_tags        = local.cib_run_tags
  run_volume_tags = local.cib_run_tags

  # A 30 GB AMI can take longer than the SDK's default 10 minutes to become available.
  aws_polling {
    delay_seconds = 15
    max_attempts  = 160
  }

  communicator = "ssh"
  ssh_username = var.ssh_username
  ssh_timeout  = "15m"
  # Untaggable, so at least named after the build for the sweeper.
  temporary_key_pair_name = "packer_cib_${var.build_id}_${local.attempt}"
}

source "amazon-ebs" "aws-emulated" {
  region        = var.aws_region
  instance_type = var.aws_instance_type
  subnet_id     = var.aws_subnet_id
  max_retries   = var.aws_max_retries

  source_ami = var.aws_source_ami
  source_ami_filter {
    filters     = local.aws_source_ami_filters
    owners      = local.aws_source_ami_owners
    most_recent = true
  }

  ami_name        = var.image_name
  ami_description = local.image_description
  ami_regions     = var.aws_ami_regions

  # Packer 1.6.6 rejects gp3 without explicit throughput and iops; these are
  # the gp3 baseline (free).
  launch_block_device_mappings {
    device_name           = "/dev/sda1"
    volume_size           = var.disk_size_gb
    volume_type           = "gp3"
    throughput            = 125
    iops                  = 3000
    delete_on_termination = true
  }

  tags            = local.cib_image_tags
  snapshot_tags   = local.cib_image_tags
  run_tags        = local.cib_run_tags
  run_volume_tags = local.cib_run_tags

  aws_polling {
    delay_seconds = 1
    max_attempts  = 60
  }

  # Emulator wiring: endpoint override and no calls to STS/IMDS/region lists.
  custom_endpoint_ec2        = var.ec2_endpoint
  skip_region_validation     = true
  skip_metadata_api_check    = true
  skip_credential_validation = true

  communicator            = "none"
  temporary_key_pair_name = "packer_cib_${var.build_id}_${local.attempt}"
}
