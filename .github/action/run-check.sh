#!/usr/bin/env bash
# The analysis step of the riskdiff action (action.yml): one riskdiff run
# that prints the human report to the log and writes SARIF, Markdown, JSON
# and the workflow-command annotations with --output; then the step outputs.
#
# Everything it reads comes from the environment, never expanded into the
# script, so a branch name or an input cannot inject commands: RISKDIFF,
# OUT, EVENT_NAME, BASE_REF, BEFORE, DEFAULT_BRANCH, HEAD_REPOSITORY,
# REPOSITORY, INPUT_BASE, INPUT_FAIL_ON, INPUT_UPLOAD_SARIF,
# INPUT_JOB_SUMMARY, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY.
#
# Exit 0 when riskdiff ran (findings or not: the action's last step fails
# the job after the upload), 2 when it could not run.
set -uo pipefail

note() { echo "riskdiff: $*"; }
bool() {
  case "$2" in
    true | false) ;;
    *) echo "::error title=riskdiff::input $1 must be true or false, not '$2'"; exit 2 ;;
  esac
}
bool upload-sarif "$INPUT_UPLOAD_SARIF"
bool job-summary "$INPUT_JOB_SUMMARY"

zeros=0000000000000000000000000000000000000000
args=(check --color never)
if [ -n "$INPUT_BASE" ]; then
  args+=("--base=$INPUT_BASE")
elif [ -n "$BASE_REF" ]; then
  # A pull request: its base branch, as actions/checkout fetched it.
  args+=("--base=origin/$BASE_REF")
elif [ -n "$BEFORE" ] && [ "$BEFORE" != "$zeros" ] && git cat-file -e "$BEFORE^{commit}" 2>/dev/null; then
  # A push: what the push brought.
  args+=("$BEFORE..HEAD")
else
  if [ -n "$BEFORE" ] && [ "$BEFORE" != "$zeros" ]; then
    note "the commit before the push ($BEFORE) is not in this clone (set fetch-depth: 0 on actions/checkout); comparing with the default branch instead"
  fi
  if [ -n "$DEFAULT_BRANCH" ]; then
    args+=("--base=origin/$DEFAULT_BRANCH")
  fi
  # Else riskdiff's own default: the merge-base with the default branch.
fi
if [ -n "$INPUT_FAIL_ON" ]; then
  args+=("--fail-on=$INPUT_FAIL_ON")
fi

mkdir -p "$OUT"
sarif="$OUT/riskdiff.sarif"
markdown="$OUT/riskdiff.md"
json="$OUT/riskdiff.json"
annotations="$OUT/annotations.txt"
args+=(--output "sarif=$sarif" --output "markdown=$markdown" --output "json=$json" --output "github=$annotations")

note "event $EVENT_NAME: riskdiff ${args[*]}"
"$RISKDIFF" "${args[@]}"
code=$?
if [ "$code" -ne 0 ] && [ "$code" -ne 1 ]; then
  echo "::error title=riskdiff::riskdiff could not run (exit $code); the reason is above"
  exit 2
fi
# Workflow commands: GitHub turns these into annotations on the diff.
cat "$annotations"

summary() {
  if command -v jq >/dev/null 2>&1; then
    jq -r ".summary.$1" "$json"
  else
    python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["summary"][sys.argv[2]])' "$json" "$1"
  fi
}

upload=false
if [ "$INPUT_UPLOAD_SARIF" = true ]; then
  if [ -n "$HEAD_REPOSITORY" ] && [ "$HEAD_REPOSITORY" != "$REPOSITORY" ]; then
    note "not uploading SARIF: this pull request comes from the fork $HEAD_REPOSITORY, whose read-only token cannot write to code scanning; the findings are in this log and the annotations"
  else
    upload=true
  fi
fi
if [ "$INPUT_JOB_SUMMARY" = true ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  cat "$markdown" >>"$GITHUB_STEP_SUMMARY"
fi
{
  echo "findings=$(summary findings)"
  echo "high=$(summary high)"
  echo "sarif-file=$sarif"
  echo "markdown-file=$markdown"
  echo "exit-code=$code"
  echo "upload=$upload"
} >>"$GITHUB_OUTPUT"
exit 0
