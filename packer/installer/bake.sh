#!/usr/bin/env bash
# Image bake, run as root by Packer's shell provisioner on the build instance
# (real sources only). Installs everything the first boot needs, but creates
# no Kubernetes state: kubeadm must run on the final instance, under its own
# hostname (see first-boot.sh).
#
# Environment (set by the Packer template):
#   KUBERNETES_VERSION  e.g. v1.35.0 (the pkgs.k8s.io minor is derived)
#   KUBEVIRT_VERSION    e.g. v1.8.2 (virtctl; KubeVirt itself at first boot)
#   CDI_VERSION         e.g. v1.64.0
#   CIB_ADMIN_USER      login user that gets a kubeconfig at first boot
#   CIB_INSTALLER_SRC   where the file provisioner put packer/installer/
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

CIB_INSTALLER_SRC="${CIB_INSTALLER_SRC:-/tmp/cib-installer}"
# shellcheck source=lib/installer-lib.sh
source "${CIB_INSTALLER_SRC}/lib/installer-lib.sh"

CIB_HOME=/usr/local/lib/cib-installer
CIB_CONFIG_DIR=/etc/cib
UNIT=kubevirt-installer.service
FLANNEL_VERSION="${FLANNEL_VERSION:-$CIB_DEFAULT_FLANNEL_VERSION}"
LOCAL_PATH_VERSION="${LOCAL_PATH_VERSION:-$CIB_DEFAULT_LOCAL_PATH_VERSION}"
export DEBIAN_FRONTEND=noninteractive
APT_GET=(apt-get -y -q -o DPkg::Lock::Timeout=600)

trap 'err "bake failed at line $LINENO"' ERR

check_inputs() {
  require_pinned_version "${KUBERNETES_VERSION-}" KUBERNETES_VERSION
  require_pinned_version "${KUBEVIRT_VERSION-}" KUBEVIRT_VERSION
  require_pinned_version "${CDI_VERSION-}" CDI_VERSION
  require_pinned_version "$FLANNEL_VERSION" FLANNEL_VERSION
  require_pinned_version "$LOCAL_PATH_VERSION" LOCAL_PATH_VERSION
}

wait_for_cloud_init() {
  # Packer may connect while cloud-init still runs apt on the build instance.
  if command -v cloud-init >/dev/null 2>&1; then
    cloud-init status --wait >/dev/null || true
  fi
}

install_base_packages() {
  "${APT_GET[@]}" update
  "${APT_GET[@]}" install apt-transport-https ca-certificates curl gpg containerd
}

configure_kernel() {
  cat > /etc/modules-load.d/cib-kubernetes.conf <<'EOF'
overlay
br_netfilter
EOF
  cat > /etc/sysctl.d/90-cib-kubernetes.conf <<'EOF'
net.ipv4.ip_forward = 1
net.bridge.bridge-nf-call-iptables = 1
net.bridge.bridge-nf-call-ip6tables = 1
EOF
  modprobe overlay
  modprobe br_netfilter
  sysctl --system >/dev/null
  # kubelet refuses to run with swap; cloud images normally have none.
  swapoff -a
  sed -i -E '/^[^#].*[[:space:]]swap[[:space:]]/s/^/#/' /etc/fstab
}

install_kubernetes() {
  local repo minor_key pkg version
  repo="$(k8s_apt_repo "$KUBERNETES_VERSION")"
  minor_key=/etc/apt/keyrings/kubernetes-apt-keyring.gpg
  install -d -m 0755 /etc/apt/keyrings
  curl -fsSL --retry 5 "${repo}Release.key" | gpg --batch --yes --dearmor -o "$minor_key"
  printf 'deb [signed-by=%s] %s /\n' "$minor_key" "$repo" > /etc/apt/sources.list.d/kubernetes.list
  "${APT_GET[@]}" update
  local -a wanted=()
  for pkg in kubelet kubeadm kubectl; do
    version="$(apt-cache madison "$pkg" | pick_deb_version "$KUBERNETES_VERSION")"
    wanted+=("${pkg}=${version}")
  done
  "${APT_GET[@]}" install "${wanted[@]}"
  # Never upgraded behind the cluster's back.
  apt-mark hold kubelet kubeadm kubectl
  systemctl enable kubelet
}

configure_containerd() {
  local pause default
  pause="$(kubeadm config images list --kubernetes-version "$KUBERNETES_VERSION" 2>/dev/null | grep '/pause:' | head -n1 || true)"
  default="$(mktemp)"
  install -d -m 0755 /etc/containerd
  containerd config default > "$default"
  render_containerd_config "$default" "$pause" > /etc/containerd/config.toml
  rm -f "$default"
  systemctl enable containerd
  systemctl restart containerd
  # Pre-pull the control-plane images: images are not node-specific, and it
  # saves the first boot a few minutes.
  kubeadm config images pull --kubernetes-version "$KUBERNETES_VERSION" --cri-socket "$CIB_CRI_SOCKET"
}

