package devices

// I8042 is the keyboard controller, reduced to what a guest kernel uses of it on a machine
// with no keyboard: the status register reads as empty buffers, and command 0xFE (pulse the
// reset line) resets the machine, which is how Linux reboots with reboot=k.
type I8042 struct{}

// I8042 ports: 0x60 data, 0x64 status (read) / command (write).
const (
	i8042Data    = 0x60
	i8042Command = 0x64
	i8042Reset   = 0xfe
)

// Name implements Device.
func (*I8042) Name() string { return "i8042" }

// Ports implements Device: 0x60 to 0x64 (0x61 is port B of the system controller, which
// reads as 0 here, and 0x62/0x63 are unused).
func (*I8042) Ports() (uint16, uint16) { return i8042Data, 5 }

// In implements Device.
func (*I8042) In(port uint16, data []byte) { fill(data, 0) }

// Out implements Device.
func (*I8042) Out(port uint16, data []byte) error {
	if port == i8042Command && data[0] == i8042Reset {
		return ErrReset
	}
	return nil
}
