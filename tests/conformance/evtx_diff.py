#!/usr/bin/env python3
"""evtx_diff.py: differential test of shrike's EVTX reader against libevtx.

For each .evtx file: `shrike dump -q FILE` gives one JSON object a record;
`evtxexport -f xml FILE` (libevtx) gives the XML of the records it can parse.
The XML is turned into fields by the naming rules of docs/evtx.md, written
here independently of the C code: System children by their own names and
attributes as Elem_Attr (TimeCreated's SystemTime as TimeCreated), EventData
<Data Name="X"> as X, unnamed <Data> as "Data", UserData's wrapper dropped,
deeper elements as dotted names. Values are compared after normalising what
the two renderings are allowed to differ in: libevtx prints 7 fraction digits
of FILETIMEs (shrike 6, as evtx_dump), zero-padded hex integers (shrike 0x3e7,
as Windows), and upper/lower case in hex and GUIDs.

Records are matched by EventRecordID (and occurrence). Prints per-file lines
for problems and a summary line:
  evtx differential: N files, R records, M mismatching values, pass rate X%
Exit status 1 when the record pass rate is below --floor, or shrike crashed.

With --json-pairs DIR, every X.evtx under DIR that has an X.json next to it
(the sigma regression data: JSON rendered by an evtx_dump-like converter) is
also compared through shrike itself: `shrike dump X.evtx` against `shrike dump
X.json` (the JSON reader's normalisation of {"Event":{"System":...}}), records
matched by EventRecordID. Allowed differences: GUIDs without braces in the
JSON, trailing spaces the converter trimmed, JSON-only null fields
("Correlation": null) and "#attributes" keys.

With --ref python-evtx the reference is Debian's python3-evtx (record.xml() of
the first --max-records records of each file; it reads about 150 records/s).
Its own renderings are allowed for: booleans as True/False, FILETIMEs a few
microseconds off (floating-point conversion), empty elements for absent
optional substitutions, string arrays as <string> items in one value, binary in
base64, control characters dropped. Known disagreements where libevtx agrees
with shrike: the string array of classic PowerShell 800 events, whose raw bytes
start with an empty string (python-evtx moves it to second place), and zero-size values (python-evtx reads bytes
that belong to the next value).

Usage: evtx_diff.py --shrike BIN [--ref evtxexport|python-evtx] [--max-records N] [--floor PCT]
                    [--damaged FILE]... [--json-pairs DIR] FILE...
Standard library only.
"""
import argparse
import base64
import binascii
import html
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

TIME_RE = re.compile(r'^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:\.(\d+))?Z?$')
HEX_RE = re.compile(r'^0x[0-9a-fA-F]+$')
GUID_RE = re.compile(r'^\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}$')


def local(tag):
    return tag.rsplit('}', 1)[-1]


def fields_of(event, drop_empty_attrs=False):
    """XML <Event> element -> ordered {name: [values]} (the naming of docs/evtx.md).
    drop_empty_attrs: python-evtx prints an attribute whose substitution is absent as
    an empty one (Qualifiers="", ActivityID=""); libevtx and shrike leave it out."""
    out = {}

    def add(name, value):
        out.setdefault(name, []).append(value)

    def walk(el, base, sys_=False, data=False):
        children = list(el)
        attrs = [(k, v) for k, v in el.attrib.items()
                 if not local(k).startswith('xmlns') and not (data and k == 'Name')
                 and not (drop_empty_attrs and v == '')]
        for c in children:
            walk(c, base + '.' + local(c.tag), sys_)
        text = (el.text or '') + ''.join(c.tail or '' for c in children)
        if children:
            text = text.strip()
        if text:
            add(base, text)
        elif not sys_ and not children and not attrs:
            add(base, '')
        for k, v in attrs:
            k = local(k)
            add('TimeCreated' if base == 'TimeCreated' and k == 'SystemTime' else base + '_' + k, v)

    for sec in event:
        name = local(sec.tag)
        if name == 'System':
            for el in sec:
                walk(el, local(el.tag), sys_=True)
        elif name == 'EventData':
            for el in sec:
                n = local(el.tag)
                if n == 'Data':
                    walk(el, el.get('Name') or 'Data', data=True)
                else:
                    walk(el, n)
        elif name == 'UserData':
            for wrapper in sec:
                for el in wrapper:
                    walk(el, local(el.tag))
        else:
            walk(sec, name)
    return out


