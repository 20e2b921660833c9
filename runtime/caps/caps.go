// Package caps sets a process's Linux capabilities from the OCI spec's
// process.capabilities: the bounding, effective, permitted, inheritable and
// ambient sets.
//
// Capabilities belong to a thread, not to a process: capset(2), prctl
// PR_CAPBSET_DROP, PR_SET_KEEPCAPS and PR_CAP_AMBIENT all act on the calling
// thread only. Go's runtime runs goroutines on many threads, so the caller
// must runtime.LockOSThread() before the first call here and exec the
// container process from that same locked thread (execve keeps only the
// calling thread's credentials). Go's all-threads syscall helper is not an
// option: it fails with ENOTSUP in a binary that links cgo, which minictr's
// (nsenter) does.
//
// The init applies the sets in two steps, around its switch to the
// container user:
//
//	runtime.LockOSThread()
//	caps.DropBounding(c)          // needs CAP_SETPCAP: while still root
//	caps.KeepCaps(true)           // keep permitted across setuid
//	setgroups / setgid / setuid
//	caps.KeepCaps(false)
//	caps.SetProcess(c)            // effective, permitted, inheritable, then ambient
//	prctl(PR_SET_NO_NEW_PRIVS)    // if asked for
//	seccomp.Load(...)             // last
//	execve
//
// Apply does DropBounding and SetProcess in one call, for callers that do not
// change user.
package caps

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// names lists the capabilities by number (linux/capability.h).
var names = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
	"CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
	"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
}

// Default is the capability set of a container by default (the one the
// common container engines give): no CAP_SYS_ADMIN, no CAP_NET_ADMIN.
var Default = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

// Names returns every capability name this package knows, by number.
func Names() []string { return append([]string(nil), names...) }

// ParseName returns the number of a capability. It accepts "CAP_NET_ADMIN",
// and for command lines also "net_admin" or "NET_ADMIN".
func ParseName(name string) (int, error) {
	n := strings.ToUpper(strings.TrimSpace(name))
	if !strings.HasPrefix(n, "CAP_") {
		n = "CAP_" + n
	}
	for i, c := range names {
		if c == n {
			return i, nil
		}
	}
	return -1, fmt.Errorf("unknown capability %q", name)
}

// Name returns the name of capability number c.
func Name(c int) string {
	if c >= 0 && c < len(names) {
		return names[c]
	}
	return "CAP_" + strconv.Itoa(c)
}

var last struct {
	once sync.Once
	n    int
	err  error
}

// Last returns the highest capability the running kernel knows
// (/proc/sys/kernel/cap_last_cap).
func Last() (int, error) {
	last.once.Do(func() {
		const path = "/proc/sys/kernel/cap_last_cap"
		b, err := os.ReadFile(path)
		if err != nil {
			last.err = fmt.Errorf("read %s: %w", path, err)
			return
		}
		s := strings.TrimSpace(string(b))
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 63 {
			last.err = fmt.Errorf("read %s: unexpected value %q", path, s)
			return
		}
		last.n = n
	})
	return last.n, last.err
}

// mask is a capability set as a bit mask.
type mask uint64

// parseSet turns a list of names into a mask. Names the running kernel does
// not know (above Last) are skipped with a warning; names nobody knows are an
// error naming the set and the capability.
func parseSet(set string, list []string, lastCap int) (mask, []string, error) {
	var m mask
	var warns []string
	for _, name := range list {
		c, err := ParseName(name)
		if err != nil {
			return 0, warns, fmt.Errorf("capabilities.%s: %w", set, err)
		}
		if c > lastCap {
			warns = append(warns, fmt.Sprintf("capabilities.%s: %s not known to the running kernel (last is %s), skipped", set, Name(c), Name(lastCap)))
			continue
		}
		m |= 1 << uint(c)
	}
	return m, warns, nil
}

// sets is the parsed form of specs.LinuxCapabilities.
type sets struct {
	bounding, effective, permitted, inheritable, ambient mask
	last                                                 int
}

