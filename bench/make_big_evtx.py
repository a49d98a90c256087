#!/usr/bin/env python3
"""bench/make_big_evtx.py OUT.evtx [COPIES] FILES...: one large EVTX file for the
reader's speed test, made of the chunks of FILES repeated COPIES times (default 1)
behind one file header (the first file's, with the chunk count and checksum
fixed). Chunks carry their own templates and names, so every chunk reads as it
does in its own file; only non-empty chunks with a valid signature are kept."""
import struct, sys, zlib

def chunks(path):
    d = open(path, 'rb').read()
    if d[:8] != b'ElfFile\0':
        return None, []
    out = []
    for off in range(4096, len(d) - 65536 + 1, 65536):
        c = d[off:off + 65536]
        if c[:8] == b'ElfChnk\0' and struct.unpack_from('<I', c, 48)[0] > 512:
            out.append(c)
    return d[:4096], out

def main():
    out, args = sys.argv[1], sys.argv[2:]
    copies = 1
    if args and args[0].isdigit():
        copies, args = int(args[0]), args[1:]
    header, all_chunks = None, []
    for p in args:
        h, cs = chunks(p)
        if h is not None and header is None:
            header = bytearray(h)
        all_chunks += cs
    if header is None:
        sys.exit('make_big_evtx: no EVTX file among the inputs')
    all_chunks = all_chunks * copies
    n = len(all_chunks)
    # the header's chunk count is 16 bits; a larger file is a "dirty" one whose
    # slots past the count are still read
    struct.pack_into('<H', header, 42, min(n, 0xffff))
    struct.pack_into('<I', header, 120 - 0, struct.unpack_from('<I', header, 120)[0] & ~1)  # not dirty
    struct.pack_into('<I', header, 124, zlib.crc32(bytes(header[:120])) & 0xffffffff)
    with open(out, 'wb') as f:
        f.write(header)
        for c in all_chunks:
            f.write(c)
    print(f'{out}: {n} chunks, {4096 + 65536 * n} bytes')

main()