def norm(v):
    if isinstance(v, bool):
        return 'true' if v else 'false'
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    s = str(v).replace('\r\n', '\n').replace('\r', '\n')   # XML parsers normalise line ends
    m = TIME_RE.match(s)
    if m:
        return '%sT%s.%sZ' % (m.group(1), m.group(2), ((m.group(3) or '') + '000000')[:6])
    if HEX_RE.match(s):
        return hex(int(s, 16))
    if GUID_RE.match(s):
        return s.upper()
    return s


TIME_NORM_RE = re.compile(r'^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})Z$')


CONTROL_RE = re.compile(r'[\x00-\x08\x0b\x0c\x0e-\x1f]')


def same(a, b):
    if a == b:
        return True
    # control characters cannot be written in XML: python-evtx drops them
    if CONTROL_RE.search(a) and CONTROL_RE.sub('', a) == b:
        return True
    # python-evtx prints booleans as Python does (True), and turns FILETIMEs into
    # datetimes through floating-point seconds: a few microseconds off the exact value
    # (which shrike, libevtx's 7 digits and evtx_dump agree on)
    if a.lower() in ('true', 'false') and a.lower() == b.lower():
        return True
    ta, tb = TIME_NORM_RE.match(a), TIME_NORM_RE.match(b)
    if ta and tb and ta.group(1) == tb.group(1) and abs(int(ta.group(2)) - int(tb.group(2))) <= 5:
        return True
    try:
        fa, fb = float(a), float(b)
        return fa == fb or abs(fa - fb) <= 1e-6 * max(abs(fa), abs(fb))
    except ValueError:
        return False


