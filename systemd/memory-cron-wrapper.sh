#!/usr/bin/env bash
# memory-cron — operator commands against the installed service, e.g.
#   sudo memory-cron status
#   sudo memory-cron --backfill 2026-11-01
#   sudo memory-cron dead-letters
#   sudo memory-cron @tenant-a status       an instance of the template units (install.sh --instance)
# Installed as /usr/local/bin/memory-cron by systemd/install.sh.
#
# Why systemd-run: the job's state belongs to the service's dynamic user and its secrets exist
# only as systemd credentials, so a command run as root (or as any login user) would see other
# file owners, no $CREDENTIALS_DIRECTORY and none of the unit's environment. `systemd-run --pipe
# --wait` starts a transient service that gets exactly the unit's [Service] settings — read from
# the installed unit file and its drop-ins at each call, so there is one source of truth — with
# our terminal as stdin/stdout/stderr and its exit code as ours. The unit's fixed
# `User=memory-cron` plus `DynamicUser=yes` makes the transient unit share the service's uid, so
# nothing is chowned and a command can run beside the nightly run (which then reports the lock).
set -euo pipefail

instance=''
if [[ ${1:-} == @* ]]; then
  instance=${1#@}
  shift
  if [[ ! $instance =~ ^[A-Za-z0-9][A-Za-z0-9_-]{0,19}$ ]]; then
    echo "memory-cron: @$instance is not an instance name (letters, digits, '_' and '-', at most 20)" >&2
    exit 2
  fi
fi
unit=memory-cron${instance:+@$instance}
unit_file=${MEMORY_CRON_UNIT:-/etc/systemd/system/memory-cron${instance:+@}.service}
if [[ ! -r $unit_file ]]; then
  echo "memory-cron: cannot read $unit_file; is memory-cron installed (systemd/install.sh)?" >&2
  exit 2
fi

# Unit specifiers used in [Service] settings, as systemd expands them for a system service.
expand() {
  local v=$1
  v=${v//%%/$'\x01'}
  v=${v//%S//var/lib}
  v=${v//%L//var/log}
  v=${v//%C//var/cache}
  v=${v//%t//run}
  v=${v//%E//etc}
  v=${v//%n/$unit.service}
  v=${v//%N/$unit}
  v=${v//%p/memory-cron}
  v=${v//%i/$instance}
  v=${v//%I/$instance}
  printf '%s' "${v//$'\x01'/%}"
}

props=()
exec_start=''
for file in "$unit_file" "${unit_file}.d"/*.conf; do
  [[ -r $file ]] || continue
  section=''
  while IFS= read -r line || [[ -n $line ]]; do
    line=${line#"${line%%[![:space:]]*}"}
    case $line in
      '' | '#'* | ';'*) continue ;;
      '['*']') section=$line; continue ;;
    esac
    [[ $section == '[Service]' && $line == *=* ]] || continue
    key=${line%%=*}
    key=${key%"${key##*[![:space:]]}"}
    value=${line#*=}
    value=${value#"${value%%[![:space:]]*}"}
    case $key in
      ExecStart) [[ -n $value ]] && exec_start=$(expand "$value") ;;
      # How the nightly run is started, timed and named: not for an operator command.
      Type | ExecStartPre | ExecStartPost | ExecStop | ExecStopPost | ExecCondition | TimeoutStartSec | \
        TimeoutStopSec | TimeoutSec | RuntimeMaxSec | Restart | RestartSec | RemainAfterExit | SyslogIdentifier) ;;
      *) props+=(--property="$key=$(expand "$value")") ;;
    esac
  done <"$file"
done

# ExecStart=NODE PREFIX/dist/cli.js run: keep NODE and cli.js, put the operator's words after.
read -r -a words <<<"$exec_start"
if ((${#words[@]} < 2)); then
  echo "memory-cron: no ExecStart=NODE CLI in $unit_file" >&2
  exit 2
fi
command=("${words[0]#[-@:+!]}" "${words[1]}")

# Settings an operator may want for one command only.
for name in LOG_LEVEL NO_COLOR; do
  [[ -n ${!name:-} ]] && props+=(--setenv="$name=${!name}")
done

rc=0
"${SYSTEMD_RUN:-systemd-run}" --quiet --pipe --wait --collect --service-type=exec \
  --unit="memory-cron-cli${instance:+-$instance}-$(date +%Y%m%d%H%M%S)-$$" --description="memory-cron operator command" \
  "${props[@]}" -- "${command[@]}" "$@" || rc=$?
if ((rc != 0 && EUID != 0)); then
  echo "memory-cron: exit $rc; operator commands start a systemd unit, which needs root: sudo memory-cron ${instance:+@$instance }$*" >&2
fi
exit "$rc"
