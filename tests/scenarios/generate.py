#!/usr/bin/env python3
"""generate.py: writes shrike's acceptance scenarios (seed 000, T1587.002; seed 003, T1553.002) as
test data: the eight Atomic tests of the two seed pages, variants of them, and the benign look-alikes
the pages name.

Every scenario folder under tests/scenarios/ holds one activity in every rendering that applies:

  endpoint.ndjson    Elastic Endpoint documents (Windows: logs-endpoint.events.process/file/registry;
                     macOS: process documents as Elasticsearch hits)
  winlogbeat.ndjson  Winlogbeat 8 documents after the module ingest pipelines (sysmon, security,
                     powershell), i.e. what a winlogbeat-* index holds
  sysmon.xml         the Sysmon events as Windows renders them (wevtutil /f:xml /e:Events)
  security.xml       Security 4688 / 4657 (wevtutil /f:xml)
  powershell.xml     PowerShell 4104 (Get-WinEvent ToXml())
  eslogger.ndjson    macOS: Endpoint Security fork and exec messages as eslogger prints them

plus expected.tsv (@kind, then FILE, RULE_ID, COUNT, NOTE: the alerts each rule of rules/eql raises
on each file), which tests/e2e/scenarios.sh and `shrike test` check. Other rules' expectations live
in expected-*.tsv files beside it, which this script never touches (docs/testing.md).

All values (hosts, users, SIDs, GUIDs, hashes, pids, times) are made up here. The document shapes
follow the real events described in docs/scenarios.md: the Winlogbeat golden files of the sysmon,
security and powershell modules, Elastic Endpoint documents, the EVTX samples as evtxexport prints
them, Endpoint Security's message layout.

The event files are committed; run this script (python3 tests/scenarios/generate.py from the
repository root) only to regenerate them after changing it. Before it writes expected.tsv it checks
each expected count against a small Python model of the two EQL rules' conditions over what shrike's
field model makes of every event, so a count that disagrees with EQL's semantics as modelled here
stops the run.
"""

import base64
import datetime as dt
import fnmatch
import hashlib
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

RULE_VERBATIM = "3c61745c-61a8-5572-942c-0a3408dacc18"   # t1587_002_code_signing_certificates.toml
RULE_CMDLINE = "8140c134-a943-55dc-96ac-4124b754bb10"    # ..._cmdline.toml


# --------------------------------------------------------------------------- argv splitting

from winargv import argv_windows  # noqa: E402  (kept beside this file)


