#!/usr/bin/env bash
# Functions shared by bake.sh (image build) and first-boot.sh (first boot).
#
# Sourcing this file only defines functions and constants: no side effects, no
# `set -e` (the callers set their own shell options). The "pure" functions take
# every path and value as an argument so tests can run them against temp files:
#   needs_emulation CPUINFO_PATH KVM_DEV_PATH
#   k8s_minor VERSION
#   require_pinned_version VALUE [NAME]
#   manifest_url KIND VERSION
#   render_kubeadm_config NODE_NAME K8S_VERSION [POD_CIDR] [CRI_SOCKET]
#   render_kubevirt_cr USE_EMULATION(true|false)
#   render_containerd_config DEFAULT_CONFIG_PATH PAUSE_IMAGE
#   pick_deb_version VERSION < "apt-cache madison" output
#   run_step NAME FUNCTION [ARGS...]   (stamps under $CIB_STATE_DIR)
# shellcheck shell=bash

# Pinned defaults for the components that are not pipeline variables. They are
# written to /etc/cib/versions.env at bake time; never "latest".
# shellcheck disable=SC2034 # used by the scripts that source this file
CIB_DEFAULT_FLANNEL_VERSION="v0.27.4"
CIB_DEFAULT_LOCAL_PATH_VERSION="v0.0.33"

CIB_POD_CIDR="10.244.0.0/16"
CIB_CRI_SOCKET="unix:///run/containerd/containerd.sock"

# Where run_step keeps its stamps; first-boot.sh and tests may override it.
: "${CIB_STATE_DIR:=/var/lib/cib-installer}"

log() {
  # stdout goes to the journal (and the serial console, see the unit).
  printf '[cib-installer] %s\n' "$*"
}

err() {
  printf '[cib-installer] ERROR: %s\n' "$*" >&2
}

# require_pinned_version VALUE [NAME]
# Succeeds for an explicit version (v1.8.2, v1.64.0, v0.0.33, v1.8.2-rc.1).
# Rejects empty values, "latest", "stable" and anything that is not vX.Y.Z[-suffix].
require_pinned_version() {
  local value="${1-}" name="${2:-version}"
  if [[ -z "$value" ]]; then
    err "$name is empty; a pinned version such as v1.2.3 is required"
    return 1
  fi
  if [[ ! "$value" =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$ ]]; then
    err "$name '$value' is not a pinned version (expected vX.Y.Z, never latest)"
    return 1
  fi
}

# k8s_minor VERSION -> prints vMAJOR.MINOR (v1.35.0 -> v1.35), as used in the
# pkgs.k8s.io repository path. Accepts the version with or without the "v".
k8s_minor() {
  local version="${1-}"
  if [[ "$version" =~ ^v?([0-9]+)\.([0-9]+)(\.[0-9]+)?$ ]]; then
    printf 'v%s.%s\n' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
  else
    err "cannot derive a Kubernetes minor version from '$version'"
    return 1
  fi
}

# k8s_apt_repo VERSION -> the pkgs.k8s.io Debian repository for its minor.
k8s_apt_repo() {
  local minor
  minor="$(k8s_minor "${1-}")" || return 1
  printf 'https://pkgs.k8s.io/core:/stable:/%s/deb/\n' "$minor"
}

# pick_deb_version VERSION: reads `apt-cache madison PKG` output on stdin and
# prints the newest package revision of exactly that upstream version
# (v1.35.0 -> 1.35.0-1.1). madison lists newest first.
pick_deb_version() {
  local want="${1#v}" line candidate
  while IFS= read -r line; do
    candidate="$(printf '%s\n' "$line" | awk -F'|' '{gsub(/ /, "", $2); print $2}')"
    if [[ "$candidate" == "$want"-* ]]; then
      printf '%s\n' "$candidate"
      return 0
    fi
  done
  err "no package revision for version $want"
  return 1
}

# manifest_url KIND VERSION -> release asset URL for a pinned version.
# KIND: kubevirt (operator), kubevirt-cr, cdi (operator), cdi-cr, flannel,
#       local-path, virtctl.
manifest_url() {
  local kind="${1-}" version="${2-}"
  require_pinned_version "$version" "$kind version" || return 1
  case "$kind" in
    kubevirt)    printf 'https://github.com/kubevirt/kubevirt/releases/download/%s/kubevirt-operator.yaml\n' "$version" ;;
    kubevirt-cr) printf 'https://github.com/kubevirt/kubevirt/releases/download/%s/kubevirt-cr.yaml\n' "$version" ;;
    virtctl)     printf 'https://github.com/kubevirt/kubevirt/releases/download/%s/virtctl-%s-linux-amd64\n' "$version" "$version" ;;
    cdi)         printf 'https://github.com/kubevirt/containerized-data-importer/releases/download/%s/cdi-operator.yaml\n' "$version" ;;
    cdi-cr)      printf 'https://github.com/kubevirt/containerized-data-importer/releases/download/%s/cdi-cr.yaml\n' "$version" ;;
    flannel)     printf 'https://github.com/flannel-io/flannel/releases/download/%s/kube-flannel.yml\n' "$version" ;;
    local-path)  printf 'https://raw.githubusercontent.com/rancher/local-path-provisioner/%s/deploy/local-path-storage.yaml\n' "$version" ;;
    *)
      err "unknown manifest kind '$kind'"
      return 1
      ;;
  esac
}

# has_virt_flags CPUINFO_PATH: the CPU advertises hardware virtualisation.
has_virt_flags() {
  local cpuinfo="${1-}"
  [[ -r "$cpuinfo" ]] && grep -Eq '^flags[[:space:]]*:.*\<(vmx|svm)\>' "$cpuinfo"
}

