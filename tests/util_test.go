package tests

import (
	"fmt"
	"os"
	"strings"
)

func readTrim(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "error: " + err.Error()
	}
	return strings.TrimSpace(string(data))
}

func fmtSscan(s, format string, args ...any) (int, error) { return fmt.Sscanf(s, format, args...) }