def evtxexport_events(path):
    """The <Event> elements evtxexport prints (None when it prints nothing usable)."""
    p = subprocess.run(['evtxexport', '-f', 'xml', path], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    text = p.stdout.decode('utf-8', 'replace')
    events, bad = [], 0
    for block in re.findall(r'<Event xmlns.*?</Event>', text, re.S):
        try:
            events.append(ET.fromstring(block))
        except ET.ParseError:
            bad += 1
    return events, bad


# run by the python that has python-evtx (Debian's python3-evtx): each record's XML,
# records separated by \x1e; a record python-evtx cannot render counts as unparsed
PYEVTX_SCRIPT = r"""
import sys
import Evtx.Evtx as E
path, limit = sys.argv[1], int(sys.argv[2])
out, bad, n = [], 0, 0
try:
    with E.Evtx(path) as log:
        for rec in log.records():
            if n >= limit:
                break
            n += 1
            try:
                out.append(rec.xml())
            except Exception:
                bad += 1
except Exception:
    bad += 1
sys.stdout.write('\x1e'.join(out) + '\x1d%d' % bad)
"""


def pyevtx_events(python, path, limit):
    """The first `limit` records of path as python-evtx renders them."""
    p = subprocess.run([python, '-c', PYEVTX_SCRIPT, path, str(limit)], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    text = p.stdout.decode('utf-8', 'replace')
    body, _, nbad = text.rpartition('\x1d')
    events, bad = [], int(nbad) if nbad.isdigit() else 1
    for block in body.split('\x1e') if body else []:
        try:
            events.append(ET.fromstring(block))
        except ET.ParseError:
            bad += 1
    return events, bad


def shrike_events(binary, path):
    p = subprocess.run([binary, 'dump', '-q', path], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    events = [json.loads(line) for line in p.stdout.decode('utf-8').splitlines() if line.strip()]
    return events, p.returncode, p.stderr.decode('utf-8', 'replace')


def record_key(fields, counts):
    rid = fields.get('EventRecordID')
    rid = norm(rid[0] if isinstance(rid, list) else rid) if rid is not None else '?'
    counts[rid] = counts.get(rid, 0) + 1
    return (rid, counts[rid])


GUID_ANY = re.compile(r'^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$')


def pair_norm(v):
    if isinstance(v, list):
        return [pair_norm(x) for x in v]
    if isinstance(v, str):
        m = GUID_ANY.match(v)
        return m.group(1).upper() if m else v.rstrip()
    return v


def json_pairs(binary, folder, verbose):
    import os
    nfiles = nrec = nbad = nvalues = 0
    by_field = {}
    for root, _, files in sorted(os.walk(folder)):
        for f in sorted(files):
            if not f.endswith('.evtx') or not os.path.exists(os.path.join(root, f[:-5] + '.json')):
                continue
            ev, _, _ = shrike_events(binary, os.path.join(root, f))
            js, _, _ = shrike_events(binary, os.path.join(root, f[:-5] + '.json'))
            nfiles += 1
            mine = {e.get('EventRecordID'): e for e in ev}
            for j in js:
                e = mine.get(j.get('EventRecordID'))
                if e is None:
                    continue
                nrec += 1
                for k in set(e) | set(j):
                    if k.startswith('#attributes') or (k not in e and j.get(k) is None):
                        continue
                    nvalues += 1
                    if pair_norm(e.get(k)) != pair_norm(j.get(k)):
                        nbad += 1
                        by_field.setdefault(k, [0, f, e.get(k), j.get(k)])[0] += 1
    for k, (n, f, x, y) in sorted(by_field.items(), key=lambda x: -x[1][0])[:10]:
        print('json field %s: %d differ, e.g. %s: evtx %r, json %r' % (k, n, f, x, y))
    print('evtx vs JSON renderings: %d files, %d records, %d values, %d mismatching values' % (nfiles, nrec, nvalues, nbad))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--shrike', required=True)
    ap.add_argument('--floor', type=float, default=0.0, help='minimum record pass rate (percent)')
    ap.add_argument('--damaged', action='append', default=[], help='damaged file: must give errors, not crash')
    ap.add_argument('--json-pairs', help='folder of X.evtx + X.json pairs to compare through shrike')
    ap.add_argument('--verbose', '-v', action='count', default=0)
    ap.add_argument('--ref', choices=['evtxexport', 'python-evtx'], default='evtxexport',
                    help='the independent parser to compare with')
    ap.add_argument('--python', default='/usr/bin/python3', help='the python that has python-evtx')
    ap.add_argument('--max-records', type=int, default=10**9,
                    help='python-evtx: compare the first N records of each file (it reads ~150 records/s)')
    ap.add_argument('files', nargs='*')
    a = ap.parse_args()

    crashed = []
    by_field = {}
    nfiles = nrec = nmatch = nvalues = nbad_values = only_shrike = only_ref = ref_unparsed = 0
    for path in a.files:
        ours, rc, err = shrike_events(a.shrike, path)
        if rc >= 128 or rc < 0:
            crashed.append(path)
            continue
        if a.ref == 'python-evtx':
            ref, bad = pyevtx_events(a.python, path, a.max_records)
        else:
            ref, bad = evtxexport_events(path)
        ref_unparsed += bad
        nfiles += 1
        mine, theirs = {}, {}
        counts = {}
        for ev in ours:
            f = {k: (v if isinstance(v, list) else [v]) for k, v in ev.items()}
            mine[record_key(f, counts)] = f
        counts = {}
        for el in ref:
            f = fields_of(el, drop_empty_attrs=a.ref == 'python-evtx')
            theirs[record_key(f, counts)] = f
        if a.ref == 'python-evtx' and len(ref) + bad >= a.max_records:
            # only the first records were rendered: shrike's are compared within their range
            ids = [int(k[0]) for k in theirs if str(k[0]).isdigit()]
            lo, hi = (min(ids), max(ids)) if ids else (1, 0)
            mine = {k: v for k, v in mine.items() if str(k[0]).isdigit() and lo <= int(k[0]) <= hi}
        if a.ref == 'python-evtx':
            # python-evtx prints the element of an absent optional substitution as an empty one
            # (<Data></Data>, <Binary></Binary>), string arrays as <string> items inside one
            # value, and binary values in base64 (shrike and libevtx: hex)
            for t in theirs.values():
                for name, vs in t.items():
                    if len(vs) == 1 and vs[0].startswith('<string>'):
                        t[name] = [html.unescape(x) for x in re.findall(r'<string>(.*?)</string>', vs[0], re.S)]
                if 'Binary' in t:
                    try:
                        t['Binary'] = [base64.b64decode(v, validate=True).hex().upper() for v in t['Binary']]
                    except (ValueError, binascii.Error):
                        pass
            for key, t in theirs.items():
                m = mine.get(key, {})
                for name in [n for n, vs in t.items() if n not in m and all(v == '' for v in vs)]:
                    del t[name]
        only_shrike += len(set(mine) - set(theirs))
        only_ref += len(set(theirs) - set(mine))
        file_bad = 0
        for key in theirs:
            if key not in mine:
                continue
            nrec += 1
            m, t = mine[key], theirs[key]
            diffs = []
            for name in set(m) | set(t):
                mv = [norm(x) for x in m.get(name, [])]
                tv = [norm(x) for x in t.get(name, [])]
                nvalues += max(len(mv), len(tv))
                if len(mv) == len(tv) and all(same(x, y) for x, y in zip(mv, tv)):
                    continue
                nbad = max(len(mv), len(tv)) - sum(1 for x, y in zip(mv, tv) if same(x, y))
                nbad_values += nbad
                diffs.append((name, mv, tv))
                ent = by_field.setdefault(name, [0, path, key[0], mv[:3], tv[:3]])
                ent[0] += 1
            if diffs:
                file_bad += 1
                if a.verbose:
                    for name, mv, tv in diffs[: 5 if a.verbose < 2 else None]:
                        print('  %s record %s: %s: shrike %r, %s %r' % (path, key[0], name, mv[:4], a.ref, tv[:4]))
            else:
                nmatch += 1
        if file_bad or len(ours) != len(ref):
            print('%s: %d records (%s %d), %d differ' % (path, len(ours), a.ref, len(ref), file_bad))

    for path in a.damaged:
        p = subprocess.run([a.shrike, 'dump', '-q', path], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        n = len(p.stdout.splitlines())
        errs = [l for l in p.stderr.decode('utf-8', 'replace').splitlines() if l.startswith('shrike')]
        status = 'crash' if p.returncode >= 128 or p.returncode < 0 else 'ok'
        if status == 'crash':
            crashed.append(path)
        print('damaged %s: %s, %d records, %d errors%s' % (path, status, n, len(errs), (': ' + errs[0]) if errs else ''))

    for name, (n, path, rid, mv, tv) in sorted(by_field.items(), key=lambda x: -x[1][0])[:25]:
        print('field %s: %d records differ, e.g. %s record %s: shrike %r, %s %r'
              % (name, n, path, rid, [x[:120] for x in mv], a.ref, [x[:120] for x in tv]))
    if a.json_pairs:
        json_pairs(a.shrike, a.json_pairs, a.verbose)
    rate = 100.0 * nmatch / nrec if nrec else 100.0
    print('evtx differential (%s): %d files, %d records, %d mismatching values, pass rate %.2f%%'
          % (a.ref, nfiles, nrec, nbad_values, rate))
    print('  (%d values compared; %d records only shrike read, %d only %s read; %d %s records not rendered)'
          % (nvalues, only_shrike, only_ref, a.ref, ref_unparsed, a.ref))
    if crashed:
        print('crashed on: ' + ', '.join(crashed))
        return 1
    if rate < a.floor:
        print('pass rate %.2f%% is below the floor of %.2f%%' % (rate, a.floor))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
