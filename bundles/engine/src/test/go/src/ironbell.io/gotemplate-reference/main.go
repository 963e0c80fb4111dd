// Command gotemplate-reference renders Go text/templates the way Tinkerbell's controller does,
// for Ironbell's differential tests: the real text/template, Sprig's hermetic functions and
// Tinkerbell's own, on data decoded from "typed JSON" exactly as the Java side decodes it.
//
// Input, one JSON object per line on stdin:
//
//	{"name": "t", "text": "{{ .a }}", "data": {...}, "missingkey": "error", "funcs": "builtin|tinkerbell|verify"}
//
// Output, one JSON object per line: {"out": "..."} or {"error": "...", "phase": "parse|exec"}.
//
// Typed JSON: a number without '.', 'e' or 'E' is an int, any other a float64; an object with
// the key "$struct" is a struct value ({"$struct": "Disk", "fields": [["Device", "/dev/sda"]]}),
// with "$ptr": true a pointer to it ("fields": null: a nil pointer); {"$int64": 5} is an int64;
// {"$slice": "string", "items": [...]} a []string ([]int for "int", []interface{} for any other);
// {"$ptr": true, "type": "bool", "value": true} a *bool (value null: a nil one); any other object
// is a map[string]interface{}; arrays are []interface{}.
//
// Built offline in GOPATH mode from Debian's golang-go and golang-github-masterminds-sprig-dev.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
)

type request struct {
	Name       string          `json:"name"`
	Text       string          `json:"text"`
	Data       json.RawMessage `json:"data"`
	MissingKey string          `json:"missingkey"`
	Funcs      string          `json:"funcs"`
}

type response struct {
	Out   *string `json:"out,omitempty"`
	Error string  `json:"error,omitempty"`
	Phase string  `json:"phase,omitempty"`
}

func main() {
	in := bufio.NewReader(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	for {
		line, err := in.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			enc.Encode(render(line))
			out.Flush()
		}
		if err != nil {
			return
		}
	}
}

func render(line []byte) (res response) {
	var req request
	if err := json.Unmarshal(line, &req); err != nil {
		return response{Error: "bad request: " + err.Error(), Phase: "request"}
	}
	defer func() {
		if r := recover(); r != nil {
			res = response{Error: fmt.Sprint("panic: ", r), Phase: "exec"}
		}
	}()
	data, err := decode(req.Data)
	if err != nil {
		return response{Error: "bad data: " + err.Error(), Phase: "request"}
	}
	funcs := template.FuncMap{}
	if req.Funcs == "tinkerbell" || req.Funcs == "verify" {
		funcs = sprig.HermeticTxtFuncMap()
		for k, v := range tinkerbellFuncs() {
			funcs[k] = v
		}
	}
	if req.Funcs == "verify" {
		for k, v := range verifyFuncs() {
			funcs[k] = v
		}
	}
	t := template.New(req.Name).Funcs(funcs)
	if req.MissingKey != "" {
		t = t.Option("missingkey=" + req.MissingKey)
	}
	t, err = t.Parse(req.Text)
	if err != nil {
		return response{Error: err.Error(), Phase: "parse"}
	}
	var buf strings.Builder
	if err := t.Execute(&buf, data); err != nil {
		return response{Error: err.Error(), Phase: "exec"}
	}
	s := buf.String()
	return response{Out: &s}
}

func decode(raw json.RawMessage) (interface{}, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v interface{}
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return typed(v)
}

func typed(v interface{}) (interface{}, error) {
	switch x := v.(type) {
	case json.Number:
		s := x.String()
		if strings.ContainsAny(s, ".eE") {
			return x.Float64()
		}
		i, err := x.Int64()
		return int(i), err
	case []interface{}:
		out := make([]interface{}, len(x))
		for i, e := range x {
			t, err := typed(e)
			if err != nil {
				return nil, err
			}
			out[i] = t
		}
		return out, nil
	case map[string]interface{}:
		if _, ok := x["$struct"]; ok {
			return structValue(x)
		}
		if n, ok := x["$int64"]; ok {
			return n.(json.Number).Int64()
		}
		if t, ok := x["$slice"]; ok {
			return sliceValue(t.(string), x["items"].([]interface{}))
		}
		if _, ok := x["$ptr"]; ok {
			return scalarPointer(x)
		}
		out := make(map[string]interface{}, len(x))
		for k, e := range x {
			t, err := typed(e)
			if err != nil {
				return nil, err
			}
			out[k] = t
		}
		return out, nil
	}
	return v, nil
}

// structValue builds a struct type with the fields in their order (each of the type of its
// value, interface{} for nil) and a value of it.
func structValue(x map[string]interface{}) (interface{}, error) {
	raw, _ := x["fields"].([]interface{})
	var fields []reflect.StructField
	var values []reflect.Value
	for _, f := range raw {
		pair, ok := f.([]interface{})
		if !ok || len(pair) != 2 {
			return nil, fmt.Errorf("a struct field is [name, value]")
		}
		name, _ := pair[0].(string)
		val, err := typed(pair[1])
		if err != nil {
			return nil, err
		}
		typ := reflect.TypeOf((*interface{})(nil)).Elem()
		rv := reflect.Zero(typ)
		if val != nil {
			typ = reflect.TypeOf(val)
			rv = reflect.ValueOf(val)
		}
		fields = append(fields, reflect.StructField{Name: name, Type: typ})
		values = append(values, rv)
	}
	st := reflect.StructOf(fields)
	sv := reflect.New(st).Elem()
	for i, v := range values {
		sv.Field(i).Set(v)
	}
	if p, _ := x["$ptr"].(bool); p {
		if x["fields"] == nil {
			return reflect.Zero(reflect.PtrTo(st)).Interface(), nil
		}
		ptr := reflect.New(st)
		ptr.Elem().Set(sv)
		return ptr.Interface(), nil
	}
	return sv.Interface(), nil
}

func sliceValue(elem string, items []interface{}) (interface{}, error) {
	switch elem {
	case "string":
		out := make([]string, len(items))
		for i, e := range items {
			out[i], _ = e.(string)
		}
		return out, nil
	case "int":
		out := make([]int, len(items))
		for i, e := range items {
			n, _ := e.(json.Number).Int64()
			out[i] = int(n)
		}
		return out, nil
	}
	out := make([]interface{}, len(items))
	for i, e := range items {
		v, err := typed(e)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func scalarPointer(x map[string]interface{}) (interface{}, error) {
	if x["value"] == nil {
		switch x["type"] {
		case "bool":
			return (*bool)(nil), nil
		case "string":
			return (*string)(nil), nil
		}
		return nil, fmt.Errorf("a nil pointer to %v", x["type"])
	}
	v, err := typed(x["value"])
	if err != nil {
		return nil, err
	}
	p := reflect.New(reflect.TypeOf(v))
	p.Elem().Set(reflect.ValueOf(v))
	return p.Interface(), nil
}