def argv_sysmon_pipeline(cmd):
    """The split the Winlogbeat sysmon pipeline applies to CommandLine: the same quote and
    backslash rules for every argument, argv[0] included, blanks between arguments skipped."""
    args, i, n = [], 0, len(cmd)
    while i < n:
        if cmd[i] in ' \t':
            i += 1
            continue
        cur, inq, nb = [], False, 0
        while i < n:
            c = cmd[i]
            if c in ' \t' and not inq:
                break
            if c == '"':
                cur.append('\\' * (nb // 2))
                if nb % 2 == 0:
                    if inq and i + 1 < n and cmd[i + 1] == '"':
                        cur.append('"')
                        i += 1
                    inq = not inq
                else:
                    cur.append('"')
                nb = 0
            elif c == '\\':
                nb += 1
            else:
                cur.append('\\' * nb)
                nb = 0
                cur.append(c)
            i += 1
        cur.append('\\' * nb)
        args.append(''.join(cur))
    return args


def argv_security_pipeline(cmd):
    """The split the Winlogbeat security pipeline applies to a 4688 CommandLine: break at
    white space outside double quotes, keep the quotes, and keep the empty element that two
    blanks in a row produce."""
    out, start, inq = [], 0, False
    for i, c in enumerate(cmd):
        if c == '"':
            inq = not inq
        if c.isspace() and not inq:
            out.append(cmd[start:i])
            start = i + 1
        if i == len(cmd) - 1:
            out.append(cmd[start:i + 1])
    return out


# --------------------------------------------------------------------------- ids and hashes

def h(label, algo="sha256"):
    return hashlib.new(algo, label.encode()).hexdigest()


def guid_like(label):
    x = h(label, "md5").upper()
    return "{%s-%s-%s-%s-%s}" % (x[0:8], x[8:12], x[12:16], x[16:20], x[20:32])


def thumbprint(label):
    return h(label, "sha1").upper()


# --------------------------------------------------------------------------- model objects

class Host:
    def __init__(self, name, domain_fqdn, os_variant, os_version, build, sysmon_pid,
                 ip, mac, workgroup=False):
        self.name = name
        self.fqdn = name if workgroup else "%s.%s" % (name, domain_fqdn)
        self.os_variant, self.os_version, self.build = os_variant, os_version, build
        self.sysmon_pid = sysmon_pid
        self.ip, self.mac = ip, mac
        self.id = h("host-id:" + name, "md5")
        self.agent_id = str(guid_like("endpoint-agent:" + name))[1:-1].lower()
        self.beat_id = str(guid_like("winlogbeat-agent:" + name))[1:-1].lower()
        self.guid_prefix = h("sysmon-machine:" + name, "md5")[:8].upper()
        self.record = {"sysmon": 48210, "security": 913344, "powershell": 7391}
        self.ep_seq = 226417

    def next_record(self, channel):
        self.record[channel] += 1 + (self.record[channel] % 3)
        return self.record[channel]

    def next_seq(self):
        self.ep_seq += 7
        return self.ep_seq


class User:
    def __init__(self, domain, name, sid, logon_id="0x3e7"):
        self.domain, self.name, self.sid, self.logon_id = domain, name, sid, logon_id

    @property
    def qualified(self):
        return "%s\\%s" % (self.domain, self.name)


SYSTEM = User("NT AUTHORITY", "SYSTEM", "S-1-5-18", "0x3e7")
NETWORK_SERVICE = User("NT AUTHORITY", "NETWORK SERVICE", "S-1-5-20", "0x3e4")

# Image facts: PE version resource, signer, hashes label. None means "no version resource".
MS_PRODUCT = "Microsoft\u00ae Windows\u00ae Operating System"
KITS = "C:\\Program Files (x86)\\Windows Kits\\10\\bin\\10.0.22621.0\\x64\\"
IMAGES = {
    "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe":
        dict(company="Microsoft Corporation", description="Windows PowerShell", product=MS_PRODUCT,
             file_version="10.0.22621.3085 (WinBuild.160101.0800)", original="PowerShell.EXE",
             signer="Microsoft Windows"),
    "C:\\Windows\\System32\\cmd.exe":
        dict(company="Microsoft Corporation", description="Windows Command Processor", product=MS_PRODUCT,
             file_version="10.0.22621.3085 (WinBuild.160101.0800)", original="Cmd.Exe",
             signer="Microsoft Windows"),
    "C:\\Windows\\System32\\certutil.exe":
        dict(company="Microsoft Corporation", description="CertUtil.exe", product=MS_PRODUCT,
             file_version="10.0.22621.3085 (WinBuild.160101.0800)", original="CertUtil.exe",
             signer="Microsoft Windows"),
    "C:\\Windows\\System32\\cscript.exe":
        dict(company="Microsoft Corporation", description="Microsoft \u00ae Console Based Script Host",
             product="Microsoft \u00ae Windows Script Host", file_version="5.812.10240.16384",
             original="cscript.exe", signer="Microsoft Windows"),
    "C:\\Windows\\System32\\svchost.exe":
        dict(company="Microsoft Corporation", description="Host Process for Windows Services",
             product=MS_PRODUCT, file_version="10.0.20348.2227 (WinBuild.160101.0800)",
             original="svchost.exe", signer="Microsoft Windows Publisher"),
    "C:\\Windows\\explorer.exe":
        dict(company="Microsoft Corporation", description="Windows Explorer", product=MS_PRODUCT,
             file_version="10.0.22621.3085 (WinBuild.160101.0800)", original="EXPLORER.EXE",
             signer="Microsoft Windows"),
    "C:\\Program Files\\OpenSSL-Win64\\bin\\openssl.exe":
        dict(company="The OpenSSL Project, https://www.openssl.org/", description="OpenSSL application",
             product="The OpenSSL Toolkit", file_version="3.2.1", original="openssl.exe", signer=None),
    "C:\\Program Files\\Git\\usr\\bin\\openssl.exe": None,
    "C:\\Program Files\\PowerShell\\7\\pwsh.exe":
        dict(company="Microsoft Corporation", description="pwsh", product="PowerShell",
             file_version="7.4.1.500", original="pwsh.dll", signer="Microsoft Corporation"),
    KITS + "signtool.exe":
        dict(company="Microsoft Corporation", description="Sign Tool", product=MS_PRODUCT,
             file_version="10.0.22621.755 (WinBuild.160101.0800)", original="signtool.exe",
             signer="Microsoft Corporation"),
    KITS + "makecert.exe":
        dict(company="Microsoft Corporation", description="Certificate Creation Tool", product=MS_PRODUCT,
             file_version="10.0.22621.755 (WinBuild.160101.0800)", original="MAKECERT.EXE",
             signer="Microsoft Corporation"),
    KITS + "pvk2pfx.exe":
        dict(company="Microsoft Corporation", description="Pvk2Pfx", product=MS_PRODUCT,
             file_version="10.0.22621.755 (WinBuild.160101.0800)", original="pvk2pfx.exe",
             signer="Microsoft Corporation"),
    "C:\\agent\\bin\\Agent.Worker.exe":
        dict(company="Microsoft Corporation", description="Agent.Worker", product="Agent.Worker",
             file_version="3.236.1.0", original="Agent.Worker.dll", signer="Microsoft Corporation"),
}


class Proc:
    """A process. Only processes passed to Scenario.start get a start event; the others are
    ancestors that started before the scenario's window and appear as parents."""
    def __init__(self, host, user, pid, image, cmdline, parent=None, cwd=None,
                 integrity="Medium", elevated=False, session=1, started=None):
        self.host, self.user, self.pid = host, user, pid
        self.image, self.cmdline, self.parent = image, cmdline, parent
        self.cwd = cwd or ("C:\\Windows\\system32\\" if user.sid in ("S-1-5-18", "S-1-5-20")
                           else "C:\\Users\\%s\\" % user.name)
        self.integrity, self.elevated, self.session = integrity, elevated, session
        self.started = started
        label = "%s:%d:%s" % (host.name, pid, cmdline)
        g = h("guid:" + label, "md5").upper()
        self.guid = "{%s-%s-%s-%s-00000000%s00}" % (host.guid_prefix, g[0:4], g[4:8], g[8:12], g[12:14])
        filetime = 133600000000000000 + int(h("ft:" + label, "md5")[:10], 16) % 10 ** 12
        self.entity_id = base64.b64encode(("%s-%d-%d" % (host.agent_id, pid, filetime)).encode()).decode()
        self.info = IMAGES.get(image)
        hl = "image:" + image
        self.sha256, self.sha1, self.md5 = h(hl), h(hl, "sha1"), h(hl, "md5")
        self.imphash = h("imphash:" + image, "md5")
        self.logon_guid = "{%s-%s-0000-0000-%s}" % (host.guid_prefix, h("lg:" + user.name, "md5")[:4].upper(),
                                                     h("lg2:" + user.name + host.name, "md5")[:12].upper())

    @property
    def name(self):
        return self.image.rsplit("\\", 1)[-1]

    def ancestry(self):
        out, p = [], self.parent
        while p is not None and len(out) < 5:
            out.append(p.entity_id)
            p = p.parent
        return out


# --------------------------------------------------------------------------- time helpers

def iso(t, digits):
    s = t.strftime("%Y-%m-%dT%H:%M:%S")
    frac = "%06d" % t.microsecond
    if digits == 3:
        return "%s.%sZ" % (s, frac[:3])
    if digits == 6:
        return "%s.%sZ" % (s, frac)
    return "%s.%s%sZ" % (s, frac, str((t.microsecond * 7) % 10))  # 7 digits, Windows TimeCreated


def utc_time(t):
    return t.strftime("%Y-%m-%d %H:%M:%S.") + "%03d" % (t.microsecond // 1000)


# --------------------------------------------------------------------------- Elastic Endpoint

ENDPOINT_VERSION = "8.13.2"
ENDPOINT_ECS = "8.10.0"


def ep_host(host):
    return {
        "architecture": "x86_64",
        "hostname": host.name,
        "id": host.id,
        "ip": host.ip,
        "mac": host.mac,
        "name": host.name,
        "os": {
            "Ext": {"variant": host.os_variant},
            "family": "windows",
            "full": "%s %s (10.0.%s)" % (host.os_variant, host.os_version, host.build),
            "kernel": "%s (10.0.%s)" % (host.os_version, host.build),
            "name": "Windows",
            "platform": "windows",
            "type": "windows",
            "version": host.os_version,
        },
    }


def ep_signature(p):
    if p.info is None or p.info.get("signer") is None:
        return {"exists": False}
    return {"exists": True, "status": "trusted", "subject_name": p.info["signer"], "trusted": True}


def ep_user(u):
    return {"domain": u.domain, "id": u.sid, "name": u.name}


def ep_base(host, t, dataset, action, category, etype, message):
    seq = host.next_seq()
    return {
        "@timestamp": iso(t, 6),
        "agent": {"id": host.agent_id, "type": "endpoint", "version": ENDPOINT_VERSION},
        "data_stream": {"dataset": dataset, "namespace": "default", "type": "logs"},
        "ecs": {"version": ENDPOINT_ECS},
        "elastic": {"agent": {"id": host.agent_id}},
        "event": {
            "action": action,
            "agent_id_status": "verified",
            "category": category,
            "created": iso(t, 6),
            "dataset": dataset,
            "id": base64.b64encode(bytes.fromhex(h("ev:%s:%d" % (host.name, seq), "md5")[:24])).decode(),
            "ingested": iso(t + dt.timedelta(seconds=2, microseconds=381000), 6)[:-4] + "Z",
            "kind": "event",
            "module": "endpoint",
            "sequence": seq,
            "type": etype,
        },
        "host": ep_host(host),
        "message": message,
    }


def ep_proc_ref(p):
    """The process fields Endpoint puts on file and registry events."""
    return {
        "Ext": {"ancestry": p.ancestry(), "code_signature": [ep_signature(p)]},
        "code_signature": ep_signature(p),
        "entity_id": p.entity_id,
        "executable": p.image,
        "name": p.name,
        "pid": p.pid,
    }


def ep_process_start(p, t):
    d = ep_base(p.host, t, "endpoint.events.process", "start", ["process"], ["start"], "Endpoint process event")
    args = argv_windows(p.cmdline)
    proc = {
        "Ext": {
            "ancestry": p.ancestry(),
            "code_signature": [ep_signature(p)],
            "token": {
                "elevation": p.elevated,
                "elevation_type": "full" if p.elevated else "default",
                "integrity_level_name": p.integrity.lower(),
            },
        },
        "args": args,
        "args_count": len(args),
        "code_signature": ep_signature(p),
        "command_line": p.cmdline,
        "entity_id": p.entity_id,
        "executable": p.image,
        "hash": {"md5": p.md5, "sha1": p.sha1, "sha256": p.sha256},
        "name": p.name,
        "pid": p.pid,
        "working_directory": p.cwd,
    }
    if p.info is not None:
        proc["pe"] = {"company": p.info["company"], "description": p.info["description"],
                      "file_version": p.info["file_version"], "original_file_name": p.info["original"],
                      "product": p.info["product"]}
    if p.parent is not None:
        pa = p.parent
        pargs = argv_windows(pa.cmdline)
        proc["parent"] = {"args": pargs, "args_count": len(pargs), "code_signature": ep_signature(pa),
                          "command_line": pa.cmdline, "entity_id": pa.entity_id, "executable": pa.image,
                          "name": pa.name, "pid": pa.pid}
    d["process"] = proc
    d["user"] = ep_user(p.user)
    return d


def ep_file(p, t, path, action, size):
    etype = ["creation"] if action == "creation" else ["change"]
    d = ep_base(p.host, t, "endpoint.events.file", action, ["file"], etype, "Endpoint file event")
    directory, name = path.rsplit("\\", 1)
    d["file"] = {"directory": directory, "extension": name.rsplit(".", 1)[-1], "name": name,
                 "path": path, "size": size}
    d["process"] = ep_proc_ref(p)
    d["user"] = ep_user(p.user)
    return d


def ep_registry(p, t, target_object):
    """target_object is Sysmon's spelling (HKLM\\... or HKU\\<sid>\\...); Endpoint writes the user
    hive as HKEY_USERS and keeps HKLM short."""
    hive_short, rest = target_object.split("\\", 1)
    path = ("HKEY_USERS\\" + rest) if hive_short == "HKU" else target_object
    key, value = rest.rsplit("\\", 1)
    d = ep_base(p.host, t, "endpoint.events.registry", "modification", ["registry"], ["change"],
                "Endpoint registry event")
    d["registry"] = {"data": {"type": "REG_BINARY"}, "hive": hive_short, "key": key, "path": path,
                     "value": value}
    d["process"] = ep_proc_ref(p)
    d["user"] = ep_user(p.user)
    return d


# --------------------------------------------------------------------------- Winlogbeat

BEAT_VERSION = "8.13.4"
SYSMON_GUID = "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}"
SECURITY_GUID = "{54849625-5478-4994-A5BA-3E3B0328C30D}"
POWERSHELL_GUID = "{a0c1853b-5c40-4b15-8766-3cf1c58f985a}"


def wb_host(host):
    return {
        "architecture": "x86_64",
        "hostname": host.name,
        "id": host.id,
        "ip": host.ip,
        "mac": [m.upper().replace(":", "-") for m in host.mac],
        "name": host.name,
        "os": {"build": host.build, "family": "windows", "kernel": "10.0.%s" % host.build,
               "name": host.os_variant, "platform": "windows", "type": "windows",
               "version": "10.0"},
    }


def wb_agent(host):
    return {"ephemeral_id": guid_like("eph:" + host.name)[1:-1].lower(), "id": host.beat_id,
            "name": host.name, "type": "winlogbeat", "version": BEAT_VERSION}


def wb_sysmon_base(host, t, code, action, category, etype, task, version, message):
    rec = host.next_record("sysmon")
    return {
        "@timestamp": iso(t, 3),
        "agent": wb_agent(host),
        "ecs": {"version": "8.0.0"},
        "event": {"action": action, "category": category, "code": code, "kind": "event",
                  "module": "sysmon", "provider": "Microsoft-Windows-Sysmon", "type": etype},
        "host": wb_host(host),
        "log": {"level": "information"},
        "message": message,
        "winlog": {
            "api": "wineventlog",
            "channel": "Microsoft-Windows-Sysmon/Operational",
            "computer_name": host.fqdn,
            "event_id": code,
            "opcode": "Info",
            "process": {"pid": host.sysmon_pid, "thread": {"id": 4004 + 4 * (rec % 211)}},
            "provider_guid": SYSMON_GUID,
            "provider_name": "Microsoft-Windows-Sysmon",
            "record_id": str(rec),
            "task": task,
            "user": {"domain": "NT AUTHORITY", "identifier": "S-1-5-18", "name": "SYSTEM",
                     "type": "Well Known Group"},
            "version": version,
        },
    }


def sysmon_hashes(p):
    return "SHA1=%s,MD5=%s,SHA256=%s,IMPHASH=%s" % (p.sha1.upper(), p.md5.upper(), p.sha256.upper(),
                                                   p.imphash.upper())


def wb_sysmon_1(p, t):
    pa = p.parent
    info = p.info or {}
    dash = lambda k: info.get(k, "-") if info else "-"
    msg = "\n".join([
        "Process Create:", "RuleName: -", "UtcTime: " + utc_time(t), "ProcessGuid: " + p.guid,
        "ProcessId: %d" % p.pid, "Image: " + p.image, "FileVersion: " + dash("file_version"),
        "Description: " + dash("description"), "Product: " + dash("product"),
        "Company: " + dash("company"), "OriginalFileName: " + dash("original"),
        "CommandLine: " + p.cmdline, "CurrentDirectory: " + p.cwd, "User: " + p.user.qualified,
        "LogonGuid: " + p.logon_guid, "LogonId: " + p.user.logon_id,
        "TerminalSessionId: %d" % p.session, "IntegrityLevel: " + p.integrity,
        "Hashes: " + sysmon_hashes(p), "ParentProcessGuid: " + pa.guid,
        "ParentProcessId: %d" % pa.pid, "ParentImage: " + pa.image,
        "ParentCommandLine: " + pa.cmdline, "ParentUser: " + pa.user.qualified])
    d = wb_sysmon_base(p.host, t, "1", "Process creation", ["process"], ["start"],
                       "Process Create (rule: ProcessCreate)", 5, msg)
    ed = {"IntegrityLevel": p.integrity, "LogonGuid": p.logon_guid, "LogonId": p.user.logon_id,
          "ParentUser": pa.user.qualified, "TerminalSessionId": str(p.session)}
    if info:
        ed.update({"Company": info["company"], "Description": info["description"],
                   "FileVersion": info["file_version"], "Product": info["product"]})
    d["winlog"]["event_data"] = ed
    args, pargs = argv_sysmon_pipeline(p.cmdline), argv_sysmon_pipeline(pa.cmdline)
    proc = {
        "args": args, "args_count": len(args), "command_line": p.cmdline, "entity_id": p.guid,
        "executable": p.image,
        "hash": {"md5": p.md5, "sha1": p.sha1, "sha256": p.sha256},
        "name": p.name,
        "parent": {"args": pargs, "args_count": len(pargs), "command_line": pa.cmdline,
                   "entity_id": pa.guid, "executable": pa.image, "name": pa.name, "pid": pa.pid},
        "pe": {"imphash": p.imphash},
        "pid": p.pid, "working_directory": p.cwd,
    }
    if info:
        proc["pe"].update({"company": info["company"], "description": info["description"],
                           "file_version": info["file_version"], "original_file_name": info["original"],
                           "product": info["product"]})
    d["process"] = proc
    d["related"] = {"hash": [p.sha1, p.md5, p.sha256, p.imphash], "user": [p.user.name]}
    d["user"] = {"domain": p.user.domain, "id": "S-1-5-18", "name": p.user.name}
    return d


def wb_sysmon_11(p, t, path, created):
    msg = "\n".join(["File created:", "RuleName: -", "UtcTime: " + utc_time(t), "ProcessGuid: " + p.guid,
                     "ProcessId: %d" % p.pid, "Image: " + p.image, "TargetFilename: " + path,
                     "CreationUtcTime: " + utc_time(created), "User: " + p.user.qualified])
    d = wb_sysmon_base(p.host, t, "11", "FileCreate", ["file"], ["creation"],
                       "File created (rule: FileCreate)", 2, msg)
    d["winlog"]["event_data"] = {"CreationUtcTime": utc_time(created)}
    directory, name = path.rsplit("\\", 1)
    d["file"] = {"directory": directory, "extension": name.rsplit(".", 1)[-1], "name": name, "path": path}
    d["process"] = {"entity_id": p.guid, "executable": p.image, "name": p.name, "pid": p.pid}
    d["related"] = {"user": [p.user.name]}
    d["user"] = {"domain": p.user.domain, "id": "S-1-5-18", "name": p.user.name}
    return d


def wb_sysmon_13(p, t, target_object, details="Binary Data"):
    msg = "\n".join(["Registry value set:", "RuleName: -", "EventType: SetValue", "UtcTime: " + utc_time(t),
                     "ProcessGuid: " + p.guid, "ProcessId: %d" % p.pid, "Image: " + p.image,
                     "TargetObject: " + target_object, "Details: " + details, "User: " + p.user.qualified])
    d = wb_sysmon_base(p.host, t, "13", "RegistryEvent (Value Set)", ["configuration", "registry"], ["change"],
                       "Registry value set (rule: RegistryEvent)", 2, msg)
    d["winlog"]["event_data"] = {"EventType": "SetValue"}
    tokens = target_object.split("\\")
    d["registry"] = {"data": {"strings": [details], "type": "REG_BINARY"}, "hive": tokens[0],
                     "key": "\\".join(tokens[1:]), "path": target_object, "value": tokens[-1]}
    d["process"] = {"entity_id": p.guid, "executable": p.image, "name": p.name, "pid": p.pid}
    d["related"] = {"user": [p.user.name]}
    d["user"] = {"domain": p.user.domain, "id": "S-1-5-18", "name": p.user.name}
    return d


SEC_4688_TAIL = (
    "\n\nToken Elevation Type indicates the type of token that was assigned to the new process in accordance "
    "with User Account Control policy.\n\nType 1 is a full token with no privileges removed or groups disabled.  "
    "A full token is only used if User Account Control is disabled or if the user is the built-in Administrator "
    "account or a service account.\n\nType 2 is an elevated token with no privileges removed or groups disabled.  "
    "An elevated token is used when User Account Control is enabled and the user chooses to start the program "
    "using Run as administrator.  An elevated token is also used when an application is configured to always "
    "require administrative privilege or to always require maximum privilege, and the user is a member of the "
    "Administrators group.\n\nType 3 is a limited token with administrative privileges removed and administrative "
    "groups disabled.  The limited token is used when User Account Control is enabled, the application does not "
    "require administrative privilege, and the user does not choose to start the program using Run as "
    "administrator.")


def wb_security_base(host, t, code, action, category, etype, task, version, user, message):
    rec = host.next_record("security")
    return {
        "@timestamp": iso(t, 7),
        "agent": wb_agent(host),
        "ecs": {"version": "8.0.0"},
        "event": {"action": action, "category": category, "code": code, "kind": "event",
                  "module": "security", "outcome": "success",
                  "provider": "Microsoft-Windows-Security-Auditing", "type": etype},
        "host": wb_host(host),
        "log": {"level": "information"},
        "message": message,
        "related": {"user": [user.name]},
        "winlog": {
            "api": "wineventlog",
            "channel": "Security",
            "computer_name": host.fqdn,
            "event_id": code,
            "keywords": ["Audit Success"],
            "logon": {"id": user.logon_id},
            "opcode": "Info",
            "process": {"pid": 4, "thread": {"id": 5004 + 4 * (rec % 173)}},
            "provider_guid": SECURITY_GUID,
            "provider_name": "Microsoft-Windows-Security-Auditing",
            "record_id": str(rec),
            "task": task,
            "version": version,
        },
    }


def wb_security_4688(p, t):
    pa, u = p.parent, p.user
    elev = "TokenElevationTypeFull (2)" if p.elevated else "TokenElevationTypeLimited (3)"
    label = {"Medium": "S-1-16-8192", "High": "S-1-16-12288", "System": "S-1-16-16384"}[p.integrity]
    msg = ("A new process has been created.\n\nCreator Subject:\n\tSecurity ID:\t\t%s\n\tAccount Name:\t\t%s\n"
           "\tAccount Domain:\t\t%s\n\tLogon ID:\t\t%s\n\nTarget Subject:\n\tSecurity ID:\t\tS-1-0-0\n"
           "\tAccount Name:\t\t-\n\tAccount Domain:\t\t-\n\tLogon ID:\t\t0x0\n\nProcess Information:\n"
           "\tNew Process ID:\t\t0x%x\n\tNew Process Name:\t%s\n\tToken Elevation Type:\t%s\n"
           "\tMandatory Label:\t\t%s\n\tCreator Process ID:\t0x%x\n\tCreator Process Name:\t%s\n"
           "\tProcess Command Line:\t%s" % (u.sid, u.name, u.domain, u.logon_id.upper().replace("0X", "0x"),
                                             p.pid, p.image, elev, label, pa.pid, pa.image, p.cmdline)
           ) + SEC_4688_TAIL
    d = wb_security_base(p.host, t, "4688", "created-process", ["process"], ["start"], "Process Creation", 2,
                         u, msg)
    d["winlog"]["event_data"] = {
        "CommandLine": p.cmdline, "MandatoryLabel": label, "ProcessId": "0x%x" % pa.pid,
        "SubjectDomainName": u.domain, "SubjectLogonId": u.logon_id, "SubjectUserName": u.name,
        "SubjectUserSid": u.sid, "TargetDomainName": "-", "TargetLogonId": "0x0", "TargetUserName": "-",
        "TargetUserSid": "S-1-0-0", "TokenElevationType": elev,
    }
    args = argv_security_pipeline(p.cmdline)
    d["process"] = {"args": args, "args_count": len(args), "command_line": p.cmdline, "executable": p.image,
                    "name": p.name, "parent": {"executable": pa.image, "name": pa.name, "pid": pa.pid},
                    "pid": p.pid}
    d["user"] = {"domain": u.domain, "effective": {"id": "S-1-0-0"}, "id": u.sid, "name": u.name}
    return d


def wb_security_4657(p, t, object_name, value_name, new_value):
    u = p.user
    handle = "0x%x" % (0x2a0 + p.pid % 0x100)
    msg = ("A registry value was modified.\n\nSubject:\n\tSecurity ID:\t\t%s\n\tAccount Name:\t\t%s\n"
           "\tAccount Domain:\t\t%s\n\tLogon ID:\t\t%s\n\nObject:\n\tObject Name:\t\t%s\n"
           "\tObject Value Name:\t%s\n\tHandle ID:\t%s\n\tOperation Type:\t\tNew registry value created\n\n"
           "Process Information:\n\tProcess ID:\t0x%x\n\tProcess Name:\t%s\n\nChange Information:\n"
           "\tOld Value Type:\t\t-\n\tOld Value:\t\t-\n\tNew Value Type:\t\tREG_BINARY\n\tNew Value:\t\t%s"
           % (u.sid, u.name, u.domain, u.logon_id, object_name, value_name, handle, p.pid, p.image, new_value))
    d = wb_security_base(p.host, t, "4657", "registry-value-modified", ["registry", "configuration"],
                         ["change"], "Registry", 0, u, msg)
    d["winlog"]["event_data"] = {
        "HandleId": handle, "NewValue": new_value, "NewValueType": "REG_BINARY", "ObjectName": object_name,
        "ObjectValueName": value_name, "OldValue": "-", "OldValueType": "-",
        "OperationType": "New registry value created", "ProcessId": "0x%x" % p.pid, "ProcessName": p.image,
        "SubjectDomainName": u.domain, "SubjectLogonId": u.logon_id, "SubjectUserName": u.name,
        "SubjectUserSid": u.sid,
    }
    d["user"] = {"domain": u.domain, "id": u.sid, "name": u.name}
    return d


def wb_powershell_4104(p, t, script):
    host = p.host
    sbid = guid_like("sb:%s:%s" % (host.name, script))[1:-1].lower()
    return {
        "@timestamp": iso(t, 7),
        "agent": wb_agent(host),
        "ecs": {"version": "1.12.0"},
        "event": {"action": "Execute a Remote Command", "category": "process", "code": "4104", "kind": "event",
                  "module": "powershell", "provider": "Microsoft-Windows-PowerShell", "type": "info"},
        "host": wb_host(host),
        "log": {"level": "verbose"},
        "message": "Creating Scriptblock text (1 of 1):\n%s\n\nScriptBlock ID: %s\nPath: " % (script, sbid),
        "powershell": {"file": {"script_block_id": sbid, "script_block_text": script}, "sequence": 1,
                       "total": 1},
        "user": {"id": p.user.sid},
        "winlog": {
            "activity_id": guid_like("act:%s:%d" % (host.name, p.pid)).lower(),
            "api": "wineventlog",
            "channel": "Microsoft-Windows-PowerShell/Operational",
            "computer_name": host.fqdn,
            "event_id": "4104",
            "opcode": "On create calls",
            "process": {"pid": p.pid, "thread": {"id": p.pid + 212}},
            "provider_guid": POWERSHELL_GUID,
            "provider_name": "Microsoft-Windows-PowerShell",
            "record_id": str(host.next_record("powershell")),
            "task": "Execute a Remote Command",
            "user": {"identifier": p.user.sid},
            "version": 1,
        },
    }


# --------------------------------------------------------------------------- Windows event XML
#
# The same events as the Winlogbeat documents, as Windows renders them (the System element and
# EventData in the manifest's order, as `wevtutil qe /f:xml` and Get-WinEvent's ToXml() print
# them): record ids, thread ids and times are taken from the Winlogbeat rendering of the same
# event. Three files per scenario, one per channel, in three styles a collector produces:
#   sysmon.xml      wevtutil qe Microsoft-Windows-Sysmon/Operational /f:xml /e:Events
#                   (single-quoted attributes, one <Event> a line, an <Events> wrapper)
#   security.xml    wevtutil qe Security /f:xml (no wrapper)
#   powershell.xml  (Get-WinEvent ...).ToXml() (double-quoted attributes, no wrapper)

XMLNS = "http://schemas.microsoft.com/win/2004/08/events/event"


def xml_escape(s, quote):
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if quote == "'":
        return s.replace("'", "&apos;")
    return s.replace('"', "&quot;")


def xml_event(system, data, q):
    """system: dict of the System fields; data: [(name, value)]; q: the attribute quote."""
    a = lambda v: q + xml_escape(v, q) + q
    out = ["<Event xmlns=%s><System>" % a(XMLNS)]
    out.append("<Provider Name=%s Guid=%s/>" % (a(system["provider"]), a(system["guid"])))
    for tag in ("EventID", "Version", "Level", "Task", "Opcode", "Keywords"):
        out.append("<%s>%s</%s>" % (tag, system[tag], tag))
    out.append("<TimeCreated SystemTime=%s/>" % a(system["time"]))
    out.append("<EventRecordID>%s</EventRecordID>" % system["record"])
    if system.get("activity"):
        out.append("<Correlation ActivityID=%s/>" % a(system["activity"]))
    else:
        out.append("<Correlation/>")
    out.append("<Execution ProcessID=%s ThreadID=%s/>" % (a(str(system["pid"])), a(str(system["tid"]))))
    out.append("<Channel>%s</Channel>" % xml_escape(system["channel"], q))
    out.append("<Computer>%s</Computer>" % xml_escape(system["computer"], q))
    out.append("<Security UserID=%s/>" % a(system["sid"]) if system.get("sid") else "<Security/>")
    out.append("</System><EventData>")
    for name, value in data:
        out.append("<Data Name=%s>%s</Data>" % (a(name), xml_escape(value, q)))
    out.append("</EventData></Event>")
    return "".join(out)


def sysmon_system(d, code, version):
    """System fields of a Sysmon event from its Winlogbeat document d."""
    w = d["winlog"]
    return {"provider": "Microsoft-Windows-Sysmon", "guid": SYSMON_GUID.lower(), "EventID": code,
            "Version": version, "Level": 4, "Task": code, "Opcode": 0, "Keywords": "0x8000000000000000",
            "time": None, "record": w["record_id"], "pid": w["process"]["pid"], "tid": w["process"]["thread"]["id"],
            "channel": "Microsoft-Windows-Sysmon/Operational", "computer": w["computer_name"], "sid": "S-1-5-18"}


def xml_sysmon_1(p, t, d):
    pa, info = p.parent, p.info or {}
    dash = lambda k: info.get(k, "-") if info else "-"
    sysd = sysmon_system(d, 1, 5)
    sysd["time"] = iso(t, 7)
    data = [("RuleName", "-"), ("UtcTime", utc_time(t)), ("ProcessGuid", p.guid), ("ProcessId", str(p.pid)),
            ("Image", p.image), ("FileVersion", dash("file_version")), ("Description", dash("description")),
            ("Product", dash("product")), ("Company", dash("company")), ("OriginalFileName", dash("original")),
            ("CommandLine", p.cmdline), ("CurrentDirectory", p.cwd), ("User", p.user.qualified),
            ("LogonGuid", p.logon_guid), ("LogonId", p.user.logon_id), ("TerminalSessionId", str(p.session)),
            ("IntegrityLevel", p.integrity), ("Hashes", sysmon_hashes(p)), ("ParentProcessGuid", pa.guid),
            ("ParentProcessId", str(pa.pid)), ("ParentImage", pa.image), ("ParentCommandLine", pa.cmdline),
            ("ParentUser", pa.user.qualified)]
    view = {"event": {"category": ["process"], "type": ["start"]},
            "process": {"name": p.name, "args": argv_windows(p.cmdline), "command_line": p.cmdline}}
    return xml_event(sysd, data, "'"), view


def xml_sysmon_11(p, t, path, created, d):
    sysd = sysmon_system(d, 11, 2)
    sysd["time"] = iso(t, 7)
    data = [("RuleName", "-"), ("UtcTime", utc_time(t)), ("ProcessGuid", p.guid), ("ProcessId", str(p.pid)),
            ("Image", p.image), ("TargetFilename", path), ("CreationUtcTime", utc_time(created)),
            ("User", p.user.qualified)]
    return xml_event(sysd, data, "'"), {"event": {"category": ["file"], "type": ["creation"]},
                                        "process": {"name": p.name}}


def xml_sysmon_13(p, t, target_object, d, details="Binary Data"):
    sysd = sysmon_system(d, 13, 2)
    sysd["time"] = iso(t, 7)
    data = [("RuleName", "-"), ("EventType", "SetValue"), ("UtcTime", utc_time(t)), ("ProcessGuid", p.guid),
            ("ProcessId", str(p.pid)), ("Image", p.image), ("TargetObject", target_object), ("Details", details),
            ("User", p.user.qualified)]
    return xml_event(sysd, data, "'"), {"event": {"category": ["registry"], "type": ["change"]},
                                        "process": {"name": p.name}}


def security_system(d, code, version, task, t):
    w = d["winlog"]
    return {"provider": "Microsoft-Windows-Security-Auditing", "guid": SECURITY_GUID, "EventID": code,
            "Version": version, "Level": 0, "Task": task, "Opcode": 0, "Keywords": "0x8020000000000000",
            "time": iso(t, 7), "record": w["record_id"], "pid": 4, "tid": w["process"]["thread"]["id"],
            "channel": "Security", "computer": w["computer_name"], "sid": None}


# %%-codes Windows stores for these fields (the rendered text is in the event's message)
ELEVATION_CODE = {True: "%%1937", False: "%%1938"}      # TokenElevationTypeFull (2) / Limited (3)


def xml_security_4688(p, t, d):
    pa, u = p.parent, p.user
    label = {"Medium": "S-1-16-8192", "High": "S-1-16-12288", "System": "S-1-16-16384"}[p.integrity]
    data = [("SubjectUserSid", u.sid), ("SubjectUserName", u.name), ("SubjectDomainName", u.domain),
            ("SubjectLogonId", u.logon_id), ("NewProcessId", "0x%x" % p.pid), ("NewProcessName", p.image),
            ("TokenElevationType", ELEVATION_CODE[p.elevated]), ("ProcessId", "0x%x" % pa.pid),
            ("CommandLine", p.cmdline), ("TargetUserSid", "S-1-0-0"), ("TargetUserName", "-"),
            ("TargetDomainName", "-"), ("TargetLogonId", "0x0"), ("ParentProcessName", pa.image),
            ("MandatoryLabel", label)]
    view = {"event": {"category": ["process"], "type": ["start"]},
            "process": {"name": p.name, "args": argv_windows(p.cmdline), "command_line": p.cmdline}}
    return xml_event(security_system(d, 4688, 2, 13312, t), data, "'"), view


def xml_security_4657(p, t, object_name, value_name, new_value, d):
    u = p.user
    ed = d["winlog"]["event_data"]
    data = [("SubjectUserSid", u.sid), ("SubjectUserName", u.name), ("SubjectDomainName", u.domain),
            ("SubjectLogonId", u.logon_id), ("ObjectName", object_name), ("ObjectValueName", value_name),
            ("HandleId", ed["HandleId"]), ("OperationType", "%%1904"), ("OldValueType", "-"), ("OldValue", "-"),
            ("NewValueType", "%%1875"), ("NewValue", new_value), ("ProcessId", "0x%x" % p.pid),
            ("ProcessName", p.image)]
    return xml_event(security_system(d, 4657, 0, 12801, t), data, "'"), {
        "event": {"category": ["registry"], "type": ["change"]}, "process": {"name": p.name}}


def xml_powershell_4104(p, t, script, d):
    w = d["winlog"]
    sysd = {"provider": "Microsoft-Windows-PowerShell", "guid": POWERSHELL_GUID.upper(), "EventID": 4104,
            "Version": 1, "Level": 5, "Task": 2, "Opcode": 15, "Keywords": "0x0", "time": iso(t, 7),
            "record": w["record_id"], "activity": w["activity_id"].upper(), "pid": p.pid,
            "tid": w["process"]["thread"]["id"], "channel": "Microsoft-Windows-PowerShell/Operational",
            "computer": w["computer_name"], "sid": p.user.sid}
    data = [("MessageNumber", "1"), ("MessageTotal", "1"), ("ScriptBlockText", script),
            ("ScriptBlockId", d["powershell"]["file"]["script_block_id"]), ("Path", "")]
    return xml_event(sysd, data, '"'), {"event": {"category": "process", "type": "info"}}


# --------------------------------------------------------------------------- macOS
#
# Test 4 of the T1553.002 page runs on a Mac. Two renderings:
#   eslogger.ndjson  `eslogger fork exec` (Endpoint Security messages as eslogger prints them:
#                    schema_version, mach_time, event_type 11 fork / 9 exec, thread, version,
#                    seq_num, event.{fork.child | exec.{target, args, cwd, ...}}, the acting process
#                    with its audit tokens, signing id, team id, cdhash; time, global_seq_num)
#   endpoint.ndjson  Elastic Endpoint macOS process documents as Elasticsearch hits (_index, _id,
#                    _source), the shape of the documents in shared/data/macos, at agent 8.13

ES_EXEC, ES_FORK = 9, 11
ES_VERSION = 7
# codesigning_flags (cs_blobs.h bits): an Apple platform binary, a Developer ID signed one, an
# ad-hoc (linker-signed) one
CS_VALID, CS_ADHOC, CS_HARD, CS_KILL, CS_RESTRICT, CS_ENFORCEMENT, CS_REQUIRE_LV = 0x1, 0x2, 0x100, 0x200, 0x800, 0x1000, 0x2000
CS_RUNTIME, CS_LINKER_SIGNED, CS_DYLD_PLATFORM, CS_PLATFORM_BINARY, CS_SIGNED = 0x10000, 0x20000, 0x2000000, 0x4000000, 0x20000000
CS_FLAGS_PLATFORM = (CS_VALID | CS_HARD | CS_KILL | CS_RESTRICT | CS_ENFORCEMENT | CS_REQUIRE_LV | CS_RUNTIME |
                     CS_DYLD_PLATFORM | CS_PLATFORM_BINARY | CS_SIGNED)
CS_FLAGS_DEVID = CS_VALID | CS_HARD | CS_KILL | CS_ENFORCEMENT | CS_REQUIRE_LV | CS_RUNTIME | CS_SIGNED
CS_FLAGS_ADHOC = CS_VALID | CS_ADHOC | CS_LINKER_SIGNED | CS_SIGNED


class MacHost:
    def __init__(self, name, os_version, kernel, ip, mac, arch="arm64"):
        self.name, self.os_version, self.kernel, self.ip, self.mac, self.arch = name, os_version, kernel, ip, mac, arch
        self.id = h("host-id:" + name, "md5")
        self.agent_id = str(guid_like("endpoint-agent:" + name))[1:-1].lower()
        self.mach = 51873026412519
        self.seq = 18233
        self.gseq = 902117
        self.ep_seq = 77104

    def next_seq(self):
        self.seq += 1
        self.gseq += 3 + self.seq % 5
        return self.seq, self.gseq


class MacUser:
    def __init__(self, name, uid, gid=20, group="staff"):
        self.name, self.uid, self.gid, self.group = name, uid, gid, group


# what the executables are: signing id, team id (None for Apple's platform binaries), size
MAC_IMAGES = {
    "/bin/zsh": ("com.apple.zsh", None, 1361200),
    "/bin/bash": ("com.apple.bash", None, 1310224),
    "/bin/sh": ("com.apple.sh", None, 101232),
    "/bin/cp": ("com.apple.cp", None, 136128),
    "/usr/bin/codesign": ("com.apple.codesign", None, 171712),
    "/usr/sbin/spctl": ("com.apple.spctl", None, 154304),
    "/usr/bin/python3": ("com.apple.python3", None, 167120),
    "/Applications/iTerm.app/Contents/MacOS/iTerm2": ("com.googlecode.iterm2", "H7V7XYVQ7D", 9316832),
    "/opt/homebrew/Library/Homebrew/vendor/portable-ruby/3.3.4/bin/ruby": ("ruby", None, 3342704),
}


class MacProc:
    def __init__(self, host, user, pid, path, args, parent=None, cwd=None, tty="/dev/ttys003", started=None):
        self.host, self.user, self.pid, self.path, self.args, self.parent = host, user, pid, path, args, parent
        self.cwd = cwd or "/Users/%s" % user.name
        self.tty = tty
        self.pidversion = 40000 + pid % 9973
        self.started = started
        sid, team, size = MAC_IMAGES.get(path, ("a.out", None, 33440))
        self.signing_id, self.team_id, self.size = sid, team, size
        self.platform = team is None and path.startswith(("/bin/", "/usr/", "/sbin/"))
        self.cdhash = h("cdhash:" + path, "sha1")
        self.inode = 1152921500311000000 + int(h("ino:" + path, "md5")[:8], 16) % 1000000
        hl = "macimage:" + path
        self.sha256, self.sha1, self.md5 = h(hl), h(hl, "sha1"), h(hl, "md5")
        filetime = 133600000000000000 + int(h("ft:%s:%d" % (path, pid), "md5")[:10], 16) % 10 ** 12
        self.entity_id = base64.b64encode(("%s-%d-%d" % (host.agent_id, pid, filetime)).encode()).decode()

    @property
    def name(self):
        return self.path.rsplit("/", 1)[-1]

    @property
    def command_line(self):
        return " ".join(self.args)

    def ancestry(self):
        out, p = [], self.parent
        while p is not None and len(out) < 5:
            out.append(p.entity_id)
            p = p.parent
        return out


def es_token(p, pidversion=None):
    u = p.user
    return {"asid": 100009, "auid": u.uid, "egid": u.gid, "euid": u.uid,
            "pid": p.pid, "pidversion": p.pidversion if pidversion is None else pidversion,
            "rgid": u.gid, "ruid": u.uid}


def es_stat(p, t):
    ts = iso(t - dt.timedelta(days=41, hours=3, seconds=p.size % 997), 6)[:-1] + "000Z"
    return {"st_atimespec": ts, "st_birthtimespec": ts, "st_blksize": 4096, "st_blocks": (p.size + 511) // 512,
            "st_ctimespec": ts, "st_dev": 16777233, "st_flags": 524320 if p.platform else 0, "st_gen": 0,
            "st_gid": 0 if p.platform else p.user.gid, "st_ino": p.inode, "st_mode": 33261, "st_mtimespec": ts,
            "st_nlink": 1, "st_rdev": 0, "st_size": p.size, "st_uid": 0 if p.platform else p.user.uid}


def es_process(p, t, path=None, pidversion=None):
    """An es_process_t: p as it runs `path` (default: its own image)."""
    path = path or p.path
    img = MacProc(p.host, p.user, p.pid, path, p.args) if path != p.path else p
    pa = p.parent
    return {
        "audit_token": es_token(p, pidversion),
        "cdhash": img.cdhash.upper(),
        "codesigning_flags": CS_FLAGS_PLATFORM if img.platform else CS_FLAGS_DEVID if img.team_id else CS_FLAGS_ADHOC,
        "cs_validation_category": 1 if img.platform else 6 if img.team_id else 10,
        "executable": {"path": path, "path_truncated": False, "stat": es_stat(img, t)},
        "group_id": pa.pid if pa else p.pid,
        "is_es_client": False,
        "is_platform_binary": img.platform,
        "original_ppid": pa.pid if pa else 1,
        "parent_audit_token": es_token(pa) if pa else None,
        "ppid": pa.pid if pa else 1,
        "responsible_audit_token": es_token(pa.parent if pa and pa.parent else pa) if pa else None,
        "session_id": 4711,
        "signing_id": img.signing_id,
        "start_time": iso(p.started or t, 6),
        "team_id": img.team_id,
        "tty": {"path": p.tty, "path_truncated": False} if p.tty else None,
    }


def es_message(host, t, event_type, event, process):
    seq, gseq = host.next_seq()
    host.mach += 5291677 + seq * 17
    return {"schema_version": 1, "mach_time": host.mach, "event_type": event_type,
            "thread": {"thread_id": 2600000 + seq % 5000}, "version": ES_VERSION, "seq_num": seq,
            "event": event, "process": process, "action_type": 1, "time": iso(t, 6)[:-1] + "%03dZ" % (seq % 1000),
            "global_seq_num": gseq}


def es_fork(p, t):
    """p's parent forks p: the child still runs the parent's image."""
    pa = p.parent
    child = es_process(p, t, path=pa.path, pidversion=p.pidversion - 1)
    child["ppid"] = pa.pid
    return es_message(p.host, t, ES_FORK, {"fork": {"child": child}}, es_process(pa, t))


def es_exec(p, t, env=None):
    """the forked child (running its parent's image) executes p.path with p.args"""
    pa = p.parent
    before = es_process(p, t, path=pa.path, pidversion=p.pidversion - 1)
    exec_ev = {
        "args": list(p.args),
        "cwd": {"path": p.cwd, "path_truncated": False},
        "dyld_exec_path": p.path,
        "env": env or ["PATH=/usr/bin:/bin:/usr/sbin:/sbin", "HOME=/Users/%s" % p.user.name,
                       "USER=%s" % p.user.name, "SHELL=/bin/zsh", "TMPDIR=/var/folders/7k/x2n8c1kd5q3f0yb9r4lw2m0h0000gn/T/"],
        "fds": [{"fd": 0, "fdtype": 1}, {"fd": 1, "fdtype": 1}, {"fd": 2, "fdtype": 1}],
        "image_cpusubtype": -2147483646,
        "image_cputype": 16777228,
        "last_fd": 2,
        "script": None,
        "target": es_process(p, t),
    }
    return es_message(p.host, t, ES_EXEC, {"exec": exec_ev}, before)


MAC_ENDPOINT_VERSION = "8.13.2"


def epm_host(host):
    return {"architecture": host.arch, "hostname": host.name, "id": host.id, "ip": host.ip, "mac": host.mac,
            "name": host.name,
            "os": {"Ext": {"variant": "macOS"}, "family": "macos", "full": "macOS %s" % host.os_version,
                   "kernel": host.kernel, "name": "macOS", "platform": "macos", "type": "macos",
                   "version": host.os_version}}


def epm_sig(p):
    if p.platform:
        return {"exists": True, "signing_id": p.signing_id, "status": "trusted", "team_id": "", "trusted": True}
    if p.team_id:
        return {"exists": True, "signing_id": p.signing_id, "status": "trusted", "team_id": p.team_id,
                "trusted": True}
    return {"exists": True, "signing_id": p.signing_id, "status": "errorUntrustedRoot", "team_id": "",
            "trusted": False}


def epm_doc(p, t, action):
    """An Elastic Endpoint macOS process event (fork: p still runs its parent's image)."""
    host = p.host
    host.ep_seq += 5
    pa = p.parent
    img = MacProc(host, p.user, p.pid, pa.path, pa.args, parent=pa) if action == "fork" else p
    proc = {
        "Ext": {"ancestry": p.ancestry()},
        "args": list(img.args), "args_count": len(img.args),
        "code_signature": epm_sig(img),
        "command_line": img.command_line,
        "entity_id": p.entity_id,
        "executable": img.path,
        "hash": {"md5": img.md5, "sha1": img.sha1, "sha256": img.sha256},
        "name": img.name,
        "parent": {"args": list(pa.args), "args_count": len(pa.args), "code_signature": epm_sig(pa),
                   "command_line": pa.command_line, "entity_id": pa.entity_id, "executable": pa.path,
                   "name": pa.name, "pid": pa.pid},
        "pid": p.pid,
        "working_directory": p.cwd,
    }
    src = {
        "@timestamp": iso(t, 6),
        "agent": {"id": host.agent_id, "type": "endpoint", "version": MAC_ENDPOINT_VERSION},
        "data_stream": {"dataset": "endpoint.events.process", "namespace": "default", "type": "logs"},
        "ecs": {"version": ENDPOINT_ECS},
        "elastic": {"agent": {"id": host.agent_id}},
        "event": {"action": action, "agent_id_status": "verified", "category": ["process"],
                  "created": iso(t, 6), "dataset": "endpoint.events.process",
                  "id": base64.b64encode(bytes.fromhex(h("mev:%s:%d" % (host.name, host.ep_seq), "md5")[:24])).decode(),
                  "ingested": iso(t + dt.timedelta(seconds=1, microseconds=904000), 6), "kind": "event",
                  "module": "endpoint", "sequence": host.ep_seq, "type": ["start"]},
        "group": {"Ext": {"real": {"id": str(p.user.gid), "name": p.user.group}}, "id": str(p.user.gid),
                  "name": p.user.group},
        "host": epm_host(host),
        "message": "Endpoint process event",
        "process": proc,
        "user": {"Ext": {"real": {"id": str(p.user.uid), "name": p.user.name}}, "id": str(p.user.uid),
                 "name": p.user.name},
    }
    day = t.strftime("%Y.%m.%d")
    return {"_index": ".ds-logs-endpoint.events.process-default-%s-000001" % day,
            "_id": base64.urlsafe_b64encode(bytes.fromhex(h("mid:%s:%d" % (host.name, host.ep_seq), "md5")[:30])).decode()[:20],
            "_score": None, "_source": src}


def es_view(m):
    """what shrike's field model makes of an eslogger message, for the rule model"""
    if m["event_type"] == ES_EXEC:
        tgt = m["event"]["exec"]["target"]
        args = m["event"]["exec"]["args"]
    else:
        tgt = m["event"]["fork"]["child"]
        args = []
    path = tgt["executable"]["path"]
    return {"event": {"category": ["process"], "type": ["start"]},
            "process": {"name": path.rsplit("/", 1)[-1], "args": args, "command_line": " ".join(args)}}


# --------------------------------------------------------------------------- scenarios

WINDOWS_FILES = ("endpoint.ndjson", "winlogbeat.ndjson", "sysmon.xml", "security.xml", "powershell.xml")
MACOS_FILES = ("eslogger.ndjson", "endpoint.ndjson")


class Scenario:
    """One activity in every rendering that applies. docs[file] is a list of (time, document,
    view): the document as written (a dict for NDJSON, a string for XML) and the ECS view the
    rule model evaluates (what shrike's field model makes of it)."""

    def __init__(self, folder, title, base, kind="attack"):
        self.folder, self.title, self.kind = folder, title, kind
        self.base = dt.datetime.strptime(base, "%Y-%m-%dT%H:%M:%S.%f")
        self.docs = {}
        self.expected = {}   # file -> {rule: (count, note)}

    def t(self, ms):
        return self.base + dt.timedelta(milliseconds=ms)

    def add(self, file, t, doc, view=None):
        self.docs.setdefault(file, []).append((t, doc, doc if view is None else view))

    # Windows: every call renders the event as Elastic Endpoint, Winlogbeat and Windows XML
    def start(self, ms, p, security_4688=False):
        """security_4688: also a Security 4688; "xml": in security.xml only (the case's Winlogbeat
        rendering ships the Sysmon channel alone)"""
        t = self.t(ms)
        self.add("endpoint.ndjson", t, ep_process_start(p, t))
        d = wb_sysmon_1(p, t)
        self.add("winlogbeat.ndjson", t, d)
        self.add("sysmon.xml", t, *xml_sysmon_1(p, t, d))
        if security_4688:
            t2 = t + dt.timedelta(microseconds=8413)
            d = wb_security_4688(p, t2)
            if security_4688 != "xml":
                self.add("winlogbeat.ndjson", t2, d)
            self.add("security.xml", t2, *xml_security_4688(p, t2, d))

    def file(self, ms, p, path, size, action="creation"):
        t = self.t(ms)
        self.add("endpoint.ndjson", t, ep_file(p, t, path, action, size))
        created = t if action == "creation" else self.t(ms - 41250)
        d = wb_sysmon_11(p, t, path, created)
        self.add("winlogbeat.ndjson", t, d)
        self.add("sysmon.xml", t, *xml_sysmon_11(p, t, path, created, d))

    def reg(self, ms, p, target_object):
        t = self.t(ms)
        self.add("endpoint.ndjson", t, ep_registry(p, t, target_object))
        d = wb_sysmon_13(p, t, target_object)
        self.add("winlogbeat.ndjson", t, d)
        self.add("sysmon.xml", t, *xml_sysmon_13(p, t, target_object, d))

    def ps4104(self, ms, p, script):
        t = self.t(ms)
        d = wb_powershell_4104(p, t, script)
        self.add("winlogbeat.ndjson", t, d)
        self.add("powershell.xml", t, *xml_powershell_4104(p, t, script, d))

    def sec4657(self, ms, p, object_name, value_name, new_value):
        t = self.t(ms)
        d = wb_security_4657(p, t, object_name, value_name, new_value)
        self.add("winlogbeat.ndjson", t, d)
        self.add("security.xml", t, *xml_security_4657(p, t, object_name, value_name, new_value, d))

    # macOS: fork of the parent, then exec of the tool, as eslogger and as Elastic Endpoint
    def mac_run(self, ms, p, fork_gap_us=612):
        t0 = self.t(ms)
        t1 = t0 + dt.timedelta(microseconds=fork_gap_us)
        m = es_fork(p, t0)
        self.add("eslogger.ndjson", t0, m, es_view(m))
        m = es_exec(p, t1)
        self.add("eslogger.ndjson", t1, m, es_view(m))
        for t, action in ((t0, "fork"), (t1, "exec")):
            d = epm_doc(p, t, action)
            self.add("endpoint.ndjson", t, d, d["_source"])

    def expect(self, file, rule, count, note):
        self.expected.setdefault(file, {})[rule] = (count, note)

    def expect_rule(self, rule, note, **counts):
        """counts by file stem: endpoint=1, winlogbeat=2, sysmon=1, security=1, powershell=0, eslogger=0"""
        names = {"endpoint": "endpoint.ndjson", "winlogbeat": "winlogbeat.ndjson", "sysmon": "sysmon.xml",
                 "security": "security.xml", "powershell": "powershell.xml", "eslogger": "eslogger.ndjson"}
        for stem, count in counts.items():
            self.expect(names[stem], rule, count, note)


def lab_host():
    return Host("DESKTOP-R7T2LQE", "lab.example", "Windows 11 Enterprise", "22H2", "22621", 2972,
                ["10.20.30.41", "fe80::5d1e:7a2b:91c4:3f08"], ["00:15:5d:4a:81:27"])


LAB_USER = User("LAB", "jwalsh", "S-1-5-21-2704131566-3318829013-1180593842-1107", "0x5d9b2e")
LAB_TEMP = "C:\\Users\\jwalsh\\AppData\\Local\\Temp"
PS = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
CMD = "C:\\Windows\\System32\\cmd.exe"
OPENSSL = "C:\\Program Files\\OpenSSL-Win64\\bin\\openssl.exe"
CERTUTIL = "C:\\Windows\\System32\\certutil.exe"
SIGNTOOL = KITS + "signtool.exe"
SYSCERTS = "SOFTWARE\\Microsoft\\SystemCertificates"


def lab_session(host, elevated):
    """The analyst's desktop and the PowerShell window that runs Invoke-AtomicTest."""
    explorer = Proc(host, LAB_USER, 6120, "C:\\Windows\\explorer.exe", "C:\\Windows\\Explorer.EXE")
    integ = "High" if elevated else "Medium"
    return Proc(host, LAB_USER, 9480, PS, '"%s" ' % PS, parent=explorer, integrity=integ, elevated=elevated)


def selfsigned_script():
    return ("$cert = New-SelfSignedCertificate -Type CodeSigningCert "
            "-Subject 'CN=Microsoft Windows, O=Microsoft Corporation, L=Redmond, S=Washington, C=US' "
            "-KeyAlgorithm RSA -KeyLength 2048 -CertStoreLocation Cert:\\CurrentUser\\My "
            "-NotAfter (Get-Date).AddYears(2); "
            "$pw = ConvertTo-SecureString -String 'df00tech' -Force -AsPlainText; "
            "Export-PfxCertificate -Cert $cert -FilePath $env:TEMP\\df00tech-codesign.pfx -Password $pw")


def scenario_1():
    s = Scenario("000-1-powershell-new-selfsignedcertificate",
                 "Test 1: PowerShell New-SelfSignedCertificate, run as powershell.exe -NoProfile -Command \"...\"",
                 "2024-05-14T13:02:10.417000")
    host = lab_host()
    shell = lab_session(host, elevated=False)
    script = selfsigned_script()
    ps = Proc(host, LAB_USER, 7716, PS, '"%s" -NoProfile -ExecutionPolicy Bypass -Command "%s"' % (PS, script),
              parent=shell)
    thumb = thumbprint("000-1 cert")
    s.start(0, ps)
    s.ps4104(1184, ps, script)
    s.reg(1876, ps, "HKU\\%s\\%s\\My\\Certificates\\%s\\Blob" % (LAB_USER.sid, SYSCERTS, thumb))
    s.file(2403, ps, LAB_TEMP + "\\df00tech-codesign.pfx", 2702)
    for f in ("endpoint.ndjson", "winlogbeat.ndjson", "sysmon.xml"):
        s.expect(f, RULE_VERBATIM, 0, "verbatim rule misses: the cmdlets sit inside the quoted -Command "
                 "string, which is one argv element, so process.args never equals New-SelfSignedCertificate")
        s.expect(f, RULE_CMDLINE, 1, "powershell.exe process start; process.command_line contains "
                 "*New-SelfSignedCertificate*")
    s.expect("powershell.xml", RULE_VERBATIM, 0, "the 4104 script block is not a process start")
    s.expect("powershell.xml", RULE_CMDLINE, 0, "the 4104 script block is not a process start")
    return s


def scenario_1b():
    s = Scenario("000-1b-powershell-art-executor",
                 "Test 1 as Invoke-AtomicTest's powershell executor starts it: powershell.exe & {...}",
                 "2024-05-14T13:06:42.093000")
    host = lab_host()
    shell = lab_session(host, elevated=False)
    script = selfsigned_script()
    ps = Proc(host, LAB_USER, 8032, PS, '"powershell.exe" & {%s}' % script, parent=shell)
    thumb = thumbprint("000-1b cert")
    s.start(0, ps)
    s.ps4104(1051, ps, "& {%s}" % script)
    s.reg(1733, ps, "HKU\\%s\\%s\\My\\Certificates\\%s\\Blob" % (LAB_USER.sid, SYSCERTS, thumb))
    s.file(2290, ps, LAB_TEMP + "\\df00tech-codesign.pfx", 2702)
    for f in ("endpoint.ndjson", "winlogbeat.ndjson", "sysmon.xml"):
        s.expect(f, RULE_VERBATIM, 1, "unquoted script text: New-SelfSignedCertificate and Export-PfxCertificate "
                 "are argv elements of their own")
        s.expect(f, RULE_CMDLINE, 1, "powershell.exe process start; command line contains the cmdlets")
    s.expect("powershell.xml", RULE_VERBATIM, 0, "the 4104 script block is not a process start")
    s.expect("powershell.xml", RULE_CMDLINE, 0, "the 4104 script block is not a process start")
    return s


def scenario_2():
    s = Scenario("000-2-openssl-codesigning-eku",
                 "Test 2: OpenSSL self-signed certificate with the codeSigning EKU, then PKCS#12 export",
                 "2024-05-14T13:14:05.228000")
    host = lab_host()
    shell = lab_session(host, elevated=False)
    subj = "/C=US/ST=California/L=San Jose/O=Adobe Inc./CN=Adobe Inc."
    req = ('openssl req -x509 -newkey rsa:2048 -keyout %%TEMP%%\\df00tech-key.pem -out %%TEMP%%\\df00tech-cert.pem '
           '-days 365 -nodes -subj "%s" -addext "extendedKeyUsage=codeSigning"' % subj)
    p12 = ('openssl pkcs12 -export -out %TEMP%\\df00tech-adobe.pfx -inkey %TEMP%\\df00tech-key.pem '
           '-in %TEMP%\\df00tech-cert.pem -passout pass:df00tech')
    wrapper = Proc(host, LAB_USER, 4472, CMD, '"C:\\Windows\\system32\\cmd.exe" /c "%s & %s"' % (req, p12),
                   parent=shell)
    expand = lambda c: c.replace("%TEMP%", LAB_TEMP)
    o1 = Proc(host, LAB_USER, 10236, OPENSSL, expand(req).replace("openssl ", "openssl  ", 1), parent=wrapper)
    o2 = Proc(host, LAB_USER, 3908, OPENSSL, expand(p12).replace("openssl ", "openssl  ", 1), parent=wrapper)
    s.start(0, wrapper)
    s.start(61, o1)
    s.file(329, o1, LAB_TEMP + "\\df00tech-key.pem", 1704)
    s.file(352, o1, LAB_TEMP + "\\df00tech-cert.pem", 1257)
    s.start(447, o2)
    s.file(611, o2, LAB_TEMP + "\\df00tech-adobe.pfx", 2531)
    for f in ("endpoint.ndjson", "winlogbeat.ndjson", "sysmon.xml"):
        s.expect(f, RULE_VERBATIM, 1, "openssl req -x509 matches (req + -x509); the pkcs12 -export start is "
                 "missed: none of its args is in the second list; the cmd.exe wrapper is not openssl.exe")
        s.expect(f, RULE_CMDLINE, 2, "openssl req -x509 ... extendedKeyUsage=codeSigning and openssl pkcs12 "
                 "-export; the cmd.exe wrapper does not match")
    return s


def scenario_3():
    s = Scenario("000-3-signtool-selfsigned-pfx",
                 "Test 3: signtool sign /f with the self-signed PFX, Sysmon plus Security 4688",
                 "2024-05-14T13:21:37.640000")
    host = lab_host()
    shell = lab_session(host, elevated=False)
    cmd = '"%s" sign /f %%TEMP%%\\df00tech-codesign.pfx /p df00tech /fd SHA256 %%TEMP%%\\df00tech-signed.exe' % SIGNTOOL
    wrapper = Proc(host, LAB_USER, 5116, CMD, '"C:\\Windows\\system32\\cmd.exe" /c "%s"' % cmd, parent=shell)
    child = cmd.replace("%TEMP%", LAB_TEMP).replace('.exe" sign', '.exe"  sign', 1)
    st = Proc(host, LAB_USER, 9964, SIGNTOOL, child, parent=wrapper, cwd="C:\\Users\\jwalsh\\")
    s.start(0, wrapper, security_4688=True)
    s.start(74, st, security_4688=True)
    s.file(902, st, LAB_TEMP + "\\df00tech-signed.exe", 205312, action="modification")
    s.expect("endpoint.ndjson", RULE_VERBATIM, 1, "signtool.exe start with the argv element sign")
    s.expect("endpoint.ndjson", RULE_CMDLINE, 1, "signtool.exe sign with a key file (/f)")
    s.expect("winlogbeat.ndjson", RULE_VERBATIM, 2, "the signtool start twice: Sysmon 1 and Security 4688 "
             "(4688 args keep quotes and carry an empty element for the double blank; sign is still an element)")
    s.expect("winlogbeat.ndjson", RULE_CMDLINE, 2, "Sysmon 1 and Security 4688 of signtool sign /f")
    for f, what in (("sysmon.xml", "Sysmon 1"), ("security.xml", "Security 4688")):
        s.expect(f, RULE_VERBATIM, 1, "%s of signtool sign; the cmd.exe wrapper does not match" % what)
        s.expect(f, RULE_CMDLINE, 1, "%s of signtool sign /f" % what)
    return s


def scenario_4():
    s = Scenario("000-4-certutil-addstore-root",
                 "Test 4: certutil -addstore Root, Sysmon 13 on HKLM ROOT and Security 4657",
                 "2024-05-14T13:29:12.815000")
    host = lab_host()
    shell = lab_session(host, elevated=True)
    cmd = "certutil -addstore Root %TEMP%\\df00tech-cert.pem"
    wrapper = Proc(host, LAB_USER, 7240, CMD, '"C:\\Windows\\system32\\cmd.exe" /c "%s"' % cmd, parent=shell,
                   integrity="High", elevated=True)
    cu = Proc(host, LAB_USER, 2816, CERTUTIL, cmd.replace("%TEMP%", LAB_TEMP).replace("certutil ", "certutil  ", 1),
              parent=wrapper, integrity="High", elevated=True)
    thumb = thumbprint("000-2 cert")
    s.start(0, wrapper)
    s.start(58, cu)
    s.reg(517, cu, "HKLM\\%s\\ROOT\\Certificates\\%s\\Blob" % (SYSCERTS, thumb))
    s.sec4657(519, cu, "\\REGISTRY\\MACHINE\\%s\\ROOT\\Certificates\\%s" % (SYSCERTS, thumb), "Blob",
              "03 00 00 00 01 00 00 00 14 00 00 00 %s ..." % " ".join(thumb[i:i + 2] for i in range(0, 16, 2)))
    for f in ("endpoint.ndjson", "winlogbeat.ndjson", "sysmon.xml"):
        s.expect(f, RULE_VERBATIM, 1, "certutil.exe start with the argv element -addstore")
        s.expect(f, RULE_CMDLINE, 1, "certutil.exe start with -addstore")
    s.expect("security.xml", RULE_VERBATIM, 0, "4657 is a registry event")
    s.expect("security.xml", RULE_CMDLINE, 0, "4657 is a registry event")
    return s


def benign_ci_signtool():
    s = Scenario("benign-ci-signtool-timestamp",
                 "False positive 3: a CI build agent signs build.exe with a store certificate and a timestamp server",
                 "2024-05-15T02:41:19.306000", kind="benign")
    host = Host("BUILD-AGENT-07", "corp.example", "Windows Server 2022 Datacenter", "21H2", "20348", 2148,
                ["10.40.8.57"], ["00:50:56:9c:2e:41"])
    svc = User("CORP", "svc_build", "S-1-5-21-1957392806-4036192318-2617548110-2431", "0x1a3f7c1")
    agent = Proc(host, svc, 3364, "C:\\agent\\bin\\Agent.Worker.exe",
                 '"C:\\agent\\bin\\Agent.Worker.exe" spawnclient 4820 4824', session=0, cwd="C:\\agent\\bin\\")
    step = Proc(host, svc, 6688, CMD, 'C:\\Windows\\system32\\cmd.exe /D /E:ON /V:OFF /S /C "CALL '
                '"C:\\agent\\_work\\_temp\\7f3d92a1-5c6e-4b0e-9a51-2d8e4c1b6f07.cmd""', parent=agent, session=0,
                cwd="C:\\agent\\_work\\14\\s\\")
    sign = Proc(host, svc, 7152, SIGNTOOL, '"%s" sign /tr http://timestamp.digicert.com /td sha256 /fd sha256 '
                '/a build.exe' % SIGNTOOL, parent=step, session=0, cwd="C:\\agent\\_work\\14\\s\\out\\")
    verify = Proc(host, svc, 2260, SIGNTOOL, '"%s" verify /pa /v build.exe' % SIGNTOOL, parent=step, session=0,
                  cwd="C:\\agent\\_work\\14\\s\\out\\")
    s.start(0, step, security_4688="xml")
    s.start(118, sign, security_4688="xml")
    s.file(2944, sign, "C:\\agent\\_work\\14\\s\\out\\build.exe", 1482240, action="modification")
    s.start(3207, verify, security_4688="xml")
    for f, n in (("endpoint.ndjson", 1), ("winlogbeat.ndjson", 1), ("sysmon.xml", 1), ("security.xml", 1)):
        s.expect(f, RULE_VERBATIM, n, "known false positive: the verbatim rule has no exclusion, signtool sign "
                 "from the build agent fires (Sysmon 1 and 4688); the pack's exclusions (release signing with a "
                 "timestamp server by the build account) suppress it")
        s.expect(f, RULE_CMDLINE, 0, "companion stays quiet: signing with a store certificate (/a) and no key "
                 "file (/f); signtool verify has no sign element")
    return s


def benign_certutil_store():
    s = Scenario("benign-certutil-store-enumeration",
                 "certutil -store enumeration by an inventory script and by an administrator",
                 "2024-05-16T07:09:06.114000", kind="benign")
    host = Host("WKS-ACC-0117", "corp.example", "Windows 10 Enterprise", "22H2", "19045", 2544,
                ["10.40.22.117"], ["00:15:5d:20:33:0e"])
    admin = User("CORP", "adm_rlopez", "S-1-5-21-1957392806-4036192318-2617548110-3302", "0x8c21d4")
    services = Proc(host, SYSTEM, 672, "C:\\Windows\\System32\\services.exe", "C:\\Windows\\system32\\services.exe",
                    session=0)
    script = Proc(host, SYSTEM, 4744, "C:\\Windows\\System32\\cscript.exe",
                  '"C:\\Windows\\System32\\cscript.exe" //nologo C:\\ProgramData\\Inventory\\collect.vbs',
                  parent=services, integrity="System", session=0)
    wrap = Proc(host, SYSTEM, 1104, CMD, '"C:\\Windows\\System32\\cmd.exe" /c certutil -store root >> '
                'C:\\ProgramData\\Inventory\\certs.txt', parent=script, integrity="System", session=0)
    enum = Proc(host, SYSTEM, 6616, CERTUTIL, "certutil  -store root ", parent=wrap, integrity="System", session=0)
    explorer = Proc(host, admin, 5232, "C:\\Windows\\explorer.exe", "C:\\Windows\\Explorer.EXE")
    console = Proc(host, admin, 8816, CMD, '"C:\\Windows\\system32\\cmd.exe" ', parent=explorer)
    mine = Proc(host, admin, 9072, CERTUTIL, "certutil -store -user My", parent=console)
    s.start(0, wrap)
    s.start(39, enum)
    s.start(96120, mine)
    for f in ("endpoint.ndjson", "winlogbeat.ndjson", "sysmon.xml"):
        s.expect(f, RULE_VERBATIM, 0, "certutil -store only reads the store: no -addstore/-importpfx/-add element")
        s.expect(f, RULE_CMDLINE, 0, "certutil -store only reads the store")
    return s


def benign_openssl_csr():
    s = Scenario("benign-openssl-dev-csr",
                 "False positive 1: a developer makes a key and a certificate signing request with openssl",
                 "2024-05-16T10:22:48.902000", kind="benign")
    host = Host("DEV-LT-0412", "corp.example", "Windows 11 Enterprise", "23H2", "22631", 3380,
                ["10.40.31.12"], ["f4:8e:38:7a:c1:5d"])
    dev = User("CORP", "dkowalski", "S-1-5-21-1957392806-4036192318-2617548110-5120", "0x2b9e07")
    explorer = Proc(host, dev, 7004, "C:\\Windows\\explorer.exe", "C:\\Windows\\Explorer.EXE")
    pwsh = Proc(host, dev, 11872, "C:\\Program Files\\PowerShell\\7\\pwsh.exe",
                '"C:\\Program Files\\PowerShell\\7\\pwsh.exe" -NoLogo', parent=explorer,
                cwd="C:\\src\\dev-api\\certs\\")
    gitssl = "C:\\Program Files\\Git\\usr\\bin\\openssl.exe"
    genrsa = Proc(host, dev, 12604, gitssl, '"%s" genrsa -out dev.key 2048' % gitssl, parent=pwsh,
                  cwd="C:\\src\\dev-api\\certs\\")
    csr = Proc(host, dev, 2092, gitssl, '"%s" req -new -key dev.key -out dev.csr -subj /CN=dev-api.internal.example'
               % gitssl, parent=pwsh, cwd="C:\\src\\dev-api\\certs\\")
    s.start(0, genrsa)
    s.file(187, genrsa, "C:\\src\\dev-api\\certs\\dev.key", 1704)
    s.start(21455, csr)
    s.file(21601, csr, "C:\\src\\dev-api\\certs\\dev.csr", 989)
    for f in ("endpoint.ndjson", "winlogbeat.ndjson", "sysmon.xml"):
        s.expect(f, RULE_VERBATIM, 0, "genrsa and req -new carry no -x509, codeSigning, 1.3.6.1.5.5.7.3.3 or "
                 "extendedKeyUsage element")
        s.expect(f, RULE_CMDLINE, 0, "no -x509, no code-signing EKU, no pkcs12 -export")
    return s


def benign_pki_makecert():
    s = Scenario("benign-pki-admin-makecert",
                 "False positive 2: a PKI administrator makes a test signing certificate with makecert and pvk2pfx",
                 "2024-05-17T14:03:27.551000", kind="benign")
    host = Host("PKI-ADMIN-02", "corp.example", "Windows Server 2022 Standard", "21H2", "20348", 2316,
                ["10.40.2.22"], ["00:50:56:9c:71:a8"])
    pki = User("CORP", "pkiadmin", "S-1-5-21-1957392806-4036192318-2617548110-1180", "0x4f0a19")
    explorer = Proc(host, pki, 3980, "C:\\Windows\\explorer.exe", "C:\\Windows\\Explorer.EXE")
    console = Proc(host, pki, 6092, CMD, '"C:\\Windows\\system32\\cmd.exe" /k "C:\\Program Files\\Microsoft Visual '
                   'Studio\\2022\\BuildTools\\Common7\\Tools\\VsDevCmd.bat"', parent=explorer, integrity="High",
                   elevated=True, cwd="C:\\PKI\\test\\")
    mk = Proc(host, pki, 5548, KITS + "makecert.exe", 'makecert  -r -pe -n "CN=Corp Internal Test Signing" -a sha256 '
              '-cy authority -sky signature -sv C:\\PKI\\test\\CorpTestSigning.pvk C:\\PKI\\test\\CorpTestSigning.cer',
              parent=console, integrity="High", elevated=True, cwd="C:\\PKI\\test\\")
    pv = Proc(host, pki, 1968, KITS + "pvk2pfx.exe", 'pvk2pfx  -pvk C:\\PKI\\test\\CorpTestSigning.pvk -spc '
              'C:\\PKI\\test\\CorpTestSigning.cer -pfx C:\\PKI\\test\\CorpTestSigning.pfx', parent=console,
              integrity="High", elevated=True, cwd="C:\\PKI\\test\\")
    s.start(0, mk)
    s.file(2315, mk, "C:\\PKI\\test\\CorpTestSigning.pvk", 1196)
    s.file(2340, mk, "C:\\PKI\\test\\CorpTestSigning.cer", 806)
    s.start(48712, pv)
    s.file(48930, pv, "C:\\PKI\\test\\CorpTestSigning.pfx", 2574)
    for f in ("endpoint.ndjson", "winlogbeat.ndjson", "sysmon.xml"):
        s.expect(f, RULE_VERBATIM, 2, "known false positive: makecert.exe and pvk2pfx.exe match by name alone; "
                 "the pack's exclusions (PKI hosts and accounts) suppress it")
        s.expect(f, RULE_CMDLINE, 2, "same name-only branch as the verbatim rule: makecert.exe and pvk2pfx.exe")
    return s


def benign_root_refresh():
    s = Scenario("benign-root-store-refresh",
                 "Windows' own root store refresh (CryptSvc writing AuthRoot and ROOT certificate blobs)",
                 "2024-05-18T04:17:52.370000", kind="benign")
    host = Host("WKS-ACC-0117", "corp.example", "Windows 10 Enterprise", "22H2", "19045", 2544,
                ["10.40.22.117"], ["00:15:5d:20:33:0e"])
    services = Proc(host, SYSTEM, 672, "C:\\Windows\\System32\\services.exe", "C:\\Windows\\system32\\services.exe",
                    session=0)
    crypt = Proc(host, NETWORK_SERVICE, 2412, "C:\\Windows\\System32\\svchost.exe",
                 "C:\\Windows\\system32\\svchost.exe -k NetworkService -p -s CryptSvc", parent=services,
                 integrity="System", session=0)
    for i, (ms, store) in enumerate(((0, "AuthRoot"), (14, "AuthRoot"), (2231, "ROOT"))):
        thumb = thumbprint("refresh %d" % i)
        s.reg(ms, crypt, "HKLM\\%s\\%s\\Certificates\\%s\\Blob" % (SYSCERTS, store, thumb))
        if store == "ROOT":
            s.sec4657(ms + 1, crypt, "\\REGISTRY\\MACHINE\\%s\\%s\\Certificates\\%s" % (SYSCERTS, store, thumb),
                      "Blob", "03 00 00 00 01 00 00 00 14 00 00 00 %s ..." % " ".join(thumb[k:k + 2] for k in range(0, 16, 2)))
    for f in ("endpoint.ndjson", "winlogbeat.ndjson", "sysmon.xml", "security.xml"):
        s.expect(f, RULE_VERBATIM, 0, "registry events only: both rules match process starts")
        s.expect(f, RULE_CMDLINE, 0, "registry events only")
    return s


# --------------------------------------------------------------------------- seed 003 (T1553.002)

def art_powershell(script):
    """the command line Invoke-AtomicTest's powershell executor starts"""
    return '"powershell.exe" & {%s}' % script


def scenario_003_1():
    s = Scenario("003-1-selfsigned-cert-and-signtool",
                 "T1553.002 test 1: create a self-signed code-signing certificate with PowerShell, export it to a "
                 "PFX, sign a binary with signtool /f ... /fd sha256",
                 "2024-05-21T09:12:44.518000")
    host = lab_host()
    shell = lab_session(host, elevated=False)
    pfx, exe = LAB_TEMP + "\\df00tech-codesign.pfx", LAB_TEMP + "\\df00tech-test.exe"
    script = ("$cert = New-SelfSignedCertificate -Type CodeSigningCert -Subject 'CN=df00tech Code Signing' "
              "-CertStoreLocation Cert:\\CurrentUser\\My; "
              "$pw = ConvertTo-SecureString -String 'df00tech' -Force -AsPlainText; "
              "Export-PfxCertificate -Cert $cert -FilePath $env:TEMP\\df00tech-codesign.pfx -Password $pw; "
              "Copy-Item -Path C:\\Windows\\System32\\whoami.exe -Destination $env:TEMP\\df00tech-test.exe; "
              "& '%s' sign /f $env:TEMP\\df00tech-codesign.pfx /p df00tech /fd sha256 $env:TEMP\\df00tech-test.exe"
              % SIGNTOOL)
    ps = Proc(host, LAB_USER, 10412, PS, art_powershell(script), parent=shell)
    st = Proc(host, LAB_USER, 6284, SIGNTOOL, '"%s" sign /f %s /p df00tech /fd sha256 %s' % (SIGNTOOL, pfx, exe),
              parent=ps)
    s.start(0, ps)
    s.ps4104(1022, ps, "& {%s}" % script)
    s.file(2187, ps, pfx, 2702)
    s.file(2311, ps, exe, 91136)
    s.start(2486, st)
    s.file(3370, st, exe, 100864, action="modification")
    s.expect_rule(RULE_VERBATIM, "the powershell start (the executor's unquoted script: New-SelfSignedCertificate "
                  "is an argv element) and the signtool sign start", endpoint=2, winlogbeat=2, sysmon=2, powershell=0)
    s.expect_rule(RULE_CMDLINE, "powershell with *New-SelfSignedCertificate* in the command line, signtool sign /f",
                  endpoint=2, winlogbeat=2, sysmon=2, powershell=0)
    return s


def scenario_003_2():
    s = Scenario("003-2-certutil-trustedpublisher",
                 "T1553.002 test 2: import a self-signed certificate into the machine's TrustedPublisher store "
                 "with certutil -addstore",
                 "2024-05-21T09:20:03.771000")
    host = lab_host()
    shell = lab_session(host, elevated=True)
    cer = LAB_TEMP + "\\df00tech-publisher.cer"
    script = ("$cert = New-SelfSignedCertificate -Type CodeSigningCert -Subject 'CN=df00tech Publisher' "
              "-CertStoreLocation Cert:\\CurrentUser\\My; "
              "Export-Certificate -Cert $cert -FilePath $env:TEMP\\df00tech-publisher.cer; "
              "certutil -addstore TrustedPublisher $env:TEMP\\df00tech-publisher.cer")
    ps = Proc(host, LAB_USER, 5920, PS, art_powershell(script), parent=shell, integrity="High", elevated=True)
    cu = Proc(host, LAB_USER, 11308, CERTUTIL, '"C:\\Windows\\system32\\certutil.exe" -addstore TrustedPublisher %s'
              % cer, parent=ps, integrity="High", elevated=True)
    thumb = thumbprint("003-2 cert")
    s.start(0, ps)
    s.ps4104(987, ps, "& {%s}" % script)
    s.file(1904, ps, cer, 796)
    s.start(2133, cu)
    s.reg(2475, cu, "HKLM\\%s\\TrustedPublisher\\Certificates\\%s\\Blob" % (SYSCERTS, thumb))
    s.expect_rule(RULE_VERBATIM, "the powershell start (New-SelfSignedCertificate and Export-Certificate are argv "
                  "elements) and certutil -addstore", endpoint=2, winlogbeat=2, sysmon=2, powershell=0)
    s.expect_rule(RULE_CMDLINE, "powershell with the cmdlets in the command line, certutil -addstore",
                  endpoint=2, winlogbeat=2, sysmon=2, powershell=0)
    return s


def scenario_003_3():
    s = Scenario("003-3-user-trustedpublisher-authenticode",
                 "T1553.002 test 3: certutil -addstore -user TrustedPublisher, then Set-AuthenticodeSignature on a "
                 "script",
                 "2024-05-21T09:27:36.040000")
    host = lab_host()
    shell = lab_session(host, elevated=False)
    cer, ps1 = LAB_TEMP + "\\df00tech-sign-test.cer", LAB_TEMP + "\\df00tech-payload.ps1"
    script = ("$cert = New-SelfSignedCertificate -Type CodeSigningCert -Subject 'CN=df00tech Sign Test' "
              "-CertStoreLocation Cert:\\CurrentUser\\My; "
              "Export-Certificate -Cert $cert -FilePath $env:TEMP\\df00tech-sign-test.cer; "
              "certutil -addstore -user TrustedPublisher $env:TEMP\\df00tech-sign-test.cer; "
              "Set-Content -Path $env:TEMP\\df00tech-payload.ps1 -Value 'Write-Output df00tech'; "
              "Set-AuthenticodeSignature -FilePath $env:TEMP\\df00tech-payload.ps1 -Certificate $cert")
    ps = Proc(host, LAB_USER, 8856, PS, art_powershell(script), parent=shell)
    cu = Proc(host, LAB_USER, 3196, CERTUTIL, '"C:\\Windows\\system32\\certutil.exe" -addstore -user '
              'TrustedPublisher %s' % cer, parent=ps)
    thumb = thumbprint("003-3 cert")
    s.start(0, ps)
    s.ps4104(1106, ps, "& {%s}" % script)
    s.file(1977, ps, cer, 812)
    s.start(2210, cu)
    s.reg(2538, cu, "HKU\\%s\\%s\\TrustedPublisher\\Certificates\\%s\\Blob" % (LAB_USER.sid, SYSCERTS, thumb))
    s.file(3021, ps, ps1, 23)
    s.file(3349, ps, ps1, 2174, action="modification")
    s.expect_rule(RULE_VERBATIM, "the powershell start (New-SelfSignedCertificate is an argv element) and certutil "
                  "-addstore -user", endpoint=2, winlogbeat=2, sysmon=2, powershell=0)
    s.expect_rule(RULE_CMDLINE, "powershell with the cmdlets in the command line, certutil -addstore",
                  endpoint=2, winlogbeat=2, sysmon=2, powershell=0)
    return s


# --------------------------------------------------------------------------- macOS (003 test 4)

def mac_lab():
    host = MacHost("MBP-JWALSH", "14.4.1", "23.4.0", ["192.168.1.34", "fe80::1c8e:4bff:fe22:9d10"],
                   ["a4:83:e7:5c:19:2b"])
    user = MacUser("jwalsh", 501)
    term = MacProc(host, user, 712, "/Applications/iTerm.app/Contents/MacOS/iTerm2",
                   ["/Applications/iTerm.app/Contents/MacOS/iTerm2"], tty=None)
    zsh = MacProc(host, user, 1931, "/bin/zsh", ["-zsh"], parent=term)
    return host, user, zsh


def scenario_003_4():
    s = Scenario("003-4-macos-codesign-adhoc",
                 "T1553.002 test 4: macOS ad-hoc code signing (codesign --sign -), then codesign -dv and spctl "
                 "--assess, from the Atomic sh executor",
                 "2024-05-22T15:40:11.284000")
    host, user, zsh = mac_lab()
    sh = MacProc(host, user, 4410, "/bin/sh", ["sh", "-c", "cp /bin/ls /tmp/df00tech-adhoc && codesign --sign - "
                                                "--force /tmp/df00tech-adhoc && codesign -dv /tmp/df00tech-adhoc && "
                                                "spctl --assess --type execute /tmp/df00tech-adhoc"], parent=zsh)
    cp = MacProc(host, user, 4411, "/bin/cp", ["cp", "/bin/ls", "/tmp/df00tech-adhoc"], parent=sh)
    sign = MacProc(host, user, 4413, "/usr/bin/codesign", ["codesign", "--sign", "-", "--force",
                                                             "/tmp/df00tech-adhoc"], parent=sh)
    show = MacProc(host, user, 4415, "/usr/bin/codesign", ["codesign", "-dv", "/tmp/df00tech-adhoc"], parent=sh)
    spctl = MacProc(host, user, 4417, "/usr/sbin/spctl", ["spctl", "--assess", "--type", "execute",
                                                            "/tmp/df00tech-adhoc"], parent=sh)
    s.mac_run(0, sh)
    s.mac_run(19, cp)
    s.mac_run(57, sign)
    s.mac_run(402, show)
    s.mac_run(488, spctl)
    for rule in (RULE_VERBATIM, RULE_CMDLINE):
        s.expect_rule(rule, "Windows tools only: codesign is none of them (the macOS test is for the pack's macOS "
                      "rule)", eslogger=0, endpoint=0)
    return s


# --------------------------------------------------------------------------- attack variants

def variant_000_3b():
    s = Scenario("000-3b-signtool-dash-options-pwsh",
                 "Variant of 000 test 3: SignTool.exe (Windows Kits 8.1, mixed case) with '-' options, started from "
                 "PowerShell 7, Security 4688 too",
                 "2024-05-23T11:04:52.610000")
    host = lab_host()
    explorer = Proc(host, LAB_USER, 6120, "C:\\Windows\\explorer.exe", "C:\\Windows\\Explorer.EXE")
    pwsh = Proc(host, LAB_USER, 7344, "C:\\Program Files\\PowerShell\\7\\pwsh.exe",
                '"C:\\Program Files\\PowerShell\\7\\pwsh.exe" -NoLogo', parent=explorer, cwd="C:\\Users\\Public\\Documents\\")
    tool = "C:\\Program Files (x86)\\Windows Kits\\8.1\\bin\\x86\\SignTool.exe"
    st = Proc(host, LAB_USER, 9012, tool, '"%s" sign -f C:\\Users\\Public\\Documents\\corp.pfx -p Summer2024 '
              '-fd SHA256 -v C:\\Users\\Public\\Documents\\update.exe' % tool, parent=pwsh,
              cwd="C:\\Users\\Public\\Documents\\")
    s.start(0, st, security_4688=True)
    s.file(611, st, "C:\\Users\\Public\\Documents\\update.exe", 348672, action="modification")
    s.expect_rule(RULE_VERBATIM, "process.name SignTool.exe matches signtool.exe without regard to case; sign is an "
                  "element (Sysmon 1 and 4688)", endpoint=1, winlogbeat=2, sysmon=1, security=1)
    s.expect_rule(RULE_CMDLINE, "sign with -f: the companion takes the '-' spelling of /f", endpoint=1,
                  winlogbeat=2, sysmon=1, security=1)
    return s


def variant_000_4b():
    s = Scenario("000-4b-certutil-slash-addstore-caps",
                 "Variant of 000 test 4: CERTUTIL.EXE /AddStore ROOT from an interactive elevated cmd.exe, Security "
                 "4688 and 4657 too",
                 "2024-05-23T11:18:27.905000")
    host = lab_host()
    explorer = Proc(host, LAB_USER, 6120, "C:\\Windows\\explorer.exe", "C:\\Windows\\Explorer.EXE")
    console = Proc(host, LAB_USER, 2464, CMD, '"C:\\Windows\\system32\\cmd.exe" ', parent=explorer, integrity="High",
                   elevated=True, cwd="C:\\Users\\Public\\Downloads\\")
    cu = Proc(host, LAB_USER, 10540, "C:\\Windows\\System32\\certutil.exe",
              "CERTUTIL.EXE  /AddStore ROOT C:\\Users\\Public\\Downloads\\corp-root.cer", parent=console,
              integrity="High", elevated=True, cwd="C:\\Users\\Public\\Downloads\\")
    thumb = thumbprint("000-4b cert")
    s.start(0, cu, security_4688=True)
    s.reg(402, cu, "HKLM\\%s\\ROOT\\Certificates\\%s\\Blob" % (SYSCERTS, thumb))
    s.sec4657(404, cu, "\\REGISTRY\\MACHINE\\%s\\ROOT\\Certificates\\%s" % (SYSCERTS, thumb), "Blob",
              "03 00 00 00 01 00 00 00 14 00 00 00 %s ..." % " ".join(thumb[i:i + 2] for i in range(0, 16, 2)))
    s.expect_rule(RULE_VERBATIM, "verbatim rule misses: /AddStore is not one of -addstore, -importpfx, -add "
                  "(certutil takes both spellings)", endpoint=0, winlogbeat=0, sysmon=0, security=0)
    s.expect_rule(RULE_CMDLINE, "the companion lists /addstore; ':' compares without regard to case", endpoint=1,
                  winlogbeat=2, sysmon=1, security=1)
    return s


def variant_000_2b():
    s = Scenario("000-2b-openssl-genpkey-eku-oid",
                 "Variant of 000 test 2: Git for Windows' openssl from Git Bash: genpkey, req -new -x509 with the "
                 "code-signing EKU as an OID, pkcs12 -export to a .p12 in Downloads",
                 "2024-05-23T11:31:09.477000")
    host = lab_host()
    explorer = Proc(host, LAB_USER, 6120, "C:\\Windows\\explorer.exe", "C:\\Windows\\Explorer.EXE")
    bash = Proc(host, LAB_USER, 12088, "C:\\Program Files\\Git\\usr\\bin\\bash.exe",
                '"C:\\Program Files\\Git\\usr\\bin\\bash.exe" --login -i', parent=explorer,
                cwd="C:\\Users\\jwalsh\\Downloads\\")
    ossl = "C:\\Program Files\\Git\\mingw64\\bin\\openssl.exe"
    dl = "C:\\Users\\jwalsh\\Downloads\\"
    k = Proc(host, LAB_USER, 12240, ossl, '"%s" genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out '
             'signing.key' % ossl, parent=bash, cwd=dl)
    r = Proc(host, LAB_USER, 12316, ossl, '"%s" req -new -x509 -key signing.key -out signing.crt -days 730 -subj '
             '"/CN=Contoso Software Ltd" -addext extendedKeyUsage=1.3.6.1.5.5.7.3.3' % ossl, parent=bash, cwd=dl)
    x = Proc(host, LAB_USER, 12400, ossl, '"%s" pkcs12 -export -inkey signing.key -in signing.crt -out signing.p12 '
             '-passout pass:contoso' % ossl, parent=bash, cwd=dl)
    s.start(0, k)
    s.file(391, k, dl + "signing.key", 2484)
    s.start(14027, r)
    s.file(14160, r, dl + "signing.crt", 1318)
    s.start(31554, x)
    s.file(31702, x, dl + "signing.p12", 3597)
    s.expect_rule(RULE_VERBATIM, "req -new -x509 matches (req, -x509); genpkey has nothing from the second list; "
                  "pkcs12 -export is missed as in test 2", endpoint=1, winlogbeat=1, sysmon=1)
    s.expect_rule(RULE_CMDLINE, "req -x509 and pkcs12 -export; the OID sits inside extendedKeyUsage=... (the "
                  "companion's *1.3.6.1.5.5.7.3.3* would catch it without -x509 too)", endpoint=2, winlogbeat=2,
                  sysmon=2)
    return s


def variant_003_2b():
    s = Scenario("003-2b-certutil-importpfx-trustedpublisher",
                 "Variant of 003 test 2: certutil -f -p ... -importpfx TrustedPublisher from cmd /c, Security 4688 "
                 "and 4657 too",
                 "2024-05-23T11:44:50.138000")
    host = lab_host()
    shell = lab_session(host, elevated=True)
    pfx = LAB_TEMP + "\\df00tech-codesign.pfx"
    cmd = "certutil -f -p df00tech -importpfx TrustedPublisher %TEMP%\\df00tech-codesign.pfx"
    wrapper = Proc(host, LAB_USER, 4188, CMD, '"C:\\Windows\\system32\\cmd.exe" /c "%s"' % cmd, parent=shell,
                   integrity="High", elevated=True)
    cu = Proc(host, LAB_USER, 6640, CERTUTIL, cmd.replace("%TEMP%", LAB_TEMP).replace("certutil ", "certutil  ", 1),
              parent=wrapper, integrity="High", elevated=True)
    thumb = thumbprint("003-2b cert")
    s.start(0, wrapper, security_4688=True)
    s.start(46, cu, security_4688=True)
    s.reg(733, cu, "HKLM\\%s\\TrustedPublisher\\Certificates\\%s\\Blob" % (SYSCERTS, thumb))
    s.sec4657(735, cu, "\\REGISTRY\\MACHINE\\%s\\TrustedPublisher\\Certificates\\%s" % (SYSCERTS, thumb), "Blob",
              "03 00 00 00 01 00 00 00 14 00 00 00 %s ..." % " ".join(thumb[i:i + 2] for i in range(0, 16, 2)))
    del pfx
    s.expect_rule(RULE_VERBATIM, "certutil with the element -importpfx (Sysmon 1 and 4688); the cmd.exe wrapper is "
                  "not certutil.exe", endpoint=1, winlogbeat=2, sysmon=1, security=1)
    s.expect_rule(RULE_CMDLINE, "certutil -importpfx", endpoint=1, winlogbeat=2, sysmon=1, security=1)
    return s


def variant_003_4b():
    s = Scenario("003-4b-macos-codesign-s-dash-python",
                 "Variant of 003 test 4: a Python dropper runs /usr/bin/codesign -f -s - on a downloaded app bundle",
                 "2024-05-23T16:02:37.615000")
    host, user, zsh = mac_lab()
    py = MacProc(host, user, 5120, "/usr/bin/python3", ["/usr/bin/python3", "/Users/jwalsh/Downloads/setup_helper.py"],
                 parent=zsh, cwd="/Users/jwalsh/Downloads")
    app = "/Users/jwalsh/Downloads/Installer.app/Contents/MacOS/Installer"
    sign = MacProc(host, user, 5133, "/usr/bin/codesign", ["/usr/bin/codesign", "-f", "-s", "-", app], parent=py,
                   cwd="/Users/jwalsh/Downloads")
    s.mac_run(0, sign)
    for rule in (RULE_VERBATIM, RULE_CMDLINE):
        s.expect_rule(rule, "Windows tools only", eslogger=0, endpoint=0)
    return s


# --------------------------------------------------------------------------- more benign look-alikes

def benign_dev_localhost_cert():
    s = Scenario("benign-dev-localhost-tls-cert",
                 "False positive 1 (both pages): a developer's build script makes a self-signed localhost TLS "
                 "certificate with New-SelfSignedCertificate", "2024-05-24T08:47:20.331000", kind="benign")
    host = Host("DEV-LT-0412", "corp.example", "Windows 11 Enterprise", "23H2", "22631", 3380,
                ["10.40.31.12"], ["f4:8e:38:7a:c1:5d"])
    dev = User("CORP", "dkowalski", "S-1-5-21-1957392806-4036192318-2617548110-5120", "0x2b9e07")
    explorer = Proc(host, dev, 7004, "C:\\Windows\\explorer.exe", "C:\\Windows\\Explorer.EXE")
    code = Proc(host, dev, 9920, "C:\\Users\\dkowalski\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe",
                '"C:\\Users\\dkowalski\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe"', parent=explorer)
    script = ("New-SelfSignedCertificate -DnsName localhost -CertStoreLocation Cert:\\CurrentUser\\My "
              "-FriendlyName 'dev-api localhost' -NotAfter (Get-Date).AddYears(1)")
    pwsh = Proc(host, dev, 11772, "C:\\Program Files\\PowerShell\\7\\pwsh.exe",
                '"C:\\Program Files\\PowerShell\\7\\pwsh.exe" -NoProfile -Command "%s"' % script, parent=code,
                cwd="C:\\src\\dev-api\\")
    thumb = thumbprint("dev localhost cert")
    s.start(0, pwsh)
    s.ps4104(731, pwsh, script)
    s.reg(1290, pwsh, "HKU\\%s\\%s\\My\\Certificates\\%s\\Blob" % (dev.sid, SYSCERTS, thumb))
    s.expect_rule(RULE_VERBATIM, "the cmdlet is inside the -Command string: no argv element matches",
                  endpoint=0, winlogbeat=0, sysmon=0, powershell=0)
    s.expect_rule(RULE_CMDLINE, "known false positive: *New-SelfSignedCertificate* in a pwsh command line; the "
                  "pack's exclusions (developer localhost certificates) suppress it", endpoint=1, winlogbeat=1,
                  sysmon=1, powershell=0)
    return s


def benign_pki_certutil_ca_import():
    s = Scenario("benign-pki-admin-certutil-ca-import",
                 "False positive 2 (both pages): a PKI administrator publishes the corporate root and issuing CA "
                 "certificates with certutil -addstore", "2024-05-24T10:15:03.902000", kind="benign")
    host = Host("PKI-ADMIN-02", "corp.example", "Windows Server 2022 Standard", "21H2", "20348", 2316,
                ["10.40.2.22"], ["00:50:56:9c:71:a8"])
    pki = User("CORP", "pkiadmin", "S-1-5-21-1957392806-4036192318-2617548110-1180", "0x4f0a19")
    explorer = Proc(host, pki, 3980, "C:\\Windows\\explorer.exe", "C:\\Windows\\Explorer.EXE")
    console = Proc(host, pki, 6404, CMD, '"C:\\Windows\\system32\\cmd.exe" ', parent=explorer, integrity="High",
                   elevated=True, cwd="C:\\PKI\\certs\\")
    root = Proc(host, pki, 7716, CERTUTIL, "certutil  -addstore -f Root C:\\PKI\\certs\\CorpRootCA-G2.cer",
                parent=console, integrity="High", elevated=True, cwd="C:\\PKI\\certs\\")
    ca = Proc(host, pki, 2908, CERTUTIL, "certutil  -addstore -f CA C:\\PKI\\certs\\CorpIssuingCA-01.cer",
              parent=console, integrity="High", elevated=True, cwd="C:\\PKI\\certs\\")
    pub = Proc(host, pki, 5332, CERTUTIL, "certutil  -dspublish -f C:\\PKI\\certs\\CorpRootCA-G2.cer RootCA",
               parent=console, integrity="High", elevated=True, cwd="C:\\PKI\\certs\\")
    t1, t2 = thumbprint("corp root g2"), thumbprint("corp issuing 01")
    s.start(0, root, security_4688=True)
    s.reg(377, root, "HKLM\\%s\\ROOT\\Certificates\\%s\\Blob" % (SYSCERTS, t1))
    s.sec4657(379, root, "\\REGISTRY\\MACHINE\\%s\\ROOT\\Certificates\\%s" % (SYSCERTS, t1), "Blob",
              "03 00 00 00 01 00 00 00 14 00 00 00 %s ..." % " ".join(t1[i:i + 2] for i in range(0, 16, 2)))
    s.start(21840, ca, security_4688=True)
    s.reg(22151, ca, "HKLM\\%s\\CA\\Certificates\\%s\\Blob" % (SYSCERTS, t2))
    s.start(60412, pub, security_4688=True)
    s.expect_rule(RULE_VERBATIM, "known false positive: certutil -addstore (Root, CA) by the PKI administrator; "
                  "the pack's exclusions (PKI hosts and accounts) suppress it; -dspublish is no listed element",
                  endpoint=2, winlogbeat=4, sysmon=2, security=2)
    s.expect_rule(RULE_CMDLINE, "known false positive, as the verbatim rule", endpoint=2, winlogbeat=4, sysmon=2,
                  security=2)
    return s


def benign_macos_developer_signing():
    s = Scenario("benign-macos-developer-id-signing",
                 "macOS: a developer signs a build with a Developer ID identity and a timestamp, verifies it, and "
                 "assesses the installer", "2024-05-24T13:22:41.007000", kind="benign")
    host, user, zsh = mac_lab()
    app = "build/Release/Contoso.app"
    sign = MacProc(host, user, 6021, "/usr/bin/codesign", ["codesign", "--force", "--options", "runtime",
                                                             "--timestamp", "--sign",
                                                             "Developer ID Application: Contoso Ltd (7XK2Q9ABCD)", app],
                   parent=zsh, cwd="/Users/jwalsh/src/contoso")
    verify = MacProc(host, user, 6034, "/usr/bin/codesign", ["codesign", "--verify", "--deep", "--strict",
                                                               "--verbose=2", app], parent=zsh,
                     cwd="/Users/jwalsh/src/contoso")
    assess = MacProc(host, user, 6052, "/usr/sbin/spctl", ["spctl", "-a", "-vvv", "-t", "install",
                                                             "build/Release/Contoso.pkg"], parent=zsh,
                     cwd="/Users/jwalsh/src/contoso")
    s.mac_run(0, sign)
    s.mac_run(7315, verify)
    s.mac_run(9841, assess)
    for rule in (RULE_VERBATIM, RULE_CMDLINE):
        s.expect_rule(rule, "Windows tools only", eslogger=0, endpoint=0)
    return s


def benign_macos_homebrew_adhoc():
    s = Scenario("benign-macos-homebrew-adhoc-signing",
                 "macOS: Homebrew re-signs a bottle's binary ad hoc after relocating it (Apple silicon needs a "
                 "signature), the ad-hoc rule's own false positive", "2024-05-24T13:40:55.719000", kind="benign")
    host, user, zsh = mac_lab()
    ruby_path = "/opt/homebrew/Library/Homebrew/vendor/portable-ruby/3.3.4/bin/ruby"
    ruby = MacProc(host, user, 7210, ruby_path, [ruby_path, "-W1", "--disable=gems,rubyopt",
                                                 "/opt/homebrew/Library/Homebrew/brew.rb", "install", "jq"],
                   parent=zsh, cwd="/Users/jwalsh")
    sign = MacProc(host, user, 7288, "/usr/bin/codesign", ["/usr/bin/codesign", "--sign", "-", "--force",
                                                             "--preserve-metadata=entitlements,requirements,flags,runtime",
                                                             "/opt/homebrew/Cellar/jq/1.7.1/bin/jq"], parent=ruby,
                   cwd="/private/tmp")
    s.mac_run(0, sign)
    for rule in (RULE_VERBATIM, RULE_CMDLINE):
        s.expect_rule(rule, "Windows tools only", eslogger=0, endpoint=0)
    return s


SCENARIOS = [scenario_1, scenario_1b, scenario_2, scenario_3, scenario_4, scenario_003_1, scenario_003_2,
             scenario_003_3, scenario_003_4, variant_000_2b, variant_000_3b, variant_000_4b, variant_003_2b,
             variant_003_4b, benign_ci_signtool, benign_certutil_store, benign_openssl_csr, benign_pki_makecert,
             benign_root_refresh, benign_dev_localhost_cert, benign_pki_certutil_ca_import,
             benign_macos_developer_signing, benign_macos_homebrew_adhoc]


# --------------------------------------------------------------------------- rule model (check)

def get(doc, dotted):
    cur = doc
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def values(doc, dotted):
    v = get(doc, dotted)
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def colon(doc, field, patterns):
    """EQL `field : (p1, p2, ...)`: case-insensitive, `*` and `?` wildcards, any value of an array."""
    pats = [p.lower() for p in patterns]
    for v in values(doc, field):
        if isinstance(v, str) and any(fnmatch.fnmatchcase(v.lower(), p) for p in pats):
            return True
    return False


def is_start_process(doc):
    return "process" in values(doc, "event.category") and "start" in values(doc, "event.type")


def model_verbatim(d):
    return is_start_process(d) and (
        colon(d, "process.name", ["makecert.exe", "pvk2pfx.exe"]) or
        (colon(d, "process.name", ["powershell.exe", "pwsh.exe"]) and
         colon(d, "process.args", ["New-SelfSignedCertificate", "Export-PfxCertificate", "Export-Certificate",
                                   "X509Certificate2", "CertEnroll.CX509", "codeSigning", "1.3.6.1.5.5.7.3.3"])) or
        (colon(d, "process.name", ["openssl.exe"]) and
         colon(d, "process.args", ["req", "x509", "pkcs12", "genpkey", "genrsa"]) and
         colon(d, "process.args", ["codeSigning", "1.3.6.1.5.5.7.3.3", "-x509", "extendedKeyUsage"])) or
        (colon(d, "process.name", ["certutil.exe"]) and colon(d, "process.args", ["-addstore", "-importpfx", "-add"])) or
        (colon(d, "process.name", ["signtool.exe"]) and colon(d, "process.args", ["sign"])))


def model_cmdline(d):
    return is_start_process(d) and (
        colon(d, "process.name", ["makecert.exe", "pvk2pfx.exe"]) or
        (colon(d, "process.name", ["powershell.exe", "pwsh.exe"]) and
         colon(d, "process.command_line", ["*New-SelfSignedCertificate*", "*Export-PfxCertificate*",
                                           "*Export-Certificate*", "*X509Certificate2*", "*CertEnroll.CX509*",
                                           "*codeSigning*", "*1.3.6.1.5.5.7.3.3*"])) or
        (colon(d, "process.name", ["openssl.exe"]) and
         ((colon(d, "process.args", ["req", "x509", "pkcs12", "genpkey", "genrsa"]) and
           (colon(d, "process.args", ["codeSigning", "1.3.6.1.5.5.7.3.3", "-x509", "extendedKeyUsage"]) or
            colon(d, "process.command_line", ["*codeSigning*", "*1.3.6.1.5.5.7.3.3*"]))) or
          (colon(d, "process.args", ["pkcs12"]) and colon(d, "process.args", ["-export"])))) or
        (colon(d, "process.name", ["certutil.exe"]) and
         colon(d, "process.args", ["-addstore", "/addstore", "-importpfx", "/importpfx", "-add", "/add"])) or
        (colon(d, "process.name", ["signtool.exe"]) and colon(d, "process.args", ["sign"]) and
         colon(d, "process.args", ["/f", "-f"])))


MODELS = {RULE_VERBATIM: model_verbatim, RULE_CMDLINE: model_cmdline}


# --------------------------------------------------------------------------- output

def dumps(doc, sort_keys=True):
    return json.dumps(doc, sort_keys=sort_keys, separators=(",", ":"), ensure_ascii=False)


def check_splits(docs):
    """The sysmon pipeline's split and CommandLineToArgvW agree on these command lines, and every
    document's args were produced by the split its source uses."""
    for d in docs:
        cmd = get(d, "process.command_line")
        if cmd is None or get(d, "event.code") == "4688" or get(d, "host.os.type") == "macos":
            continue
        if argv_windows(cmd) != argv_sysmon_pipeline(cmd):
            sys.exit("split mismatch for %r" % cmd)


def render(name, docs):
    """the file's text: NDJSON one document a line; XML in the style of its channel (see above)"""
    if name == "sysmon.xml":
        return "<Events>\n" + "".join(d + "\n" for d in docs) + "</Events>\n"
    if name.endswith(".xml"):
        return "".join(d + "\n" for d in docs)
    keep_order = name == "eslogger.ndjson"   # eslogger's own key order
    return "".join(dumps(d, sort_keys=not keep_order) + "\n" for d in docs)


def write(s):
    folder = os.path.join(HERE, s.folder)
    os.makedirs(folder, exist_ok=True)
    if set(s.docs) != set(s.expected):
        sys.exit("%s: files %s but expectations for %s" % (s.folder, sorted(s.docs), sorted(s.expected)))
    for name, entries in sorted(s.docs.items()):
        entries.sort(key=lambda e: e[0])
        docs = [e[1] for e in entries]
        views = [e[2] for e in entries]
        if name.endswith(".ndjson"):
            check_splits(views)
        times = [e[0] for e in entries]
        if max(times) - min(times) > dt.timedelta(minutes=5):
            sys.exit("%s/%s spans more than 5 minutes" % (s.folder, name))
        for rule in MODELS:
            if rule not in s.expected[name]:
                sys.exit("%s/%s: no expectation for %s" % (s.folder, name, rule))
            count, note = s.expected[name][rule]
            got = sum(1 for v in views if MODELS[rule](v))
            if got != count:
                sys.exit("%s/%s: expected %d alerts of %s, the rule model gives %d" % (s.folder, name, count,
                                                                                      rule, got))
        with open(os.path.join(folder, name), "w", encoding="utf-8", newline="\n") as fh:
            fh.write(render(name, docs))
    with open(os.path.join(folder, "expected.tsv"), "w", encoding="utf-8", newline="\n") as fh:
        fh.write("# %s\n" % s.title)
        fh.write("# Written by tests/scenarios/generate.py: the bundled EQL rules. Other rules' expectations go in\n"
                 "# expected-<name>.tsv files beside this one (same columns; see docs/testing.md).\n")
        fh.write("# FILE\tRULE_ID\tCOUNT\tNOTE\n")
        fh.write("@kind\t%s\n" % s.kind)
        for name in sorted(s.expected):
            for rule in (RULE_VERBATIM, RULE_CMDLINE):
                count, note = s.expected[name][rule]
                fh.write("%s\t%s\t%d\t%s\n" % (name, rule, count, note))


def main():
    for make in SCENARIOS:
        s = make()
        write(s)
        print("%-46s %s" % (s.folder, ", ".join("%s %d" % (n, len(d)) for n, d in sorted(s.docs.items()))))


if __name__ == "__main__":
    main()
