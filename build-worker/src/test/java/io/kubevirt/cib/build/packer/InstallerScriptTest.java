package io.kubevirt.cib.build.packer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The first-boot installer under packer/installer: shellcheck, the pure functions of
 * lib/installer-lib.sh run through bash against temp files, the systemd unit, and a dry run
 * of first-boot.sh with stubbed kubeadm/kubectl/systemctl.
 */
class InstallerScriptTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String CPU_VMX = "processor\t: 0\nvendor_id\t: GenuineIntel\n"
            + "flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic vmx sse sse2 ht hypervisor\n";
    private static final String CPU_SVM = "processor\t: 0\nvendor_id\t: AuthenticAMD\n"
            + "flags\t\t: fpu vme de pse tsc msr pae svm sse sse2 ht\n";
    private static final String CPU_NONE = "processor\t: 0\nvendor_id\t: GenuineIntel\n"
            + "flags\t\t: fpu vme de pse tsc msr pae sse sse2 ht hypervisor\n"
            // "vmx" as part of another word or outside the flags line must not count.
            + "model name\t: vmx-like svmcpu\nbugs\t\t: vmx_ept\n";

    private static Path lib;

    @BeforeAll
    static void locateLib() {
        lib = Exec.installerDir().resolve("lib").resolve("installer-lib.sh");
        assertThat(lib).isRegularFile();
    }

    /** Runs one library function: bash -c 'source LIB; "$@"' LIB fn args... */
    private static Exec.Result lib(Map<String, String> env, String... fnAndArgs) {
        List<String> cmd = new ArrayList<>(List.of("bash", "-c", "source \"$0\" && \"$@\"", lib.toString()));
        cmd.addAll(Arrays.asList(fnAndArgs));
        return Exec.run(cmd, env, null, TIMEOUT);
    }

    private static Exec.Result lib(String... fnAndArgs) {
        return lib(Map.of(), fnAndArgs);
    }

    private static Path write(Path file, String content) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.writeString(file, content, StandardCharsets.UTF_8);
    }

    @Test
    void everyScriptIsShellcheckClean() throws IOException {
        Exec.requireTool("shellcheck", "--version");
        List<String> scripts;
        try (Stream<Path> files = Files.walk(Exec.installerDir())) {
            scripts = files.filter(p -> p.toString().endsWith(".sh")).map(Path::toString).sorted().toList();
        }
        assertThat(scripts).hasSizeGreaterThanOrEqualTo(3)
                .anyMatch(s -> s.endsWith("bake.sh"))
                .anyMatch(s -> s.endsWith("first-boot.sh"))
                .anyMatch(s -> s.endsWith("installer-lib.sh"));
        List<String> cmd = new ArrayList<>(List.of("shellcheck", "-x"));
        cmd.addAll(scripts);
        // From the repository root: the scripts' source-path=SCRIPTDIR must make -x work from anywhere.
        Exec.Result r = Exec.run(cmd, Map.of(), Exec.repoRoot(), TIMEOUT);
        assertThat(r.exitCode()).as("shellcheck -x output:\n%s", r.output()).isZero();
    }

    @Test
    void entryPointsAreExecutableBashWithStrictMode() throws IOException {
        for (String name : List.of("bake.sh", "first-boot.sh")) {
            Path script = Exec.installerDir().resolve(name);
            assertThat(Files.isExecutable(script)).as(name + " executable").isTrue();
            String text = Files.readString(script);
            assertThat(text).startsWith("#!/usr/bin/env bash\n").contains("\nset -euo pipefail\n");
        }
    }

    @ParameterizedTest
    @CsvSource({"KUBEVIRT_VERSION, latest", "CDI_VERSION, ''", "KUBERNETES_VERSION, v1.35"})
    void bakeRefusesUnpinnedVersionsBeforeTouchingTheSystem(String name, String value, @TempDir Path tmp)
            throws IOException {
        // Safety net: should the check ever be skipped, these stubs log instead of changing the host.
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        for (String cmd : List.of("apt-get", "apt-mark", "curl", "systemctl", "modprobe", "sysctl", "swapoff",
                "cloud-init", "kubeadm", "containerd")) {
            Path stub = write(bin.resolve(cmd), "#!/bin/sh\necho \"$0 $*\" >> \"$FAKE_LOG\"\nexit 1\n");
            Files.setPosixFilePermissions(stub, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        Map<String, String> env = new HashMap<>(Map.of(
                "PATH", bin + ":" + System.getenv("PATH"),
                "FAKE_LOG", tmp.resolve("calls.log").toString(),
                "CIB_INSTALLER_SRC", Exec.installerDir().toString(),
                "KUBERNETES_VERSION", "v1.35.0",
                "KUBEVIRT_VERSION", "v1.8.2",
                "CDI_VERSION", "v1.64.0"));
        env.put(name, value);
        Exec.Result r = Exec.run(List.of("bash", Exec.installerDir().resolve("bake.sh").toString()), env, tmp, TIMEOUT);
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.output()).contains(name).doesNotContain("bake: Kubernetes");
        assertThat(tmp.resolve("calls.log")).doesNotExist();
    }

    @Nested
    class Emulation {

        @ParameterizedTest(name = "cpu={0} kvm={1} -> emulation={2}")
        @CsvSource({
            "vmx, true, false",
            "vmx, false, true",
            "svm, true, false",
            "svm, false, true",
            "none, true, true",
            "none, false, true",
            "missing, false, true",
        })
        void needsEmulationUnlessVirtFlagsAndKvmDevice(String cpu, boolean kvmPresent, boolean expected,
                                                       @TempDir Path tmp) throws IOException {
            Path cpuinfo = tmp.resolve("cpuinfo");
            switch (cpu) {
                case "vmx" -> write(cpuinfo, CPU_VMX);
                case "svm" -> write(cpuinfo, CPU_SVM);
                case "none" -> write(cpuinfo, CPU_NONE);
                default -> { } // missing file
            }
            Path kvm = tmp.resolve("kvm");
            if (kvmPresent) {
                Files.createFile(kvm);
            }
            Exec.Result r = lib("needs_emulation", cpuinfo.toString(), kvm.toString());
            assertThat(r.exitCode()).as(r.output()).isEqualTo(expected ? 0 : 1);
        }

        @ParameterizedTest
        @ValueSource(strings = {"true", "false"})
        void kubevirtCrCarriesUseEmulation(String emulation) {
            Exec.Result r = lib("render_kubevirt_cr", emulation);
            assertThat(r.exitCode()).isZero();
            assertThat(r.output())
                    .contains("apiVersion: kubevirt.io/v1", "kind: KubeVirt", "name: kubevirt", "namespace: kubevirt")
                    .contains("  configuration:\n    developerConfiguration:\n      useEmulation: " + emulation + "\n");
        }

        @Test
        void kubevirtCrRejectsAnythingButTrueOrFalse() {
            assertThat(lib("render_kubevirt_cr", "yes").exitCode()).isNotZero();
            assertThat(lib("render_kubevirt_cr").exitCode()).isNotZero();
        }
    }

    @Nested
    class Versions {

        @ParameterizedTest
        @CsvSource({"v1.35.0, v1.35", "1.34.2, v1.34", "v1.35, v1.35", "v1.100.7, v1.100"})
        void k8sMinor(String version, String minor) {
            Exec.Result r = lib("k8s_minor", version);
            assertThat(r.exitCode()).isZero();
            assertThat(r.output()).isEqualTo(minor + "\n");
        }

        @ParameterizedTest
        @ValueSource(strings = {"", "latest", "stable", "v1", "v1.35.0-rc.1", "1.35.x"})
        void k8sMinorRejectsUnpinned(String version) {
            assertThat(lib("k8s_minor", version).exitCode()).isNotZero();
        }

        @Test
        void aptRepoUsesTheMinor() {
            assertThat(lib("k8s_apt_repo", "v1.35.0").output())
                    .isEqualTo("https://pkgs.k8s.io/core:/stable:/v1.35/deb/\n");
        }

        @ParameterizedTest
        @ValueSource(strings = {"v1.8.2", "v1.64.0", "v0.0.33", "v0.27.4", "v1.35.0", "v1.9.0-rc.1"})
        void pinnedVersionsAreAccepted(String version) {
            assertThat(lib("require_pinned_version", version, "X").exitCode()).isZero();
        }

        @ParameterizedTest
        @ValueSource(strings = {"", "latest", "LATEST", "stable", "main", "1.8.2", "v1.8", "v1.8.2 ", "v1.8.2;rm"})
        void unpinnedVersionsAreRejected(String version) {
            Exec.Result r = lib("require_pinned_version", version, "KUBEVIRT_VERSION");
            assertThat(r.exitCode()).isNotZero();
            assertThat(r.output()).contains("KUBEVIRT_VERSION");
        }

        @Test
        void pinnedVersionRejectsMissingArgument() {
            assertThat(lib("require_pinned_version").exitCode()).isNotZero();
        }

        @Test
        void picksTheExactDebRevisionFromMadison() {
            String madison = " kubeadm | 1.35.1-1.1 | https://pkgs.k8s.io/core:/stable:/v1.35/deb  Packages\n"
                    + " kubeadm | 1.35.0-1.1 | https://pkgs.k8s.io/core:/stable:/v1.35/deb  Packages\n"
                    + " kubeadm | 1.35.0-1.0 | https://pkgs.k8s.io/core:/stable:/v1.35/deb  Packages\n";
            Exec.Result r = Exec.run(List.of("bash", "-c", "source \"$0\" && printf '%s' \"$1\" | pick_deb_version v1.35.0",
                    lib.toString(), madison), Map.of(), null, TIMEOUT);
            assertThat(r.exitCode()).isZero();
            assertThat(r.output()).isEqualTo("1.35.0-1.1\n");

            Exec.Result none = Exec.run(List.of("bash", "-c", "source \"$0\" && printf '%s' \"$1\" | pick_deb_version v1.35.2",
                    lib.toString(), madison), Map.of(), null, TIMEOUT);
            assertThat(none.exitCode()).isNotZero();
        }
    }

    @Nested
    class Manifests {

        @ParameterizedTest
        @CsvSource({
            "kubevirt, v1.8.2, https://github.com/kubevirt/kubevirt/releases/download/v1.8.2/kubevirt-operator.yaml",
            "kubevirt-cr, v1.8.2, https://github.com/kubevirt/kubevirt/releases/download/v1.8.2/kubevirt-cr.yaml",
            "virtctl, v1.8.2, https://github.com/kubevirt/kubevirt/releases/download/v1.8.2/virtctl-v1.8.2-linux-amd64",
            "cdi, v1.64.0, https://github.com/kubevirt/containerized-data-importer/releases/download/v1.64.0/cdi-operator.yaml",
            "cdi-cr, v1.64.0, https://github.com/kubevirt/containerized-data-importer/releases/download/v1.64.0/cdi-cr.yaml",
            "flannel, v0.27.4, https://github.com/flannel-io/flannel/releases/download/v0.27.4/kube-flannel.yml",
            "local-path, v0.0.33, https://raw.githubusercontent.com/rancher/local-path-provisioner/v0.0.33/deploy/local-path-storage.yaml",
        })
        void urlsArePinnedReleaseAssets(String kind, String version, String url) {
            Exec.Result r = lib("manifest_url", kind, version);
            assertThat(r.exitCode()).as(r.output()).isZero();
            assertThat(r.output()).isEqualTo(url + "\n");
        }

        @Test
        void unknownKindOrLatestIsRejected() {
            assertThat(lib("manifest_url", "calico", "v3.0.0").exitCode()).isNotZero();
            assertThat(lib("manifest_url", "kubevirt", "latest").exitCode()).isNotZero();
            assertThat(lib("manifest_url", "flannel", "").exitCode()).isNotZero();
        }
    }

    @Nested
    class Kubeadm {

        @Test
        void configCarriesNodeNamePodCidrAndVersion() {
            Exec.Result r = lib("render_kubeadm_config", "ip-10-0-1-23.ec2.internal", "v1.35.0");
            assertThat(r.exitCode()).as(r.output()).isZero();
            assertThat(r.output())
                    .contains("apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n")
                    .contains("nodeRegistration:\n  name: \"ip-10-0-1-23.ec2.internal\"\n")
                    .contains("criSocket: \"unix:///run/containerd/containerd.sock\"")
                    .contains("kind: ClusterConfiguration\nkubernetesVersion: \"v1.35.0\"\n")
                    .contains("podSubnet: \"10.244.0.0/16\"")
                    .contains("kind: KubeletConfiguration\ncgroupDriver: systemd");
            assertThat(r.output().split("\n---\n")).hasSize(3);
        }

        @Test
        void configRejectsEmptyNodeOrUnpinnedVersion() {
            assertThat(lib("render_kubeadm_config", "", "v1.35.0").exitCode()).isNotZero();
            assertThat(lib("render_kubeadm_config", "node-1", "latest").exitCode()).isNotZero();
        }

        @Test
        void containerdConfigGetsSystemdCgroupAndPauseImage(@TempDir Path tmp) throws IOException {
            // Excerpts of `containerd config default`: version 2 (containerd 1.7) and 3 (2.x).
            Path v2 = write(tmp.resolve("v2.toml"), """
                    version = 2
                    [plugins."io.containerd.grpc.v1.cri"]
                        sandbox_image = "registry.k8s.io/pause:3.8"
                          [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
                            SystemdCgroup = false
                    """);
            Path v3 = write(tmp.resolve("v3.toml"), """
                    version = 3
                    [plugins.'io.containerd.cri.v1.images'.pinned_images]
                      sandbox = 'registry.k8s.io/pause:3.10'
                    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
                      SystemdCgroup = false
                    """);
            Exec.Result r2 = lib("render_containerd_config", v2.toString(), "registry.k8s.io/pause:3.10.1");
            assertThat(r2.exitCode()).as(r2.output()).isZero();
            assertThat(r2.output()).contains("SystemdCgroup = true", "sandbox_image = \"registry.k8s.io/pause:3.10.1\"")
                    .doesNotContain("SystemdCgroup = false");
            Exec.Result r3 = lib("render_containerd_config", v3.toString(), "registry.k8s.io/pause:3.10.1");
            assertThat(r3.exitCode()).as(r3.output()).isZero();
            assertThat(r3.output()).contains("SystemdCgroup = true", "sandbox = 'registry.k8s.io/pause:3.10.1'");

            Path none = write(tmp.resolve("none.toml"), "version = 2\n");
            assertThat(lib("render_containerd_config", none.toString(), "").exitCode()).isNotZero();
        }
    }

    @Nested
    class Steps {

        @Test
        void runStepRunsOnceAndStamps(@TempDir Path tmp) throws IOException {
            Path state = tmp.resolve("state");
            Path marker = tmp.resolve("ran");
            String script = "source \"$0\" && f() { echo x >> \"$1\"; } && run_step one f \"$1\" && run_step one f \"$1\"";
            Exec.Result r = Exec.run(List.of("bash", "-c", script, lib.toString(), marker.toString()),
                    Map.of("CIB_STATE_DIR", state.toString()), null, TIMEOUT);
            assertThat(r.exitCode()).as(r.output()).isZero();
            assertThat(Files.readAllLines(marker)).containsExactly("x");
            assertThat(state.resolve("steps/one.done")).isRegularFile();
            assertThat(r.output()).contains("step one: already done, skipping");
        }

        @Test
        void runStepSkipsAStepMarkedDone(@TempDir Path tmp) throws IOException {
            Path state = tmp.resolve("state");
            write(state.resolve("steps/kubeadm-init.done"), "2026-11-24T00:00:00Z\n");
            Path marker = tmp.resolve("ran");
            String script = "source \"$0\" && f() { touch \"$1\"; } && run_step kubeadm-init f \"$1\"";
            Exec.Result r = Exec.run(List.of("bash", "-c", script, lib.toString(), marker.toString()),
                    Map.of("CIB_STATE_DIR", state.toString()), null, TIMEOUT);
            assertThat(r.exitCode()).as(r.output()).isZero();
            assertThat(marker).doesNotExist();
        }

        @Test
        void failingStepIsNotStampedAndStopsAtTheFailingCommand(@TempDir Path tmp) {
            Path state = tmp.resolve("state");
            Path marker = tmp.resolve("after-false");
            // No `set -e` in the caller: run_step must still stop the step at `false`.
            String script = "source \"$0\"; f() { false; touch \"$1\"; }; run_step broken f \"$1\"; echo \"rc=$?\"";
            Exec.Result r = Exec.run(List.of("bash", "-c", script, lib.toString(), marker.toString()),
                    Map.of("CIB_STATE_DIR", state.toString()), null, TIMEOUT);
            assertThat(r.output()).contains("rc=1", "step broken: failed with exit code 1");
            assertThat(marker).doesNotExist();
            assertThat(state.resolve("steps/broken.done")).doesNotExist();
        }

        @Test
        void runStepNeedsNameAndFunction() {
            assertThat(lib("run_step").exitCode()).isNotZero();
        }
    }

    @Nested
    class Unit {

        private Map<String, List<String>> unit() throws IOException {
            Map<String, List<String>> keys = new HashMap<>();
            for (String line : Files.readAllLines(Exec.installerDir().resolve("kubevirt-installer.service"))) {
                String l = line.strip();
                if (l.isEmpty() || l.startsWith("#") || l.startsWith("[")) {
                    continue;
                }
                int eq = l.indexOf('=');
                keys.computeIfAbsent(l.substring(0, eq), k -> new ArrayList<>())
                        .addAll(List.of(l.substring(eq + 1).strip().split("\\s+")));
            }
            return keys;
        }

        @Test
        void ordersBeforeSshAndAfterNetworkAndCloudInit() throws IOException {
            Map<String, List<String>> unit = unit();
            assertThat(unit.get("Before")).contains("ssh.service", "sshd.service");
            assertThat(unit.get("After")).contains("network-online.target", "cloud-init.service");
            assertThat(unit.get("Wants")).contains("network-online.target");
            assertThat(unit.get("WantedBy")).containsExactly("multi-user.target");
        }

        @Test
        void isAOneShotThatRunsUntilDone() throws IOException {
            Map<String, List<String>> unit = unit();
            assertThat(unit.get("Type")).containsExactly("oneshot");
            assertThat(unit.get("RemainAfterExit")).containsExactly("yes");
            assertThat(unit.get("ConditionPathExists")).containsExactly("!/var/lib/cib-installer/done");
            assertThat(Integer.parseInt(unit.get("TimeoutStartSec").get(0))).isGreaterThanOrEqualTo(1800);
        }

        @Test
        void execStartIsWhereBakeInstallsFirstBoot() throws IOException {
            String execStart = unit().get("ExecStart").get(0);
            String bake = Files.readString(Exec.installerDir().resolve("bake.sh"));
            assertThat(execStart).isEqualTo("/usr/local/lib/cib-installer/first-boot.sh");
            assertThat(bake).contains("CIB_HOME=/usr/local/lib/cib-installer")
                    .contains("install -m 0755 \"$CIB_INSTALLER_SRC/first-boot.sh\" \"$CIB_HOME/first-boot.sh\"")
                    .contains("systemctl enable \"$UNIT\"");
        }
    }

    /**
     * first-boot.sh end to end with every system command stubbed (they append their
     * arguments to a log); paths are redirected into a temp dir.
     */
    @Nested
    class FirstBootDryRun {

        private static final String STUB = """
                #!/bin/sh
                name="$(basename "$0")"
                echo "$name $*" >> "$FAKE_LOG"
                case "$name" in
                  hostname) echo ip-10-0-1-23 ;;
                  kubeadm) [ "$1" = init ] && echo "apiVersion: v1" > "$CIB_ADMIN_CONF" ;;
                  kubectl)
                    case "$*" in
                      *jsonpath*) echo "node-role.kubernetes.io/control-plane" ;;
                      *"wait kv kubevirt"*) [ -e "$FAKE_FAIL_KV" ] && exit 1 ;;
                    esac ;;
                esac
                exit 0
                """;

        private Path root;
        private Map<String, String> env;

        private void setUp(Path tmp, String cpuinfo, boolean kvm, String versionsEnv) throws IOException {
            root = tmp;
            Path bin = Files.createDirectories(tmp.resolve("bin"));
            for (String cmd : List.of("kubectl", "kubeadm", "systemctl", "modprobe", "sysctl", "swapoff", "hostname",
                    "curl")) {
                Path stub = write(bin.resolve(cmd), STUB);
                Files.setPosixFilePermissions(stub, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            write(tmp.resolve("etc/versions.env"), versionsEnv);
            for (String m : List.of("flannel", "local-path", "kubevirt", "cdi", "cdi-cr")) {
                write(tmp.resolve("manifests/" + m + ".yaml"), "# " + m + "\n");
            }
            write(tmp.resolve("cpuinfo"), cpuinfo);
            if (kvm) {
                Files.createFile(tmp.resolve("kvm"));
            }
            env = new HashMap<>();
            env.put("PATH", bin + ":" + System.getenv("PATH"));
            env.put("FAKE_LOG", tmp.resolve("calls.log").toString());
            env.put("FAKE_FAIL_KV", tmp.resolve("fail-kv").toString());
            env.put("CIB_CONFIG_DIR", tmp.resolve("etc").toString());
            env.put("CIB_STATE_DIR", tmp.resolve("state").toString());
            env.put("CIB_MANIFEST_DIR", tmp.resolve("manifests").toString());
            env.put("CIB_CPUINFO", tmp.resolve("cpuinfo").toString());
            env.put("CIB_KVM_DEV", tmp.resolve("kvm").toString());
            env.put("CIB_ADMIN_CONF", tmp.resolve("kube/admin.conf").toString());
            env.put("CIB_ROOT_KUBE_DIR", tmp.resolve("rootkube").toString());
            Files.createDirectories(tmp.resolve("kube"));
        }

        private static final String VERSIONS = """
                KUBERNETES_VERSION=v1.35.0
                KUBEVIRT_VERSION=v1.8.2
                CDI_VERSION=v1.64.0
                FLANNEL_VERSION=v0.27.4
                LOCAL_PATH_VERSION=v0.0.33
                """;

        private Exec.Result firstBoot() {
            return Exec.run(List.of("bash", Exec.installerDir().resolve("first-boot.sh").toString()), env, null,
                    TIMEOUT, e -> e.remove("KUBECONFIG"));
        }

        private List<String> calls() throws IOException {
            Path log = root.resolve("calls.log");
            List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
            Files.deleteIfExists(log);
            return lines;
        }

        @Test
        void installsEverythingInOrderThenDoesNothingOnReRun(@TempDir Path tmp) throws IOException {
            setUp(tmp, CPU_NONE, false, VERSIONS);

            Exec.Result first = firstBoot();
            assertThat(first.exitCode()).as(first.output()).isZero();
            assertThat(first.output()).contains("CIB-INSTALLER-DONE kubevirt=v1.8.2 cdi=v1.64.0 kubernetes=v1.35.0");
            List<String> calls = calls();
            assertThat(calls).containsSubsequence(
                    "kubeadm init --config " + tmp.resolve("state/kubeadm-config.yaml")
                            + " --node-name ip-10-0-1-23 --skip-token-print",
                    "kubectl taint nodes --all node-role.kubernetes.io/control-plane-",
                    "kubectl apply -f " + tmp.resolve("manifests/flannel.yaml"),
                    "kubectl wait node --all --for=condition=Ready --timeout=600s",
                    "kubectl apply -f " + tmp.resolve("manifests/local-path.yaml"),
                    "kubectl apply -f " + tmp.resolve("manifests/kubevirt.yaml"),
                    "kubectl apply -f " + tmp.resolve("state/kubevirt-cr.yaml"),
                    "kubectl -n kubevirt wait kv kubevirt --for=condition=Available --timeout=1800s",
                    "kubectl apply -f " + tmp.resolve("manifests/cdi.yaml"),
                    "kubectl apply -f " + tmp.resolve("manifests/cdi-cr.yaml"),
                    "kubectl wait cdi cdi --for=condition=Available --timeout=1800s");
            assertThat(calls).anyMatch(c -> c.startsWith("kubectl patch storageclass local-path")
                    && c.contains("storageclass.kubernetes.io/is-default-class"));
            assertThat(calls).anyMatch(c -> c.startsWith("kubectl patch storageprofile local-path")
                    && c.contains("\"claimPropertySets\":[{\"accessModes\":[\"ReadWriteOnce\"]"));
            assertThat(tmp.resolve("state/done")).isRegularFile();
            assertThat(Files.readString(tmp.resolve("state/kubeadm-config.yaml"))).contains("name: \"ip-10-0-1-23\"");
            // No vmx/svm here: software emulation.
            assertThat(Files.readString(tmp.resolve("state/kubevirt-cr.yaml"))).contains("useEmulation: true");
            assertThat(tmp.resolve("rootkube/config")).isRegularFile();

            Exec.Result second = firstBoot();
            assertThat(second.exitCode()).as(second.output()).isZero();
            assertThat(calls()).noneMatch(c -> c.startsWith("kubeadm") || c.startsWith("kubectl"));
        }

        @Test
        void hardwareVirtualisationTurnsEmulationOff(@TempDir Path tmp) throws IOException {
            setUp(tmp, CPU_VMX, true, VERSIONS);
            Exec.Result r = firstBoot();
            assertThat(r.exitCode()).as(r.output()).isZero();
            assertThat(Files.readString(tmp.resolve("state/kubevirt-cr.yaml"))).contains("useEmulation: false");
        }

        @Test
        void failedStepResumesOnTheNextBoot(@TempDir Path tmp) throws IOException {
            setUp(tmp, CPU_NONE, false, VERSIONS);
            Files.createFile(tmp.resolve("fail-kv"));

            Exec.Result failed = firstBoot();
            assertThat(failed.exitCode()).isNotZero();
            assertThat(failed.output()).contains("step kubevirt: failed");
            assertThat(tmp.resolve("state/done")).doesNotExist();
            assertThat(tmp.resolve("state/steps/local-path.done")).isRegularFile();
            assertThat(tmp.resolve("state/steps/kubevirt.done")).doesNotExist();
            assertThat(calls()).noneMatch(c -> c.contains("cdi"));

            Files.delete(tmp.resolve("fail-kv"));
            Exec.Result resumed = firstBoot();
            assertThat(resumed.exitCode()).as(resumed.output()).isZero();
            List<String> calls = calls();
            assertThat(calls).noneMatch(c -> c.startsWith("kubeadm") || c.contains("flannel"));
            assertThat(calls).anyMatch(c -> c.contains("wait kv kubevirt")).anyMatch(c -> c.contains("cdi-cr.yaml"));
            assertThat(tmp.resolve("state/done")).isRegularFile();
        }

        @Test
        void refusesUnpinnedVersions(@TempDir Path tmp) throws IOException {
            setUp(tmp, CPU_NONE, false, VERSIONS.replace("KUBEVIRT_VERSION=v1.8.2", "KUBEVIRT_VERSION=latest"));
            Exec.Result r = firstBoot();
            assertThat(r.exitCode()).isNotZero();
            assertThat(r.output()).contains("KUBEVIRT_VERSION 'latest' is not a pinned version");
            assertThat(calls()).noneMatch(c -> c.startsWith("kubeadm") || c.startsWith("kubectl"));
        }
    }
}
