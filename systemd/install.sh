#!/usr/bin/env bash
# Installs memory-cron as a systemd timer + oneshot service; see docs/systemd.md.
#
#   sudo systemd/install.sh [--prefix /opt/memory-cron] [--node PATH] [--no-build]
#                           [--api-key-stdin | --webhook-secret-stdin] [--no-systemctl]
#   sudo systemd/install.sh --uninstall
#   sudo systemd/install.sh --instance NAME [...]   one of several instances (template units
#        memory-cron@.service/.timer; /etc/memory-cron/NAME.env, NAME.api-key, NAME.webhook-secret)
#   sudo systemd/install.sh --instance NAME --uninstall   stop and disable that instance only
#   systemd/install.sh --root DIR ...   lay the tree out under DIR (a package root, or a test)
#
# The build runs `npm ci && npm run build` in this checkout, as the user running install.sh:
# to keep the checkout yours, build first (npm ci && npm run build), then sudo ... --no-build.
# Idempotent: a second run with the same checkout changes no file. Never overwrites
# /etc/memory-cron/env or the credential files (except the one named by --*-stdin), never
# prints a secret. --uninstall removes the program, the units and the wrapper, and keeps
# /etc/memory-cron (settings, secrets) and the state and logs under /var/lib and /var/log.
set -euo pipefail
umask 022

usage() { sed -n '2,19s/^# \{0,1\}//p' "$0"; }
die() { echo "install.sh: $*" >&2; exit 2; }
say() { echo "install.sh: $*"; }

checkout=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
prefix=/opt/memory-cron
root=''
node=''
build=1
systemctl_=1
uninstall=0
stdin_secret=''
instance=''