func parse(c *specs.LinuxCapabilities) (*sets, []string, error) {
	lastCap, err := Last()
	if err != nil {
		return nil, nil, err
	}
	s := &sets{last: lastCap}
	var warns []string
	for _, f := range []struct {
		name string
		list []string
		dst  *mask
	}{
		{"bounding", c.Bounding, &s.bounding},
		{"effective", c.Effective, &s.effective},
		{"permitted", c.Permitted, &s.permitted},
		{"inheritable", c.Inheritable, &s.inheritable},
		{"ambient", c.Ambient, &s.ambient},
	} {
		m, w, err := parseSet(f.name, f.list, lastCap)
		warns = append(warns, w...)
		if err != nil {
			return nil, warns, err
		}
		*f.dst = m
	}
	return s, warns, nil
}

// Validate checks every name of c without changing anything, and returns the
// warnings Apply would give.
func Validate(c *specs.LinuxCapabilities) (warnings []string, err error) {
	if c == nil {
		return nil, nil
	}
	_, warnings, err = parse(c)
	return warnings, err
}

// Apply sets all five sets on the calling thread: DropBounding, then
// SetProcess. A nil c means empty sets (every capability dropped), as in
// runc: a spec without process.capabilities gets none.
func Apply(c *specs.LinuxCapabilities) (warnings []string, err error) {
	if c == nil {
		c = &specs.LinuxCapabilities{} // as runc: no capabilities object, no capabilities
	}
	s, warnings, err := parse(c)
	if err != nil {
		return warnings, err
	}
	if err := s.dropBounding(); err != nil {
		return warnings, err
	}
	return warnings, s.setProcess()
}

// DropBounding removes from the calling thread's bounding set every
// capability not in c.Bounding (PR_CAPBSET_DROP). It needs CAP_SETPCAP, so the
// init calls it before giving up root. A nil c empties the bounding set.
func DropBounding(c *specs.LinuxCapabilities) (warnings []string, err error) {
	if c == nil {
		c = &specs.LinuxCapabilities{} // as runc: no capabilities object, no capabilities
	}
	s, warnings, err := parse(c)
	if err != nil {
		return warnings, err
	}
	return warnings, s.dropBounding()
}

// SetProcess sets the calling thread's effective, permitted and inheritable
// sets (capset) and then its ambient set (PR_CAP_AMBIENT): cleared, then each
// listed capability raised. An ambient capability must also be permitted and
// inheritable. A nil c empties every set.
func SetProcess(c *specs.LinuxCapabilities) (warnings []string, err error) {
	if c == nil {
		c = &specs.LinuxCapabilities{} // as runc: no capabilities object, no capabilities
	}
	s, warnings, err := parse(c)
	if err != nil {
		return warnings, err
	}
	return warnings, s.setProcess()
}

func (s *sets) dropBounding() error {
	for c := 0; c <= s.last; c++ {
		if s.bounding&(1<<uint(c)) != 0 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil {
			return fmt.Errorf("drop %s from the bounding set: prctl(PR_CAPBSET_DROP, %d): %w", Name(c), c, err)
		}
	}
	return nil
}

// linuxCapabilityVersion3 is _LINUX_CAPABILITY_VERSION_3: two 32-bit words per set.
const linuxCapabilityVersion3 = 0x20080522

