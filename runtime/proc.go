package runtime

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// procStat returns the state letter and start time (field 22) of /proc/<pid>/stat.
func procStat(pid int) (state byte, start uint64, err error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	// The command name (field 2) is in parentheses and may contain spaces: parse after the last ')'.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 || i+2 >= len(data) {
		return 0, 0, fmt.Errorf("parse /proc/%d/stat: no ')'", pid)
	}
	fields := bytes.Fields(data[i+2:])
	// fields[0] is field 3 (state); field 22 is fields[19].
	if len(fields) < 20 {
		return 0, 0, fmt.Errorf("parse /proc/%d/stat: %d fields", pid, len(fields)+2)
	}
	start, err = strconv.ParseUint(string(fields[19]), 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("parse /proc/%d/stat start time: %w", pid, err)
	}
	return fields[0][0], start, nil
}

// alive reports whether pid is still the process that started at startTime, and not a zombie.
func alive(pid int, startTime uint64) bool {
	if pid <= 0 {
		return false
	}
	st, start, err := procStat(pid)
	if err != nil {
		return false
	}
	return start == startTime && st != 'Z' && st != 'X'
}
