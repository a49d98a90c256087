#!/usr/bin/env python3
"""spl_seed_model.py: an independent model of page 003's Splunk search, written
from Splunk's documented semantics (not from shrike's code), to check the rows
`shrike query -l spl` computes for it.

  spl_seed_model.py FILE...      prints, per file, the rows the search yields
                                 (one JSON object a line, columns in order)
  spl_seed_model.py --check SHRIKE_ROWS FILE
                                 compares shrike's rows (JSONL) for FILE with the
                                 model's and prints "ok N rows" or the differences

Events are read the way docs/splunk.md says Splunk sees them: event XML
(Sysmon, Security) with EventData names as fields, EventCode, host = Computer,
sourcetype XmlWinEventLog:<Channel> for Sysmon and WinEventLog:<Channel>
otherwise, index wineventlog, _time in epoch seconds with milliseconds; and
Winlogbeat documents with winlog.event_data.NAME as NAME and the sysmon and
security modules' ECS fields back under their event-data names.
"""
import json
import re
import sys
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

NS = "{http://schemas.microsoft.com/win/2004/08/events/event}"
SYSMON = "Microsoft-Windows-Sysmon/Operational"


def epoch_ms(text):
    """ISO time to 'sec.mmm' (truncated to milliseconds)"""
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z?", text)
    dt = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    frac = (m.group(2) or "0")[:3].ljust(3, "0")
    return "%d.%s" % (int(dt.timestamp()), frac)


def splunk_common(ev, channel, code, computer, t):
    ev["EventCode"] = str(code)
    ev["Channel"] = channel
    ev["host"] = computer
    ev["index"] = "wineventlog"
    ev["sourcetype"] = ("XmlWinEventLog:" if channel == SYSMON else "WinEventLog:") + channel
    ev["_time"] = epoch_ms(t)
    return ev


def xml_events(path):
    text = open(path, encoding="utf-8").read()
    text = re.sub(r"<\?xml[^>]*\?>", "", text)
    root = ET.fromstring("<wrap>" + text + "</wrap>")
    for e in root.iter(NS + "Event"):
        sysn = e.find(NS + "System")
        ev = {}
        for d in e.iter(NS + "Data"):
            if d.get("Name"):
                ev[d.get("Name")] = d.text or ""
        yield splunk_common(ev, sysn.find(NS + "Channel").text, sysn.find(NS + "EventID").text,
                            sysn.find(NS + "Computer").text, sysn.find(NS + "TimeCreated").get("SystemTime"))


def get(d, dotted):
    for k in dotted.split("."):
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def winlogbeat_events(path):
    for line in open(path, encoding="utf-8"):
        if not line.strip():
            continue
        doc = json.loads(line)
        w = doc.get("winlog", {})
        ev = {k: str(v) for k, v in (w.get("event_data") or {}).items()}
        module = get(doc, "event.module")
        ecs = {}
        if module == "sysmon":
            ecs = {"Image": "process.executable", "CommandLine": "process.command_line",
                   "ParentImage": "process.parent.executable", "ParentCommandLine": "process.parent.command_line",
                   "ProcessId": "process.pid", "TargetFilename": "file.path", "TargetObject": "registry.path"}
            dom, name = get(doc, "user.domain"), get(doc, "user.name")
            if "User" not in ev and dom and name:
                ev["User"] = dom + "\\" + name
        elif module == "security" and str(w.get("event_id")) == "4688":
            ecs = {"NewProcessName": "process.executable", "ParentProcessName": "process.parent.executable"}
        for field, path_ in ecs.items():
            v = get(doc, path_)
            if field not in ev and v is not None:
                ev[field] = str(v)
        yield splunk_common(ev, w["channel"], w["event_id"], w["computer_name"], doc["@timestamp"])


def events(path):
    if path.endswith(".xml"):
        return list(xml_events(path))
    if path.endswith(".ndjson"):
        first = open(path, encoding="utf-8").readline()
        if '"winlog"' in first:
            return list(winlogbeat_events(path))
    return []


def coalesce(*vs):
    for v in vs:
        if v is not None:
            return v
    return None


def m(rx, s):
    """Splunk's match(): null when the subject is null"""
    return None if s is None else bool(re.search(rx, s))


def ci_wild(value, pat):
    if value is None:
        return False
    rx = "^" + ".*".join(re.escape(p) for p in pat.lower().split("*")) + "$"
    return re.match(rx, value.lower(), re.S) is not None


