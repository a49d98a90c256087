#!/usr/bin/env python3
"""make_evtx_corpus.py: writes small EVTX files with correct checksums.

  make_evtx_corpus.py corpus DIR    the seed corpus of fuzz_evtx (tests/fuzz/corpus/evtx)
  make_evtx_corpus.py sample FILE   a small realistic log for tests/e2e/evtx.sh: Sysmon 1 and 11,
                                    Security 4688 and 1102 (UserData), PowerShell 4104, a
                                    certutil/signtool story the bundled rules look at

The writer follows the format as docs/evtx.md describes it: file header, 64 KiB
chunks (header, names stored once and then referenced by offset, template
definitions stored inline in the first record that uses them), records
(template instances with their substitution values). Standard library only;
output is deterministic.
"""
import struct
import sys
import zlib
import os

# value types
NULL, STR, ANSI, I8, U8, I16, U16, I32, U32, I64, U64, R32, R64, BOOL, BIN, GUID, SIZET, FT, ST, SID, H32, H64 = (
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
    0x11, 0x12, 0x13, 0x14, 0x15)
BINXML = 0x21
ARRAY = 0x80


def u16s(s):
    return s.encode('utf-16-le')


class Chunk:
    """One 64 KiB chunk under construction; offsets are chunk offsets."""

    def __init__(self):
        self.d = bytearray(512)
        self.names = {}
        self.templates = {}
        self.first = self.last = None
        self.last_rec = 0
        self.dep = False

    pos = property(lambda self: len(self.d))

    def u8(self, v): self.d += struct.pack('<B', v)
    def u16(self, v): self.d += struct.pack('<H', v)
    def u32(self, v): self.d += struct.pack('<I', v)
    def u64(self, v): self.d += struct.pack('<Q', v)
    def put32(self, at, v): self.d[at:at + 4] = struct.pack('<I', v)
    def put16(self, at, v): self.d[at:at + 2] = struct.pack('<H', v)

    def name(self, s):
        if s in self.names:
            self.u32(self.names[s])
            return
        off = self.pos + 4
        self.names[s] = off
        self.u32(off)
        self.u32(0)
        self.u16(sum(map(ord, s)) & 0xffff)
        self.u16(len(u16s(s)) // 2)
        self.d += u16s(s) + b'\0\0'

    # ---- binary XML from a small tree: (name, [attrs], [children]) where
    # attrs are (name, value) and children/values are str (text), or
    # ('sub', idx, type) / ('opt', idx, type) substitutions
    def value(self, v):
        if isinstance(v, str):
            self.u8(0x05)
            self.u8(0x01)
            self.u16(len(u16s(v)) // 2)
            self.d += u16s(v)
        else:
            kind, idx, typ = v
            self.u8(0x0d if kind == 'sub' else 0x0e)
            self.u16(idx)
            self.u8(typ)

    def element(self, node):
        nm, attrs, children = node
        start = self.pos
        self.u8(0x41 if attrs else 0x01)
        if self.dep:
            self.u16(0xffff)
        size_at = self.pos
        self.u32(0)
        self.name(nm)
        if attrs:
            alist = self.pos
            self.u32(0)
            for i, (an, av) in enumerate(attrs):
                self.u8(0x46 if i + 1 < len(attrs) else 0x06)
                self.name(an)
                self.value(av)
            self.put32(alist, self.pos - alist - 4)
        if children:
            self.u8(0x02)
            for ch in children:
                if isinstance(ch, tuple) and len(ch) == 3 and isinstance(ch[1], list):
                    self.element(ch)
                else:
                    self.value(ch)
            self.u8(0x04)
        else:
            self.u8(0x03)
        self.put32(size_at, self.pos - size_at - 4)
        return start

    def template(self, key, tree):
        """A template instance: the definition inline the first time, then by offset."""
        self.u8(0x0c)
        self.u8(0x01)
        self.u32(sum(map(ord, key)))
        if key in self.templates:
            self.u32(self.templates[key])
            return
        off = self.pos + 4
        self.templates[key] = off
        self.u32(off)
        self.u32(0)
        self.d += bytes((sum(map(ord, key)) + i) & 0xff for i in range(16))
        size_at = self.pos
        self.u32(0)
        self.d += b'\x0f\x01\x01\x00'
        self.dep = True
        self.element(tree)
        self.dep = False
        self.u8(0x00)
        self.put32(size_at, self.pos - size_at - 4)

    def values(self, vals):
        """vals: (type, bytes) or (BINXML, callable writing the nested fragment)."""
        self.u32(len(vals))
        desc = self.pos
        self.d += b'\0' * (4 * len(vals))
        for i, (typ, data) in enumerate(vals):
            start = self.pos
            if callable(data):
                data(self)
            else:
                self.d += data
            self.put16(desc + 4 * i, self.pos - start)
            self.d[desc + 4 * i + 2] = typ

    def record(self, rid, when, body):
        start = self.pos
        self.u32(0x00002a2a)
        self.u32(0)
        self.u64(rid)
        self.u64(when)
        self.d += b'\x0f\x01\x01\x00'
        body(self)
        self.u8(0x00)
        while (self.pos + 4 - start) % 8:
            self.u8(0)
        size = self.pos + 4 - start
        self.u32(size)
        self.put32(start + 4, size)
        self.first = rid if self.first is None else self.first
        self.last = rid
        self.last_rec = start

    def finish(self):
        d = self.d
        free = len(d)
        d[0:8] = b'ElfChnk\0'
        first, last = self.first or 0, self.last or 0
        d[8:40] = struct.pack('<QQQQ', first, last, first, last)
        d[40:56] = struct.pack('<IIII', 128, self.last_rec, free, zlib.crc32(bytes(d[512:free])))
        d[124:128] = struct.pack('<I', zlib.crc32(bytes(d[0:120]) + bytes(d[128:512])))
        return bytes(d) + b'\0' * (65536 - free)


def compact(chunk):
    """A chunk cut at its free space offset: read the same, a smaller seed."""
    return chunk[:struct.unpack('<I', chunk[48:52])[0]]


def evtx_file(chunks, count=None, flags=0, next_id=1):
    h = bytearray(4096)
    h[0:8] = b'ElfFile\0'
    n = len(chunks)
    h[8:42] = struct.pack('<QQQIHHH', 0, max(n - 1, 0), next_id, 128, 1, 3, 4096)
    h[42:44] = struct.pack('<H', n if count is None else count)
    h[120:124] = struct.pack('<I', flags)
    h[124:128] = struct.pack('<I', zlib.crc32(bytes(h[0:120])))
    return bytes(h) + b''.join(chunks)


# ---- values

def v_str(s): return (STR, u16s(s))
def v_u8(v): return (U8, struct.pack('<B', v))
def v_u16(v): return (U16, struct.pack('<H', v))
def v_u32(v): return (U32, struct.pack('<I', v))
def v_u64(v): return (U64, struct.pack('<Q', v))
def v_h64(v): return (H64, struct.pack('<Q', v))
def v_ft(v): return (FT, struct.pack('<Q', v))
def v_null(): return (NULL, b'')


def v_guid(s):
    h = s.strip('{}').replace('-', '')
    b = bytes.fromhex(h)
    return (GUID, b[0:4][::-1] + b[4:6][::-1] + b[6:8][::-1] + b[8:16])


def v_sid(s):
    parts = [int(x) for x in s.split('-')[1:]]
    rev, auth, subs = parts[0], parts[1], parts[2:]
    return (SID, struct.pack('<BB', rev, len(subs)) + auth.to_bytes(6, 'big') + b''.join(struct.pack('<I', x) for x in subs))


def filetime(iso_seconds, frac_100ns=0):
    import calendar
    import time
    t = calendar.timegm(time.strptime(iso_seconds, '%Y-%m-%dT%H:%M:%S'))
    return (t + 11644473600) * 10**7 + frac_100ns


# ---- the System part shared by the templates (substitutions 0..12)

SYSTEM = ('System', [], [
    ('Provider', [('Name', ('sub', 0, STR)), ('Guid', ('sub', 1, GUID))], []),
    ('EventID', [('Qualifiers', ('opt', 2, U16))], [('sub', 3, U16)]),
    ('Version', [], [('sub', 4, U8)]),
    ('Level', [], [('sub', 5, U8)]),
    ('Task', [], [('sub', 6, U16)]),
    ('Opcode', [], [('sub', 7, U8)]),
    ('Keywords', [], [('sub', 8, H64)]),
    ('TimeCreated', [('SystemTime', ('sub', 9, FT))], []),
    ('EventRecordID', [], [('sub', 10, U64)]),
    ('Correlation', [('ActivityID', ('opt', 11, GUID))], []),
    ('Execution', [('ProcessID', ('sub', 12, U32)), ('ThreadID', ('sub', 13, U32))], []),
    ('Channel', [], [('sub', 14, STR)]),
    ('Computer', [], [('sub', 15, STR)]),
    ('Security', [('UserID', ('opt', 16, SID))], []),
])
NSYS = 17


def system_values(provider, guid, eid, rid, when, channel, computer, user=None, task=0, keywords=0x8000000000000000,
                  pid=4, tid=8, level=4, version=0):
    return [v_str(provider), v_guid(guid), v_null(), v_u16(eid), v_u8(version), v_u8(level), v_u16(task), v_u8(0),
            v_h64(keywords), v_ft(when), v_u64(rid), v_null(), v_u32(pid), v_u32(tid), v_str(channel),
            v_str(computer), v_sid(user) if user else v_null()]


def event_tree(data_names, types):
    data = [('Data', [('Name', n)], [('sub', NSYS + i, t)]) for i, (n, t) in enumerate(zip(data_names, types))]
    return ('Event', [('xmlns', 'http://schemas.microsoft.com/win/2004/08/events/event')],
            [SYSTEM, ('EventData', [], data)])


SYSMON = ('Microsoft-Windows-Sysmon', '{5770385F-C22A-43E0-BF4C-06F5698FFBD9}', 'Microsoft-Windows-Sysmon/Operational')
SECURITY = ('Microsoft-Windows-Security-Auditing', '{54849625-5478-4994-A5BA-3E3B0328C30D}', 'Security')
POWERSHELL = ('Microsoft-Windows-PowerShell', '{A0C1853B-5C40-4B15-8766-3CF1C58F985A}', 'Microsoft-Windows-PowerShell/Operational')
EVENTLOG = ('Microsoft-Windows-Eventlog', '{FC65DDD8-D6EF-4962-83D5-6E5CFE9CE148}', 'Security')

SYSMON1 = ['RuleName', 'UtcTime', 'ProcessGuid', 'ProcessId', 'Image', 'FileVersion', 'Description', 'Product',
           'Company', 'OriginalFileName', 'CommandLine', 'CurrentDirectory', 'User', 'LogonGuid', 'LogonId',
           'TerminalSessionId', 'IntegrityLevel', 'Hashes', 'ParentProcessGuid', 'ParentProcessId', 'ParentImage',
           'ParentCommandLine', 'ParentUser']
SYSMON1_T = [STR, STR, GUID, U32, STR, STR, STR, STR, STR, STR, STR, STR, STR, GUID, H64, U32, STR, STR, GUID, U32,
             STR, STR, STR]
SYSMON11 = ['RuleName', 'UtcTime', 'ProcessGuid', 'ProcessId', 'Image', 'TargetFilename', 'CreationUtcTime', 'User']
SYSMON11_T = [STR, STR, GUID, U32, STR, STR, STR, STR]
SEC4688 = ['SubjectUserSid', 'SubjectUserName', 'SubjectDomainName', 'SubjectLogonId', 'NewProcessId', 'NewProcessName',
           'TokenElevationType', 'ProcessId', 'CommandLine', 'TargetUserSid', 'TargetUserName', 'TargetDomainName',
           'TargetLogonId', 'ParentProcessName', 'MandatoryLabel']
SEC4688_T = [SID, STR, STR, H64, H64, STR, STR, H64, STR, SID, STR, STR, H64, STR, SID]
PS4104 = ['MessageNumber', 'MessageTotal', 'ScriptBlockText', 'ScriptBlockId', 'Path']
PS4104_T = [I32, I32, STR, STR, STR]


def sysmon1(c, rid, when, pguid, pid, image, cmd, parent, parent_cmd, user='WS01\\alice'):
    def body(c):
        c.template('sysmon1', event_tree(SYSMON1, SYSMON1_T))
        vals = system_values(*SYSMON[:2], 1, rid, when, SYSMON[2], 'ws01.corp.example', 'S-1-5-18', task=1,
                             version=5, pid=2928, tid=3904)
        utc = '2026-03-02 10:%02d:%02d.%03d' % ((rid // 60) % 60, rid % 60, rid % 1000)
        vals += [v_str('-'), v_str(utc), v_guid(pguid), v_u32(pid), v_str(image), v_str('10.0.19041.1'),
                 v_str(image.rsplit('\\', 1)[-1]), v_str('Microsoft\u00ae Windows\u00ae Operating System'),
                 v_str('Microsoft Corporation'), v_str(image.rsplit('\\', 1)[-1]), v_str(cmd),
                 v_str('C:\\Users\\alice\\'), v_str(user), v_guid('{8A4A5C1E-6E4B-64F2-0E5F-030000000000}'),
                 v_h64(0x35f0e), v_u32(1), v_str('High'),
                 v_str('SHA256=' + ('%064X' % (pid * 7919))), v_guid('{8A4A5C1E-6E4B-64F2-AA00-000000000700}'),
                 v_u32(4242), v_str(parent), v_str(parent_cmd), v_str(user)]
        c.values(vals)
    c.record(rid, when, body)


def sysmon11(c, rid, when, pid, image, target):
    def body(c):
        c.template('sysmon11', event_tree(SYSMON11, SYSMON11_T))
        vals = system_values(*SYSMON[:2], 11, rid, when, SYSMON[2], 'ws01.corp.example', 'S-1-5-18', task=11,
                             version=2, pid=2928, tid=3904)
        vals += [v_str('-'), v_str('2026-03-02 10:00:%02d.000' % (rid % 60)),
                 v_guid('{8A4A5C1E-6E4B-64F2-0E5F-030000000900}'), v_u32(pid), v_str(image), v_str(target),
                 v_str('2026-03-02 10:00:%02d.000' % (rid % 60)), v_str('WS01\\alice')]
        c.values(vals)
    c.record(rid, when, body)


def sec4688(c, rid, when, name, cmd, parent):
    def body(c):
        c.template('sec4688', event_tree(SEC4688, SEC4688_T))
        vals = system_values(*SECURITY[:2], 4688, rid, when, SECURITY[2], 'ws01.corp.example', task=13312,
                             version=2, keywords=0x8020000000000000, level=0, pid=4, tid=96)
        vals += [v_sid('S-1-5-21-1004336348-1177238915-682003330-1104'), v_str('alice'), v_str('CORP'),
                 v_h64(0x35f0e), v_h64(0x1a2c), v_str(name), v_str('%%1937'), v_h64(0x1f40), v_str(cmd),
                 v_sid('S-1-0-0'), v_str('-'), v_str('-'), v_h64(0), v_str(parent),
                 v_sid('S-1-16-12288')]
        c.values(vals)
    c.record(rid, when, body)


def ps4104(c, rid, when, script):
    def body(c):
        c.template('ps4104', event_tree(PS4104, PS4104_T))
        vals = system_values(*POWERSHELL[:2], 4104, rid, when, POWERSHELL[2], 'ws01.corp.example',
                             'S-1-5-21-1004336348-1177238915-682003330-1104', task=2, level=5, version=1,
                             keywords=0)
        vals += [(I32, struct.pack('<i', 1)), (I32, struct.pack('<i', 1)), v_str(script),
                 v_str('{6D0C0B8C-3F2A-4C4B-9C7E-2B3A9B1C0D11}'), v_str('')]
        c.values(vals)
    c.record(rid, when, body)


def sec1102(c, rid, when):
    """Log cleared: UserData as a binary XML substitution holding a nested template."""
    tree = ('Event', [('xmlns', 'http://schemas.microsoft.com/win/2004/08/events/event')],
            [SYSTEM, ('UserData', [], [('sub', NSYS, BINXML)])])
    inner = ('LogFileCleared', [('xmlns', 'http://manifests.microsoft.com/win/2004/08/windows/eventlog')],
             [('SubjectUserSid', [], [('sub', 0, SID)]), ('SubjectUserName', [], [('sub', 1, STR)]),
              ('SubjectDomainName', [], [('sub', 2, STR)]), ('SubjectLogonId', [], [('sub', 3, H64)])])

    def nested(c):
        c.d += b'\x0f\x01\x01\x00'
        c.template('logcleared', inner)
        c.values([v_sid('S-1-5-21-1004336348-1177238915-682003330-1104'), v_str('alice'), v_str('CORP'),
                  v_h64(0x35f0e)])
        c.u8(0x00)

    def body(c):
        c.template('sec1102', tree)
        vals = system_values(*EVENTLOG[:2], 1102, rid, when, EVENTLOG[2], 'ws01.corp.example', task=104,
                             level=4, keywords=0x4020000000000000, pid=1044, tid=2032)
        vals += [(BINXML, nested)]
        c.values(vals)
    c.record(rid, when, body)


def sample():
    """The e2e log: two chunks, a certutil -> signtool story and background noise."""
    t0 = filetime('2026-03-02T10:00:00')
    c0, c1 = Chunk(), Chunk()
    rid = 1
    sysmon1(c0, rid, t0, '{8A4A5C1E-6E4B-64F2-0E5F-030000000A00}', 4100, 'C:\\Windows\\System32\\certutil.exe',
            'certutil.exe -addstore Root C:\\Users\\alice\\AppData\\Local\\Temp\\x.cer',
            'C:\\Windows\\System32\\cmd.exe', 'cmd.exe /c install.bat')
    rid += 1
    sysmon11(c0, rid, t0 + 10**7, 4100, 'C:\\Windows\\System32\\certutil.exe', 'C:\\Users\\alice\\AppData\\Local\\Temp\\x.pfx')
    rid += 1
    sec4688(c0, rid, t0 + 2 * 10**7, 'C:\\Program Files (x86)\\Windows Kits\\10\\bin\\x64\\signtool.exe',
            'signtool.exe sign /f a.pfx /p secret b.exe', 'C:\\Windows\\System32\\cmd.exe')
    rid += 1
    ps4104(c0, rid, t0 + 3 * 10**7,
           "New-SelfSignedCertificate -Type CodeSigningCert -Subject 'CN=Test \u00e9\u20ac\U0001F600' -CertStoreLocation Cert:\\CurrentUser\\My")
    rid += 1
    sec1102(c0, rid, t0 + 4 * 10**7)
    rid += 1
    for i in range(3):
        sysmon1(c1, rid, t0 + (5 + i) * 10**7, '{8A4A5C1E-6E4B-64F2-0E5F-0300000001%02X}' % i, 5000 + i,
                'C:\\Windows\\System32\\svchost.exe', 'svchost.exe -k netsvcs -p', 'C:\\Windows\\System32\\services.exe',
                'C:\\Windows\\system32\\services.exe')
        rid += 1
    return evtx_file([c0.finish(), c1.finish()], next_id=rid)


def corpus(out):
    os.makedirs(out, exist_ok=True)
    files = {}
    full = sample()
    files['sample.evtx'] = full
    files['chunk0.bin'] = compact(full[4096:4096 + 65536])
    # one record per feature
    t0 = filetime('2024-01-02T03:04:05', 1234567)
    c = Chunk()
    sysmon1(c, 1, t0, '{00000000-0000-0000-0000-000000000001}', 1, 'a.exe', 'a', 'b.exe', 'b')
    files['one.evtx'] = evtx_file([c.finish()])
    c = Chunk()
    sec1102(c, 7, t0)
    files['nested.evtx'] = evtx_file([c.finish()])
    c = Chunk()
    ps4104(c, 3, t0, 'x' * 3000)
    files['long.evtx'] = evtx_file([c.finish()])
    # every value type, arrays, optional substitutions
    types = [STR, ANSI, I8, U8, I16, U16, I32, U32, I64, U64, R32, R64, BOOL, BIN, GUID, SIZET, FT, ST, SID, H32, H64,
             STR | ARRAY, U16 | ARRAY, SID | ARRAY, GUID | ARRAY, STR, 0x20, 0x23]
    vals = [v_str('s'), (ANSI, b'caf\xe9'), (I8, b'\xfe'), (U8, b'\x07'), (I16, b'\x00\x80'), (U16, b'\xff\xff'),
            (I32, b'\xff\xff\xff\xff'), (U32, b'\x01\0\0\0'), (I64, b'\xfb' + b'\xff' * 7), (U64, b'\xff' * 8),
            (R32, struct.pack('<f', 1.5)), (R64, struct.pack('<d', -0.1)), (BOOL, b'\x01\0\0\0'), (BIN, b'\x01\xab'),
            v_guid('{5770385F-C22A-43E0-BF4C-06F5698FFBD9}'), (SIZET, b'\xe7\x03\0\0\0\0\0\0'), v_ft(t0),
            (ST, struct.pack('<8H', 2019, 5, 2, 14, 21, 46, 7, 551)), v_sid('S-1-5-18'), (H32, b'\x1f\0\0\0'),
            (H64, b'\0' * 8), (STR | ARRAY, u16s('a\0b\0')), (U16 | ARRAY, b'\x01\0\x02\0'),
            (SID | ARRAY, v_sid('S-1-5-18')[1] + v_sid('S-1-5-32-544')[1]),
            (GUID | ARRAY, v_guid('{5770385F-C22A-43E0-BF4C-06F5698FFBD9}')[1] * 2), v_null(), (0x20, b'\0' * 8),
            (0x23, b'')]
    names = ['T%02x' % t for t in types]

    def body(c):
        tree = ('Event', [], [SYSTEM, ('EventData', [], [('Data', [('Name', n)], [('opt' if i == 25 else 'sub', NSYS + i, t)])
                                                         for i, (n, t) in enumerate(zip(names, types))] +
                                       [('Data', [], ['plain']), ('Binary', [], [('sub', NSYS + 13, BIN)])])])
        c.template('types', tree)
        c.values(system_values(*SYSMON[:2], 99, 1, t0, SYSMON[2], 'h') + vals)
    c = Chunk()
    c.record(1, t0, body)
    c.record(2, t0, body)
    files['types.evtx'] = evtx_file([c.finish()])
    # damage: bad chunk magic, dirty header counting too few chunks, bad sizes, truncation
    good = files['one.evtx']
    bad = bytearray(good + good[4096:])
    bad[4096:4104] = b'XlfChnk\0'
    files['badchunk.evtx'] = bytes(bad)
    files['dirty.evtx'] = evtx_file([Chunk().finish(), c.finish()], count=1, flags=1)
    b = bytearray(files['types.evtx'])
    b[4096 + 512 + 4] ^= 0x40
    files['badsize.evtx'] = bytes(b)
    files['truncated.evtx'] = files['sample.evtx'][:4096 + 3000]
    for name, data in sorted(files.items()):
        if name.endswith('.evtx') and name != 'truncated.evtx' and len(data) > 4096:
            # the last chunk cut at its free space offset: read the same
            last = 4096 + (len(data) - 4096 - 1) // 65536 * 65536
            data = data[:last] + compact(data[last:])
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)
    return sorted(files)


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ('corpus', 'sample'):
        sys.stderr.write(__doc__)
        return 2
    if sys.argv[1] == 'corpus':
        names = corpus(sys.argv[2])
        print('wrote %d files to %s' % (len(names), sys.argv[2]))
    else:
        with open(sys.argv[2], 'wb') as f:
            f.write(sample())
    return 0


if __name__ == '__main__':
    sys.exit(main())
