#!/bin/sh
# Dies by SIGSEGV, as a crashing flasher would.
kill -SEGV $$
sleep 5
