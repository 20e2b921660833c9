package spec

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	goruntime "runtime"
	"strings"
	"sync/atomic"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The first JSON decode of a spec in a process costs 0.6-0.8 ms here, nearly all of it
// encoding/json building its per-type field tables (a second decode of the same file takes
// 40 us). So a command that reads a spec starts on it here, at package initialization, while
// the Go runtime is still initializing the packages that come after this one, on the second
// processor:
//
//   - run and create read and decode the bundle's config.json itself (prefetch): Load of the
//     same bundle then takes the result, usually ready (the file is read a few milliseconds
//     early, which is no different from reading it then);
//   - exec decodes a skeleton that names every object-valued field of the spec type (the
//     state's copy of the config is decoded later, finding the tables ready).
//
// Either is only a head start: what Load returns is the same. Not in a single-processor
// process, where it would only add work.
func init() {
	if goruntime.GOMAXPROCS(0) < 2 {
		return
	}
	switch cmd, rest := CommandOf(os.Args[1:]); cmd {
	case "run", "create":
		prefetch(bundleArg(rest))
	case "exec":
		go warmDecoder()
	}
}

// prefetch starts loading the bundle's config in the background.
func prefetch(bundle string) {
	abs, err := filepath.Abs(bundle)
	if err != nil {
		return
	}
	pre.abs = abs
	pre.done = make(chan struct{})
	go func() {
		defer close(pre.done)
		pre.spec, pre.data, pre.err = loadBytes(abs, bundle)
	}()
}

// pre is the prefetched config: abs is the bundle (set before the goroutine starts), the
// rest valid once done is closed. The first Load of that bundle takes it.
var pre struct {
	abs   string
	done  chan struct{}
	taken atomic.Bool
	spec  *specs.Spec
	data  []byte
	err   error
}

// takePrefetched returns the prefetched config of the bundle at abs, once.
func takePrefetched(abs string) (*specs.Spec, []byte, bool) {
	if pre.done == nil || pre.abs != abs || !pre.taken.CompareAndSwap(false, true) {
		return nil, nil, false
	}
	<-pre.done
	if pre.err != nil {
		return nil, nil, false // Load reads it again and reports the error itself
	}
	return pre.spec, pre.data, true
}

// CommandOf splits minictr's arguments at the command: the first argument that is neither a
// global flag nor a global flag's value.
func CommandOf(args []string) (string, []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--root" || a == "--log" || a == "--log-format" || a == "--rootless":
			i++ // the flag's value
		case strings.HasPrefix(a, "-"):
		default:
			return a, args[i+1:]
		}
	}
	return "", nil
}

// bundleArg is the value of run's or create's --bundle/-b, as pflag reads it ("-b B", "-bB",
// "--bundle B", "--bundle=B"), or "." (the default). A wrong guess (an image run's command
// arguments that happen to include -b) only prefetches something Load never asks for.
func bundleArg(args []string) string {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return "."
		case (a == "-b" || a == "--bundle") && i+1 < len(args):
			return args[i+1]
		case strings.HasPrefix(a, "--bundle="):
			return strings.TrimPrefix(a, "--bundle=")
		case strings.HasPrefix(a, "-b") && len(a) > 2:
			return a[2:]
		}
	}
	return "."
}

func warmDecoder() {
	sk := skeleton(reflect.TypeFor[specs.Spec](), map[reflect.Type]bool{}).(map[string]any)
	// Other platforms' sections: a Linux bundle has none, and their tables would only be work.
	for _, other := range []string{"windows", "solaris", "vm", "zos"} {
		delete(sk, other)
	}
	data, err := json.Marshal(sk)
	if err != nil {
		return
	}
	var s specs.Spec
	_ = json.Unmarshal(data, &s)
}

// skeleton is a JSON value for t with every nested struct present (one element for each slice
// and string-keyed map); scalars are left out.
func skeleton(t reflect.Type, seen map[reflect.Type]bool) any {
	switch t.Kind() {
	case reflect.Pointer:
		return skeleton(t.Elem(), seen)
	case reflect.Slice, reflect.Array:
		if v := skeleton(t.Elem(), seen); v != nil {
			return []any{v}
		}
	case reflect.Map:
		if t.Key().Kind() == reflect.String {
			if v := skeleton(t.Elem(), seen); v != nil {
				return map[string]any{"k": v}
			}
		}
	case reflect.Struct:
		if seen[t] {
			return nil
		}
		seen[t] = true
		defer delete(seen, t)
		m := map[string]any{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if v := skeleton(f.Type, seen); v != nil {
				m[name] = v
			}
		}
		return m
	}
	return nil
}
