// Package devices holds the port-I/O devices of the VMM: an 8250 UART (the console), the
// i8042 keyboard controller (only its reset line), and a debug exit port. Each device sits
// behind the four-method Device interface; the machine's run loop finds the device for a port
// in a dense table and calls In or Out.
package devices

import (
	"errors"
	"fmt"
)

// Device is a port-I/O device.
type Device interface {
	// Name is a short name for traces and errors ("uart0", "i8042").
	Name() string
	// Ports is the first port and the number of consecutive ports the device decodes.
	Ports() (base uint16, count uint16)
	// In fills data (1, 2 or 4 bytes) with what the guest reads from port.
	In(port uint16, data []byte)
	// Out handles a guest write. An *ExitRequest or ErrReset error stops the machine.
	Out(port uint16, data []byte) error
}

// ExitRequest is returned by Out when the guest asks the machine to stop with a status.
type ExitRequest struct {
	Code int
	By   string // the device that received the request
}

func (e *ExitRequest) Error() string {
	return fmt.Sprintf("guest exit request %d via %s", e.Code, e.By)
}

// ErrReset is returned by Out when the guest resets the machine (i8042 pulse of the reset line).
var ErrReset = errors.New("guest reset the machine")

// fill sets every byte of data to v (what an undecoded or write-only register reads as).
func fill(data []byte, v byte) {
	for i := range data {
		data[i] = v
	}
}
