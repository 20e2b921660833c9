package runtime

import (
	"fmt"
	"strings"
)

// cgroupfsPath maps the systemd driver's "slice:prefix:name" form of linux.cgroupsPath (what
// podman and containerd pass with --systemd-cgroup) to the cgroupfs path systemd would use,
// "/slice/prefix-name.scope", since minictr manages cgroupfs directly. Other paths pass as
// they are.
func cgroupfsPath(p string) (string, error) {
	parts := strings.Split(p, ":")
	if len(parts) != 3 || strings.HasPrefix(p, "/") {
		return p, nil
	}
	slice, prefix, name := parts[0], parts[1], parts[2]
	if slice == "" {
		slice = "system.slice"
	}
	if name == "" || strings.Contains(p, "/") {
		return "", fmt.Errorf("linux.cgroupsPath %q: expected slice:prefix:name", p)
	}
	// A nested slice "a-b-c.slice" lives at /a.slice/a-b.slice/a-b-c.slice.
	dir := ""
	if slice != "-.slice" {
		base := strings.TrimSuffix(slice, ".slice")
		acc := ""
		for i, part := range strings.Split(base, "-") {
			if i > 0 {
				acc += "-"
			}
			acc += part
			dir += "/" + acc + ".slice"
		}
	}
	unit := name
	if !strings.HasSuffix(name, ".slice") && !strings.HasSuffix(name, ".scope") {
		if prefix != "" {
			unit = prefix + "-" + name
		}
		unit += ".scope"
	}
	return dir + "/" + unit, nil
}
