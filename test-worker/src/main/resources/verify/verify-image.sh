#!/usr/bin/env bash
# verify-image.sh: proves that a freshly booted cloud-image-builder image really runs a KubeVirt VM.
#
# The test-worker sends this script over SSH (`sudo -n bash -s -- ARGS`); it also runs by hand on an instance:
#   sudo bash verify-image.sh --run-id manual1
#
# Steps, each under its own `timeout`, each printing exactly one machine-readable line on stdout:
#   node-ready, default-storage-class, datavolume-import, vmi-running, guest-booted, cleanup
#   CIB-STEP-BEGIN {"name":"...","timeoutSeconds":N}          (a step starts)
#   CIB-STEP {"name":"...","status":"passed|failed|skipped","durationMillis":N,"evidence":"..."}
#   CIB-VERSIONS {"kubernetes":"...","kubevirt":"...","cdi":"..."}   (last line; null when unknown)
# Progress goes to stderr. Once a step fails the later ones are reported as skipped; cleanup always runs
# (EXIT trap) and deletes only what this run created. Exit status: 0 all passed, 1 a step failed, 2 bad usage.
#
# Parameters (an argument beats the environment variable):
#   --run-id ID                  CIB_RUN_ID               default: <UTC timestamp>-<pid>
#   --namespace NAME             CIB_NAMESPACE            default: cib-verify-<run id>
#   --image-url URL              CIB_IMAGE_URL            default: cirros 0.6.3 x86_64 (see below)
#   --local-path-manifest URL    CIB_LOCAL_PATH_MANIFEST  installed only when no default storage class exists
#   --timeout-node-ready S       CIB_TIMEOUT_NODE_READY       default 600
#   --timeout-storage-class S    CIB_TIMEOUT_STORAGE_CLASS    default 300
#   --timeout-import S           CIB_TIMEOUT_IMPORT           default 900
#   --timeout-vmi-running S      CIB_TIMEOUT_VMI_RUNNING      default 600
#   --timeout-guest-booted S     CIB_TIMEOUT_GUEST_BOOTED     default 600
#   --timeout-cleanup S          CIB_TIMEOUT_CLEANUP          default 300
#   --poll-interval S            CIB_POLL_INTERVAL            default 5 (fractions allowed)
#   --request-timeout S          CIB_REQUEST_TIMEOUT          default 30 (one kubectl API request)
#   --console-window S           CIB_CONSOLE_WINDOW           default 10 (virtctl console fallback, per attempt)
#   --kubeconfig PATH            KUBECONFIG                   default: /etc/kubernetes/admin.conf if readable
set -euo pipefail
# Command substitutions keep -e, so a failing kubectl inside $(...) fails the step instead of reading as "empty".
shopt -s inherit_errexit

readonly CIB_DEFAULT_IMAGE_URL=https://download.cirros-cloud.net/0.6.3/cirros-0.6.3-x86_64-disk.img
readonly CIB_DEFAULT_LOCAL_PATH_MANIFEST=https://raw.githubusercontent.com/rancher/local-path-provisioner/v0.0.33/deploy/local-path-storage.yaml
# KubeVirt's own tests wait for this cirros banner line; the prompt line carries the VM name instead.
# shellcheck disable=SC2089 # the quotes are part of the text to find, not shell syntax
readonly CIB_LOGIN_MARKER="login as 'cirros' user"
readonly CIB_VM=cib-cirros

usage() {
  echo "usage: verify-image.sh [--run-id ID] [--namespace NAME] [--image-url URL] [--timeout-<step> SECONDS]..." >&2
}

# The header comment is the manual; only available when the script runs from a file.
show_help() {
  sed -n '2,/^set -euo pipefail/p' "${BASH_SOURCE[0]:-/dev/null}" 2>/dev/null | sed -e '$d' -e 's/^# \{0,1\}//' >&2 || true
  usage
}

die_usage() {
  echo "verify-image.sh: $*" >&2
  usage
  exit 2
}

# ---------------------------------------------------------------------------------------------------------------
# Helpers, exported so that each step (run as `bash -c step_x` under `timeout`) has them too.

