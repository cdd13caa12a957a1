// Command testimage is the program of the harness's test image
// (images.TestImage): one statically linked binary whose subcommands play
// the parts the node e2e specs need inside pods.
//
//	serve                HTTP server: /healthz, /readyz, /readyz/set, /hostname,
//	                     /env, /file, /exec, /echo, /shutdown
//	grpc-health          gRPC server with the standard health service
//	tcp                  TCP echo server
//	exit                 sleep, then exit with a given status
//	termination-message  write a termination message, then exit
//	alloc                allocate and touch memory, then hold it
//	sleep                sleep for a duration or for ever
//	log                  print numbered lines on a schedule
//	pause                block until SIGTERM or SIGINT
//
// Servers write one line to stdout per request or connection, so a spec
// can read the hits from the container log. Every subcommand but exit and
// termination-message exits 0 on SIGTERM or SIGINT: a pod being deleted
// ends cleanly and at once. An unknown subcommand or a bad flag prints
// the usage on stderr and exits 2.
//
// Build it statically (images.CompileProgram does):
//
//	CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags='-s -w' -o testimage ./images/testimage
package main
