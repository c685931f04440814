// Package httpmod is Make's HTTP app: http:MakeRequest (version 4) and the legacy
// http:ActionSendData, http:ActionSendDataAPIKeyAuth, http:ActionSendDataOAuth and
// http:ActionGetFile (version 3).
//
// Its other job is the HTTP failure → error type mapping of SPEC §3.1, written once:
// ErrorTypeForStatus (the status table), ErrorTable (a module's overrides, parameter
// "errorTypes") and ClassifyTransportError (failures without a status). Other apps that
// call HTTP services classify through the same functions.
//
// Authentication reads connections through app.Execution.Connection: API keys, basic
// auth, OAuth 2 (client credentials or refresh tokens; access tokens cached per
// connection in the process, a rotated refresh token saved through ConnectionSaver when
// the execution implements it) and TLS client certificates. Requests that change
// something carry the execution's Idempotency-Key; modules that share cookies share a
// jar kept in the run's state.
//
// Each module enforces its own "timeout" field and caps response bodies
// (Options.MaxBodySize); its Spec.Timeout (310 s) only keeps the engine's default limit
// from cutting a call configured longer. See docs/http.md.
package httpmod