install_virtctl() {
  download "$(manifest_url virtctl "$KUBEVIRT_VERSION")" /usr/local/bin/virtctl
  chmod 0755 /usr/local/bin/virtctl
  /usr/local/bin/virtctl version --client
}

install_installer() {
  install -d -m 0755 "$CIB_HOME" "$CIB_HOME/lib" "$CIB_HOME/manifests" "$CIB_CONFIG_DIR"
  install -m 0755 "$CIB_INSTALLER_SRC/first-boot.sh" "$CIB_HOME/first-boot.sh"
  install -m 0644 "$CIB_INSTALLER_SRC/lib/installer-lib.sh" "$CIB_HOME/lib/installer-lib.sh"
  install -m 0644 "$CIB_INSTALLER_SRC/kubevirt-installer.service" "/etc/systemd/system/$UNIT"

  # Bake the pinned manifests, so the first boot only needs container images.
  download "$(manifest_url flannel "$FLANNEL_VERSION")" "$CIB_HOME/manifests/flannel.yaml"
  download "$(manifest_url local-path "$LOCAL_PATH_VERSION")" "$CIB_HOME/manifests/local-path.yaml"
  download "$(manifest_url kubevirt "$KUBEVIRT_VERSION")" "$CIB_HOME/manifests/kubevirt.yaml"
  download "$(manifest_url cdi "$CDI_VERSION")" "$CIB_HOME/manifests/cdi.yaml"
  download "$(manifest_url cdi-cr "$CDI_VERSION")" "$CIB_HOME/manifests/cdi-cr.yaml"

  cat > "$CIB_CONFIG_DIR/versions.env" <<EOF
# Written at image build by bake.sh; read by first-boot.sh. Pinned, never "latest".
KUBERNETES_VERSION=${KUBERNETES_VERSION}
KUBEVIRT_VERSION=${KUBEVIRT_VERSION}
CDI_VERSION=${CDI_VERSION}
FLANNEL_VERSION=${FLANNEL_VERSION}
LOCAL_PATH_VERSION=${LOCAL_PATH_VERSION}
EOF
  cat > "$CIB_CONFIG_DIR/installer.env" <<EOF
CIB_ADMIN_USER=${CIB_ADMIN_USER:-}
EOF
  chmod 0644 "$CIB_CONFIG_DIR/versions.env" "$CIB_CONFIG_DIR/installer.env"

  systemctl daemon-reload
  systemctl enable "$UNIT"
}

use_ssh_service_not_socket() {
  # Ubuntu >= 22.10 starts sshd through ssh.socket, which listens on port 22
  # from early boot: Before=ssh.service would then only stall connections.
  # Use the plain service so the port opens after the installer. Enablement
  # only: the running Packer session is not touched.
  if systemctl list-unit-files ssh.socket >/dev/null 2>&1 \
      && systemctl is-enabled ssh.socket >/dev/null 2>&1; then
    systemctl disable ssh.socket
    rm -f /etc/systemd/system/ssh.service.d/00-socket.conf /etc/systemd/system/ssh.socket.d/addresses.conf
    systemctl enable ssh.service
  fi
}

remove_instance_state() {
  # No Kubernetes state in the image: kubeadm runs at first boot.
  if [[ -e /etc/kubernetes/admin.conf ]]; then
    kubeadm reset -f
  fi
  rm -rf /etc/kubernetes/admin.conf /etc/kubernetes/pki /var/lib/etcd /etc/cni/net.d/* \
    /var/lib/cib-installer /root/.kube
  # Per-instance identity is created on first boot.
  # systemd generates a new one on the next boot when the file is empty.
  truncate -s 0 /etc/machine-id
  if [[ -f /var/lib/dbus/machine-id && ! -L /var/lib/dbus/machine-id ]]; then
    ln -sf /etc/machine-id /var/lib/dbus/machine-id
  fi
  if command -v cloud-init >/dev/null 2>&1; then
    cloud-init clean --logs
  fi
  # Packer's temporary key must not grant access to instances of the image;
  # cloud-init / the GCE guest agent install the instance's own keys.
  if [[ -n "${CIB_ADMIN_USER:-}" ]] && id "$CIB_ADMIN_USER" >/dev/null 2>&1; then
    rm -f "$(getent passwd "$CIB_ADMIN_USER" | cut -d: -f6)/.ssh/authorized_keys"
  fi
  "${APT_GET[@]}" clean
  rm -rf /var/lib/apt/lists/* "$CIB_INSTALLER_SRC"
  journalctl --rotate >/dev/null 2>&1 || true
  journalctl --vacuum-time=1s >/dev/null 2>&1 || true
}

main() {
  check_inputs
  log "bake: Kubernetes ${KUBERNETES_VERSION}, KubeVirt ${KUBEVIRT_VERSION}, CDI ${CDI_VERSION}, flannel ${FLANNEL_VERSION}, local-path ${LOCAL_PATH_VERSION}"
  wait_for_cloud_init
  install_base_packages
  configure_kernel
  install_kubernetes
  configure_containerd
  install_virtctl
  install_installer
  use_ssh_service_not_socket
  remove_instance_state
  log "bake: done"
}

main "$@"
