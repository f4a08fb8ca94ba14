# Drives ubd serve's protocol edges with libnbd (run by ServeProtocolTest under nbdsh -n, with $uri set).
# The export: "disk" ("the disk"), 4 MiB, a V3 COW over a raw base whose sector s holds (s % 251) + 1,
# with 0x55 written at 1M..1M+64k. READONLY=1 in the environment: the same export served read-only.
import errno
import os

uri = os.environ["uri"]
read_only = os.environ.get("READONLY") == "1"
MIB = 1 << 20
SIZE = 4 * MIB


def sector_byte(s):
    return s % 251 + 1


def base_bytes(offset, length):
    return bytes(sector_byte((offset + i) // 512) for i in range(length))


def expect_error(call, code):
    try:
        call()
    except nbd.Error as e:
        assert e.errnum == code, "expected errno %d, got %s (%s)" % (code, e.errnum, e.string)
        return
    raise AssertionError("expected errno %d, the call succeeded" % code)


def connect(structured=True, strict=True, block_size=True, contexts=()):
    h = nbd.NBD()
    h.set_request_structured_replies(structured)
    h.set_request_block_size(block_size)
    if not strict:
        h.set_strict_mode(0)  # send what the server must refuse, instead of failing in the client
    for c in contexts:
        h.add_meta_context(c)
    h.connect_uri(uri)
    return h


def extents(h, length, offset, flags=0):
    got = {}

    def cb(context, off, entries, err):
        got[context] = [(entries[i], entries[i + 1]) for i in range(0, len(entries), 2)]
        return 0

    h.block_status(length, offset, cb, flags)
    return got


# --- option haggling: LIST, INFO (name, description, block sizes), LIST_META_CONTEXT, unknown export, ABORT
h = nbd.NBD()
h.set_opt_mode(True)
h.set_full_info(True)
h.connect_uri(uri)
names = []
h.opt_list(lambda name, description: names.append(name))
assert names == ["disk"], names
listed = []
h.opt_list_meta_context(lambda name: listed.append(name))
assert sorted(listed) == ["base:allocation", "qemu:allocation-depth"], listed
h.add_meta_context("qemu:")
listed = []
h.opt_list_meta_context(lambda name: listed.append(name))
assert listed == ["qemu:allocation-depth"], listed
h.clear_meta_contexts()
h.add_meta_context("x-unknown:thing")
listed = []
h.opt_list_meta_context(lambda name: listed.append(name))
assert listed == [], listed
h.clear_meta_contexts()
h.set_export_name("no-such-export")
try:
    h.opt_info()
    raise AssertionError("an unknown export was described")
except nbd.Error:
    pass
h.set_export_name("disk")
h.opt_info()
assert h.get_size() == SIZE
assert h.get_canonical_export_name() == "disk"
assert h.get_export_description() == "the disk"
assert h.get_block_size(nbd.SIZE_MINIMUM) == 512
assert h.get_block_size(nbd.SIZE_PREFERRED) == 4096
assert h.get_block_size(nbd.SIZE_MAXIMUM) == 32 * MIB
h.opt_abort()

# --- what the export says it can do
h = connect(contexts=["base:allocation", "qemu:allocation-depth"])
assert h.get_structured_replies_negotiated()
assert h.is_read_only() == read_only
assert h.can_flush() and h.can_cache() and h.can_multi_conn() and h.can_df()
assert h.can_fua() != read_only and h.can_trim() != read_only
assert h.can_zero() != read_only and h.can_fast_zero() != read_only
assert h.can_meta_context("base:allocation") and h.can_meta_context("qemu:allocation-depth")
assert h.pread(4096, 0) == base_bytes(0, 4096)
assert h.pread(512, MIB) == b"\x55" * 512
chunks = []
got = h.pread_structured(4096, 0, lambda sub, off, status, err: chunks.append((off, status)) or 0,
                         nbd.CMD_FLAG_DF)
assert got == base_bytes(0, 4096) and chunks == [(0, nbd.READ_DATA)], chunks  # one chunk: not fragmented
h.cache(MIB, 0)
h.flush()

# block status as nbdinfo --map shows it, with REQ_ONE, and from inside a sector
e = extents(h, SIZE, 0)
assert e["qemu:allocation-depth"] == [(MIB, 2), (65536, 1), (SIZE - MIB - 65536, 2)], e
assert e["base:allocation"] == [(SIZE, 0)], e
e = extents(h, 4096, 0, nbd.CMD_FLAG_REQ_ONE)
assert e["qemu:allocation-depth"] == [(4096, 2)], e

if read_only:
    s = connect(strict=False)
    expect_error(lambda: s.pwrite(b"x" * 512, 0), errno.EPERM)
    expect_error(lambda: s.trim(512, 0), errno.EPERM)
    expect_error(lambda: s.zero(512, 0), errno.EPERM)
    assert s.pread(512, 0) == base_bytes(0, 512)
    s.shutdown()
    print("read-only edges ok")
    raise SystemExit(0)

# --- writes, FUA, trim, zeroes and FAST_ZERO
h.pwrite(b"\xaa" * 8192, 2 * MIB, nbd.CMD_FLAG_FUA)
assert h.pread(8192, 2 * MIB) == b"\xaa" * 8192
h.trim(4096, 2 * MIB)
assert h.pread(4096, 2 * MIB) == bytes(4096)
h.zero(65536, 3 * MIB)
assert h.pread(65536, 3 * MIB) == bytes(65536)
h.zero(65536, 3 * MIB + 65536, nbd.CMD_FLAG_NO_HOLE | nbd.CMD_FLAG_FUA)
assert h.pread(65536, 3 * MIB + 65536) == bytes(65536)
e = extents(h, 65536, 3 * MIB + 65536)
assert e["qemu:allocation-depth"][0][1] == 1, e  # written zeros live in the top layer
h.zero(65536, 3 * MIB + 2 * 65536, nbd.CMD_FLAG_FAST_ZERO)  # a discard: fast
assert h.pread(65536, 3 * MIB + 2 * 65536) == bytes(65536)
before = h.pread(4096, 3 * MIB + 4 * 65536)
expect_error(lambda: h.zero(4096, 3 * MIB + 4 * 65536, nbd.CMD_FLAG_FAST_ZERO | nbd.CMD_FLAG_NO_HOLE),
             errno.ENOTSUP)
assert h.pread(4096, 3 * MIB + 4 * 65536) == before, "a refused fast zero changes nothing"
h.flush()
h.shutdown()

# --- requests a careful client never sends: the server's checks answer them
s = connect(strict=False, block_size=False, contexts=["qemu:allocation-depth"])
e = extents(s, 1000, MIB + 100)
assert e["qemu:allocation-depth"] == [(1536 - 100, 1)], e  # from where asked to the end of its last sector
expect_error(lambda: s.pread(512, SIZE), errno.EINVAL)
expect_error(lambda: s.pread(1024, SIZE - 512), errno.EINVAL)
expect_error(lambda: s.pwrite(b"x" * 512, SIZE), errno.ENOSPC)
expect_error(lambda: s.pwrite(b"x" * 100, 0), errno.EINVAL)
expect_error(lambda: s.pwrite(b"x" * 512, 100), errno.EINVAL)
expect_error(lambda: s.zero(512, SIZE), errno.ENOSPC)
expect_error(lambda: s.trim(512, SIZE), errno.EINVAL)
expect_error(lambda: s.pread(512, 0, nbd.CMD_FLAG_NO_HOLE), errno.EINVAL)
expect_error(lambda: s.flush(nbd.CMD_FLAG_REQ_ONE), errno.EINVAL)
expect_error(lambda: s.block_status(0, 0, lambda *a: 0), errno.EINVAL)
expect_error(lambda: s.block_status(512, SIZE, lambda *a: 0), errno.EINVAL)
n = connect(strict=False)
expect_error(lambda: n.block_status(512, 0, lambda *a: 0), errno.EINVAL)  # no context selected
n.shutdown()
s.trim(1000, 2 * MIB + 4096 + 100)  # rounded inward: no whole sector inside, so nothing discarded
assert s.pread(512, 2 * MIB + 4096) == b"\xaa" * 512
assert s.pread(1000, 100) == base_bytes(100, 1000)  # unaligned read: served from the sectors around it
assert s.pread(0, 0) == b""
assert s.pread(512, 0) == base_bytes(0, 512), "the connection survived every refusal"
s.shutdown()

# --- simple replies only (no structured replies negotiated)
p = connect(structured=False)
assert not p.get_structured_replies_negotiated()
assert not p.can_df() and not p.can_meta_context("base:allocation")
assert p.pread(512, MIB) == b"\x55" * 512
p.pwrite(b"\xbb" * 512, 0)
assert p.pread(512, 0) == b"\xbb" * 512
p.shutdown()

# --- oldstyle-free fallback: a client without fixed newstyle goes straight to NBD_OPT_EXPORT_NAME (and gets the
# 124 zero bytes, having not asked for NO_ZEROES)
for flags in (0, nbd.HANDSHAKE_FLAG_FIXED_NEWSTYLE):
    o = nbd.NBD()
    o.set_handshake_flags(flags)
    o.connect_uri(uri)
    assert o.get_size() == SIZE
    assert o.pread(512, 0) == b"\xbb" * 512
    o.shutdown()
print("protocol edges ok")
