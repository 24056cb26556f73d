#!/bin/sh
# 10 MB on stderr in one line without a newline break, then 5 MB in short
# lines; then succeeds.
head -c 10000000 /dev/zero | tr '\0' 'x' >&2
echo >&2
yes 'a line of chatter' | head -c 5000000 >&2
echo 'progress 100'
exit 0