func (s *sets) setProcess() error {
	hdr := unix.CapUserHeader{Version: linuxCapabilityVersion3}
	var data [2]unix.CapUserData
	for i := range data {
		sh := uint(32 * i)
		data[i].Effective = uint32(s.effective >> sh)
		data[i].Permitted = uint32(s.permitted >> sh)
		data[i].Inheritable = uint32(s.inheritable >> sh)
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capset(effective=%#x, permitted=%#x, inheritable=%#x): %w", uint64(s.effective), uint64(s.permitted), uint64(s.inheritable), err)
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		// kernels before 4.3 have no ambient set: fine unless one is asked for
		if s.ambient == 0 && err == unix.EINVAL {
			return nil
		}
		return fmt.Errorf("clear the ambient set: prctl(PR_CAP_AMBIENT_CLEAR_ALL): %w", err)
	}
	for c := 0; c <= s.last; c++ {
		if s.ambient&(1<<uint(c)) == 0 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_RAISE, uintptr(c), 0, 0); err != nil {
			hint := ""
			if err == unix.EPERM && (s.permitted&s.inheritable)&(1<<uint(c)) == 0 {
				hint = " (an ambient capability must be in permitted and inheritable too)"
			}
			return fmt.Errorf("raise %s in the ambient set: prctl(PR_CAP_AMBIENT_RAISE, %d): %w%s", Name(c), c, err, hint)
		}
	}
	return nil
}

// KeepCaps sets or clears PR_SET_KEEPCAPS on the calling thread: when set, a
// setuid from root to another user keeps the permitted set (the effective set
// is cleared all the same; SetProcess sets it again).
func KeepCaps(on bool) error {
	v := uintptr(0)
	if on {
		v = 1
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, v, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_KEEPCAPS, %d): %w", v, err)
	}
	return nil
}

// Current is one thread's capability sets, as /proc reports them.
type Current struct {
	Inheritable, Permitted, Effective, Bounding, Ambient uint64
}

// ReadStatus parses the Cap* lines of a /proc/<pid>/status (or
// /proc/thread-self/status) file.
func ReadStatus(path string) (Current, error) {
	var c Current
	b, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("read capabilities: %w", err)
	}
	return ParseStatus(string(b))
}

// ParseStatus parses the Cap* lines of the text of a /proc status file.
func ParseStatus(text string) (Current, error) {
	var c Current
	found := 0
	for _, line := range strings.Split(text, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		var dst *uint64
		switch k {
		case "CapInh":
			dst = &c.Inheritable
		case "CapPrm":
			dst = &c.Permitted
		case "CapEff":
			dst = &c.Effective
		case "CapBnd":
			dst = &c.Bounding
		case "CapAmb":
			dst = &c.Ambient
		default:
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		if err != nil {
			return c, fmt.Errorf("parse %s line %q: %w", k, line, err)
		}
		*dst = n
		found++
	}
	if found < 4 {
		return c, fmt.Errorf("parse capabilities: only %d Cap* lines found", found)
	}
	return c, nil
}

// Mask returns the bit mask of a list of capability names.
func Mask(list []string) (uint64, error) {
	var m uint64
	for _, n := range list {
		c, err := ParseName(n)
		if err != nil {
			return 0, err
		}
		m |= 1 << uint(c)
	}
	return m, nil
}

// Adjust returns base with the capabilities of add added and those of drop
// removed, for --cap-add/--cap-drop. "ALL" in add starts from every
// capability, "ALL" in drop from none; then the named capabilities of add are
// added and those of drop removed (drop wins). Names are normalized to the
// CAP_ form; the result is ordered by number.
func Adjust(base, add, drop []string) ([]string, error) {
	named := func(flag string, l []string) (m uint64, all bool, err error) {
		for _, n := range l {
			if strings.EqualFold(strings.TrimSpace(n), "ALL") {
				all = true
				continue
			}
			c, err := ParseName(n)
			if err != nil {
				return 0, false, fmt.Errorf("%s: %w", flag, err)
			}
			m |= 1 << uint(c)
		}
		return m, all, nil
	}
	m, _, err := named("base capabilities", base)
	if err != nil {
		return nil, err
	}
	a, addAll, err := named("--cap-add", add)
	if err != nil {
		return nil, err
	}
	d, dropAll, err := named("--cap-drop", drop)
	if err != nil {
		return nil, err
	}
	if addAll {
		m = 1<<uint(len(names)) - 1
	}
	if dropAll {
		m = 0
	}
	m = (m | a) &^ d
	var out []string
	for c := range names {
		if m&(1<<uint(c)) != 0 {
			out = append(out, names[c])
		}
	}
	return out, nil
}
