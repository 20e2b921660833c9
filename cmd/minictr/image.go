//go:build !lean

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/minictr/minictr/image"
	"github.com/minictr/minictr/image/archive"
	"github.com/minictr/minictr/image/manifest"
	"github.com/minictr/minictr/image/reference"
	"github.com/minictr/minictr/image/registry"
	"github.com/minictr/minictr/image/store"
	"github.com/minictr/minictr/rootfs/snapshot"
)

// Image verbs: pull, load, images, rmi, image inspect|prune|unpack.
func init() {
	register(&command{Name: "pull", Summary: "pull an image from a registry into the store", Run: cmdPull})
	register(&command{Name: "load", Summary: "load an image from a docker-archive or OCI layout (tar or directory)", Run: cmdLoad})
	register(&command{Name: "images", Summary: "list the images in the store", Run: cmdImages})
	register(&command{Name: "rmi", Summary: "remove images (and unused blobs and snapshots)", Run: cmdRmi})
	register(&command{Name: "image", Summary: "image inspect|prune|unpack", Run: cmdImage})
}

func storeFlag(fs *pflag.FlagSet) *string {
	return fs.String("store", envOr(store.RootEnv, store.DefaultRoot), "image store directory (env "+store.RootEnv+")")
}

func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func cmdPull(g *Globals, args []string) error {
	fs := pflag.NewFlagSet("pull", pflag.ContinueOnError)
	st := storeFlag(fs)
	platform := fs.String("platform", "", "os/arch[/variant] to pull from a multi-platform image (default linux/host arch)")
	tlsVerify := fs.Bool("tls-verify", true, "verify the registry's TLS certificate (false also allows plain http)")
	creds := fs.String("creds", "", "USER:PASSWORD for the registry")
	quiet := fs.BoolP("quiet", "q", false, "no progress output")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("usage: minictr pull [flags] [HOST[:PORT]/]NAME[:TAG|@DIGEST]")
	}
	ref, err := reference.Parse(fs.Arg(0))
	if err != nil {
		return err
	}
	p, err := manifest.ParsePlatform(*platform)
	if err != nil {
		return err
	}
	s, err := store.Open(*st)
	if err != nil {
		return err
	}
	opts := registry.Options{Platform: p, TLSVerify: *tlsVerify}
	if *creds != "" {
		u, pw, ok := cutColon(*creds)
		if !ok {
			return fmt.Errorf("--creds: expected USER:PASSWORD")
		}
		opts.Username, opts.Password = u, pw
	}
	if !*quiet {
		opts.Progress = registry.NewProgress(os.Stderr)
	}
	ctx, cancel := signalContext()
	defer cancel()
	name, desc, err := registry.Pull(ctx, s, ref, opts)
	if err != nil {
		return err
	}
	fmt.Printf("%s %s\n", name, desc.Digest)
	return nil
}

