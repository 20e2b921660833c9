package spec

import (
	"encoding/json"
	"os"
	"reflect"
	goruntime "runtime"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The first JSON decode of a spec in a process costs 0.6-0.8 ms here, nearly all of it
// encoding/json building its per-type field tables (a second decode of the same file takes
// 40 us). A command that will read a spec starts a goroutine here, while the Go runtime is
// still initializing the packages that come after this one, to decode a skeleton that names
// every object-valued field of the spec type: on the second processor the tables are built
// in parallel, and the real decode finds them ready. Only a warm-up: the decode is right
// either way. Not in a single-processor process, where it would only add work.
func init() {
	if goruntime.GOMAXPROCS(0) > 1 && readsSpec(os.Args[1:]) {
		go warmDecoder()
	}
}

// readsSpec reports whether the command (the first argument that is neither a global flag nor
// a global flag's value) is one that reads a spec.
func readsSpec(args []string) bool {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--root" || a == "--log" || a == "--log-format" || a == "--rootless":
			i++ // the flag's value
		case strings.HasPrefix(a, "-"):
		default:
			return a == "run" || a == "create" || a == "exec"
		}
	}
	return false
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
