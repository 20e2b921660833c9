package image

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minictr/minictr/runtime/spec"
)

// RunOptions are the user's choices for a container of an image (the flags of
// `minictr run IMAGE`). The zero value runs the image as its config says.
type RunOptions struct {
	Args       []string  // replaces the image's Cmd (the words after IMAGE)
	Entrypoint *[]string // replaces the image's Entrypoint (an empty slice clears it)
	Env        []string  // KEY=VALUE, or KEY alone to copy the caller's value
	Workdir    string    // -w: absolute path in the container
	User       string    // -u: name|uid[:group|gid], resolved in the image's /etc/passwd, /etc/group
	Memory     int64     // --memory, bytes (0 = no limit)
	CPUs       float64   // --cpus, number of CPUs (0 = no limit)
	PidsLimit  int64     // --pids-limit (0 = no limit)
	Mounts     []string  // -v HOST:CTR[:ro|rw]
	Hostname   string    // --hostname (default: the container id)
	ReadOnly   bool      // --read-only: the rootfs is mounted read-only
	TTY        bool      // -t: the process gets a terminal
	Platform   ocispec.Platform
}

const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Annotations written into the generated spec (the image config's notes that the runtime does
// not act on).
const (
	AnnotationImage        = "org.minictr.image.name"
	AnnotationExposedPorts = "org.minictr.image.exposed-ports"
	AnnotationVolumes      = "org.minictr.image.volumes"
	AnnotationStopSignal   = "org.minictr.image.stop-signal"
)

// SpecFromConfig builds a runtime spec for an image config: spec.Default() (as `runc spec`),
// then the image's entrypoint, command, environment, working directory and user, then the
// options. rootfs is the container's prepared root filesystem (the user's name is looked up in
// its /etc/passwd and /etc/group); it becomes Root.Path.
func SpecFromConfig(cfg ocispec.ImageConfig, rootfs string, opts RunOptions) (*specs.Spec, error) {
	s := spec.Default()
	s.Root.Path = rootfs
	s.Root.Readonly = opts.ReadOnly
	p := s.Process
	p.Terminal = opts.TTY

	// Command: Entrypoint + Cmd, each overridable.
	entry := cfg.Entrypoint
	if opts.Entrypoint != nil {
		entry = *opts.Entrypoint
	}
	cmd := cfg.Cmd
	if len(opts.Args) > 0 {
		cmd = opts.Args
	} else if opts.Entrypoint != nil {
		cmd = nil // a new entrypoint drops the image's Cmd, as docker does
	}
	p.Args = append(append([]string{}, entry...), cmd...)
	if len(p.Args) == 0 {
		return nil, fmt.Errorf("image config: no Entrypoint and no Cmd, and no command given")
	}

	// Environment: the image's, with PATH defaulted, then the options (last one wins).
	env := newEnv()
	env.set(defaultPath)
	for _, e := range cfg.Env {
		env.set(e)
	}
	if opts.TTY {
		env.setDefault("TERM=xterm")
	}
	for _, e := range opts.Env {
		if !strings.Contains(e, "=") {
			v, ok := os.LookupEnv(e)
			if !ok {
				continue
			}
			e += "=" + v
		}
		if strings.HasPrefix(e, "=") {
			return nil, fmt.Errorf("environment variable %q: empty name", e)
		}
		env.set(e)
	}

	// Working directory.
	p.Cwd = "/"
	if cfg.WorkingDir != "" {
		p.Cwd = cfg.WorkingDir
	}
	if opts.Workdir != "" {
		p.Cwd = opts.Workdir
	}
	if !path.IsAbs(p.Cwd) {
		return nil, fmt.Errorf("working directory %q: not an absolute path", p.Cwd)
	}

	// User.
	user := cfg.User
	if opts.User != "" {
		user = opts.User
	}
	if user != "" {
		u, home, err := ResolveUser(rootfs, user)
		if err != nil {
			return nil, err
		}
		p.User = u
		if home != "" {
			env.setDefault("HOME=" + home)
		}
	}
	env.setDefault("HOME=/root")
	p.Env = env.list()

	if opts.Hostname != "" {
		s.Hostname = opts.Hostname
	}

	// Resources.
	r := s.Linux.Resources
	if opts.Memory < 0 || opts.CPUs < 0 || opts.PidsLimit < 0 {
		return nil, fmt.Errorf("resource limits: memory %d, cpus %g, pids %d: negative", opts.Memory, opts.CPUs, opts.PidsLimit)
	}
	if opts.Memory > 0 {
		m := opts.Memory
		r.Memory = &specs.LinuxMemory{Limit: &m}
	}
	if opts.CPUs > 0 {
		period := uint64(100000)
		quota := int64(opts.CPUs * float64(period))
		if quota < 1000 {
			return nil, fmt.Errorf("--cpus %g: below the minimum of 0.01", opts.CPUs)
		}
		r.CPU = &specs.LinuxCPU{Period: &period, Quota: &quota}
	}
	if opts.PidsLimit > 0 {
		l := opts.PidsLimit
		r.Pids = &specs.LinuxPids{Limit: &l}
	}

	// Bind mounts.
	for _, v := range opts.Mounts {
		m, err := ParseVolume(v)
		if err != nil {
			return nil, err
		}
		s.Mounts = append(s.Mounts, m)
	}

	// Notes from the image config.
	s.Annotations = map[string]string{}
	if len(cfg.ExposedPorts) > 0 {
		s.Annotations[AnnotationExposedPorts] = strings.Join(sortedKeys(cfg.ExposedPorts), ",")
	}
	if len(cfg.Volumes) > 0 {
		s.Annotations[AnnotationVolumes] = strings.Join(sortedKeys(cfg.Volumes), ",")
	}
	if cfg.StopSignal != "" {
		s.Annotations[AnnotationStopSignal] = cfg.StopSignal
	}
	return s, nil
}

func sortedKeys(m map[string]struct{}) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ParseVolume parses -v HOST:CTR[:ro|rw] into a bind mount.
func ParseVolume(v string) (specs.Mount, error) {
	parts := strings.Split(v, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return specs.Mount{}, fmt.Errorf("-v %q: expected HOST:CONTAINER[:ro|rw]", v)
	}
	host, ctr := parts[0], parts[1]
	opts := []string{"rbind"}
	if len(parts) == 3 {
		switch parts[2] {
		case "ro", "rw":
			opts = append(opts, parts[2])
		default:
			return specs.Mount{}, fmt.Errorf("-v %q: option %q (expected ro or rw)", v, parts[2])
		}
	} else {
		opts = append(opts, "rw")
	}
	if !filepath.IsAbs(host) {
		abs, err := filepath.Abs(host)
		if err != nil {
			return specs.Mount{}, fmt.Errorf("-v %q: %w", v, err)
		}
		host = abs
	}
	if _, err := os.Stat(host); err != nil {
		return specs.Mount{}, fmt.Errorf("-v %q: host path: %w", v, err)
	}
	if !path.IsAbs(ctr) {
		return specs.Mount{}, fmt.Errorf("-v %q: container path %q is not absolute", v, ctr)
	}
	return specs.Mount{Destination: path.Clean(ctr), Type: "bind", Source: host, Options: opts}, nil
}

// env keeps KEY=VALUE pairs in first-set order.
type env struct {
	keys []string
	vals map[string]string
}

func newEnv() *env { return &env{vals: map[string]string{}} }

func (e *env) set(kv string) {
	k, v, _ := strings.Cut(kv, "=")
	if _, ok := e.vals[k]; !ok {
		e.keys = append(e.keys, k)
	}
	e.vals[k] = v
}

func (e *env) setDefault(kv string) {
	k, _, _ := strings.Cut(kv, "=")
	if _, ok := e.vals[k]; !ok {
		e.set(kv)
	}
}

func (e *env) list() []string {
	out := make([]string, len(e.keys))
	for i, k := range e.keys {
		out[i] = k + "=" + e.vals[k]
	}
	return out
}

// ResolveUser turns name|uid[:group|gid] into a runtime user, reading /etc/passwd and
// /etc/group inside rootfs (symlinks there resolved inside rootfs). A numeric uid that is not
// in /etc/passwd is used as is, with gid 0 unless given. It also returns the home directory.
func ResolveUser(rootfs, user string) (specs.User, string, error) {
	var u specs.User
	name, group, hasGroup := strings.Cut(user, ":")
	if name == "" {
		return u, "", fmt.Errorf("user %q: empty user name", user)
	}
	passwd, _ := readEtc(rootfs, "/etc/passwd")
	groups, _ := readEtc(rootfs, "/etc/group")
	home := ""
	uname := ""
	if uid, err := strconv.ParseUint(name, 10, 32); err == nil {
		u.UID = uint32(uid)
		for _, f := range passwd {
			if len(f) >= 4 && f[2] == name {
				uname, home = f[0], field(f, 5)
				if gid, err := strconv.ParseUint(f[3], 10, 32); err == nil {
					u.GID = uint32(gid)
				}
				break
			}
		}
	} else {
		found := false
		for _, f := range passwd {
			if len(f) >= 4 && f[0] == name {
				uid, err1 := strconv.ParseUint(f[2], 10, 32)
				gid, err2 := strconv.ParseUint(f[3], 10, 32)
				if err1 != nil || err2 != nil {
					return u, "", fmt.Errorf("user %q: bad line in %s/etc/passwd: %q", user, rootfs, strings.Join(f, ":"))
				}
				u.UID, u.GID, uname, home = uint32(uid), uint32(gid), name, field(f, 5)
				found = true
				break
			}
		}
		if !found {
			return u, "", fmt.Errorf("user %q: no such user in the image's /etc/passwd", name)
		}
	}
	if hasGroup {
		if gid, err := strconv.ParseUint(group, 10, 32); err == nil {
			u.GID = uint32(gid)
		} else {
			found := false
			for _, f := range groups {
				if len(f) >= 3 && f[0] == group {
					gid, err := strconv.ParseUint(f[2], 10, 32)
					if err != nil {
						return u, "", fmt.Errorf("group %q: bad line in the image's /etc/group", group)
					}
					u.GID, found = uint32(gid), true
					break
				}
			}
			if !found {
				return u, "", fmt.Errorf("group %q: no such group in the image's /etc/group", group)
			}
		}
	}
	// Supplementary groups: those that list the user by name.
	if uname != "" {
		for _, f := range groups {
			if len(f) < 4 || f[3] == "" {
				continue
			}
			for _, m := range strings.Split(f[3], ",") {
				if m == uname {
					if gid, err := strconv.ParseUint(f[2], 10, 32); err == nil && uint32(gid) != u.GID {
						u.AdditionalGids = append(u.AdditionalGids, uint32(gid))
					}
				}
			}
		}
	}
	return u, home, nil
}

func field(f []string, i int) string {
	if i < len(f) {
		return f[i]
	}
	return ""
}

// readEtc reads a colon-separated file of the image (bounded to 4 MiB).
func readEtc(rootfs, name string) ([][]string, error) {
	p, err := securejoin.SecureJoin(rootfs, name)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out [][]string
	sc := bufio.NewScanner(io.LimitReader(f, 4<<20))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, strings.Split(line, ":"))
	}
	return out, sc.Err()
}
