package linux

import "encoding/binary"

// The MP table (Intel MultiProcessor Specification 1.4) tells a kernel without ACPI where the
// local APIC and the IOAPIC are and how ISA interrupts reach them. KVM's in-kernel irqchip
// routes GSI i to IOAPIC pin i (and to the PICs for i < 16), so the table says exactly that.
// It sits at the start of the EBDA (reserved in e820), where Linux's scan looks.
//
//	floating pointer (16 bytes): "_MP_", table address, length 1 (x16), revision 4, checksum, features 0
//	table header (44 bytes):     "PCMP", length, revision 4, checksum, OEM "MINICTR ", product,
//	                             0, 0, entry count, local APIC 0xfee00000, 0, 0, 0
//	entries: processor (20 bytes), ISA bus (8), IOAPIC (8), an I/O interrupt per pin (8 each),
//	         LINT0 = ExtINT and LINT1 = NMI (8 each)
const (
	MPTableAddr   = EBDAStart
	LocalAPICAddr = 0xfee00000
	IOAPICAddr    = 0xfec00000
	ioapicPins    = 24
	apicVersion   = 0x14
	ioapicVersion = 0x11
)

// MPTable builds the floating pointer and the configuration table for one CPU, to be placed at
// addr.
func MPTable(addr uint32) []byte {
	le := binary.LittleEndian
	var entries []byte
	count := 0
	add := func(e []byte) { entries = append(entries, e...); count++ }

	cpu := make([]byte, 20)
	cpu[0] = 0                   // processor
	cpu[1] = 0                   // local APIC id
	cpu[2] = apicVersion         // local APIC version
	cpu[3] = 0x01 | 0x02         // enabled, bootstrap processor
	le.PutUint32(cpu[4:], 0x600) // CPU signature: family 6
	le.PutUint32(cpu[8:], 0x201) // features: FPU, APIC
	add(cpu)
	add([]byte{1, 0, 'I', 'S', 'A', ' ', ' ', ' '}) // bus 0: ISA
	ioapicID := byte(1)
	ioapic := []byte{2, ioapicID, ioapicVersion, 1, 0, 0, 0, 0}
	le.PutUint32(ioapic[4:], IOAPICAddr)
	add(ioapic)
	for pin := 0; pin < 16; pin++ {
		// INT, polarity and trigger as the bus says (ISA: high, edge), bus 0 IRQ pin -> pin
		add([]byte{3, 0, 0, 0, 0, byte(pin), ioapicID, byte(pin)})
	}
	add([]byte{4, 3, 0, 0, 0, 0, 0xff, 0}) // LINT0 of every local APIC: ExtINT (the PIC)
	add([]byte{4, 1, 0, 0, 0, 0, 0xff, 1}) // LINT1: NMI

	const fpSize, hdrSize = 16, 44
	tableAddr := addr + fpSize
	hdr := make([]byte, hdrSize)
	copy(hdr, "PCMP")
	le.PutUint16(hdr[4:], uint16(hdrSize+len(entries)))
	hdr[6] = 4
	copy(hdr[8:16], "MINICTR ")
	copy(hdr[16:28], "VMM         ")
	le.PutUint16(hdr[34:], uint16(count))
	le.PutUint32(hdr[36:], LocalAPICAddr)
	table := append(hdr, entries...)
	table[7] = checksum(table)

	fp := make([]byte, fpSize)
	copy(fp, "_MP_")
	le.PutUint32(fp[4:], tableAddr)
	fp[8] = 1 // length in 16-byte units
	fp[9] = 4 // revision 1.4
	fp[10] = checksum(fp)
	return append(fp, table...)
}

// checksum is the byte that makes the sum of b (with the checksum byte still 0) zero.
func checksum(b []byte) byte {
	var s byte
	for _, c := range b {
		s += c
	}
	return -s
}
