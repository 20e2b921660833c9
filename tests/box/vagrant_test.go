package box

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// vagrant runs `vagrant validate` on dir's Vagrantfile. It works offline and without a
// provider plugin thanks to --ignore-provider (the provider blocks are still evaluated as Ruby,
// but their option names are not checked: that needs the provider installed). Vagrant's state
// and home go to a temporary directory; the version check is off (it would go to the network).
func vagrant(t *testing.T, dir string) (string, error) {
	tmp := t.TempDir()
	cmd := exec.Command("vagrant", "validate", "--ignore-provider", "--no-tty", "--no-color")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"VAGRANT_CWD="+dir,
		"VAGRANT_DOTFILE_PATH="+filepath.Join(tmp, "dotfile"),
		"VAGRANT_HOME="+filepath.Join(tmp, "home"),
		"VAGRANT_CHECKPOINT_DISABLE=1",
		"VAGRANT_NO_PLUGINS=1",
	)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestVagrantfileValidates(t *testing.T) {
	if _, err := exec.LookPath("vagrant"); err != nil {
		t.Skip("vagrant not installed (Debian package vagrant)")
	}
	root := moduleRoot(t)
	if out, err := vagrant(t, root); err != nil || !strings.Contains(out, "validated successfully") {
		t.Fatalf("vagrant validate: %v\n%s", err, out)
	}
	// The same check rejects a broken Vagrantfile: an unknown setting, beside the provisioning
	// script it names.
	bad := t.TempDir()
	data, err := os.ReadFile(filepath.Join(root, "Vagrantfile"))
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(data), `config.vm.hostname = "minictr-box"`, `config.vm.hostname = "minictr-box"
  config.vm.no_such_setting = 1`, 1)
	if broken == string(data) {
		t.Fatal("the Vagrantfile has no hostname line to put the broken setting after")
	}
	os.WriteFile(filepath.Join(bad, "Vagrantfile"), []byte(broken), 0o644)
	os.MkdirAll(filepath.Join(bad, "scripts"), 0o755)
	copyFile(filepath.Join(root, "scripts/provision.sh"), filepath.Join(bad, "scripts/provision.sh"), 0o755)
	if out, err := vagrant(t, bad); err == nil || !strings.Contains(out, "no_such_setting") {
		t.Fatalf("vagrant validate of a Vagrantfile with an unknown setting: %v\n%s", err, out)
	}
}

func TestVagrantfileSettings(t *testing.T) {
	// What the box must have, whatever the provider: checked on the text, since validating
	// provider options needs the provider.
	data, err := os.ReadFile(filepath.Join(moduleRoot(t), "Vagrantfile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`config.vm.box = "debian/bookworm64"`, // cgroup v2 only (systemd 252)
		`"MINICTR_BOX_MEMORY", "4096"`,
		`"MINICTR_BOX_CPUS", "2"`,
		`lv.nested = true`,
		`"--nested-hw-virt", "on"`,
		`path: "scripts/provision.sh"`,
		`privileged: true`,
	} {
		if !strings.Contains(string(data), want) {
			t.Errorf("Vagrantfile lacks %s", want)
		}
	}
}

// TestShellcheck checks the provisioning script at every severity and the repository's other
// scripts for warnings and errors (their style notes are their authors' business).
func TestShellcheck(t *testing.T) {
	if _, err := exec.LookPath("shellcheck"); err != nil {
		t.Skip("shellcheck not installed (Debian package shellcheck)")
	}
	root := moduleRoot(t)
	if out, err := exec.Command("shellcheck", "-x", filepath.Join(root, "scripts/provision.sh")).CombinedOutput(); err != nil {
		t.Errorf("shellcheck scripts/provision.sh: %v\n%s", err, out)
	}
	others, _ := filepath.Glob(filepath.Join(root, "scripts/*.sh"))
	for _, s := range others {
		if filepath.Base(s) == "provision.sh" {
			continue
		}
		if out, err := exec.Command("shellcheck", "--severity=warning", s).CombinedOutput(); err != nil {
			t.Errorf("shellcheck --severity=warning %s: %v\n%s", filepath.Base(s), err, out)
		}
	}
}
