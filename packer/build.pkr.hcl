# One build, three sources; pick one with -only=<type>.<name>:
#   packer build -only=amazon-ebs.aws          packer/
#   packer build -only=amazon-ebs.aws-emulated packer/
#   packer build -only=googlecompute.gcp       packer/
#
# The remote provisioners are restricted to the real sources: the emulated
# source has no communicator (a remote provisioner would hang for 5 minutes
# and then fail). No post-processor: the worker reads the artifact from
# `-machine-readable` stdout, and a manifest post-processor would only add a
# second artifact row.

build {
  sources = [
    "source.amazon-ebs.aws",
    "source.amazon-ebs.aws-emulated",
    "source.googlecompute.gcp",
  ]

  # The file provisioner does not create missing parent directories.
  provisioner "shell" {
    only   = ["amazon-ebs.aws", "googlecompute.gcp"]
    inline = ["rm -rf /tmp/cib-installer", "mkdir -p /tmp/cib-installer"]
  }

  # Trailing slash: upload the directory's contents, not the directory.
  provisioner "file" {
    only        = ["amazon-ebs.aws", "googlecompute.gcp"]
    source      = "${path.root}/installer/"
    destination = "/tmp/cib-installer"
  }

  provisioner "shell" {
    only             = ["amazon-ebs.aws", "googlecompute.gcp"]
    script           = "${path.root}/installer/bake.sh"
    environment_vars = local.bake_env
    execute_command  = "chmod +x {{ .Path }}; sudo -E env {{ .Vars }} bash {{ .Path }}"
    # Fail the build on any non-zero exit of bake.sh.
    valid_exit_codes = [0]
  }
}
