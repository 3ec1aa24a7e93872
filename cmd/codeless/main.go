// Command codeless is the single Codeless binary; see internal/cli.
package main

func main() {}