# Prints $1 as a JSON string literal. Control characters other than \n \r \t are dropped; evidence is capped.
json_escape() {
  local s=${1:0:400}
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\r'/\\r}
  s=${s//$'\t'/\\t}
  s=$(printf '%s' "$s" | tr -d '\000-\010\013\014\016-\037')
  printf '"%s"' "$s"
}

# Prints $1 as a JSON string, or null when empty.
json_or_null() {
  if [[ -n $1 ]]; then json_escape "$1"; else printf 'null'; fi
}

now_ms() {
  local t=${EPOCHREALTIME:-}
  if [[ -n $t ]]; then
    t=${t//[.,]/}
    printf '%s' $((10#$t / 1000))
  else
    date +%s%3N
  fi
}

say() {
  printf '[verify %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2
}

# The latest observation of the running step; reported as its evidence when it fails or times out.
evidence() {
  printf '%s' "$*" >"$CIB_EVIDENCE_FILE"
}

last_line() {
  local text=${1%$'\n'}
  printf '%s' "${text##*$'\n'}"
}

# kubectl with a bound on each API request, so a hung API server cannot stall a poll loop.
# Not used for `kubectl wait`, whose watch must outlive a single request.
kc() {
  kubectl --request-timeout="${CIB_REQUEST_TIMEOUT}s" "$@"
}

# try WHAT CMD...: runs CMD and prints its stdout; on failure records "WHAT: <last stderr line>" as evidence.
try() {
  local what=$1 out rc=0
  shift
  out=$("$@" 2>"$CIB_STDERR_FILE") || rc=$?
  if ((rc != 0)); then
    evidence "$what: $(last_line "$(<"$CIB_STDERR_FILE")")"
    say "$what (exit $rc): $(<"$CIB_STDERR_FILE")"
    return "$rc"
  fi
  printf '%s' "$out"
}

# log_try WHAT CMD...: like try, but the command's output goes to the log (stderr), line by line.
log_try() {
  local out
  out=$(try "$@") || return
  if [[ -n $out ]]; then printf '%s\n' "$out" >&2; fi
}

pause() {
  sleep "$CIB_POLL_INTERVAL"
}

# Names of the default storage classes (current or beta annotation), one per line.
default_storage_classes() {
  local listing name current beta
  listing=$(try "cannot list storage classes" kc get storageclass -o \
    jsonpath='{range .items[*]}{.metadata.name}{"\t"}{.metadata.annotations.storageclass\.kubernetes\.io/is-default-class}{"\t"}{.metadata.annotations.storageclass\.beta\.kubernetes\.io/is-default-class}{"\n"}{end}') ||
    return
  while IFS=$'\t' read -r name current beta; do
    if [[ -n $name && ($current == true || $beta == true) ]]; then
      printf '%s\n' "$name"
    fi
  done <<<"$listing"
}

# ---------------------------------------------------------------------------------------------------------------
# Steps. Each runs in its own bash under `timeout`; a non-zero exit fails the step with the latest evidence.

step_node_ready() {
  local nodes
  evidence "cannot list nodes"
  nodes=$(try "cannot list nodes" kc get nodes -o jsonpath='{range .items[*]}{.metadata.name}{" "}{end}')
  nodes=${nodes% }
  if [[ -z $nodes ]]; then
    evidence "no node registered"
    return 1
  fi
  evidence "waiting for node(s) $nodes to be Ready"
  say "waiting for node(s) $nodes to be Ready"
  log_try "node(s) $nodes not Ready" kubectl wait node --all --for=condition=Ready \
    --timeout="${CIB_TIMEOUT_NODE_READY}s"
  evidence "waiting for kv kubevirt to be Available"
  log_try "kv kubevirt not Available" kubectl -n kubevirt wait kv kubevirt --for=condition=Available \
    --timeout="${CIB_TIMEOUT_NODE_READY}s"
  evidence "waiting for cdi cdi to be Available"
  log_try "cdi cdi not Available" kubectl wait cdi cdi --for=condition=Available \
    --timeout="${CIB_TIMEOUT_NODE_READY}s"
  evidence "node(s) $nodes Ready; kv kubevirt Available; cdi cdi Available"
}

step_default_storage_class() {
  local defaults
  evidence "cannot list storage classes"
  defaults=$(default_storage_classes) || return
  if [[ -n $defaults ]]; then
    evidence "default storage class: ${defaults//$'\n'/, }"
    return 0
  fi
  say "no default storage class; installing local-path-provisioner from $CIB_LOCAL_PATH_MANIFEST"
  # Recorded before applying: a partly applied manifest must still be cleaned up.
  : >"$CIB_STATE_DIR/created-storage"
  evidence "no default storage class; applying $CIB_LOCAL_PATH_MANIFEST"
  log_try "cannot apply local-path-provisioner" kc apply -f "$CIB_LOCAL_PATH_MANIFEST"
  evidence "waiting for deployment local-path-provisioner to be Available"
  log_try "local-path-provisioner not Available" kubectl -n local-path-storage wait deployment/local-path-provisioner \
    --for=condition=Available --timeout="${CIB_TIMEOUT_STORAGE_CLASS}s"
  log_try "cannot mark local-path as default" kc patch storageclass local-path \
    -p '{"metadata":{"annotations":{"storageclass.kubernetes.io/is-default-class":"true"}}}'
  defaults=$(default_storage_classes) || return
  if [[ $'\n'$defaults$'\n' != *$'\nlocal-path\n'* ]]; then
    evidence "local-path was applied and patched but is not the default storage class (defaults: ${defaults:-none})"
    return 1
  fi
  evidence "no default storage class found; created local-path (local-path-provisioner) as default"
}

step_datavolume_import() {
  local status phase progress seen=""
  evidence "creating namespace $CIB_NAMESPACE"
  log_try "cannot create namespace $CIB_NAMESPACE" kc create -f - <<EOF
apiVersion: v1
kind: Namespace
metadata:
  name: ${CIB_NAMESPACE}
  labels:
    app.kubernetes.io/managed-by: cib-verify
    cib.kubevirt.io/run-id: "${CIB_RUN_ID}"
EOF
  # Only a namespace this run created is deleted by cleanup.
  : >"$CIB_STATE_DIR/created-namespace"
  evidence "creating datavolume $CIB_VM"
  # accessModes: CDI has no StorageProfile for local-path; the annotation: WaitForFirstConsumer would stall it.
  log_try "cannot create datavolume $CIB_VM" kc -n "$CIB_NAMESPACE" apply -f - <<EOF
apiVersion: cdi.kubevirt.io/v1beta1
kind: DataVolume
metadata:
  name: ${CIB_VM}
  namespace: ${CIB_NAMESPACE}
  annotations:
    cdi.kubevirt.io/storage.bind.immediate.requested: "true"
spec:
  source:
    http:
      url: "${CIB_IMAGE_URL}"
  storage:
    accessModes:
      - ReadWriteOnce
    volumeMode: Filesystem
    resources:
      requests:
        storage: 1Gi
EOF
  while :; do
    if status=$(try "cannot read datavolume $CIB_VM" kc -n "$CIB_NAMESPACE" get datavolume "$CIB_VM" \
      -o jsonpath='{.status.phase}{"\t"}{.status.progress}'); then
      IFS=$'\t' read -r phase progress <<<"$status" || true
      evidence "datavolume $CIB_VM phase=${phase:-<none>} progress=${progress:-n/a}"
      if [[ $phase != "$seen" ]]; then
        say "datavolume $CIB_VM phase=${phase:-<none>} progress=${progress:-n/a}"
        seen=$phase
      fi
      case $phase in
        Succeeded) return 0 ;;
        Failed) return 1 ;;
      esac
    fi
    pause
  done
}

step_vmi_running() {
  local phase status seen=""
  evidence "creating virtualmachine $CIB_VM"
  log_try "cannot create virtualmachine $CIB_VM" kc -n "$CIB_NAMESPACE" apply -f - <<EOF
apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: ${CIB_VM}
  namespace: ${CIB_NAMESPACE}
spec:
  runStrategy: Always
  template:
    metadata:
      labels:
        kubevirt.io/vm: ${CIB_VM}
    spec:
      terminationGracePeriodSeconds: 0
      domain:
        devices:
          # Streams the serial console into the guest-console-log container: proof of boot without a TTY.
          logSerialConsole: true
          disks:
            - name: rootdisk
              disk:
                bus: virtio
            - name: cloudinitdisk
              disk:
                bus: virtio
        resources:
          requests:
            memory: 128Mi
      volumes:
        - name: rootdisk
          dataVolume:
            name: ${CIB_VM}
        - name: cloudinitdisk
          cloudInitNoCloud:
            userData: |
              #!/bin/sh
              echo 'cib-verify cloud-init ran'
EOF
  while :; do
    # --ignore-not-found: the VMI appears only once the VM controller starts it; absent is not an error.
    phase=$(try "cannot read vmi $CIB_VM" kc -n "$CIB_NAMESPACE" get vmi "$CIB_VM" --ignore-not-found \
      -o jsonpath='{.status.phase}') || phase="?"
    status=$(try "cannot read vm $CIB_VM" kc -n "$CIB_NAMESPACE" get vm "$CIB_VM" \
      -o jsonpath='{.status.printableStatus}') || status="?"
    evidence "vmi $CIB_VM phase=${phase:-<not created>}; vm printableStatus=${status:-<none>}"
    if [[ $phase/$status != "$seen" ]]; then
      say "vmi $CIB_VM phase=${phase:-<not created>}; vm printableStatus=${status:-<none>}"
      seen=$phase/$status
    fi
    case $phase in
      Running) return 0 ;;
      Failed | Succeeded) return 1 ;;
    esac
    pause
  done
}

