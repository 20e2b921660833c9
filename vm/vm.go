// Package vm is the process virtual machine: a register bytecode ISA (vm/isa), a compiler from a
// subset of Go (vm/compiler) and an interpreter with green threads (vm/interp). This file is
// the small API the CLI uses.
package vm

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/minictr/minictr/vm/compiler"
	"github.com/minictr/minictr/vm/interp"
	"github.com/minictr/minictr/vm/isa"
)

// Options configure a run (see interp.Options).
type Options = interp.Options

// Dir grants host directory Host to the program as Guest.
type Dir = interp.Dir

// Threads modes.
const (
	Hybrid = interp.Hybrid
	User   = interp.User
)

// ExitError reports a non-zero exit of the program (its message is already on Stderr).
type ExitError = interp.ExitError

// Load returns the module in path: a Go source file (.go) is compiled, a .mbc file is decoded
// and verified, a .masm file is assembled.
func Load(path string) (*isa.Module, error) {
	switch {
	case strings.HasSuffix(path, ".go"):
		return compiler.CompileFile(path)
	case strings.HasSuffix(path, ".masm"):
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		m, err := isa.Assemble(string(src))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return m, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if !bytes.HasPrefix(data, []byte(isa.Magic)) {
		return nil, fmt.Errorf("load %s: %w (want a .go, .mbc or .masm file)", path, isa.ErrMagic)
	}
	m, err := isa.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	return m, nil
}

// Run executes a module. It returns nil on a zero exit, *ExitError otherwise.
func Run(m *isa.Module, opts Options) error {
	mach, err := interp.New(m, opts)
	if err != nil {
		return err
	}
	return mach.Run()
}

// Build compiles src and writes the .mbc module to out.
func Build(src, out string) error {
	m, err := Load(src)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, m.Encode(), 0o644); err != nil {
		return fmt.Errorf("write module %s: %w", out, err)
	}
	return nil
}

// Asm assembles .masm text from src into the .mbc file out.
func Asm(src, out string) error {
	text, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("read %s: %w", src, err)
	}
	m, err := isa.Assemble(string(text))
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	if err := os.WriteFile(out, m.Encode(), 0o644); err != nil {
		return fmt.Errorf("write module %s: %w", out, err)
	}
	return nil
}

// Disasm returns the .masm text of the module in path.
func Disasm(path string) (string, error) {
	m, err := Load(path)
	if err != nil {
		return "", err
	}
	return isa.Disasm(m), nil
}

// IsExit reports whether err is a program exit and returns its status.
func IsExit(err error) (int, bool) {
	var e *ExitError
	if errors.As(err, &e) {
		return e.Code, true
	}
	return 0, false
}
