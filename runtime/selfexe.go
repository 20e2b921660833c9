package runtime

import (
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"

	"golang.org/x/sys/unix"
)

// InitBinaryName is minictr's lean build (cmd/minictr with the lean tag: the OCI runtime's
// commands and the init, nothing of the image, VM and VMM layers): when it is installed
// beside minictr, containers' inits run it as `minictr-runtime init` instead of
// `minictr init`. The same code either way; the lean program starts 1.5 ms faster.
const InitBinaryName = "minictr-runtime"

// initProgram returns the program and arguments that become a container's init:
// minictr-runtime beside this binary when it is there, else this binary as
// `minictr init`.
func initProgram() (path string, args []string, err error) {
	exe, err := os.Executable()
	if err != nil {
		return "", nil, fmt.Errorf("find the minictr binary: %w", err)
	}
	if p := filepath.Join(filepath.Dir(exe), InitBinaryName); unix.Access(p, unix.X_OK) == nil {
		return p, []string{p, "init"}, nil
	}
	return exe, []string{exe, "init"}, nil
}

// startFromReadonly calls start from a thread whose private mount namespace has the binary
// at path bind-mounted read-only over itself. The init process is forked from that thread, so
// its /proc/PID/exe is the binary on a read-only mount: a container that gets the runtime
// binary to run inside it (the "#!/proc/self/exe" entrypoint of CVE-2019-5736) cannot reopen
// it for writing through /proc and overwrite the host's copy. Nothing is copied, and the
// mount disappears with the thread.
func startFromReadonly(path string, start func() error) error {
	if rootless() {
		// Without privileges there is no private mount namespace to make; the binary is then
		// protected by its own permissions (a user cannot write root's binary).
		return start()
	}
	done := make(chan error, 1)
	go func() {
		// The thread is never unlocked: when this goroutine ends, the Go runtime ends the
		// thread, and with it the private mount namespace.
		goruntime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNS | unix.CLONE_FS); err != nil {
			done <- fmt.Errorf("protect %s: unshare mount namespace: %w", path, err)
			return
		}
		if err := unix.Mount("", "/", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
			done <- fmt.Errorf("protect %s: make / rslave: %w", path, err)
			return
		}
		if err := unix.Mount(path, path, "", unix.MS_BIND, ""); err != nil {
			done <- fmt.Errorf("protect %s: bind onto itself: %w", path, err)
			return
		}
		if err := unix.Mount("", path, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
			done <- fmt.Errorf("protect %s: remount read-only: %w", path, err)
			return
		}
		done <- start()
	}()
	return <-done
}