# Prints what `virtctl console` shows within $1 seconds. virtctl stays silent without a TTY, hence script(1).
console_via_virtctl() {
  local seconds=$1
  if ! command -v script >/dev/null 2>&1; then
    say "script(1) is missing; cannot read the console with virtctl"
    return 1
  fi
  # A carriage return each second makes getty print its prompt again; the writer dies of SIGPIPE once script exits.
  { for ((i = 0; i < seconds; i++)); do sleep 1; printf '\r'; done; } |
    timeout --kill-after=2 "$((seconds + 1))" \
      script -qfec "virtctl console --namespace $CIB_NAMESPACE $CIB_VM" /dev/null 2>&1 || true
}

step_guest_booted() {
  local pods pod containers console lines window=$CIB_CONSOLE_WINDOW
  # Leave room for more than one console attempt within the step.
  if ((window > CIB_TIMEOUT_GUEST_BOOTED / 2)); then window=$((CIB_TIMEOUT_GUEST_BOOTED / 2)); fi
  if ((window < 1)); then window=1; fi
  while :; do
    pods=$(try "cannot list virt-launcher pods" kc -n "$CIB_NAMESPACE" get pods -l "vm.kubevirt.io/name=$CIB_VM" \
      -o jsonpath='{range .items[*]}{.metadata.name}{"\t"}{.spec.containers[*].name}{"\n"}{end}') || pods=""
    IFS=$'\t' read -r pod containers <<<"$pods" || true
    if [[ -z $pod ]]; then
      evidence "no virt-launcher pod for vm $CIB_VM"
    elif [[ " $containers " == *" guest-console-log "* ]]; then
      if console=$(try "cannot read guest-console-log of $pod" kc -n "$CIB_NAMESPACE" logs "$pod" -c guest-console-log); then
        if [[ $console == *"$CIB_LOGIN_MARKER"* ]]; then
          evidence "serial console of $CIB_VM shows: $CIB_LOGIN_MARKER"
          return 0
        fi
        lines=$(printf '%s' "$console" | wc -l)
        evidence "no login marker in the serial console yet ($lines lines); last: $(last_line "$console")"
      fi
    else
      # Older KubeVirt, or a cluster that disabled the console log: fall back to virtctl console.
      evidence "pod $pod has no guest-console-log container; reading the console with virtctl"
      console=$(console_via_virtctl "$window") || console=""
      if [[ $console == *"$CIB_LOGIN_MARKER"* || $console == *"$CIB_VM login:"* ]]; then
        evidence "virtctl console of $CIB_VM shows the cirros login prompt"
        return 0
      fi
      evidence "virtctl console of $CIB_VM shows no login prompt yet; last: $(last_line "$console")"
    fi
    pause
  done
}

