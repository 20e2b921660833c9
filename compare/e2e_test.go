package compare

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildStatic builds minictr the way `make build` does (static, so it can be copied into a
// rootfs) and minictr-init beside it; go's build cache makes this quick after `make build`.
func buildStatic(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go toolchain to build minictr")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "minictr")
	cmd := exec.Command(gobin, "build", "-trimpath", "-tags", "osusergo,netgo",
		"-ldflags", "-linkmode external -extldflags -static", "-o", bin, "../cmd/minictr")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build minictr: %v\n%s", err, out)
	}
	cmd = exec.Command(gobin, "build", "-trimpath", "-ldflags", "-s -w", "-o", filepath.Join(dir, "minictr-init"), "../vmm/initramfs/init")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build minictr-init: %v\n%s", err, out)
	}
	return bin
}

// TestCompareCLI runs `minictr compare` on a tiny workload: every kind is in the table or
// skipped with a reason, the checksums agree, the chart has one bar per kind per metric.
func TestCompareCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds minictr and boots a microVM")
	}
	bin := buildStatic(t)
	svg := filepath.Join(t.TempDir(), "c.svg")
	cmd := exec.Command(bin, "compare", "--quiet", "--runs", "1", "--cpu-ops", "1000", "--syscall-ops", "3", "--svg", svg, "--timeout", "90s")
	cmd.Env = append(os.Environ(), "MINICTR_INIT="+filepath.Join(filepath.Dir(bin), "minictr-init"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("minictr compare: %v\n%s", err, out)
	}
	text := string(out)
	t.Logf("\n%s", text)
	header := strings.Fields(strings.SplitN(text, "\n", 2)[0])
	var ran []string
	for _, k := range AllKinds {
		switch {
		case strings.Contains(text, "skipped "+k+": "):
			t.Logf("%s skipped", k)
		case len(header) > len(ran) && header[len(ran)] == k:
			ran = append(ran, k)
		default:
			t.Errorf("kind %s neither in the table header %q nor skipped", k, header)
		}
	}
	if os.Geteuid() == 0 && strings.Contains(text, "skipped container") {
		t.Errorf("container skipped although we are root")
	}
	if _, err := exec.LookPath("qemu-system-x86_64"); err == nil && os.Geteuid() == 0 && strings.Contains(text, "skipped microvm") {
		t.Logf("microvm skipped although qemu is installed (kernel missing?)")
	}
	if strings.Contains(text, "WARNING") {
		t.Errorf("kinds disagree on a checksum:\n%s", text)
	}
	for _, row := range []string{"start: launch to first line", "cpu: throughput", "syscall: throughput", "peak RSS", "own kernel"} {
		if !strings.Contains(text, row) {
			t.Errorf("table lacks the row %q", row)
		}
	}
	data, err := os.ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	barsPerKindPerMetric(t, parseSVG(t, data), ran)

	md, err := exec.Command(bin, "compare", "--quiet", "--kinds", "host,vm", "--workload", "start", "--markdown").CombinedOutput()
	if err != nil {
		t.Fatalf("minictr compare --markdown: %v\n%s", err, md)
	}
	if !strings.Contains(string(md), "| host | vm |") {
		t.Errorf("--markdown output lacks the table header:\n%s", md)
	}
}
