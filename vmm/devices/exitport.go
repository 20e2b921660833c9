package devices

// DebugExitPort is the conventional port of the debug exit device (as in qemu's
// isa-debug-exit with iobase=0xf4).
const DebugExitPort = 0xf4

// DebugExit stops the machine when the guest writes to its port: the exit status is the value
// written (the low byte). Unlike qemu's device, no (v<<1)|1 encoding: status 0 is possible.
type DebugExit struct {
	Port uint16
}

// Name implements Device.
func (d *DebugExit) Name() string { return "debug-exit" }

// Ports implements Device.
func (d *DebugExit) Ports() (uint16, uint16) { return d.Port, 1 }

// In implements Device: the port reads as zero.
func (d *DebugExit) In(port uint16, data []byte) { fill(data, 0) }

// Out implements Device.
func (d *DebugExit) Out(port uint16, data []byte) error {
	return &ExitRequest{Code: int(data[0]), By: d.Name()}
}