step_cleanup() {
  local deleted=() leftover
  if [[ -e $CIB_STATE_DIR/created-namespace ]]; then
    evidence "deleting namespace $CIB_NAMESPACE"
    say "deleting namespace $CIB_NAMESPACE (vm, vmi, datavolume, pvc)"
    log_try "cannot delete namespace $CIB_NAMESPACE" kubectl delete namespace "$CIB_NAMESPACE" --ignore-not-found \
      --wait=true --timeout="${CIB_TIMEOUT_CLEANUP}s"
    # reclaimPolicy Delete: the provisioner removes the PVs after the claims are gone.
    while :; do
      leftover=$(try "cannot list persistent volumes" kc get pv -o \
        jsonpath="{range .items[?(@.spec.claimRef.namespace==\"$CIB_NAMESPACE\")]}{.metadata.name}{\" \"}{end}")
      leftover=${leftover% }
      [[ -z $leftover ]] && break
      evidence "namespace $CIB_NAMESPACE deleted; persistent volumes left: $leftover"
      pause
    done
    deleted+=("namespace $CIB_NAMESPACE (vm, vmi, datavolume, pvc) and its persistent volumes")
  fi
  if [[ -e $CIB_STATE_DIR/created-storage ]]; then
    evidence "deleting local-path-provisioner"
    say "deleting local-path-provisioner"
    log_try "cannot delete local-path-provisioner" kubectl delete -f "$CIB_LOCAL_PATH_MANIFEST" --ignore-not-found \
      --wait=true --timeout="${CIB_TIMEOUT_CLEANUP}s"
    deleted+=("local-path-provisioner and storage class local-path")
  fi
  if ((${#deleted[@]} == 0)); then
    evidence "nothing was created, nothing to delete"
  else
    local joined
    joined=$(printf '%s; ' "${deleted[@]}")
    evidence "deleted ${joined%; }"
  fi
}

# ---------------------------------------------------------------------------------------------------------------
# Reporting and orchestration (main shell only).

CIB_FAILED_STEP=""
CIB_CURRENT_STEP=""
CIB_CURRENT_START=0
CIB_STEP_PID=""
CIB_INTERRUPTED=""
CIB_STARTED=""
declare -A CIB_REPORTED=()

report_step() {
  local name=$1 status=$2 duration=$3 text=$4
  printf 'CIB-STEP {"name":%s,"status":%s,"durationMillis":%d,"evidence":%s}\n' \
    "$(json_escape "$name")" "$(json_escape "$status")" "$duration" "$(json_escape "$text")"
  CIB_REPORTED[$name]=1
}

current_evidence() {
  if [[ -s $CIB_EVIDENCE_FILE ]]; then cat "$CIB_EVIDENCE_FILE"; fi
}

# run_step NAME SECONDS FUNCTION
run_step() {
  local name=$1 seconds=$2 fn=$3 rc=0 text duration
  if [[ -n $CIB_FAILED_STEP ]]; then
    report_step "$name" skipped 0 "not run: $CIB_FAILED_STEP failed"
    return 0
  fi
  printf 'CIB-STEP-BEGIN {"name":%s,"timeoutSeconds":%d}\n' "$(json_escape "$name")" "$seconds"
  say "step $name (timeout ${seconds}s)"
  CIB_CURRENT_STEP=$name
  CIB_CURRENT_START=$(now_ms)
  : >"$CIB_EVIDENCE_FILE"
  # In the background so that `wait` lets the TERM trap run at once; its own process group via timeout.
  timeout --kill-after=5 "$seconds" bash -euo pipefail -O inherit_errexit -c "$fn" &
  CIB_STEP_PID=$!
  wait "$CIB_STEP_PID" || rc=$?
  CIB_STEP_PID=""
  duration=$(($(now_ms) - CIB_CURRENT_START))
  CIB_CURRENT_STEP=""
  text=$(current_evidence)
  if ((rc == 0)); then
    report_step "$name" passed "$duration" "${text:-ok}"
    return 0
  fi
  if ((rc == 124 || rc == 137)); then
    text="timed out after ${seconds}s; last: ${text:-no progress recorded}"
  fi
  report_step "$name" failed "$duration" "${text:-exit status $rc}"
  CIB_FAILED_STEP=$name
}

server_git_version() {
  local json=${1//[$' \t\r\n']/}
  local re='"serverVersion":\{[^}]*"gitVersion":"([^"]*)"'
  if [[ $json =~ $re ]]; then printf '%s' "${BASH_REMATCH[1]}"; fi
}

report_versions() {
  local json kubernetes="" kubevirt="" cdi="" observed operator
  json=$(kc version -o json 2>/dev/null) || true
  kubernetes=$(server_git_version "$json")
  kubevirt=$(kc -n kubevirt get kv kubevirt -o jsonpath='{.status.observedKubeVirtVersion}' 2>/dev/null) || kubevirt=""
  cdi=$(kc get cdi cdi -o jsonpath='{.status.observedVersion}{"\t"}{.status.operatorVersion}' 2>/dev/null) || cdi=""
  IFS=$'\t' read -r observed operator <<<"$cdi" || true
  cdi=${observed:-${operator:-}}
  printf 'CIB-VERSIONS {"kubernetes":%s,"kubevirt":%s,"cdi":%s}\n' \
    "$(json_or_null "$kubernetes")" "$(json_or_null "$kubevirt")" "$(json_or_null "$cdi")"
}

on_signal() {
  CIB_INTERRUPTED=$1
  if [[ -n $CIB_STEP_PID ]]; then
    kill -TERM "$CIB_STEP_PID" 2>/dev/null || true
    wait "$CIB_STEP_PID" 2>/dev/null || true
    CIB_STEP_PID=""
  fi
  exit "$2"
}

# Runs on every exit: reports what is left, always cleans up, then the versions.
on_exit() {
  local rc=$? step cleanup_seconds=$CIB_TIMEOUT_CLEANUP
  trap - EXIT
  # Remember a further signal but keep going: ignoring it instead would be inherited by the cleanup step.
  trap 'CIB_INTERRUPTED=${CIB_INTERRUPTED:-SIGTERM}' TERM
  trap 'CIB_INTERRUPTED=${CIB_INTERRUPTED:-SIGINT}' INT
  trap 'CIB_INTERRUPTED=${CIB_INTERRUPTED:-SIGHUP}' HUP
  if [[ -z $CIB_STARTED ]]; then
    exit "$rc"
  fi
  if [[ -n $CIB_CURRENT_STEP ]]; then
    local text
    text=$(current_evidence)
    report_step "$CIB_CURRENT_STEP" failed $(($(now_ms) - CIB_CURRENT_START)) \
      "interrupted by ${CIB_INTERRUPTED:-exit status $rc}; last: ${text:-no progress recorded}"
    CIB_FAILED_STEP=${CIB_FAILED_STEP:-$CIB_CURRENT_STEP}
    CIB_CURRENT_STEP=""
  fi
  for step in node-ready default-storage-class datavolume-import vmi-running guest-booted; do
    if [[ -z ${CIB_REPORTED[$step]:-} ]]; then
      CIB_FAILED_STEP=${CIB_FAILED_STEP:-"the script (exit status $rc)"}
      report_step "$step" skipped 0 "not run: $CIB_FAILED_STEP failed"
    fi
  done
  # Interrupted (the caller's whole-run timeout): keep cleanup short enough to report before being killed.
  if [[ -n $CIB_INTERRUPTED ]] && ((cleanup_seconds > 8)); then
    cleanup_seconds=8
  fi
  local failed_before=$CIB_FAILED_STEP
  CIB_FAILED_STEP=""
  run_step cleanup "$cleanup_seconds" step_cleanup || true
  report_versions || true
  rm -rf "$CIB_STATE_DIR"
  if [[ -n $failed_before || -n $CIB_FAILED_STEP ]]; then
    exit 1
  fi
  exit "$rc"
}

parse_args() {
  while (($# > 0)); do
    case $1 in
      --run-id) CIB_RUN_ID=${2:?--run-id needs a value}; shift 2 ;;
      --namespace) CIB_NAMESPACE=${2:?--namespace needs a value}; shift 2 ;;
      --image-url) CIB_IMAGE_URL=${2:?--image-url needs a value}; shift 2 ;;
      --local-path-manifest) CIB_LOCAL_PATH_MANIFEST=${2:?--local-path-manifest needs a value}; shift 2 ;;
      --timeout-node-ready) CIB_TIMEOUT_NODE_READY=${2:?}; shift 2 ;;
      --timeout-storage-class) CIB_TIMEOUT_STORAGE_CLASS=${2:?}; shift 2 ;;
      --timeout-import) CIB_TIMEOUT_IMPORT=${2:?}; shift 2 ;;
      --timeout-vmi-running) CIB_TIMEOUT_VMI_RUNNING=${2:?}; shift 2 ;;
      --timeout-guest-booted) CIB_TIMEOUT_GUEST_BOOTED=${2:?}; shift 2 ;;
      --timeout-cleanup) CIB_TIMEOUT_CLEANUP=${2:?}; shift 2 ;;
      --poll-interval) CIB_POLL_INTERVAL=${2:?}; shift 2 ;;
      --console-window) CIB_CONSOLE_WINDOW=${2:?}; shift 2 ;;
      --request-timeout) CIB_REQUEST_TIMEOUT=${2:?}; shift 2 ;;
      --kubeconfig) KUBECONFIG=${2:?}; export KUBECONFIG; shift 2 ;;
      -h | --help) show_help; exit 0 ;;
      *) die_usage "unknown argument: $1" ;;
    esac
  done
}

