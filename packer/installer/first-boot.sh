#!/usr/bin/env bash
# First-boot installer: single-node Kubernetes (kubeadm) + flannel +
# local-path-provisioner + KubeVirt + CDI. Run by kubevirt-installer.service,
# which orders itself before ssh, so SSH opens only when this has finished
# (or failed). Output goes to the journal and the serial console.
#
# Idempotent: every step is stamped under $CIB_STATE_DIR/steps and skipped on
# a re-run, so a failed boot resumes where it stopped on the next boot (the
# unit runs again until /var/lib/cib-installer/done exists).
#
# kubeadm runs here, not at image build: the node name and certificates must
# match the instance's own hostname and address.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

CIB_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/installer-lib.sh
source "${CIB_HOME}/lib/installer-lib.sh"

CIB_CONFIG_DIR="${CIB_CONFIG_DIR:-/etc/cib}"
CIB_MANIFEST_DIR="${CIB_MANIFEST_DIR:-${CIB_HOME}/manifests}"
CIB_CPUINFO="${CIB_CPUINFO:-/proc/cpuinfo}"
CIB_KVM_DEV="${CIB_KVM_DEV:-/dev/kvm}"
CIB_WAIT_TIMEOUT="${CIB_WAIT_TIMEOUT:-1800s}"
# Overridable for dry runs with stubbed commands (tests).
CIB_ADMIN_CONF="${CIB_ADMIN_CONF:-/etc/kubernetes/admin.conf}"
CIB_ROOT_KUBE_DIR="${CIB_ROOT_KUBE_DIR:-/root/.kube}"
export KUBECONFIG="$CIB_ADMIN_CONF"

on_error() {
  err "first boot failed at line $1 (exit $2); the unit retries on the next boot from the failed step"
}
trap 'on_error "$LINENO" "$?"' ERR

load_config() {
  # shellcheck source=/dev/null
  source "${CIB_CONFIG_DIR}/versions.env"
  if [[ -r "${CIB_CONFIG_DIR}/installer.env" ]]; then
    # shellcheck source=/dev/null
    source "${CIB_CONFIG_DIR}/installer.env"
  fi
  require_pinned_version "${KUBERNETES_VERSION-}" KUBERNETES_VERSION
  require_pinned_version "${KUBEVIRT_VERSION-}" KUBEVIRT_VERSION
  require_pinned_version "${CDI_VERSION-}" CDI_VERSION
  require_pinned_version "${FLANNEL_VERSION-}" FLANNEL_VERSION
  require_pinned_version "${LOCAL_PATH_VERSION-}" LOCAL_PATH_VERSION
}

# manifest KIND VERSION -> path of the manifest: the copy baked into the image,
# or a fresh download of the same pinned release.
manifest() {
  local kind="$1" version="$2" baked="${CIB_MANIFEST_DIR}/$1.yaml" fetched
  if [[ -s "$baked" ]]; then
    printf '%s\n' "$baked"
    return 0
  fi
  fetched="${CIB_STATE_DIR}/manifests/${kind}-${version}.yaml"
  mkdir -p "${CIB_STATE_DIR}/manifests"
  download "$(manifest_url "$kind" "$version")" "$fetched" >&2
  printf '%s\n' "$fetched"
}

step_host_prerequisites() {
  swapoff -a
  modprobe overlay
  modprobe br_netfilter
  sysctl --system >/dev/null
  systemctl start containerd
}

step_kubeadm_init() {
  if [[ -s "$CIB_ADMIN_CONF" ]]; then
    log "kubeadm: $CIB_ADMIN_CONF exists, cluster already initialised"
    return 0
  fi
  local node config
  node="$(hostname)"
  config="${CIB_STATE_DIR}/kubeadm-config.yaml"
  render_kubeadm_config "$node" "$KUBERNETES_VERSION" > "$config"
  log "kubeadm init for node ${node} (Kubernetes ${KUBERNETES_VERSION})"
  kubeadm init --config "$config" --node-name "$node" --skip-token-print
  printf '%s\n' "$node" > "${CIB_STATE_DIR}/node-name"
}

step_kubeconfig() {
  install -d -m 0700 "$CIB_ROOT_KUBE_DIR"
  install -m 0600 "$CIB_ADMIN_CONF" "$CIB_ROOT_KUBE_DIR/config"
  local user="${CIB_ADMIN_USER-}" home
  if [[ -n "$user" ]] && id "$user" >/dev/null 2>&1; then
    home="$(getent passwd "$user" | cut -d: -f6)"
    install -d -m 0700 -o "$user" -g "$(id -gn "$user")" "${home}/.kube"
    install -m 0600 -o "$user" -g "$(id -gn "$user")" "$CIB_ADMIN_CONF" "${home}/.kube/config"
  fi
}

