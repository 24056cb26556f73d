#!/bin/sh
# Breaks the contract: starts a process in a new session (out of reach of the
# group kill) that keeps stdout open, then succeeds. The pid file is written
# after setsid(), so waiting for it means the escape has happened.
# shellcheck disable=SC2016 # $$ is the escaped shell's
setsid sh -c 'echo $$ >escaped.pid.part && mv escaped.pid.part escaped.pid && exec sleep 30' &
while [ ! -s escaped.pid ]; do sleep 0.05; done
exit 0
