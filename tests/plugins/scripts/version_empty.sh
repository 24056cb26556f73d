#!/bin/sh
# The first line is empty; the second does not count.
echo
echo 1.0.0
