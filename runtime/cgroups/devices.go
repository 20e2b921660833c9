package cgroups

import (
	"fmt"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// devicesV1 converts linux.resources.devices into v1 devices.allow/devices.deny writes, in the
// spec's order (the usual list starts with a deny-all, then allows). On v2 the same rules
// become an eBPF program (devices_v2.go).
func devicesV1(rules []specs.LinuxDeviceCgroup) ([]op, error) {
	var ops []op
	for i, d := range rules {
		rule, err := DeviceRule(d)
		if err != nil {
			return nil, fmt.Errorf("linux.resources.devices[%d]: %w", i, err)
		}
		o := op{"allow device", "devices", "devices.allow", rule}
		if !d.Allow {
			o.step, o.file = "deny device", "devices.deny"
		}
		ops = append(ops, o)
	}
	return ops, nil
}

// DeviceRule renders one rule as the v1 devices files read it: "TYPE MAJOR:MINOR ACCESS", with
// "a" for all types, "*" for an absent number and "rwm" for absent access.
func DeviceRule(d specs.LinuxDeviceCgroup) (string, error) {
	typ := d.Type
	switch typ {
	case "":
		typ = "a"
	case "a", "b", "c":
	default:
		return "", fmt.Errorf("device type %q: must be a, b or c", d.Type)
	}
	num := func(v *int64) (string, error) {
		if v == nil || *v == -1 {
			return "*", nil
		}
		if *v < 0 || *v > 0xfffff { // majors have 12 bits, minors 20
			return "", fmt.Errorf("device number %d: must be 0..1048575 (or -1 for any)", *v)
		}
		return itoa(*v), nil
	}
	major, err := num(d.Major)
	if err != nil {
		return "", err
	}
	minor, err := num(d.Minor)
	if err != nil {
		return "", err
	}
	access := d.Access
	if access == "" {
		access = "rwm"
	}
	if strings.Trim(access, "rwm") != "" || len(access) > 3 {
		return "", fmt.Errorf("device access %q: must be made of r, w and m", d.Access)
	}
	if typ == "a" {
		// The kernel accepts "a" only for all devices ("a *:* rwm" == "a").
		return "a *:* " + access, nil
	}
	return fmt.Sprintf("%s %s:%s %s", typ, major, minor, access), nil
}
