# Plugin requirements for CURRENT Packer (>= 1.7), where the amazon and
# googlecompute builders are separate plugins:
#
#   packer init packer/plugins/      # installs them into ~/.config/packer/plugins
#   packer build -only=amazon-ebs.aws packer/
#
# Kept in its own directory because Packer 1.6.6 (Debian's package, used by the
# pipeline) rejects a required_plugins block, and `packer build packer/` does
# not read subdirectories. Installed plugins are found without this block.
packer {
  required_version = ">= 1.7.0"
  required_plugins {
    amazon = {
      source  = "github.com/hashicorp/amazon"
      version = ">= 1.0.0"
    }
    googlecompute = {
      source  = "github.com/hashicorp/googlecompute"
      version = ">= 1.0.0"
    }
  }
}
