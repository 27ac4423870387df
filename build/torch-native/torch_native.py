#!/usr/bin/env python3
"""Make TorchSharp's libLibTorchSharp.so loadable on a libstdc++ without GLIBCXX_3.4.32.

libLibTorchSharp.so (TorchSharp 0.107) is built with GCC 13+, so it records a version
need on GLIBCXX_3.4.32 (only for _ZSt21ios_base_library_initv, a link-time marker that
no relocation uses). Debian 12's libstdc++ stops at 3.4.30, so dlopen refuses the file.
Marking that one need VER_FLG_WEAK turns the hard failure into a silent one; the shim
library built next to this script provides the symbol itself.

Subcommands (stdlib only, so it runs on a bare python3):
  needed          print "needed <libstdc++>" or "not-needed <libstdc++|reason>", exit 0
  patch FILE...   weaken the need in each FILE in place (copies, never the NuGet cache)
                  prints "patched|already-weak|no-need: FILE"; exit 0 when every file is
                  patched or already weak, 3 when some file has no such need (left
                  untouched), 1 on any error (not ELF64 LE, truncated, protected path).
"""
import os
import platform
import struct
import subprocess
import sys
import tempfile

VERSION = b"GLIBCXX_3.4.32"
VER_FLG_WEAK = 0x2
SHT_GNU_VERNEED = 0x6FFFFFFE

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_NO_NEED = 0, 1, 2, 3


class ElfError(Exception):
    pass


def _unpack(fmt, data, off):
    size = struct.calcsize(fmt)
    if off < 0 or off + size > len(data):
        raise ElfError("truncated ELF (read of %d bytes at 0x%x)" % (size, off))
    return struct.unpack_from(fmt, data, off)


def _cstr(data, off):
    end = data.find(b"\0", off)
    if off < 0 or off >= len(data) or end < 0:
        raise ElfError("string offset 0x%x out of range" % off)
    return bytes(data[off:end])


def find_vernaux_flags(data, version=VERSION):
    """Offsets of vna_flags of every Vernaux entry named `version` (ELF64 little-endian)."""
    if data[:4] != b"\x7fELF":
        raise ElfError("not an ELF file")
    if data[4] != 2 or data[5] != 1:
        raise ElfError("not ELF64 little-endian")
    (shoff,) = _unpack("<Q", data, 0x28)
    shentsize, shnum = _unpack("<HH", data, 0x3A)
    if shoff == 0:
        return []
    if shentsize < 64:
        raise ElfError("bad e_shentsize %d" % shentsize)
    if shnum == 0:  # extended numbering: real count lives in section 0's sh_size
        (shnum,) = _unpack("<Q", data, shoff + 0x20)

    def section(i):
        # sh_name, sh_type, sh_flags, sh_addr, sh_offset, sh_size, sh_link, sh_info
        return _unpack("<IIQQQQII", data, shoff + i * shentsize)

    hits = []
    for i in range(shnum):
        _, sh_type, _, _, off, size, link, info = section(i)
        if sh_type != SHT_GNU_VERNEED:
            continue
        if link >= shnum:
            raise ElfError("verneed sh_link %d out of range" % link)
        strtab = section(link)[4]
        vn = off
        for _ in range(info):  # sh_info = number of Verneed entries
            _, vn_cnt, _, vn_aux, vn_next = _unpack("<HHIII", data, vn)
            aux = vn + vn_aux
            for _ in range(vn_cnt):
                _, _, _, vna_name, vna_next = _unpack("<IHHII", data, aux)
                if _cstr(data, strtab + vna_name) == version:
                    hits.append(aux + 4)
                if vna_next == 0:
                    break
                aux += vna_next
            if vn_next == 0:
                break
            vn += vn_next
        if vn > off + size:
            raise ElfError("verneed chain runs past its section")
    return hits


def _protected(path):
    """True for files inside a NuGet package folder: those are shared, never patched."""
    real = os.path.realpath(path)
    roots = [os.environ.get("NUGET_PACKAGES"), os.path.expanduser("~/.nuget/packages")]
    for root in filter(None, roots):
        root = os.path.realpath(root)
        if real == root or real.startswith(root + os.sep):
            return True
    return False


def patch_file(path):
    """Returns 'patched', 'already-weak' or 'no-need'; raises ElfError/OSError."""
    if _protected(path):
        raise ElfError("refusing to modify a file inside the NuGet package folder")
    with open(path, "rb") as f:
        data = bytearray(f.read())
    hits = find_vernaux_flags(data)
    if not hits:
        return "no-need"
    todo = [h for h in hits if not _unpack("<H", data, h)[0] & VER_FLG_WEAK]
    if not todo:
        return "already-weak"  # nothing written: the file keeps its bytes and times
    for h in todo:
        struct.pack_into("<H", data, h, _unpack("<H", data, h)[0] | VER_FLG_WEAK)
    st = os.stat(path)
    # Write a new inode and rename over: a hard link or symlink into the NuGet cache
    # (CreateHardLinksForCopyLocalIfPossible) must not be modified through this path.
    fd, tmp = tempfile.mkstemp(prefix=".torchnative-", dir=os.path.dirname(os.path.abspath(path)))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, st.st_mode & 0o7777)
        # Keep the copy's timestamps: MSBuild's copy-local skips files whose size and
        # mtime match the package file, so the patched file survives the next build.
        os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return "patched"


def _ldconfig_candidates():
    arch_tag = {"x86_64": "x86-64", "aarch64": "AArch64"}.get(platform.machine(), "")
    for exe in ("/sbin/ldconfig", "/usr/sbin/ldconfig", "ldconfig"):
        try:
            out = subprocess.run([exe, "-p"], capture_output=True, text=True, check=False).stdout
        except OSError:
            continue
        entries = []
        for line in out.splitlines():
            line = line.strip()
            if line.startswith("libstdc++.so.6 ") and "=>" in line:
                entries.append((arch_tag and arch_tag in line, line.split("=>", 1)[1].strip()))
        # Entries for this machine's ABI first (multilib systems list 32-bit ones too).
        return [p for _, p in sorted(entries, key=lambda e: not e[0])]
    return []


def system_libstdcxx():
    fallbacks = [
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib64/libstdc++.so.6",
        "/usr/lib/libstdc++.so.6",
    ]
    for p in _ldconfig_candidates() + fallbacks:
        if os.path.isfile(p):
            return p
    return None


def cmd_needed():
    if not sys.platform.startswith("linux"):
        print("not-needed (not Linux)")
        return EXIT_OK
    lib = system_libstdcxx()
    if lib is None:
        print("not-needed (no libstdc++.so.6 found)")
        return EXIT_OK
    with open(lib, "rb") as f:
        has = VERSION + b"\0" in f.read()
    print("%s %s" % ("not-needed" if has else "needed", lib))
    return EXIT_OK


def cmd_patch(paths):
    rc = EXIT_OK
    for p in paths:
        try:
            status = patch_file(p)
        except (ElfError, OSError) as e:
            print("error: %s: %s" % (p, e))
            rc = EXIT_ERROR
            continue
        print("%s: %s" % (status, p))
        if status == "no-need" and rc == EXIT_OK:
            rc = EXIT_NO_NEED
    return rc


def main(argv):
    if len(argv) == 2 and argv[1] == "needed":
        return cmd_needed()
    if len(argv) >= 3 and argv[1] == "patch":
        return cmd_patch(argv[2:])
    sys.stderr.write(__doc__)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main(sys.argv))