def run(evs):
    rows = []
    for e in evs:
        sysmon1 = ci_wild(e.get("sourcetype"), "XmlWinEventLog:" + SYSMON) and e.get("EventCode") == "1"
        sec4688 = ci_wild(e.get("sourcetype"), "WinEventLog:Security") and e.get("EventCode") == "4688"
        if not (ci_wild(e.get("index"), "wineventlog") and (sysmon1 or sec4688)):
            continue
        process = coalesce(e.get("Image"), e.get("NewProcessName"))
        cmd = coalesce(e.get("CommandLine"), e.get("ProcessCommandLine"))
        parent = coalesce(e.get("ParentImage"), e.get("ParentProcessName"))
        lcmd = cmd.lower() if cmd is not None else None
        lproc = process.lower() if process is not None else None
        tools = r"(signtool\.exe|certutil\.exe)"
        image_l = e.get("Image").lower() if e.get("Image") is not None else None
        newp_l = e.get("NewProcessName").lower() if e.get("NewProcessName") is not None else None
        if not ((sysmon1 and m(tools, image_l)) or (sec4688 and m(tools, newp_l))):
            continue
        is_signtool = 1 if m(r"signtool\.exe", lproc) else 0
        is_certutil = 1 if m(r"certutil\.exe", lproc) else 0
        sign = 1 if is_signtool == 1 and m(r"(\-sign|/sign)", lcmd) else 0
        imp = 1 if is_certutil == 1 and m(r"(\-addstore|\-addcert|\-importpfx|\-p12)", lcmd) else 0
        store = 1 if is_certutil == 1 and m(r"(root|trustedpublisher|authroot)", lcmd) else 0
        pfx = 1 if m(r"(\.pfx|\.p12)", lcmd) else 0
        not_tr = m(r"(\-tr|/tr)", lcmd)
        self_signed = 1 if is_signtool == 1 and not_tr is not None and not not_tr else 0
        susp = 1 if m(r"(cmd\.exe|powershell\.exe|pwsh\.exe|wscript\.exe|cscript\.exe|mshta\.exe|rundll32\.exe|explorer\.exe)",
                      parent.lower() if parent is not None else None) else 0
        risk = sign + imp + store + pfx + self_signed + susp
        if not risk > 0:
            continue
        user = coalesce(e.get("User"), e.get("SubjectUserName"))
        row = {"_time": e["_time"], "host": e.get("host"), "User": user, "Process": process, "CommandLine": cmd,
               "ParentProcess": parent, "IsSigntool": is_signtool, "IsCertutil": is_certutil,
               "SigntoolSignCmd": sign, "CertImport": imp, "TrustedStoreTarget": store, "HasPFX": pfx,
               "SelfSigned": self_signed, "SuspiciousParent": susp, "RiskScore": risk}
        rows.append({k: v for k, v in row.items() if v is not None})
    rows.sort(key=lambda r: -float(r["_time"]))  # sort - _time (stable)
    sub = []
    for e in evs:
        if not (ci_wild(e.get("index"), "wineventlog") and ci_wild(e.get("sourcetype"), "XmlWinEventLog:" + SYSMON)
                and e.get("EventCode") == "11"):
            continue
        tf = e.get("TargetFilename")
        if not any(ci_wild(tf, p) for p in ("*.pfx", "*.p12", "*.cer")):
            continue
        if not any(ci_wild(tf, p) for p in ("*\\Temp\\*", "*\\Downloads\\*", "*AppData*", "*\\Public\\*")):
            continue
        row = {"_time": e["_time"], "host": e.get("host"), "User": e.get("User"), "Process": e.get("Image"),
               "CommandLine": tf, "DetectionType": "SuspiciousCertFileCreation"}
        sub.append({k: v for k, v in row.items() if v is not None})
    # appendcols: by position, the main row's own fields kept
    out = []
    for k in range(max(len(rows), len(sub))):
        if k >= len(rows):
            out.append(sub[k])
            continue
        r = dict(rows[k])
        if k < len(sub):
            for f, v in sub[k].items():
                r.setdefault(f, v)
        out.append(r)
    return out


def norm(row):
    """values as text; _time as sec.mmm"""
    o = {}
    for k, v in row.items():
        if k == "_time":
            v = "%.3f" % float(v)
        o[k] = str(v)
    return o


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--check":
        got = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8") if l.strip()]
        want = run(events(sys.argv[3]))
        bad = 0
        if len(got) != len(want):
            print("rows: shrike %d, model %d" % (len(got), len(want)))
            bad += 1
        for i, (g, w) in enumerate(zip(got, want)):
            g, w = norm(g), norm(w)
            if list(g.keys()) != list(w.keys()):
                print("row %d columns: shrike %s, model %s" % (i + 1, list(g.keys()), list(w.keys())))
                bad += 1
            for k in w:
                if g.get(k) != w[k]:
                    print("row %d %s: shrike %r, model %r" % (i + 1, k, g.get(k), w[k]))
                    bad += 1
        if not bad:
            print("ok %d rows" % len(want))
        return 1 if bad else 0
    for p in sys.argv[1:]:
        for r in run(events(p)):
            print(json.dumps(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
