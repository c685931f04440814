// Package declarative runs apps described by JSON definition files instead of Go code:
// one generic executor builds each module's HTTP request from templates, sends it, maps
// the service's own error answers to SPEC §3.1 error types and turns the response into
// bundles. The format follows the sections of Make's custom apps (base, connection,
// communication, response, pagination); its templates are weft's mapping language
// (package iml) over the roots parameters, connection, temp, body, headers, statusCode,
// item and index. See docs/apps-declarative.md.
//
// The definitions weft ships live in package apps (embedded); Register loads them
// (plus any Options.Extra folders) and registers one app.Spec per module:
//
//	if err := declarative.Register(reg, declarative.Options{}); err != nil { … }
//
// Base URLs can be pointed elsewhere at load (Options.BaseURLs, or the environment
// variable WEFT_APP_BASEURL_<APP>), which is how tests run the apps against local
// stand-ins.
package declarative