# needs_emulation CPUINFO_PATH KVM_DEV_PATH
# Exit 0 (emulation needed) unless the CPU has vmx/svm AND the KVM device
# exists. Without nested virtualisation (most cloud VMs) KubeVirt must use
# QEMU TCG: spec.configuration.developerConfiguration.useEmulation=true.
needs_emulation() {
  local cpuinfo="${1-}" kvm="${2-}"
  if has_virt_flags "$cpuinfo" && [[ -e "$kvm" ]]; then
    return 1
  fi
  return 0
}

# render_kubeadm_config NODE_NAME K8S_VERSION [POD_CIDR] [CRI_SOCKET]
# Single-node control plane; the node name is the hostname at first boot.
render_kubeadm_config() {
  local node="${1-}" version="${2-}" cidr="${3:-$CIB_POD_CIDR}" cri="${4:-$CIB_CRI_SOCKET}"
  if [[ -z "$node" ]]; then
    err "render_kubeadm_config: node name is empty"
    return 1
  fi
  require_pinned_version "$version" "kubernetes version" || return 1
  cat <<EOF
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
nodeRegistration:
  name: "${node}"
  criSocket: "${cri}"
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: "${version}"
networking:
  podSubnet: "${cidr}"
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: systemd
EOF
}

# render_kubevirt_cr USE_EMULATION: the KubeVirt CR, with software emulation
# set before the CR is first applied (not patched afterwards).
render_kubevirt_cr() {
  local emulation="${1-}"
  if [[ "$emulation" != "true" && "$emulation" != "false" ]]; then
    err "render_kubevirt_cr: expected true or false, got '$emulation'"
    return 1
  fi
  cat <<EOF
apiVersion: kubevirt.io/v1
kind: KubeVirt
metadata:
  name: kubevirt
  namespace: kubevirt
spec:
  certificateRotateStrategy: {}
  configuration:
    developerConfiguration:
      useEmulation: ${emulation}
      featureGates: []
  customizeComponents: {}
  imagePullPolicy: IfNotPresent
  workloadUpdateStrategy: {}
EOF
}

# render_containerd_config DEFAULT_CONFIG_PATH PAUSE_IMAGE
# Takes `containerd config default` output and turns on the systemd cgroup
# driver (kubelet's default since 1.22) and kubeadm's pause image. Handles
# config version 2 (containerd 1.7) and 3 (containerd 2.x).
render_containerd_config() {
  local src="${1-}" pause="${2-}" out
  if [[ ! -r "$src" ]]; then
    err "render_containerd_config: cannot read '$src'"
    return 1
  fi
  out="$(sed -E \
    -e 's/^([[:space:]]*)SystemdCgroup = false/\1SystemdCgroup = true/' \
    "$src")"
  if [[ -n "$pause" ]]; then
    out="$(printf '%s\n' "$out" | sed -E \
      -e "s|^([[:space:]]*)sandbox_image = .*|\\1sandbox_image = \"${pause}\"|" \
      -e "s|^([[:space:]]*)sandbox = .*|\\1sandbox = '${pause}'|")"
  fi
  if ! printf '%s\n' "$out" | grep -Eq '^[[:space:]]*SystemdCgroup = true'; then
    err "render_containerd_config: no SystemdCgroup setting found in '$src'"
    return 1
  fi
  printf '%s\n' "$out"
}

# step_done NAME: the stamp of step NAME exists.
step_done() {
  [[ -e "${CIB_STATE_DIR}/steps/${1-}.done" ]]
}

# run_step NAME FUNCTION [ARGS...]
# Runs FUNCTION once: skipped when its stamp exists, stamped only on success,
# so a failed or interrupted first boot resumes at the failed step. FUNCTION
# runs in a subshell: it cannot set variables for later steps.
run_step() {
  local name="${1-}" fn="${2-}"
  shift 2 || true
  if [[ -z "$name" || -z "$fn" ]]; then
    err "run_step: usage: run_step NAME FUNCTION [ARGS...]"
    return 2
  fi
  if step_done "$name"; then
    log "step $name: already done, skipping"
    return 0
  fi
  log "step $name: starting"
  local start=$SECONDS rc=0 errexit=0
  [[ $- == *e* ]] && errexit=1
  # Run the step in a subshell with errexit on and NOT inside `||`/`if`: bash
  # ignores `set -e` in functions called from such a context, so a failing
  # command in the middle of a step would go unnoticed and the step be stamped.
  set +e
  ( set -e; "$fn" "$@" )
  rc=$?
  if (( errexit )); then
    set -e
  fi
  if (( rc != 0 )); then
    err "step $name: failed with exit code $rc after $(( SECONDS - start ))s"
    return "$rc"
  fi
  mkdir -p "${CIB_STATE_DIR}/steps"
  date -u +%Y-%m-%dT%H:%M:%SZ > "${CIB_STATE_DIR}/steps/${name}.done"
  log "step $name: done in $(( SECONDS - start ))s"
}

# retry ATTEMPTS DELAY_SECONDS COMMAND [ARGS...]
retry() {
  local attempts="${1-}" delay="${2-}" i
  shift 2
  for (( i = 1; i <= attempts; i++ )); do
    if "$@"; then
      return 0
    fi
    if (( i < attempts )); then
      sleep "$delay"
    fi
  done
  err "gave up after $attempts attempts: $*"
  return 1
}

# download URL DEST: fetch with retries, fail on HTTP errors, write atomically.
download() {
  local url="${1-}" dest="${2-}"
  curl -fsSL --retry 5 --retry-delay 5 --retry-connrefused -o "${dest}.part" "$url" \
    && mv -f "${dest}.part" "$dest"
}
