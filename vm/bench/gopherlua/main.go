// Command gopherlua runs a Lua script under gopher-lua (a Lua 5.1 interpreter written in Go) for
// the process VM's benchmark: `gopherlua script.lua [args...]`, with the standard libraries open
// and the arguments passed as lua5.4 passes them (the global table arg, arg[0] the script, and
// the chunk's ... values).
//
// It is a module of its own so that the main module does not depend on gopher-lua; the
// benchmark script builds it on demand.
package main

import (
	"fmt"
	"os"

	lua "github.com/yuin/gopher-lua"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: gopherlua script.lua [args...]")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "gopherlua: %v\n", err)
		os.Exit(1)
	}
}

func run(script string, args []string) error {
	// The standard libraries are open (as with no options). The data stack may grow: with the
	// default fixed size, table.concat of the strings benchmark's 2e6 parts overflows it
	// ("registry overflow"). The bound check is on every push either way, so growth costs
	// nothing until it happens, and then in large steps (8 copies up to 2e6 entries).
	L := lua.NewState(lua.Options{
		RegistryMaxSize:  1 << 23,
		RegistryGrowStep: 1 << 18,
	})
	defer L.Close()
	argt := L.NewTable()
	L.RawSetInt(argt, 0, lua.LString(script))
	for i, a := range args {
		L.RawSetInt(argt, i+1, lua.LString(a))
	}
	L.SetGlobal("arg", argt)
	fn, err := L.LoadFile(script)
	if err != nil {
		return fmt.Errorf("load %s: %w", script, err)
	}
	L.Push(fn)
	for _, a := range args {
		L.Push(lua.LString(a))
	}
	if err := L.PCall(len(args), lua.MultRet, nil); err != nil {
		return fmt.Errorf("run %s: %w", script, err)
	}
	return nil
}
