package main

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"text/template"
)

// tinkerbellFuncs are the functions Tinkerbell's controller adds to Sprig's, written here from
// their documented behaviour (Tinkerbell's docs and the function comments of its controller).
func tinkerbellFuncs() template.FuncMap {
	return template.FuncMap{
		"formatPartition":       partitionOf,
		"netmaskToPrefixLength": prefixLength,
	}
}

// partitionOf: /dev/disk/... gets "-partN"; a device ending in a digit gets "pN"; any other "N".
func partitionOf(device string, n int) string {
	switch {
	case strings.HasPrefix(device, "/dev/disk/"):
		return device + "-part" + strconv.Itoa(n)
	case device != "" && device[len(device)-1] >= '0' && device[len(device)-1] <= '9':
		return device + "p" + strconv.Itoa(n)
	}
	return device + strconv.Itoa(n)
}

// prefixLength: a dotted IPv4 netmask into its prefix length, as a string.
func prefixLength(mask string) (string, error) {
	parsed := net.ParseIP(mask)
	if parsed == nil {
		return "", fmt.Errorf("invalid netmask format: %s", mask)
	}
	v4 := parsed.To4()
	if v4 == nil {
		return "", fmt.Errorf("netmask must be IPv4: %s", mask)
	}
	size, _ := net.IPMask(v4).Size()
	return strconv.Itoa(size), nil
}
