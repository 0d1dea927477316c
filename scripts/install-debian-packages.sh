# Sourced by the install-*-deps.sh scripts: install_debian_packages NAME PACKAGE... installs the given
# Debian packages (none: does nothing) with apt-get, as root or through sudo. NAME prefixes the messages.
install_debian_packages() {
  local name="$1"; shift
  [ $# -gt 0 ] || return 0
  local run=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then run=(sudo); else
      echo "$name: please install these Debian packages as root: $*" >&2
      exit 1
    fi
  fi
  echo "$name: installing $*"
  "${run[@]}" apt-get update -qq
  # Packages with a daemon (postgresql, nginx) would start Debian's own service, listening beyond loopback; the tests
  # run private instances instead. A policy-rc.d that answers 101 ("not allowed") stops that, for this install only.
  local policy=/usr/sbin/policy-rc.d added=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${run[@]}" tee "$policy" >/dev/null && "${run[@]}" chmod 755 "$policy" && added=1
  fi
  local status=0
  DEBIAN_FRONTEND=noninteractive "${run[@]}" apt-get install -y -qq --no-install-recommends "$@" || status=$?
  if [ "$added" -eq 1 ]; then "${run[@]}" rm -f "$policy"; fi
  return "$status"
}
