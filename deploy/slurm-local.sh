#!/usr/bin/env bash
# A single-node Slurm cluster on this machine (Debian/Ubuntu, run as root), for trying
# deploy/slurm-array.sh without a real cluster:
#
#   sudo deploy/slurm-local.sh            # install (if needed), configure, start; wait for the node
#   sudo deploy/slurm-local.sh --down     # stop slurmd, slurmctld and munged
#
# It installs slurm-wlm and munge with apt-get when they are missing, writes
# /etc/slurm/slurm.conf for this host (every CPU from nproc, ~90% of MemTotal; no cgroups,
# no systemd, no accounting, daemons and jobs as root; several 1-CPU jobs share the node),
# makes a munge key, and starts munged, slurmctld and slurmd directly as daemons. Running it
# again when everything is up changes nothing. A slurm.conf it did not write is left alone
# unless --force is given (the old file is kept as slurm.conf.bak.<time>).
# Logs: /var/log/slurm/{slurmctld,slurmd}.log. Not for production: no accounting (sacct),
# no cgroup confinement, root jobs allowed.
set -euo pipefail

readonly MARKER="# written by deploy/slurm-local.sh"
readonly CONF_DIR=/etc/slurm
readonly SLURM_CONF="$CONF_DIR/slurm.conf"
readonly MUNGE_KEY=/etc/munge/munge.key
readonly RUN_DIR=/run/slurm
readonly LOG_DIR=/var/log/slurm
readonly WAIT_S="${SLURM_LOCAL_WAIT_S:-60}"

usage() {
  cat <<EOF
Usage: $(basename "$0") [--force] | --down | --help

Bring up a single-node Slurm cluster (slurmctld + slurmd + munged) on this host,
or stop it. Needs root and, for the first run, apt-get.

  (no option)  install slurm-wlm/munge if missing, write $SLURM_CONF, start the
               daemons and wait (up to ${WAIT_S}s) until the node is idle; idempotent
  --force      overwrite a $SLURM_CONF not written by this script (a backup is kept)
  --down       stop slurmd, slurmctld and munged
  -h, --help   show this help

Environment: SLURM_LOCAL_WAIT_S  seconds to wait for the node (default 60)
EOF
}

say() { printf 'slurm-local: %s\n' "$*"; }
die() { # die <exit code> <message>
  local code="$1"
  shift
  printf 'slurm-local: error: %s\n' "$*" >&2
  exit "$code"
}

running() { pgrep -x "$1" >/dev/null 2>&1; }

