#!/usr/bin/env bash
# expect_failure.sh SECONDS REGEX COMMAND...: COMMAND must exit non-zero
# within SECONDS with output matching REGEX (grep -E). The failure tests of
# nabla/distributed: a killed or throwing rank ends the job, never a hang.
set -u
limit=$1 regex=$2
shift 2
start=$(date +%s%N)
out=$(timeout --kill-after=5 "$limit" "$@" 2>&1)
rc=$?
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
echo "$out" | tail -20
echo "exit status $rc after ${elapsed} ms"
if [[ $rc -eq 0 ]]; then echo "FAIL: the job succeeded"; exit 1; fi
if (( elapsed >= limit * 1000 )); then echo "FAIL: the job hung past ${limit} s"; exit 1; fi
if ! grep -Eq "$regex" <<<"$out"; then echo "FAIL: no message matching: $regex"; exit 1; fi
echo "PASS: exit $rc, message matches '$regex', ${elapsed} ms"
