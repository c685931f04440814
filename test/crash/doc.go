// Package crash holds weft's "nothing lost" test (SPEC §5.7): it builds the weft
// binary, runs `weft work` as a real process against a stand-in HTTP service, kills it
// with SIGKILL at random moments many times, lets it finish, and then checks in the
// database that every payload, run, incomplete execution and retry attempt is
// accounted for. The package has no code of its own; see crash_test.go and
// docs/incomplete-executions.md ("Crash safety").
package crash
