// Package example is a small, complete weft app written against the public SDK, to copy
// from: a weather service's API (a public-API-shaped stand-in; its tests run a fake of
// it on 127.0.0.1) and a local, transactional store of readings.
//
//	example:GetWeather    GET  /v1/current?city=…&units=…   → {city, country, temperature, …}
//	example:CreateAlert   POST /v1/alerts (Idempotency-Key)  → {id, city, above, below, createdAt}
//	example:SaveReading   ACID: keeps the latest reading per city in a Readings store,
//	                      written at the commit of the cycle, dropped at its rollback
//
// The API modules authenticate with a connection ({"apiKey": "…", "baseUrl": "…"}) named
// by the module's __IMTCONN__ parameter, as Make exports connections. Their failures get
// the types of the error table in errors.go (401 InvalidAccessTokenError, 404
// DataError, 429 RateLimitError with Retry-After, 503 ConnectionError, a malformed
// body UnexpectedError…), which example_sdk_test.go checks end to end with
// apptest.CheckErrors.
//
// The app is NOT registered in app/all: it is documentation that compiles and is
// tested, not something weft ships. A program that wants it registers it itself:
//
//	reg, _ := all.Registry()
//	if err := example.Register(reg); err != nil { … }
//
// See docs/app-sdk.md, which walks through this package.
package example
