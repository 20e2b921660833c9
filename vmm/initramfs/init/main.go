// Command init is minictr's init for guest kernels: PID 1 of an initramfs built by package
// vmm/initramfs. It mounts /proc, /sys and /dev, runs the command from
// /.minictr/config.json with its environment, prints the command's exit status on the console
// as one line that the host parses,
//
//	MINICTR_EXIT_STATUS=<n>
//
// and powers the machine off: first through the debug exit port 0xf4 (/dev/port; minictr's
// VMM, and qemu with isa-debug-exit), then with reboot(2). It is built static
// (CGO_ENABLED=0) because the image may have no C library.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
)

const (
	configPath    = "/.minictr/config.json"
	statusPrefix  = "MINICTR_EXIT_STATUS="
	debugExitPort = 0xf4
	defaultPath   = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

type config struct {
	Args     []string `json:"args"`
	Env      []string `json:"env"`
	Dir      string   `json:"dir"`
	Hostname string   `json:"hostname"`
}

func main() {
	code := run()
	fmt.Printf("%s%d\n", statusPrefix, code)
	powerOff(code)
}

func run() int {
	mounts := []struct{ src, dst, fstype string }{
		{"proc", "/proc", "proc"},
		{"sysfs", "/sys", "sysfs"},
		{"devtmpfs", "/dev", "devtmpfs"},
		{"tmpfs", "/tmp", "tmpfs"},
		{"tmpfs", "/run", "tmpfs"},
	}
	for _, m := range mounts {
		os.MkdirAll(m.dst, 0o755)
		if err := syscall.Mount(m.src, m.dst, m.fstype, 0, ""); err != nil && !errors.Is(err, syscall.EBUSY) {
			fmt.Fprintf(os.Stderr, "minictr-init: mount %s on %s: %v\n", m.fstype, m.dst, err)
		}
	}
	data, err := os.ReadFile(configPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "minictr-init: %v\n", err)
		return 127
	}
	var c config
	if err := json.Unmarshal(data, &c); err != nil || len(c.Args) == 0 {
		fmt.Fprintf(os.Stderr, "minictr-init: %s: no command (%v)\n", configPath, err)
		return 127
	}
	host := c.Hostname
	if host == "" {
		host = "minictr"
	}
	syscall.Sethostname([]byte(host))
	env := c.Env
	if !hasPath(env) {
		env = append(env, defaultPath)
	}
	// exec.Command looks the program up in our own PATH: use the command's.
	for _, e := range env {
		if strings.HasPrefix(e, "PATH=") {
			os.Setenv("PATH", e[5:])
		}
	}
	cmd := exec.Command(c.Args[0], c.Args[1:]...)
	cmd.Env = env
	cmd.Dir = c.Dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	default:
		fmt.Fprintf(os.Stderr, "minictr-init: run %q: %v\n", c.Args[0], err)
		return 127
	}
}

func hasPath(env []string) bool {
	for _, e := range env {
		if strings.HasPrefix(e, "PATH=") {
			return true
		}
	}
	return false
}

// powerOff stops the machine, and never returns.
func powerOff(code int) {
	syscall.Sync()
	if f, err := os.OpenFile("/dev/port", os.O_WRONLY, 0); err == nil {
		f.WriteAt([]byte{byte(code)}, debugExitPort)
		f.Close()
	}
	syscall.Reboot(syscall.LINUX_REBOOT_CMD_POWER_OFF)
	syscall.Reboot(syscall.LINUX_REBOOT_CMD_RESTART)
	for {
		syscall.Pause()
	}
}