while (($# > 0)); do
  case $1 in
    --prefix) prefix=${2:?--prefix needs a directory}; shift ;;
    --prefix=*) prefix=${1#*=} ;;
    --root) root=${2:?--root needs a directory}; shift ;;
    --root=*) root=${1#*=} ;;
    --node) node=${2:?--node needs a path}; shift ;;
    --node=*) node=${1#*=} ;;
    --no-build) build=0 ;;
    --no-systemctl) systemctl_=0 ;;
    --uninstall) uninstall=1 ;;
    --api-key-stdin) stdin_secret=api-key ;;
    --webhook-secret-stdin) stdin_secret=webhook-secret ;;
    --instance) instance=${2:?--instance needs a name}; shift ;;
    --instance=*) instance=${1#*=} ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done

[[ $prefix == /* && $prefix != / ]] || die "--prefix must be an absolute directory other than /, got '$prefix'"
prefix=${prefix%/}
if [[ -n $root ]]; then
  mkdir -p "$root"
  root=$(cd "$root" && pwd)
  [[ $root != / ]] || root=''
fi

etc=/etc/memory-cron
unit_dir=/etc/systemd/system
wrapper=/usr/local/bin/memory-cron
marker=.memory-cron-install

# An instance's name goes into a user name (memory-cron-NAME, at most 32 characters), paths and
# unit names: keep it to characters none of them needs to escape.
if [[ -n $instance && ! $instance =~ ^[A-Za-z0-9][A-Za-z0-9_-]{0,19}$ ]]; then
  die "--instance '$instance' must be 1-20 letters, digits, '_' or '-', starting with a letter or digit"
fi
# What this install is about: the plain units, or one instance of the template units.
if [[ -n $instance ]]; then
  service=memory-cron@.service
  timer=memory-cron@.timer
  enabled_timer=memory-cron@$instance.timer
  reconcile_service=memory-cron-reconcile@.service
  reconcile_timer_unit=memory-cron-reconcile@.timer
  reconcile_timer=memory-cron-reconcile@$instance.timer
  settings=$etc/$instance.env
  credential_prefix=$etc/$instance.
else
  service=memory-cron.service
  timer=memory-cron.timer
  enabled_timer=memory-cron.timer
  reconcile_service=memory-cron-reconcile.service
  reconcile_timer_unit=memory-cron-reconcile.timer
  reconcile_timer=memory-cron-reconcile.timer
  settings=$etc/env
  credential_prefix=$etc/
fi

# Writes stdin to ROOT/PATH with MODE, unless the file already has that content and mode
# (then it is not touched at all: a second install changes no file and no directory).
put() {
  local path=$root$1 mode=$2 tmp
  tmp=$(mktemp "${TMPDIR:-/tmp}/memory-cron-put.XXXXXX")
  cat >"$tmp"
  chmod "$mode" "$tmp"
  if [[ -f $path ]] && cmp -s "$tmp" "$path" && [[ $(stat -c %a "$path") == "$(stat -c %a "$tmp")" ]]; then
    rm -f "$tmp"
  else
    mkdir -p "$(dirname "$path")"
    cp "$tmp" "$path.new"
    chmod "$mode" "$path.new"
    mv -f "$path.new" "$path"
    rm -f "$tmp"
    say "wrote $1"
  fi
}

# Creates ROOT/PATH (mode MODE) from stdin only when it does not exist yet.
put_new() {
  local path=$root$1 mode=$2
  if [[ -e $path ]]; then
    cat >/dev/null
  else
    (umask 077 && cat >"$path")
    chmod "$mode" "$path"
    say "created $1"
  fi
}

run_systemctl() {
  if ((systemctl_)) && [[ -z $root ]]; then
    systemctl "$@"
  fi
}

if ((uninstall)) && [[ -n $instance ]]; then
  run_systemctl disable --now "$enabled_timer" "$reconcile_timer" || true
  run_systemctl stop "memory-cron@$instance.service" "memory-cron-reconcile@$instance.service" || true
  if [[ -n $root ]] && ((systemctl_)); then
    systemctl --root="$root" disable "$enabled_timer" "$reconcile_timer" >/dev/null 2>&1 || true
  fi
  say "instance $instance stopped and disabled. Kept: the program and units (other instances may use them),"
  say "$settings and its credentials, /var/lib/private/memory-cron/$instance (state), /var/log/private/memory-cron/$instance (logs)."
  exit 0
fi

if ((uninstall)); then
  for wanted in "$root$unit_dir"/timers.target.wants/memory-cron@*.timer "$root$unit_dir"/timers.target.wants/memory-cron-reconcile@*.timer; do
    [[ -e $wanted || -L $wanted ]] || continue
    name=${wanted##*/}
    run_systemctl disable --now "$name" || true
    rm -f "$wanted"
  done
  run_systemctl disable --now memory-cron.timer || true
  run_systemctl stop memory-cron.service || true
  if [[ -n $root ]] && ((systemctl_)); then
    systemctl --root="$root" disable memory-cron.timer >/dev/null 2>&1 || true
  fi
  rm -f "$root$unit_dir/memory-cron.service" "$root$unit_dir/memory-cron.timer" "$root$unit_dir/memory-cron@.service" "$root$unit_dir/memory-cron@.timer" "$root$wrapper"
  # The weekly reconcile (its own units beside the nightly ones).
  run_systemctl disable --now memory-cron-reconcile.timer || true
  run_systemctl stop memory-cron-reconcile.service || true
  if [[ -n $root ]] && ((systemctl_)); then
    systemctl --root="$root" disable memory-cron-reconcile.timer >/dev/null 2>&1 || true
  fi
  rm -f "$root$unit_dir/memory-cron-reconcile.service" "$root$unit_dir/memory-cron-reconcile.timer" "$root$unit_dir/memory-cron-reconcile@.service" "$root$unit_dir/memory-cron-reconcile@.timer"
  if [[ -f $root$prefix/$marker ]]; then
    rm -rf "${root:?}$prefix"
  elif [[ -e $root$prefix ]]; then
    say "left $prefix in place: it has no $marker, so install.sh did not make it"
  fi
  run_systemctl daemon-reload || true
  say "uninstalled. Kept: $etc (settings and secrets), /var/lib/private/memory-cron (state),"
  say "/var/log/private/memory-cron (logs). Remove them by hand once they are no longer needed."
  exit 0
fi

# The plain service and the instances would share /var/lib/memory-cron (an instance's state is a
# folder inside the plain one's), and systemd hands a DynamicUser= state folder to its unit's uid.
if [[ -n $instance && -e $root$unit_dir/memory-cron.service ]]; then
  die "the single-instance units (memory-cron.service) are installed: their state folder would hold the instances'. Uninstall them first (install.sh --uninstall keeps /etc/memory-cron and the state), then install every tenant with --instance"
fi
if [[ -z $instance && -e $root$unit_dir/memory-cron@.service ]]; then
  die "the template units (memory-cron@.service) are installed: add this tenant with --instance NAME, or uninstall them first"
fi

# 1. The node the service will run: absolute, new enough, and outside /home and /root,
#    which the unit hides (ProtectHome=yes).
node=${node:-$(command -v node || true)}
[[ -n $node ]] || die "no node on PATH (sudo resets PATH: pass --node \$(command -v node))"
[[ $node == /* ]] || node=$(command -v "$node")
[[ -x $node ]] || die "--node $node is not executable"
"$node" -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' ||
  die "$node is Node $("$node" --version); memory-cron needs 20.19 or later"
hidden() { case $1 in /home | /home/* | /root | /root/* | /run/user/*) return 0 ;; *) return 1 ;; esac; }
if hidden "$(readlink -f "$node")"; then
  say "warning: $node is $(readlink -f "$node"), which the service cannot see (ProtectHome=yes); install Node system-wide or pass --node"
fi
hidden "$prefix" && die "--prefix $prefix is hidden from the service (ProtectHome=yes); use a path such as /opt/memory-cron"
# npm beside that node first (nvm and tarball installs), else the one on PATH.
npm=$(dirname "$node")/npm
[[ -x $npm ]] || npm=$(command -v npm || true)
[[ -n $npm ]] || die "no npm beside $node or on PATH"

# 2. Build in the checkout.
if ((build)); then
  say "building in $checkout (npm ci && npm run build)"
  (cd "$checkout" && "$npm" ci --no-audit --no-fund && "$npm" run build)
fi
[[ -f $checkout/dist/cli.js ]] || die "$checkout/dist/cli.js is missing: build first (npm run build) or drop --no-build"

# 3. The program: dist/, package.json, the lockfile, and production dependencies.
dest=$root$prefix
mkdir -p "$dest"
[[ -f $dest/$marker || -z $(ls -A "$dest") ]] ||
  die "$prefix exists and was not made by install.sh (no $marker); choose another --prefix"
[[ -f $dest/$marker ]] || : >"$dest/$marker"
stage=$(mktemp -d "${TMPDIR:-/tmp}/memory-cron-install.XXXXXX")
trap 'rm -rf "$stage"' EXIT
cp -R "$checkout/dist" "$stage/dist"
cp "$checkout/package.json" "$checkout/package-lock.json" "$stage/"
chmod -R u=rwX,go=rX "$stage"
if [[ -d $dest/dist ]] && diff -r -q "$stage/dist" "$dest/dist" >/dev/null; then
  :
else
  rm -rf "$dest/dist"
  mv "$stage/dist" "$dest/dist"
  say "installed $prefix/dist"
fi
deps_same=0
if [[ -f $dest/node_modules/.package-lock.json ]] && cmp -s "$stage/package-lock.json" "$dest/package-lock.json" &&
  cmp -s "$stage/package.json" "$dest/package.json"; then
  deps_same=1
fi
for f in package.json package-lock.json; do
  cmp -s "$stage/$f" "$dest/$f" || { cp "$stage/$f" "$dest/$f"; chmod 0644 "$dest/$f"; }
done
if ((deps_same)); then
  say "dependencies unchanged in $prefix/node_modules"
else
  say "installing production dependencies in $prefix (npm ci --omit=dev)"
  (cd "$dest" && "$npm" ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline)
  chmod -R u=rwX,go=rX "$dest/node_modules"
fi

# 4. Units (ExecStart= names this node and prefix), wrapper, settings and credential files.
sed "s|^ExecStart=.*|ExecStart=$node $prefix/dist/cli.js run|" "$checkout/systemd/$service" |
  put "$unit_dir/$service" 0644
put "$unit_dir/$timer" 0644 <"$checkout/systemd/$timer"
put "$wrapper" 0755 <"$checkout/systemd/memory-cron-wrapper.sh"
# 4b. The weekly reconcile: the same program and settings, its own service and timer (the template units
# memory-cron-reconcile@ for an instance).
sed "s|^ExecStart=.*|ExecStart=$node $prefix/dist/cli.js reconcile|" "$checkout/systemd/$reconcile_service" |
  put "$unit_dir/$reconcile_service" 0644
put "$unit_dir/$reconcile_timer_unit" 0644 <"$checkout/systemd/$reconcile_timer_unit"

mkdir -p "$root$etc"
chmod 0700 "$root$etc"
put_new "$settings" 0600 <"$checkout/systemd/memory-cron.env.example"
# Empty credential files: LoadCredential= needs the file to exist; an empty api-key makes the
# run stop with a clear configuration error, an empty webhook-secret means unsigned deliveries.
put_new "${credential_prefix}api-key" 0600 </dev/null
put_new "${credential_prefix}webhook-secret" 0600 </dev/null
if [[ -n $stdin_secret ]]; then
  [[ ! -t 0 ]] || echo "install.sh: type the $stdin_secret, then Enter (not echoed)" >&2
  IFS= read -r -s secret || [[ -n ${secret:-} ]] || die "nothing on stdin for --$stdin_secret-stdin"
  tmp=$(mktemp "$root$etc/.$stdin_secret.XXXXXX")
  printf '%s' "$secret" >"$tmp"
  unset secret
  chmod 0600 "$tmp"
  mv -f "$tmp" "$root$credential_prefix$stdin_secret"
  say "stored $credential_prefix$stdin_secret"
fi

# 5. Start the timers.
if ((systemctl_)); then
  if [[ -n $root ]]; then
    systemctl --root="$root" enable "$enabled_timer" $reconcile_timer
  else
    systemctl daemon-reload
    systemctl enable --now "$enabled_timer" $reconcile_timer
    systemctl list-timers --no-pager "$enabled_timer" $reconcile_timer || true
  fi
fi
say "done. Settings: $settings; API key: ${credential_prefix}api-key (run with${instance:+ --instance $instance} --api-key-stdin to set it)."
