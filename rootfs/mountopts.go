package rootfs

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// mountOpts is a spec mount's option list parsed once: what mount(2) gets as flags, what it gets as
// the data string, which propagation changes follow the mount, and which recursive attributes
// are applied afterwards with mount_setattr(2).
type mountOpts struct {
	flags       uintptr   // MS_* flags for the mount (and the remount of a bind)
	propagation []uintptr // MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE, maybe |MS_REC, in order
	data        string    // everything the table does not know, comma-joined, for the filesystem
	recAttrSet  uint64    // MOUNT_ATTR_* to set on the whole tree (rro, rnosuid...)
	recAttrClr  uint64    // MOUNT_ATTR_* to clear on the whole tree (rrw, rsuid...)
	tmpcopyup   bool      // copy the directory's original content into the new tmpfs
}

// bind reports whether the mount is a bind mount (bind or rbind).
func (o *mountOpts) bind() bool { return o.flags&unix.MS_BIND != 0 }

// flagOpt is one entry of the flag table: clear=true means the option removes the flag
// ("rw" removes MS_RDONLY).
type flagOpt struct {
	clear bool
	flag  uintptr
}

// flagTable maps mount(8) option names to MS_* flags. The names are those of mount(8) and of the
// runtime-spec; anything not here (or in the tables below) is filesystem data (mode=755, size=...).
var flagTable = map[string]flagOpt{
	"defaults":      {false, 0},
	"ro":            {false, unix.MS_RDONLY},
	"rw":            {true, unix.MS_RDONLY},
	"nosuid":        {false, unix.MS_NOSUID},
	"suid":          {true, unix.MS_NOSUID},
	"nodev":         {false, unix.MS_NODEV},
	"dev":           {true, unix.MS_NODEV},
	"noexec":        {false, unix.MS_NOEXEC},
	"exec":          {true, unix.MS_NOEXEC},
	"sync":          {false, unix.MS_SYNCHRONOUS},
	"async":         {true, unix.MS_SYNCHRONOUS},
	"dirsync":       {false, unix.MS_DIRSYNC},
	"remount":       {false, unix.MS_REMOUNT},
	"mand":          {false, unix.MS_MANDLOCK},
	"nomand":        {true, unix.MS_MANDLOCK},
	"atime":         {true, unix.MS_NOATIME},
	"noatime":       {false, unix.MS_NOATIME},
	"diratime":      {true, unix.MS_NODIRATIME},
	"nodiratime":    {false, unix.MS_NODIRATIME},
	"relatime":      {false, unix.MS_RELATIME},
	"norelatime":    {true, unix.MS_RELATIME},
	"strictatime":   {false, unix.MS_STRICTATIME},
	"nostrictatime": {true, unix.MS_STRICTATIME},
	"lazytime":      {false, unix.MS_LAZYTIME},
	"nolazytime":    {true, unix.MS_LAZYTIME},
	"silent":        {false, unix.MS_SILENT},
	"loud":          {true, unix.MS_SILENT},
	"nosymfollow":   {false, unix.MS_NOSYMFOLLOW},
	"symfollow":     {true, unix.MS_NOSYMFOLLOW},
	"bind":          {false, unix.MS_BIND},
	"rbind":         {false, unix.MS_BIND | unix.MS_REC},
}

// propagationTable maps the propagation options; each becomes its own mount(2) call after the
// mount itself, because the kernel ignores them when combined with other flags.
var propagationTable = map[string]uintptr{
	"shared":      unix.MS_SHARED,
	"rshared":     unix.MS_SHARED | unix.MS_REC,
	"slave":       unix.MS_SLAVE,
	"rslave":      unix.MS_SLAVE | unix.MS_REC,
	"private":     unix.MS_PRIVATE,
	"rprivate":    unix.MS_PRIVATE | unix.MS_REC,
	"unbindable":  unix.MS_UNBINDABLE,
	"runbindable": unix.MS_UNBINDABLE | unix.MS_REC,
}

// recAttrTable maps the recursive forms (runtime-spec 1.1 "rro", "rnosuid"...) to mount_setattr
// attributes; set=false means the attribute is cleared on the whole tree.
var recAttrTable = map[string]struct {
	set  bool
	attr uint64
}{
	"rro":          {true, unix.MOUNT_ATTR_RDONLY},
	"rrw":          {false, unix.MOUNT_ATTR_RDONLY},
	"rnosuid":      {true, unix.MOUNT_ATTR_NOSUID},
	"rsuid":        {false, unix.MOUNT_ATTR_NOSUID},
	"rnodev":       {true, unix.MOUNT_ATTR_NODEV},
	"rdev":         {false, unix.MOUNT_ATTR_NODEV},
	"rnoexec":      {true, unix.MOUNT_ATTR_NOEXEC},
	"rexec":        {false, unix.MOUNT_ATTR_NOEXEC},
	"rnodiratime":  {true, unix.MOUNT_ATTR_NODIRATIME},
	"rdiratime":    {false, unix.MOUNT_ATTR_NODIRATIME},
	"rnosymfollow": {true, unix.MOUNT_ATTR_NOSYMFOLLOW},
	"rsymfollow":   {false, unix.MOUNT_ATTR_NOSYMFOLLOW},
	// The atime modes are one field, not bits: setting one means clearing the others.
	"rrelatime":    {true, unix.MOUNT_ATTR_RELATIME},
	"rnoatime":     {true, unix.MOUNT_ATTR_NOATIME},
	"rstrictatime": {true, unix.MOUNT_ATTR_STRICTATIME},
}

// parseMountOptions turns a spec mount's options into mountOpts. Unknown options are data for the
// filesystem, as mount(8) does; options that minictr cannot honour are an error rather than
// silently ignored.
func parseMountOptions(options []string) (*mountOpts, error) {
	o := &mountOpts{}
	var data []string
	for _, opt := range options {
		if f, ok := flagTable[opt]; ok {
			if f.clear {
				o.flags &^= f.flag
			} else {
				o.flags |= f.flag
			}
			continue
		}
		if p, ok := propagationTable[opt]; ok {
			o.propagation = append(o.propagation, p)
			continue
		}
		if a, ok := recAttrTable[opt]; ok {
			switch {
			case a.set && (a.attr&unix.MOUNT_ATTR__ATIME != 0 || a.attr == unix.MOUNT_ATTR_RELATIME):
				// The atime mode is a field, not a bit: the kernel wants the whole field cleared
				// and the new mode set.
				o.recAttrSet = o.recAttrSet&^unix.MOUNT_ATTR__ATIME | a.attr
				o.recAttrClr |= unix.MOUNT_ATTR__ATIME
			case a.set:
				o.recAttrSet |= a.attr
				o.recAttrClr &^= a.attr
			default:
				o.recAttrClr |= a.attr
				o.recAttrSet &^= a.attr
			}
			continue
		}
		switch opt {
		case "tmpcopyup":
			o.tmpcopyup = true
			continue
		case "idmap", "ridmap":
			return nil, fmt.Errorf("mount option %q: id-mapped mounts are not supported", opt)
		case "":
			continue
		}
		data = append(data, opt)
	}
	o.data = strings.Join(data, ",")
	return o, nil
}