step_untaint_control_plane() {
  # Single node: workloads must schedule on the control plane.
  if kubectl get nodes -o jsonpath='{.items[*].spec.taints[*].key}' \
      | grep -qw 'node-role.kubernetes.io/control-plane'; then
    kubectl taint nodes --all node-role.kubernetes.io/control-plane-
  fi
}

step_flannel() {
  local file
  file="$(manifest flannel "$FLANNEL_VERSION")"
  kubectl apply -f "$file"
}

step_wait_node_ready() {
  kubectl wait node --all --for=condition=Ready --timeout=600s
  kubectl -n kube-system wait deployment/coredns --for=condition=Available --timeout=600s
}

step_local_path() {
  local file
  file="$(manifest local-path "$LOCAL_PATH_VERSION")"
  kubectl apply -f "$file"
  kubectl patch storageclass local-path --type=merge \
    -p '{"metadata":{"annotations":{"storageclass.kubernetes.io/is-default-class":"true"}}}'
  kubectl -n local-path-storage wait deployment/local-path-provisioner --for=condition=Available --timeout=600s
}

# Prints true when KubeVirt must use software emulation (no /dev/kvm).
decide_emulation() {
  if has_virt_flags "$CIB_CPUINFO" && [[ ! -e "$CIB_KVM_DEV" ]]; then
    modprobe kvm_intel 2>/dev/null || modprobe kvm_amd 2>/dev/null || true
  fi
  if needs_emulation "$CIB_CPUINFO" "$CIB_KVM_DEV"; then
    printf 'true\n'
  else
    printf 'false\n'
  fi
}

step_kubevirt() {
  local emulation cr operator
  emulation="$(decide_emulation)"
  printf '%s\n' "$emulation" > "${CIB_STATE_DIR}/use-emulation"
  log "KubeVirt ${KUBEVIRT_VERSION}: useEmulation=${emulation}"
  operator="$(manifest kubevirt "$KUBEVIRT_VERSION")"
  kubectl apply -f "$operator"
  kubectl wait crd/kubevirts.kubevirt.io --for=condition=Established --timeout=300s
  cr="${CIB_STATE_DIR}/kubevirt-cr.yaml"
  render_kubevirt_cr "$emulation" > "$cr"
  kubectl apply -f "$cr"
  kubectl -n kubevirt wait kv kubevirt --for=condition=Available --timeout="$CIB_WAIT_TIMEOUT"
}

step_cdi() {
  local operator cr
  operator="$(manifest cdi "$CDI_VERSION")"
  cr="$(manifest cdi-cr "$CDI_VERSION")"
  kubectl apply -f "$operator"
  kubectl wait crd/cdis.cdi.kubevirt.io --for=condition=Established --timeout=300s
  kubectl apply -f "$cr"
  kubectl wait cdi cdi --for=condition=Available --timeout="$CIB_WAIT_TIMEOUT"
}

storage_profile_exists() {
  kubectl get storageprofile local-path >/dev/null 2>&1
}

step_storage_profile() {
  # CDI knows no capabilities for rancher.io/local-path; without these a
  # DataVolume using spec.storage fails with "missing accessMode".
  retry 60 5 storage_profile_exists
  kubectl patch storageprofile local-path --type=merge \
    -p '{"spec":{"claimPropertySets":[{"accessModes":["ReadWriteOnce"],"volumeMode":"Filesystem"}]}}'
}

main() {
  mkdir -p "$CIB_STATE_DIR"
  load_config
  log "first boot on $(hostname): Kubernetes ${KUBERNETES_VERSION}, KubeVirt ${KUBEVIRT_VERSION}, CDI ${CDI_VERSION}, flannel ${FLANNEL_VERSION}, local-path ${LOCAL_PATH_VERSION}"
  # Cheap and idempotent, and modules/swap do not survive a reboot: every run.
  step_host_prerequisites
  run_step kubeadm-init step_kubeadm_init
  run_step kubeconfig step_kubeconfig
  run_step untaint-control-plane step_untaint_control_plane
  run_step flannel step_flannel
  run_step node-ready step_wait_node_ready
  run_step local-path step_local_path
  run_step kubevirt step_kubevirt
  run_step cdi step_cdi
  run_step storage-profile step_storage_profile
  date -u +%Y-%m-%dT%H:%M:%SZ > "${CIB_STATE_DIR}/done"
  # A fixed marker a verifier can look for in the serial console output.
  log "CIB-INSTALLER-DONE kubevirt=${KUBEVIRT_VERSION} cdi=${CDI_VERSION} kubernetes=${KUBERNETES_VERSION}"
}

main "$@"
