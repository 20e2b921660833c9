package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// runHooks runs each hook in order with the container's state as JSON on stdin; the first
// failure stops the list. stage names the list in errors.
func runHooks(stage string, hooks []specs.Hook, st *specs.State) error {
	for i, h := range hooks {
		if err := runHook(h, st); err != nil {
			return fmt.Errorf("%s hook %d (%s): %w", stage, i, h.Path, err)
		}
	}
	return nil
}

func runHook(h specs.Hook, st *specs.State) error {
	var stdin []byte
	if st != nil {
		var err error
		if stdin, err = json.Marshal(st); err != nil {
			return err
		}
	}
	ctx := context.Background()
	if h.Timeout != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(*h.Timeout)*time.Second)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, h.Path)
	if len(h.Args) > 0 {
		cmd.Args = h.Args
	}
	cmd.Env = h.Env
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	cmd.Stdin = bytes.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		return fmt.Errorf("timed out after %ds", *h.Timeout)
	}
	if err != nil {
		if msg := bytes.TrimSpace(out.Bytes()); len(msg) > 0 {
			return fmt.Errorf("%w: %s", err, msg)
		}
		return err
	}
	return nil
}
