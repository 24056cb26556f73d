#!/bin/sh
# Never finishes and ignores SIGTERM (so does everything it starts, since an
# ignored signal stays ignored across exec); leaves a grandchild behind.
trap '' TERM
sleep 1000 &
echo $! >grandchild.pid
echo 'progress 5'
while :; do sleep 1; done
