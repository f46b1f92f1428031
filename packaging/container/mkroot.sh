#!/bin/sh
# Build the context of the upsweb container image: a root filesystem with
# only the upsweb binary, the shared libraries ldd finds for it, a passwd
# entry for uid 1000 and a default configuration.  No registry is needed:
# the Containerfile starts FROM scratch and copies this tree.
#
#   packaging/container/mkroot.sh BUILD_DIR CONTEXT_DIR
#   podman build -t upsguard-web -f CONTEXT_DIR/Containerfile CONTEXT_DIR
set -eu
build=$1
ctx=$2
here=$(cd "$(dirname "$0")" && pwd)
bin="$build/src/upsweb/upsweb"
[ -x "$bin" ] || { echo "mkroot.sh: $bin is not built" >&2; exit 1; }

rm -rf "$ctx"
root="$ctx/rootfs"
mkdir -p "$root/usr/sbin" "$root/etc/upsguard" "$root/tmp"
cp "$bin" "$root/usr/sbin/upsweb"
strip --strip-unneeded "$root/usr/sbin/upsweb" 2>/dev/null || true

# The binary's libraries, the dynamic loader, and the NSS modules that
# getaddrinfo() loads to resolve host names of hosts.conf.
libs=$(ldd "$bin" | awk '/=> \//{print $3} /^\t\/.*ld-linux/{print $1}')
multiarch=$(dirname "$(ldd "$bin" | awk '/libc\.so/{print $3}')")
for lib in $libs "$multiarch/libnss_files.so.2" "$multiarch/libnss_dns.so.2" \
    "$multiarch/libresolv.so.2"; do
	[ -e "$lib" ] || continue
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
# /lib64/ld-linux-x86-64.so.2 is reached through the /lib64 path on the host.
for l in $libs; do
	case $l in /lib64/*) mkdir -p "$root/lib64"; cp -L "$l" "$root$l";; esac
done

printf 'root:x:0:0:root:/:/nonexistent\nupsweb:x:1000:1000:upsweb:/:/nonexistent\n' >"$root/etc/passwd"
printf 'root:x:0:\nupsweb:x:1000:\n' >"$root/etc/group"
printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
cp "$here/upsweb.conf" "$here/hosts.conf" "$root/etc/upsguard/"
chmod 0644 "$root/etc/upsguard/"*
chmod 1777 "$root/tmp"
cp "$here/Containerfile" "$ctx/Containerfile"
