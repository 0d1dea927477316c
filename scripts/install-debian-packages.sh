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
  DEBIAN_FRONTEND=noninteractive "${run[@]}" apt-get install -y -qq --no-install-recommends "$@"
}
