package runtime

import specs "github.com/opencontainers/runtime-spec/specs-go"

func devRule(typ string, major, minor int64, access string) specs.LinuxDeviceCgroup {
	r := specs.LinuxDeviceCgroup{Allow: true, Type: typ, Access: access}
	if major >= 0 {
		r.Major = &major
	}
	if minor >= 0 {
		r.Minor = &minor
	}
	return r
}

// defaultDeviceRules are allowed after the spec's own rules, as runc does: mknod of any
// device (using it is what the rules guard), the standard /dev nodes, ptys and tun.
var defaultDeviceRules = []specs.LinuxDeviceCgroup{
	devRule("c", -1, -1, "m"), devRule("b", -1, -1, "m"),
	devRule("c", 1, 3, "rwm"), devRule("c", 1, 5, "rwm"), devRule("c", 1, 7, "rwm"),
	devRule("c", 1, 8, "rwm"), devRule("c", 1, 9, "rwm"), devRule("c", 5, 0, "rwm"),
	devRule("c", 5, 1, "rwm"), devRule("c", 5, 2, "rwm"), devRule("c", 136, -1, "rwm"),
	devRule("c", 10, 200, "rwm"),
}

// cgroupResources is the spec's resources plus the device rules every container gets: the
// default nodes and the spec's linux.devices.
func cgroupResources(s *specs.Spec) *specs.LinuxResources {
	var r specs.LinuxResources
	if s.Linux.Resources != nil {
		r = *s.Linux.Resources
	}
	r.Devices = append([]specs.LinuxDeviceCgroup{}, r.Devices...)
	r.Devices = append(r.Devices, defaultDeviceRules...)
	for _, d := range s.Linux.Devices {
		if d.Type != "c" && d.Type != "b" && d.Type != "u" {
			continue // fifos need no device rule
		}
		if d.Type == "u" {
			d.Type = "c"
		}
		major, minor := d.Major, d.Minor
		r.Devices = append(r.Devices, specs.LinuxDeviceCgroup{Allow: true, Type: d.Type, Major: &major, Minor: &minor, Access: "rwm"})
	}
	return &r
}