func cutColon(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func cmdLoad(g *Globals, args []string) error {
	fs := pflag.NewFlagSet("load", pflag.ContinueOnError)
	st := storeFlag(fs)
	input := fs.StringP("input", "i", "", "docker-archive or OCI layout tar, or OCI layout directory[:TAG]")
	name := fs.String("name", "", "store the image under this name")
	platform := fs.String("platform", "", "os/arch[/variant] to take from a multi-platform image")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *input == "" && fs.NArg() == 1 {
		*input = fs.Arg(0)
	}
	if *input == "" {
		return fmt.Errorf("usage: minictr load -i FILE.tar|DIR[:TAG] [--name NAME]")
	}
	p, err := manifest.ParsePlatform(*platform)
	if err != nil {
		return err
	}
	s, err := store.Open(*st)
	if err != nil {
		return err
	}
	ctx, cancel := signalContext()
	defer cancel()
	loaded, err := archive.Load(ctx, s, *input, archive.Options{Name: *name, Platform: p})
	if err != nil {
		return err
	}
	for _, l := range loaded {
		fmt.Printf("Loaded image: %s %s\n", l.Name, l.Manifest.Digest)
	}
	return nil
}

func cmdImages(g *Globals, args []string) error {
	fs := pflag.NewFlagSet("images", pflag.ContinueOnError)
	st := storeFlag(fs)
	quiet := fs.BoolP("quiet", "q", false, "names only")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := store.Open(*st)
	if err != nil {
		return err
	}
	list, err := image.List(s)
	if err != nil {
		return err
	}
	if *quiet {
		for _, i := range list {
			fmt.Println(i.Name)
		}
		return nil
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tDIGEST\tCREATED\tSIZE")
	for _, i := range list {
		size := "?"
		if i.Size >= 0 {
			size = fmt.Sprintf("%.1fMB", float64(i.Size)/1e6)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", i.Name, i.Digest.Encoded()[:12], i.Created, size)
	}
	return tw.Flush()
}

func cmdRmi(g *Globals, args []string) error {
	fs := pflag.NewFlagSet("rmi", pflag.ContinueOnError)
	st := storeFlag(fs)
	noPrune := fs.Bool("no-prune", false, "only untag; keep unused blobs and snapshots")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("usage: minictr rmi NAME...")
	}
	s, err := store.Open(*st)
	if err != nil {
		return err
	}
	for _, n := range fs.Args() {
		if _, err := image.Remove(s, n, true); err != nil {
			return err
		}
		fmt.Printf("Untagged: %s\n", n)
	}
	if *noPrune {
		return nil
	}
	gs, err := image.GC(s)
	if err != nil {
		return err
	}
	fmt.Printf("Deleted %d blobs (%.1f MB), %d snapshots\n", gs.Blobs, float64(gs.Bytes)/1e6, gs.Snapshots)
	return nil
}

func cmdImage(g *Globals, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: minictr image inspect|prune|unpack ...")
	}
	fs := pflag.NewFlagSet("image "+args[0], pflag.ContinueOnError)
	st := storeFlag(fs)
	platform := fs.String("platform", "", "os/arch[/variant]")
	flat := fs.String("flat", "", "unpack: apply all layers into this directory instead of the snapshots")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	s, err := store.Open(*st)
	if err != nil {
		return err
	}
	p, err := manifest.ParsePlatform(*platform)
	if err != nil {
		return err
	}
	switch args[0] {
	case "inspect":
		if fs.NArg() != 1 {
			return fmt.Errorf("usage: minictr image inspect NAME")
		}
		img, err := image.Resolve(s, fs.Arg(0), p)
		if err != nil {
			return err
		}
		out := map[string]any{
			"Name": img.Name, "Digest": img.Top.Digest, "ManifestDigest": img.ManifestDesc.Digest,
			"Size": img.Size, "Manifest": img.Manifest, "Config": img.Config,
		}
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case "prune":
		gs, err := image.GC(s)
		if err != nil {
			return err
		}
		fmt.Printf("Deleted %d blobs (%.1f MB), %d snapshots\n", gs.Blobs, float64(gs.Bytes)/1e6, gs.Snapshots)
		return nil
	case "unpack":
		// Unpack an image's layers into their snapshots (what `run` does first); prints the
		// snapshot directories, bottom layer first.
		if fs.NArg() != 1 {
			return fmt.Errorf("usage: minictr image unpack NAME")
		}
		img, err := image.Resolve(s, fs.Arg(0), p)
		if err != nil {
			return err
		}
		ctx, cancel := signalContext()
		defer cancel()
		if *flat != "" {
			if err := os.MkdirAll(*flat, 0o755); err != nil {
				return err
			}
			return snapshot.ApplyFlat(ctx, *flat, img.Layers(s))
		}
		dirs, err := image.Unpack(ctx, s, img)
		if err != nil {
			return err
		}
		for _, d := range dirs {
			fmt.Println(d)
		}
		return nil
	default:
		return fmt.Errorf("image %s: unknown subcommand (inspect, prune, unpack)", args[0])
	}
}
