package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ConfigName is the bundle's config file.
const ConfigName = "config.json"

// Load reads BUNDLE/config.json and validates it. The returned error names the file and, for a
// JSON error, the line and column.
func Load(bundle string) (*specs.Spec, error) {
	s, _, err := LoadBytes(bundle)
	return s, err
}

// LoadBytes is Load that also returns config.json's bytes as read.
func LoadBytes(bundle string) (*specs.Spec, []byte, error) {
	if bundle == "" {
		bundle = "."
	}
	abs, err := filepath.Abs(bundle)
	if err != nil {
		return nil, nil, fmt.Errorf("bundle %s: %w", bundle, err)
	}
	if s, data, ok := takePrefetched(abs); ok {
		return s, data, nil
	}
	return loadBytes(abs, bundle)
}

// loadBytes loads the bundle at abs, an absolute path; errors call it bundle, as given.
func loadBytes(abs, bundle string) (*specs.Spec, []byte, error) {
	st, err := os.Stat(abs)
	if err != nil {
		return nil, nil, fmt.Errorf("bundle %s: %w", bundle, errors.Unwrap(err))
	}
	if !st.IsDir() {
		return nil, nil, fmt.Errorf("bundle %s: not a directory", bundle)
	}
	path := filepath.Join(abs, ConfigName)
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil, fmt.Errorf("bundle %s: no %s (make one with 'minictr spec')", bundle, ConfigName)
		}
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	s, err := Parse(path, data)
	if err != nil {
		return nil, nil, err
	}
	if err := Validate(s, abs); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, data, nil
}

// Parse decodes a config; name is used in errors. Unknown fields are ignored, as the
// runtime-spec requires of runtimes.
func Parse(name string, data []byte) (*specs.Spec, error) {
	var s specs.Spec
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("parse %s: %s", name, describeJSONError(data, err))
	}
	return &s, nil
}

// describeJSONError adds line:column to a decoding error.
func describeJSONError(data []byte, err error) string {
	var off int64 = -1
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		off = syn.Offset
	case errors.As(err, &typ):
		off = typ.Offset
		if typ.Field != "" {
			return fmt.Sprintf("line %d: field %s: expected %s, got JSON %s", lineOf(data, off), typ.Field, typ.Type, typ.Value)
		}
	}
	if off < 0 {
		return err.Error()
	}
	line := lineOf(data, off)
	col := off - int64(bytes.LastIndexByte(data[:min(off, int64(len(data)))], '\n'))
	return fmt.Sprintf("line %d column %d: %v", line, col, err)
}

func lineOf(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return 1 + bytes.Count(data[:off], []byte{'\n'})
}
