#!/bin/sh
# Valid, repeated and malformed progress lines; the last has no newline.
echo 'progress 0'
echo 'progress 10'
echo 'progress 10'
echo 'progress abc'
echo 'progress 150'
echo 'progress -1'
echo 'hello from the plugin'
echo 'progress 50'
printf 'progress 100'