validate() {
  local var
  for var in CIB_TIMEOUT_NODE_READY CIB_TIMEOUT_STORAGE_CLASS CIB_TIMEOUT_IMPORT CIB_TIMEOUT_VMI_RUNNING \
    CIB_TIMEOUT_GUEST_BOOTED CIB_TIMEOUT_CLEANUP CIB_REQUEST_TIMEOUT CIB_CONSOLE_WINDOW; do
    [[ ${!var} =~ ^[1-9][0-9]{0,5}$ ]] || die_usage "$var must be a whole number of seconds, not '${!var}'"
  done
  [[ $CIB_POLL_INTERVAL =~ ^[0-9]{1,4}(\.[0-9]{1,3})?$ ]] || die_usage "bad poll interval '$CIB_POLL_INTERVAL'"
  [[ ${#CIB_NAMESPACE} -le 63 && $CIB_NAMESPACE =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] ||
    die_usage "namespace '$CIB_NAMESPACE' is not a DNS-1123 label (lower case, digits, '-', at most 63)"
  [[ $CIB_IMAGE_URL =~ ^https?://[^[:space:]\"]+$ ]] || die_usage "image url must be http(s): '$CIB_IMAGE_URL'"
  [[ $CIB_LOCAL_PATH_MANIFEST =~ ^[^[:space:]\"]+$ ]] || die_usage "bad local-path manifest '$CIB_LOCAL_PATH_MANIFEST'"
  # Also a label value: alphanumeric at both ends.
  [[ $CIB_RUN_ID =~ ^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$ ]] ||
    die_usage "run id must be 1-63 of [A-Za-z0-9._-], alphanumeric at both ends"
  command -v kubectl >/dev/null 2>&1 || die_usage "kubectl is not on PATH ($PATH)"
  command -v timeout >/dev/null 2>&1 || die_usage "timeout (coreutils) is not on PATH"
}

main() {
  CIB_RUN_ID=${CIB_RUN_ID:-$(date -u +%Y%m%d%H%M%S)-$$}
  CIB_NAMESPACE=${CIB_NAMESPACE:-}
  CIB_IMAGE_URL=${CIB_IMAGE_URL:-$CIB_DEFAULT_IMAGE_URL}
  CIB_LOCAL_PATH_MANIFEST=${CIB_LOCAL_PATH_MANIFEST:-$CIB_DEFAULT_LOCAL_PATH_MANIFEST}
  CIB_TIMEOUT_NODE_READY=${CIB_TIMEOUT_NODE_READY:-600}
  CIB_TIMEOUT_STORAGE_CLASS=${CIB_TIMEOUT_STORAGE_CLASS:-300}
  CIB_TIMEOUT_IMPORT=${CIB_TIMEOUT_IMPORT:-900}
  CIB_TIMEOUT_VMI_RUNNING=${CIB_TIMEOUT_VMI_RUNNING:-600}
  CIB_TIMEOUT_GUEST_BOOTED=${CIB_TIMEOUT_GUEST_BOOTED:-600}
  CIB_TIMEOUT_CLEANUP=${CIB_TIMEOUT_CLEANUP:-300}
  CIB_POLL_INTERVAL=${CIB_POLL_INTERVAL:-5}
  CIB_REQUEST_TIMEOUT=${CIB_REQUEST_TIMEOUT:-30}
  CIB_CONSOLE_WINDOW=${CIB_CONSOLE_WINDOW:-10}
  parse_args "$@"
  if [[ -z $CIB_NAMESPACE ]]; then
    local id=${CIB_RUN_ID,,}
    id=${id//[._]/-}
    id=${id:0:52}
    CIB_NAMESPACE=cib-verify-${id%%-}
  fi
  validate
  if [[ -z ${KUBECONFIG:-} && -r /etc/kubernetes/admin.conf ]]; then
    export KUBECONFIG=/etc/kubernetes/admin.conf
  fi

  CIB_STATE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/cib-verify.XXXXXX")
  CIB_EVIDENCE_FILE=$CIB_STATE_DIR/evidence
  CIB_STDERR_FILE=$CIB_STATE_DIR/stderr
  # shellcheck disable=SC2090 # CIB_LOGIN_MARKER is only ever expanded in quotes
  export CIB_RUN_ID CIB_NAMESPACE CIB_IMAGE_URL CIB_LOCAL_PATH_MANIFEST CIB_TIMEOUT_NODE_READY \
    CIB_TIMEOUT_STORAGE_CLASS CIB_TIMEOUT_IMPORT CIB_TIMEOUT_VMI_RUNNING CIB_TIMEOUT_GUEST_BOOTED \
    CIB_TIMEOUT_CLEANUP CIB_POLL_INTERVAL CIB_REQUEST_TIMEOUT CIB_CONSOLE_WINDOW CIB_STATE_DIR CIB_EVIDENCE_FILE CIB_STDERR_FILE \
    CIB_LOGIN_MARKER CIB_VM
  export -f json_escape now_ms say evidence last_line kc try log_try pause default_storage_classes console_via_virtctl \
    step_node_ready step_default_storage_class step_datavolume_import step_vmi_running step_guest_booted \
    step_cleanup

  trap on_exit EXIT
  trap 'on_signal SIGTERM 143' TERM
  trap 'on_signal SIGINT 130' INT
  trap 'on_signal SIGHUP 129' HUP
  CIB_STARTED=1
  say "run $CIB_RUN_ID in namespace $CIB_NAMESPACE; image $CIB_IMAGE_URL"

  run_step node-ready "$CIB_TIMEOUT_NODE_READY" step_node_ready
  run_step default-storage-class "$CIB_TIMEOUT_STORAGE_CLASS" step_default_storage_class
  run_step datavolume-import "$CIB_TIMEOUT_IMPORT" step_datavolume_import
  run_step vmi-running "$CIB_TIMEOUT_VMI_RUNNING" step_vmi_running
  run_step guest-booted "$CIB_TIMEOUT_GUEST_BOOTED" step_guest_booted
  # cleanup and CIB-VERSIONS come from the EXIT trap, so they also happen after an error or a signal.
}

# Everything above is only definitions: bash has read the whole script from stdin before main runs,
# so no command inside can swallow the rest of the script.
main "$@"
