package cgroups

import (
	"fmt"
	"path/filepath"
	"time"
)

// freezeTimeout bounds how long Freeze waits for the kernel to report the cgroup frozen.
const freezeTimeout = 5 * time.Second

// freezeV1 writes FROZEN to freezer.state and waits until it reads back FROZEN (it reads
// FREEZING while tasks are still being stopped). The write is repeated now and then, as the
// kernel gives up on tasks that were busy in the kernel. On timeout the cgroup is thawed again.
func freezeV1(dir string) error {
	deadline := time.Now().Add(freezeTimeout)
	delay := time.Millisecond
	for i := 0; ; i++ {
		if i%10 == 0 {
			if err := writeFile(dir, "freezer.state", string(Frozen)); err != nil {
				return fmt.Errorf("freeze: %w", err)
			}
		}
		st, err := readFile(dir, "freezer.state")
		if err != nil {
			return fmt.Errorf("freeze: read %s: %w", filepath.Join(dir, "freezer.state"), unwrapErrno(err))
		}
		if st == string(Frozen) {
			return nil
		}
		if time.Now().After(deadline) {
			_ = writeFile(dir, "freezer.state", string(Thawed))
			return fmt.Errorf("freeze: %s still %s after %v; thawed again", filepath.Join(dir, "freezer.state"), st, freezeTimeout)
		}
		time.Sleep(delay)
		if delay < 50*time.Millisecond {
			delay *= 2
		}
	}
}

func thawV1(dir string) error {
	if err := writeFile(dir, "freezer.state", string(Thawed)); err != nil {
		return fmt.Errorf("thaw: %w", err)
	}
	return nil
}

func stateV1(dir string) (FreezerState, error) {
	st, err := readFile(dir, "freezer.state")
	if err != nil {
		return "", fmt.Errorf("freezer state: read %s: %w", filepath.Join(dir, "freezer.state"), unwrapErrno(err))
	}
	switch FreezerState(st) {
	case Thawed, Freezing, Frozen:
		return FreezerState(st), nil
	}
	return "", fmt.Errorf("freezer state: %s: unexpected %q", filepath.Join(dir, "freezer.state"), st)
}
