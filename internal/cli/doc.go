// Package cli implements the `codeless` subcommands (SPEC §2): serve, lint,
// test, deploy, query, status. Commands are thin: they parse flags and
// environment (CODELESS_*), call the packages that do the work and print.
// Exit code 0 on success, 1 when the command ran and found problems (lint
// errors, test errors), 2 for usage errors.
package cli