# stop <name> <pidfile>: TERM the daemon (pid file, else by exact name), KILL after 10 s.
stop() {
  local name="$1" pidfile="$2" pid="" i
  local -a pids=()
  [[ -r "$pidfile" ]] && pid="$(tr -dc '0-9' <"$pidfile")"
  if [[ -n "$pid" && "$(cat "/proc/$pid/comm" 2>/dev/null || true)" == "$name" ]]; then
    pids=("$pid")
  else
    mapfile -t pids < <(pgrep -x "$name" || true)
  fi
  if ((${#pids[@]} == 0)); then
    say "$name not running"
    rm -f "$pidfile"
    return 0
  fi
  kill "${pids[@]}" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    running "$name" || break
    sleep 0.1
  done
  if running "$name"; then
    kill -9 "${pids[@]}" 2>/dev/null || true
    mapfile -t pids < <(pgrep -x "$name" || true)
    ((${#pids[@]} == 0)) || kill -9 "${pids[@]}" 2>/dev/null || true
  fi
  rm -f "$pidfile"
  say "stopped $name (pid ${pids[*]})"
}

down() {
  stop slurmd "$RUN_DIR/slurmd.pid"
  stop slurmctld "$RUN_DIR/slurmctld.pid"
  stop munged /run/munge/munged.pid
}

have_slurm() { command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null; }
have_munge() { command -v munged >/dev/null && command -v munge >/dev/null; }

install_packages() {
  local -a pkgs=()
  have_slurm || pkgs+=(slurm-wlm)
  have_munge || pkgs+=(munge)
  ((${#pkgs[@]})) || return 0
  command -v apt-get >/dev/null ||
    die 2 "${pkgs[*]} not installed and apt-get is not available; install Slurm and MUNGE by hand"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null 2>&1 ||
    die 1 "apt-get install ${pkgs[*]} failed (run it by hand to see why)"
  if ! have_slurm || ! have_munge; then
    die 1 "installed ${pkgs[*]} but slurmctld/slurmd/sbatch/munged are still missing"
  fi
  say "installed ${pkgs[*]}"
}

# The slurm.conf for this host, on stdout.
render_conf() {
  local host="$1" cpus="$2" mem_mb="$3"
  cat <<EOF
$MARKER -- rerun it (with --force) instead of editing by hand.
# Single-node cluster for local tests: no cgroups, no systemd, no accounting, root jobs allowed.
ClusterName=identikit-local
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MailProg=/bin/true
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=$RUN_DIR/slurmctld.pid
SlurmdPidFile=$RUN_DIR/slurmd.pid
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
KillWait=10
NodeName=$host CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
}

# write_conf <host> <cpus> <mem_mb>: (re)write slurm.conf if needed; sets CONF_CHANGED=1 if so.
CONF_CHANGED=0
write_conf() {
  local new tmp
  new="$(render_conf "$@")"
  if [[ -e "$SLURM_CONF" ]]; then
    if ! grep -qF "$MARKER" "$SLURM_CONF"; then
      ((FORCE)) || die 2 "$SLURM_CONF exists and was not written by this script; rerun with --force to replace it"
      cp -p "$SLURM_CONF" "$SLURM_CONF.bak.$(date +%Y%m%d%H%M%S)"
    elif [[ "$(cat "$SLURM_CONF")" == "$new" ]]; then
      return 0
    fi
  fi
  mkdir -p "$CONF_DIR"
  tmp="$(mktemp "$CONF_DIR/.slurm.conf.XXXXXX")"
  printf '%s\n' "$new" >"$tmp"
  chmod 0644 "$tmp"
  mv -f "$tmp" "$SLURM_CONF"
  CONF_CHANGED=1
}

ensure_munge() {
  if [[ ! -s "$MUNGE_KEY" ]]; then
    mkdir -p "$(dirname "$MUNGE_KEY")"
    if command -v mungekey >/dev/null; then
      mungekey --create --keyfile="$MUNGE_KEY" --force
    else
      dd if=/dev/urandom of="$MUNGE_KEY" bs=1024 count=1 status=none
    fi
    say "made munge key $MUNGE_KEY"
  fi
  chown munge:munge "$(dirname "$MUNGE_KEY")" "$MUNGE_KEY"
  chmod 0700 "$(dirname "$MUNGE_KEY")"
  chmod 0400 "$MUNGE_KEY"
  running munged && return 0
  install -d -o munge -g munge -m 0755 /run/munge
  install -d -o munge -g munge -m 0700 /var/lib/munge /var/log/munge
  if ! runuser -u munge -- munged 2>/dev/null && ! munged --force; then
    die 1 "munged would not start; see /var/log/munge/munged.log"
  fi
  sleep 0.5
  say "started munged"
}

# start_daemon <name>: start slurmctld/slurmd (they fork into the background) unless running.
start_daemon() {
  local name="$1" i
  running "$name" && return 0
  "$name" || die 1 "$name failed to start; see $LOG_DIR/$name.log"
  for ((i = 0; i < 50; i++)); do
    running "$name" && break
    sleep 0.1
  done
  if ! running "$name"; then
    tail -n 5 "$LOG_DIR/$name.log" >&2 || true
    die 1 "$name exited right after starting; see $LOG_DIR/$name.log"
  fi
  say "started $name"
}

up() {
  install_packages

  local host cpus mem_kb mem_mb headroom
  host="$(hostname -s)"
  [[ -n "$host" ]] || die 1 "could not determine the short hostname"
  getent hosts "$host" >/dev/null ||
    die 2 "hostname '$host' does not resolve; add '127.0.0.1 $host' to /etc/hosts"
  cpus="$(nproc)"
  mem_kb="$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)"
  mem_mb=$((mem_kb / 1024))
  headroom=$((mem_mb / 10))
  ((headroom >= 512)) || headroom=512
  ((mem_mb > 2 * headroom)) || headroom=$((mem_mb / 4))
  mem_mb=$((mem_mb - headroom))

  write_conf "$host" "$cpus" "$mem_mb"
  if ((CONF_CHANGED)); then
    say "wrote $SLURM_CONF ($host: $cpus CPUs, $mem_mb MB)"
    # A changed node definition needs a restart of both daemons.
    if running slurmd || running slurmctld; then
      stop slurmd "$RUN_DIR/slurmd.pid" >/dev/null
      stop slurmctld "$RUN_DIR/slurmctld.pid" >/dev/null
      say "stopped slurmd/slurmctld to pick up the new configuration"
    fi
  fi
  install -d -m 0755 "$RUN_DIR" "$LOG_DIR" /var/spool/slurmctld /var/spool/slurmd

  ensure_munge
  local started=0
  running slurmctld || started=1
  running slurmd || started=1
  start_daemon slurmctld
  start_daemon slurmd

  # sinfo %T: idle, mixed, allocated, down, drained, ... plus a flag such as * (not responding).
  local state="" i
  for ((i = 0; i < WAIT_S * 2; i++)); do
    state="$(sinfo -h -N -n "$host" -o %T 2>/dev/null | head -n 1 || true)"
    [[ "$state" == *'*'* ]] && state="not-responding" # e.g. idle*: slurmd not (yet) heard from
    state="${state//[^a-z-]/}"
    case "$state" in
      idle | mixed | allocated | completing) break ;;
      down | drained | draining | drain | fail | failing)
        if ((i % 10 == 0)); then
          if scontrol update nodename="$host" state=resume 2>/dev/null; then
            say "resumed node $host (was $state)"
            started=1
          fi
        fi
        ;;
    esac
    sleep 0.5
  done
  case "$state" in
    idle | mixed | allocated | completing) ;;
    *)
      scontrol show node "$host" 2>/dev/null | grep -E 'State=|Reason=' >&2 || true
      die 1 "node $host is '${state:-unknown}' after ${WAIT_S}s; see $LOG_DIR/slurmctld.log and $LOG_DIR/slurmd.log"
      ;;
  esac
  local cpus_mem
  cpus_mem="$(sinfo -h -N -n "$host" -o '%c CPUs, %m MB' | head -n 1)"
  if ((started || CONF_CHANGED)); then
    say "node $host $state with $cpus_mem"
  else
    say "already up: node $host $state with $cpus_mem"
  fi
}

FORCE=0
MODE=up
while (($#)); do
  case "$1" in
    --down) MODE=down ;;
    --force) FORCE=1 ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
  shift
done

[[ "$(id -u)" -eq 0 ]] || die 2 "must run as root (try: sudo $0)"

if [[ "$MODE" == down ]]; then
  down
else
  up
fi
