#!/bin/sh
# Succeeds at once but leaves a grandchild holding stdout and stderr open.
sleep 1000 &
echo $! >grandchild.pid
exit 0
