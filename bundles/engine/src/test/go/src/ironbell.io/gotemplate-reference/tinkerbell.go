package main

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"text/template"

	"sigs.k8s.io/yaml"
)

// tinkerbellFuncs are the functions Tinkerbell's controller adds to Sprig's, written here from
// their documented behaviour (Tinkerbell's docs and the function comments of its controller).
func tinkerbellFuncs() template.FuncMap {
	return template.FuncMap{
		"formatPartition":       partitionOf,
		"netmaskToPrefixLength": prefixLength,
		"toYaml":                toYAML,
		"fromYaml":              fromYAML,
	}
}

// toYAML: sigs.k8s.io/yaml's Marshal (JSON first, then YAML), without its final newline.
func toYAML(v interface{}) (string, error) {
	data, err := yaml.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("toYaml: %w", err)
	}
	return strings.TrimSuffix(string(data), "\n"), nil
}

// fromYAML: sigs.k8s.io/yaml's Unmarshal into interface{}; empty text is an error.
func fromYAML(str string) (interface{}, error) {
	if str == "" {
		return nil, fmt.Errorf("fromYaml: empty YAML input")
	}
	var out interface{}
	if err := yaml.Unmarshal([]byte(str), &out); err != nil {
		return nil, fmt.Errorf("fromYaml: %w", err)
	}
	return out, nil
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
