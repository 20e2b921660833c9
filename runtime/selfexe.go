package runtime

import (
	"fmt"
	"os"
	goruntime "runtime"

	"golang.org/x/sys/unix"
)

// startFromReadonlyExe calls start with the path of this binary, from a thread whose private
// mount namespace has that binary bind-mounted read-only over itself. The init process is
// forked from that thread, so its /proc/PID/exe is the binary on a read-only mount: a
// container that gets the runtime binary to run inside it (the "#!/proc/self/exe" entrypoint
// of CVE-2019-5736) cannot reopen it for writing through /proc and overwrite the host's copy.
// Nothing is copied, and the mount disappears with the thread.
func startFromReadonlyExe(start func(exe string) error) error {
	if rootless() {
		// Without privileges there is no private mount namespace to make; the binary is then
		// protected by its own permissions (a user cannot write root's binary).
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("find the minictr binary: %w", err)
		}
		return start(exe)
	}
	done := make(chan error, 1)
	go func() {
		// The thread is never unlocked: when this goroutine ends, the Go runtime ends the
		// thread, and with it the private mount namespace.
		goruntime.LockOSThread()
		exe, err := os.Executable()
		if err != nil {
			done <- fmt.Errorf("find the minictr binary: %w", err)
			return
		}
		if err := unix.Unshare(unix.CLONE_NEWNS | unix.CLONE_FS); err != nil {
			done <- fmt.Errorf("protect %s: unshare mount namespace: %w", exe, err)
			return
		}
		if err := unix.Mount("", "/", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
			done <- fmt.Errorf("protect %s: make / rslave: %w", exe, err)
			return
		}
		if err := unix.Mount(exe, exe, "", unix.MS_BIND, ""); err != nil {
			done <- fmt.Errorf("protect %s: bind onto itself: %w", exe, err)
			return
		}
		if err := unix.Mount("", exe, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
			done <- fmt.Errorf("protect %s: remount read-only: %w", exe, err)
			return
		}
		done <- start(exe)
	}()
	return <-done
}
