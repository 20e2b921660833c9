//go:build !lean

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/minictr/minictr/runtime/network"
)

func init() {
	register(&command{Name: "network", Summary: "list, inspect and prune container networks (ls, inspect NAME, prune)", Run: cmdNetwork})
}

func cmdNetwork(_ *Globals, args []string) error {
	fs := pflag.NewFlagSet("network", pflag.ContinueOnError)
	fs.SetInterspersed(true)
	store := fs.String("store", envOr("MINICTR_STORE", network.DefaultStoreDir), "store directory (network state lives in STORE/network)")
	asJSON := fs.Bool("json", false, "ls: print JSON instead of a table")
	fs.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: minictr network ls [--json] | inspect NAME | prune  [--store DIR]\n%s", fs.FlagUsages())
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) == 0 {
		fs.Usage()
		return ExitCode(2)
	}
	switch rest[0] {
	case "ls", "list":
		if len(rest) != 1 {
			return fmt.Errorf("network ls: takes no arguments, got %q", rest[1:])
		}
		nets, err := network.List(*store)
		if err != nil {
			return err
		}
		if *asJSON {
			return netPrintJSON(nets)
		}
		w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "NAME\tDRIVER\tSUBNET\tGATEWAY\tCONTAINERS\tPRESENT")
		for _, n := range nets {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%v\n", n.Name, n.Driver, n.Subnet, n.Gateway, len(n.Containers), n.Present)
		}
		return w.Flush()
	case "inspect":
		if len(rest) != 2 {
			return fmt.Errorf("network inspect: expected one network name, got %d arguments", len(rest)-1)
		}
		n, err := network.Inspect(*store, rest[1])
		if err != nil {
			return err
		}
		return netPrintJSON(n)
	case "prune":
		if len(rest) != 1 {
			return fmt.Errorf("network prune: takes no arguments, got %q", rest[1:])
		}
		return network.Prune(*store)
	default:
		return fmt.Errorf("network: unknown subcommand %q (expected %s)", rest[0], strings.Join([]string{"ls", "inspect", "prune"}, ", "))
	}
}

func netPrintJSON(v any) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
